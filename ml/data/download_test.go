package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data/datatest"
)

// fileServer serves a dataset over HTTP, honouring Range, and records every
// request. intercept, when set, may answer a request itself (returning true).
type fileServer struct {
	*httptest.Server
	files map[string][]byte

	mu        sync.Mutex
	requests  []*http.Request
	intercept func(w http.ResponseWriter, r *http.Request, name string, nth int) bool
}

func newFileServer(t *testing.T, files map[string][]byte) *fileServer {
	t.Helper()
	fs := &fileServer{files: files}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/data/")
		fs.mu.Lock()
		fs.requests = append(fs.requests, r)
		nth := 0
		for _, req := range fs.requests {
			if strings.HasSuffix(req.URL.Path, "/"+name) {
				nth++
			}
		}
		intercept := fs.intercept
		fs.mu.Unlock()
		if intercept != nil && intercept(w, r, name, nth) {
			return
		}
		data, ok := fs.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fileServer) source() string { return fs.URL + "/data/" }

// requestsFor returns the requests made for one file, in order.
func (fs *fileServer) requestsFor(name string) []*http.Request {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var out []*http.Request
	for _, r := range fs.requests {
		if strings.HasSuffix(r.URL.Path, "/"+name) {
			out = append(out, r)
		}
	}
	return out
}

func (fs *fileServer) requestCount() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.requests)
}

// verifyNoLeaks fails the test if goroutines other than those ignored
// outlive it, once the server's and client's idle connections are closed.
func verifyNoLeaks(t *testing.T, srv *fileServer, ignore goleak.Option) {
	t.Helper()
	srv.CloseClientConnections()
	srv.Client().CloseIdleConnections()
	goleak.VerifyNone(t, ignore)
}

// testDownloader retries quickly and logs into the test output.
func testDownloader(t *testing.T, client *http.Client) *Downloader {
	return &Downloader{
		Client:     client,
		Attempts:   3,
		Backoff:    time.Millisecond,
		MaxBackoff: 5 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

// assertPrepared checks dir is ready, loads to the given counts and holds
// exactly the source's bytes, with no .part files left.
func assertPrepared(t *testing.T, dir string, files map[string][]byte, nTrain, nTest int) {
	t.Helper()
	if !DatasetReady(dir) {
		t.Fatal("DatasetReady is false after a successful Prepare")
	}
	for _, name := range DatasetFiles {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("%s differs from the source (%d bytes, want %d)", name, len(got), len(files[name]))
		}
	}
	if parts, _ := filepath.Glob(filepath.Join(dir, "*.part")); len(parts) > 0 {
		t.Errorf("left behind: %v", parts)
	}
	ds, err := LoadDataset(dir)
	if err != nil {
		t.Fatalf("LoadDataset: %v", err)
	}
	if ds.Train.Count != nTrain || ds.Test.Count != nTest {
		t.Errorf("loaded %d/%d images, want %d/%d", ds.Train.Count, ds.Test.Count, nTrain, nTest)
	}
}

func TestPrepareOverHTTP(t *testing.T) {
	files := datatest.Files(300, 60, 1)
	srv := newFileServer(t, files)
	dir := filepath.Join(t.TempDir(), "data")

	var events []fmnist.DownloadProgress
	d := testDownloader(t, srv.Client())
	d.Progress = func(p fmnist.DownloadProgress) { events = append(events, p) }
	if err := d.Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	assertPrepared(t, dir, files, 300, 60)
	// Private, like the rest of the data dir, whatever the umask.
	for _, name := range append([]string{"", verifiedMarkerFile}, DatasetFiles[:]...) {
		want := os.FileMode(0o600)
		if name == "" {
			want = 0o700
		}
		if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Mode().Perm() != want {
			t.Errorf("%q: %v, want mode %04o", name, err, want)
		}
	}
	if len(srv.requestsFor(sumsFile)) != 1 {
		t.Errorf("%s was requested %d times, want once", sumsFile, len(srv.requestsFor(sumsFile)))
	}

	var total int64
	for _, name := range DatasetFiles {
		total += int64(len(files[name]))
	}
	last := map[string]fmnist.DownloadProgress{}
	var prevDone int64
	for _, e := range events {
		if e.Done < prevDone {
			t.Errorf("overall progress went back from %d to %d", prevDone, e.Done)
		}
		prevDone = e.Done
		last[e.File] = e
	}
	for _, name := range DatasetFiles {
		size := int64(len(files[name]))
		if e := last[name]; e.FileDone != size || e.FileTotal != size {
			t.Errorf("last progress of %s = %d/%d, want %d/%d", name, e.FileDone, e.FileTotal, size, size)
		}
	}
	if final := events[len(events)-1]; final.Done != total || final.Total != total {
		t.Errorf("final progress = %d/%d, want %d/%d", final.Done, final.Total, total, total)
	}
}

func TestPrepareRejectsChecksumMismatch(t *testing.T) {
	files := datatest.Files(40, 20, 2)
	files[sumsFile] = bytes.Replace(files[sumsFile], []byte(hexSHA256(files[TrainLabelsFile])), []byte(strings.Repeat("0", 64)), 1)
	srv := newFileServer(t, files)
	dir := t.TempDir()

	err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source())
	if err == nil {
		t.Fatal("Prepare accepted a file whose SHA-256 differs from SHA256SUMS")
	}
	for _, want := range []string{TrainLabelsFile, "SHA-256", "removed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	for _, path := range []string{filepath.Join(dir, TrainLabelsFile), filepath.Join(dir, TrainLabelsFile+".part")} {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was kept after failing verification", path)
		}
	}
	if DatasetReady(dir) {
		t.Error("DatasetReady after a failed Prepare")
	}
}

