package store

import (
	"context"
	"math"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

func TestLossPointsKeepOrderPerRun(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	a, _ := db.CreateRun(ctx, testConfig(), t0)
	b, _ := db.CreateRun(ctx, testConfig(), t0)

	// Epochs deliberately not increasing: the curve keeps insertion order.
	first := []fmnist.LossPoint{{Epoch: 0.5, Loss: 2.3}, {Epoch: 0.25, Loss: math.Inf(1)}, {Epoch: 1, Loss: math.NaN()}}
	second := []fmnist.LossPoint{{Epoch: 1.5, Loss: 0.4}}
	other := []fmnist.LossPoint{{Epoch: 9, Loss: 9}}
	for _, step := range []struct {
		run    int64
		points []fmnist.LossPoint
	}{{a.ID, first}, {b.ID, other}, {a.ID, second}, {a.ID, nil}} {
		if err := db.AddLossPoints(ctx, step.run, step.points); err != nil {
			t.Fatal(err)
		}
	}

	got, err := db.LossPoints(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]fmnist.LossPoint{}, first...), second...)
	if len(got) != len(want) {
		t.Fatalf("LossPoints = %v; want %v", got, want)
	}
	for i := range want {
		if !sameFloat(got[i].Epoch, want[i].Epoch) || !sameFloat(got[i].Loss, want[i].Loss) {
			t.Errorf("point %d = %v; want %v", i, got[i], want[i])
		}
	}
	if got, _ := db.LossPoints(ctx, b.ID); len(got) != 1 || got[0] != other[0] {
		t.Errorf("other run's points = %v; want %v", got, other)
	}
}

func TestAddLossPointsUnknownRunStoresNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	err := db.AddLossPoints(ctx, 5, []fmnist.LossPoint{{Epoch: 1, Loss: 1}})
	if fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Fatalf("AddLossPoints to unknown run: %v; want an ENOTFOUND error", err)
	}
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM loss_points`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d loss points stored (%v); want none", n, err)
	}
}

func TestEpochResultsAndRunFinalMetrics(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	if got, err := db.EpochResults(ctx, run.ID); err != nil || len(got) != 0 {
		t.Fatalf("EpochResults before any: %v, %v", got, err)
	}

	e1 := fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.81, TestLoss: 0.52, TrainLoss: 0.61, ImagesPerSec: 2100.5, Seconds: 28.6}
	e2 := fmnist.EpochResult{Epoch: 2, TestAccuracy: 0.86, TestLoss: 0.40, TrainLoss: 0.45, ImagesPerSec: 2200, Seconds: 27.3}
	for _, r := range []fmnist.EpochResult{e2, e1} { // out of order on purpose
		if err := db.AddEpochResult(ctx, run.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.EpochResults(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != e1 || got[1] != e2 {
		t.Errorf("EpochResults = %+v; want %+v, %+v", got, e1, e2)
	}
	// The run reports the highest epoch, even though epoch 1 came last.
	r, _ := db.Run(ctx, run.ID)
	if r.EpochsDone != 2 || r.TestAccuracy == nil || *r.TestAccuracy != e2.TestAccuracy || *r.TestLoss != e2.TestLoss {
		t.Errorf("run after two epochs: %+v", r)
	}

	// Storing epoch 2 again replaces its result; a
	// diverged loss survives as NaN.
	again := fmnist.EpochResult{Epoch: 2, TestAccuracy: 0.1, TestLoss: math.NaN(), TrainLoss: math.NaN(), ImagesPerSec: 1, Seconds: 1}
	if err := db.AddEpochResult(ctx, run.ID, again); err != nil {
		t.Fatal(err)
	}
	got, _ = db.EpochResults(ctx, run.ID)
	if len(got) != 2 || got[1].TestAccuracy != 0.1 || !math.IsNaN(got[1].TestLoss) || !math.IsNaN(got[1].TrainLoss) {
		t.Errorf("after re-evaluating epoch 2: %+v", got)
	}
	r, _ = db.Run(ctx, run.ID)
	if r.EpochsDone != 2 || *r.TestAccuracy != 0.1 || r.TestLoss == nil || !math.IsNaN(*r.TestLoss) {
		t.Errorf("run after re-evaluating epoch 2: %+v", r)
	}

	if err := db.AddEpochResult(ctx, run.ID+1, e1); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("AddEpochResult to unknown run: %v; want an ENOTFOUND error", err)
	}
}

// sameFloat is ==, except that NaN equals NaN.
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
