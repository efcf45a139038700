package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/fmnist/trainer/ml/nn/internal/kernels"
)

// syntheticBatch returns n images with values in [0,1] and labels.
func syntheticBatch(seed uint64, n int) ([]float32, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 5))
	x := make([]float32, n*netImagePixels)
	for i := range x {
		x[i] = rng.Float32()
	}
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(rng.IntN(netClasses))
	}
	return x, labels
}

func newTestNetwork(t *testing.T, seed int64) *Network {
	t.Helper()
	n, err := NewNetwork(seed, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

func weightsCopy(n *Network) [][]float32 {
	var out [][]float32
	for _, p := range n.Params() {
		out = append(out, slices.Clone(p.Data))
	}
	return out
}

func TestParamsNamesShapesAndInit(t *testing.T) {
	n := newTestNetwork(t, 42)
	want := []struct {
		name  string
		shape []int
		fanIn int
	}{
		{"conv1.weight", []int{32, 1, 3, 3}, 9},
		{"conv1.bias", []int{32}, 9},
		{"conv2.weight", []int{64, 32, 3, 3}, 288},
		{"conv2.bias", []int{64}, 288},
		{"fc1.weight", []int{128, 3136}, 3136},
		{"fc1.bias", []int{128}, 3136},
		{"fc2.weight", []int{10, 128}, 128},
		{"fc2.bias", []int{10}, 128},
	}
	params := n.Params()
	if len(params) != len(want) {
		t.Fatalf("got %d params, want %d", len(params), len(want))
	}
	for i, p := range params {
		w := want[i]
		if p.Name != w.name || !slices.Equal(p.Shape, w.shape) {
			t.Errorf("param %d is %s %v, want %s %v", i, p.Name, p.Shape, w.name, w.shape)
		}
		size := 1
		for _, s := range w.shape {
			size *= s
		}
		if len(p.Data) != size {
			t.Errorf("%s holds %d values, want %d", p.Name, len(p.Data), size)
		}
		// PyTorch's default init: U(±1/√fan_in); a uniform sample of this
		// size nearly fills the interval.
		bound := 1 / math.Sqrt(float64(w.fanIn))
		lo, hi := slices.Min(p.Data), slices.Max(p.Data)
		if float64(lo) < -bound || float64(hi) > bound {
			t.Errorf("%s spans [%v, %v], outside ±%v", p.Name, lo, hi, bound)
		}
		if len(p.Data) >= 32 && (float64(hi-lo) < bound) {
			t.Errorf("%s spans only [%v, %v] of ±%v", p.Name, lo, hi, bound)
		}
	}
}

func TestInitIsSeeded(t *testing.T) {
	a, b, c := weightsCopy(newTestNetwork(t, 7)), weightsCopy(newTestNetwork(t, 7)), weightsCopy(newTestNetwork(t, 8))
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Errorf("param %d differs between two networks of seed 7", i)
		}
		if slices.Equal(a[i], c[i]) {
			t.Errorf("param %d is equal for seeds 7 and 8", i)
		}
	}
}

func TestParamsAliasLiveWeights(t *testing.T) {
	n := newTestNetwork(t, 1)
	x, _ := syntheticBatch(1, 2)
	before := make([]float32, 2*netClasses)
	if err := n.Predict(x, 2, before); err != nil {
		t.Fatal(err)
	}
	// Zeroing the last layer makes every class equally likely.
	for _, p := range n.Params()[6:] {
		clear(p.Data)
	}
	after := make([]float32, 2*netClasses)
	if err := n.Predict(x, 2, after); err != nil {
		t.Fatal(err)
	}
	for _, p := range after {
		if math.Abs(float64(p)-0.1) > 1e-6 {
			t.Fatalf("probabilities after zeroing fc2 = %v, want all 0.1 (before: %v)", after, before)
		}
	}
}

