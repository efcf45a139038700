package handlers_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/ml/train"
)

// replayable are the events a resuming viewer gets all of; of the others
// (snapshots of a panel) it gets only the newest.
var replayable = map[string]bool{"loss": true, "log": true, "epoch": true, "confusion": true}

// lossEventJSON is the "loss" event's payload.
type lossEventJSON struct {
	Run   int64   `json:"run"`
	Epoch float64 `json:"epoch"`
	Loss  float64 `json:"loss"`
}

type epochEventJSON struct {
	Run          int64   `json:"run"`
	Epoch        int     `json:"epoch"`
	TestAccuracy float64 `json:"test_accuracy"`
	TestLoss     float64 `json:"test_loss"`
}

// waitQuiet waits until the hub stops publishing (the run's last batch of
// events went out) and every client has received the last event.
func waitQuiet(t *testing.T, a *testApp, clients ...*ssetest.Client) uint64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		last := a.Web.Hub().LastID()
		for _, c := range clients {
			c.WaitFor(t, "event "+itoa(int64(last)), time.Until(deadline), func(evs []ssetest.Event) bool {
				return len(evs) > 0 && evs[len(evs)-1].ID >= last
			})
		}
		time.Sleep(300 * time.Millisecond) // three pump intervals
		if a.Web.Hub().LastID() == last {
			return last
		}
	}
}

// checkStream checks what every stream must satisfy: each event has an id,
// ids grow, names are known, payloads parse.
func checkStream(t *testing.T, who string, evs []ssetest.Event, runID int64) {
	t.Helper()
	known := map[string]string{
		"status": `id="status-line"`, "progress": `id="progress`, "dataset": `id="dataset-panel"`,
		"predictions": `id="predictions-panel"`, "log": "<", "loss": "", "epoch": "", "confusion": `id="confusion-panel"`, "warning": `class="warning`,
		"system": `id="system-panel"`,
	}
	for i, e := range evs {
		if !e.HasID {
			t.Errorf("%s: event %d (%s) has no id", who, i, e.Name)
		}
		if i > 0 && e.ID <= evs[i-1].ID {
			t.Errorf("%s: event %d has id %d after %d", who, i, e.ID, evs[i-1].ID)
		}
		marker, ok := known[e.Name]
		if !ok {
			t.Errorf("%s: unknown event %q", who, e.Name)
			continue
		}
		if !strings.Contains(e.Data, marker) {
			t.Errorf("%s: %s fragment lacks %q: %s", who, e.Name, marker, e.Data)
		}
		switch e.Name {
		case "loss":
			var p lossEventJSON
			if err := json.Unmarshal([]byte(e.Data), &p); err != nil || p.Run != runID || p.Epoch <= 0 || p.Loss <= 0 {
				t.Errorf("%s: loss event %s: want run %d, a positive epoch and loss (%v)", who, e.Data, runID, err)
			}
		case "epoch":
			var p epochEventJSON
			if err := json.Unmarshal([]byte(e.Data), &p); err != nil || p.Run != runID || p.Epoch < 1 ||
				p.TestAccuracy <= 0 || p.TestAccuracy > 1 || p.TestLoss <= 0 {
				t.Errorf("%s: epoch event %s: want run %d with accuracy in (0, 1] and a test loss (%v)", who, e.Data, runID, err)
			}
		}
	}
}

