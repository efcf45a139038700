package app_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
	"github.com/fmnist/trainer/ml/train"
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
	db fmnist.RunReader // the store, or the service where writes may fail
	// throughService makes db the service: the store and what it still
	// owes the store.
	throughService bool

	// With release set, the first update carrying a loss point waits in
	// Publish: held is closed, then Publish waits until release is closed.
	held, release chan struct{}
	holdOnce      sync.Once

	mu      sync.Mutex
	updates []fmnist.Update
	points  map[int64]int // loss points published per run
}

func (r *recorder) Publish(u fmnist.Update) {
	ctx := context.Background()
	if r.release != nil && hasLossPoint(u) {
		r.holdOnce.Do(func() {
			close(r.held)
			<-r.release
		})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.points == nil {
		r.points = map[int64]int{}
	}
	for _, e := range u.Train {
		if _, ok := e.(fmnist.LossPoint); ok {
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

func hasLossPoint(u fmnist.Update) bool {
	for _, e := range u.Train {
		if _, ok := e.(fmnist.LossPoint); ok {
			return true
		}
	}
	return false
}

func (r *recorder) published(runID int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.points[runID]
}

func (r *recorder) trainEvents() []fmnist.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []fmnist.Event
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
	datatest.WriteDataset(t, dir, trainImages, testImages, 7)
	return dir
}

// newService opens a store in dataDir and a service on it; with prepared
// the dataset is in place before it starts. The publisher is rec, or a new
// recorder when rec is nil. Each option may change the service's options.
func newService(t *testing.T, dataDir, source string, prepared bool, rec *recorder, options ...func(*app.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	layout := fmnist.Layout{Dir: dataDir}
	if prepared {
		if err := data.PrepareDataset(ctx, layout.Dataset(), source, nil); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ctx, layout.Database())
	if err != nil {
		t.Fatal(err)
	}
	opts := app.Options{Store: db, DatasetDir: layout.Dataset(),
		CheckpointDir: layout.Checkpoints(), DatasetURL: source,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	for _, o := range options {
		o(&opts)
	}
	svc, err := app.New(ctx, opts)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if rec == nil {
		rec = &recorder{}
	}
	rec.t, rec.db = t, db
	if rec.throughService {
		rec.db = svc
	}
	f := &fixture{dataDir: dataDir, source: source, db: db, svc: svc, rec: rec}
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

func waitState(t *testing.T, svc *app.Service, what string, done func(fmnist.State) bool) fmnist.State {
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

func ended(id int64) func(fmnist.State) bool {
	return func(st fmnist.State) bool { return st.Training.RunID == id && !st.Training.Running() }
}

func TestRefusalsLeaveNothingBehind(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), false, nil)
	svc := f.svc

	if _, err := svc.StartTraining(ctx, fmnist.DefaultConfig()); !errors.Is(err, fmnist.ErrDatasetNotReady) {
		t.Errorf("StartTraining without a dataset: %v, want ErrDatasetNotReady", err)
	}
	if _, err := svc.Predict(ctx, 16); !errors.Is(err, fmnist.ErrDatasetNotReady) {
		t.Errorf("Predict without a dataset: %v, want ErrDatasetNotReady", err)
	}
	if err := svc.StopTraining(); !errors.Is(err, fmnist.ErrNotTraining) {
		t.Errorf("StopTraining while idle: %v, want ErrNotTraining", err)
	}
	if _, _, _, _, err := svc.TestImage(0); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("TestImage without a dataset: %v", err)
	}

	if err := svc.PrepareDataset(); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, svc, "the dataset", func(st fmnist.State) bool { return st.Dataset.Status != fmnist.StatusDownloading })
	if st.Dataset.Status != fmnist.StatusReady || st.Dataset.Train != trainImages || st.Dataset.Test != testImages {
		t.Fatalf("dataset state %+v", st.Dataset)
	}

	bad := fmnist.DefaultConfig()
	bad.TrainLimit = trainImages + 1
	if _, err := svc.StartTraining(ctx, bad); fmnist.ErrorCode(err) != fmnist.EINVALID || fmnist.ErrorField(err) != fmnist.FieldTrainLimit {
		t.Errorf("StartTraining with too large a limit: %v, want a train_limit field error", err)
	}
	if _, err := svc.Predict(ctx, 16); !errors.Is(err, fmnist.ErrNoModel) {
		t.Errorf("Predict before training: %v, want ErrNoModel", err)
	}
	if _, _, _, _, err := svc.TestImage(testImages); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("TestImage past the end: %v, want ENOTFOUND", err)
	}
	runs, err := f.db.Runs(ctx, 0)
	if err != nil || len(runs) != 0 {
		t.Errorf("refused starts recorded runs %+v (%v)", runs, err)
	}
	if st := svc.State(); st.Training.Status != fmnist.StatusIdle || st.HasModel {
		t.Errorf("state after refusals: %+v", st.Training)
	}
}

// TestPersistThenPublish trains a short run and checks that every update
// reached the store before the publisher, in order, and that a reader inside
// Consistent never sees the store ahead of what was published.
func TestPersistThenPublish(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{held: make(chan struct{}), release: make(chan struct{})}
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, rec)
	svc := f.svc
	cfg := fmnist.Config{Epochs: 2, BatchSize: 32, LR: 0.003, Seed: 3}
	id, err := svc.StartTraining(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.StartTraining(ctx, cfg); !errors.Is(err, fmnist.ErrBusy) {
		t.Errorf("a second start: %v, want ErrBusy", err)
	}
	if err := svc.PrepareDataset(); err != nil {
		t.Errorf("PrepareDataset with the dataset ready, while training: %v, want nil", err)
	}

	// The first loss point is stored, and its Publish is held: a page that
	// reads now must wait for the publish, or it would show a point that its
	// event stream then sends again.
	<-rec.held
	read := make(chan int, 1)
	go func() {
		_ = svc.Consistent(func(fmnist.State) error {
			points, err := f.db.LossPoints(ctx, id)
			if err != nil {
				t.Error(err)
			}
			read <- len(points)
			return nil
		})
	}()
	select {
	case n := <-read:
		close(rec.release)
		t.Fatalf("Consistent read %d stored points while their publish was still in progress", n)
	case <-time.After(100 * time.Millisecond):
		close(rec.release)
	}
	if n := <-read; n == 0 || n != rec.published(id) {
		t.Errorf("after the publish, Consistent read %d points; %d were published", n, rec.published(id))
	}

	// While it trains, what a page reads inside Consistent matches what was
	// published so far.
	for !ended(id)(svc.State()) {
		err := svc.Consistent(func(st fmnist.State) error {
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
		time.Sleep(5 * time.Millisecond)
	}

	st := svc.State()
	if st.Training.Status != fmnist.StatusFinished || !st.HasModel || st.Training.LastEpoch.Epoch != 2 {
		t.Fatalf("state after the run: %+v", st.Training)
	}
	run, err := f.db.Run(ctx, id)
	if err != nil || run.Status != fmnist.StatusFinished || run.EndedAt.IsZero() || run.Config != cfg {
		t.Errorf("stored run %+v (%v)", run, err)
	}
	stored, err := f.db.LossPoints(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var published []fmnist.LossPoint
	var statuses []fmnist.Status
	for _, e := range f.rec.trainEvents() {
		switch e := e.(type) {
		case fmnist.LossPoint:
			published = append(published, e)
		case fmnist.StatusChange:
			statuses = append(statuses, e.Status)
		}
	}
	if len(published) != len(stored) || len(stored) != train.LossPointCount(2, trainImages/32) {
		t.Fatalf("%d points published, %d stored", len(published), len(stored))
	}
	for i := range stored {
		if published[i] != stored[i] {
			t.Errorf("point %d: published %+v, stored %+v", i, published[i], stored[i])
		}
	}
	if len(statuses) == 0 || statuses[0] != fmnist.StatusTraining || statuses[len(statuses)-1] != fmnist.StatusFinished {
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
	id2, err := svc.StartTraining(ctx, fmnist.Config{Epochs: 1, BatchSize: 64, LR: 0.001, Seed: 1, TrainLimit: 128})
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
// on, stops, and predicts again: the second answer must come from the
// stop's checkpoint, with its weights.
func TestPredictionsFollowTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	svc := f.svc
	id, err := svc.StartTraining(ctx, fmnist.Config{Epochs: 500, BatchSize: 32, LR: 0.002, Seed: 5, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "a model", func(st fmnist.State) bool { return st.HasModel })
	first, err := svc.Predict(ctx, 16)
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "epoch 4", func(st fmnist.State) bool { return st.Training.LastEpoch.Epoch >= 4 })
	if err := svc.StopTraining(); err != nil {
		t.Fatal(err)
	}
	if st := svc.State(); st.Training.Status != fmnist.StatusStopping {
		t.Errorf("right after StopTraining the status is %q, want stopping", st.Training.Status)
	}
	st := waitState(t, svc, "the stop", ended(id))
	if st.Training.Status != fmnist.StatusStopped {
		t.Fatalf("run ended as %q", st.Training.Status)
	}
	second, err := svc.Predict(ctx, 16)
	if err != nil {
		t.Fatal(err)
	}
	if second.Checkpoint == first.Checkpoint || second.Checkpoint != st.Training.Checkpoint.Path {
		t.Errorf("predictions from %q after %q, want from the stop's own checkpoint %q", second.Checkpoint, first.Checkpoint, st.Training.Checkpoint.Path)
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
	f := newService(t, dataDir, source, true, nil)
	id, err := f.svc.StartTraining(ctx, fmnist.Config{Epochs: 500, BatchSize: 32, LR: 0.002, Seed: 1, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, f.svc, "a few batches", func(st fmnist.State) bool { return st.Training.Progress.Epoch >= 2 })
	f.close()

	g := newService(t, dataDir, source, false, nil)
	st := g.svc.State()
	if st.Dataset.Status != fmnist.StatusReady || st.Training.RunID != id || st.Training.Status != fmnist.StatusStopped ||
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
	crashed, err := g.db.CreateRun(ctx, fmnist.DefaultConfig(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g.close()

	h := newService(t, dataDir, source, false, nil)
	st = h.svc.State()
	if st.Training.RunID != crashed.ID || st.Training.Status != fmnist.StatusInterrupted || st.Training.Reason != fmnist.InterruptedReason {
		t.Errorf("the crashed run should be interrupted: %+v", st.Training)
	}
	if !st.HasModel {
		t.Error("the earlier run's model is gone after the crash")
	}
	stored, err := h.db.Run(ctx, crashed.ID)
	if err != nil || stored.Status != fmnist.StatusInterrupted || stored.EndedAt.IsZero() {
		t.Errorf("stored crashed run %+v (%v)", stored, err)
	}
}

func TestDatasetFailureIsReported(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "missing"), false, nil)
	if err := f.svc.PrepareDataset(); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, f.svc, "the download to end", func(st fmnist.State) bool { return st.Dataset.Status != fmnist.StatusDownloading })
	if st.Dataset.Status != fmnist.StatusFailed || st.Dataset.Reason == "" {
		t.Fatalf("dataset state %+v, want failed with a reason", st.Dataset)
	}
	logs, err := f.db.RecentLogs(ctx, 10)
	if err != nil || len(logs) < 2 || logs[len(logs)-1].Level != fmnist.LevelError {
		t.Errorf("the failure should be in the log: %+v (%v)", logs, err)
	}
	// It can be tried again.
	if err := f.svc.PrepareDataset(); err != nil {
		t.Errorf("a retry: %v", err)
	}
	waitState(t, f.svc, "the retry to end", func(st fmnist.State) bool { return st.Dataset.Status != fmnist.StatusDownloading })
}

// TestDownloadSaysWhenItVerifies: once every byte is in, the state says
// that the files are being verified, in an update of its own, before the
// dataset is ready.
func TestDownloadSaysWhenItVerifies(t *testing.T) {
	mirror := httptest.NewServer(http.FileServer(http.Dir(writeSource(t))))
	defer mirror.Close()
	f := newService(t, filepath.Join(t.TempDir(), "data"), mirror.URL+"/", false, nil)
	if err := f.svc.PrepareDataset(); err != nil {
		t.Fatal(err)
	}
	waitState(t, f.svc, "the dataset", func(st fmnist.State) bool { return st.Dataset.Status == fmnist.StatusReady })
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	verifying, ready := -1, -1
	for i, u := range f.rec.updates {
		d := u.State.Dataset
		switch {
		case d.Verifying && d.Status == fmnist.StatusDownloading && verifying < 0:
			verifying = i
			if d.Progress.Total < 0 || d.Progress.Done != d.Progress.Total {
				t.Errorf("verifying at %d of %d bytes, want every byte in", d.Progress.Done, d.Progress.Total)
			}
		case d.Status == fmnist.StatusReady && ready < 0:
			ready = i
			if d.Verifying {
				t.Error("the ready dataset still says verifying")
			}
		}
	}
	if verifying < 0 || ready < verifying {
		t.Errorf("update %d verifying, %d ready: want verifying first, in an update of its own", verifying, ready)
	}
}
