package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Softmax cross-entropy as one Gorgonia op, computed through log-sum-exp so
// that confident predictions cannot produce log(0) = -Inf (and NaN
// gradients) as a graph of SoftMax, Log and HadamardProd can.

// softmaxXent is the mean over the batch of -Σ_j t_j log softmax(z)_j, for
// logits z and targets t, both [N, classes].
type softmaxXent struct {
	id             string
	batch, classes int
	probs          []float32 // softmax of the last logits
	dZ             *ownedTensor
}

func newSoftmaxXent(batch, classes int) (*softmaxXent, error) {
	if batch < 1 || classes < 1 {
		return nil, fmt.Errorf("softmax cross-entropy: unsupported geometry batch %d, %d classes", batch, classes)
	}
	return &softmaxXent{
		id: newOpID("xent"), batch: batch, classes: classes,
		probs: make([]float32, batch*classes),
		dZ:    newOwnedTensor(batch, classes),
	}, nil
}

// apply adds the mean loss of logits against target to their graph.
func (x *softmaxXent) apply(logits, target *G.Node) (*G.Node, error) {
	loss, err := G.ApplyOp(&xentOp{x}, logits, target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", x.id, err)
	}
	return loss, nil
}

// xentOp :: z[N,K] → t[N,K] → loss
type xentOp struct{ *softmaxXent }

func (op *xentOp) Arity() int { return 2 }
func (op *xentOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(2), float32Tensor(2), G.Float32)
}
func (op *xentOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (op *xentOp) ReturnsPtr() bool                               { return false }
func (op *xentOp) CallsExtern() bool                              { return false }
func (op *xentOp) OverwritesInput() int                           { return -1 }
func (op *xentOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "softmaxXent(%s)", op.id) }
func (op *xentOp) Hashcode() uint32                               { return hashOf(op) }
func (op *xentOp) String() string                                 { return "softmaxXent(" + op.id + ")" }

func (op *xentOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	n, k := op.batch, op.classes
	z, err := float32s(inputs[0], n*k, op.id+" logits")
	if err != nil {
		return nil, err
	}
	t, err := float32s(inputs[1], n*k, op.id+" targets")
	if err != nil {
		return nil, err
	}
	var total float64
	for i := range n {
		zi, ti, pi := z[i*k:(i+1)*k], t[i*k:(i+1)*k], op.probs[i*k:(i+1)*k]
		top := zi[0]
		for _, v := range zi[1:] {
			top = max(top, v)
		}
		var sum float64
		for j, v := range zi {
			e := math.Exp(float64(v - top))
			pi[j] = float32(e)
			sum += e
		}
		logZ := float64(top) + math.Log(sum)
		for j, v := range zi {
			pi[j] = float32(float64(pi[j]) / sum)
			if ti[j] != 0 {
				total += float64(ti[j]) * (logZ - float64(v))
			}
		}
	}
	return G.NewF32(float32(total / float64(n))), nil
}

func (op *xentOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *xentOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%s: expected 2 inputs, got %d", op.id, len(inputs))
	}
	dZ, err := G.ApplyOp(&xentGradOp{op.softmaxXent}, inputs[1], output, grad)
	if err != nil {
		return nil, fmt.Errorf("%s gradient: %w", op.id, err)
	}
	return G.Nodes{dZ, nil}, nil
}

// xentGradOp :: t → loss → dloss → dz, with dz = (softmax(z)·Σt − t)·dloss/N.
type xentGradOp struct{ *softmaxXent }

func (op *xentGradOp) Arity() int { return 3 }
func (op *xentGradOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(2), G.Float32, G.Float32, float32Tensor(2))
}
func (op *xentGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.dZ.shape.Clone(), nil
}
func (op *xentGradOp) ReturnsPtr() bool      { return true }
func (op *xentGradOp) CallsExtern() bool     { return false }
func (op *xentGradOp) OverwritesInput() int  { return -1 }
func (op *xentGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "softmaxXentGrad(%s)", op.id) }
func (op *xentGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *xentGradOp) String() string        { return "softmaxXentGrad(" + op.id + ")" }

func (op *xentGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	n, k := op.batch, op.classes
	t, err := float32s(inputs[0], n*k, op.id+" targets")
	if err != nil {
		return nil, err
	}
	g, err := scalarFloat32(inputs[2])
	if err != nil {
		return nil, fmt.Errorf("%s loss gradient: %w", op.id, err)
	}
	scale := g / float32(n)
	dz := op.dZ.data
	for i := range n {
		ti := t[i*k : (i+1)*k]
		var mass float32
		for _, v := range ti {
			mass += v
		}
		for j, p := range op.probs[i*k : (i+1)*k] {
			dz[i*k+j] = (p*mass - ti[j]) * scale
		}
	}
	return op.dZ.value()
}