func hexSHA256(data []byte) string {
	sums := string(datatest.SHA256Sums(map[string][]byte{TrainLabelsFile: data}))
	return sums[:64]
}

func TestPrepareDoesNotRetryNotFound(t *testing.T) {
	files := datatest.Files(20, 10, 3)
	delete(files, TestLabelsFile)
	delete(files, sumsFile)
	srv := newFileServer(t, files)

	err := testDownloader(t, srv.Client()).Prepare(t.Context(), t.TempDir(), srv.source())
	if err == nil || !strings.Contains(err.Error(), TestLabelsFile) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want a 404 naming %s", err, TestLabelsFile)
	}
	if n := len(srv.requestsFor(TestLabelsFile)); n != 1 {
		t.Errorf("%s was requested %d times, want once (404 is final)", TestLabelsFile, n)
	}
}

func TestPrepareRetriesServerErrors(t *testing.T) {
	files := datatest.Files(20, 10, 4)
	srv := newFileServer(t, files)
	srv.intercept = func(w http.ResponseWriter, r *http.Request, name string, nth int) bool {
		switch {
		case name == TrainImagesFile && nth == 1:
			http.Error(w, "try later", http.StatusInternalServerError)
		case name == TestImagesFile && nth == 1:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			return false
		}
		return true
	}
	dir := t.TempDir()
	if err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	assertPrepared(t, dir, files, 20, 10)
	if n := len(srv.requestsFor(TrainImagesFile)); n != 2 {
		t.Errorf("%s requested %d times, want 2 (a 500, then success)", TrainImagesFile, n)
	}
	if n := len(srv.requestsFor(TestImagesFile)); n != 2 {
		t.Errorf("%s requested %d times, want 2 (a 429, then success)", TestImagesFile, n)
	}
}

func TestPrepareGivesUpAfterAttempts(t *testing.T) {
	srv := newFileServer(t, datatest.Files(20, 10, 4))
	srv.intercept = func(w http.ResponseWriter, r *http.Request, name string, nth int) bool {
		if name != TrainImagesFile {
			return false
		}
		http.Error(w, "down", http.StatusBadGateway)
		return true
	}
	err := testDownloader(t, srv.Client()).Prepare(t.Context(), t.TempDir(), srv.source())
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err = %v, want giving up after 3 attempts with 502", err)
	}
	if n := len(srv.requestsFor(TrainImagesFile)); n != 3 {
		t.Errorf("requested %d times, want 3", n)
	}
}

// cutAfter answers the first request for name with the full Content-Length
// but only the first n bytes, then drops the connection.
func cutAfter(files map[string][]byte, name string, n int) func(http.ResponseWriter, *http.Request, string, int) bool {
	return func(w http.ResponseWriter, r *http.Request, got string, nth int) bool {
		if got != name || nth != 1 {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(files[name])))
		w.Header().Set("Accept-Ranges", "bytes")
		w.WriteHeader(http.StatusOK)
		w.Write(files[name][:n])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
}

