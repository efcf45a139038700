package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

func TestForkRunLinksItsParent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	parent, _ := db.CreateRun(ctx, testConfig(), t0)
	if err := db.AddCheckpoint(ctx, parent.ID, "run-1-e01.ckpt", 1, 0, t0); err != nil {
		t.Fatal(err)
	}
	cks, _ := db.Checkpoints(ctx, parent.ID)
	cfg := testConfig()
	cfg.LR = 5e-4
	point := fmnist.ForkPoint{RunID: parent.ID, CheckpointID: cks[0].ID, Epoch: 1}
	fork, err := db.ForkRun(ctx, cfg, t0.Add(time.Minute), point)
	if err != nil {
		t.Fatalf("ForkRun: %v", err)
	}
	got, err := db.Run(ctx, fork.ID)
	if err != nil || got.Parent == nil || *got.Parent != point || got.Config != cfg || got.Status != fmnist.StatusTraining {
		t.Fatalf("fork reads back as %+v (parent %+v), %v; want parent %+v", got, got.Parent, err, point)
	}
	if p, _ := db.Run(ctx, parent.ID); p.Parent != nil {
		t.Errorf("a run started afresh has parent %+v", p.Parent)
	}

	// The fork point outlives the checkpoint's row and the parent run.
	if err := db.DeleteCheckpoint(ctx, cks[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Run(ctx, fork.ID); got.Parent == nil || *got.Parent != (fmnist.ForkPoint{RunID: parent.ID, Epoch: 1}) {
		t.Errorf("after deleting the checkpoint: parent %+v", got.Parent)
	}
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, parent.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Run(ctx, fork.ID); got.Parent == nil || *got.Parent != (fmnist.ForkPoint{Epoch: 1}) {
		t.Errorf("after deleting the parent: parent %+v", got.Parent)
	}

	for _, bad := range []fmnist.ForkPoint{{RunID: 99, CheckpointID: 1}, {RunID: fork.ID, CheckpointID: 99}} {
		if _, err := db.ForkRun(ctx, cfg, t0, bad); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
			t.Errorf("ForkRun from %+v: %v, want ENOTFOUND", bad, err)
		}
	}
}

// TestResumeRunDropsWhatFollowsTheCheckpoint resumes an interrupted run
// whose last checkpoint is an epoch behind what it reported.
func TestResumeRunDropsWhatFollowsTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	for _, r := range []fmnist.EpochResult{{Epoch: 1, TestAccuracy: 0.7}, {Epoch: 2, TestAccuracy: 0.8}} {
		if err := db.AddEpochResult(ctx, run.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	// Checkpoints after epochs 1 and 2 and in epoch 3 after batch 5 of 10.
	for _, c := range [][2]int{{1, 0}, {2, 0}, {3, 5}} {
		if err := db.AddCheckpoint(ctx, run.ID, "ck", c[0], c[1], t0); err != nil {
			t.Fatal(err)
		}
	}
	var points []fmnist.LossPoint
	for x := 1; x <= 28; x++ { // up to epoch 2.8
		points = append(points, fmnist.LossPoint{Epoch: float64(x) / 10, Loss: 1})
	}
	if err := db.AddLossPoints(ctx, run.ID, points); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunStatus(ctx, run.ID, fmnist.StatusInterrupted, fmnist.InterruptedReason, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	cks, _ := db.Checkpoints(ctx, run.ID)

	// Resume from the epoch-1 checkpoint (as if the later ones were pruned).
	at := t0.Add(2 * time.Hour)
	r := fmnist.Resume{RunID: run.ID, CheckpointID: cks[0].ID, Epoch: 1, Batch: 0, X: 1, ResumedAt: at}
	cfg := testConfig()
	cfg.Epochs = 7
	if err := db.ResumeRun(ctx, r, cfg); err != nil {
		t.Fatalf("ResumeRun: %v", err)
	}
	got, _ := db.Run(ctx, run.ID)
	if got.Status != fmnist.StatusTraining || got.Reason != "" || !got.EndedAt.IsZero() || got.EpochsDone != 1 ||
		got.TestAccuracy == nil || *got.TestAccuracy != 0.7 || got.Config != cfg {
		t.Errorf("resumed run %+v; want training with %+v, no reason, no end, 1 epoch at 70%%", got, cfg)
	}
	lp, _ := db.LossPoints(ctx, run.ID)
	if len(lp) != 10 || lp[len(lp)-1].Epoch != 1 {
		t.Errorf("loss points after resume end at %v (%d); want the 10 up to epoch 1", lp[len(lp)-1], len(lp))
	}
	if er, _ := db.EpochResults(ctx, run.ID); len(er) != 1 {
		t.Errorf("epoch results %+v; want epoch 1 only", er)
	}
	rs, err := db.Resumes(ctx, run.ID)
	if err != nil || len(rs) != 1 || !rs[0].ResumedAt.Equal(at) {
		t.Fatalf("Resumes = %+v, %v; want one at %v", rs, err, at)
	}
	r.ID, r.ResumedAt = rs[0].ID, rs[0].ResumedAt
	if rs[0] != r {
		t.Errorf("Resumes = %+v, %v; want [%+v]", rs, err, r)
	}

	// A resume at the start (nothing evaluated) leaves no epoch.
	if err := db.ResumeRun(ctx, fmnist.Resume{RunID: run.ID, Epoch: 1, Batch: 3, X: 0.3, ResumedAt: at}, cfg); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Run(ctx, run.ID); got.EpochsDone != 0 || got.TestAccuracy != nil {
		t.Errorf("after a resume in epoch 1: %+v; want no epoch done", got)
	}
	if rs, _ := db.Resumes(ctx, run.ID); len(rs) != 2 || rs[1].CheckpointID != 0 {
		t.Errorf("Resumes = %+v; want a second one without a checkpoint", rs)
	}
	if err := db.ResumeRun(ctx, fmnist.Resume{RunID: 99}, cfg); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("ResumeRun of an unknown run: %v, want ENOTFOUND", err)
	}
}

// TestMigrationToResumeKeepsRuns opens a database of version 3: its runs
// read back as started afresh, with no resumes.
func TestMigrationToResumeKeepsRuns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), testFile)
	old, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	fsys := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_drop_settings.sql", "0003_one_checkpoint_row_per_file.sql"} {
		data, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys["migrations/"+name] = &fstest.MapFile{Data: data}
	}
	if err := migrate(ctx, old, fsys); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO runs (id, config, status, started_at) VALUES (1, '{"epochs":3}', 'stopped', 0)`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.Run(ctx, 1)
	if err != nil || run.Parent != nil || run.Config.Epochs != 3 {
		t.Errorf("run after migration: %+v, %v; want it with no parent", run, err)
	}
	if rs, err := db.Resumes(ctx, 1); err != nil || len(rs) != 0 {
		t.Errorf("Resumes = %+v, %v; want none", rs, err)
	}
}
