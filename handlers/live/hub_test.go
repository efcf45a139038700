package live_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/handlers/live"
)

// startHub serves a bare hub; it closes at the end of the test.
func startHub(t *testing.T, smallSocketBuffers bool) (*live.Hub, *httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	hub := live.NewHub(slog.New(slog.NewTextHandler(logs, nil)))
	hub.Snapshot("status")
	ts := httptest.NewUnstartedServer(hub)
	if smallSocketBuffers {
		ts.Config.ConnState = func(c net.Conn, s http.ConnState) {
			if tc, ok := c.(*net.TCPConn); ok && s == http.StateNew {
				_ = tc.SetWriteBuffer(4096)
			}
		}
	}
	ts.Start()
	t.Cleanup(func() {
		hub.Close()
		ts.Close()
	})
	return hub, ts, logs
}

func TestHubSplitsMultiLineDataAndNumbersEvents(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	before := hub.LastID()
	c := ssetest.Connect(t, ts.Client(), ts.URL+"?after="+itoa(int64(before)), "")
	fragment := "<li>\n  first line\n\n  <b>third</b>\n</li>"
	hub.Send("log", []byte(fragment))
	hub.Send("loss", []byte(`{"run":1,"epoch":0.5,"loss":0.4}`))
	evs := c.WaitFor(t, "two events", 5*time.Second, func(evs []ssetest.Event) bool { return len(evs) >= 2 })
	if evs[0].Name != "log" || evs[0].Data != fragment || evs[0].DataLines != 5 {
		t.Errorf("multi-line event came back as %+v; want the fragment in 5 data lines", evs[0])
	}
	if evs[1].Name != "loss" || evs[1].DataLines != 1 {
		t.Errorf("second event = %+v", evs[1])
	}
	if !evs[0].HasID || !evs[1].HasID || evs[0].ID != before+1 || evs[1].ID != before+2 || hub.LastID() != before+2 {
		t.Errorf("event ids %d, %d (last %d) should follow %d", evs[0].ID, evs[1].ID, hub.LastID(), before)
	}
}

// TestHubNewViewerGetsEverythingOnceConnected sends an event right after
// a viewer's response headers arrived: it must reach the viewer, even if
// the stream's subscription is still being set up.
func TestHubNewViewerGetsEverythingOnceConnected(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	for i := range 100 {
		c := ssetest.Connect(t, ts.Client(), ts.URL, "")
		want := fmt.Sprintf("event %d", i)
		hub.Send("log", []byte(want))
		c.WaitFor(t, want, 5*time.Second, func(evs []ssetest.Event) bool {
			for _, e := range evs {
				if e.Data == want {
					return true
				}
			}
			return false
		})
		c.Close()
	}
}

func TestHubResumesAfterLastEventID(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	hub.Send("status", []byte("s1"))
	hub.Send("log", []byte("l1"))
	l1 := hub.LastID()
	hub.Send("status", []byte("s2"))
	hub.Send("log", []byte("l2"))
	s2l2 := hub.LastID()
	hub.Send("log", []byte("l3"))

	check := func(what, lastID, query, want string) {
		t.Helper()
		c := ssetest.Connect(t, ts.Client(), ts.URL+query, lastID)
		n := len(strings.Fields(want))
		evs := c.WaitFor(t, what, 5*time.Second, func(evs []ssetest.Event) bool { return len(evs) >= n })
		// Anything extra would arrive right behind the replay.
		time.Sleep(50 * time.Millisecond)
		if got := datas(c.Events()); got != want {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].ID <= evs[i-1].ID {
				t.Errorf("%s: ids not increasing: %d then %d", what, evs[i-1].ID, evs[i].ID)
			}
		}
		c.Close()
	}
	check("a new viewer", "", "", "s2")
	check("resume after l1 (header)", itoa(int64(l1)), "", "s2 l2 l3")
	check("resume after l1 (query)", "", "?after="+itoa(int64(l1)), "s2 l2 l3")
	check("resume after l2", itoa(int64(s2l2)), "", "l3")
	// An id of another process: what it missed is not here; without a
	// catch-up (the web layer sets one) it is treated as a new viewer.
	check("resume from an id of an earlier process", "5", "", "s2")
	check("resume from an id never issued", itoa(int64(hub.LastID()+1000)), "", "s2")

	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	req.Header.Set("Last-Event-ID", "abc")
	if r := doWith(t, ts.Client(), req); r.Status != http.StatusBadRequest {
		t.Errorf("Last-Event-ID abc: status %d, want 400", r.Status)
	}
}

func TestHubCloseEndsStreams(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	c := ssetest.Connect(t, ts.Client(), ts.URL, "")
	hub.Close()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the stream")
	}
	last := hub.LastID()
	hub.Send("log", []byte("after close"))
	if hub.LastID() != last {
		t.Error("Send after Close published an event")
	}
	if r := doWith(t, ts.Client(), mustRequest(t, ts.URL)); r.Status != http.StatusServiceUnavailable {
		t.Errorf("GET after Close: status %d, want 503", r.Status)
	}
}

