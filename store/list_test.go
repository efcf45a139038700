package store

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

func TestListRunsFiltersByStatusAndPages(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	// Runs 1..7: odd ones finish, even ones fail, the last still trains.
	var finished []int64
	for i := range 7 {
		r, err := db.CreateRun(ctx, testConfig(), t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i == 6:
		case i%2 == 0:
			finished = append(finished, r.ID)
			if err := db.SetRunStatus(ctx, r.ID, fmnist.StatusFinished, "", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		default:
			if err := db.SetRunStatus(ctx, r.ID, fmnist.StatusFailed, "boom", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	slices.Reverse(finished) // newest first

	ids := func(f fmnist.RunFilter) []int64 {
		t.Helper()
		runs, err := db.ListRuns(ctx, f)
		if err != nil {
			t.Fatalf("ListRuns(%+v): %v", f, err)
		}
		var out []int64
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		f    fmnist.RunFilter
		want []int64
	}{
		{fmnist.RunFilter{}, []int64{7, 6, 5, 4, 3, 2, 1}},
		{fmnist.RunFilter{Limit: 2}, []int64{7, 6}},
		{fmnist.RunFilter{Limit: 2, Offset: 2}, []int64{5, 4}},
		{fmnist.RunFilter{Offset: 5}, []int64{2, 1}},
		{fmnist.RunFilter{Offset: 7}, nil},
		{fmnist.RunFilter{Status: fmnist.StatusFinished}, finished},
		{fmnist.RunFilter{Status: fmnist.StatusFinished, Limit: 1, Offset: 1}, finished[1:2]},
		{fmnist.RunFilter{Status: fmnist.StatusTraining}, []int64{7}},
		{fmnist.RunFilter{Status: fmnist.StatusStopped}, nil},
	} {
		if got := ids(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("ListRuns(%+v) = %v; want %v", tc.f, got, tc.want)
		}
	}
}

func TestRunSummaryFromEpochResults(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, err := db.CreateRun(ctx, testConfig(), t0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := db.Run(ctx, run.ID)
	if got.BestTestAccuracy != nil || got.ImagesPerSec != nil {
		t.Errorf("a run without epochs has best %v, speed %v; want nil", got.BestTestAccuracy, got.ImagesPerSec)
	}
	// The best epoch is the second; the last one diverged (NaN accuracy
	// and speed are stored as NULL, which max and avg skip).
	for _, r := range []fmnist.EpochResult{
		{Epoch: 1, TestAccuracy: 0.7, TestLoss: 0.8, ImagesPerSec: 1000, Seconds: 60},
		{Epoch: 2, TestAccuracy: 0.85, TestLoss: 0.4, ImagesPerSec: 3000, Seconds: 20},
		{Epoch: 3, TestAccuracy: math.NaN(), TestLoss: math.NaN(), ImagesPerSec: math.NaN(), Seconds: 20},
	} {
		if err := db.AddEpochResult(ctx, run.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetRunStatus(ctx, run.ID, fmnist.StatusFailed, "diverged", t0.Add(100*time.Second)); err != nil {
		t.Fatal(err)
	}
	listed, err := db.ListRuns(ctx, fmnist.RunFilter{})
	if err != nil || len(listed) != 1 {
		t.Fatalf("ListRuns = %v, %v", listed, err)
	}
	one, _ := db.Run(ctx, run.ID)
	for name, r := range map[string]fmnist.Run{"Run": one, "ListRuns": listed[0]} {
		if r.EpochsDone != 3 || r.BestTestAccuracy == nil || *r.BestTestAccuracy != 0.85 ||
			r.ImagesPerSec == nil || *r.ImagesPerSec != 2000 || r.TestAccuracy == nil || !math.IsNaN(*r.TestAccuracy) {
			t.Errorf("%s: epochs %d, best %v, speed %v, final %v; want 3, 0.85, 2000, NaN",
				name, r.EpochsDone, deref(r.BestTestAccuracy), deref(r.ImagesPerSec), deref(r.TestAccuracy))
		}
		if d := r.Duration(time.Now()); d != 100*time.Second {
			t.Errorf("%s: Duration = %v; want 100s", name, d)
		}
	}
	if d := run.Duration(t0.Add(time.Minute)); d != time.Minute {
		t.Errorf("a going run's Duration = %v; want the time since it started", d)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// BenchmarkListRuns lists a page of 100 of 200 runs of 20 epochs each,
// with their best accuracy and mean speed, as GET /api/runs does.
func BenchmarkListRuns(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	for i := range 200 {
		run, err := db.CreateRun(ctx, testConfig(), t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		for e := range 20 {
			r := fmnist.EpochResult{Epoch: e + 1, TestAccuracy: 0.5 + float64(e)/100, TestLoss: 0.4, TrainLoss: 0.5, ImagesPerSec: 3000, Seconds: 20}
			if err := db.AddEpochResult(ctx, run.ID, r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		runs, err := db.ListRuns(ctx, fmnist.RunFilter{Limit: 100, Offset: 50})
		if err != nil || len(runs) != 100 {
			b.Fatalf("ListRuns: %d runs, %v", len(runs), err)
		}
	}
}
