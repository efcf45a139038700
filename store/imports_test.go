package store

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

func testImport() fmnist.ImportedRun {
	a := testAnalysis(2)
	a.Correct, a.Images = nil, 0 // a bundle keeps only the matrix
	return fmnist.ImportedRun{Config: testConfig(), Status: fmnist.StatusFinished, StartedAt: t0, EndedAt: t0,
		Origin:   fmnist.RunOrigin{AppVersion: "v1", KernelPath: "go", SourceRunID: 7},
		Loss:     []fmnist.LossPoint{{Epoch: 0.5, Loss: 1}, {Epoch: 1, Loss: 0.5}},
		Epochs:   []fmnist.EpochResult{{Epoch: 1, TestAccuracy: 0.7}, {Epoch: 2, TestAccuracy: 0.8}},
		Analysis: &a, Note: fmnist.LogEntry{Time: t0, Level: fmnist.LevelInfo, Message: "Imported from run 7"},
		CheckpointEpoch: 2, CheckpointAt: t0}
}

// TestImportRunStoresTheLastConfusionMatrixAndANote imports a run: its
// analytics hold the bundle's matrix at its epoch, its log the note.
func TestImportRunStoresTheLastConfusionMatrixAndANote(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	imp := testImport()
	run, err := db.ImportRun(ctx, imp, func(int64) (string, error) { return "ck", nil })
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.EpochAnalyses(ctx, run.ID)
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], *imp.Analysis) {
		t.Errorf("analyses %+v (%v), want only the imported epoch's %+v", got, err, *imp.Analysis)
	}
	logs, total, err := db.RunLogs(ctx, run.ID, fmnist.LogQuery{})
	if err != nil || total != 1 || logs[0].Message != imp.Note.Message {
		t.Errorf("log %+v (%d, %v), want the note alone", logs, total, err)
	}
}

// TestImportRunThatFailsLeavesNothing fails the import at its last step
// (placing the checkpoint): no run, matrix or log line remains.
func TestImportRunThatFailsLeavesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	placeFailed := errors.New("no room for the checkpoint")
	var id int64
	_, err := db.ImportRun(ctx, testImport(), func(runID int64) (string, error) { id = runID; return "", placeFailed })
	if !errors.Is(err, placeFailed) {
		t.Fatalf("ImportRun: %v, want the placing error", err)
	}
	runs, _ := db.Runs(ctx, 0)
	analyses, _ := db.EpochAnalyses(ctx, id)
	logs, _ := db.RecentLogs(ctx, 0)
	if len(runs) != 0 || len(analyses) != 0 || len(logs) != 0 {
		t.Errorf("a failed import left %d runs, %d analyses, %d log lines", len(runs), len(analyses), len(logs))
	}
}
