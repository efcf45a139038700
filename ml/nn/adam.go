package nn

import (
	"fmt"
	"math"

	"github.com/fmnist/trainer/ml/nn/internal/kernels"
)

// adam is the Adam optimiser with PyTorch's update rule (torch.optim.Adam,
// no weight decay, no amsgrad). It makes one pass over each parameter per
// step, where Gorgonia's AdamSolver clones and makes about ten.
type adam struct {
	lr, beta1, beta2, eps float64
	step                  int
	m, v                  [][]float32 // first and second moments, one per parameter
}

func newAdam(lr float64, sizes []int) *adam {
	a := &adam{lr: lr, beta1: 0.9, beta2: 0.999, eps: 1e-8}
	for _, n := range sizes {
		a.m = append(a.m, make([]float32, n))
		a.v = append(a.v, make([]float32, n))
	}
	return a
}

// adamParallelMin is the parameter size from which an update is split over
// the CPUs.
const adamParallelMin = 1 << 15

// update applies one step to params given their gradients, in the same order
// and sizes as at construction.
func (a *adam) update(params, grads [][]float32) error {
	if len(params) != len(a.m) || len(grads) != len(a.m) {
		return fmt.Errorf("adam: %d parameters and %d gradients for %d moments", len(params), len(grads), len(a.m))
	}
	for i := range params {
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
		g, m, v := grads[i], a.m[i], a.v[i]
		if len(p) < adamParallelMin {
			k.Apply(p, g, m, v)
			continue
		}
		parallelFor(len(p), func(lo, hi int) {
			k.Apply(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi])
		})
	}
	return nil
}
