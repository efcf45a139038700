package app_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/ml"
	"github.com/fmnist/trainer/ml/mltest"
	"github.com/fmnist/trainer/store"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	goleak.VerifyTestMain(m)
}

const (
	trainImages = 512
	testImages  = 256
)

// recorder is a Publisher that keeps every update and checks, as each one
// arrives, that its events are already in the store.
type recorder struct {
	t  *testing.T
	db *store.DB

	mu      sync.Mutex
	updates []app.Update
	points  map[int64]int // loss points published per run
}

func (r *recorder) Publish(u app.Update) {
	ctx := context.Background()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.points == nil {
		r.points = map[int64]int{}
	}
	for _, e := range u.Train {
		if _, ok := e.(ml.LossPoint); ok {
			r.points[u.RunID]++
		}
	}
	if u.RunID > 0 {
		stored, err := r.db.LossPoints(ctx, u.RunID)
		if err != nil {
			r.t.Errorf("read loss points while publishing: %v", err)
		} else if len(stored) != r.points[u.RunID] {
			r.t.Errorf("run %d: %d loss points published, %d in the store: publishing before persisting", u.RunID, r.points[u.RunID], len(stored))
		}
	}
	r.updates = append(r.updates, u)
}

func (r *recorder) published(runID int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.points[runID]
}

func (r *recorder) trainEvents() []ml.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ml.Event
	for _, u := range r.updates {
		out = append(out, u.Train...)
	}
	return out
}

type fixture struct {
	dataDir, source string
	db              *store.DB
	svc             *app.Service
	rec             *recorder
	once            sync.Once
}

func writeSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "source")
	mltest.WriteDataset(t, dir, trainImages, testImages, 7)
	return dir
}

