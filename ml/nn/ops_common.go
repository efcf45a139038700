package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Plumbing shared by the custom Gorgonia ops (ops_conv.go, ops_dense.go,
// ops_xent.go). The ops own their output and scratch buffers for the life of
// a compiled graph: the tape machine's Reset drops every register, so stock
// ops allocate afresh on every step, which is what made the stock graph slow.

// opSerial numbers op instances so that every layer hashes differently;
// without it ApplyOp would merge two layers with equal inputs into one node.
var opSerial atomic.Uint64

func newOpID(name string) string { return fmt.Sprintf("%s#%d", name, opSerial.Add(1)) }

// float32Tensor is the Gorgonia type of a float32 tensor with dims dimensions.
func float32Tensor(dims int) hm.Type { return G.TensorType{Dims: dims, Of: G.Float32} }

// ownedTensor is an op's output buffer, reused across steps.
type ownedTensor struct {
	t     *tensor.Dense
	shape tensor.Shape
	data  []float32
}

func newOwnedTensor(shape ...int) *ownedTensor {
	size := 1
	for _, s := range shape {
		size *= s
	}
	data := make([]float32, size)
	return &ownedTensor{
		t:     tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)),
		shape: tensor.Shape(shape).Clone(),
		data:  data,
	}
}

// value returns the tensor with its own shape: a downstream Reshape may have
// reshaped it in place during the previous run.
func (o *ownedTensor) value() (*tensor.Dense, error) {
	if !o.t.Shape().Eq(o.shape) {
		if err := o.t.Reshape(o.shape...); err != nil {
			return nil, fmt.Errorf("restore shape %v: %w", o.shape, err)
		}
	}
	return o.t, nil
}

// float32s returns the backing data of a float32 tensor value of the given
// length.
func float32s(v G.Value, want int, what string) ([]float32, error) {
	t, ok := v.(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("%s: expected a tensor, got %T", what, v)
	}
	data, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("%s: expected float32 data, got %T", what, t.Data())
	}
	if len(data) != want {
		return nil, fmt.Errorf("%s: expected %d values, got %d (shape %v)", what, want, len(data), t.Shape())
	}
	return data, nil
}

// scalarFloat32 reads a float32 scalar value (the seed gradient of a cost).
func scalarFloat32(v G.Value) (float32, error) {
	switch s := v.(type) {
	case *G.F32:
		return float32(*s), nil
	case tensor.Tensor:
		switch d := s.Data().(type) {
		case float32:
			return d, nil
		case []float32:
			if len(d) == 1 {
				return d[0], nil
			}
		}
	}
	return 0, fmt.Errorf("expected a float32 scalar, got %T", v)
}

func checkInputs(op G.Op, inputs []G.Value) error {
	if len(inputs) != op.Arity() {
		return fmt.Errorf("%v: expected %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	return nil
}

// storedGradOp hands on a gradient that a layer's backward op computed
// alongside the one it returns. Its input is that backward op's node, which
// orders it after the computation; the input's value is not read.
type storedGradOp struct {
	id     string // layer id and which gradient
	inDims int
	out    *ownedTensor
}

func (op *storedGradOp) Arity() int { return 1 }
func (op *storedGradOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(op.inDims), float32Tensor(len(op.out.shape)))
}
func (op *storedGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.out.shape.Clone(), nil
}
func (op *storedGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	return op.out.value()
}
func (op *storedGradOp) ReturnsPtr() bool      { return true }
func (op *storedGradOp) CallsExtern() bool     { return false }
func (op *storedGradOp) OverwritesInput() int  { return -1 }
func (op *storedGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "storedGrad(%s)", op.id) }
func (op *storedGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *storedGradOp) String() string        { return "storedGrad(" + op.id + ")" }

func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// parallelFor splits [0, n) into one contiguous range per CPU (at most n)
// and runs body on each, the last on the calling goroutine. It returns when
// all are done, so no goroutine outlives the call.
func parallelFor(n int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		if n > 0 {
			body(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { body(lo, hi) })
	}
	body(0, n/workers)
	wg.Wait()
}
