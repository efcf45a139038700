package train

import (
	"fmt"
	"slices"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/nn"
)

// stepWatch is the part of the health monitor that reads sampled training
// steps (nn.StepHealth): dead ReLU units and gradient-norm spikes.
type stepWatch struct {
	th      fmnist.HealthThresholds
	norms   []float64       // the last GradSpikeWindow sampled gradient norms, oldest first
	sorted  []float64       // scratch for the median
	dead    map[string]bool // layers above DeadUnitShare at the last sample
	spiking bool            // the last sample was a spike
}

func newStepWatch(th fmnist.HealthThresholds) *stepWatch {
	return &stepWatch{th: th, dead: map[string]bool{}}
}

// sampled reports whether the run's n-th batch overall (0-based) is one of
// the sampled ones: the first, then every SampleEvery-th.
func (s *stepWatch) sampled(n int) bool {
	return s.th.SampleEvery > 0 && n%s.th.SampleEvery == 0
}

// step takes a sampled step's figures and reports each problem when it
// starts, not again while it lasts.
func (s *stepWatch) step(epoch, batch, batches int, h *nn.StepHealth) []fmnist.Warning {
	var out []fmnist.Warning
	at := func(kind fmnist.WarningKind, format string, args ...any) {
		out = append(out, fmnist.Warning{Kind: kind, Epoch: epoch, Batch: batch, X: curveX(epoch, batch, batches), Message: fmt.Sprintf(format, args...)})
	}
	for _, d := range h.Dead {
		dead := d.Share > s.th.DeadUnitShare
		if dead && !s.dead[d.Layer] {
			at(fmnist.WarnDeadUnits, "Dead units in epoch %d at batch %d: %.0f%% of layer %s's ReLU units output zero for the whole batch (threshold %.0f%%)",
				epoch, batch, 100*d.Share, d.Layer, 100*s.th.DeadUnitShare)
		}
		s.dead[d.Layer] = dead
	}
	median := s.median()
	spike := len(s.norms) >= max(s.th.GradSpikeMinSamples, 1) && h.GradNorm > s.th.GradSpikeFactor*median
	if spike && !s.spiking {
		at(fmnist.WarnGradSpike, "Gradient spike in epoch %d at batch %d: the gradient norm %.4g is %.0f× the running median %.4g",
			epoch, batch, h.GradNorm, h.GradNorm/median, median)
	}
	s.spiking = spike
	if w := s.th.GradSpikeWindow; w > 0 {
		if len(s.norms) == w {
			s.norms = slices.Delete(s.norms, 0, 1)
		}
		s.norms = append(s.norms, h.GradNorm)
	}
	return out
}

// median is the median of the recent gradient norms (0 with none).
func (s *stepWatch) median() float64 {
	if len(s.norms) == 0 {
		return 0
	}
	s.sorted = append(s.sorted[:0], s.norms...)
	slices.Sort(s.sorted)
	n := len(s.sorted)
	if n%2 == 1 {
		return s.sorted[n/2]
	}
	return (s.sorted[n/2-1] + s.sorted[n/2]) / 2
}
