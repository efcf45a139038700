package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"testing/fstest"
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

func TestDeleteCheckpoint(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	for epoch := 1; epoch <= 3; epoch++ {
		if err := db.AddCheckpoint(ctx, run.ID, fmt.Sprintf("run-1-e%02d.ckpt", epoch), epoch, 0, t0); err != nil {
			t.Fatal(err)
		}
	}
	cks, _ := db.Checkpoints(ctx, run.ID)
	if err := db.DeleteCheckpoint(ctx, cks[1].ID); err != nil {
		t.Fatalf("DeleteCheckpoint: %v", err)
	}
	got, err := db.Checkpoints(ctx, run.ID)
	if err != nil || len(got) != 2 || got[0].Epoch != 1 || got[1].Epoch != 3 {
		t.Errorf("after deleting epoch 2's checkpoint: %+v, %v; want epochs 1 and 3", got, err)
	}
	if err := db.DeleteCheckpoint(ctx, cks[1].ID); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("deleting it again: %v; want an ENOTFOUND error", err)
	}
}

// TestMigrationKeepsOneRowPerCheckpointFile opens a database of the time
// when a run rewrote one file after every epoch but kept a row per epoch:
// only the newest row of each file tells what it holds.
func TestMigrationKeepsOneRowPerCheckpointFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), testFile)
	old, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	fsys := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_drop_settings.sql"} {
		data, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys["migrations/"+name] = &fstest.MapFile{Data: data}
	}
	if err := migrate(ctx, old, fsys); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`
		INSERT INTO runs (id, config, status, started_at) VALUES (1, '{}', 'finished', 0), (2, '{}', 'stopped', 0);
		INSERT INTO checkpoints (run_id, path, epoch, batch, created_at) VALUES
			(1, 'run-1.ckpt', 1, 0, 1), (1, 'run-1.ckpt', 2, 0, 2), (1, 'run-1.ckpt', 3, 0, 3),
			(2, 'run-2.ckpt', 1, 0, 4), (2, 'run-2.ckpt', 2, 7, 5)`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, want := range []fmnist.Checkpoint{{RunID: 1, Path: "run-1.ckpt", Epoch: 3}, {RunID: 2, Path: "run-2.ckpt", Epoch: 2, Batch: 7}} {
		got, err := db.Checkpoints(ctx, want.RunID)
		if err != nil || len(got) != 1 || got[0].Path != want.Path || got[0].Epoch != want.Epoch || got[0].Batch != want.Batch {
			t.Errorf("run %d lists %+v (%v), want only its newest checkpoint %+v", want.RunID, got, err, want)
		}
	}
}