// TestHubViewersLeaveNoGoroutines connects 50 viewers, checks each gets
// every event, disconnects them and checks that nothing stays behind.
func TestHubViewersLeaveNoGoroutines(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	ignore := goleak.IgnoreCurrent()
	after := hub.LastID()
	clients := make([]*ssetest.Client, 50)
	for i := range clients {
		clients[i] = ssetest.Connect(t, ts.Client(), ts.URL+"?after="+itoa(int64(after)), "")
	}
	if hub.Viewers() != 50 {
		t.Errorf("hub counts %d viewers, want 50", hub.Viewers())
	}
	const events = 200
	for i := range events {
		hub.Send("loss", []byte(fmt.Sprintf(`{"run":1,"epoch":%d,"loss":1}`, i)))
	}
	for i, c := range clients {
		evs := c.WaitFor(t, "every event", 10*time.Second, func(evs []ssetest.Event) bool { return len(evs) >= events })
		for j, e := range evs {
			if want := fmt.Sprintf(`{"run":1,"epoch":%d,"loss":1}`, j); e.Data != want {
				t.Fatalf("viewer %d event %d = %q, want %q", i, j, e.Data, want)
			}
		}
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for hub.Viewers() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := hub.Viewers(); n != 0 {
		t.Errorf("%d viewers still counted after all left", n)
	}
	ts.Client().Transport.(*http.Transport).CloseIdleConnections()
	goleak.VerifyNone(t, ignore)
}

// TestHubDropsStalledViewer keeps one viewer that never reads: the others
// get every event, and the stalled one is dropped once its buffer is full.
func TestHubDropsStalledViewer(t *testing.T) {
	hub, ts, logs := startHub(t, true)
	stalled := ssetest.DialStalled(t, ts.Listener.Addr().String(), "/")
	defer stalled.Close()
	reader := ssetest.Connect(t, ts.Client(), ts.URL+"?after="+itoa(int64(hub.LastID())), "")

	payload := strings.Repeat("x", 200)
	const events, burst = 6000, 250
	for sent := 0; sent < events; sent += burst {
		for range burst {
			hub.Send("log", []byte(payload))
		}
		reader.WaitFor(t, "the burst", 10*time.Second, func(evs []ssetest.Event) bool { return len(evs) >= sent+burst })
	}
	if !strings.Contains(logs.String(), "dropped a viewer") {
		t.Errorf("the stalled viewer should have been dropped; hub log:\n%s", logs.String())
	}
}

// TestHubLogsOnlyViewersThatStoppedReading has fifty viewers come and go
// while events flow and one viewer that never reads: only the stalled one
// is logged as dropped, and the server closes its connection at once.
func TestHubLogsOnlyViewersThatStoppedReading(t *testing.T) {
	hub, ts, logs := startHub(t, true)
	stalled := ssetest.DialStalled(t, ts.Listener.Addr().String(), "/") // viewer-1
	defer stalled.Close()

	stop := make(chan struct{})
	sent := make(chan int)
	go func() {
		n := 0
		defer func() { sent <- n }()
		for {
			select {
			case <-stop:
				return
			default:
				hub.Send("log", []byte("tick"))
				n++
				time.Sleep(20 * time.Microsecond)
			}
		}
	}()
	for range 50 {
		c := ssetest.Connect(t, ts.Client(), ts.URL, "")
		c.WaitFor(t, "an event", 5*time.Second, func(evs []ssetest.Event) bool { return len(evs) > 0 })
		c.Close()
	}
	close(stop)
	t.Logf("%d events sent while the viewers came and went", <-sent)
	// Make sure the stalled viewer's buffer overflows.
	for range hubBufferEvents + 100 {
		hub.Send("log", []byte("tick"))
	}
	waitViewers(t, hub, 0, 5*time.Second)
	ssetest.WaitClosedByServer(t, stalled, 5*time.Second)

	var drops []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "dropped a viewer") {
			drops = append(drops, line)
		}
	}
	if len(drops) != 1 || !strings.Contains(drops[0], "stream=viewer-1 ") {
		t.Errorf("want one drop logged, of the stalled viewer-1; got %d:\n%s", len(drops), strings.Join(drops, "\n"))
	}
}

// TestHubDropsViewerWhoseWriteTimesOut stalls a viewer with fewer events
// than its buffer holds but more than its socket does: the blocked write
// times out, and that is a drop too, logged and ending the connection.
func TestHubDropsViewerWhoseWriteTimesOut(t *testing.T) {
	hub, ts, logs := startHub(t, true)
	hub.SetWriteTimeout(200 * time.Millisecond)
	stalled := ssetest.DialStalled(t, ts.Listener.Addr().String(), "/")
	defer stalled.Close()
	payload := strings.Repeat("x", 1000)
	for range 500 { // 500 kB: far more than the sockets hold
		hub.Send("log", []byte(payload))
	}
	waitViewers(t, hub, 0, 5*time.Second)
	ssetest.WaitClosedByServer(t, stalled, 5*time.Second)
	if log := logs.String(); !strings.Contains(log, "dropped a viewer") || !strings.Contains(log, "timed out") {
		t.Errorf("the viewer whose write timed out should be logged as dropped; hub log:\n%s", log)
	}
}

// hubBufferEvents is how many events wait for one viewer before it counts
// as stalled (hubBuffer in hub.go).
const hubBufferEvents = 4096

// waitViewers waits until the hub counts n viewers: a viewer's handler has
// returned once it is no longer counted.
func waitViewers(t *testing.T, hub *live.Hub, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for hub.Viewers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the hub counts %d viewers after %v, want %d", hub.Viewers(), within, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// syncBuffer collects the hub's log.
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

// response is a read HTTP response.
type response struct {
	Status int
	Body   string
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
	return response{Status: resp.StatusCode, Body: string(body)}
}
