package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAdamMatchesPyTorchFormula runs a few steps against torch.optim.Adam's
// update written out in float64.
func TestAdamMatchesPyTorchFormula(t *testing.T) {
	const n, steps, lr = 100, 5, 1e-2
	rng := rand.New(rand.NewPCG(1, 1))
	p := make([]float32, n)
	ref := make([]float64, n)
	for i := range p {
		p[i] = float32(rng.NormFloat64())
		ref[i] = float64(p[i])
	}
	m64, v64 := make([]float64, n), make([]float64, n)
	opt := newAdam(lr, []int{n})
	for step := 1; step <= steps; step++ {
		g := make([]float32, n)
		for i := range g {
			g[i] = float32(rng.NormFloat64())
		}
		if err := opt.update([][]float32{p}, [][]float32{g}); err != nil {
			t.Fatal(err)
		}
		bc1, bc2 := 1-math.Pow(0.9, float64(step)), 1-math.Pow(0.999, float64(step))
		for i := range ref {
			gi := float64(g[i])
			m64[i] = 0.9*m64[i] + 0.1*gi
			v64[i] = 0.999*v64[i] + 0.001*gi*gi
			ref[i] -= lr / bc1 * m64[i] / (math.Sqrt(v64[i])/math.Sqrt(bc2) + 1e-8)
		}
	}
	for i := range p {
		if d := math.Abs(float64(p[i]) - ref[i]); d > 1e-6 {
			t.Fatalf("param %d: got %v, want %v", i, p[i], ref[i])
		}
	}
	if !slices.ContainsFunc(p, func(v float32) bool { return v != 0 }) {
		t.Fatal("all parameters zero")
	}
}

// against the portable loop, for lengths around the vector width.
func TestAdamRejectsMismatchedSizes(t *testing.T) {
	opt := newAdam(1e-3, []int{3})
	if err := opt.update([][]float32{make([]float32, 3)}, [][]float32{make([]float32, 2)}); err == nil {
		t.Error("gradient of the wrong size accepted")
	}
}
