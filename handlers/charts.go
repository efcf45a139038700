package handlers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// What the pages' charts share: ?smooth= for the server-drawn SVG (JS off)
// and the markers on a run's loss curve.

// smoothParam is the page's ?smooth= weight, clamped to [0, 0.99]. A page
// is not refused for a bad value: it draws the raw curve instead.
func smoothParam(c echo.Context) float64 {
	w, err := strconv.ParseFloat(c.QueryParam("smooth"), 64)
	if err != nil {
		return 0
	}
	return views.ClampSmoothing(w)
}

// runMarkers are the vertical lines on a run's loss curve: epoch ends
// (labelled with their test accuracy, and "saved" when a checkpoint was
// written there), stops in mid-epoch (their checkpoint) and resumes.
// batches is the run's batches per epoch; 0 when unknown (no dataset),
// which leaves out the mid-epoch checkpoints.
func runMarkers(epochs []fmnist.EpochResult, resumes []fmnist.Resume, cks []fmnist.Checkpoint, batches int) []views.ChartMarker {
	saved := map[int]bool{}  // epochs ended by a checkpoint
	stops := map[int64]int{} // checkpoint id → index of its marker
	var out []views.ChartMarker
	for _, k := range cks {
		if k.Batch == 0 {
			saved[k.Epoch] = true
			continue
		}
		if batches > 0 {
			x := float64(k.Epoch-1) + float64(k.Batch)/float64(batches) // as app's curveX
			stops[k.ID] = len(out)
			out = append(out, views.ChartMarker{X: x, Kind: "checkpoint", Label: "stopped · saved"})
		}
	}
	for _, e := range epochs {
		label := fmt.Sprintf("epoch %d · %.1f%%", e.Epoch, 100*e.TestAccuracy)
		if saved[e.Epoch] {
			label += " · saved"
		}
		out = append(out, views.ChartMarker{X: float64(e.Epoch), Kind: "epoch", Label: label})
	}
	for _, r := range resumes {
		if i, ok := stops[r.CheckpointID]; ok && r.CheckpointID != 0 {
			out[i] = views.ChartMarker{X: r.X, Kind: "resume", Label: "stopped · resumed"}
			continue
		}
		out = append(out, views.ChartMarker{X: r.X, Kind: "resume", Label: "resumed"})
	}
	return out
}

// runMarkersOf reads what runMarkers needs for run id; available is the
// size of the training set, 0 when unknown.
func (s *Server) runMarkersOf(ctx context.Context, id int64, cfg fmnist.Config, epochs []fmnist.EpochResult, available int) ([]views.ChartMarker, error) {
	resumes, err := s.runs.Resumes(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	cks, err := s.runs.Checkpoints(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	batches := 0
	if available > 0 && cfg.BatchSize > 0 {
		batches = cfg.BatchesPerEpoch(available)
	}
	return runMarkers(epochs, resumes, cks, batches), nil
}
