package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
	"github.com/fmnist/trainer/server"
)

// Sizes of the synthetic dataset: small enough that a run of two epochs
// takes a few seconds, large enough for a few dozen loss points.
const (
	trainImages = 512
	testImages  = 256
)

// appConfig says how to start a testApp.
type appConfig struct {
	dataDir  string // "" makes a new temporary one
	source   string // dataset source dir; "" writes a new synthetic one
	prepared bool   // prepare the dataset before the service starts
	// downloader tunes the app's downloads (timeouts, backoff); the zero
	// value has the defaults.
	downloader data.Downloader
	// smallSocketBuffers shrinks the server's socket send buffers so that a
	// viewer that stops reading blocks the server's writes quickly.
	smallSocketBuffers bool
	// configure, if set, changes the server's settings before it starts.
	configure func(*server.Main)
	// minFreeSpace is server.Main.MinFreeSpace: 0 for the default.
	minFreeSpace int64
	// wrapStore, if set, wraps the store the service writes to.
	wrapStore func(fmnist.RunStore) fmnist.RunStore
}

// testApp is the whole app as the serve command wires it (server.Main): a
// SQLite file in a data dir, the service and the web layer behind a real
// HTTP server on a loopback port.
type testApp struct {
	*server.Main
	t      testing.TB
	Source string
	client *http.Client // its own connections, closed on Stop
	logs   *syncBuffer
	once   sync.Once
}

// writeSource writes a synthetic dataset (four IDX files and SHA256SUMS)
// into a new directory and returns it, for the app's dataset source.
func writeSource(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "source")
	datatest.WriteDataset(t, dir, trainImages, testImages, 42)
	return dir
}

// startApp starts an app; it stops at the end of the test (or on Stop).
func startApp(t testing.TB, cfg appConfig) *testApp {
	t.Helper()
	if cfg.dataDir == "" {
		cfg.dataDir = filepath.Join(t.TempDir(), "data")
	}
	if cfg.source == "" {
		cfg.source = writeSource(t)
	}
	layout := fmnist.Layout{Dir: cfg.dataDir}
	ctx := context.Background()
	if cfg.prepared {
		if err := data.PrepareDataset(ctx, layout.Dataset(), cfg.source, nil); err != nil {
			t.Fatalf("prepare the dataset: %v", err)
		}
	}
	a := &testApp{t: t, Source: cfg.source, client: &http.Client{Transport: &http.Transport{}}, logs: &syncBuffer{}}
	a.Main = &server.Main{
		Addr:         "127.0.0.1:0",
		Layout:       layout,
		DatasetURL:   cfg.source,
		Downloader:   cfg.downloader,
		Retention:    fmnist.DefaultRetention(), // as the serve command does
		Logger:       slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		MinFreeSpace: cfg.minFreeSpace,
		StoreWrapper: cfg.wrapStore,
	}
	if cfg.smallSocketBuffers {
		a.ConnState = func(c net.Conn, s http.ConnState) {
			if tc, ok := c.(*net.TCPConn); ok && s == http.StateNew {
				_ = tc.SetWriteBuffer(4096)
			}
		}
	}
	if cfg.configure != nil {
		cfg.configure(a.Main)
	}
	if err := a.Open(ctx); err != nil {
		t.Fatalf("start the app: %v\n%s", err, a.logs.String())
	}
	t.Cleanup(func() {
		a.Stop()
		if t.Failed() {
			t.Logf("server log:\n%s", a.logs.String())
		}
	})
	return a
}

// Stop shuts the app down the way the serve command does (server.Main.Close).
func (a *testApp) Stop() {
	a.once.Do(func() {
		a.client.CloseIdleConnections()
		if err := a.Close(); err != nil {
			a.t.Errorf("stop the app: %v", err)
		}
	})
}

// addr is the server's host:port.
func (a *testApp) addr() string { return strings.TrimPrefix(a.Main.URL(), "http://") }

// port is the server's port.
func (a *testApp) port() string {
	_, port, err := net.SplitHostPort(a.addr())
	if err != nil {
		a.t.Fatal(err)
	}
	return port
}

