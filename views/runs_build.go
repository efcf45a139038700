package views

import (
	"path/filepath"

	"github.com/fmnist/trainer/fmnist"
)

// Building the runs pages' view models from the domain's types, so that the
// handlers only read and hand over.

// EpochViews are a run's epoch results as its page and a comparison show them.
func EpochViews(results []fmnist.EpochResult) []EpochView {
	out := make([]EpochView, len(results))
	for i, e := range results {
		out[i] = EpochView{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TestLoss: e.TestLoss,
			Accuracy: e.TestAccuracy, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
	}
	return out
}

// CheckpointViews are a run's checkpoints as its page lists them.
func CheckpointViews(cks []fmnist.Checkpoint) []CheckpointView {
	out := make([]CheckpointView, len(cks))
	for i, k := range cks {
		out[i] = CheckpointView{ID: k.ID, File: filepath.Base(k.Path), Epoch: k.Epoch, Batch: k.Batch,
			Accuracy: nan(k.TestAccuracy), Size: k.Size}
	}
	return out
}

// CompareConfigs are the config fields of the compared runs side by side,
// each marked when the runs differ in it.
func CompareConfigs(runs []CompareRun) []ConfigRow {
	var rows []ConfigRow
	for f := range ConfigFields(fmnist.Config{}) {
		row := ConfigRow{}
		for _, r := range runs {
			field := ConfigFields(r.Row.Config)[f]
			row.Name = field[0]
			row.Values = append(row.Values, field[1])
			row.Differ = row.Differ || field[1] != row.Values[0]
		}
		rows = append(rows, row)
	}
	return rows
}
