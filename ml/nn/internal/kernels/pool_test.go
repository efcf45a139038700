package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPoolPlaneMatchesPortable checks the platform kernel (AVX-512 where
// available) against the portable Go loop, on values full of ties, zeros,
// negatives and NaN, for row widths on both sides of one 16-lane block.
func TestPoolPlaneMatchesPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for w := 2; w <= 40; w += 2 {
			for _, h := range []int{2, 6} {
				src := make([]float32, h*w)
				for i := range src {
					src[i] = float32(rng.IntN(7) - 3) // ties and zeros abound
					if rng.IntN(50) == 0 {
						src[i] = float32(math.NaN())
					}
				}
				bias := float32(rng.IntN(3)-1) * 0.5
				n := h * w / 4
				wantOut, wantArg := make([]float32, n), make([]uint8, n)
				gotOut, gotArg := make([]float32, n+1), make([]uint8, n+1)
				gotOut[n], gotArg[n] = 42, 42 // must stay untouched
				poolPlaneGo(src, bias, h, w, wantOut, wantArg)
				PoolPlane(src, bias, h, w, gotOut[:n], gotArg[:n])
				for i := range n {
					same := gotOut[i] == wantOut[i] || (gotOut[i] != gotOut[i] && wantOut[i] != wantOut[i])
					if !same || (gotArg[i] != wantArg[i] && wantOut[i] == wantOut[i]) {
						t.Fatalf("w=%d h=%d output %d: got %v@%d, want %v@%d", w, h, i, gotOut[i], gotArg[i], wantOut[i], wantArg[i])
					}
				}
				if gotOut[n] != 42 || gotArg[n] != 42 {
					t.Fatalf("w=%d h=%d: wrote past the end", w, h)
				}
			}
		}
	})
}

func TestPoolPlaneSemantics(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		// One 2×2 window per case: values are row-major top-left, top-right,
		// bottom-left, bottom-right.
		nan := float32(math.NaN())
		cases := []struct {
			window  [4]float32
			bias    float32
			want    float32
			wantArg uint8
		}{
			{[4]float32{1, 3, 2, 0}, 0, 3, 1},
			{[4]float32{2, 2, 2, 2}, 0, 2, 0},           // first of equal maxima
			{[4]float32{-1, 0.5, 0.5, 0.25}, 0, 0.5, 1}, // first of equal maxima
			{[4]float32{-1, -2, -3, -4}, 0, 0, NoGrad},
			{[4]float32{-1, -2, -3, -4}, 1.5, 0.5, 0}, // bias before ReLU
			{[4]float32{0, 0, 0, 0}, 0, 0, NoGrad},
			{[4]float32{1, nan, 2, 3}, 0, nan, 0},
		}
		for _, c := range cases {
			for name, pool := range map[string]func([]float32, float32, int, int, []float32, []uint8){"portable": poolPlaneGo, "platform": PoolPlane} {
				src := []float32{c.window[0], c.window[1], c.window[2], c.window[3]}
				out, arg := make([]float32, 1), make([]uint8, 1)
				pool(src, c.bias, 2, 2, out, arg)
				if c.want != c.want {
					if out[0] == out[0] {
						t.Errorf("%s %v: got %v, want NaN", name, c.window, out[0])
					}
					continue
				}
				if out[0] != c.want || arg[0] != c.wantArg {
					t.Errorf("%s %v+%v: got %v@%d, want %v@%d", name, c.window, c.bias, out[0], arg[0], c.want, c.wantArg)
				}
			}
		}
	})
}

// TestUnpoolPlaneMatchesPortable checks the platform kernel against the
// portable loop. Gradients are small multiples of 1/4, so the per-lane sums
// are exact in any order.
func TestUnpoolPlaneMatchesPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for w := 2; w <= 40; w += 2 {
			for _, h := range []int{2, 6} {
				n := h * w / 4
				g := make([]float32, n)
				arg := make([]uint8, n)
				for i := range g {
					g[i] = float32(rng.IntN(17)-8) / 4
					arg[i] = uint8(rng.IntN(NoGrad + 1))
				}
				want := make([]float32, h*w)
				got := make([]float32, h*w+1)
				for i := range got {
					got[i] = 42 // all but the last must be overwritten
				}
				var wantSums, gotSums [16]float32
				unpoolPlaneGo(g, arg, h, w, want, &wantSums)
				UnpoolPlane(g, arg, h, w, got[:h*w], &gotSums)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("w=%d h=%d: dPre[%d] = %v, want %v", w, h, i, got[i], want[i])
					}
				}
				if got[h*w] != 42 {
					t.Fatalf("w=%d h=%d: wrote past the end", w, h)
				}
				var gotSum, wantSum float32
				for i := range 16 {
					gotSum += gotSums[i]
					wantSum += wantSums[i]
				}
				if gotSum != wantSum {
					t.Fatalf("w=%d h=%d: passed gradient sums to %v, want %v", w, h, gotSum, wantSum)
				}
			}
		}
	})
}
