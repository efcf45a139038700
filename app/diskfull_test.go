package app_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/internal/disktest"
	"github.com/fmnist/trainer/store"
)

// failingStore wraps the service's store in disk, whose writes fail while
// it is full; unsaved writes are retried every retry.
func failingStore(disk *disktest.FullStore, retry time.Duration) func(*app.Options) {
	return func(o *app.Options) {
		disk.RunStore = o.Store
		o.Store = disk
		o.RetryInterval = retry
	}
}

// fillDuringRun starts a long run, fills the disk after its first
// checkpoint and waits for the run to fail; it returns the run and its
// state. The run must fail because of the disk, saying what to do.
func fillDuringRun(t *testing.T, f *fixture, disk *disktest.FullStore) (int64, fmnist.TrainingState) {
	t.Helper()
	id, err := f.svc.StartTraining(context.Background(), fmnist.Config{Epochs: 500, BatchSize: 32, LR: 0.002, Seed: 1, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, f.svc, "the first checkpoint", func(st fmnist.State) bool { return st.HasModel })
	disk.Fill()
	st := waitState(t, f.svc, "the run to end", ended(id)).Training
	if st.Status != fmnist.StatusFailed || !strings.HasPrefix(st.Reason, "disk full: ") || !strings.Contains(st.Reason, "free space needed") {
		t.Fatalf("a failed store write should fail the run, saying why; training: %+v", st)
	}
	return id, st
}

// publishedLog waits until a log line containing text was published.
func publishedLog(t *testing.T, rec *recorder, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range rec.trainEvents() {
			if l, ok := e.(fmnist.LogEntry); ok && strings.Contains(l.Message, text) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line %q was published", text)
}

// publishedPoints are the loss points published so far.
func publishedPoints(rec *recorder) []fmnist.LossPoint {
	var out []fmnist.LossPoint
	for _, e := range rec.trainEvents() {
		if p, ok := e.(fmnist.LossPoint); ok {
			out = append(out, p)
		}
	}
	return out
}

func samePoints(a, b []fmnist.LossPoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStoreFailureFailsTheRunAndCloseSavesIt makes the store's writes fail
// during a run. The run fails at once, and the trainer stopping afterwards
// does not turn it into "stopped". While the disk is full the service reads
// the run as it was published, though the store has not got it; after space
// returns, Close (the only retry here) saves all of it, so the next start
// shows the run failed for its reason, not interrupted.
func TestStoreFailureFailsTheRunAndCloseSavesIt(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	source := writeSource(t)
	disk := &disktest.FullStore{}
	f := newService(t, dataDir, source, true, &recorder{throughService: true}, failingStore(disk, time.Hour))
	id, failed := fillDuringRun(t, f, disk)

	// The trainer stops after its batch and saves its checkpoint.
	publishedLog(t, f.rec, "Training stopped")
	if st := f.svc.State().Training; st.Status != fmnist.StatusFailed || st.Reason != failed.Reason {
		t.Errorf("the trainer's stop changed the failed run to %s (%s)", st.Status, st.Reason)
	}
	published := publishedPoints(f.rec)
	run, err := f.svc.Run(ctx, id)
	if err != nil || run.Status != fmnist.StatusFailed || run.Reason != failed.Reason || run.EndedAt.IsZero() {
		t.Errorf("the service reads run %d as %+v (%v); want it failed as published", id, run, err)
	}
	if points, err := f.svc.LossPoints(ctx, id); err != nil || !samePoints(points, published) {
		t.Errorf("the service reads %d points (%v); %d were published", len(points), err, len(published))
	}
	if stored, err := f.db.Run(ctx, id); err != nil || stored.Status != fmnist.StatusTraining {
		t.Fatalf("the full store has run %d as %+v (%v); the test expects nothing written yet", id, stored, err)
	}
	if _, err := f.svc.StartTraining(ctx, fmnist.DefaultConfig()); fmnist.ErrorCode(err) != fmnist.ESTORAGE {
		t.Errorf("StartTraining with unsaved events: %v, want an %s error", err, fmnist.ESTORAGE)
	}

	disk.Free()
	f.close()
	db, err := store.Open(ctx, fmnist.Layout{Dir: dataDir}.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err = db.Run(ctx, id)
	if err != nil || run.Status != fmnist.StatusFailed || run.Reason != failed.Reason || run.EndedAt.IsZero() {
		t.Errorf("after Close the store has run %d as %+v (%v); want failed: %s", id, run, err, failed.Reason)
	}
	if points, err := db.LossPoints(ctx, id); err != nil || !samePoints(points, published) {
		t.Errorf("after Close the store has %d points (%v); %d were published", len(points), err, len(published))
	}
	logs, err := db.RecentLogs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sawFailure, sawStop bool
	for _, l := range logs {
		sawFailure = sawFailure || strings.HasPrefix(l.Message, "Training failed: disk full: ")
		sawStop = sawStop || strings.HasPrefix(l.Message, "Training stopped")
	}
	if !sawFailure || !sawStop {
		t.Errorf("the failure and the trainer's stop should be in the stored log (%v, %v): %+v", sawFailure, sawStop, logs)
	}
}

// TestUnsavedEventsAreSavedWhenSpaceReturns frees the disk while the
// service runs on: a timer retries the unsaved writes without Close, and a
// new run can start once they are saved.
func TestUnsavedEventsAreSavedWhenSpaceReturns(t *testing.T) {
	ctx := context.Background()
	disk := &disktest.FullStore{}
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, &recorder{throughService: true},
		failingStore(disk, 20*time.Millisecond))
	id, failed := fillDuringRun(t, f, disk)
	publishedLog(t, f.rec, "Training stopped")
	refused := disk.Refused()
	time.Sleep(500 * time.Millisecond)
	if disk.Refused() == refused {
		t.Errorf("no write was tried again in 500 ms with a 20 ms retry interval")
	}

	disk.Free()
	deadline := time.Now().Add(10 * time.Second)
	for {
		run, err := f.db.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status == fmnist.StatusFailed {
			if run.Reason != failed.Reason {
				t.Errorf("stored reason %q, want %q", run.Reason, failed.Reason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("space returned 10 s ago and run %d is still %s in the store", id, run.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if points, err := f.db.LossPoints(ctx, id); err != nil || !samePoints(points, publishedPoints(f.rec)) {
		t.Errorf("the store has %d points (%v); %d were published", len(points), err, len(publishedPoints(f.rec)))
	}
	next, err := f.svc.StartTraining(ctx, fmnist.Config{Epochs: 1, BatchSize: 64, LR: 0.001, Seed: 1, TrainLimit: 128})
	if err != nil {
		t.Fatalf("a new run once space returned: %v", err)
	}
	if st := waitState(t, f.svc, "the new run", ended(next)); st.Training.Status != fmnist.StatusFinished {
		t.Errorf("the new run ended as %s (%s)", st.Training.Status, st.Training.Reason)
	}
}

// TestFullCheckpointDiskFailsTheRun fills the file system of the
// checkpoints (the store has room): the run fails when it cannot save its
// first checkpoint, with a reason that says the disk is full, and the store
// keeps that reason.
func TestFullCheckpointDiskFailsTheRun(t *testing.T) {
	ctx := context.Background()
	dir := disktest.Tmpfs(t, 1<<20)
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil, func(o *app.Options) {
		o.CheckpointDir, o.DataDir = filepath.Join(dir, "checkpoints"), dir
	})
	disktest.Fill(t, dir)
	id, err := f.svc.StartTraining(ctx, fmnist.Config{Epochs: 2, BatchSize: 32, LR: 0.002, Seed: 1, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	st := waitState(t, f.svc, "the run to end", ended(id)).Training
	want := "disk full: could not save the checkpoint; 0 B free in " + dir
	if st.Status != fmnist.StatusFailed || !strings.HasPrefix(st.Reason, want) {
		t.Fatalf("training: %s (%s); want failed: %s…", st.Status, st.Reason, want)
	}
	f.close()
	db, err := store.Open(ctx, fmnist.Layout{Dir: f.dataDir}.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if run, err := db.Run(ctx, id); err != nil || run.Status != fmnist.StatusFailed || run.Reason != st.Reason {
		t.Errorf("stored run %+v (%v), want failed: %s", run, err, st.Reason)
	}
}
