package train

import (
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// healthMonitor watches a run's losses for the problems of
// fmnist.HealthThresholds. It runs inside the training loop: it only does
// arithmetic, and its warnings go out through the run's mailbox.
type healthMonitor struct {
	th fmnist.HealthThresholds

	ema, weight float64 // the loss's moving average and 1−Smoothingⁿ, to debias it
	minSmoothed float64 // the lowest smoothed loss of the run
	above       int     // batches in a row above DivergenceFactor × minSmoothed

	// Each warning is given when its condition starts, not again while it
	// lasts: a long plateau is one warning, not one an epoch.
	plateau, overfitting bool // the condition held at the last epoch's end

	epochMins []float64 // minSmoothed at each epoch's end
	gaps      []float64 // test − training loss of each epoch
}

func newHealthMonitor(th fmnist.HealthThresholds) *healthMonitor {
	return &healthMonitor{th: th, minSmoothed: math.Inf(1)}
}

// batch takes a batch's (finite) loss and reports divergence, once for
// each stretch of batches above the threshold.
func (h *healthMonitor) batch(epoch, batch, batches int, loss float64) *fmnist.Warning {
	w := h.th.Smoothing
	h.ema = w*h.ema + (1-w)*loss
	h.weight = w*h.weight + (1 - w)
	smoothed := h.ema / h.weight
	h.minSmoothed = min(h.minSmoothed, smoothed)
	if smoothed > h.th.DivergenceFactor*h.minSmoothed {
		h.above++
	} else {
		h.above = 0
	}
	if h.above != h.th.DivergenceBatches {
		return nil
	}
	return &fmnist.Warning{Kind: fmnist.WarnDivergence, Epoch: epoch, Batch: batch, X: curveX(epoch, batch, batches),
		Message: fmt.Sprintf("Divergence in epoch %d at batch %d: the smoothed loss %.4g has been above %g× its minimum %.4g for %d batches",
			epoch, batch, smoothed, h.th.DivergenceFactor, h.minSmoothed, h.above)}
}

// epochEnd takes an evaluated epoch's losses and reports a plateau and
// overfitting.
func (h *healthMonitor) epochEnd(epoch int, trainLoss, testLoss float64) []fmnist.Warning {
	var out []fmnist.Warning
	at := func(kind fmnist.WarningKind, format string, args ...any) {
		out = append(out, fmnist.Warning{Kind: kind, Epoch: epoch, X: float64(epoch), Message: fmt.Sprintf(format, args...)})
	}
	h.epochMins = append(h.epochMins, h.minSmoothed)
	plateau := false
	if n, k := len(h.epochMins), h.th.PlateauEpochs; k > 0 && n > k {
		before, now := h.epochMins[n-1-k], h.epochMins[n-1]
		gain := (before - now) / before
		plateau = before > 0 && gain < h.th.PlateauMinGain
		if plateau && !h.plateau {
			at(fmnist.WarnPlateau, "Plateau after epoch %d: the smoothed loss's best went from %.4g to %.4g over %d epoch(s) (%.2f%%)",
				epoch, before, now, k, 100*gain)
		}
	}
	h.plateau = plateau
	h.gaps = append(h.gaps, testLoss-trainLoss)
	growing := false
	if n, k := len(h.gaps), h.th.OverfitEpochs; k > 0 && n > k && h.gaps[n-1] > 0 {
		growing = true
		for i := n - k; i < n; i++ {
			growing = growing && h.gaps[i] > h.gaps[i-1]
		}
		if growing && !h.overfitting {
			at(fmnist.WarnOverfitting, "Overfitting after epoch %d: test loss − training loss grew %d epochs in a row, from %.4f to %.4f",
				epoch, k, h.gaps[n-1-k], h.gaps[n-1])
		}
	}
	h.overfitting = growing
	return out
}

// curveX is where (epoch, batch) is on the loss curve.
func curveX(epoch, batch, batches int) float64 {
	return float64(epoch-1) + float64(batch)/float64(batches)
}

// warn reports a warning: an event, a log line at level warn.
func (r *trainRun) warn(w fmnist.Warning) {
	w.Time = time.Now()
	r.events.Push(w)
	r.logLine(fmnist.LevelWarn, "%s", w.Message)
	r.log.Warn("training health", "kind", w.Kind, "epoch", w.Epoch, "batch", w.Batch, "message", w.Message)
}

// lossNotFinite is the error that fails a run whose loss became NaN or
// infinite, naming the batch and the last good checkpoint; the warning
// goes out first.
func (r *trainRun) lossNotFinite(epoch, batch int, loss float64) error {
	last := "none was written yet"
	if r.result.CheckpointPath != "" {
		last = filepath.Base(r.result.CheckpointPath)
	}
	msg := fmt.Sprintf("epoch %d batch %d: the loss is %v; last good checkpoint: %s; try a lower learning rate", epoch, batch, loss, last)
	r.events.Push(fmnist.Warning{Kind: fmnist.WarnNaN, Epoch: epoch, Batch: batch, X: curveX(epoch, batch, r.batches), Message: msg, Time: time.Now()})
	return fmt.Errorf("%s", msg)
}
