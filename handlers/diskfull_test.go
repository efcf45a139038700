package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/internal/disktest"
)

// TestFullDiskFailsTheRunAndLosesNothing fills the disk during a run, once
// for real (the data dir on a small tmpfs, where the test may mount one)
// and once with a store whose writes fail as on a full disk. The run must
// fail at once with a reason that says what to do, the status, the run in
// the API, the page and the stream must agree, a new run is refused as
// "insufficient storage", and once space returns a clean shutdown saves
// every point the viewers saw, so the restarted app shows the run as failed
// for that reason rather than interrupted.
func TestFullDiskFailsTheRunAndLosesNothing(t *testing.T) {
	t.Run("tmpfs", func(t *testing.T) {
		dir := disktest.Tmpfs(t, 32<<20)
		var free func()
		testFullDisk(t, appConfig{dataDir: filepath.Join(dir, "data"), prepared: true, minFreeSpace: 1 << 20},
			func() { free = disktest.Fill(t, dir) }, func() { free() })
	})
	t.Run("failing store", func(t *testing.T) {
		disk := &disktest.FullStore{}
		wrap := func(s fmnist.RunStore) fmnist.RunStore { disk.RunStore = s; return disk }
		testFullDisk(t, appConfig{prepared: true, wrapStore: wrap}, disk.Fill, disk.Free)
	})
}

func testFullDisk(t *testing.T, cfg appConfig, fill, free func()) {
	a := startApp(t, cfg)
	stream := ssetest.Connect(t, a.client, a.URL("/events"), "")
	id := a.startTraining(`{"epochs":500,"batch_size":32,"train_limit":256}`)
	a.waitStatus("the first checkpoint", 60*time.Second, func(st statusJSON) bool { return st.HasModel })
	fill()

	st := a.waitRunEnded(id, 30*time.Second)
	reason := st.Training.Reason
	if st.Training.Status != string(fmnist.StatusFailed) || !strings.HasPrefix(reason, "disk full: ") ||
		!strings.Contains(reason, "free space needed") {
		t.Errorf("a full disk should fail the run with a reason that says what to do; training: %+v", st.Training)
	}
	// The API reads the run as the status says, though the disk is full.
	if run := a.run(id); run.Status != st.Training.Status || run.Reason != reason {
		t.Errorf("/api/status says %s (%s) but /api/runs/%d says %s (%s)", st.Training.Status, reason, id, run.Status, run.Reason)
	}
	stream.WaitFor(t, "the failure on the stream", 10*time.Second, func(evs []ssetest.Event) bool {
		for _, e := range ssetest.Named(evs, string(fmnist.EventStatus)) {
			if strings.Contains(e.Data, `data-state="failed"`) && strings.Contains(e.Data, "disk full: ") {
				return true
			}
		}
		return false
	})
	// The trainer ends after its batch: it saves a checkpoint, or fails to
	// on a full file system.
	stream.WaitFor(t, "the trainer's end", 30*time.Second, func(evs []ssetest.Event) bool {
		for _, e := range ssetest.Named(evs, string(fmnist.EventLog)) {
			if strings.Contains(e.Data, "Training stopped") || strings.Contains(e.Data, "save checkpoint") {
				return true
			}
		}
		return false
	})
	// The API reads the run as the viewers saw it, points included, and
	// the trainer's end has not changed its status.
	var run runJSON
	seen := waitSamePoints(t, a, stream, id, &run)
	if run.Status != string(fmnist.StatusFailed) || run.Reason != reason {
		t.Errorf("after the trainer ended /api/runs/%d says %s (%s), want failed (%s)", id, run.Status, run.Reason, reason)
	}
	page := a.get("/")
	wantStatus(t, "GET / on a full disk", page, http.StatusOK, `data-state="failed"`, "disk full: ")
	if got := chartPoints(t, page.Body); !samePoints(got, seen) {
		t.Errorf("the page's chart has %d points, the stream had %d", len(got), len(seen))
	}
	var refusal errorJSON
	r := a.postJSON("/api/training", `{"epochs":1}`, &refusal)
	if r.Status != http.StatusInsufficientStorage || refusal.Error.Code != fmnist.ESTORAGE {
		t.Errorf("starting a run on a full disk: status %d, %s; want 507 %s", r.Status, r.Body, fmnist.ESTORAGE)
	}

	free()
	a.Stop()
	b := startApp(t, appConfig{dataDir: a.Layout.Dir, source: a.Source})
	st = b.status()
	if st.Training.RunID != id || st.Training.Status != string(fmnist.StatusFailed) || st.Training.Reason != reason {
		t.Errorf("after a clean restart run %d should be failed (%s); training: %+v", id, reason, st.Training)
	}
	run = b.run(id)
	if run.Status != string(fmnist.StatusFailed) || run.Reason != reason || run.EndedAt == nil {
		t.Errorf("run %d after restart: %s (%s), ended %v", id, run.Status, run.Reason, run.EndedAt)
	}
	if !samePoints(run.Points, seen) {
		t.Errorf("after restart run %d has %d points; the viewers saw %d:\n%v\n%v", id, len(run.Points), len(seen), run.Points, seen)
	}
	wantStatus(t, "GET / after restart", b.get("/"), http.StatusOK, `data-state="failed"`, "Training failed: disk full: ")
}

