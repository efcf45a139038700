package handlers_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/ml/train"
)

// TestStaleCheckpointTempFilesAreRemovedAtStart plants what a kill during a
// checkpoint write leaves behind and checks that a start removes it, says
// so in the log, and leaves the real checkpoints alone.
func TestStaleCheckpointTempFilesAreRemovedAtStart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first := startApp(t, appConfig{dataDir: dataDir})
	dir := first.Layout.Checkpoints()
	first.Stop()

	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := []string{".run-2.ckpt.tmp-123456", ".run-3-e04.ckpt.tmp-98765"}
	kept := []string{"run-1-e01.ckpt", "notes.txt"}
	for _, name := range append(slices.Clone(stale), kept...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half a checkpoint"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	second := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("stale temporary file %s survived the start (stat: %v)", name, err)
		}
	}
	for _, name := range kept {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s should be left alone: %v", name, err)
		}
	}
	if log := second.logs.String(); !strings.Contains(log, "stale temporary checkpoint files") || !strings.Contains(log, stale[0]) {
		t.Errorf("the start should log the files it removed; log:\n%s", log)
	}
}

// checkpointFiles lists the checkpoint files of run id in dir.
func checkpointFiles(t *testing.T, dir string, id int64) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		name := "run-" + itoa(id)
		if e.Name() == name+".ckpt" || strings.HasPrefix(e.Name(), name+"-") && strings.HasSuffix(e.Name(), ".ckpt") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(files)
	return files
}

// checkListedFiles checks that every listed checkpoint has its own file
// holding that epoch's weights, and that the run has no other files.
func checkListedFiles(t *testing.T, dir string, id int64, listed []checkpointJSON) {
	t.Helper()
	var paths []string
	for _, c := range listed {
		paths = append(paths, c.Path)
		ck, err := train.ReadCheckpoint(c.Path)
		if err != nil {
			t.Errorf("listed checkpoint %+v: %v", c, err)
			continue
		}
		if ck.Meta.Epoch != c.Epoch || ck.Meta.Batch != c.Batch {
			t.Errorf("listed checkpoint %+v holds epoch %d batch %d", c, ck.Meta.Epoch, ck.Meta.Batch)
		}
	}
	slices.Sort(paths)
	if !slices.Equal(slices.Compact(slices.Clone(paths)), paths) {
		t.Errorf("several listed checkpoints share a file: %v", paths)
	}
	if files := checkpointFiles(t, dir, id); !slices.Equal(files, paths) {
		t.Errorf("run %d has files %v on disk but lists %v", id, files, paths)
	}
}

// TestShortRunKeepsEveryEpochsCheckpoint trains three epochs: the history
// lists three checkpoints, each its own file with that epoch's weights.
func TestShortRunKeepsEveryEpochsCheckpoint(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	id := a.startTraining(`{"epochs":3,"batch_size":32,"train_limit":64}`)
	a.waitRunEnded(id, 60*time.Second)
	run := a.run(id)
	if len(run.Checkpoints) != 3 {
		t.Fatalf("run %d lists %d checkpoints, want one per epoch: %+v", id, len(run.Checkpoints), run.Checkpoints)
	}
	for i, c := range run.Checkpoints {
		if c.Epoch != i+1 || c.Batch != 0 {
			t.Errorf("checkpoint %d is %+v, want epoch %d", i, c, i+1)
		}
	}
	checkListedFiles(t, a.Layout.Checkpoints(), id, run.Checkpoints)
}

// TestLongRunKeepsLastFiveAndBest trains 25 one-batch epochs: the run keeps
// the checkpoints of its last five epochs and of its best, rows and files
// alike; predictions and a restart use the newest.
func TestLongRunKeepsLastFiveAndBest(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	a := startApp(t, appConfig{dataDir: dataDir, prepared: true})
	id := a.startTraining(`{"epochs":25,"batch_size":32,"train_limit":32,"lr":0.003}`)
	a.waitRunEnded(id, 120*time.Second)
	run := a.run(id)
	if len(run.Epochs) != 25 {
		t.Fatalf("run %d has %d epoch results, want 25", id, len(run.Epochs))
	}
	best := run.Epochs[0]
	for _, e := range run.Epochs {
		if e.TestAccuracy > best.TestAccuracy {
			best = e
		}
	}
	want := []int{21, 22, 23, 24, 25}
	if best.Epoch < 21 {
		want = append([]int{best.Epoch}, want...)
	}
	var got []int
	for _, c := range run.Checkpoints {
		got = append(got, c.Epoch)
	}
	if !slices.Equal(got, want) {
		t.Errorf("run %d keeps the checkpoints of epochs %v, want %v (the last five and the best, epoch %d at %.4f)",
			id, got, want, best.Epoch, best.TestAccuracy)
	}
	checkListedFiles(t, a.Layout.Checkpoints(), id, run.Checkpoints)

	newest := run.Checkpoints[len(run.Checkpoints)-1].Path
	var preds predictionsJSON
	if r := a.postJSON("/api/predictions", `{}`, &preds); r.Status != http.StatusOK || preds.Checkpoint != newest {
		t.Errorf("predictions: status %d from %q, want from the newest checkpoint %q", r.Status, preds.Checkpoint, newest)
	}
	a.Stop()

	b := startApp(t, appConfig{dataDir: dataDir, source: a.Source})
	if st := b.status(); st.Training.Checkpoint != newest || !st.HasModel {
		t.Errorf("after a restart the status shows checkpoint %q, want %q", st.Training.Checkpoint, newest)
	}
	if r := b.postJSON("/api/predictions", `{}`, &preds); r.Status != http.StatusOK || preds.Checkpoint != newest {
		t.Errorf("predictions after a restart: status %d from %q, want from %q", r.Status, preds.Checkpoint, newest)
	}
	if again := b.run(id); !slices.Equal(again.Checkpoints, run.Checkpoints) {
		t.Errorf("the restart changed the checkpoint list: %+v, was %+v", again.Checkpoints, run.Checkpoints)
	}
}