// newService opens a store in dataDir and a service on it; with prepared
// the dataset is in place before it starts.
func newService(t *testing.T, dataDir, source string, prepared bool) *fixture {
	t.Helper()
	ctx := context.Background()
	if prepared {
		if err := ml.PrepareDataset(ctx, filepath.Join(dataDir, "fashion-mnist"), source, nil); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.New(ctx, app.Options{Store: db, DatasetDir: filepath.Join(dataDir, "fashion-mnist"),
		CheckpointDir: filepath.Join(dataDir, "checkpoints"), DatasetURL: source,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	f := &fixture{dataDir: dataDir, source: source, db: db, svc: svc, rec: &recorder{t: t, db: db}}
	svc.SetPublisher(f.rec)
	t.Cleanup(f.close)
	return f
}

func (f *fixture) close() {
	f.once.Do(func() {
		f.svc.Close()
		f.db.Close()
	})
}

func waitState(t *testing.T, svc *app.Service, what string, done func(app.State) bool) app.State {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := svc.State()
		if done(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %s; state: %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ended(id int64) func(app.State) bool {
	return func(st app.State) bool { return st.Training.RunID == id && !st.Training.Running() }
}

func TestRefusalsLeaveNothingBehind(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), false)
	svc := f.svc

	if _, err := svc.StartTraining(ctx, ml.DefaultConfig()); !errors.Is(err, app.ErrDatasetNotReady) {
		t.Errorf("StartTraining without a dataset: %v, want ErrDatasetNotReady", err)
	}
	if _, err := svc.Predict(ctx, 16); !errors.Is(err, app.ErrDatasetNotReady) {
		t.Errorf("Predict without a dataset: %v, want ErrDatasetNotReady", err)
	}
	if err := svc.StopTraining(); !errors.Is(err, app.ErrNotTraining) {
		t.Errorf("StopTraining while idle: %v, want ErrNotTraining", err)
	}
	if _, _, _, _, err := svc.TestImage(0); !errors.Is(err, app.ErrDatasetNotReady) {
		t.Errorf("TestImage without a dataset: %v", err)
	}

	if err := svc.PrepareDataset(); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, svc, "the dataset", func(st app.State) bool { return st.Dataset.Status != ml.StatusDownloading })
	if st.Dataset.Status != ml.StatusReady || st.Dataset.Train != trainImages || st.Dataset.Test != testImages {
		t.Fatalf("dataset state %+v", st.Dataset)
	}

	bad := ml.DefaultConfig()
	bad.TrainLimit = trainImages + 1
	var fe *ml.FieldError
	if _, err := svc.StartTraining(ctx, bad); !errors.As(err, &fe) || fe.Field != "train_limit" {
		t.Errorf("StartTraining with too large a limit: %v, want a train_limit field error", err)
	}
	if _, err := svc.Predict(ctx, 16); !errors.Is(err, app.ErrNoModel) {
		t.Errorf("Predict before training: %v, want ErrNoModel", err)
	}
	if _, _, _, _, err := svc.TestImage(testImages); err == nil {
		t.Error("TestImage past the end gave no error")
	}
	runs, err := f.db.Runs(ctx, 0)
	if err != nil || len(runs) != 0 {
		t.Errorf("refused starts recorded runs %+v (%v)", runs, err)
	}
	if st := svc.State(); st.Training.Status != ml.StatusIdle || st.HasModel {
		t.Errorf("state after refusals: %+v", st.Training)
	}
}

// TestPersistThenPublish trains a short run and checks that every update
// reached the store before the publisher, in order, and that the state
// agrees with the store throughout (Consistent).
func TestPersistThenPublish(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true)
	svc := f.svc
	cfg := ml.Config{Epochs: 2, BatchSize: 32, LR: 0.003, Seed: 3}
	id, err := svc.StartTraining(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.StartTraining(ctx, cfg); !errors.Is(err, ml.ErrBusy) {
		t.Errorf("a second start: %v, want ErrBusy", err)
	}
	if err := svc.PrepareDataset(); err != nil {
		t.Errorf("PrepareDataset with the dataset ready, while training: %v, want nil", err)
	}

	// While it trains, what a page reads inside Consistent matches what was
	// published so far.
	checks := 0
	for !ended(id)(svc.State()) {
		err := svc.Consistent(func(st app.State) error {
			points, err := f.db.LossPoints(ctx, id)
			if err != nil {
				return err
			}
			if len(points) != f.rec.published(id) {
				t.Errorf("inside Consistent: %d points stored, %d published", len(points), f.rec.published(id))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checks++
		time.Sleep(5 * time.Millisecond)
	}
	if checks < 3 {
		t.Logf("only %d consistency checks during the run", checks)
	}

	st := svc.State()
	if st.Training.Status != ml.StatusFinished || !st.HasModel || st.Training.LastEpoch.Epoch != 2 {
		t.Fatalf("state after the run: %+v", st.Training)
	}
	run, err := f.db.Run(ctx, id)
	if err != nil || run.Status != ml.StatusFinished || run.EndedAt.IsZero() || run.Config != cfg {
		t.Errorf("stored run %+v (%v)", run, err)
	}
	stored, err := f.db.LossPoints(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var published []ml.LossPoint
	var statuses []ml.Status
	for _, e := range f.rec.trainEvents() {
		switch e := e.(type) {
		case ml.LossPoint:
			published = append(published, e)
		case ml.StatusChange:
			statuses = append(statuses, e.Status)
		}
	}
	if len(published) != len(stored) || len(stored) != 2*min(trainImages/32, ml.LossPointsPerEpoch) {
		t.Fatalf("%d points published, %d stored", len(published), len(stored))
	}
	for i := range stored {
		if published[i] != stored[i] {
			t.Errorf("point %d: published %+v, stored %+v", i, published[i], stored[i])
		}
	}
	if len(statuses) == 0 || statuses[0] != ml.StatusTraining || statuses[len(statuses)-1] != ml.StatusFinished {
		t.Errorf("published statuses %v: want training first and finished last", statuses)
	}
	ckpt, ok, err := f.db.LatestCheckpoint(ctx)
	if err != nil || !ok || ckpt.RunID != id || ckpt.Path != st.Training.Checkpoint.Path {
		t.Errorf("latest checkpoint %+v (%v), state says %+v", ckpt, err, st.Training.Checkpoint)
	}

	p, err := svc.Predict(ctx, 16)
	if err != nil {
		t.Fatal(err)
	}
	epochs, _ := f.db.EpochResults(ctx, id)
	if len(p.Items) != 16 || p.RunID != id || p.Checkpoint != ckpt.Path ||
		math.Abs(p.Accuracy.Overall-epochs[len(epochs)-1].TestAccuracy) > 1e-9 {
		t.Errorf("predictions %d items from run %d %q accuracy %v; want 16 from run %d %q with the last epoch's %v",
			len(p.Items), p.RunID, p.Checkpoint, p.Accuracy.Overall, id, ckpt.Path, epochs[len(epochs)-1].TestAccuracy)
	}
	if svc.LastPredictions() != p {
		t.Error("LastPredictions is not the last prediction")
	}
	// A new run makes the old predictions outdated.
	id2, err := svc.StartTraining(ctx, ml.Config{Epochs: 1, BatchSize: 64, LR: 0.001, Seed: 1, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	if svc.LastPredictions() != nil {
		t.Error("predictions of the previous model are still offered during a new run")
	}
	waitState(t, svc, "the second run", ended(id2))
	if n, _ := f.db.LossPoints(ctx, id); len(n) != len(stored) {
		t.Errorf("the first run's points changed from %d to %d", len(stored), len(n))
	}
}

// TestPredictionsFollowTheCheckpoint predicts after the first epoch, trains
// on, stops, and predicts again: the checkpoint file is rewritten in place,
// so the second answer must come from the new weights.
func TestPredictionsFollowTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true)
	svc := f.svc
	id, err := svc.StartTraining(ctx, ml.Config{Epochs: 500, BatchSize: 32, LR: 0.002, Seed: 5, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "a model", func(st app.State) bool { return st.HasModel })
	first, err := svc.Predict(ctx, 16)
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "epoch 4", func(st app.State) bool { return st.Training.LastEpoch.Epoch >= 4 })
	if err := svc.StopTraining(); err != nil {
		t.Fatal(err)
	}
	if st := svc.State(); st.Training.Status != ml.StatusStopping {
		t.Errorf("right after StopTraining the status is %q, want stopping", st.Training.Status)
	}
	st := waitState(t, svc, "the stop", ended(id))
	if st.Training.Status != ml.StatusStopped {
		t.Fatalf("run ended as %q", st.Training.Status)
	}
	second, err := svc.Predict(ctx, 16)
	if err != nil {
		t.Fatal(err)
	}
	if second.Checkpoint != first.Checkpoint {
		t.Fatalf("checkpoints %q and %q: the test assumes one file per run", first.Checkpoint, second.Checkpoint)
	}
	if second.Accuracy.Loss == first.Accuracy.Loss {
		t.Errorf("test loss %v before and after three more epochs: predictions use a stale model", first.Accuracy.Loss)
	}
}

// TestCloseStopsTheRunAndRestartRestores closes the service during a run
// (it stops and saves), then leaves a run in "training" as a crash would,
// and checks what a new service makes of both.
func TestCloseStopsTheRunAndRestartRestores(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	source := writeSource(t)
	f := newService(t, dataDir, source, true)
	id, err := f.svc.StartTraining(ctx, ml.Config{Epochs: 500, BatchSize: 32, LR: 0.002, Seed: 1, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, f.svc, "a few batches", func(st app.State) bool { return st.Training.Progress.Epoch >= 2 })
	f.close()

	g := newService(t, dataDir, source, false)
	st := g.svc.State()
	if st.Dataset.Status != ml.StatusReady || st.Training.RunID != id || st.Training.Status != ml.StatusStopped ||
		!st.HasModel || st.Training.Checkpoint.Path == "" || st.Training.LastEpoch.Epoch < 1 {
		t.Fatalf("after Close and a restart: %+v", st)
	}
	if _, err := os.Stat(st.Training.Checkpoint.Path); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
	if _, err := g.svc.Predict(ctx, 4); err != nil {
		t.Errorf("Predict after restart: %v", err)
	}
	// The process dies during the next run: simulate with the store.
	crashed, err := g.db.CreateRun(ctx, ml.DefaultConfig(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g.close()

	h := newService(t, dataDir, source, false)
	st = h.svc.State()
	if st.Training.RunID != crashed.ID || st.Training.Status != ml.StatusInterrupted || st.Training.Reason != store.InterruptedReason {
		t.Errorf("the crashed run should be interrupted: %+v", st.Training)
	}
	if !st.HasModel {
		t.Error("the earlier run's model is gone after the crash")
	}
	stored, err := h.db.Run(ctx, crashed.ID)
	if err != nil || stored.Status != ml.StatusInterrupted || stored.EndedAt.IsZero() {
		t.Errorf("stored crashed run %+v (%v)", stored, err)
	}
}

func TestDatasetFailureIsReported(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "missing"), false)
	if err := f.svc.PrepareDataset(); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, f.svc, "the download to end", func(st app.State) bool { return st.Dataset.Status != ml.StatusDownloading })
	if st.Dataset.Status != ml.StatusFailed || st.Dataset.Reason == "" {
		t.Fatalf("dataset state %+v, want failed with a reason", st.Dataset)
	}
	logs, err := f.db.RecentLogs(ctx, 10)
	if err != nil || len(logs) < 2 || logs[len(logs)-1].Level != ml.LevelError {
		t.Errorf("the failure should be in the log: %+v (%v)", logs, err)
	}
	// It can be tried again.
	if err := f.svc.PrepareDataset(); err != nil {
		t.Errorf("a retry: %v", err)
	}
	waitState(t, f.svc, "the retry to end", func(st app.State) bool { return st.Dataset.Status != ml.StatusDownloading })
}
