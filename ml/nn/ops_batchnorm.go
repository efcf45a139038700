package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/fmnist/trainer/ml/nn/internal/kernels"
)

// Batch normalisation over the channels of an NCHW tensor as one Gorgonia
// op, PyTorch's BatchNorm2d (the arithmetic is kernels.BatchNorm).

const bnMomentum = 0.1

// BatchNormEps is added to the variance before its square root, as
// PyTorch's default; exporters write it into their models.
const BatchNormEps = 1e-5

// batchNormLayer holds one batch-norm layer's kernel, whose running
// statistics alias the network's tensors, and the buffers its ops share
// within one compiled graph.
type batchNormLayer struct {
	*kernels.BatchNorm
	id                string
	out               *ownedTensor
	dX, dGamma, dBeta *ownedTensor
}

func newBatchNormLayer(name string, batch, channels, plane int, training bool, runMean, runVar []float32) (*batchNormLayer, error) {
	side := int(math.Sqrt(float64(plane)))
	if batch < 1 || channels < 1 || plane < 1 || side*side != plane || len(runMean) != channels || len(runVar) != channels {
		return nil, fmt.Errorf("batch norm %s: unsupported geometry batch %d, %d channels of %d", name, batch, channels, plane)
	}
	l := &batchNormLayer{
		BatchNorm: &kernels.BatchNorm{Batch: batch, Channels: channels, Plane: plane, Training: training,
			Momentum: bnMomentum, Eps: BatchNormEps, RunMean: runMean, RunVar: runVar,
			Mean: make([]float32, channels), InvStd: make([]float32, channels)},
		id: newOpID(name), out: newOwnedTensor(batch, channels, side, side),
	}
	if training {
		l.dX = newOwnedTensor(batch, channels, side, side)
		l.dGamma, l.dBeta = newOwnedTensor(channels), newOwnedTensor(channels)
	}
	return l, nil
}

func (l *batchNormLayer) apply(x, gamma, beta *G.Node) (*G.Node, error) {
	y, err := G.ApplyOp(&bnForwardOp{l}, x, gamma, beta)
	if err != nil {
		return nil, fmt.Errorf("%s forward: %w", l.id, err)
	}
	return y, nil
}

// bnForwardOp :: x[N,C,H,W] → γ[C] → β[C] → y[N,C,H,W]
type bnForwardOp struct{ *batchNormLayer }

func (op *bnForwardOp) Arity() int { return 3 }
func (op *bnForwardOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(4), float32Tensor(1), float32Tensor(1), float32Tensor(4))
}
func (op *bnForwardOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.out.shape.Clone(), nil
}
func (op *bnForwardOp) ReturnsPtr() bool      { return true }
func (op *bnForwardOp) CallsExtern() bool     { return false }
func (op *bnForwardOp) OverwritesInput() int  { return -1 }
func (op *bnForwardOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "batchNorm(%s)", op.id) }
func (op *bnForwardOp) Hashcode() uint32      { return hashOf(op) }
func (op *bnForwardOp) String() string        { return "batchNorm(" + op.id + ")" }

func (op *bnForwardOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	l := op.batchNormLayer
	x, err := float32s(inputs[0], len(l.out.data), l.id+" input")
	if err != nil {
		return nil, err
	}
	gamma, err := float32s(inputs[1], l.Channels, l.id+" weight")
	if err != nil {
		return nil, err
	}
	beta, err := float32s(inputs[2], l.Channels, l.id+" bias")
	if err != nil {
		return nil, err
	}
	parallelFor(l.Channels, func(lo, hi int) { l.Forward(x, gamma, beta, l.out.data, lo, hi) })
	return l.out.value()
}

func (op *bnForwardOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op *bnForwardOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	l := op.batchNormLayer
	if !l.Training {
		return nil, fmt.Errorf("%s was built for inference only", l.id)
	}
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%s: expected 3 inputs, got %d", l.id, len(inputs))
	}
	dX, err := G.ApplyOp(&bnBackwardOp{l}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, fmt.Errorf("%s backward: %w", l.id, err)
	}
	dGamma, err := G.ApplyOp(&storedGradOp{id: l.id + ".weight", inDims: 4, out: l.dGamma}, dX)
	if err != nil {
		return nil, fmt.Errorf("%s weight gradient: %w", l.id, err)
	}
	dBeta, err := G.ApplyOp(&storedGradOp{id: l.id + ".bias", inDims: 4, out: l.dBeta}, dX)
	if err != nil {
		return nil, fmt.Errorf("%s bias gradient: %w", l.id, err)
	}
	return G.Nodes{dX, dGamma, dBeta}, nil
}

// bnBackwardOp :: x → γ → dy → dx, and stores dγ and dβ in the layer; x
// is the forward's input, from which it normalises again.
type bnBackwardOp struct{ *batchNormLayer }

func (op *bnBackwardOp) Arity() int { return 3 }
func (op *bnBackwardOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(4), float32Tensor(1), float32Tensor(4), float32Tensor(4))
}
func (op *bnBackwardOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.dX.shape.Clone(), nil
}
func (op *bnBackwardOp) ReturnsPtr() bool      { return true }
func (op *bnBackwardOp) CallsExtern() bool     { return false }
func (op *bnBackwardOp) OverwritesInput() int  { return -1 }
func (op *bnBackwardOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "batchNormGrad(%s)", op.id) }
func (op *bnBackwardOp) Hashcode() uint32      { return hashOf(op) }
func (op *bnBackwardOp) String() string        { return "batchNormGrad(" + op.id + ")" }

func (op *bnBackwardOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	l := op.batchNormLayer
	x, err := float32s(inputs[0], len(l.dX.data), l.id+" input")
	if err != nil {
		return nil, err
	}
	gamma, err := float32s(inputs[1], l.Channels, l.id+" weight")
	if err != nil {
		return nil, err
	}
	dy, err := float32s(inputs[2], len(l.dX.data), l.id+" output gradient")
	if err != nil {
		return nil, err
	}
	parallelFor(l.Channels, func(lo, hi int) { l.Backward(x, gamma, dy, l.dX.data, l.dGamma.data, l.dBeta.data, lo, hi) })
	return l.dX.value()
}
