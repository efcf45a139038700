package insight_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
	"github.com/fmnist/trainer/ml/userimage/userimagetest"
	"github.com/fmnist/trainer/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startApp serves a data dir whose small dataset is prepared.
func startApp(t *testing.T) string {
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
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m.URL()
}

func do(t *testing.T, client *http.Client, method, url, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
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

// trainRun trains one small epoch through the API and waits for its end.
func trainRun(t *testing.T, base string) {
	t.Helper()
	code, _, body := do(t, http.DefaultClient, "POST", base+"/api/training", "application/json", []byte(`{"epochs":1,"batch_size":64,"train_limit":256,"seed":3}`))
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, body)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, _, body := do(t, http.DefaultClient, "GET", base+"/api/status", "", nil)
		if regexp.MustCompile(`"status":"(finished|stopped|failed)"`).Match(body) {
			return
		}
	}
	t.Fatal("the run did not end")
}

// picture is a PNG of a dark boot-like block on a white background.
func picture(t *testing.T) []byte {
	return userimagetest.PNG(t, userimagetest.Photo(120, 80, 250, 20, func(x, y int) bool {
		return y >= 20 && y < 70 && x >= 10 && x < 110 && (x < 50 || y > 50)
	}))
}

func multipartBody(t *testing.T, fields map[string]string, file []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("image", "holiday.txt") // the name does not matter
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

type classified struct {
	Run           int64     `json:"run"`
	Classes       []string  `json:"classes"`
	Probabilities []float64 `json:"probabilities"`
	Predicted     int       `json:"predicted"`
	Input         struct {
		Format   string `json:"format"`
		Inverted bool   `json:"inverted"`
	} `json:"input"`
}

type apiError struct {
	Error struct {
		Code, Message, Field string
	} `json:"error"`
}

func TestClassifyAPI(t *testing.T) {
	base := startApp(t)
	good := picture(t)

	code, _, body := do(t, http.DefaultClient, "POST", base+"/api/classify", "image/png", good)
	if code != http.StatusConflict || !strings.Contains(string(body), "No model") {
		t.Errorf("before any model: %d %s, want 409 saying there is no model", code, body)
	}
	trainRun(t, base)

	code, _, body = do(t, http.DefaultClient, "POST", base+"/api/classify", "application/octet-stream", good)
	if code != http.StatusOK {
		t.Fatalf("raw PNG: %d %s", code, body)
	}
	var raw classified
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, p := range raw.Probabilities {
		sum += p
	}
	if len(raw.Probabilities) != 10 || len(raw.Classes) != 10 || math.Abs(sum-1) > 1e-9 {
		t.Errorf("%d probabilities of %d classes summing to %v, want 10 summing to 1", len(raw.Probabilities), len(raw.Classes), sum)
	}
	if raw.Run != 1 || raw.Input.Format != "png" || !raw.Input.Inverted {
		t.Errorf("answer %+v: want run 1, a PNG, inverted (white background)", raw)
	}

	ct, form := multipartBody(t, nil, good)
	code, _, body = do(t, http.DefaultClient, "POST", base+"/api/classify?run=1", ct, form)
	var multi classified
	if code != http.StatusOK || json.Unmarshal(body, &multi) != nil {
		t.Fatalf("multipart: %d %s", code, body)
	}
	for c := range multi.Probabilities {
		if multi.Probabilities[c] != raw.Probabilities[c] {
			t.Errorf("class %d: %v multipart, %v raw", c, multi.Probabilities[c], raw.Probabilities[c])
		}
	}

	// The same PNG claiming 10 000×10 000 pixels in a valid header, and
	// with a header whose checksum no longer matches.
	huge := bytes.Clone(good)
	binary.BigEndian.PutUint32(huge[16:], 10_000)
	binary.BigEndian.PutUint32(huge[20:], 10_000)
	damaged := bytes.Clone(huge)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	for name, c := range map[string]struct {
		url, contentType string
		body             []byte
		status           int
		want             string
	}{
		"empty":          {"/api/classify", "image/png", nil, 422, "empty"},
		"text":           {"/api/classify", "image/png", []byte("just some words, not a picture"), 422, "not a PNG or JPEG"},
		"truncated":      {"/api/classify", "image/png", good[:len(good)/2], 422, "cut short"},
		"polyglot":       {"/api/classify", "image/png", append(bytes.Clone(good), "<script>alert(1)</script>"...), 422, "polyglot"},
		"100 megapixels": {"/api/classify", "image/png", huge, 422, "100 megapixels"},
		"damaged":        {"/api/classify", "image/png", damaged, 422, "damaged"},
		"too large":      {"/api/classify", "image/png", append(bytes.Clone(good), make([]byte, 5<<20)...), 422, "5 MB"},
		"unknown run":    {"/api/classify?run=99", "image/png", good, 404, "99"},
		"bad run":        {"/api/classify?run=x", "image/png", good, 422, "run id"},
		"no file field":  {"/api/classify", "multipart/form-data; boundary=x", []byte("--x--\r\n"), 422, "Choose a PNG or JPEG"},
	} {
		code, _, body := do(t, http.DefaultClient, "POST", base+c.url, c.contentType, c.body)
		var e apiError
		if code != c.status || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error.Message, c.want) {
			t.Errorf("%s: %d %s, want %d with a message saying %q", name, code, body, c.status, c.want)
		}
	}
}

