package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

func TestRunSummariesBestAccuracyAndSpeed(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	a, _ := db.CreateRun(ctx, testConfig(), t0)
	b, _ := db.CreateRun(ctx, testConfig(), t0.Add(time.Minute))
	for _, r := range []fmnist.EpochResult{
		{Epoch: 1, TestAccuracy: 0.8, ImagesPerSec: 100},
		{Epoch: 2, TestAccuracy: 0.7, ImagesPerSec: 300},
	} {
		if err := db.AddEpochResult(ctx, a.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.RunSummaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != b.ID || got[1].ID != a.ID {
		t.Fatalf("RunSummaries = %+v; want runs %d, %d", got, b.ID, a.ID)
	}
	if got[0].BestAccuracy != nil || got[0].ImagesPerSec != 0 {
		t.Errorf("run without epochs: best %v, %v img/s; want none", got[0].BestAccuracy, got[0].ImagesPerSec)
	}
	if s := got[1]; s.BestAccuracy == nil || *s.BestAccuracy != 0.8 || s.ImagesPerSec != 200 ||
		s.TestAccuracy == nil || *s.TestAccuracy != 0.7 || s.EpochsDone != 2 {
		t.Errorf("run with epochs: %+v; want best 0.8, final 0.7, 200 img/s, 2 epochs", s)
	}
}

func TestRunLogsPagedNewestFirstByLevel(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	other, _ := db.CreateRun(ctx, testConfig(), t0)
	var entries []fmnist.LogEntry
	for i := range 10 {
		level := fmnist.LevelInfo
		if i%3 == 0 {
			level = fmnist.LevelWarn
		}
		entries = append(entries, fmnist.LogEntry{Time: t0, Level: level, Message: fmt.Sprint("line ", i)})
	}
	if err := db.AddLogs(ctx, run.ID, entries); err != nil {
		t.Fatal(err)
	}
	if err := db.AddLogs(ctx, other.ID, entries[:2]); err != nil {
		t.Fatal(err)
	}
	page, total, err := db.RunLogs(ctx, run.ID, fmnist.LogQuery{Limit: 4, Offset: 4})
	if err != nil {
		t.Fatal(err)
	}
	if total != 10 || len(page) != 4 || page[0].Message != "line 5" || page[3].Message != "line 2" {
		t.Errorf("second page of 4: %d in all, %+v; want 10, lines 5..2", total, page)
	}
	warn, total, err := db.RunLogs(ctx, run.ID, fmnist.LogQuery{Level: fmnist.LevelWarn})
	if err != nil {
		t.Fatal(err)
	}
	if total != 4 || len(warn) != 4 || warn[0].Message != "line 9" || warn[3].Message != "line 0" {
		t.Errorf("warnings: %d in all, %+v; want lines 9, 6, 3, 0", total, warn)
	}
}

func TestDeleteRunRemovesEverythingOfIt(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	kept, _ := db.CreateRun(ctx, testConfig(), t0)
	for _, id := range []int64{run.ID, kept.ID} {
		mustDo(t, db.AddLossPoints(ctx, id, []fmnist.LossPoint{{Epoch: 0.5, Loss: 1}}))
		mustDo(t, db.AddEpochResult(ctx, id, fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.5}))
		mustDo(t, db.AddLogs(ctx, id, []fmnist.LogEntry{{Time: t0, Level: fmnist.LevelInfo, Message: "hi"}}))
		mustDo(t, db.AddCheckpoint(ctx, id, fmt.Sprintf("run-%d-e01.ckpt", id), 1, 0, t0))
	}
	cks, err := db.DeleteRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cks) != 1 || cks[0].Path != fmt.Sprintf("run-%d-e01.ckpt", run.ID) {
		t.Errorf("DeleteRun returned checkpoints %+v; want the run's one", cks)
	}
	if _, err := db.Run(ctx, run.ID); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("Run after delete: %v; want not found", err)
	}
	for _, table := range []string{"loss_points", "epoch_results", "logs", "checkpoints"} {
		var n int
		mustDo(t, db.sql.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE run_id IS NOT ?`, kept.ID).Scan(&n))
		if n != 0 {
			t.Errorf("%s keeps %d rows not of run %d", table, n, kept.ID)
		}
	}
	if logs, _ := db.RecentLogs(ctx, 0); len(logs) != 1 {
		t.Errorf("RecentLogs after delete = %+v; want the other run's line", logs)
	}
	if _, err := db.DeleteRun(ctx, run.ID); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("second DeleteRun: %v; want not found", err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
