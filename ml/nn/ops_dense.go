package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/fmnist/trainer/ml/nn/internal/gemm"
)

// A fully connected layer as one Gorgonia op: y = x·wᵀ + b, optionally
// followed by ReLU. w keeps PyTorch's [out, in] layout; the transpose is a
// flag of the matrix multiply rather than a copy.

// denseLayer holds one dense layer's geometry and the buffers its forward
// and backward ops share within one compiled graph.
type denseLayer struct {
	id              string
	batch, in, out  int
	relu, inputGrad bool
	training        bool
	y               *ownedTensor // [N, out]
	dPre            []float32    // gradient before the ReLU, [N, out]
	dW, dB, dX      *ownedTensor
}

func newDenseLayer(name string, batch, in, out int, relu, training, inputGrad bool) (*denseLayer, error) {
	if batch < 1 || in < 1 || out < 1 {
		return nil, fmt.Errorf("dense layer %s: unsupported geometry batch %d, %d>%d", name, batch, in, out)
	}
	l := &denseLayer{
		id: newOpID(name), batch: batch, in: in, out: out,
		relu: relu, inputGrad: inputGrad && training, training: training,
		y: newOwnedTensor(batch, out),
	}
	if training {
		l.dPre = make([]float32, batch*out)
		l.dW = newOwnedTensor(out, in)
		l.dB = newOwnedTensor(out)
		if l.inputGrad {
			l.dX = newOwnedTensor(batch, in)
		}
	}
	return l, nil
}

// apply adds the layer to x's graph.
func (l *denseLayer) apply(x, w, b *G.Node) (*G.Node, error) {
	y, err := G.ApplyOp(&denseForwardOp{l}, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("%s forward: %w", l.id, err)
	}
	return y, nil
}

// denseForwardOp :: x[N,in] → w[out,in] → b[out] → y[N,out]
type denseForwardOp struct{ *denseLayer }

func (op *denseForwardOp) Arity() int { return 3 }
func (op *denseForwardOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(2), float32Tensor(2), float32Tensor(1), float32Tensor(2))
}
func (op *denseForwardOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.y.shape.Clone(), nil
}
func (op *denseForwardOp) ReturnsPtr() bool      { return true }
func (op *denseForwardOp) CallsExtern() bool     { return false }
func (op *denseForwardOp) OverwritesInput() int  { return -1 }
func (op *denseForwardOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "dense(%s)", op.id) }
func (op *denseForwardOp) Hashcode() uint32      { return hashOf(op) }
func (op *denseForwardOp) String() string        { return "dense(" + op.id + ")" }

func (op *denseForwardOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	l := op.denseLayer
	x, err := float32s(inputs[0], l.batch*l.in, l.id+" input")
	if err != nil {
		return nil, err
	}
	w, err := float32s(inputs[1], l.out*l.in, l.id+" weight")
	if err != nil {
		return nil, err
	}
	b, err := float32s(inputs[2], l.out, l.id+" bias")
	if err != nil {
		return nil, err
	}
	y := l.y.data
	gemm.Sgemm(false, true, l.batch, l.out, l.in, 1, x, l.in, w, l.in, 0, y, l.out)
	for n := range l.batch {
		row := y[n*l.out : (n+1)*l.out]
		for j, bj := range b[:len(row)] {
			v := row[j] + bj
			if l.relu && v < 0 { // NaN passes, as in PyTorch
				v = 0
			}
			row[j] = v
		}
	}
	return l.y.value()
}

func (op *denseForwardOp) DiffWRT(int) []bool { return []bool{op.inputGrad, true, true} }

// SymDiff returns the gradients of x (nil unless wanted), w and b, all
// computed by one backward op.
func (op *denseForwardOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	l := op.denseLayer
	if !l.training {
		return nil, fmt.Errorf("%s was built for inference only", l.id)
	}
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%s: expected 3 inputs, got %d", l.id, len(inputs))
	}
	dW, err := G.ApplyOp(&denseBackwardOp{l}, inputs[0], inputs[1], output, grad)
	if err != nil {
		return nil, fmt.Errorf("%s backward: %w", l.id, err)
	}
	dB, err := G.ApplyOp(&storedGradOp{id: l.id + ".bias", inDims: 2, out: l.dB}, dW)
	if err != nil {
		return nil, fmt.Errorf("%s bias gradient: %w", l.id, err)
	}
	var dX *G.Node
	if l.inputGrad {
		if dX, err = G.ApplyOp(&storedGradOp{id: l.id + ".input", inDims: 2, out: l.dX}, dW); err != nil {
			return nil, fmt.Errorf("%s input gradient: %w", l.id, err)
		}
	}
	return G.Nodes{dX, dW, dB}, nil
}

// denseBackwardOp :: x → w → y → dy → dw, and stores db and dx in the layer.
type denseBackwardOp struct{ *denseLayer }

func (op *denseBackwardOp) Arity() int { return 4 }
func (op *denseBackwardOp) Type() hm.Type {
	t2 := float32Tensor(2)
	return hm.NewFnType(t2, t2, t2, t2, t2)
}
func (op *denseBackwardOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.dW.shape.Clone(), nil
}
func (op *denseBackwardOp) ReturnsPtr() bool      { return true }
func (op *denseBackwardOp) CallsExtern() bool     { return false }
func (op *denseBackwardOp) OverwritesInput() int  { return -1 }
func (op *denseBackwardOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "denseGrad(%s)", op.id) }
func (op *denseBackwardOp) Hashcode() uint32      { return hashOf(op) }
func (op *denseBackwardOp) String() string        { return "denseGrad(" + op.id + ")" }

func (op *denseBackwardOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	l := op.denseLayer
	x, err := float32s(inputs[0], l.batch*l.in, l.id+" input")
	if err != nil {
		return nil, err
	}
	w, err := float32s(inputs[1], l.out*l.in, l.id+" weight")
	if err != nil {
		return nil, err
	}
	dy, err := float32s(inputs[3], l.batch*l.out, l.id+" output gradient")
	if err != nil {
		return nil, err
	}
	y := l.y.data
	dPre, db := l.dPre, l.dB.data
	clear(db)
	for n := range l.batch {
		g := dy[n*l.out : (n+1)*l.out]
		d := dPre[n*l.out : (n+1)*l.out]
		yr := y[n*l.out : (n+1)*l.out]
		for j, v := range g {
			if l.relu && !(yr[j] > 0) {
				v = 0
			}
			d[j] = v
			db[j] += v
		}
	}
	gemm.Sgemm(true, false, l.out, l.in, l.batch, 1, dPre, l.out, x, l.in, 0, l.dW.data, l.in)
	if l.inputGrad {
		gemm.Sgemm(false, false, l.batch, l.in, l.out, 1, dPre, l.out, w, l.in, 0, l.dX.data, l.in)
	}
	return l.dW.value()
}
