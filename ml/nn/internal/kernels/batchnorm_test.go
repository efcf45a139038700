package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bnLayouts are the shapes the batch-norm kernels are checked on: every
// plane length up to 40 (all tails of one to two blocks) and the
// network's 49 and 196, for one plane and for several strided ones.
func bnLayouts() (layouts []struct{ n, plane, stride int }) {
	add := func(n, plane, stride int) {
		layouts = append(layouts, struct{ n, plane, stride int }{n, plane, stride})
	}
	for plane := 1; plane <= 40; plane++ {
		add(1, plane, plane)
		add(3, plane, 3*plane+1)
	}
	for _, plane := range []int{49, 196} {
		add(1, plane, plane)
		add(5, plane, 4*plane)
	}
	return layouts
}

// bnValues returns a channel span for n planes and poisons the floats
// between the planes, which no kernel may read into a sum or overwrite.
func bnValues(rng *rand.Rand, n, plane, stride int, mean float64) []float32 {
	v := make([]float32, bnSpan(n, plane, stride))
	for i := range v {
		v[i] = float32(math.NaN())
		if i%stride < plane {
			v[i] = float32(mean + rng.NormFloat64())
		}
	}
	return v
}

// closeSum reports whether got is want up to float32 rounding of sums of
// values whose magnitudes add to scale.
func closeSum(got, want, scale float64) bool {
	return math.Abs(got-want) <= 1e-6*scale+1e-30
}

func TestBatchNormSumsMatchPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, l := range bnLayouts() {
			x := bnValues(rng, l.n, l.plane, l.stride, 0.5)
			d := bnValues(rng, l.n, l.plane, l.stride, 0)
			var absX, absSq, absD, absDX float64
			for i, v := range x {
				if i%l.stride < l.plane {
					absX += math.Abs(float64(v))
					absSq += float64(v) * float64(v)
					absD += math.Abs(float64(d[i]))
					absDX += math.Abs(float64(d[i]) * (float64(v) - 0.4) * 1.3)
				}
			}
			sum, sumSq := bnSums(x, l.n, l.plane, l.stride)
			wantSum, wantSq := bnSumsGo(x, l.n, l.plane, l.stride)
			if !closeSum(sum, wantSum, absX) || !closeSum(sumSq, wantSq, absSq) {
				t.Errorf("%+v: sums %v, %v; want %v, %v", l, sum, sumSq, wantSum, wantSq)
			}
			sum, dot := bnSumDot(d, x, l.n, l.plane, l.stride, 0.4, 1.3)
			wantSum, wantDot := bnSumDotGo(d, x, l.n, l.plane, l.stride, 0.4, 1.3)
			if !closeSum(sum, wantSum, absD) || !closeSum(dot, wantDot, absDX) {
				t.Errorf("%+v: sum and dot %v, %v; want %v, %v", l, sum, dot, wantSum, wantDot)
			}
		}
	})
}

// sameFloats is slices.Equal that takes NaN as equal to NaN (the poison
// between planes).
func sameFloats(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return x == y || x != x && y != y })
}

func TestBatchNormApplyMatchesPortable(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, l := range bnLayouts() {
			x := bnValues(rng, l.n, l.plane, l.stride, 0.5)
			fresh := func() []float32 { // the outputs, poisoned too, and one float past the end
				return append(bnValues(rng, l.n, l.plane, l.stride, 0), 42)
			}
			y := fresh()
			wantY := slices.Clone(y)
			last := len(x)
			bnNorm(x, y[:last], l.n, l.plane, l.stride, 0.4, 1.3, 0.9, -0.2)
			bnNormGo(x, wantY[:last], l.n, l.plane, l.stride, 0.4, 1.3, 0.9, -0.2)
			if !sameFloats(y, wantY) {
				t.Fatalf("%+v: bnNorm differs from bnNormGo", l)
			}

			dy, dx := bnValues(rng, l.n, l.plane, l.stride, 0), fresh()
			wantDx := slices.Clone(dx)
			k := bnGradConsts{Mu: 0.4, Inv: 1.3, M: float32(l.n * l.plane), SumDy: 0.7, SumDyXhat: -1.1, K: 0.03}
			bnGrad(dy, x, dx[:last], l.n, l.plane, l.stride, &k)
			bnGradGo(dy, x, wantDx[:last], l.n, l.plane, l.stride, &k)
			if !sameFloats(dx, wantDx) {
				t.Fatalf("%+v: bnGrad differs from bnGradGo", l)
			}
		}
	})
}