// URL is the absolute URL of path on the test server.
func (a *testApp) URL(path string) string { return a.Main.URL() + path }

// response is a read HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func (a *testApp) do(req *http.Request) response {
	a.t.Helper()
	return doWith(a.t, a.client, req)
}

func doWith(t testing.TB, client *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

func (a *testApp) get(path string) response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.URL(path), nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.do(req)
}

// getJSON decodes the JSON answer of GET path into v and returns the status.
func (a *testApp) getJSON(path string, v any) int {
	a.t.Helper()
	r := a.get(path)
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		a.t.Fatalf("GET %s: status %d, body is not JSON: %v\n%s", path, r.Status, err, r.Body)
	}
	return r.Status
}

// postJSON posts body as application/json and decodes the answer into v
// (which may be nil).
func (a *testApp) postJSON(path, body string, v any) response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.URL(path), strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	r := a.do(req)
	if v != nil {
		if err := json.Unmarshal([]byte(r.Body), v); err != nil {
			a.t.Fatalf("POST %s: status %d, body is not JSON: %v\n%s", path, r.Status, err, r.Body)
		}
	}
	return r
}

// The JSON the API answers, as a script reads it.
type (
	statusJSON struct {
		Dataset struct {
			Status string     `json:"status"`
			Reason string     `json:"reason"`
			Train  int        `json:"train_images"`
			Test   int        `json:"test_images"`
			Retry  *retryJSON `json:"retry"`
		} `json:"dataset"`
		Training struct {
			Status     string         `json:"status"`
			Reason     string         `json:"reason"`
			RunID      int64          `json:"run_id"`
			Config     *fmnist.Config `json:"config"`
			Checkpoint string         `json:"checkpoint"`
			Progress   struct {
				Epoch   int `json:"epoch"`
				Epochs  int `json:"epochs"`
				Batch   int `json:"batch"`
				Batches int `json:"batches"`
			} `json:"progress"`
		} `json:"training"`
		HasModel    bool   `json:"has_model"`
		LastEventID uint64 `json:"last_event_id"`
		Viewers     int    `json:"viewers"`
	}
	// retryJSON is the download's latest retry.
	retryJSON struct {
		File        string  `json:"file"`
		Mirror      string  `json:"mirror"`
		Attempt     int     `json:"attempt"`
		Attempts    int     `json:"attempts"`
		WaitSeconds float64 `json:"wait_seconds"`
		Message     string  `json:"message"`
	}
	pointJSON struct {
		Epoch float64 `json:"epoch"`
		Loss  float64 `json:"loss"`
		LR    float64 `json:"lr"`
	}
	epochJSON struct {
		Epoch        int     `json:"epoch"`
		TestAccuracy float64 `json:"test_accuracy"`
		TestLoss     float64 `json:"test_loss"`
		TrainLoss    float64 `json:"train_loss"`
	}
	checkpointJSON struct {
		Path  string `json:"path"`
		Epoch int    `json:"epoch"`
		Batch int    `json:"batch"`
	}
	runJSON struct {
		ID           int64            `json:"id"`
		Config       fmnist.Config    `json:"config"`
		Status       string           `json:"status"`
		Reason       string           `json:"reason"`
		EndedAt      *time.Time       `json:"ended_at"`
		TestAccuracy *float64         `json:"test_accuracy"`
		Points       []pointJSON      `json:"points"`
		Epochs       []epochJSON      `json:"epochs"`
		Checkpoints  []checkpointJSON `json:"checkpoints"`
	}
	predictionsJSON struct {
		Checkpoint  string  `json:"checkpoint"`
		Accuracy    float64 `json:"test_accuracy"`
		Predictions []struct {
			Index         int         `json:"index"`
			Predicted     int         `json:"predicted"`
			PredictedName string      `json:"predicted_name"`
			Label         int         `json:"label"`
			LabelName     string      `json:"label_name"`
			Correct       bool        `json:"correct"`
			Probabilities [10]float64 `json:"probabilities"`
			Image         string      `json:"image"`
		} `json:"predictions"`
	}
	// errorJSON is the API's one error format.
	errorJSON struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
)

