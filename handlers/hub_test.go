package handlers_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/handlers"
)

// startHub serves a bare hub; it closes at the end of the test.
func startHub(t *testing.T, smallSocketBuffers bool) (*handlers.Hub, *httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	hub := handlers.NewHub(slog.New(slog.NewTextHandler(logs, nil)))
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
	c := connectSSE(t, ts.Client(), ts.URL+"?after="+itoa(int64(before)), "")
	fragment := "<li>\n  first line\n\n  <b>third</b>\n</li>"
	hub.Send("log", []byte(fragment))
	hub.Send("loss", []byte(`{"run":1,"epoch":0.5,"loss":0.4}`))
	evs := c.WaitFor(t, "two events", 5*time.Second, func(evs []sseEvent) bool { return len(evs) >= 2 })
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
		c := connectSSE(t, ts.Client(), ts.URL, "")
		want := fmt.Sprintf("event %d", i)
		hub.Send("log", []byte(want))
		c.WaitFor(t, want, 5*time.Second, func(evs []sseEvent) bool {
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

	datas := func(evs []sseEvent) string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Data)
		}
		return strings.Join(out, " ")
	}
	check := func(what, lastID, query, want string) {
		t.Helper()
		c := connectSSE(t, ts.Client(), ts.URL+query, lastID)
		n := len(strings.Fields(want))
		evs := c.WaitFor(t, what, 5*time.Second, func(evs []sseEvent) bool { return len(evs) >= n })
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
	check("resume from an id of an earlier process", "5", "", "l1 s2 l2 l3")

	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	req.Header.Set("Last-Event-ID", "abc")
	if r := doWith(t, ts.Client(), req); r.Status != http.StatusBadRequest {
		t.Errorf("Last-Event-ID abc: status %d, want 400", r.Status)
	}
}

func TestHubCloseEndsStreams(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	c := connectSSE(t, ts.Client(), ts.URL, "")
	hub.Close()
	select {
	case <-c.done:
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
	clients := make([]*sseClient, 50)
	for i := range clients {
		clients[i] = connectSSE(t, ts.Client(), ts.URL+"?after="+itoa(int64(after)), "")
	}
	if hub.Viewers() != 50 {
		t.Errorf("hub counts %d viewers, want 50", hub.Viewers())
	}
	const events = 200
	for i := range events {
		hub.Send("loss", []byte(fmt.Sprintf(`{"run":1,"epoch":%d,"loss":1}`, i)))
	}
	for i, c := range clients {
		evs := c.WaitFor(t, "every event", 10*time.Second, func(evs []sseEvent) bool { return len(evs) >= events })
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
	stalled := dialStalled(t, ts.Listener.Addr().String(), "/")
	defer stalled.Close()
	reader := connectSSE(t, ts.Client(), ts.URL+"?after="+itoa(int64(hub.LastID())), "")

	payload := strings.Repeat("x", 200)
	const events, burst = 6000, 250
	for sent := 0; sent < events; sent += burst {
		for range burst {
			hub.Send("log", []byte(payload))
		}
		reader.WaitFor(t, "the burst", 10*time.Second, func(evs []sseEvent) bool { return len(evs) >= sent+burst })
	}
	if !strings.Contains(logs.String(), "dropped a viewer") {
		t.Errorf("the stalled viewer should have been dropped; hub log:\n%s", logs.String())
	}
}

// dialStalled opens GET path on addr with a small receive buffer and
// never reads the answer.
func dialStalled(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	dialer := net.Dialer{Control: setSmallReceiveBuffer}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr); err != nil {
		t.Fatal(err)
	}
	// Read the status line only, to know the stream is open.
	line, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
	if err != nil || !strings.Contains(line, "200") {
		t.Fatalf("stalled viewer: %q, %v", line, err)
	}
	return conn
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
