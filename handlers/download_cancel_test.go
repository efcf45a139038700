package handlers_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/ml/data"
)

// quickRetries makes a mirror that sends nothing count as failed after
// 300 ms, and waits 1 s before the first retry: the whole download of a
// mirror that never answers takes about 17 s before it fails.
var quickRetries = data.Downloader{StallTimeout: 300 * time.Millisecond, Backoff: time.Second}

// hungMirror is a dataset source that accepts connections and reads the
// requests but never answers; each request is held until the client gives up.
type hungMirror struct {
	*httptest.Server
	held atomic.Int32 // requests being held now
}

func startHungMirror(t *testing.T) *hungMirror {
	t.Helper()
	m := &hungMirror{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.held.Add(1)
		defer m.held.Add(-1)
		<-r.Context().Done()
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *hungMirror) source() string { return m.URL + "/data/" }
func (m *hungMirror) host() string   { return strings.TrimPrefix(m.URL, "http://") }

// waitReleased fails unless the mirror holds no request within timeout:
// the app has given up every connection it had open.
func (m *hungMirror) waitReleased(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for m.held.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the mirror still holds %d requests %v after the cancel", m.held.Load(), timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitNoDownloader fails unless no goroutine of the app's download or of
// the downloader is left within timeout.
func waitNoDownloader(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1<<20)
	for {
		stacks := buf[:runtime.Stack(buf, true)]
		i := bytes.Index(stacks, []byte("app.(*Service).download"))
		if i < 0 {
			i = bytes.Index(stacks, []byte("data.(*Downloader)."))
		}
		if i < 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a download goroutine is still running %v after the cancel:\n%s", timeout, stacks[max(0, i-500):min(len(stacks), i+500)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lastContaining(evs []ssetest.Event, name, text string) bool {
	for _, e := range ssetest.Named(evs, name) {
		if strings.Contains(e.Data, text) {
			return true
		}
	}
	return false
}

// TestCancelAHungDownload downloads from a mirror that never answers: the
// retries show in the status, the dataset panel and the log; a cancel
// brings the dataset back to idle at once, leaves nothing running, and a
// new download can start.
func TestCancelAHungDownload(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	mirror := startHungMirror(t)
	a := startApp(t, appConfig{source: mirror.source(), downloader: quickRetries})
	events := ssetest.Connect(t, a.client, a.URL("/events"), "")

	if r := a.postJSON("/api/dataset", `{}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("POST /api/dataset: status %d: %s", r.Status, r.Body)
	}
	st := a.waitStatus("a retry", 10*time.Second, func(st statusJSON) bool { return st.Dataset.Retry != nil })
	retry := *st.Dataset.Retry
	wantMessage := "No answer from " + mirror.host() + " (try 1 of 5), retrying in 1 s"
	if st.Dataset.Status != string(fmnist.StatusDownloading) || retry.Attempt != 1 || retry.Attempts != 5 ||
		retry.WaitSeconds != 1 || retry.Mirror != mirror.host() || retry.File != "SHA256SUMS" || retry.Message != wantMessage {
		t.Errorf("status after the first hung request: %s, retry %+v; want downloading, retry %q", st.Dataset.Status, retry, wantMessage)
	}
	events.WaitFor(t, "the retry in the dataset panel and the log", 10*time.Second, func(evs []ssetest.Event) bool {
		return lastContaining(evs, "dataset", "No answer from "+mirror.host()) && lastContaining(evs, "log", wantMessage)
	})
	var e errorJSON
	if r := a.postJSON("/api/dataset", `{}`, &e); r.Status != http.StatusConflict {
		t.Errorf("POST /api/dataset during the download: status %d, want 409", r.Status)
	}

	var cancelled statusJSON
	r := a.postJSON("/api/dataset/cancel", `{}`, &cancelled)
	if r.Status != http.StatusAccepted || cancelled.Dataset.Status != string(fmnist.StatusIdle) {
		t.Fatalf("POST /api/dataset/cancel: status %d, dataset %+v; want 202 and idle", r.Status, cancelled.Dataset)
	}
	a.waitStatus("the dataset to be idle", time.Second, func(st statusJSON) bool {
		return st.Dataset.Status == string(fmnist.StatusIdle) && st.Dataset.Retry == nil
	})
	waitNoDownloader(t, time.Second)
	mirror.waitReleased(t, 5*time.Second)
	events.WaitFor(t, "the cancelled panel and its log line", 10*time.Second, func(evs []ssetest.Event) bool {
		d := ssetest.Named(evs, "dataset")
		return len(d) > 0 && strings.Contains(d[len(d)-1].Data, "cancelled") && lastContaining(evs, "log", "Download cancelled")
	})

	r = a.postJSON("/api/dataset/cancel", `{}`, &e)
	if r.Status != http.StatusConflict || e.Error.Code != fmnist.ECONFLICT || e.Error.Message != "No download is in progress." {
		t.Errorf("POST /api/dataset/cancel while idle: status %d, error %+v; want 409 conflict", r.Status, e.Error)
	}
	// A new download starts, and can be cancelled too.
	if r := a.postJSON("/api/dataset", `{}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("POST /api/dataset after the cancel: status %d: %s", r.Status, r.Body)
	}
	if r := a.postJSON("/api/dataset/cancel", `{}`, &cancelled); r.Status != http.StatusAccepted || cancelled.Dataset.Status != string(fmnist.StatusIdle) {
		t.Errorf("second POST /api/dataset/cancel: status %d, dataset %+v", r.Status, cancelled.Dataset)
	}

	events.Close()
	a.Stop()
	mirror.Close()
	goleak.VerifyNone(t, ignore)
}

// TestCancelDownloadFormPlainAndHTMX cancels through the dataset panel's
// Cancel button: a plain form post without JavaScript, and with htmx.
func TestCancelDownloadFormPlainAndHTMX(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		mirror := startHungMirror(t)
		a := startApp(t, appConfig{source: mirror.source(), downloader: quickRetries})
		b := a.newBrowser()
		if r := b.post("/dataset", nil, false); r.Status != http.StatusSeeOther {
			t.Fatalf("POST /dataset: status %d", r.Status)
		}
		page := b.get("/")
		wantStatus(t, "GET / while downloading", page, http.StatusOK, `action="/dataset/cancel"`)
		if enabled, found := buttonEnabled(page.Body, "cancel-download"); !enabled || !found {
			t.Errorf("the Cancel button: found %v, enabled %v; want an enabled button", found, enabled)
		}
		r := b.post("/dataset/cancel", nil, false)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Fatalf("POST /dataset/cancel: status %d, Location %q; want 303 to /", r.Status, r.Header.Get("Location"))
		}
		if st := a.status(); st.Dataset.Status != string(fmnist.StatusIdle) {
			t.Errorf("dataset after the cancel: %+v, want idle", st.Dataset)
		}
		wantStatus(t, "GET / after the cancel", b.get("/"), http.StatusOK, "cancelled", "Download &amp; Prepare Dataset")
		wantStatus(t, "POST /dataset/cancel again", b.post("/dataset/cancel", nil, false), http.StatusConflict,
			"No download is in progress.", "<html")
		mirror.waitReleased(t, 5*time.Second)
	})
	t.Run("htmx", func(t *testing.T) {
		mirror := startHungMirror(t)
		a := startApp(t, appConfig{source: mirror.source(), downloader: quickRetries})
		b := a.newBrowser()
		wantStatus(t, "htmx POST /dataset", b.post("/dataset", nil, true), http.StatusOK, `hx-post="/dataset/cancel"`)
		r := b.post("/dataset/cancel", nil, true)
		wantStatus(t, "htmx POST /dataset/cancel", r, http.StatusOK, `id="dataset-panel"`, "cancelled")
		if !isFragment(r.Body) {
			t.Errorf("htmx POST /dataset/cancel should answer the panel only:\n%s", r.Body)
		}
		r = b.post("/dataset/cancel", nil, true)
		wantStatus(t, "htmx POST /dataset/cancel again", r, http.StatusConflict, `id="dataset-panel"`, "No download is in progress.")
		if !isFragment(r.Body) {
			t.Errorf("a refused htmx cancel should answer the panel only:\n%s", r.Body)
		}
		mirror.waitReleased(t, 5*time.Second)
	})
}

