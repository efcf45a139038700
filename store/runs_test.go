package store

import (
	"context"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// t0 has millisecond precision, which is what the store keeps.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func testConfig() fmnist.Config {
	return fmnist.Config{Epochs: 2, BatchSize: 32, LR: 0.005, Seed: 7, TrainLimit: 1000}
}

func TestCreateRunRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	created, err := db.CreateRun(ctx, testConfig(), t0.Add(123*time.Microsecond)) // sub-ms part is dropped
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.Status != fmnist.StatusTraining {
		t.Errorf("CreateRun = %+v; want an id and status training", created)
	}
	got, err := db.Run(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != created.ID || got.Config != testConfig() || got.Status != fmnist.StatusTraining ||
		got.Reason != "" || !got.StartedAt.Equal(t0) || !got.EndedAt.IsZero() ||
		got.EpochsDone != 0 || got.TestAccuracy != nil || got.TestLoss != nil {
		t.Errorf("Run = %+v", got)
	}
	if !created.StartedAt.Equal(got.StartedAt) {
		t.Errorf("CreateRun returned StartedAt %v, stored %v", created.StartedAt, got.StartedAt)
	}
}

func TestSetRunStatus(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, err := db.CreateRun(ctx, testConfig(), t0)
	if err != nil {
		t.Fatal(err)
	}

	if err := db.SetRunStatus(ctx, run.ID, fmnist.StatusStopping, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Run(ctx, run.ID)
	if got.Status != fmnist.StatusStopping || !got.EndedAt.IsZero() {
		t.Errorf("after stopping: %+v", got)
	}

	end := t0.Add(90 * time.Second)
	if err := db.SetRunStatus(ctx, run.ID, fmnist.StatusFailed, "out of memory", end); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Run(ctx, run.ID)
	if got.Status != fmnist.StatusFailed || got.Reason != "out of memory" || !got.EndedAt.Equal(end) {
		t.Errorf("after failing: %+v", got)
	}

	if err := db.SetRunStatus(ctx, run.ID+1, fmnist.StatusStopped, "", end); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("SetRunStatus of unknown run: %v; want an ENOTFOUND error", err)
	}
}

func TestRunsNewestFirstAndLatestRun(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)

	if _, ok, err := db.LatestRun(ctx); err != nil || ok {
		t.Fatalf("LatestRun of empty store: ok=%v err=%v", ok, err)
	}
	if runs, err := db.Runs(ctx, 10); err != nil || len(runs) != 0 {
		t.Fatalf("Runs of empty store: %v, %v", runs, err)
	}

	var ids []int64
	for i := range 4 {
		cfg := testConfig()
		cfg.Seed = int64(i)
		r, err := db.CreateRun(ctx, cfg, t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}

	all, err := db.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("Runs(0) returned %d runs; want all 4", len(all))
	}
	for i, r := range all {
		if want := ids[len(ids)-1-i]; r.ID != want || r.Config.Seed != int64(len(ids)-1-i) {
			t.Errorf("Runs[%d] = run %d (seed %d); want run %d", i, r.ID, r.Config.Seed, want)
		}
	}
	two, err := db.Runs(ctx, 2)
	if err != nil || len(two) != 2 || two[0].ID != ids[3] || two[1].ID != ids[2] {
		t.Errorf("Runs(2) = %v, %v; want the two newest", two, err)
	}
	latest, ok, err := db.LatestRun(ctx)
	if err != nil || !ok || latest.ID != ids[3] {
		t.Errorf("LatestRun = %d, %v, %v; want %d", latest.ID, ok, err, ids[3])
	}
}

func TestMarkInterruptedOnlyTouchesLiveRuns(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	end := t0.Add(time.Minute)
	before := map[fmnist.Status]int64{}
	for _, s := range []fmnist.Status{fmnist.StatusTraining, fmnist.StatusStopping, fmnist.StatusStopped, fmnist.StatusFinished, fmnist.StatusFailed} {
		r, err := db.CreateRun(ctx, testConfig(), t0)
		if err != nil {
			t.Fatal(err)
		}
		ended := end
		if s == fmnist.StatusTraining || s == fmnist.StatusStopping {
			ended = time.Time{}
		}
		if err := db.SetRunStatus(ctx, r.ID, s, "was "+string(s), ended); err != nil {
			t.Fatal(err)
		}
		before[s] = r.ID
	}

	now := t0.Add(time.Hour)
	n, err := db.MarkInterrupted(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("MarkInterrupted = %d, %v; want 2", n, err)
	}
	for s, id := range before {
		got, err := db.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s == fmnist.StatusTraining || s == fmnist.StatusStopping {
			if got.Status != fmnist.StatusInterrupted || got.Reason != fmnist.InterruptedReason || !got.EndedAt.Equal(now) {
				t.Errorf("run that was %s: %+v; want interrupted at %v", s, got, now)
			}
		} else if got.Status != s || got.Reason != "was "+string(s) || !got.EndedAt.Equal(end) {
			t.Errorf("run that was %s changed: %+v", s, got)
		}
	}
	if n, err := db.MarkInterrupted(ctx, now); err != nil || n != 0 {
		t.Errorf("second MarkInterrupted = %d, %v; want 0", n, err)
	}
}
