package handlers_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
)

var chartOptionsPattern = regexp.MustCompile(`data-options="([^"]*)"`)

// chartPoints reads the loss curve the page embeds in the chart's options.
func chartPoints(t *testing.T, page string) []pointJSON {
	t.Helper()
	m := chartOptionsPattern.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no chart options")
	}
	var options struct {
		Series []struct {
			Data []struct {
				Value [2]float64 `json:"value"`
			} `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &options); err != nil || len(options.Series) != 2 { // the loss and the learning rate
		t.Fatalf("chart options do not parse (%v): %s", err, m[1])
	}
	lr := map[float64]float64{} // the learning-rate series, by epoch
	for _, d := range options.Series[1].Data {
		lr[d.Value[0]] = d.Value[1]
	}
	var out []pointJSON
	for _, d := range options.Series[0].Data {
		out = append(out, pointJSON{Epoch: d.Value[0], Loss: d.Value[1], LR: lr[d.Value[0]]})
	}
	return out
}

// samePoints compares curves by epoch and loss, what the chart draws (its
// options carry no learning rate).
func samePoints(a []pointJSON, b []pointJSON) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Epoch != b[i].Epoch || a[i].Loss != b[i].Loss {
			return false
		}
	}
	return true
}

// TestRestartKeepsRunsAndMarksInterrupted trains against a real SQLite
// file, shuts the app down, starts a new one on the same data dir and
// checks that the page and the API show the last run as it ended; then it
// leaves a run in "training" as a crashed process would and checks that the
// next start shows it as interrupted with its checkpoint, and that
// predictions work from it.
func TestRestartKeepsRunsAndMarksInterrupted(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first := startApp(t, appConfig{dataDir: dataDir, prepared: true})
	runID := first.startTraining(`{"epochs":500,"batch_size":32,"train_limit":256}`)
	first.waitStatus("an evaluated epoch", 60*time.Second, func(st statusJSON) bool { return st.HasModel })
	lastIDBefore := first.Web.Hub().LastID()
	// A graceful shutdown in the middle of the run: it stops and saves.
	first.Stop()

	second := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	st := second.status()
	if st.Dataset.Status != string(fmnist.StatusReady) || st.Dataset.Train != trainImages {
		t.Errorf("the prepared dataset should load on start; dataset: %+v", st.Dataset)
	}
	if st.Training.RunID != runID || st.Training.Status != string(fmnist.StatusStopped) || !st.HasModel {
		t.Fatalf("after a graceful shutdown run %d should show as stopped with a model; training: %+v", runID, st.Training)
	}
	ckpt := st.Training.Checkpoint
	if _, err := os.Stat(ckpt); err != nil {
		t.Fatalf("the stopped run's checkpoint %q: %v", ckpt, err)
	}
	if st.LastEventID <= lastIDBefore {
		t.Errorf("event ids should keep growing across restarts: %d after %d", st.LastEventID, lastIDBefore)
	}
	run := second.run(runID)
	if run.Status != string(fmnist.StatusStopped) || run.EndedAt == nil || len(run.Points) == 0 || len(run.Epochs) == 0 {
		t.Fatalf("run %d after restart: %+v", runID, run)
	}
	// The stop may land mid-epoch or, with epochs this short, right at an
	// epoch's end (batch 0); either way it is the newest checkpoint.
	if last := run.Checkpoints[len(run.Checkpoints)-1]; last.Path != ckpt || last.Epoch < len(run.Epochs) {
		t.Errorf("the last checkpoint %+v should be the one saved when stopping (%s) after %d evaluated epochs", last, ckpt, len(run.Epochs))
	}
	page := second.get("/")
	wantStatus(t, "GET / after restart", page, http.StatusOK, `data-state="stopped"`, "Run "+itoa(runID),
		filepath.Base(ckpt), "Training started", "Training stopped", `data-run="`+itoa(runID)+`"`)
	if got := chartPoints(t, page.Body); !samePoints(got, run.Points) {
		t.Errorf("the page's chart has %d points, the run %d: the curve did not survive the restart", len(got), len(run.Points))
	}
	if enabled, found := buttonEnabled(page.Body, "start-button"); !found || !enabled {
		t.Errorf("Start should be enabled after restart")
	}
	var preds predictionsJSON
	if r := second.postJSON("/api/predictions", `{}`, &preds); r.Status != http.StatusOK || len(preds.Predictions) != 16 || preds.Checkpoint != ckpt {
		t.Fatalf("predictions after restart: status %d, %d items from %q; want 16 from %q", r.Status, len(preds.Predictions), preds.Checkpoint, ckpt)
	}
	// A process that died during a run leaves it in "training", with the
	// checkpoint of its last finished epoch. Written behind the running
	// service's back, the service never sees it until the next start.
	crashed, crashedCkpt, crashedPoints := leaveTrainingRun(t, second, ckpt)
	second.Stop()

	third := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	st = third.status()
	if st.Training.RunID != crashed || st.Training.Status != string(fmnist.StatusInterrupted) ||
		st.Training.Reason != fmnist.InterruptedReason || st.Training.Checkpoint != crashedCkpt {
		t.Fatalf("the crashed run %d should show as interrupted with checkpoint %s; training: %+v", crashed, crashedCkpt, st.Training)
	}
	run = third.run(crashed)
	if run.Status != string(fmnist.StatusInterrupted) || run.EndedAt == nil || !samePoints(run.Points, crashedPoints) {
		t.Errorf("crashed run via the API: %+v", run)
	}
	if older := third.run(runID); older.Status != string(fmnist.StatusStopped) {
		t.Errorf("the earlier run changed to %q", older.Status)
	}
	page = third.get("/")
	wantStatus(t, "GET / after a crash", page, http.StatusOK, `data-state="interrupted"`, fmnist.InterruptedReason,
		"last checkpoint "+filepath.Base(crashedCkpt)+" (after epoch 1)",
		"Epoch 1/3 evaluated", `data-run="`+itoa(crashed)+`"`)
	if got := chartPoints(t, page.Body); !samePoints(got, crashedPoints) {
		t.Errorf("the page's chart shows %v, want the crashed run's %v", got, crashedPoints)
	}
	b := third.newBrowser()
	if r := b.post("/predictions", nil, true); r.Status != http.StatusOK || strings.Count(r.Body, `src="/predictions/image/`) != 16 {
		t.Errorf("htmx predictions after a crash: status %d:\n%s", r.Status, r.Body)
	}
	if r := third.postJSON("/api/predictions", `{}`, &preds); r.Status != http.StatusOK || preds.Checkpoint != crashedCkpt {
		t.Errorf("predictions after a crash come from %q (status %d), want the interrupted run's %q", preds.Checkpoint, r.Status, crashedCkpt)
	}
	// And a new run can start.
	id := third.startTraining(`{"epochs":1,"batch_size":64}`)
	if st := third.waitRunEnded(id, 60*time.Second); st.Training.Status != string(fmnist.StatusFinished) {
		t.Errorf("a run after the crash ended as %q", st.Training.Status)
	}
}

