package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
	"github.com/fmnist/trainer/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startApp serves a data dir whose small dataset is prepared.
func startApp(t *testing.T) *server.Main {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "source")
	datatest.WriteDataset(t, src, 512, 64, 3)
	layout := fmnist.Layout{Dir: filepath.Join(t.TempDir(), "data")}
	if err := data.PrepareDataset(ctx, layout.Dataset(), src, nil); err != nil {
		t.Fatal(err)
	}
	m := &server.Main{Addr: "127.0.0.1:0", Layout: layout, DatasetURL: src,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m
}

func do(t *testing.T, method, url, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// trainRun starts a small run through the API and waits for its end.
func trainRun(t *testing.T, base string) int64 {
	t.Helper()
	code, _, body := do(t, "POST", base+"/api/training", "application/json", []byte(`{"epochs":1,"batch_size":64,"train_limit":256,"seed":3}`))
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, body)
	}
	id := decode[struct {
		RunID int64 `json:"run_id"`
	}](t, body).RunID
	waitEnded(t, base, id)
	return id
}

func waitEnded(t *testing.T, base string, id int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, _, body := do(t, "GET", base+"/api/status", "", nil)
		st := decode[struct {
			Training struct {
				Status string `json:"status"`
				RunID  int64  `json:"run_id"`
			} `json:"training"`
		}](t, body)
		if st.Training.RunID == id && (st.Training.Status == "finished" || st.Training.Status == "stopped" || st.Training.Status == "failed") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run %d did not end", id)
}

func multipartBody(t *testing.T, data []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("bundle", "run.fmnist")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestExportImportAndReproduceOverHTTP(t *testing.T) {
	m := startApp(t)
	base := m.URL()
	id := trainRun(t, base)
	idPath := base + "/api/runs/" + strconv.FormatInt(id, 10)

	for path, wantType := range map[string]string{"/bundle": "application/zip", "/model.onnx": "application/octet-stream", "/model.safetensors": "application/octet-stream"} {
		code, h, body := do(t, "GET", idPath+path, "", nil)
		if code != http.StatusOK || h.Get("Content-Type") != wantType || !strings.Contains(h.Get("Content-Disposition"), "attachment") || len(body) < 1<<20 {
			t.Errorf("GET %s: %d %q %q, %d bytes", path, code, h.Get("Content-Type"), h.Get("Content-Disposition"), len(body))
		}
	}
	_, _, bundleData := do(t, "GET", idPath+"/bundle", "", nil)
	code, _, confusion := do(t, "GET", idPath+"/epochs/1/confusion", "", nil)
	if code != http.StatusOK {
		t.Fatalf("the run's confusion matrix: %d %s", code, confusion)
	}
	if code, _, body := do(t, "DELETE", idPath, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, body)
	}

	code, h, body := do(t, "POST", base+"/api/models", "application/zip", bundleData)
	if code != http.StatusCreated {
		t.Fatalf("raw import: %d %s", code, body)
	}
	got := decode[struct {
		RunID int64  `json:"run_id"`
		Kind  string `json:"kind"`
	}](t, body)
	if got.Kind != "imported" || h.Get("Location") == "" {
		t.Errorf("import answered %s, Location %q", body, h.Get("Location"))
	}
	ct, mp := multipartBody(t, bundleData)
	if code, _, body := do(t, "POST", base+"/api/models", ct, mp); code != http.StatusCreated {
		t.Errorf("multipart import: %d %s", code, body)
	}
	runPage := base + "/runs/" + strconv.FormatInt(got.RunID, 10)
	if code, _, page := do(t, "GET", runPage, "", nil); code != http.StatusOK || !strings.Contains(string(page), "Imported") {
		t.Errorf("the imported run's page (%d) does not say it was imported", code)
	} else if !strings.Contains(string(page), `id="confusion-table"`) {
		t.Error("the imported run's page shows no confusion matrix")
	}
	// The analytics are the original's, but for the run id.
	_, _, importedConfusion := do(t, "GET", base+"/api/runs/"+strconv.FormatInt(got.RunID, 10)+"/epochs/1/confusion", "", nil)
	type matrix struct {
		Epoch  int              `json:"epoch"`
		Matrix fmnist.Confusion `json:"matrix"`
	}
	if a, b := decode[matrix](t, confusion), decode[matrix](t, importedConfusion); a != b || a.Matrix.Total() == 0 {
		t.Errorf("the imported run's confusion matrix %+v differs from the original's %+v", b, a)
	}

	// A wrong file: one clear JSON error, no run.
	code, _, body = do(t, "POST", base+"/api/models", "application/octet-stream", []byte("not a bundle"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "not a .fmnist bundle") {
		t.Errorf("bad import: %d %s", code, body)
	}
	code, _, body = do(t, "POST", base+"/api/models", "application/octet-stream", make([]byte, 34<<20))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 34 MB upload: %d %s", code, body)
	}
	_, _, list := do(t, "GET", base+"/api/runs", "", nil)
	if n := strings.Count(string(list), `"status"`); n != 2 {
		t.Errorf("after two imports and refusals there are %d runs: %s", n, list)
	}

	code, _, body = do(t, "POST", base+"/api/runs/"+strconv.FormatInt(got.RunID, 10)+"/reproduce", "application/json", nil)
	if code != http.StatusAccepted {
		t.Fatalf("reproduce: %d %s", code, body)
	}
	rep := decode[struct {
		RunID   int64  `json:"run_id"`
		Warning string `json:"warning"`
	}](t, body)
	waitEnded(t, base, rep.RunID)
	_, _, again := do(t, "GET", base+"/api/runs/"+strconv.FormatInt(rep.RunID, 10)+"/model.safetensors", "", nil)
	_, _, orig := do(t, "GET", base+"/api/runs/"+strconv.FormatInt(got.RunID, 10)+"/model.safetensors", "", nil)
	if !bytes.Equal(weightsOf(again), weightsOf(orig)) {
		t.Error("the reproduced run's weights differ from the bundle's")
	}
}

// weightsOf is a safetensors file without its header (which names the run).
func weightsOf(st []byte) []byte {
	if len(st) < 8 {
		return nil
	}
	n := int(st[0]) | int(st[1])<<8 | int(st[2])<<16 | int(st[3])<<24
	return st[8+n:]
}
