package bundles_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/app/bundles"
	"github.com/fmnist/trainer/fmnist"
)

// TestExportDeleteImportPredictsTheSame exports a run, deletes it, imports
// the bundle and checks that the imported run predicts exactly as the
// original did, with its curve, results, config and last confusion matrix
// as they were, and a log line saying where it came from; then that a fork
// of the imported run trains. For each preset.
func TestExportDeleteImportPredictsTheSame(t *testing.T) {
	for name, cfg := range map[string]fmnist.Config{"baseline": smallRun, "bn": smallPresetRun(t, fmnist.PresetBN),
		"best": smallPresetRun(t, fmnist.PresetBest)} {
		t.Run(name, func(t *testing.T) { roundTrip(t, cfg) })
	}
}

func roundTrip(t *testing.T, cfg fmnist.Config) {
	ctx := context.Background()
	f := newFixture(t)
	id := f.trainedRun(t, cfg)
	indices := []int{0, 1, 2, 3, 5, 8, 13, 21}
	before, err := f.svc.PredictFrom(ctx, fmnist.PredictionRequest{RunID: id, Indices: indices})
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := f.svc.LossPoints(ctx, id)
	epochs, _ := f.svc.EpochResults(ctx, id)
	analyses, err := f.svc.EpochAnalyses(ctx, id)
	if err != nil || len(analyses) != cfg.Epochs {
		t.Fatalf("the run has %d epoch analyses (%v), want %d", len(analyses), err, cfg.Epochs)
	}
	_, run := f.exportDeleteImport(t, id)
	if run.Kind != fmnist.KindImported || run.Config != cfg || run.Status != fmnist.StatusFinished {
		t.Errorf("imported run %+v, want kind imported, config %+v, finished", run, cfg)
	}

	after, err := f.svc.PredictFrom(ctx, fmnist.PredictionRequest{RunID: run.ID, Indices: indices})
	if err != nil {
		t.Fatal(err)
	}
	for i := range before.Items {
		if before.Items[i].Probabilities != after.Items[i].Probabilities || before.Items[i].Predicted != after.Items[i].Predicted {
			t.Errorf("image %d: imported run predicts %v, the original %v", indices[i], after.Items[i].Probabilities, before.Items[i].Probabilities)
		}
	}
	if !reflect.DeepEqual(before.Accuracy, after.Accuracy) {
		t.Errorf("test accuracy %+v after import, %+v before", after.Accuracy, before.Accuracy)
	}
	gotLoss, _ := f.svc.LossPoints(ctx, run.ID)
	gotEpochs, _ := f.svc.EpochResults(ctx, run.ID)
	if !slices.Equal(gotLoss, loss) || !slices.Equal(gotEpochs, epochs) {
		t.Errorf("imported curve or epochs differ: %d/%d points, %v vs %v", len(gotLoss), len(loss), gotEpochs, epochs)
	}

	// Analytics: the last epoch's confusion matrix, at its epoch. A bundle
	// keeps no per-image answers, nor the earlier epochs' matrices.
	gotAnalyses, err := f.svc.EpochAnalyses(ctx, run.ID)
	last := analyses[len(analyses)-1]
	if err != nil || len(gotAnalyses) != 1 || gotAnalyses[0].Epoch != last.Epoch || gotAnalyses[0].Confusion != last.Confusion {
		t.Errorf("imported analyses %+v (%v), want epoch %d's matrix %v", gotAnalyses, err, last.Epoch, last.Confusion)
	}
	logs, _, err := f.svc.RunLogs(ctx, run.ID, fmnist.LogQuery{})
	if err != nil || len(logs) != 1 || !strings.Contains(logs[0].Message, fmt.Sprintf("Imported from a bundle of run %d", id)) {
		t.Errorf("imported run's log %+v (%v), want one line naming run %d", logs, err, id)
	}

	// A fork of the imported run continues from its model.
	cks, _ := f.svc.RunCheckpoints(ctx, run.ID)
	more := cfg.Epochs + 1
	fork, err := f.svc.Fork(ctx, run.ID, cks[len(cks)-1].ID, fmnist.ConfigChanges{Epochs: &more})
	if err != nil {
		t.Fatalf("fork of an imported run: %v", err)
	}
	waitEnded(t, f.svc, fork)
}

// TestBundleHoldsTheLastEpochsConfusionMatrix exports a trained run: its
// bundle carries the confusion matrix of the run's last epoch, as stored,
// and names the run's preset.
func TestBundleHoldsTheLastEpochsConfusionMatrix(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id := f.trainedRun(t, smallRun)
	analyses, err := f.svc.EpochAnalyses(ctx, id)
	if err != nil || len(analyses) != smallRun.Epochs {
		t.Fatalf("the run has %d epoch analyses (%v), want %d", len(analyses), err, smallRun.Epochs)
	}
	b := readBundle(t, f.export(t, id, bundles.FormatBundle), smallRun)
	if b.Manifest.Preset != fmnist.PresetBaseline {
		t.Errorf("run.json names preset %q, want %q", b.Manifest.Preset, fmnist.PresetBaseline)
	}
	last := analyses[len(analyses)-1].Confusion
	if len(b.Confusion) != len(last) {
		t.Fatalf("the bundle's confusion matrix has %d rows, want %d", len(b.Confusion), len(last))
	}
	for i := range last {
		if !slices.Equal(b.Confusion[i], last[i][:]) {
			t.Errorf("row %d of the bundle's matrix is %v, the last epoch's %v", i, b.Confusion[i], last[i])
		}
	}
}