func TestTrainStepDrivesLossDown(t *testing.T) {
	n := newTestNetwork(t, 3)
	x, labels := syntheticBatch(3, 16)
	first, err := n.TrainStep(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(first)-math.Log(10)) > 0.3 {
		t.Errorf("initial loss %v, want about ln 10 = 2.30", first)
	}
	last := first
	for range 40 {
		if last, err = n.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first/4) {
		t.Errorf("loss went from %v to %v after 40 steps on one batch; want it memorised", first, last)
	}
	_, acc, err := n.Evaluate(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if acc != 1 {
		t.Errorf("accuracy on the memorised batch = %v, want 1", acc)
	}
}

func TestBatchSizesShareWeights(t *testing.T) {
	n := newTestNetwork(t, 4)
	for _, size := range []int{1, 7, 64, 7, 1} {
		x, labels := syntheticBatch(uint64(size), size)
		loss, err := n.TrainStep(x, labels)
		if err != nil {
			t.Fatalf("batch %d: %v", size, err)
		}
		if !(loss > 0) || math.IsInf(float64(loss), 0) {
			t.Fatalf("batch %d: loss %v", size, loss)
		}
	}
	// Each image's probabilities do not depend on the batch around it.
	x, _ := syntheticBatch(9, 7)
	together := make([]float32, 7*netClasses)
	if err := n.Predict(x, 7, together); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		alone := make([]float32, netClasses)
		if err := n.Predict(x[i*netImagePixels:(i+1)*netImagePixels], 1, alone); err != nil {
			t.Fatal(err)
		}
		if d := relDiff(alone, together[i*netClasses:(i+1)*netClasses]); d > 1e-5 {
			t.Errorf("image %d: probabilities alone and in a batch differ by %.3g", i, d)
		}
	}
}

func TestPredictLargeBatch(t *testing.T) {
	n := newTestNetwork(t, 5)
	const batch = 1000
	x, _ := syntheticBatch(5, batch)
	probs := make([]float32, batch*netClasses)
	if err := n.Predict(x, batch, probs); err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		var sum float64
		for _, p := range probs[i*netClasses : (i+1)*netClasses] {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("image %d: probability %v", i, p)
			}
			sum += float64(p)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("image %d: probabilities sum to %v", i, sum)
		}
	}
}

