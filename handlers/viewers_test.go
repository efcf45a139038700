package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
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
	stalled := dialStalled(t, a.addr(), "/events?after="+itoa(int64(backlog)))
	// Close it before the server stops, which waits for its handler.
	t.Cleanup(func() { stalled.Close() })
	start := a.status().LastEventID

	viewers := make([]*sseClient, 50)
	for i := range viewers {
		viewers[i] = connectSSE(t, a.client, a.URL("/events?after="+itoa(int64(start))), "")
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
		loss := named(evs, "loss")
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