func TestPrepareResumesACutTransferWithRange(t *testing.T) {
	files := datatest.Files(300, 20, 5)
	half := len(files[TrainImagesFile]) / 2
	srv := newFileServer(t, files)
	srv.intercept = cutAfter(files, TrainImagesFile, half)
	dir := t.TempDir()

	if err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	assertPrepared(t, dir, files, 300, 20)
	reqs := srv.requestsFor(TrainImagesFile)
	if len(reqs) != 2 {
		t.Fatalf("%s requested %d times, want 2", TrainImagesFile, len(reqs))
	}
	if got := reqs[0].Header.Get("Range"); got != "" {
		t.Errorf("first request had Range %q", got)
	}
	if got, want := reqs[1].Header.Get("Range"), fmt.Sprintf("bytes=%d-", half); got != want {
		t.Errorf("second request had Range %q, want %q", got, want)
	}
}

func TestPrepareRestartsWhenTheServerIgnoresRange(t *testing.T) {
	files := datatest.Files(300, 20, 5)
	srv := newFileServer(t, files)
	cut := cutAfter(files, TrainImagesFile, len(files[TrainImagesFile])/3)
	srv.intercept = func(w http.ResponseWriter, r *http.Request, name string, nth int) bool {
		if cut(w, r, name, nth) {
			return true
		}
		if name == TrainImagesFile { // a 200 with the whole file, ignoring Range
			w.Write(files[name])
			return true
		}
		return false
	}
	dir := t.TempDir()
	if err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	assertPrepared(t, dir, files, 300, 20)
	if reqs := srv.requestsFor(TrainImagesFile); len(reqs) != 2 || reqs[1].Header.Get("Range") == "" {
		t.Errorf("want a second request with Range, got %d requests", len(reqs))
	}
}

func TestPrepareCancelledMidFileLeavesOnlyAPartFile(t *testing.T) {
	files := datatest.Files(300, 20, 6)
	srv := newFileServer(t, files)
	defer verifyNoLeaks(t, srv, goleak.IgnoreCurrent())
	sent := make(chan struct{})
	srv.intercept = func(w http.ResponseWriter, r *http.Request, name string, nth int) bool {
		if name != TrainImagesFile || nth != 1 {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(files[name])))
		w.WriteHeader(http.StatusOK)
		w.Write(files[name][:len(files[name])/2])
		w.(http.Flusher).Flush()
		close(sent)
		<-r.Context().Done() // hold the connection until the client gives up
		return true
	}
	dir := t.TempDir()
	half := int64(len(files[TrainImagesFile]) / 2)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Cancel once the client has stored the half the server sent.
		<-sent
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if info, err := os.Stat(filepath.Join(dir, TrainImagesFile+".part")); err == nil && info.Size() >= half {
				break
			}
		}
		cancel()
	}()
	err := testDownloader(t, srv.Client()).Prepare(ctx, dir, srv.source())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, TrainImagesFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("a final file exists after cancelling its download")
	}
	part, err := os.Stat(filepath.Join(dir, TrainImagesFile+".part"))
	if err != nil || part.Size() != half {
		t.Fatalf("want a .part file of %d bytes to resume, got %v, %v", half, part, err)
	}

	// The next call resumes from the .part file.
	if err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare after cancel: %v", err)
	}
	assertPrepared(t, dir, files, 300, 20)
	reqs := srv.requestsFor(TrainImagesFile)
	if want := fmt.Sprintf("bytes=%d-", half); reqs[len(reqs)-1].Header.Get("Range") != want {
		t.Errorf("resumed with Range %q, want %q", reqs[len(reqs)-1].Header.Get("Range"), want)
	}
}

