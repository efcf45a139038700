package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPadChannelsLastRoundTrip(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const c, h, w = 3, 4, 5
		rng := rand.New(rand.NewPCG(5, 5))
		src := make([]float32, c*h*w)
		for i := range src {
			src[i] = rng.Float32() + 1 // never zero
		}
		padded := make([]float32, c*(h+2)*(w+2))
		for i := range padded {
			padded[i] = -7 // every value must be overwritten
		}
		PadChannelsLast(src, c, h, w, padded)
		for y := range h + 2 {
			for x := range w + 2 {
				for ch := range c {
					got := padded[(y*(w+2)+x)*c+ch]
					want := float32(0)
					if y >= 1 && y <= h && x >= 1 && x <= w {
						want = src[(ch*h+y-1)*w+x-1]
					}
					if got != want {
						t.Fatalf("padded (%d,%d) channel %d = %v, want %v", y, x, ch, got, want)
					}
				}
			}
		}
		back := make([]float32, len(src))
		UnpadChannelsLast(padded, c, h, w, back)
		if !slices.Equal(back, src) {
			t.Fatal("UnpadChannelsLast(PadChannelsLast(x)) != x")
		}
	})
}

// TestPadKernelsMatchPortable checks the platform pad and unpad against the
// portable loops, for 32 channels and rows on both sides of 8 and 16
// pixels.
func TestPadKernelsMatchPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const c = ChannelsLastC
		rng := rand.New(rand.NewPCG(7, 7))
		for _, size := range [][2]int{{1, 1}, {4, 7}, {5, 8}, {2, 9}, {14, 14}, {3, 18}} {
			h, w := size[0], size[1]
			src := make([]float32, c*h*w)
			for i := range src {
				src[i] = rng.Float32()
			}
			want := make([]float32, c*(h+2)*(w+2))
			got := make([]float32, len(want))
			for i := range got {
				got[i] = -1
			}
			padChannelsLastGo(src, c, h, w, want)
			PadChannelsLast(src, c, h, w, got)
			if !slices.Equal(got, want) {
				t.Fatalf("%dx%d: padChannelsLast differs from the portable loop", h, w)
			}
			back := make([]float32, len(src)+1)
			back[len(src)] = 42
			UnpadChannelsLast(got, c, h, w, back[:len(src)])
			if !slices.Equal(back[:len(src)], src) || back[len(src)] != 42 {
				t.Fatalf("%dx%d: unpadChannelsLast does not invert padChannelsLast", h, w)
			}
		}
	})
}

// TestSparseKernelsMatchPortable checks the platform kernels against the
// portable loops (fused multiply-adds round differently, hence a tolerance).
func TestSparseKernelsMatchPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const c = ChannelsLastC
		rng := rand.New(rand.NewPCG(6, 6))
		for _, size := range [][2]int{{2, 2}, {6, 4}, {10, 12}, {14, 14}} {
			h, w := size[0], size[1]
			n := h / 2 * (w / 2)
			g := make([]float32, n)
			arg := make([]uint8, n)
			for i := range g {
				g[i] = float32(rng.NormFloat64())
				arg[i] = uint8(rng.IntN(NoGrad + 1))
			}
			random := func(size int) []float32 {
				s := make([]float32, size)
				for i := range s {
					s[i] = float32(rng.NormFloat64())
				}
				return s
			}
			xp := random((h + 2) * (w + 2) * c)
			wT := random(9 * c)

			want, got := random(9*c), []float32(nil)
			got = slices.Clone(want)
			sparseWeightGradGo(g, arg, xp, h, w, want)
			SparseWeightGrad(g, arg, xp, h, w, got)
			if d := relDiff(got, want); d > 1e-6 {
				t.Errorf("%dx%d weight gradient differs by %.3g", h, w, d)
			}

			wantX := random(len(xp))
			gotX := slices.Clone(wantX)
			sparseInputGradGo(g, arg, wT, h, w, wantX)
			SparseInputGrad(g, arg, wT, h, w, gotX)
			if d := relDiff(gotX, wantX); d > 1e-6 {
				t.Errorf("%dx%d input gradient differs by %.3g", h, w, d)
			}
		}
	})
}

// relDiff is the relative L2 distance between got and want.
func relDiff(got, want []float32) float64 {
	var num, den float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}
