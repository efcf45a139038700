package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Batch normalisation over the channels of an NCHW tensor as one Gorgonia
// op, PyTorch's BatchNorm2d: in training, each channel is normalised by the
// batch's mean and (biased) variance, and the running statistics move by
// bnMomentum towards them (the unbiased variance); in evaluation, the
// running statistics normalise. Then y = γ·x̂ + β. Sums are float64, one
// channel at a time, so results do not depend on the number of CPUs.

const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

// batchNormLayer holds one batch-norm layer's geometry, the running
// statistics (aliases of the network's tensors) and the buffers its ops
// share within one compiled graph.
type batchNormLayer struct {
	id                string
	batch, ch, plane  int
	training          bool
	runMean, runVar   []float32 // the network's, updated by training steps
	out               *ownedTensor
	xhat              []float32 // normalised input, for the backward pass
	invStd            []float32 // per channel
	dX, dGamma, dBeta *ownedTensor
}

func newBatchNormLayer(name string, batch, channels, plane int, training bool, runMean, runVar []float32) (*batchNormLayer, error) {
	if batch < 1 || channels < 1 || plane < 1 || len(runMean) != channels || len(runVar) != channels {
		return nil, fmt.Errorf("batch norm %s: unsupported geometry batch %d, %d channels of %d", name, batch, channels, plane)
	}
	side := int(math.Sqrt(float64(plane)))
	l := &batchNormLayer{
		id: newOpID(name), batch: batch, ch: channels, plane: plane, training: training,
		runMean: runMean, runVar: runVar,
		out:    newOwnedTensor(batch, channels, side, side),
		invStd: make([]float32, channels),
	}
	if side*side != plane {
		return nil, fmt.Errorf("batch norm %s: plane %d is not square", name, plane)
	}
	if training {
		l.xhat = make([]float32, batch*channels*plane)
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

// forward computes y from x (both [N, C, plane]) for the channels [lo, hi).
func (l *batchNormLayer) forward(x, gamma, beta, y []float32, lo, hi int) {
	m := l.batch * l.plane
	for c := lo; c < hi; c++ {
		var mean, variance float64
		if l.training {
			var sum, sq float64
			for n := range l.batch {
				for _, v := range x[(n*l.ch+c)*l.plane : (n*l.ch+c+1)*l.plane] {
					sum += float64(v)
				}
			}
			mean = sum / float64(m)
			for n := range l.batch {
				for _, v := range x[(n*l.ch+c)*l.plane : (n*l.ch+c+1)*l.plane] {
					d := float64(v) - mean
					sq += d * d
				}
			}
			variance = sq / float64(m)
			unbiased := variance
			if m > 1 {
				unbiased = sq / float64(m-1)
			}
			l.runMean[c] = float32((1-bnMomentum)*float64(l.runMean[c]) + bnMomentum*mean)
			l.runVar[c] = float32((1-bnMomentum)*float64(l.runVar[c]) + bnMomentum*unbiased)
		} else {
			mean, variance = float64(l.runMean[c]), float64(l.runVar[c])
		}
		inv := float32(1 / math.Sqrt(variance+bnEps))
		l.invStd[c] = inv
		mu, g, b := float32(mean), gamma[c], beta[c]
		for n := range l.batch {
			off := (n*l.ch + c) * l.plane
			for i, v := range x[off : off+l.plane] {
				h := (v - mu) * inv
				if l.training {
					l.xhat[off+i] = h
				}
				y[off+i] = g*h + b
			}
		}
	}
}

// backward computes dx, dγ and dβ from dy for the channels [lo, hi):
// dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σ(dy·x̂)).
func (l *batchNormLayer) backward(gamma, dy []float32, lo, hi int) {
	m := float64(l.batch * l.plane)
	dx := l.dX.data
	for c := lo; c < hi; c++ {
		var sumDy, sumDyXhat float64
		for n := range l.batch {
			off := (n*l.ch + c) * l.plane
			for i, d := range dy[off : off+l.plane] {
				sumDy += float64(d)
				sumDyXhat += float64(d) * float64(l.xhat[off+i])
			}
		}
		l.dGamma.data[c], l.dBeta.data[c] = float32(sumDyXhat), float32(sumDy)
		k := float32(float64(gamma[c]) * float64(l.invStd[c]) / m)
		mf, sd, sdx := float32(m), float32(sumDy), float32(sumDyXhat)
		for n := range l.batch {
			off := (n*l.ch + c) * l.plane
			for i, d := range dy[off : off+l.plane] {
				dx[off+i] = k * (mf*d - sd - l.xhat[off+i]*sdx)
			}
		}
	}
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
	gamma, err := float32s(inputs[1], l.ch, l.id+" weight")
	if err != nil {
		return nil, err
	}
	beta, err := float32s(inputs[2], l.ch, l.id+" bias")
	if err != nil {
		return nil, err
	}
	parallelFor(l.ch, func(lo, hi int) { l.forward(x, gamma, beta, l.out.data, lo, hi) })
	return l.out.value()
}

func (op *bnForwardOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op *bnForwardOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	l := op.batchNormLayer
	if !l.training {
		return nil, fmt.Errorf("%s was built for inference only", l.id)
	}
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%s: expected 3 inputs, got %d", l.id, len(inputs))
	}
	dX, err := G.ApplyOp(&bnBackwardOp{l}, inputs[1], grad)
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

// bnBackwardOp :: γ → dy → dx, and stores dγ and dβ in the layer.
type bnBackwardOp struct{ *batchNormLayer }

func (op *bnBackwardOp) Arity() int { return 2 }
func (op *bnBackwardOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(1), float32Tensor(4), float32Tensor(4))
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
	gamma, err := float32s(inputs[0], l.ch, l.id+" weight")
	if err != nil {
		return nil, err
	}
	dy, err := float32s(inputs[1], len(l.dX.data), l.id+" output gradient")
	if err != nil {
		return nil, err
	}
	parallelFor(l.ch, func(lo, hi int) { l.backward(gamma, dy, lo, hi) })
	return l.dX.value()
}
