package kernels

import (
	"math"
	"testing"
)

// AdamW's and SGD-Nesterov's one-pass updates follow PyTorch's formulas,
// computed here in float64 for three steps.
func TestOptimizerUpdatesFollowPyTorch(t *testing.T) {
	const lr, wd, mom = 0.01, 0.1, 0.9
	p0 := []float32{0.5, -1.25, 2, 0}
	grads := [][]float32{{0.1, -0.2, 0.3, 0.4}, {-0.3, 0.1, 0.2, -0.1}, {0.05, 0.05, -0.5, 0.2}}

	// AdamW: p *= 1-lr·wd; then Adam with bias correction.
	p, m, v := append([]float32(nil), p0...), make([]float32, 4), make([]float32, 4)
	wp, wm, wv := make([]float64, 4), make([]float64, 4), make([]float64, 4)
	for i, x := range p0 {
		wp[i] = float64(x)
	}
	for step, g := range grads {
		n := float64(step + 1)
		bc1, bc2 := 1-math.Pow(0.9, n), 1-math.Pow(0.999, n)
		k := &AdamStep{B2: 0.999, OneMinusB1: 0.1, OneMinusB2: 0.001, StepSize: float32(lr / bc1),
			InvBc2Sqrt: float32(1 / math.Sqrt(bc2)), Eps: 1e-8}
		Update("adamw", k, lr, wd, 0)(p, g, m, v)
		for i, gi := range g {
			wp[i] *= 1 - lr*wd
			wm[i] = 0.9*wm[i] + 0.1*float64(gi)
			wv[i] = 0.999*wv[i] + 0.001*float64(gi)*float64(gi)
			wp[i] -= lr * (wm[i] / bc1) / (math.Sqrt(wv[i]/bc2) + 1e-8)
		}
	}
	for i := range p {
		if math.Abs(float64(p[i])-wp[i]) > 1e-6 {
			t.Errorf("adamw p[%d] = %v, want %v", i, p[i], wp[i])
		}
	}

	// SGD with Nesterov momentum and L2 weight decay.
	p, buf := append([]float32(nil), p0...), make([]float32, 4)
	wbuf := make([]float64, 4)
	for i, x := range p0 {
		wp[i] = float64(x)
	}
	for _, g := range grads {
		Update("sgd", nil, lr, wd, mom)(p, g, buf, nil)
		for i, gi := range g {
			d := float64(gi) + wd*wp[i]
			wbuf[i] = mom*wbuf[i] + d
			wp[i] -= lr * (d + mom*wbuf[i])
		}
	}
	for i := range p {
		if math.Abs(float64(p[i])-wp[i]) > 1e-6 {
			t.Errorf("sgd p[%d] = %v, want %v", i, p[i], wp[i])
		}
	}
}
