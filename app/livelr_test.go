package app_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// TestResumeKeepsTheLiveLearningRate trains on a cosine schedule, changes
// the learning rate live, stops and resumes: the resumed run's loss points
// carry the schedule scaled as the change left it, not the plain schedule.
func TestResumeKeepsTheLiveLearningRate(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	svc := f.svc
	cfg := fmnist.Config{Epochs: 500, BatchSize: 32, LR: 0.002, Seed: 5, TrainLimit: 128}
	cfg.Schedule, cfg.FinalLR = fmnist.ScheduleCosine, 1e-4
	batches := cfg.BatchesPerEpoch(trainImages)
	id, err := svc.StartTraining(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "epoch 1", func(st fmnist.State) bool { return st.Training.LastEpoch.Epoch >= 1 })
	if err := svc.ChangeLR(5e-4); err != nil {
		t.Fatal(err)
	}
	var changes []fmnist.LRChange
	waitState(t, svc, "the stored change", func(fmnist.State) bool {
		changes, err = svc.LRChanges(ctx, id)
		return err == nil && len(changes) == 1
	})
	if err := svc.StopTraining(); err != nil {
		t.Fatal(err)
	}
	stopped := waitState(t, svc, "the stop", ended(id))
	ck := stopped.Training.Checkpoint
	resumedAt := float64(ck.Epoch)
	if ck.Batch > 0 {
		resumedAt = float64(ck.Epoch-1) + float64(ck.Batch)/float64(batches)
	}

	if err := svc.Resume(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "two epochs resumed", func(st fmnist.State) bool {
		return st.Training.RunID == id && st.Training.LastEpoch.Epoch >= ck.Epoch+2
	})
	if err := svc.StopTraining(); err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "the second stop", ended(id))

	points, err := f.db.LossPoints(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	resumed := 0
	for _, p := range points {
		if p.Epoch <= resumedAt+1e-9 {
			continue
		}
		resumed++
		batch := int(math.Round(p.Epoch*float64(batches))) - 1
		if want := cfg.LearningRate(batch, batches) * changes[0].Scale; math.Abs(p.LR-want) > 1e-9*want {
			t.Errorf("resumed point at epoch %.3f: rate %g, want the schedule scaled by %g, %g (unscaled %g)",
				p.Epoch, p.LR, changes[0].Scale, want, cfg.LearningRate(batch, batches))
		}
	}
	if resumed == 0 {
		t.Fatalf("no loss point after the resume at epoch %.3f (%d points)", resumedAt, len(points))
	}
}
