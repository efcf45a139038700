package inspect

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/fmnist/trainer/ml/nn"
)

// tinyNetwork is a small network of spec with PyTorch's initialisation and,
// with batch norm, running statistics and scales away from the identity so
// that folding them is tested.
func tinyNetwork(t *testing.T, spec nn.Spec, seed int64) *nn.Network {
	t.Helper()
	net, err := nn.NewNetworkSpec(seed, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	for _, p := range net.Params() {
		switch {
		case len(p.Name) > 3 && p.Name[:2] == "bn" && p.Name[4:] == "running_var":
			for i := range p.Data {
				p.Data[i] = 0.5 + rng.Float32()
			}
		case len(p.Name) > 3 && p.Name[:2] == "bn":
			for i := range p.Data {
				p.Data[i] = 0.8 + 0.4*rng.Float32()
			}
		}
	}
	return net
}

func randomImage(seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float64, Pixels)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// TestSaliencyMatchesFiniteDifferences checks the backward pass against
// central differences of the top class's logit on tiny networks, with and
// without batch norm.
func TestSaliencyMatchesFiniteDifferences(t *testing.T) {
	for _, bn := range []bool{false, true} {
		spec := nn.Spec{Conv1: 2, Conv2: 3, Dense: 5, BatchNorm: bn, Optimizer: nn.OptimizerAdam, LR: 1e-3}
		net, err := New(tinyNetwork(t, spec, 11).Params())
		if err != nil {
			t.Fatal(err)
		}
		x := randomImage(5)
		tr, err := net.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		class := tr.Top()
		grad, err := net.Saliency(tr, class)
		if err != nil {
			t.Fatal(err)
		}
		logit := func(x []float64) float64 {
			tr, err := net.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			return tr.Logits[class]
		}
		const eps = 1e-6
		nonzero := 0
		for i := range Pixels {
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			xp[i] += eps
			xm[i] -= eps
			want := (logit(xp) - logit(xm)) / (2 * eps)
			if math.Abs(grad[i]-want) > 1e-6+1e-4*math.Abs(want) {
				t.Errorf("batch norm %v: pixel %d: saliency %.9g, finite difference %.9g", bn, i, grad[i], want)
			}
			if want != 0 {
				nonzero++
			}
		}
		if nonzero < Pixels/4 {
			t.Errorf("batch norm %v: only %d of %d pixels sway the class: the check tests little", bn, nonzero, Pixels)
		}
	}
}

// TestForwardMatchesNetwork checks that the float64 recomputation gives the
// probabilities of nn's network, for the baseline and with batch norm.
func TestForwardMatchesNetwork(t *testing.T) {
	for _, spec := range []nn.Spec{nn.DefaultSpec(1e-3), {Conv1: 4, Conv2: 6, Dense: 8, BatchNorm: true, Optimizer: nn.OptimizerAdam, LR: 1e-3}} {
		live := tinyNetwork(t, spec, 3)
		net, err := New(live.Params())
		if err != nil {
			t.Fatal(err)
		}
		const batch = 3
		x32 := make([]float32, batch*Pixels)
		for k := range batch {
			for i, v := range randomImage(uint64(k + 1)) {
				x32[k*Pixels+i] = float32(v)
			}
		}
		probs := make([]float32, batch*classes)
		if err := live.Predict(x32, batch, probs); err != nil {
			t.Fatal(err)
		}
		for k := range batch {
			x := make([]float64, Pixels)
			for i := range x {
				x[i] = float64(x32[k*Pixels+i])
			}
			tr, err := net.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			for c := range classes {
				if d := math.Abs(tr.Probs[c] - float64(probs[k*classes+c])); d > 1e-5 {
					t.Errorf("%+v image %d class %d: %.7f here, %.7f in nn", spec, k, c, tr.Probs[c], probs[k*classes+c])
				}
			}
		}
	}
}

func TestNewRefusesIncompleteParameters(t *testing.T) {
	params := tinyNetwork(t, nn.DefaultSpec(1e-3), 1).Params()
	if _, err := New(params[:len(params)-1]); err == nil {
		t.Error("no error without fc2.bias")
	}
	params[0].Data = params[0].Data[:5]
	if _, err := New(params); err == nil {
		t.Error("no error for a short conv1.weight")
	}
	if _, err := New(nil); err == nil {
		t.Error("no error for no parameters")
	}
}

func TestActivationShapes(t *testing.T) {
	net, err := New(tinyNetwork(t, nn.DefaultSpec(1e-3), 2).Params())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := net.Forward(randomImage(9))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Conv1) != 32 || len(tr.Conv1[0]) != 28*28 || len(tr.Conv2) != 64 || len(tr.Conv2[0]) != 14*14 {
		t.Errorf("activation maps %d×%d and %d×%d, want 32×784 and 64×196", len(tr.Conv1), len(tr.Conv1[0]), len(tr.Conv2), len(tr.Conv2[0]))
	}
	sum := 0.0
	for _, p := range tr.Probs {
		sum += p
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("probabilities sum to %v", sum)
	}
	if _, err := net.Forward(make([]float64, 10)); err == nil {
		t.Error("no error for a 10-value image")
	}
	if _, err := net.Saliency(tr, 10); err == nil {
		t.Error("no error for class 10")
	}
}

// BenchmarkForwardAndSaliency is one page's work on the baseline network:
// an image forward and its saliency back.
func BenchmarkForwardAndSaliency(b *testing.B) {
	live, err := nn.NewNetwork(1, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	defer live.Close()
	net, err := New(live.Params())
	if err != nil {
		b.Fatal(err)
	}
	x := randomImage(1)
	for b.Loop() {
		tr, err := net.Forward(x)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := net.Saliency(tr, tr.Top()); err != nil {
			b.Fatal(err)
		}
	}
}
