package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const (
	netImageSide   = 28                          // width and height of an input image
	netImagePixels = netImageSide * netImageSide // values per input image
	netClasses     = 10
)

// Param is one named parameter tensor of the network. Data aliases the live
// weights: writing to it changes the network.
type Param struct {
	Name  string
	Shape []int
	Data  []float32
}

// graphCacheSize bounds how many compiled graphs (one per batch size) each
// of training and inference keeps; a run needs two (full and last batch).
const graphCacheSize = 3

// ErrNetworkClosed is returned by the methods of a closed Network.
var ErrNetworkClosed = errors.New("network is closed")

// Network is the Fashion-MNIST CNN. Its weights live in tensors shared by
// every compiled graph; graphs are built per batch size on first use and
// cached. Methods are safe for concurrent use (they run one at a time).
type Network struct {
	mu      sync.Mutex
	spec    Spec
	specs   []paramSpec
	weights []*tensor.Dense // in specs order
	opt     *adam
	seed    int64 // with the step, seeds each step's dropout masks, so runs (and resumed runs) repeat
	train   graphCache
	infer   graphCache
	closed  bool
}

// NewNetwork returns the baseline network initialised like PyTorch's
// defaults (weights and biases uniform in ±1/√fan_in) from seed, trained by
// Adam at rate lr.
func NewNetwork(seed int64, lr float64) (*Network, error) {
	return NewNetworkSpec(seed, DefaultSpec(lr))
}

// NewNetworkSpec returns a network of spec initialised from seed like
// PyTorch's defaults; batch norm starts as the identity.
func NewNetworkSpec(seed int64, spec Spec) (*Network, error) {
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("new network: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	n := &Network{spec: spec, specs: spec.params(), seed: seed}
	sizes := make([]int, len(n.specs))
	for i, ps := range n.specs {
		size := 1
		for _, d := range ps.shape {
			size *= d
		}
		data := make([]float32, size)
		if ps.fanIn == 0 {
			for j := range data {
				data[j] = ps.init
			}
		} else {
			bound := 1 / math.Sqrt(float64(ps.fanIn))
			for j := range data {
				data[j] = float32((2*rng.Float64() - 1) * bound)
			}
		}
		n.weights = append(n.weights, tensor.New(tensor.WithShape(ps.shape...), tensor.WithBacking(data)))
		sizes[i] = size
	}
	n.opt = newOptimizer(spec, n.specs, sizes)
	return n, nil
}

// Spec returns the network's shape and training settings.
func (n *Network) Spec() Spec { return n.spec }

// SetLR sets the learning rate of the following steps.
func (n *Network) SetLR(lr float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.opt.lr = lr
}

// Params returns the parameters in a fixed order: conv1.weight, conv1.bias,
// (bn1.*), conv2.weight, conv2.bias, (bn2.*), fc1.weight, fc1.bias,
// fc2.weight, fc2.bias. Batch norm's running statistics are among them.
func (n *Network) Params() []Param {
	params := make([]Param, len(n.specs))
	for i, spec := range n.specs {
		params[i] = Param{Name: spec.name, Shape: slices.Clone(spec.shape), Data: n.weights[i].Data().([]float32)}
	}
	return params
}

// TrainStep runs forward, backward and one Adam step on a batch of
// len(labels) >= 1 images (x: len(labels)*784 standardised pixel values,
// see data.NormalizePixel, NCHW 1×28×28) and returns the batch's mean cross-entropy loss. If the loss is
// not finite the weights are left unchanged and an error is returned.
func (n *Network) TrainStep(x []float32, labels []uint8) (float32, error) {
	return n.trainStep(x, labels, nil)
}

// trainStep is TrainStep; a non-nil h also gets the step's health figures.
func (n *Network) trainStep(x []float32, labels []uint8, h *StepHealth) (float32, error) {
	if err := checkLabelledBatch(x, labels); err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return 0, fmt.Errorf("train step: %w", ErrNetworkClosed)
	}
	cg, err := n.graph(&n.train, len(labels), true)
	if err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	if cg.dropout != nil {
		cg.dropout.draw(rand.New(rand.NewPCG(uint64(n.seed)^0xd1b54a32d192ed03, uint64(n.opt.step))))
	}
	loss, err := cg.run(x, labels, n.spec.LabelSmoothing)
	if err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
		return loss, fmt.Errorf("train step: loss is %v; weights left unchanged", loss)
	}
	grads := make([][]float32, len(cg.grads))
	for i, g := range cg.grads {
		if g == nil {
			continue // a running statistic, which is not trained
		}
		if grads[i], err = float32s(g.Value(), n.weights[i].Size(), n.specs[i].name+" gradient"); err != nil {
			return 0, fmt.Errorf("train step: %w", err)
		}
	}
	if h != nil {
		cg.measure(grads, h)
	}
	params := make([][]float32, len(n.weights))
	for i, w := range n.weights {
		params[i] = w.Data().([]float32)
	}
	if err := n.opt.update(params, grads); err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	return loss, nil
}

