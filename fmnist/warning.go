package fmnist

import (
	"context"
	"time"
)

// WarningKind names a training-health problem.
type WarningKind string

// The problems the trainer watches for (see HealthThresholds).
const (
	WarnDivergence  WarningKind = "divergence"  // the smoothed loss far above its minimum for a while
	WarnPlateau     WarningKind = "plateau"     // no improvement in the smoothed loss over an epoch
	WarnOverfitting WarningKind = "overfitting" // the gap between test and training loss grows
	WarnNaN         WarningKind = "nan"         // the loss is NaN or infinite: the run fails
	WarnDeadUnits   WarningKind = "dead-units"  // most of a layer's ReLU units output zero for a whole batch
	WarnGradSpike   WarningKind = "grad-spike"  // the gradient norm jumped far above its running median
)

// Warning is a training-health problem found during a run: reported as an
// event, logged at level warn, stored with the run and shown on its pages.
type Warning struct {
	Kind    WarningKind
	Epoch   int     // the epoch it was found in
	Batch   int     // the batch; 0 at an epoch's end
	X       float64 // where on the loss curve (fractional epoch, as LossPoint.Epoch)
	Message string  // what happened, with the numbers
	Time    time.Time
}

func (Warning) event() {}

// Meaning says what a warning of this kind means and what to try.
func (k WarningKind) Meaning() (meaning, advice string) {
	switch k {
	case WarnDivergence:
		return "The loss is climbing away from the lowest it reached: the steps are too large and training is coming apart.",
			"Lower the learning rate (try a tenth), or stop and fork from an earlier checkpoint with a lower one."
	case WarnPlateau:
		return "The loss stopped improving over a whole epoch: more of the same training will not help much.",
			"Lower the learning rate to settle into the minimum, or stop here; more epochs at this rate mostly cost time."
	case WarnOverfitting:
		return "The test loss is pulling away from the training loss: the model learns the training images by heart rather than what generalises.",
			"Stop here and keep the best checkpoint, use fewer epochs, or train on more images."
	case WarnNaN:
		return "The loss became NaN or infinite: the weights blew up and the run cannot continue.",
			"Lower the learning rate a lot (a tenth or less) and fork from the last good checkpoint."
	case WarnDeadUnits:
		return "Most units of a layer output zero for every image: their ReLU is stuck below zero, they pass no gradient and stop learning.",
			"Lower the learning rate, or fork from an earlier checkpoint; batch norm (the bn preset) keeps units from dying."
	case WarnGradSpike:
		return "One step's gradient was far larger than usual: a bad batch or a too-large step can knock the weights off course.",
			"If the loss jumps too, lower the learning rate or add warm-up; a single spike the loss recovers from is harmless."
	}
	return "", ""
}

// HealthThresholds are when the trainer warns; DefaultHealth has the
// defaults. They are in one place so that they are easy to find and tune.
type HealthThresholds struct {
	// Smoothing is the weight of the past in the loss's exponential moving
	// average (0.9: about the last 10 batches).
	Smoothing float64
	// DivergenceFactor and DivergenceBatches: warn when the smoothed loss
	// stays above DivergenceFactor × its minimum for DivergenceBatches
	// batches in a row.
	DivergenceFactor  float64
	DivergenceBatches int
	// PlateauEpochs: warn when the smoothed loss's minimum did not improve
	// by PlateauMinGain (relative) over this many epochs.
	PlateauEpochs  int
	PlateauMinGain float64
	// OverfitEpochs: warn when test loss − training loss grew this many
	// epochs in a row.
	OverfitEpochs int
	// SampleEvery: the dead-unit and gradient-norm checks run on every
	// SampleEvery-th batch (and a run's first), so they cost next to nothing.
	SampleEvery int
	// DeadUnitShare: warn when more than this share of a ReLU layer's units
	// output exactly zero for a whole sampled batch.
	DeadUnitShare float64
	// GradSpikeFactor, GradSpikeWindow, GradSpikeMinSamples: warn when a
	// sampled gradient norm is above GradSpikeFactor × the median of the
	// last GradSpikeWindow samples, once there are GradSpikeMinSamples.
	GradSpikeFactor     float64
	GradSpikeWindow     int
	GradSpikeMinSamples int
}

// DefaultHealth are the thresholds the issue names.
var DefaultHealth = HealthThresholds{
	Smoothing:        0.9,
	DivergenceFactor: 3, DivergenceBatches: 50,
	PlateauEpochs: 1, PlateauMinGain: 0.001,
	OverfitEpochs:   2,
	SampleEvery:     10,
	DeadUnitShare:   0.5,
	GradSpikeFactor: 10, GradSpikeWindow: 100, GradSpikeMinSamples: 10,
}

// WarningReader reads a run's warnings, oldest first.
type WarningReader interface {
	Warnings(ctx context.Context, runID int64) ([]Warning, error)
}

// NewestPerKind splits warnings (oldest first) into the newest of each kind,
// newest first, and the earlier ones, oldest first: a banner shows the
// first and folds the rest away.
func NewestPerKind(warnings []Warning) (newest, earlier []Warning) {
	last := map[WarningKind]int{} // kind → index of its newest
	for i, w := range warnings {
		last[w.Kind] = i
	}
	for i := len(warnings) - 1; i >= 0; i-- {
		if last[warnings[i].Kind] == i {
			newest = append(newest, warnings[i])
		}
	}
	for i, w := range warnings {
		if last[w.Kind] != i {
			earlier = append(earlier, w)
		}
	}
	return newest, earlier
}
