package nn

import (
	"fmt"
	"math"

	"github.com/fmnist/trainer/ml/nn/internal/kernels"
)

// adam is the network's optimiser: Adam with PyTorch's update rule
// (torch.optim.Adam, no weight decay, no amsgrad), AdamW, or SGD with
// Nesterov momentum. Each makes one pass over each parameter per step,
// where Gorgonia's AdamSolver clones and makes about ten. SGD keeps its
// momentum buffer in m (v stays zero), so checkpoints hold the same layout
// for every optimiser.
type adam struct {
	kind                  string // OptimizerAdam, OptimizerAdamW or OptimizerSGD
	lr, beta1, beta2, eps float64
	weightDecay, momentum float64
	step                  int
	m, v                  [][]float32 // first and second moments, one per parameter
	frozen                []bool      // running statistics: not trained
	noDecay               []bool      // biases and batch-norm scales: no weight decay
}

func newAdam(lr float64, sizes []int) *adam {
	a := &adam{kind: OptimizerAdam, lr: lr, beta1: 0.9, beta2: 0.999, eps: 1e-8}
	for _, n := range sizes {
		a.m = append(a.m, make([]float32, n))
		a.v = append(a.v, make([]float32, n))
	}
	a.frozen, a.noDecay = make([]bool, len(sizes)), make([]bool, len(sizes))
	return a
}

func newOptimizer(spec Spec, specs []paramSpec, sizes []int) *adam {
	a := newAdam(spec.LR, sizes)
	a.kind, a.weightDecay, a.momentum = spec.Optimizer, spec.WeightDecay, spec.Momentum
	for i, ps := range specs {
		a.frozen[i], a.noDecay[i] = ps.buffer, ps.noDecay
	}
	return a
}

// adamParallelMin is the parameter size from which an update is split over
// the CPUs.
const adamParallelMin = 1 << 15

// update applies one step to params given their gradients, in the same order
// and sizes as at construction (the gradients of frozen parameters are nil).
func (a *adam) update(params, grads [][]float32) error {
	if len(params) != len(a.m) || len(grads) != len(a.m) {
		return fmt.Errorf("adam: %d parameters and %d gradients for %d moments", len(params), len(grads), len(a.m))
	}
	for i := range params {
		if a.frozen[i] {
			continue
		}
		if len(params[i]) != len(a.m[i]) || len(grads[i]) != len(a.m[i]) {
			return fmt.Errorf("adam: parameter %d has %d values and %d gradients, expected %d", i, len(params[i]), len(grads[i]), len(a.m[i]))
		}
	}
	a.step++
	t := float64(a.step)
	bc1 := 1 - math.Pow(a.beta1, t)
	bc2 := 1 - math.Pow(a.beta2, t)
	k := &kernels.AdamStep{
		B2:         float32(a.beta2),
		OneMinusB1: float32(1 - a.beta1), OneMinusB2: float32(1 - a.beta2),
		StepSize: float32(a.lr / bc1), InvBc2Sqrt: float32(1 / math.Sqrt(bc2)),
		Eps: float32(a.eps),
	}
	for i, p := range params {
		if a.frozen[i] {
			continue
		}
		g, m, v := grads[i], a.m[i], a.v[i]
		wd := a.weightDecay
		if a.noDecay[i] {
			wd = 0
		}
		apply := kernels.Update(a.kind, k, a.lr, wd, a.momentum)
		if len(p) < adamParallelMin {
			apply(p, g, m, v)
			continue
		}
		parallelFor(len(p), func(lo, hi int) {
			apply(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi])
		})
	}
	return nil
}
