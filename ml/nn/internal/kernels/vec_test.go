package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAddToMatchesPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(4, 4))
		for n := range 80 {
			dst := make([]float32, n+1)
			src := make([]float32, n+3)
			for i := range dst {
				dst[i] = rng.Float32()
			}
			for i := range src {
				src[i] = rng.Float32()
			}
			want := slices.Clone(dst)
			addToGo(want[:n], src)
			AddTo(dst[:n], src)
			if !slices.Equal(dst, want) {
				t.Fatalf("n=%d: got %v, want %v", n, dst, want)
			}
		}
	})
}
