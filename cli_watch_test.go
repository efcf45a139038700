package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fmnist/trainer/internal/sseclient"
)

// TestWatchResumesAfterDroppedConnections follows a run with `fmnist watch`
// through a proxy that cuts every connection twice mid-run and refuses new
// ones for a moment: watch reconnects, resumes with Last-Event-ID, prints
// every log line of the run exactly once and exits 0 when the run finishes.
func TestWatchResumesAfterDroppedConnections(t *testing.T) {
	dataDir := t.TempDir()
	var out bytes.Buffer
	if code := runPrepare(context.Background(), []string{"--data-dir", dataDir, "--dataset-url", syntheticSource(t, 2048, 128)}, &out, &out); code != 0 {
		t.Fatalf("prepare exited %d: %s", code, out.String())
	}
	// The proxy has a port of its own: the server must answer to it.
	port, serveLog, stopServe := serveInBackground(t, "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--allowed-hosts", "127.0.0.1")
	defer func() {
		if code := stopServe(); code != 0 {
			t.Errorf("serve exited %d:\n%s", code, serveLog.tail(2000))
		}
	}()
	server := "http://127.0.0.1:" + port
	proxy := startCutProxy(t, "127.0.0.1:"+port)

	// The reference: every log line of the stream, read directly.
	refCtx, stopRef := context.WithCancel(context.Background())
	defer stopRef()
	var refMu sync.Mutex
	var refLines []string
	refDone := make(chan struct{})
	go func() {
		defer close(refDone)
		ref := &sseclient.Client{URL: server + "/events?format=json"}
		_ = ref.Run(refCtx, func(e sseclient.Event) error {
			var l struct{ Message string }
			if e.Name == "log" && json.Unmarshal([]byte(e.Data), &l) == nil {
				refMu.Lock()
				refLines = append(refLines, l.Message)
				refMu.Unlock()
			}
			return nil
		})
	}()
	defer func() { stopRef(); <-refDone }()

	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	exited := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { exited <- run(ctx, []string{"watch", "--addr", proxy.url()}, stdout, stderr) }()
	waitFor(t, "watch to wait for a run", func() bool { return strings.Contains(stderr.tail(1<<20), "Waiting for a run") })
	// Both streams open before the run starts: each sees its first line.
	waitFor(t, "two viewers", func() bool { return serverStatus(t, server).Viewers == 2 })

	resp, err := http.Post(server+"/api/training", "application/json", strings.NewReader(`{"epochs":4,"batch_size":4}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/training: %s", resp.Status)
	}
	for _, after := range []int64{10, 40} {
		waitFor(t, "loss events through the proxy", func() bool { return proxy.lossEvents.Load() >= after })
		if st := serverStatus(t, server).Training.Status; st != "training" {
			t.Fatalf("the run is %s already: it ended before the cut", st)
		}
		proxy.cut(300 * time.Millisecond)
	}

	var code int
	select {
	case code = <-exited:
	case <-time.After(90 * time.Second):
		t.Fatalf("watch did not exit after the run; stdout:\n%s\nstderr:\n%s", stdout.tail(4000), stderr.tail(4000))
	}
	if code != 0 {
		t.Errorf("watch exited %d, want 0; stderr:\n%s", code, stderr.tail(4000))
	}
	printed := stdout.tail(1 << 20)
	if !strings.HasSuffix(printed, "Run 1 finished: test accuracy 100.00%\n") {
		t.Errorf("watch should end with the run's end and its accuracy:\n%s", printed)
	}
	if n := strings.Count(stderr.tail(1<<20), "Lost the connection"); n < 2 {
		t.Errorf("watch noticed %d drops, want 2 at least; stderr:\n%s", n, stderr.tail(4000))
	}
	if reqs := proxy.requestsWithLastEventID(); reqs < 2 {
		t.Errorf("%d requests resumed with Last-Event-ID, want 2 at least", reqs)
	}

	// Every log line once, in order, as the uninterrupted reader got them.
	waitFor(t, "the reference to see the run's end", func() bool {
		refMu.Lock()
		defer refMu.Unlock()
		return len(refLines) > 0 && strings.HasPrefix(refLines[len(refLines)-1], "Training finished")
	})
	var got []string
	logLine := regexp.MustCompile(`^\d\d:\d\d:\d\d \w+ +(.*)$`)
	for _, l := range strings.Split(printed, "\n") {
		if m := logLine.FindStringSubmatch(l); m != nil {
			got = append(got, m[1])
		}
	}
	refMu.Lock()
	want := slices.Clone(refLines)
	refMu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("watch printed %d log lines, the stream had %d:\ngot  %q\nwant %q", len(got), len(want), got, want)
	}

	// A run that has ended: its end at once. An unknown run: an error.
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--run", "1"}, 0, "Run 1 finished"},
		{[]string{"--run", "7"}, 1, "404 Not Found"},
		{[]string{"--run", "x"}, exitUsage, "invalid value"},
		{[]string{"--addr", "ftp://x"}, exitUsage, "want the server's URL"},
	} {
		var o, e bytes.Buffer
		if code := run(context.Background(), append([]string{"watch", "--addr", server}, c.args...), &o, &e); code != c.code ||
			!strings.Contains(o.String()+e.String(), c.out) {
			t.Errorf("watch %v: exit %d, want %d with %q; said:\n%s%s", c.args, code, c.code, c.out, o.String(), e.String())
		}
	}
}

// serverStatus reads /api/status.
func serverStatus(t *testing.T, server string) (st struct {
	Training struct{ Status string }
	Viewers  int
}) {
	t.Helper()
	resp, err := http.Get(server + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cutProxy forwards TCP connections to a server and can cut them all.
type cutProxy struct {
	ln         net.Listener
	target     string
	lossEvents atomic.Int64 // "event: loss" lines seen going to clients
	wg         sync.WaitGroup

	mu          sync.Mutex
	conns       []net.Conn
	refuseUntil time.Time
	requests    []string // the start of each request
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut(0)
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := time.Now().Before(p.refuseUntil)
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		i := len(p.requests)
		p.requests = append(p.requests, "")
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			p.pipe(s, c, func(b []byte) {
				p.mu.Lock()
				if len(p.requests[i]) < 1024 {
					p.requests[i] += string(b)
				}
				p.mu.Unlock()
			})
		}()
		go func() {
			defer p.wg.Done()
			p.pipe(c, s, func(b []byte) { p.lossEvents.Add(int64(bytes.Count(b, []byte("event: loss")))) })
		}()
	}
}

// pipe copies from src to dst, showing each chunk to see, until either
// side closes; then it closes both.
func (p *cutProxy) pipe(dst, src net.Conn, see func([]byte)) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			see(buf[:n])
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes every connection and refuses new ones for d.
func (p *cutProxy) cut(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuseUntil = time.Now().Add(d)
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// requestsWithLastEventID counts the requests that resumed.
func (p *cutProxy) requestsWithLastEventID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.requests {
		if strings.Contains(strings.ToLower(r), "\nlast-event-id: ") {
			n++
		}
	}
	return n
}

// TestWatchExitStatus: a failed run exits 1, Ctrl-C exits 130. The server
// is a stand-in that sends what /events?format=json would.
func TestWatchExitStatus(t *testing.T) {
	fail := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/status" {
			fmt.Fprint(w, `{"training":{"status":"finished","run_id":2}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "id: 1\nevent: status\ndata: {\"training\":{\"status\":\"finished\",\"run_id\":2}}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-fail:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "id: 2\nevent: log\ndata: {\"time\":\"2026-01-02T03:04:05Z\",\"level\":\"info\",\"message\":\"Training started\",\"run\":3}\n\n")
		fmt.Fprint(w, "id: 3\nevent: status\ndata: {\"training\":{\"status\":\"training\",\"run_id\":3}}\n\n")
		fmt.Fprint(w, "id: 4\nevent: status\ndata: {\"training\":{\"status\":\"failed\",\"reason\":\"the loss diverged\",\"run_id\":3}}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer ts.Close()

	watch := func(ctx context.Context) (chan int, *lockedBuffer, *lockedBuffer) {
		stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
		code := make(chan int, 1)
		go func() { code <- run(ctx, []string{"watch", "--addr", ts.URL}, stdout, stderr) }()
		waitFor(t, "watch to wait", func() bool { return strings.Contains(stderr.tail(1000), "Waiting for a run") })
		return code, stdout, stderr
	}
	ctx, cancel := context.WithCancel(context.Background())
	code, _, stderr := watch(ctx)
	time.Sleep(50 * time.Millisecond)
	cancel()
	if c := <-code; c != exitInterrupted {
		t.Errorf("Ctrl-C: exit %d, want %d; stderr:\n%s", c, exitInterrupted, stderr.tail(1000))
	}

	code, stdout, stderr := watch(context.Background())
	close(fail)
	if c := <-code; c != 1 || !strings.HasSuffix(stdout.tail(1000), "Run 3 failed: the loss diverged\n") {
		t.Errorf("a failed run: exit %d, want 1; stdout:\n%s\nstderr:\n%s", c, stdout.tail(1000), stderr.tail(1000))
	}
}