func TestEvaluateMatchesTrainingLoss(t *testing.T) {
	n := newTestNetwork(t, 6)
	x, labels := syntheticBatch(6, 9)
	evalLoss, acc, err := n.Evaluate(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0 || acc > 1 {
		t.Errorf("accuracy %v outside [0,1]", acc)
	}
	// TrainStep reports the loss before its update, from the same weights.
	trainLoss, err := n.TrainStep(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(evalLoss-trainLoss)) > 1e-5 {
		t.Errorf("evaluate loss %v, training loss %v", evalLoss, trainLoss)
	}
}

func TestBadInputIsRejectedAndWeightsKept(t *testing.T) {
	n := newTestNetwork(t, 7)
	before := weightsCopy(n)
	x, labels := syntheticBatch(7, 3)
	if _, err := n.TrainStep(x[:len(x)-1], labels); err == nil {
		t.Error("short input accepted")
	}
	if _, err := n.TrainStep(nil, nil); err == nil {
		t.Error("empty batch accepted")
	}
	bad := slices.Clone(labels)
	bad[1] = 10
	if _, err := n.TrainStep(x, bad); err == nil || !strings.Contains(err.Error(), "label 10") {
		t.Errorf("label 10 gave error %v", err)
	}
	if _, _, err := n.Evaluate(x, bad); err == nil {
		t.Error("evaluate accepted label 10")
	}
	if err := n.Predict(x, 3, make([]float32, 29)); err == nil {
		t.Error("short probabilities buffer accepted")
	}
	if err := n.Predict(x, 0, nil); err == nil {
		t.Error("batch 0 accepted")
	}
	for i, p := range weightsCopy(n) {
		if !slices.Equal(p, before[i]) {
			t.Errorf("param %d changed by rejected input", i)
		}
	}
}

func TestNonFiniteLossLeavesWeights(t *testing.T) {
	n := newTestNetwork(t, 8)
	x, labels := syntheticBatch(8, 2)
	x[5] = float32(math.NaN())
	before := weightsCopy(n)
	if _, err := n.TrainStep(x, labels); err == nil {
		t.Fatal("NaN input trained without error")
	}
	for i, p := range weightsCopy(n) {
		if !slices.Equal(p, before[i]) {
			t.Errorf("param %d changed by a NaN step", i)
		}
	}
}

func TestClosedNetworkRefusesWork(t *testing.T) {
	n, err := NewNetwork(1, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	x, labels := syntheticBatch(1, 2)
	if _, err := n.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	n.Close()
	if _, err := n.TrainStep(x, labels); !errors.Is(err, ErrNetworkClosed) {
		t.Errorf("train step after close: %v", err)
	}
	if err := n.Predict(x, 2, make([]float32, 20)); !errors.Is(err, ErrNetworkClosed) {
		t.Errorf("predict after close: %v", err)
	}
}

func TestNoGoroutineOutlivesACall(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n, err := NewNetwork(2, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	x, labels := syntheticBatch(2, 9)
	if _, err := n.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	if err := n.Predict(x, 9, make([]float32, 90)); err != nil {
		t.Fatal(err)
	}
	n.Close()
}

func TestNewNetworkRejectsBadLearningRate(t *testing.T) {
	for _, lr := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := NewNetwork(1, lr); err == nil {
			t.Errorf("learning rate %v accepted", lr)
		}
	}
}

func TestGraphCacheIsBounded(t *testing.T) {
	n := newTestNetwork(t, 9)
	for size := 1; size <= graphCacheSize+2; size++ {
		x, labels := syntheticBatch(uint64(size), size)
		if _, err := n.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
	}
	if len(n.train.graphs) != graphCacheSize {
		t.Errorf("%d training graphs cached, want %d", len(n.train.graphs), graphCacheSize)
	}
}

// TestNetworkGradientsMatchStockGraph builds the whole network from stock
// Gorgonia ops with the same weights and compares loss and gradients, with
// this CPU's kernels and with the portable ones.
func TestNetworkGradientsMatchStockGraph(t *testing.T) {
	t.Run("platform kernels", checkNetworkGradients)
	t.Run("portable kernels", func(t *testing.T) {
		defer kernels.ForcePortable()()
		checkNetworkGradients(t)
	})
}

func checkNetworkGradients(t *testing.T) {
	const batch = 3
	n := newTestNetwork(t, 10)
	x, labels := syntheticBatch(10, batch)

	cg, err := n.build(batch, true)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.vm.Close()
	loss, err := cg.run(x, labels, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]float32
	for _, g := range cg.grads {
		got = append(got, slices.Clone(g.Value().Data().([]float32)))
	}

	g := G.NewGraph()
	xn := inputNode(g, "x", tensor.New(tensor.WithShape(batch, 1, 28, 28), tensor.WithBacking(slices.Clone(x))))
	target := make([]float32, batch*netClasses)
	for i, l := range labels {
		target[i*netClasses+int(l)] = 1
	}
	tn := inputNode(g, "t", tensor.New(tensor.WithShape(batch, netClasses), tensor.WithBacking(target)))
	var ps G.Nodes
	for i, p := range n.Params() {
		ps = append(ps, inputNode(g, p.Name, n.weights[i]))
	}
	h := stockConvReluPool(t, xn, ps[0], ps[1])
	h = stockConvReluPool(t, h, ps[2], ps[3])
	h = G.Must(G.Reshape(h, tensor.Shape{batch, 3136}))
	h = G.Must(G.Rectify(G.Must(G.BroadcastAdd(G.Must(G.Mul(h, G.Must(G.Transpose(ps[4])))), ps[5], nil, []byte{0}))))
	z := G.Must(G.BroadcastAdd(G.Must(G.Mul(h, G.Must(G.Transpose(ps[6])))), ps[7], nil, []byte{0}))
	cost := G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.LogSoftMax(z)), tn)), 1))))))
	grads, err := G.Grad(cost, ps...)
	if err != nil {
		t.Fatal(err)
	}
	want := runGraph(t, g, 1, append(G.Nodes{cost}, grads...)...)

	assertClose(t, "loss", []float32{loss}, want[0])
	for i, p := range n.Params() {
		assertClose(t, p.Name+" gradient", got[i], want[i+1])
	}
}