func TestPrepareCancelledDuringBackoff(t *testing.T) {
	srv := newFileServer(t, datatest.Files(20, 10, 7))
	defer verifyNoLeaks(t, srv, goleak.IgnoreCurrent())
	failed := make(chan struct{}, 1)
	srv.intercept = func(w http.ResponseWriter, r *http.Request, name string, nth int) bool {
		if name != TrainImagesFile {
			return false
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		select {
		case failed <- struct{}{}:
		default:
		}
		return true
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-failed
		cancel()
	}()
	d := testDownloader(t, srv.Client())
	d.Backoff, d.MaxBackoff = time.Hour, time.Hour
	done := make(chan error, 1)
	go func() { done <- d.Prepare(ctx, t.TempDir(), srv.source()) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Prepare kept waiting out its backoff after the context was cancelled")
	}
}

func TestPrepareFromFileURLAndDirectory(t *testing.T) {
	src := t.TempDir()
	datatest.WriteDataset(t, src, 50, 20, 8)
	files := datatest.Files(50, 20, 8)
	for _, source := range []string{"file://" + src, src} {
		t.Run(source[:4], func(t *testing.T) {
			dir := t.TempDir()
			var last fmnist.DownloadProgress
			d := testDownloader(t, nil)
			d.Progress = func(p fmnist.DownloadProgress) { last = p }
			if err := d.Prepare(t.Context(), dir, source); err != nil {
				t.Fatalf("Prepare(%s): %v", source, err)
			}
			assertPrepared(t, dir, files, 50, 20)
			if last.Done != last.Total || last.Total <= 0 {
				t.Errorf("final progress %d/%d", last.Done, last.Total)
			}
		})
	}
}

// TestPrepareErrorNamesThePartFileOnce makes the file a download writes
// impossible to open (a folder has its name): the error names it once, as
// the os package already does, not twice.
func TestPrepareErrorNamesThePartFileOnce(t *testing.T) {
	src := t.TempDir()
	datatest.WriteDataset(t, src, 50, 20, 8)
	dir := t.TempDir()
	part := filepath.Join(dir, TrainImagesFile+".part")
	if err := os.Mkdir(part, 0o755); err != nil {
		t.Fatal(err)
	}
	err := testDownloader(t, nil).Prepare(t.Context(), dir, src)
	if err == nil {
		t.Fatal("Prepare succeeded with a folder where the download goes")
	}
	if n := strings.Count(err.Error(), part); n != 1 {
		t.Errorf("the error names %s %d times, want once: %v", part, n, err)
	}
}

func TestPrepareDirectorySourceIsNeverModified(t *testing.T) {
	src := t.TempDir()
	datatest.WriteDataset(t, src, 30, 10, 9)
	_, labels := datatest.Synthetic(10, 1)
	bad := datatest.EncodeLabels(labels)
	if err := os.WriteFile(filepath.Join(src, TestLabelsFile), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err := testDownloader(t, nil).Prepare(t.Context(), dir, src)
	if err == nil || !strings.Contains(err.Error(), TestLabelsFile) {
		t.Fatalf("err = %v, want a checksum failure naming %s", err, TestLabelsFile)
	}
	if got, _ := os.ReadFile(filepath.Join(src, TestLabelsFile)); !bytes.Equal(got, bad) {
		t.Error("the source's file was changed or removed")
	}
}

func TestPrepareInPlace(t *testing.T) {
	dir := t.TempDir()
	datatest.WriteDataset(t, dir, 30, 10, 10)
	if err := testDownloader(t, nil).Prepare(t.Context(), dir, dir); err != nil {
		t.Fatalf("Prepare in place: %v", err)
	}
	assertPrepared(t, dir, datatest.Files(30, 10, 10), 30, 10)

	// A corrupt file in place is reported, and kept: it is the source.
	other := t.TempDir()
	datatest.WriteDataset(t, other, 30, 10, 10)
	if err := os.WriteFile(filepath.Join(other, TrainImagesFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := testDownloader(t, nil).Prepare(t.Context(), other, other)
	if err == nil || !strings.Contains(err.Error(), TrainImagesFile) {
		t.Fatalf("err = %v, want a failure naming %s", err, TrainImagesFile)
	}
	if got, _ := os.ReadFile(filepath.Join(other, TrainImagesFile)); string(got) != "garbage" {
		t.Error("preparing in place removed the source's file")
	}
}

func TestPreparedDatasetIsNotFetchedAgain(t *testing.T) {
	files := datatest.Files(20, 10, 11)
	srv := newFileServer(t, files)
	dir := t.TempDir()
	if err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	before := srv.requestCount()
	var events int
	d := testDownloader(t, srv.Client())
	d.Progress = func(fmnist.DownloadProgress) { events++ }
	if err := d.Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("second Prepare: %v", err)
	}
	if n := srv.requestCount() - before; n != 0 {
		t.Errorf("the second Prepare made %d requests, want none", n)
	}
}

func TestPrepareKeepsVerifiedFilesAfterAnInterruptedRun(t *testing.T) {
	files := datatest.Files(20, 10, 12)
	srv := newFileServer(t, files)
	dir := t.TempDir()
	// An earlier run finished two files, then stopped before the marker.
	for _, name := range DatasetFiles[:2] {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	assertPrepared(t, dir, files, 20, 10)
	for _, name := range DatasetFiles[:2] {
		if n := len(srv.requestsFor(name)); n != 0 {
			t.Errorf("%s was fetched again (%d requests) though it was in place and verified", name, n)
		}
	}
}

func TestPrepareRejectsCountMismatch(t *testing.T) {
	files := datatest.Files(30, 10, 13)
	_, labels := datatest.Synthetic(29, 13)
	files[TrainLabelsFile] = datatest.EncodeLabels(labels)
	files[sumsFile] = datatest.SHA256Sums(files)
	srv := newFileServer(t, files)
	dir := t.TempDir()

	err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source())
	if err == nil || !strings.Contains(err.Error(), "30 images") || !strings.Contains(err.Error(), "29 labels") {
		t.Fatalf("err = %v, want 30 images vs 29 labels", err)
	}
	if DatasetReady(dir) {
		t.Error("DatasetReady after a count mismatch")
	}
	for name, wantKept := range map[string]bool{TrainImagesFile: false, TrainLabelsFile: false, TestImagesFile: true, TestLabelsFile: true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != wantKept {
			t.Errorf("%s: kept = %v, want %v", name, err == nil, wantKept)
		}
	}
}

func TestPrepareRetriesAStalledTransfer(t *testing.T) {
	files := datatest.Files(300, 20, 16)
	srv := newFileServer(t, files)
	third := len(files[TrainImagesFile]) / 3
	srv.intercept = func(w http.ResponseWriter, r *http.Request, name string, nth int) bool {
		if name != TrainImagesFile || nth != 1 {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(files[name])))
		w.WriteHeader(http.StatusOK)
		w.Write(files[name][:third])
		w.(http.Flusher).Flush()
		<-r.Context().Done() // then nothing, until the client gives up
		return true
	}
	d := testDownloader(t, srv.Client())
	d.StallTimeout = 200 * time.Millisecond
	dir := t.TempDir()
	if err := d.Prepare(t.Context(), dir, srv.source()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	assertPrepared(t, dir, files, 300, 20)
	reqs := srv.requestsFor(TrainImagesFile)
	if len(reqs) != 2 || reqs[1].Header.Get("Range") != fmt.Sprintf("bytes=%d-", third) {
		t.Errorf("want a second request resuming at %d, got %d requests", third, len(reqs))
	}
}

func TestPrepareWithoutSumsStillChecksStructure(t *testing.T) {
	files := datatest.Files(30, 10, 14)
	delete(files, sumsFile)
	_, labels := datatest.Synthetic(10, 14)
	labels[4] = 11
	files[TestLabelsFile] = datatest.EncodeLabels(labels)
	srv := newFileServer(t, files)
	dir := t.TempDir()

	err := testDownloader(t, srv.Client()).Prepare(t.Context(), dir, srv.source())
	if err == nil || !strings.Contains(err.Error(), TestLabelsFile) || !strings.Contains(err.Error(), "label 11") {
		t.Fatalf("err = %v, want label 11 of %s", err, TestLabelsFile)
	}
	if _, err := os.Stat(filepath.Join(dir, TestLabelsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("the invalid file was kept")
	}

	// Without SHA256SUMS but with valid files, Prepare succeeds.
	good := datatest.Files(30, 10, 14)
	delete(good, sumsFile)
	srv2 := newFileServer(t, good)
	if err := testDownloader(t, srv2.Client()).Prepare(t.Context(), dir, srv2.source()); err != nil {
		t.Fatalf("Prepare without SHA256SUMS: %v", err)
	}
	assertPrepared(t, dir, good, 30, 10)
}

func TestPrepareFallsBackToTheNextMirror(t *testing.T) {
	files := datatest.Files(20, 10, 15)
	broken := newFileServer(t, files)
	broken.intercept = func(w http.ResponseWriter, r *http.Request, name string, nth int) bool {
		switch name {
		case TrainImagesFile:
			http.NotFound(w, r)
		case TestImagesFile:
			w.Write([]byte("<html>not the file</html>"))
		default:
			return false
		}
		return true
	}
	good := newFileServer(t, files)
	d := testDownloader(t, good.Client())
	src := datasetSource{mirrors: []mirror{
		{label: broken.source(), fetch: &httpFetcher{base: broken.source(), client: broken.Client()}},
		{label: good.source(), fetch: &httpFetcher{base: good.source(), client: good.Client()}},
	}}
	dir := t.TempDir()
	if err := d.prepare(t.Context(), dir, src, d.logger()); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	assertPrepared(t, dir, files, 20, 10)
	if n := len(broken.requestsFor(TrainImagesFile)); n != 1 {
		t.Errorf("the 404 mirror was asked %d times for %s, want once", n, TrainImagesFile)
	}
	for _, name := range []string{TrainImagesFile, TestImagesFile} {
		if n := len(good.requestsFor(name)); n != 1 {
			t.Errorf("the fallback mirror was asked %d times for %s, want once", n, name)
		}
	}
	if n := len(good.requestsFor(TrainLabelsFile)); n != 0 {
		t.Errorf("the fallback mirror was asked for %s, which the first mirror served", TrainLabelsFile)
	}
}

func TestParseSource(t *testing.T) {
	src, err := parseSource("", nil)
	if err != nil || !src.official || len(src.mirrors) != 2 || src.mirrors[0].label != OfficialMirrors[0] {
		t.Errorf("default source = %+v, %v; want the official mirrors", src, err)
	}
	if !strings.Contains(OfficialMirrors[0], "fashion-mnist.s3-website.eu-central-1.amazonaws.com") ||
		!strings.Contains(OfficialMirrors[1], "raw.githubusercontent.com/zalandoresearch/fashion-mnist") {
		t.Errorf("official mirrors changed: %v", OfficialMirrors)
	}
	for _, bad := range []string{"ftp://example.com/data/", "file://host/tmp", "http:///nohost", filepath.Join(t.TempDir(), "missing")} {
		if _, err := parseSource(bad, nil); err == nil {
			t.Errorf("parseSource(%q) accepted it", bad)
		}
	}
}

func TestVerifyFileWithOfficialMD5(t *testing.T) {
	official := filepath.Join(datatest.SharedDir(t), TestLabelsFile)
	v, err := verifyFile(official, TestLabelsFile, checksums{md5: officialMD5})
	if err != nil || v.count != officialTestCount {
		t.Errorf("verifyFile(official t10k labels) = %+v, %v; want %d labels", v, err, officialTestCount)
	}
	// A valid IDX file with the wrong content fails on the MD5.
	_, labels := datatest.Synthetic(10, 1)
	path := writeTemp(t, TestLabelsFile, datatest.EncodeLabels(labels))
	if _, err := verifyFile(path, TestLabelsFile, checksums{md5: officialMD5}); err == nil || !strings.Contains(err.Error(), "MD5") {
		t.Errorf("err = %v, want an MD5 mismatch", err)
	}
}

func TestParseSHA256Sums(t *testing.T) {
	files := datatest.Files(10, 10, 1)
	sums, err := parseSHA256Sums(files[sumsFile])
	if err != nil || len(sums) != 4 {
		t.Fatalf("parseSHA256Sums = %v, %v", sums, err)
	}
	binaryMode := strings.Replace(string(files[sumsFile]), "  "+TrainImagesFile, " *"+TrainImagesFile, 1)
	if _, err := parseSHA256Sums([]byte(binaryMode)); err != nil {
		t.Errorf("binary-mode line rejected: %v", err)
	}
	missing := strings.Join(strings.Split(string(files[sumsFile]), "\n")[1:], "\n")
	if _, err := parseSHA256Sums([]byte(missing)); err == nil || !strings.Contains(err.Error(), TrainImagesFile) {
		t.Errorf("err = %v, want a missing entry for %s", err, TrainImagesFile)
	}
	if _, err := parseSHA256Sums([]byte("not a checksum line\n")); err == nil {
		t.Error("garbage accepted")
	}
}

// The real dataset, through a directory source with SHA256SUMS, into a
// temporary directory.
func TestPrepareSharedFashionMNIST(t *testing.T) {
	shared := datatest.SharedDir(t)
	dir := t.TempDir()
	if err := testDownloader(t, nil).Prepare(t.Context(), dir, shared); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	// Prepare decoded every file to count it; reading the counts it
	// recorded avoids decoding 55 MB a second time.
	m, err := readVerifiedMarker(dir)
	if err != nil || !DatasetReady(dir) {
		t.Fatalf("not ready after Prepare: %v", err)
	}
	if m.TrainCount != 60000 || m.TestCount != 10000 {
		t.Errorf("counts %d/%d, want 60000/10000", m.TrainCount, m.TestCount)
	}
	for _, name := range DatasetFiles {
		if len(m.SHA256[name]) != 64 {
			t.Errorf("no SHA-256 recorded for %s", name)
		}
	}
}

func BenchmarkLoadSharedFashionMNIST(b *testing.B) {
	shared := datatest.SharedDir(b)
	for b.Loop() {
		if _, err := LoadDataset(shared); err != nil {
			b.Fatal(err)
		}
	}
}
