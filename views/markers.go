package views

import (
	"encoding/json"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// RunMarkers are the vertical lines on a run's loss curve: epoch ends
// (labelled with their test accuracy, and "saved" when a checkpoint was
// written there), stops in mid-epoch (their checkpoint) and resumes.
// batches is the run's batches per epoch; 0 when unknown (no dataset),
// which leaves out the mid-epoch checkpoints.
func RunMarkers(epochs []fmnist.EpochResult, resumes []fmnist.Resume, cks []fmnist.Checkpoint, batches int) []ChartMarker {
	saved := map[int]bool{}  // epochs ended by a checkpoint
	stops := map[int64]int{} // checkpoint id → index of its marker
	var out []ChartMarker
	for _, k := range cks {
		if k.Batch == 0 {
			saved[k.Epoch] = true
			continue
		}
		if batches > 0 {
			x := float64(k.Epoch-1) + float64(k.Batch)/float64(batches) // as app's curveX places it
			stops[k.ID] = len(out)
			out = append(out, ChartMarker{X: x, Kind: "checkpoint", Label: "stopped · saved"})
		}
	}
	for _, e := range epochs {
		label := fmt.Sprintf("epoch %d · %.1f%%", e.Epoch, 100*e.TestAccuracy)
		if saved[e.Epoch] {
			label += " · saved"
		}
		out = append(out, ChartMarker{X: float64(e.Epoch), Kind: "epoch", Label: label})
	}
	for _, r := range resumes {
		if i, ok := stops[r.CheckpointID]; ok && r.CheckpointID != 0 {
			out[i] = ChartMarker{X: r.X, Kind: "resume", Label: "stopped · resumed"}
			continue
		}
		out = append(out, ChartMarker{X: r.X, Kind: "resume", Label: "resumed"})
	}
	return out
}

// LRMarkers are the live learning-rate changes of a run, as markers.
func LRMarkers(changes []fmnist.LRChange) []ChartMarker {
	out := make([]ChartMarker, len(changes))
	for i, c := range changes {
		out[i] = ChartMarker{X: c.Epoch, Kind: "lr", Label: LRMarkerLabel(c.LR)}
	}
	return out
}

// LRMarkerLabel labels a live learning-rate change (app.js writes the same).
func LRMarkerLabel(lr float64) string { return "LR → " + formatLR(lr) }

// BatchesPerEpoch is cfg's batches per epoch on a training set of
// available images; 0 when either is unknown.
func BatchesPerEpoch(cfg fmnist.Config, available int) int {
	if available <= 0 || cfg.BatchSize <= 0 {
		return 0
	}
	return cfg.BatchesPerEpoch(available)
}

// markersJSON is the chart's markers for data-markers.
func markersJSON(m []ChartMarker) string {
	if len(m) == 0 {
		return "[]"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "[]" // unreachable: plain numbers and strings
	}
	return string(b)
}