// TestEventStreamDuringTraining reads /events as a browser does while a
// run trains: one viewer stays connected, another leaves half-way and
// comes back with Last-Event-ID (and a third with ?after=, as the page
// does). What the returning viewers got adds up to what the first one got,
// with no gap and no duplicate.
func TestEventStreamDuringTraining(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	start := a.status().LastEventID
	events := a.URL("/events?after=" + itoa(int64(start)))
	stayed := ssetest.Connect(t, a.client, events, "")
	left := ssetest.Connect(t, a.client, events, "")
	leftByQuery := ssetest.Connect(t, a.client, events, "")

	runID := a.startTraining(`{"epochs":2,"batch_size":16}`)
	lossCount := func(n int) func([]ssetest.Event) bool {
		return func(evs []ssetest.Event) bool { return len(ssetest.Named(evs, "loss")) >= n }
	}
	before := left.WaitFor(t, "5 loss points", 30*time.Second, lossCount(5))
	leftByQuery.WaitFor(t, "5 loss points", 30*time.Second, lossCount(5))
	left.Close()
	leftByQuery.Close()
	firstPart, firstPartByQuery := left.Events(), leftByQuery.Events()
	lastSeen, lastSeenByQuery := before[len(before)-1].ID, firstPartByQuery[len(firstPartByQuery)-1].ID
	// Let events happen while they are away.
	stayed.WaitFor(t, "loss points while two viewers are away", 30*time.Second, lossCount(len(ssetest.Named(before, "loss"))+5))

	back := ssetest.Connect(t, a.client, a.URL("/events"), itoa(int64(lastSeen)))
	backByQuery := ssetest.Connect(t, a.client, a.URL("/events?after="+itoa(int64(lastSeenByQuery))), "")
	a.waitRunEnded(runID, 60*time.Second)
	waitQuiet(t, a, stayed, back, backByQuery)

	all := stayed.Events()
	checkStream(t, "stayed", all, runID)
	checkStream(t, "left", firstPart, runID)
	checkStream(t, "back", back.Events(), runID)

	// The viewer that stayed saw the run from start to end, matching what
	// the store kept.
	run := a.run(runID)
	var points []fmnist.LossPoint
	for _, e := range ssetest.Named(all, "loss") {
		var p lossEventJSON
		_ = json.Unmarshal([]byte(e.Data), &p)
		points = append(points, fmnist.LossPoint{Epoch: p.Epoch, Loss: p.Loss})
	}
	if len(points) != len(run.Points) {
		t.Fatalf("the stream carried %d loss points, the run has %d", len(points), len(run.Points))
	}
	for i, p := range run.Points {
		if points[i] != (fmnist.LossPoint{Epoch: p.Epoch, Loss: p.Loss}) {
			t.Errorf("loss point %d: stream %+v, store %+v", i, points[i], p)
		}
	}
	epochs := ssetest.Named(all, "epoch")
	if len(epochs) != 2 {
		t.Fatalf("the stream carried %d epoch events, want 2", len(epochs))
	}
	for i, e := range epochs {
		var p epochEventJSON
		_ = json.Unmarshal([]byte(e.Data), &p)
		if p.Epoch != i+1 || p.TestAccuracy != run.Epochs[i].TestAccuracy || p.TestLoss != run.Epochs[i].TestLoss {
			t.Errorf("epoch event %s does not match the stored result %+v", e.Data, run.Epochs[i])
		}
	}
	logs := ssetest.Named(all, "log")
	if len(logs) < 2*train.LogEntriesPerEpoch || !strings.Contains(logs[0].Data, "Training started") ||
		!strings.Contains(logs[len(logs)-1].Data, "Training finished") {
		t.Errorf("the log events should run from start to finish; got %d", len(logs))
	}
	statuses := ssetest.Named(all, "status")
	if len(statuses) == 0 || !strings.Contains(statuses[len(statuses)-1].Data, `data-state="finished"`) {
		t.Errorf("the last status event should say finished")
	}

	resumed := func(who string, first []ssetest.Event, lastSeen uint64, second []ssetest.Event) {
		t.Helper()
		byID := map[uint64]ssetest.Event{}
		for _, e := range all {
			byID[e.ID] = e
		}
		// Every event either viewer got is the same event the other one got.
		for _, e := range append(slices.Clone(first), second...) {
			if e.ID <= start {
				continue // the snapshots sent on connecting
			}
			if s, ok := byID[e.ID]; !ok || s.Name != e.Name || s.Data != e.Data {
				t.Errorf("%s: event %d (%s) differs from the one the staying viewer got", who, e.ID, e.Name)
			}
		}
		for _, e := range second {
			if e.ID <= lastSeen {
				t.Errorf("%s: got event %d again after resuming from %d", who, e.ID, lastSeen)
			}
		}
		// No gap: every replayable event is in the union, exactly once.
		union := map[uint64]int{}
		for _, e := range append(slices.Clone(first), second...) {
			union[e.ID]++
		}
		for _, e := range all {
			if replayable[e.Name] && union[e.ID] != 1 {
				t.Errorf("%s: %s event %d arrived %d times across the two connections", who, e.Name, e.ID, union[e.ID])
			}
		}
		// And the panels end in the same state.
		for _, name := range []string{"status", "progress", "predictions"} {
			want, got := ssetest.Named(all, name), ssetest.Named(append(slices.Clone(first), second...), name)
			if len(want) > 0 && (len(got) == 0 || got[len(got)-1].Data != want[len(want)-1].Data) {
				t.Errorf("%s: the last %s event differs from the staying viewer's", who, name)
			}
		}
	}
	resumed("Last-Event-ID", firstPart, lastSeen, back.Events())
	resumed("?after=", firstPartByQuery, lastSeenByQuery, backByQuery.Events())
	if names := slices.Sorted(maps.Keys(countNames(all))); !slices.Contains(names, "progress") {
		t.Errorf("no progress events; names: %v", names)
	}
}

func countNames(evs []ssetest.Event) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.Name]++
	}
	return m
}
