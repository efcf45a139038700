package nn

import (
	"fmt"
	"hash"
	"math/rand/v2"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/fmnist/trainer/ml/nn/internal/kernels"
)

// Dropout as one Gorgonia op, for training graphs only: each value is kept
// with probability 1-p and scaled by 1/(1-p) (inverted dropout, as
// PyTorch's), so evaluation needs no op at all. The mask is drawn before
// each step from the network's seeded generator, so runs repeat.

type dropoutLayer struct {
	id           string
	batch, width int
	p            float64
	mask         []float32 // 0 or 1/(1-p) per value
	out, dX      *ownedTensor
}

func newDropoutLayer(name string, batch, width int, p float64) (*dropoutLayer, error) {
	if batch < 1 || width < 1 || !(p > 0 && p < 1) {
		return nil, fmt.Errorf("dropout %s: unsupported geometry batch %d, width %d, p %v", name, batch, width, p)
	}
	return &dropoutLayer{
		id: newOpID(name), batch: batch, width: width, p: p,
		mask: make([]float32, batch*width),
		out:  newOwnedTensor(batch, width), dX: newOwnedTensor(batch, width),
	}, nil
}

// draw fills the mask for the next step.
func (l *dropoutLayer) draw(rng *rand.Rand) { kernels.DropoutMask(l.mask, l.p, rng) }

func (l *dropoutLayer) apply(x *G.Node) (*G.Node, error) {
	y, err := G.ApplyOp(&dropoutOp{l, false}, x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.id, err)
	}
	return y, nil
}

// dropoutOp :: x[N,W] → x⊙mask; its gradient op (grad set) is dy → dy⊙mask.
type dropoutOp struct {
	*dropoutLayer
	grad bool
}

func (op *dropoutOp) Arity() int { return 1 }
func (op *dropoutOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(2), float32Tensor(2))
}
func (op *dropoutOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.out.shape.Clone(), nil
}
func (op *dropoutOp) ReturnsPtr() bool      { return true }
func (op *dropoutOp) CallsExtern() bool     { return false }
func (op *dropoutOp) OverwritesInput() int  { return -1 }
func (op *dropoutOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "dropout(%s,%v)", op.id, op.grad) }
func (op *dropoutOp) Hashcode() uint32      { return hashOf(op) }
func (op *dropoutOp) String() string        { return fmt.Sprintf("dropout(%s,grad=%v)", op.id, op.grad) }

func (op *dropoutOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	in, err := float32s(inputs[0], len(op.mask), op.id+" input")
	if err != nil {
		return nil, err
	}
	dst := op.out
	if op.grad {
		dst = op.dX
	}
	for i, v := range in {
		dst.data[i] = v * op.mask[i]
	}
	return dst.value()
}

func (op *dropoutOp) DiffWRT(int) []bool { return []bool{true} }

func (op *dropoutOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dX, err := G.ApplyOp(&dropoutOp{op.dropoutLayer, true}, grad)
	if err != nil {
		return nil, fmt.Errorf("%s gradient: %w", op.id, err)
	}
	return G.Nodes{dX}, nil
}