// Predict writes the softmax probabilities of batch images (x: batch*784
// values) into the first batch*10 values of probs, image-major.
func (n *Network) Predict(x []float32, batch int, probs []float32) error {
	if batch < 1 {
		return fmt.Errorf("predict: batch size %d must be at least 1", batch)
	}
	if len(x) != batch*netImagePixels {
		return fmt.Errorf("predict: got %d input values for %d images, want %d", len(x), batch, batch*netImagePixels)
	}
	if len(probs) < batch*netClasses {
		return fmt.Errorf("predict: probabilities buffer holds %d values, need %d", len(probs), batch*netClasses)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return fmt.Errorf("predict: %w", ErrNetworkClosed)
	}
	cg, err := n.graph(&n.infer, batch, false)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if _, err := cg.run(x, nil, 0); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	p, err := float32s(cg.probs.Value(), batch*netClasses, "probabilities")
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	copy(probs, p)
	return nil
}

// Evaluate returns the mean cross-entropy loss and the accuracy (fraction of
// images whose most probable class is the label) over a batch of
// len(labels) >= 1 images, without training. Callers average over chunks
// weighted by chunk size.
func (n *Network) Evaluate(x []float32, labels []uint8) (loss, accuracy float32, err error) {
	if err := checkLabelledBatch(x, labels); err != nil {
		return 0, 0, fmt.Errorf("evaluate: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return 0, 0, fmt.Errorf("evaluate: %w", ErrNetworkClosed)
	}
	cg, err := n.graph(&n.infer, len(labels), false)
	if err != nil {
		return 0, 0, fmt.Errorf("evaluate: %w", err)
	}
	if loss, err = cg.run(x, labels, 0); err != nil {
		return 0, 0, fmt.Errorf("evaluate: %w", err)
	}
	logits, err := float32s(cg.logits.Value(), len(labels)*netClasses, "logits")
	if err != nil {
		return 0, 0, fmt.Errorf("evaluate: %w", err)
	}
	correct := 0
	for i, label := range labels {
		row := logits[i*netClasses : (i+1)*netClasses]
		if IndexOfMax(row) == int(label) {
			correct++
		}
	}
	return loss, float32(correct) / float32(len(labels)), nil
}

// Close releases the compiled graphs; the network cannot be used afterwards.
func (n *Network) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	n.train.clear()
	n.infer.clear()
}

func checkLabelledBatch(x []float32, labels []uint8) error {
	if len(labels) == 0 {
		return errors.New("empty batch")
	}
	if len(x) != len(labels)*netImagePixels {
		return fmt.Errorf("got %d input values for %d labels, want %d", len(x), len(labels), len(labels)*netImagePixels)
	}
	for i, l := range labels {
		if l >= netClasses {
			return fmt.Errorf("label %d of image %d is not a class (0-%d)", l, i, netClasses-1)
		}
	}
	return nil
}

