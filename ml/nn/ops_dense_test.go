package nn

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
)

func TestDenseMatchesStockOps(t *testing.T) {
	cases := []struct {
		name            string
		batch, in, out  int
		relu, inputGrad bool
	}{
		{name: "hidden layer", batch: 4, in: 37, out: 9, relu: true, inputGrad: true},
		{name: "output layer", batch: 3, in: 9, out: 5, relu: false, inputGrad: true},
		{name: "no input gradient", batch: 1, in: 6, out: 7, relu: true, inputGrad: false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			xv := randomTensor(rng, 1, tc.batch, tc.in)
			wv := randomTensor(rng, 0.5, tc.out, tc.in)
			bv := randomTensor(rng, 0.3, tc.out)
			rv := randomTensor(rng, 1, tc.batch, tc.out)

			ref := G.NewGraph()
			rx, rw, rb := inputNode(ref, "x", xv), inputNode(ref, "w", wv), inputNode(ref, "b", bv)
			rOut := G.Must(G.BroadcastAdd(G.Must(G.Mul(rx, G.Must(G.Transpose(rw)))), rb, nil, []byte{0}))
			if tc.relu {
				rOut = G.Must(G.Rectify(rOut))
			}
			rGrads, err := G.Grad(weightedSum(t, rOut, rv), rx, rw, rb)
			if err != nil {
				t.Fatal(err)
			}
			want := runGraph(t, ref, 1, append(G.Nodes{rOut}, rGrads...)...)

			g := G.NewGraph()
			x, w, b := inputNode(g, "x", xv), inputNode(g, "w", wv), inputNode(g, "b", bv)
			layer, err := newDenseLayer("fc", tc.batch, tc.in, tc.out, tc.relu, true, tc.inputGrad)
			if err != nil {
				t.Fatal(err)
			}
			out, err := layer.apply(x, w, b)
			if err != nil {
				t.Fatal(err)
			}
			wrt := G.Nodes{w, b}
			if tc.inputGrad {
				wrt = G.Nodes{x, w, b}
			}
			grads, err := G.Grad(weightedSum(t, out, rv), wrt...)
			if err != nil {
				t.Fatal(err)
			}
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
