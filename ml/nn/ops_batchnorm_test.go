package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// stockBatchNorm is training-mode batch norm of x [N,C,H,W] from stock
// Gorgonia ops: per channel, (x - mean) / √(var + ε) · γ + β.
func stockBatchNorm(t *testing.T, x, gamma, beta *G.Node) *G.Node {
	t.Helper()
	s := x.Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	xt := G.Must(G.Transpose(x, 1, 0, 2, 3))
	xr := G.Must(G.Reshape(xt, tensor.Shape{c, n * h * w}))
	mean := G.Must(G.Mean(xr, 1))
	xc := G.Must(G.BroadcastSub(xr, mean, nil, []byte{1}))
	variance := G.Must(G.Mean(G.Must(G.Square(xc)), 1))
	eps := G.NewConstant(float32(BatchNormEps))
	std := G.Must(G.Sqrt(G.Must(G.Add(variance, eps))))
	xhat := G.Must(G.BroadcastHadamardDiv(xc, std, nil, []byte{1}))
	y := G.Must(G.BroadcastAdd(G.Must(G.BroadcastHadamardProd(xhat, gamma, nil, []byte{1})), beta, nil, []byte{1}))
	y = G.Must(G.Reshape(y, tensor.Shape{c, n, h, w}))
	return G.Must(G.Transpose(y, 1, 0, 2, 3))
}

// The batch-norm op matches stock Gorgonia ops forward and backward, on
// the kernel path of the process; run the suite under FMNIST_GEMM=avx512,
// avx2 and generic (and on arm64 for NEON) to check each.
func TestBatchNormMatchesStockOps(t *testing.T) {
	t.Logf("kernel path %s", KernelPath())
	for i, tc := range []struct{ batch, ch, side int }{{4, 3, 6}, {2, 8, 14}, {7, 5, 7}} {
		rng := rand.New(rand.NewPCG(uint64(i), 21))
		xv := randomTensor(rng, 2, tc.batch, tc.ch, tc.side, tc.side)
		// Shift the channels so their means differ from 0.
		for j, v := range xv.Data().([]float32) {
			xv.Data().([]float32)[j] = v + float32((j/(tc.side*tc.side))%tc.ch)
		}
		gv := randomTensor(rng, 1, tc.ch)
		bv := randomTensor(rng, 1, tc.ch)
		rv := randomTensor(rng, 1, tc.batch, tc.ch, tc.side, tc.side)

		ref := G.NewGraph()
		rx, rg, rb := inputNode(ref, "x", xv), inputNode(ref, "gamma", gv), inputNode(ref, "beta", bv)
		rOut := stockBatchNorm(t, rx, rg, rb)
		rGrads, err := G.Grad(weightedSum(t, rOut, rv), rx, rg, rb)
		if err != nil {
			t.Fatal(err)
		}
		want := runGraph(t, ref, 1, append(G.Nodes{rOut}, rGrads...)...)

		g := G.NewGraph()
		x, gamma, beta := inputNode(g, "x", xv), inputNode(g, "gamma", gv), inputNode(g, "beta", bv)
		runMean, runVar := make([]float32, tc.ch), make([]float32, tc.ch)
		for c := range runVar {
			runVar[c] = 1
		}
		layer, err := newBatchNormLayer("bn", tc.batch, tc.ch, tc.side*tc.side, true, runMean, runVar)
		if err != nil {
			t.Fatal(err)
		}
		out, err := layer.apply(x, gamma, beta)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := G.Grad(weightedSum(t, out, rv), x, gamma, beta)
		if err != nil {
			t.Fatal(err)
		}
		got := runGraph(t, g, 1, append(G.Nodes{out}, grads...)...)
		for k, what := range []string{"output", "dx", "dgamma", "dbeta"} {
			if d := relDiff(got[k], want[k]); !(d <= 1e-5) {
				t.Errorf("case %d %s: relative L2 difference %.3g > 1e-5", i, what, d)
			}
			if nonZero(want[k]) == 0 {
				t.Errorf("case %d %s: reference is all zero", i, what)
			}
		}

		// One training step moved the running statistics a tenth of the
		// way to the batch's (unbiased) statistics.
		data := xv.Data().([]float32)
		plane, m := tc.side*tc.side, tc.batch*tc.side*tc.side
		for c := range tc.ch {
			var sum, sq float64
			for n := range tc.batch {
				for _, v := range data[(n*tc.ch+c)*plane : (n*tc.ch+c+1)*plane] {
					sum += float64(v)
				}
			}
			mean := sum / float64(m)
			for n := range tc.batch {
				for _, v := range data[(n*tc.ch+c)*plane : (n*tc.ch+c+1)*plane] {
					sq += (float64(v) - mean) * (float64(v) - mean)
				}
			}
			if wantMean := 0.1 * mean; math.Abs(float64(runMean[c])-wantMean) > 1e-5 {
				t.Errorf("case %d channel %d: running mean %g, want %g", i, c, runMean[c], wantMean)
			}
			if wantVar := 0.9 + 0.1*sq/float64(m-1); math.Abs(float64(runVar[c])-wantVar) > 1e-5*wantVar {
				t.Errorf("case %d channel %d: running var %g, want %g", i, c, runVar[c], wantVar)
			}
		}
	}
}

// In evaluation the op normalises by the running statistics, not the batch's.
func TestBatchNormEvalUsesRunningStats(t *testing.T) {
	const batch, ch, side = 2, 2, 2
	xv := tensor.New(tensor.WithShape(batch, ch, side, side), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
	gv := tensor.New(tensor.WithShape(ch), tensor.WithBacking([]float32{2, 1}))
	bv := tensor.New(tensor.WithShape(ch), tensor.WithBacking([]float32{0.5, 0}))
	runMean, runVar := []float32{1, -1}, []float32{4, 0.25}
	g := G.NewGraph()
	layer, err := newBatchNormLayer("bn", batch, ch, side*side, false, runMean, runVar)
	if err != nil {
		t.Fatal(err)
	}
	out, err := layer.apply(inputNode(g, "x", xv), inputNode(g, "gamma", gv), inputNode(g, "beta", bv))
	if err != nil {
		t.Fatal(err)
	}
	got := runGraph(t, g, 1, out)[0]
	x := xv.Data().([]float32)
	for i, v := range got {
		c := (i / (side * side)) % ch
		want := float64(gv.Data().([]float32)[c])*(float64(x[i])-float64(runMean[c]))/math.Sqrt(float64(runVar[c])+BatchNormEps) + float64(bv.Data().([]float32)[c])
		if math.Abs(float64(v)-want) > 1e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("y[%d] = %g, want %g", i, v, want)
		}
	}
	if runMean[0] != 1 || runVar[1] != 0.25 {
		t.Errorf("evaluation changed the running statistics: %v %v", runMean, runVar)
	}
}
