package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Helpers for checking the custom ops against stock Gorgonia ops.

// maxRelDiff is the largest relative L2 difference allowed between a custom
// op's results and the stock ops'.
const maxRelDiff = 1e-5

func randomTensor(rng *rand.Rand, scale float64, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	data := t.Data().([]float32)
	for i := range data {
		data[i] = float32((2*rng.Float64() - 1) * scale)
	}
	return t
}

// inputNode adds an input node holding a copy of v to g.
func inputNode(g *G.ExprGraph, name string, v *tensor.Dense) *G.Node {
	return G.NewTensor(g, G.Float32, v.Dims(), G.WithShape(v.Shape()...), G.WithName(name), G.WithValue(v.Clone()))
}

// weightedSum is Σ out ⊙ r, a scalar cost whose gradient with respect to out
// is r, so that backward passes see a non-trivial incoming gradient.
func weightedSum(t *testing.T, out *G.Node, r *tensor.Dense) *G.Node {
	t.Helper()
	rn := G.NewTensor(out.Graph(), G.Float32, r.Dims(), G.WithShape(r.Shape()...), G.WithName("r"), G.WithValue(r))
	cost, err := G.Sum(G.Must(G.HadamardProd(out, rn)))
	if err != nil {
		t.Fatal(err)
	}
	return cost
}

// runGraph runs g runs times on one tape machine and returns copies of the
// values of nodes after the last run.
func runGraph(t *testing.T, g *G.ExprGraph, runs int, nodes ...*G.Node) [][]float32 {
	t.Helper()
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for range runs {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	out := make([][]float32, len(nodes))
	for i, n := range nodes {
		switch v := n.Value().(type) {
		case tensor.Tensor:
			out[i] = append([]float32(nil), v.Data().([]float32)...)
		default:
			f, err := scalarFloat32(v)
			if err != nil {
				t.Fatalf("%v: %v", n, err)
			}
			out[i] = []float32{f}
		}
	}
	return out
}

// relDiff is ‖got − want‖ / ‖want‖.
func relDiff(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
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

func assertClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	d := relDiff(got, want)
	if !(d <= maxRelDiff) {
		t.Errorf("%s: relative L2 difference %.3g > %g", what, d, maxRelDiff)
	}
	if nonZero(want) == 0 {
		t.Errorf("%s: reference is all zero, so the comparison proves nothing", what)
	}
}

func nonZero(v []float32) int {
	n := 0
	for _, x := range v {
		if x != 0 {
			n++
		}
	}
	return n
}

func TestParallelForCoversRangeOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 17, 1000} {
		hits := make([]int, n)
		parallelFor(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i]++
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, h)
			}
		}
	}
}
