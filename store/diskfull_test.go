package store

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/internal/disktest"
)

// TestFullDiskSaysENOSPC fills the file system under a real database: every
// kind of write then fails with an error that says the disk is full
// (syscall.ENOSPC, which the service tells apart from other failures), and
// once space returns the same writes succeed.
func TestFullDiskSaysENOSPC(t *testing.T) {
	ctx := context.Background()
	dir := disktest.Tmpfs(t, 4<<20)
	db, err := Open(ctx, filepath.Join(dir, testFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.CreateRun(ctx, fmnist.DefaultConfig(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	points := make([]fmnist.LossPoint, 200)
	for i := range points {
		points[i] = fmnist.LossPoint{Epoch: float64(i), Loss: 1}
	}
	free := disktest.Fill(t, dir)
	// The log file may have room for a few more writes.
	for i := 0; i < 1000 && err == nil; i++ {
		err = db.AddLossPoints(ctx, run.ID, points)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("adding loss points to a full disk: %v; want an error that is syscall.ENOSPC", err)
	}
	now := time.Now()
	writes := map[string]func() error{
		"CreateRun": func() error { _, err := db.CreateRun(ctx, fmnist.DefaultConfig(), now); return err },
		"SetRunStatus": func() error {
			return db.SetRunStatus(ctx, run.ID, fmnist.StatusFailed, "disk full", now)
		},
		"AddLogs": func() error {
			return db.AddLogs(ctx, run.ID, []fmnist.LogEntry{{Time: now, Level: fmnist.LevelError, Message: "x"}})
		},
		"AddEpochResult":  func() error { return db.AddEpochResult(ctx, run.ID, fmnist.EpochResult{Epoch: 1}) },
		"AddCheckpoint":   func() error { return db.AddCheckpoint(ctx, run.ID, "run-1.ckpt", 1, 0, now) },
		"MarkInterrupted": func() error { _, err := db.MarkInterrupted(ctx, now); return err },
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("%s on a full disk: %v; want an error that is syscall.ENOSPC", name, err)
		}
	}
	free()
	if err := db.SetRunStatus(ctx, run.ID, fmnist.StatusFailed, "disk full", now); err != nil {
		t.Fatalf("SetRunStatus once space returned: %v", err)
	}
	if err := db.AddLossPoints(ctx, run.ID, points); err != nil {
		t.Fatalf("AddLossPoints once space returned: %v", err)
	}
	if got, err := db.Run(ctx, run.ID); err != nil || got.Status != fmnist.StatusFailed {
		t.Errorf("run after space returned: %+v (%v)", got, err)
	}
}
