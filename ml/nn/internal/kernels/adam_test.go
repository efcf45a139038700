package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAdamKernelMatchesPortable checks the platform kernel bit for bit
func TestAdamKernelMatchesPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(2, 2))
		k := &AdamStep{B2: 0.999, OneMinusB1: 0.1, OneMinusB2: 0.001, StepSize: 0.003, InvBc2Sqrt: 7, Eps: 1e-8}
		for n := range 50 {
			vals := func() []float32 {
				s := make([]float32, n+1)
				for i := range s {
					s[i] = float32(rng.NormFloat64())
				}
				return s
			}
			p, g, m, v := vals(), vals(), vals(), vals()
			for i := range v {
				v[i] *= v[i]
			}
			p2, m2, v2 := slices.Clone(p), slices.Clone(m), slices.Clone(v)
			k.applyGo(p[:n], g[:n], m[:n], v[:n])
			k.Apply(p2[:n], g[:n], m2[:n], v2[:n])
			if !slices.Equal(p, p2) || !slices.Equal(m, m2) || !slices.Equal(v, v2) {
				t.Fatalf("n=%d: kernel and portable loop differ", n)
			}
		}
	})
}