// TestCancelledDownloadResumes cancels a download whose mirror stopped
// sending halfway through a file: the part already fetched is kept, and
// the next download asks only for the rest.
func TestCancelledDownloadResumes(t *testing.T) {
	source := writeSource(t)
	file := data.TrainImagesFile
	whole, err := os.ReadFile(filepath.Join(source, file))
	if err != nil {
		t.Fatal(err)
	}
	half := len(whole) / 2
	var (
		mu     sync.Mutex
		ranges []string // the Range header of every request for file
	)
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/data/")
		if name == file {
			mu.Lock()
			ranges = append(ranges, r.Header.Get("Range"))
			first := len(ranges) == 1
			mu.Unlock()
			if first { // half the file, then nothing
				w.Header().Set("Content-Length", itoa(int64(len(whole))))
				w.WriteHeader(http.StatusOK)
				w.Write(whole[:half])
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
		}
		http.ServeFile(w, r, filepath.Join(source, filepath.Base(name)))
	}))
	t.Cleanup(mirror.Close)
	// A long stall timeout: the cancel, not the watchdog, ends the transfer.
	a := startApp(t, appConfig{source: mirror.URL + "/data/", downloader: data.Downloader{StallTimeout: time.Minute}})
	if r := a.postJSON("/api/dataset", `{}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("POST /api/dataset: status %d: %s", r.Status, r.Body)
	}
	part := filepath.Join(a.Layout.Dataset(), file+".part")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if info, err := os.Stat(part); err == nil && info.Size() == int64(half) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held the %d bytes sent", part, half)
		}
	}
	if r := a.postJSON("/api/dataset/cancel", `{}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("POST /api/dataset/cancel: status %d: %s", r.Status, r.Body)
	}
	if info, err := os.Stat(part); err != nil || info.Size() != int64(half) {
		t.Fatalf("after the cancel, %s: %v, %v; want %d bytes kept", part, info, err, half)
	}
	a.prepareDataset()
	mu.Lock()
	defer mu.Unlock()
	if want := "bytes=" + itoa(int64(half)) + "-"; len(ranges) != 2 || ranges[1] != want {
		t.Errorf("requests for %s had Range %q; want a second one with %q", file, ranges, want)
	}
}