// IndexOfMax returns the index of the largest value (the first of equal
// ones): the predicted class of a row of probabilities.
func IndexOfMax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// graph returns the cached graph for batch, building it on first use.
func (n *Network) graph(cache *graphCache, batch int, training bool) (*compiledGraph, error) {
	if cg := cache.get(batch); cg != nil {
		return cg, nil
	}
	cg, err := n.build(batch, training)
	if err != nil {
		return nil, fmt.Errorf("build graph for batch %d: %w", batch, err)
	}
	cache.put(cg)
	return cg, nil
}

// compiledGraph is the network's graph for one batch size with its tape
// machine. Its input tensors are bound to the graph's input nodes once; a
// run copies the batch into them.
type compiledGraph struct {
	batch         int
	vm            G.VM
	x, target     *tensor.Dense
	loss          *G.Node
	logits, probs *G.Node
	grads         G.Nodes       // in Params order, nil for running statistics; training graphs only
	dropout       *dropoutLayer // nil without dropout or for inference
	relus         []reluOutput  // the ReLU layers' outputs, for StepHealth
}

// build constructs the graph for batch images: the layers, the loss and,
// for training, the gradients of the loss; for inference, the
// probabilities.
func (n *Network) build(batch int, training bool) (cg *compiledGraph, err error) {
	g := G.NewGraph()
	cg = &compiledGraph{
		batch:  batch,
		x:      tensor.New(tensor.WithShape(batch, 1, netImageSide, netImageSide), tensor.Of(tensor.Float32)),
		target: tensor.New(tensor.WithShape(batch, netClasses), tensor.Of(tensor.Float32)),
	}
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(batch, 1, netImageSide, netImageSide), G.WithName("x"), G.WithValue(cg.x))
	target := G.NewMatrix(g, G.Float32, G.WithShape(batch, netClasses), G.WithName("target"), G.WithValue(cg.target))
	params := make(G.Nodes, len(n.specs))
	byName, index := map[string]*G.Node{}, map[string]int{}
	for i, spec := range n.specs {
		params[i] = G.NewTensor(g, G.Float32, len(spec.shape), G.WithShape(spec.shape...), G.WithName(spec.name), G.WithValue(n.weights[i]))
		byName[spec.name], index[spec.name] = params[i], i
	}
	s := n.spec

	conv1, err := newConvLayer("conv1", batch, 1, s.Conv1, 28, 28, training, false)
	if err != nil {
		return nil, err
	}
	conv2, err := newConvLayer("conv2", batch, s.Conv1, s.Conv2, 14, 14, training, true)
	if err != nil {
		return nil, err
	}
	fc1, err := newDenseLayer("fc1", batch, s.Conv2*7*7, s.Dense, true, training, true)
	if err != nil {
		return nil, err
	}
	fc2, err := newDenseLayer("fc2", batch, s.Dense, netClasses, false, training, true)
	if err != nil {
		return nil, err
	}
	cg.relus = []reluOutput{
		{"conv1", conv1.out.data, s.Conv1, 14 * 14}, {"conv2", conv2.out.data, s.Conv2, 7 * 7}, {"fc1", fc1.y.data, s.Dense, 1}}
	xent, err := newSoftmaxXent(batch, netClasses)
	if err != nil {
		return nil, err
	}
	// batchNorm normalises a conv block's output when the spec has it.
	batchNorm := func(layer int, h *G.Node, channels, side int) (*G.Node, error) {
		if !s.BatchNorm {
			return h, nil
		}
		p := fmt.Sprintf("bn%d.", layer)
		bn, err := newBatchNormLayer(p[:3], batch, channels, side*side, training,
			n.weights[index[p+"running_mean"]].Data().([]float32), n.weights[index[p+"running_var"]].Data().([]float32))
		if err != nil {
			return nil, err
		}
		return bn.apply(h, byName[p+"weight"], byName[p+"bias"])
	}

	h, err := conv1.apply(x, byName["conv1.weight"], byName["conv1.bias"])
	if err != nil {
		return nil, err
	}
	if h, err = batchNorm(1, h, s.Conv1, 14); err != nil {
		return nil, err
	}
	if h, err = conv2.apply(h, byName["conv2.weight"], byName["conv2.bias"]); err != nil {
		return nil, err
	}
	if h, err = batchNorm(2, h, s.Conv2, 7); err != nil {
		return nil, err
	}
	// NCHW flattening, as PyTorch's x.flatten(1).
	if h, err = G.Reshape(h, tensor.Shape{batch, s.Conv2 * 7 * 7}); err != nil {
		return nil, fmt.Errorf("flatten: %w", err)
	}
	if h, err = fc1.apply(h, byName["fc1.weight"], byName["fc1.bias"]); err != nil {
		return nil, err
	}
	if training && s.Dropout > 0 {
		if cg.dropout, err = newDropoutLayer("dropout", batch, s.Dense, s.Dropout); err != nil {
			return nil, err
		}
		if h, err = cg.dropout.apply(h); err != nil {
			return nil, err
		}
	}
	if cg.logits, err = fc2.apply(h, byName["fc2.weight"], byName["fc2.bias"]); err != nil {
		return nil, err
	}
	if cg.loss, err = xent.apply(cg.logits, target); err != nil {
		return nil, err
	}
	if training {
		var trainable G.Nodes
		for i, spec := range n.specs {
			if !spec.buffer {
				trainable = append(trainable, params[i])
			}
		}
		grads, err := G.Grad(cg.loss, trainable...)
		if err != nil {
			return nil, fmt.Errorf("gradients: %w", err)
		}
		cg.grads = make(G.Nodes, len(n.specs))
		for i, spec := range n.specs {
			if !spec.buffer {
				cg.grads[i], grads = grads[0], grads[1:]
			}
		}
	} else if cg.probs, err = G.SoftMax(cg.logits); err != nil {
		return nil, fmt.Errorf("softmax: %w", err)
	}

	// NewTapeMachine panics when the graph does not compile.
	defer func() {
		if r := recover(); r != nil {
			cg, err = nil, fmt.Errorf("compile: %v", r)
		}
	}()
	cg.vm = G.NewTapeMachine(g)
	return cg, nil
}