func TestClassifyForm(t *testing.T) {
	base := startApp(t)
	trainRun(t, base)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	code, _, page := do(t, client, "GET", base+"/classify", "", nil)
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET /classify: %d, token found %v", code, m != nil)
	}
	ct, form := multipartBody(t, map[string]string{"_csrf": string(m[1])}, picture(t))
	code, _, page = do(t, client, "POST", base+"/classify", ct, form)
	if code != http.StatusOK || !bytes.Contains(page, []byte(`id="classify-input" src="data:image/png;base64,`)) ||
		bytes.Count(page, []byte("<tr")) != 10 {
		t.Errorf("a classified upload: %d, page without the input image or 10 classes:\n%s", code, page)
	}
	ct, form = multipartBody(t, map[string]string{"_csrf": string(m[1])}, []byte("GIF89a not really"))
	code, _, page = do(t, client, "POST", base+"/classify", ct, form)
	if code != http.StatusUnprocessableEntity || !bytes.Contains(page, []byte(`role="alert">The file is not a PNG or JPEG`)) || bytes.Contains(page, []byte("classify-result")) {
		t.Errorf("a refused upload: %d, want 422 with the error on the form and no result:\n%s", code, page)
	}
}

func TestInsidePageAndPictures(t *testing.T) {
	base := startApp(t)
	code, _, _ := do(t, http.DefaultClient, "GET", base+"/runs/1/inside", "", nil)
	if code != http.StatusNotFound {
		t.Errorf("inside an unknown run: %d, want 404", code)
	}
	trainRun(t, base)
	code, _, page := do(t, http.DefaultClient, "GET", base+"/runs/1/inside?image=3", "", nil)
	if code != http.StatusOK {
		t.Fatalf("inside run 1: %d %s", code, page)
	}
	sizes := map[string]image.Point{
		"filters":  {8*24 + 7*2, 4*24 + 3*2},
		"conv1":    {8*84 + 7*2, 4*84 + 3*2},
		"conv2":    {8*56 + 7*2, 8*56 + 7*2},
		"saliency": {224, 224},
	}
	for name, size := range sizes {
		m := regexp.MustCompile(`src="(/runs/1/inside/` + name + `\.png\?checkpoint=\d+&amp;image=3)"`).FindSubmatch(page)
		if m == nil {
			t.Errorf("the page has no %s picture", name)
			continue
		}
		url := strings.ReplaceAll(string(m[1]), "&amp;", "&")
		code, hdr, body := do(t, http.DefaultClient, "GET", base+url, "", nil)
		if code != http.StatusOK || hdr.Get("Content-Type") != "image/png" {
			t.Errorf("%s: %d %s", url, code, hdr.Get("Content-Type"))
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(body))
		if err != nil || cfg.Width != size.X || cfg.Height != size.Y {
			t.Errorf("%s: %dx%d (%v), want %v", name, cfg.Width, cfg.Height, err, size)
		}
	}
	for url, want := range map[string]int{
		"/runs/1/inside?image=99999":       404,
		"/runs/1/inside?image=-1":          422,
		"/runs/1/inside?checkpoint=77":     404,
		"/runs/1/inside/weights.png":       404,
		"/runs/1/inside/conv1.gif":         404,
		"/runs/1/inside/conv1.png?image=x": 422,
	} {
		if code, _, _ := do(t, http.DefaultClient, "GET", base+url, "", nil); code != want {
			t.Errorf("GET %s: %d, want %d", url, code, want)
		}
	}
}
