package train

import (
	"context"
	"math"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// TestLiveLRScalesTheSchedule: a rate asked for is taken before the next
// batch (here the first), reported once as an LRChange, and the schedule
// continues scaled: every loss point's rate is the schedule's times
// asked/scheduled.
func TestLiveLRScalesTheSchedule(t *testing.T) {
	ds := loadSynthetic(t, 320, 64)
	cfg := fmnist.Config{Epochs: 2, BatchSize: 32, LR: 2e-3, Seed: 3}
	cfg.Schedule, cfg.FinalLR = fmnist.ScheduleCosine, 1e-4
	var live LiveLR
	live.Request(5e-4)
	var box fmnist.Mailbox
	if _, err := Run(context.Background(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "live", Logger: testLogger(t), LiveLR: &live}, &box); err != nil {
		t.Fatalf("Run: %v", err)
	}
	batches := cfg.BatchesPerEpoch(ds.Train.Count)
	scale := 5e-4 / cfg.LearningRate(0, batches)
	var changes []fmnist.LRChange
	points := 0
	for _, e := range box.Drain() {
		switch e := e.(type) {
		case fmnist.LRChange:
			changes = append(changes, e)
		case fmnist.LossPoint:
			points++
			batch := int(math.Round(e.Epoch*float64(batches))) - 1
			if want := cfg.LearningRate(batch, batches) * scale; math.Abs(e.LR-want) > 1e-12 {
				t.Errorf("point at epoch %.3f: rate %g, want the schedule scaled, %g", e.Epoch, e.LR, want)
			}
		}
	}
	if len(changes) != 1 || changes[0].LR != 5e-4 || math.Abs(changes[0].Scale-scale) > 1e-12 || changes[0].Epoch != 1/float64(batches) {
		t.Errorf("changes %+v, want one at the first batch to 5e-4 scaling by %g", changes, scale)
	}
	if points == 0 {
		t.Fatal("no loss points")
	}
	if live.take() != 0 {
		t.Error("the request was not taken")
	}
}

// TestResumeKeepsTheLiveScale: a run whose rate was changed live, stopped
// and resumed, trains on at the schedule scaled as the change left it (the
// checkpoint keeps the scale); a fork of the same checkpoint, another run,
// trains its own schedule unscaled.
func TestResumeKeepsTheLiveScale(t *testing.T) {
	ds := loadSynthetic(t, 320, 64)
	cfg := fmnist.Config{Epochs: 2, BatchSize: 32, LR: 2e-3, Seed: 3}
	cfg.Schedule, cfg.FinalLR = fmnist.ScheduleCosine, 1e-4
	batches := cfg.BatchesPerEpoch(ds.Train.Count)
	scale := 5e-4 / cfg.LearningRate(0, batches)

	dir := t.TempDir()
	var live LiveLR
	live.Request(5e-4)
	ctx := newStopAfterChecks(5)
	res, err := Run(ctx, ds, cfg, Options{CheckpointDir: dir, RunID: "live", Logger: testLogger(t), LiveLR: &live}, nil)
	ctx.cancel()
	if err != nil || !res.Stopped {
		t.Fatalf("first leg: %+v, %v; want it stopped", res, err)
	}
	from := finalState(t, res.CheckpointPath)
	if from.Meta.Batch == 0 || math.Abs(from.Meta.Position.LRScale-scale) > 1e-12 {
		t.Fatalf("checkpoint at %+v keeps scale %g, want a stop mid-epoch keeping %g", from.Meta, from.Meta.Position.LRScale, scale)
	}

	for _, leg := range []struct {
		runID string
		scale float64
	}{{"live", scale}, {"fork", 1}} {
		var box fmnist.Mailbox
		if _, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: dir, RunID: leg.runID, Logger: testLogger(t), From: from}, &box); err != nil {
			t.Fatalf("%s: %v", leg.runID, err)
		}
		points := 0
		for _, e := range box.Drain() {
			p, ok := e.(fmnist.LossPoint)
			if !ok {
				continue
			}
			points++
			batch := int(math.Round(p.Epoch*float64(batches))) - 1
			if want := cfg.LearningRate(batch, batches) * leg.scale; math.Abs(p.LR-want) > 1e-12 {
				t.Errorf("%s: point at epoch %.3f: rate %g, want the schedule times %g, %g", leg.runID, p.Epoch, p.LR, leg.scale, want)
			}
		}
		if points == 0 {
			t.Fatalf("%s: no loss points", leg.runID)
		}
	}
}
