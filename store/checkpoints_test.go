package store

import (
	"context"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

func TestCheckpoints(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, ok, err := db.LatestCheckpoint(ctx); err != nil || ok {
		t.Fatalf("LatestCheckpoint of empty store: ok=%v err=%v", ok, err)
	}
	a, _ := db.CreateRun(ctx, testConfig(), t0)
	b, _ := db.CreateRun(ctx, testConfig(), t0)

	// Stopped mid-epoch before any evaluation: no accuracy yet.
	if err := db.AddCheckpoint(ctx, a.ID, "ckpt/a-1-10.bin", 1, 10, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.AddEpochResult(ctx, a.ID, fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.8}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCheckpoint(ctx, a.ID, "ckpt/a-1.bin", 1, 0, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCheckpoint(ctx, b.ID, "ckpt/b-0-3.bin", 0, 3, t0.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}

	got, err := db.Checkpoints(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Checkpoints(a) = %+v; want 2", got)
	}
	first, second := got[0], got[1]
	if first.RunID != a.ID || first.Path != "ckpt/a-1-10.bin" || first.Epoch != 1 || first.Batch != 10 ||
		first.TestAccuracy != nil || !first.CreatedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("first checkpoint = %+v", first)
	}
	if second.Path != "ckpt/a-1.bin" || second.Batch != 0 || second.TestAccuracy == nil || *second.TestAccuracy != 0.8 {
		t.Errorf("second checkpoint = %+v; want accuracy 0.8", second)
	}

	latest, ok, err := db.LatestCheckpoint(ctx)
	if err != nil || !ok || latest.RunID != b.ID || latest.Path != "ckpt/b-0-3.bin" {
		t.Errorf("LatestCheckpoint = %+v, %v, %v; want run b's", latest, ok, err)
	}

	if err := db.AddCheckpoint(ctx, b.ID+1, "x.bin", 1, 0, t0); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("AddCheckpoint to unknown run: %v; want an ENOTFOUND error", err)
	}
}