func (a *testApp) status() statusJSON {
	a.t.Helper()
	var st statusJSON
	if code := a.getJSON("/api/status", &st); code != http.StatusOK {
		a.t.Fatalf("GET /api/status: status %d", code)
	}
	return st
}

func (a *testApp) run(id int64) runJSON {
	a.t.Helper()
	var r runJSON
	if code := a.getJSON("/api/runs/"+itoa(id), &r); code != http.StatusOK {
		a.t.Fatalf("GET /api/runs/%d: status %d", id, code)
	}
	return r
}

// waitStatus polls /api/status until done holds, failing after timeout.
func (a *testApp) waitStatus(what string, timeout time.Duration, done func(statusJSON) bool) statusJSON {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := a.status()
		if done(st) {
			return st
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("waited %v for %s; last status: %+v", timeout, what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// prepareDataset downloads the dataset through the API and waits for it.
func (a *testApp) prepareDataset() {
	a.t.Helper()
	if r := a.postJSON("/api/dataset", `{}`, nil); r.Status != http.StatusAccepted {
		a.t.Fatalf("POST /api/dataset: status %d: %s", r.Status, r.Body)
	}
	a.waitStatus("the dataset to be ready", 30*time.Second, func(st statusJSON) bool {
		if st.Dataset.Status == string(fmnist.StatusFailed) {
			a.t.Fatalf("dataset failed: %s", st.Dataset.Reason)
		}
		return st.Dataset.Status == string(fmnist.StatusReady)
	})
}

// startTraining starts a run through the API and returns its id.
func (a *testApp) startTraining(body string) int64 {
	a.t.Helper()
	var out struct {
		RunID int64 `json:"run_id"`
	}
	if r := a.postJSON("/api/training", body, &out); r.Status != http.StatusCreated {
		a.t.Fatalf("POST /api/training %s: status %d: %s", body, r.Status, r.Body)
	}
	return out.RunID
}

// waitRunEnded waits until run id is no longer training nor stopping.
func (a *testApp) waitRunEnded(id int64, timeout time.Duration) statusJSON {
	a.t.Helper()
	return a.waitStatus("run "+itoa(id)+" to end", timeout, func(st statusJSON) bool {
		return st.Training.RunID == id && st.Training.Status != string(fmnist.StatusTraining) &&
			st.Training.Status != string(fmnist.StatusStopping)
	})
}

// browser is a user agent with cookies that does not follow redirects,
// so tests see the 303s of the form actions.
type browser struct {
	t      testing.TB
	base   string // the server's URL
	client *http.Client
	token  string // the CSRF token of the last page loaded
}

var csrfFieldPattern = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// newBrowser loads the page, which sets the CSRF cookie and renders the token.
func (a *testApp) newBrowser() *browser {
	a.t.Helper()
	return openBrowser(a.t, a.Main.URL(), a.client.Transport)
}

// openBrowser is newBrowser for any server at base.
func openBrowser(t testing.TB, base string, transport http.RoundTripper) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, base: base, client: &http.Client{
		Transport:     transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	page := b.get("/")
	if page.Status != http.StatusOK {
		t.Fatalf("GET /: status %d", page.Status)
	}
	m := csrfFieldPattern.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("GET / renders no CSRF field:\n%s", page.Body)
	}
	b.token = m[1]
	return b
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return doWith(b.t, b.client, req)
}

// post submits a form with the CSRF token added, as the browser does; with
// htmx it also sends HX-Request.
func (b *browser) post(path string, form url.Values, htmx bool) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.token)
	return b.postRaw(path, form.Encode(), htmx)
}

// postRaw submits an url-encoded body as is.
func (b *browser) postRaw(path, body string, htmx bool) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	return doWith(b.t, b.client, req)
}

// syncBuffer collects the server's log for a failing test's report.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
