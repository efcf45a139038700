package nn

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/fmnist/trainer/ml/nn/internal/kernels"
)

// stockConvReluPool builds relu(conv2d(x, w) + b) max-pooled 2×2 from stock
// Gorgonia ops.
func stockConvReluPool(t *testing.T, x, w, b *G.Node) *G.Node {
	t.Helper()
	f := w.Shape()[0]
	conv, err := G.Conv2d(x, w, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	b4, err := G.Reshape(b, tensor.Shape{1, f, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	pre, err := G.BroadcastAdd(conv, b4, nil, []byte{0, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	act, err := G.Rectify(pre)
	if err != nil {
		t.Fatal(err)
	}
	out, err := G.MaxPool2D(act, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConvReluPoolMatchesStockOps(t *testing.T) {
	cases := []struct {
		name                   string
		batch, inC, outC, h, w int
		chunk                  int // images per chunk; 0 keeps the default
		inputGrad              bool
	}{
		{name: "first layer", batch: 3, inC: 1, outC: 4, h: 8, w: 6, inputGrad: false},
		{name: "inner layer", batch: 2, inC: 3, outC: 5, h: 6, w: 8, inputGrad: true},
		{name: "chunked with remainder", batch: 5, inC: 2, outC: 3, h: 4, w: 4, chunk: 2, inputGrad: true},
		{name: "single image", batch: 1, inC: 2, outC: 2, h: 2, w: 2, inputGrad: true},
		{name: "channels-last inner layer", batch: 3, inC: kernels.ChannelsLastC, outC: 5, h: 6, w: 4, inputGrad: true},
		{name: "channels-last single image", batch: 1, inC: kernels.ChannelsLastC, outC: 3, h: 2, w: 2, inputGrad: true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			xv := randomTensor(rng, 1, tc.batch, tc.inC, tc.h, tc.w)
			wv := randomTensor(rng, 0.5, tc.outC, tc.inC, 3, 3)
			bv := randomTensor(rng, 0.3, tc.outC)
			rv := randomTensor(rng, 1, tc.batch, tc.outC, tc.h/2, tc.w/2)

			ref := G.NewGraph()
			rx, rw, rb := inputNode(ref, "x", xv), inputNode(ref, "w", wv), inputNode(ref, "b", bv)
			rOut := stockConvReluPool(t, rx, rw, rb)
			rCost := weightedSum(t, rOut, rv)
			rGrads, err := G.Grad(rCost, rx, rw, rb)
			if err != nil {
				t.Fatal(err)
			}
			want := runGraph(t, ref, 1, append(G.Nodes{rOut}, rGrads...)...)

			g := G.NewGraph()
			x, w, b := inputNode(g, "x", xv), inputNode(g, "w", wv), inputNode(g, "b", bv)
			layer, err := newConvLayer("conv", tc.batch, tc.inC, tc.outC, tc.h, tc.w, true, tc.inputGrad)
			if err != nil {
				t.Fatal(err)
			}
			if tc.chunk > 0 {
				layer.chunk = tc.chunk
			}
			if want := kernels.ChannelsLastFast(tc.inC); layer.channelsLast != want {
				t.Fatalf("channels-last path = %v, want %v", layer.channelsLast, want)
			}
			out, err := layer.apply(x, w, b)
			if err != nil {
				t.Fatal(err)
			}
			cost := weightedSum(t, out, rv)
			wrt := G.Nodes{w, b}
			if tc.inputGrad {
				wrt = G.Nodes{x, w, b}
			}
			grads, err := G.Grad(cost, wrt...)
			if err != nil {
				t.Fatal(err)
			}
			// Two runs: buffers reused across steps must not leak state.
			got := runGraph(t, g, 2, append(G.Nodes{out}, grads...)...)

			assertClose(t, "output", got[0], want[0])
			if tc.inputGrad {
				assertClose(t, "dx", got[1], want[1])
				got = append(got[:1], got[2:]...)
			}
			assertClose(t, "dw", got[1], want[2])
			assertClose(t, "db", got[2], want[3])
		})
	}
}

func TestConvLayerRejectsOddPlanes(t *testing.T) {
	if _, err := newConvLayer("conv", 1, 1, 1, 5, 4, true, false); err == nil {
		t.Error("5×4 input accepted, but 2×2 pooling needs even sides")
	}
}

func TestTwoConvLayersStayDistinctNodes(t *testing.T) {
	// Equal geometry and inputs: only the layer id tells the ops apart.
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(1, 1))
	x := inputNode(g, "x", randomTensor(rng, 1, 1, 1, 4, 4))
	w := inputNode(g, "w", randomTensor(rng, 1, 1, 1, 3, 3))
	b := inputNode(g, "b", randomTensor(rng, 1, 1))
	var outs []*G.Node
	for range 2 {
		l, err := newConvLayer("conv", 1, 1, 1, 4, 4, false, false)
		if err != nil {
			t.Fatal(err)
		}
		out, err := l.apply(x, w, b)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	if outs[0] == outs[1] {
		t.Error("two layers were merged into one graph node")
	}
}