// waitSamePoints waits until run id in the API has exactly the loss points
// the stream carried (the last ones may still be on their way) and returns
// them; the run is read into run.
func waitSamePoints(t *testing.T, a *testApp, stream *ssetest.Client, id int64, run *runJSON) []pointJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := streamPoints(t, stream.Events(), id)
		*run = a.run(id)
		if samePoints(run.Points, seen) {
			return seen
		}
		if time.Now().After(deadline) {
			t.Errorf("run %d in the API has %d points, the stream carried %d", id, len(run.Points), len(seen))
			return seen
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// streamPoints are the loss points of run id among the stream's events.
func streamPoints(t *testing.T, evs []ssetest.Event, id int64) []pointJSON {
	t.Helper()
	var out []pointJSON
	for _, e := range ssetest.Named(evs, string(fmnist.EventLoss)) {
		var p struct {
			Run int64 `json:"run"`
			pointJSON
		}
		if err := json.Unmarshal([]byte(e.Data), &p); err != nil {
			t.Fatalf("loss event %q: %v", e.Data, err)
		}
		if p.Run == id {
			out = append(out, p.pointJSON)
		}
	}
	return out
}

// TestLowDiskSpaceRefusesToStart sets the free space a run needs above what
// the disk has: the app warns at start, and starting a run is refused with
// 507 Insufficient Storage naming the free and the needed space, through
// the API, the plain form and htmx alike.
func TestLowDiskSpaceRefusesToStart(t *testing.T) {
	a := startApp(t, appConfig{prepared: true, minFreeSpace: 1 << 60})
	if log := a.logs.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "free space") {
		t.Errorf("the start should warn about the low free space; log:\n%s", log)
	}
	var refusal errorJSON
	r := a.postJSON("/api/training", `{"epochs":1}`, &refusal)
	msg := refusal.Error.Message
	if r.Status != http.StatusInsufficientStorage || refusal.Error.Code != fmnist.ESTORAGE ||
		!strings.Contains(msg, "free") || !strings.Contains(msg, "needed") || !strings.Contains(msg, "1.2 EB") {
		t.Errorf("POST /api/training below the free-space threshold: status %d, %s; want 507 %s naming free and needed space",
			r.Status, r.Body, fmnist.ESTORAGE)
	}
	b := a.newBrowser()
	form := url.Values{"epochs": {"1"}}
	wantStatus(t, "POST /training below the threshold", b.post("/training", form, false), http.StatusInsufficientStorage, "1.2 EB")
	wantStatus(t, "htmx POST /training below the threshold", b.post("/training", form, true), http.StatusInsufficientStorage,
		`id="training-controls"`, "1.2 EB")
	wantNothingStarted(t, a)
}
