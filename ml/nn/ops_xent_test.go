package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func oneHot(labels []int, classes int) *tensor.Dense {
	t := tensor.New(tensor.WithShape(len(labels), classes), tensor.Of(tensor.Float32))
	data := t.Data().([]float32)
	for i, l := range labels {
		data[i*classes+l] = 1
	}
	return t
}

func TestSoftmaxXentMatchesStockOps(t *testing.T) {
	const batch, classes = 6, 10
	rng := rand.New(rand.NewPCG(3, 3))
	zv := randomTensor(rng, 3, batch, classes)
	tv := oneHot([]int{0, 3, 9, 3, 5, 1}, classes)

	ref := G.NewGraph()
	rz, rt := inputNode(ref, "z", zv), inputNode(ref, "t", tv)
	logp := G.Must(G.LogSoftMax(rz))
	rLoss := G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Sum(G.Must(G.HadamardProd(logp, rt)), 1))))))
	rGrads, err := G.Grad(rLoss, rz)
	if err != nil {
		t.Fatal(err)
	}
	want := runGraph(t, ref, 1, rLoss, rGrads[0])

	g := G.NewGraph()
	z, tn := inputNode(g, "z", zv), inputNode(g, "t", tv)
	xent, err := newSoftmaxXent(batch, classes)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := xent.apply(z, tn)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, z)
	if err != nil {
		t.Fatal(err)
	}
	got := runGraph(t, g, 2, loss, grads[0])

	assertClose(t, "loss", got[0], want[0])
	assertClose(t, "dz", got[1], want[1])
}

func TestSoftmaxXentStaysFiniteWhenConfident(t *testing.T) {
	// The true class scores 200 below another: softmax underflows to 0 in
	// float32, where log(softmax) would be -Inf.
	z := tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float32{0, 200, -5}))
	g := G.NewGraph()
	zn, tn := inputNode(g, "z", z), inputNode(g, "t", oneHot([]int{0}, 3))
	xent, err := newSoftmaxXent(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := xent.apply(zn, tn)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, zn)
	if err != nil {
		t.Fatal(err)
	}
	got := runGraph(t, g, 1, loss, grads[0])
	if math.Abs(float64(got[0][0])-200) > 1e-3 {
		t.Errorf("loss = %v, want 200", got[0][0])
	}
	wantGrad := []float32{-1, 1, 0}
	for i, v := range got[1] {
		if math.Abs(float64(v-wantGrad[i])) > 1e-6 {
			t.Errorf("dz = %v, want %v", got[1], wantGrad)
			break
		}
	}
}