// run executes the graph on a batch. labels may be nil (prediction), which
// leaves the targets zero and the loss 0. Label smoothing ε makes each
// target (1-ε) on the label and ε/10 on every class.
func (cg *compiledGraph) run(x []float32, labels []uint8, smoothing float64) (float32, error) {
	copy(cg.x.Data().([]float32), x)
	target := cg.target.Data().([]float32)
	clear(target)
	spread := float32(smoothing / netClasses)
	for i, l := range labels {
		row := target[i*netClasses : (i+1)*netClasses]
		if smoothing > 0 {
			for j := range row {
				row[j] = spread
			}
		}
		row[l] += float32(1 - smoothing)
	}
	cg.vm.Reset()
	if err := cg.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("run graph: %w", err)
	}
	loss, err := scalarFloat32(cg.loss.Value())
	if err != nil {
		return 0, fmt.Errorf("loss: %w", err)
	}
	return loss, nil
}

// graphCache keeps the most recently used compiled graphs by batch size.
type graphCache struct {
	graphs []*compiledGraph // most recently used last
}

func (c *graphCache) get(batch int) *compiledGraph {
	for i, cg := range c.graphs {
		if cg.batch == batch {
			c.graphs = append(slices.Delete(c.graphs, i, i+1), cg)
			return cg
		}
	}
	return nil
}

func (c *graphCache) put(cg *compiledGraph) {
	if len(c.graphs) >= graphCacheSize {
		c.graphs[0].vm.Close()
		c.graphs = slices.Delete(c.graphs, 0, 1)
	}
	c.graphs = append(c.graphs, cg)
}

func (c *graphCache) clear() {
	for _, cg := range c.graphs {
		cg.vm.Close()
	}
	c.graphs = nil
}