// leaveTrainingRun writes to a's store what a process killed during run N
// leaves behind: the run in status training, its points and log, and the
// checkpoint of its first epoch (a copy of fromCkpt).
func leaveTrainingRun(t *testing.T, a *testApp, fromCkpt string) (int64, string, []pointJSON) {
	t.Helper()
	ctx := context.Background()
	db := a.DB
	cfg := fmnist.Config{Epochs: 3, BatchSize: 64, LR: 0.001, Seed: 1}
	run, err := db.CreateRun(ctx, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	points := []fmnist.LossPoint{{Epoch: 0.5, Loss: 2.1}, {Epoch: 1, Loss: 1.4}, {Epoch: 1.5, Loss: 0.9}}
	if err := db.AddLossPoints(ctx, run.ID, points); err != nil {
		t.Fatal(err)
	}
	if err := db.AddEpochResult(ctx, run.ID, fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.6, TestLoss: 1.2, TrainLoss: 1.6}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddLogs(ctx, run.ID, []fmnist.LogEntry{{Time: time.Now(), Level: fmnist.LevelInfo, Message: "Epoch 1/3 evaluated: test accuracy 60.00%"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(fromCkpt)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(a.Layout.Checkpoints(), "run-"+itoa(run.ID)+".ckpt")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCheckpoint(ctx, run.ID, path, 1, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	out := make([]pointJSON, len(points))
	for i, p := range points {
		out[i] = pointJSON(p)
	}
	return run.ID, path, out
}

// TestViewerFromBeforeARestartCatchesUp keeps a viewer's place across
// restarts, as a page left open does (EventSource reconnects by itself with
// the last id it saw): the new process cannot replay what the old one
// published, so it sends the panels as they are now, and the page shows
// the run as stopped (after a graceful restart) or interrupted (after a
// crash) without a reload. Then the stream goes on live.
func TestViewerFromBeforeARestartCatchesUp(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first := startApp(t, appConfig{dataDir: dataDir, prepared: true})
	viewer := ssetest.Connect(t, first.client, first.URL("/events?after="+itoa(int64(first.status().LastEventID))), "")
	runID := first.startTraining(`{"epochs":500,"batch_size":32,"train_limit":256}`)
	viewer.WaitFor(t, "loss points", 60*time.Second, func(evs []ssetest.Event) bool { return len(ssetest.Named(evs, "loss")) >= 3 })
	// A graceful restart: the run stops and is saved after the streams end.
	first.Stop()
	<-viewer.Done()
	evs := viewer.Events()
	lastSeen := evs[len(evs)-1].ID
	if st := ssetest.Named(evs, "status"); len(st) > 0 && !strings.Contains(st[len(st)-1].Data, `data-state="training"`) {
		t.Fatalf("the viewer saw the run end before the restart: %s", st[len(st)-1].Data)
	}

	second := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	back := ssetest.Connect(t, second.client, second.URL("/events"), itoa(int64(lastSeen)))
	panels := waitPanels(t, back, lastSeen)
	for name, want := range map[string][]string{
		"status":      {`data-state="stopped"`, "Run " + itoa(runID)},
		"progress":    {`id="progress-panel"`},
		"dataset":     {`id="dataset-panel"`, "Ready"},
		"predictions": {`id="predictions-panel"`},
		"logs":        {"<li", "Training started", "Training stopped"},
	} {
		for _, w := range want {
			if !strings.Contains(panels[name].Data, w) {
				t.Errorf("after a graceful restart, the %s panel lacks %q: %s", name, w, panels[name].Data)
			}
		}
	}
	// The stream is live from there on.
	second.Web.Hub().Send("log", []byte("<li>live after the restart</li>"))
	back.WaitFor(t, "a live event", 5*time.Second, func(evs []ssetest.Event) bool {
		return len(evs) > 0 && evs[len(evs)-1].Data == "<li>live after the restart</li>"
	})

	// A crash: the process dies during a run (left in the store as it would
	// be); the next one marks the run interrupted.
	ckpt := second.status().Training.Checkpoint
	crashed, _, _ := leaveTrainingRun(t, second, ckpt)
	second.Stop()
	<-back.Done()
	evs = back.Events()
	lastSeen = evs[len(evs)-1].ID
	third := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	again := ssetest.Connect(t, third.client, third.URL("/events?after="+itoa(int64(lastSeen))), "")
	panels = waitPanels(t, again, lastSeen)
	for _, w := range []string{`data-state="interrupted"`, "Run " + itoa(crashed), fmnist.InterruptedReason} {
		if !strings.Contains(panels["status"].Data, w) {
			t.Errorf("after a crash, the status panel lacks %q: %s", w, panels["status"].Data)
		}
	}
}

// waitPanels waits for the panels a viewer from an earlier process is sent
// (every snapshot kind and the log list) and returns them by name; their ids
// must follow the viewer's last id and grow.
func waitPanels(t *testing.T, c *ssetest.Client, lastSeen uint64) map[string]ssetest.Event {
	t.Helper()
	names := []string{"status", "progress", "dataset", "predictions", "logs"}
	evs := c.WaitFor(t, "the panels as they are now", 5*time.Second, func(evs []ssetest.Event) bool {
		for _, n := range names {
			if len(ssetest.Named(evs, n)) == 0 {
				return false
			}
		}
		return true
	})
	panels := map[string]ssetest.Event{}
	for i, e := range evs {
		if e.ID <= lastSeen || i > 0 && e.ID <= evs[i-1].ID {
			t.Errorf("event %d (%s) has id %d, after %d (resumed after %d)", i, e.Name, e.ID, evs[max(i-1, 0)].ID, lastSeen)
		}
		panels[e.Name] = e
	}
	return panels
}
