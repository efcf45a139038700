package handlers_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/handlers/live"
)

// TestFiftyViewersAndAStalledOne watches a short run with 50 viewers and
// one that connects but never reads (over small socket buffers): every
// reading viewer gets every loss point, and the run finishes regardless.
func TestFiftyViewersAndAStalledOne(t *testing.T) {
	a := startApp(t, appConfig{prepared: true, smallSocketBuffers: true})
	// A backlog of earlier events that the stalled viewer is sent at once
	// and never reads: more than its socket and r3labs' per-connection
	// queue hold, so the server is blocked writing to it from the start.
	backlog := a.status().LastEventID
	for i := range 200 {
		a.Web.Hub().Send("log", []byte(`<li>earlier event `+itoa(int64(i))+strings.Repeat(".", 200)+`</li>`))
	}
	stalled := ssetest.DialStalled(t, a.addr(), "/events?after="+itoa(int64(backlog)))
	// Close it before the server stops, which waits for its handler.
	t.Cleanup(func() { stalled.Close() })
	start := a.status().LastEventID

	viewers := make([]*ssetest.Client, 50)
	for i := range viewers {
		viewers[i] = ssetest.Connect(t, a.client, a.URL("/events?after="+itoa(int64(start))), "")
	}
	if st := a.status(); st.Viewers != 51 {
		t.Errorf("status counts %d viewers, want 51", st.Viewers)
	}

	runID := a.startTraining(`{"epochs":2,"batch_size":16}`)
	st := a.waitRunEnded(runID, 60*time.Second)
	if st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("the run ended as %q (%s), want finished", st.Training.Status, st.Training.Reason)
	}
	waitQuiet(t, a, viewers...)

	run := a.run(runID)
	if len(run.Points) == 0 {
		t.Fatal("the run has no loss points")
	}
	for i, v := range viewers {
		evs := v.Events()
		loss := ssetest.Named(evs, "loss")
		if len(loss) != len(run.Points) {
			t.Errorf("viewer %d got %d loss points, the run has %d", i, len(loss), len(run.Points))
			continue
		}
		for j, e := range loss {
			var p lossEventJSON
			if err := json.Unmarshal([]byte(e.Data), &p); err != nil || p.Run != runID ||
				p.Epoch != run.Points[j].Epoch || p.Loss != run.Points[j].Loss {
				t.Errorf("viewer %d loss point %d = %s, want %+v of run %d", i, j, e.Data, run.Points[j], runID)
				break
			}
		}
		if i == 0 {
			checkStream(t, "viewer 0", evs, runID)
		}
	}

	// Viewers that leave are no longer counted.
	for _, v := range viewers {
		v.Close()
	}
	stalled.Close()
	a.waitStatus("the viewers to leave", 15*time.Second, func(st statusJSON) bool { return st.Viewers == 0 })
}

// TestStalledViewerIsDroppedAndResumes has a viewer stop reading (over small
// socket buffers) while more events are published than its buffer holds,
// as a long run's progress and log do: the server drops it and closes its
// connection at once, and the viewer, resuming with Last-Event-ID, gets
// exactly the events after the last one it read (of the progress panel,
// only the newest).
func TestStalledViewerIsDroppedAndResumes(t *testing.T) {
	a := startApp(t, appConfig{prepared: true, smallSocketBuffers: true})
	hub := a.Web.Hub()
	start := hub.LastID()
	stalled := ssetest.DialUnread(t, a.addr(), "/events?after="+itoa(int64(start)))
	t.Cleanup(func() { stalled.Close() })
	waitViewers(t, hub, 1, 5*time.Second)

	var sent []ssetest.Event
	send := func(name, data string) {
		hub.Send(name, []byte(data))
		sent = append(sent, ssetest.Event{ID: hub.LastID(), HasID: true, Name: name, Data: data})
	}
	// First more than the sockets hold, so that the server's write to the
	// viewer blocks, as it does once a viewer has stopped reading for a while.
	for i := range 300 {
		send("log", fmt.Sprintf(`<li>line %d %s</li>`, i, strings.Repeat(".", 200)))
	}
	time.Sleep(200 * time.Millisecond)
	// Then more than its buffer holds: a run's progress panels and log lines.
	for i := range 6000 {
		if i%2 == 0 {
			send("progress", fmt.Sprintf(`<section id="progress-panel">batch %d</section>`, i))
		} else {
			send("log", fmt.Sprintf(`<li>line %d</li>`, 300+i))
		}
	}
	// Dropped: its handler returned, long before the 10 s write timeout.
	waitViewers(t, hub, 0, 5*time.Second)
	if !strings.Contains(a.logs.String(), "dropped a viewer") {
		t.Errorf("the stalled viewer's drop was not logged")
	}

	// What the stalled viewer got before the server closed its connection.
	_ = stalled.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(stalled), nil)
	if err != nil {
		t.Fatalf("read the stalled viewer's response: %v", err)
	}
	got := ssetest.ReadAll(resp.Body)
	if err := got.Err(); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server did not close the stalled viewer's connection: %v", err)
	}
	before := got.Events()
	for i, e := range before {
		if e.DataLines = 0; e != sent[i] {
			t.Fatalf("the stalled viewer's event %d is %+v, want %+v", i, e, sent[i])
		}
	}
	lastSeen := start
	if len(before) > 0 {
		lastSeen = before[len(before)-1].ID
	}
	t.Logf("the stalled viewer read %d of %d events before it was dropped", len(before), len(sent))

	// Resuming: every log line after lastSeen and the newest progress panel.
	var want []ssetest.Event
	for i, e := range sent {
		if e.ID > lastSeen && (e.Name == "log" || i == len(sent)-2) {
			want = append(want, e)
		}
	}
	back := ssetest.Connect(t, a.client, a.URL("/events"), itoa(int64(lastSeen)))
	back.WaitFor(t, "the events after "+itoa(int64(lastSeen)), 10*time.Second, func(evs []ssetest.Event) bool { return len(evs) >= len(want) })
	time.Sleep(200 * time.Millisecond) // anything extra would follow right behind
	resumed := back.Events()
	if len(resumed) != len(want) {
		t.Fatalf("resuming after %d: got %d events, want %d", lastSeen, len(resumed), len(want))
	}
	for i, e := range resumed {
		if e.DataLines = 0; e != want[i] {
			t.Fatalf("resuming after %d: event %d is %+v, want %+v", lastSeen, i, e, want[i])
		}
	}
}

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
