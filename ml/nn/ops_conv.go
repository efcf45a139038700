package nn

import (
	"fmt"
	"hash"
	"runtime"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/fmnist/trainer/ml/nn/internal/gemm"
	"github.com/fmnist/trainer/ml/nn/internal/kernels"
)

// A convolution layer fused into one Gorgonia op: 3×3 convolution (padding 1,
// stride 1, bias), ReLU and 2×2 max-pool (stride 2). Inputs, outputs and
// gradients are NCHW, as PyTorch's, so flattening needs no transpose. The
// batch is split between one worker per CPU, so the cores meet once per op
// rather than around every small loop; each worker goes through its images
// in chunks, whose im2col columns (and their gradient) stay in cache instead
// of streaming the whole batch's columns through memory.
//
// The forward pass is im2col and one matrix product per chunk. The backward
// pass either mirrors it with dense products (backwardColumns) or, for inner
// layers, skips the zeros that max-pooling leaves in the gradient
// (ops_conv_channels_last.go).

const (
	// chunkColumns is roughly how many output pixels a chunk covers.
	chunkColumns = 2048
)

// convLayer holds one conv-ReLU-pool layer's geometry and the buffers its
// forward and backward ops share within one compiled graph.
type convLayer struct {
	id               string
	batch, inC, outC int
	height, width    int  // input plane; even, so pooling halves it exactly
	inputGrad        bool // the backward pass computes the input gradient
	training         bool // keep what the backward pass needs
	chunk            int  // images per chunk
	channelsLast     bool // backward on the channels-last path (ops_conv_channels_last.go)
	out              *ownedTensor
	argmax           []uint8 // per pooled output: window position 0..3 of the max, or kernels.NoGrad
	workers          []*convWorker
	dW, dB, dX       *ownedTensor
	xpad, wT         []float32 // channels-last backward: padded inputs, reordered weights
}

// convWorker is one worker's scratch: a chunk's columns, pre-activations
// and their gradients, and its share of the weight and bias gradients.
type convWorker struct {
	first, end            int // its images
	cols, pre, dPre, dCol []float32
	dW, dB                []float32 // partial sums; worker 0 uses the layer's
	dXpad                 []float32 // channels-last backward: one padded input gradient
}

func newConvLayer(name string, batch, inC, outC, height, width int, training, inputGrad bool) (*convLayer, error) {
	if batch < 1 || inC < 1 || outC < 1 || height < 2 || width < 2 || height%2 != 0 || width%2 != 0 {
		return nil, fmt.Errorf("conv layer %s: unsupported geometry batch %d, %d>%d channels, %dx%d", name, batch, inC, outC, height, width)
	}
	plane := height * width
	l := &convLayer{
		id: newOpID(name), batch: batch, inC: inC, outC: outC, height: height, width: width,
		inputGrad: inputGrad && training, training: training,
		out: newOwnedTensor(batch, outC, height/2, width/2),
	}
	l.argmax = make([]uint8, len(l.out.data))
	if training {
		l.dW = newOwnedTensor(outC, inC, 3, 3)
		l.dB = newOwnedTensor(outC)
		if l.inputGrad {
			l.dX = newOwnedTensor(batch, inC, height, width)
		}
	}
	n := min(runtime.GOMAXPROCS(0), batch)
	l.chunk = min(ceilDiv(batch, n), max(1, chunkColumns/plane))
	padded := (height + 2) * (width + 2) * inC
	l.channelsLast = training && kernels.ChannelsLastFast(inC)
	if l.channelsLast {
		l.wT = make([]float32, outC*inC*9)
		l.xpad = make([]float32, batch*padded)
	}
	for i := range n {
		wk := &convWorker{first: i * batch / n, end: (i + 1) * batch / n}
		cols := l.chunk * plane
		wk.cols = make([]float32, inC*9*cols)
		wk.pre = make([]float32, outC*cols)
		if training {
			wk.dW, wk.dB = l.dW.data, l.dB.data
			if i > 0 || l.channelsLast { // channels-last sums in its own weight order
				wk.dW, wk.dB = make([]float32, len(l.dW.data)), make([]float32, outC)
			}
		}
		switch {
		case l.channelsLast && l.inputGrad:
			wk.dXpad = make([]float32, padded)
		case !l.channelsLast && training:
			wk.dPre = make([]float32, outC*cols)
			if l.inputGrad {
				wk.dCol = make([]float32, inC*9*cols)
			}
		}
		l.workers = append(l.workers, wk)
	}
	return l, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// run calls body for every worker, concurrently, and waits.
func (l *convLayer) run(body func(*convWorker)) {
	parallelFor(len(l.workers), func(lo, hi int) {
		for _, wk := range l.workers[lo:hi] {
			body(wk)
		}
	})
}

// apply adds the layer to x's graph: relu(conv(x, w) + b) max-pooled.
func (l *convLayer) apply(x, w, b *G.Node) (*G.Node, error) {
	out, err := G.ApplyOp(&convForwardOp{l}, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("%s forward: %w", l.id, err)
	}
	return out, nil
}

// convForwardOp :: x[N,C,H,W] → w[F,C,3,3] → b[F] → y[N,F,H/2,W/2]
type convForwardOp struct{ *convLayer }

func (op *convForwardOp) Arity() int { return 3 }
func (op *convForwardOp) Type() hm.Type {
	return hm.NewFnType(float32Tensor(4), float32Tensor(4), float32Tensor(1), float32Tensor(4))
}
func (op *convForwardOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.out.shape.Clone(), nil
}
func (op *convForwardOp) ReturnsPtr() bool      { return true }
func (op *convForwardOp) CallsExtern() bool     { return false }
func (op *convForwardOp) OverwritesInput() int  { return -1 }
func (op *convForwardOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "convReluPool(%s)", op.id) }
func (op *convForwardOp) Hashcode() uint32      { return hashOf(op) }
func (op *convForwardOp) String() string        { return "convReluPool(" + op.id + ")" }

func (op *convForwardOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	l := op.convLayer
	plane, k := l.height*l.width, l.inC*9
	x, err := float32s(inputs[0], l.batch*l.inC*plane, l.id+" input")
	if err != nil {
		return nil, err
	}
	w, err := float32s(inputs[1], l.outC*k, l.id+" weight")
	if err != nil {
		return nil, err
	}
	b, err := float32s(inputs[2], l.outC, l.id+" bias")
	if err != nil {
		return nil, err
	}
	l.forwardColumns(x, w, b)
	return l.out.value()
}

func (op *convForwardOp) DiffWRT(int) []bool { return []bool{op.inputGrad, true, true} }

// SymDiff returns the gradients of x (nil for a first layer), w and b: one
// backward op computes them all, chunk by chunk.
func (op *convForwardOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	l := op.convLayer
	if !l.training {
		return nil, fmt.Errorf("%s was built for inference only", l.id)
	}
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%s: expected 3 inputs, got %d", l.id, len(inputs))
	}
	dW, err := G.ApplyOp(&convBackwardOp{l}, inputs[0], inputs[1], output, grad)
	if err != nil {
		return nil, fmt.Errorf("%s backward: %w", l.id, err)
	}
	dB, err := G.ApplyOp(&storedGradOp{id: l.id + ".bias", inDims: 4, out: l.dB}, dW)
	if err != nil {
		return nil, fmt.Errorf("%s bias gradient: %w", l.id, err)
	}
	var dX *G.Node
	if l.inputGrad {
		if dX, err = G.ApplyOp(&storedGradOp{id: l.id + ".input", inDims: 4, out: l.dX}, dW); err != nil {
			return nil, fmt.Errorf("%s input gradient: %w", l.id, err)
		}
	}
	return G.Nodes{dX, dW, dB}, nil
}

// convBackwardOp :: x → w → y → dy → dw, and stores db and dx in the layer.
type convBackwardOp struct{ *convLayer }

func (op *convBackwardOp) Arity() int { return 4 }
func (op *convBackwardOp) Type() hm.Type {
	t4 := float32Tensor(4)
	return hm.NewFnType(t4, t4, t4, t4, t4)
}
func (op *convBackwardOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.dW.shape.Clone(), nil
}
func (op *convBackwardOp) ReturnsPtr() bool      { return true }
func (op *convBackwardOp) CallsExtern() bool     { return false }
func (op *convBackwardOp) OverwritesInput() int  { return -1 }
func (op *convBackwardOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "convReluPoolGrad(%s)", op.id) }
func (op *convBackwardOp) Hashcode() uint32      { return hashOf(op) }
func (op *convBackwardOp) String() string        { return "convReluPoolGrad(" + op.id + ")" }

func (op *convBackwardOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := checkInputs(op, inputs); err != nil {
		return nil, err
	}
	l := op.convLayer
	plane, k := l.height*l.width, l.inC*9
	x, err := float32s(inputs[0], l.batch*l.inC*plane, l.id+" input")
	if err != nil {
		return nil, err
	}
	w, err := float32s(inputs[1], l.outC*k, l.id+" weight")
	if err != nil {
		return nil, err
	}
	dy, err := float32s(inputs[3], len(l.out.data), l.id+" output gradient")
	if err != nil {
		return nil, err
	}
	if l.channelsLast {
		l.backwardChannelsLast(w, dy)
	} else {
		l.backwardColumns(x, w, dy)
	}
	return l.dW.value()
}

// forwardColumns is the forward pass through im2col columns: one matrix
// product per chunk of images.
func (l *convLayer) forwardColumns(x, w, b []float32) {
	plane, k := l.height*l.width, l.inC*9
	outPlane := plane / 4
	l.run(func(wk *convWorker) {
		for n0 := wk.first; n0 < wk.end; n0 += l.chunk {
			images := min(l.chunk, wk.end-n0)
			cols := images * plane
			im2col3x3(x[n0*l.inC*plane:], images, l.inC, l.inC*plane, plane, l.height, l.width, wk.cols[:k*cols])
			gemm.Sgemm(false, false, l.outC, cols, k, 1, w, k, wk.cols, cols, 0, wk.pre, cols)
			first := n0 * l.outC * outPlane
			biasReluMaxPool(wk.pre, b, images, l.outC, l.height, l.width, l.out.data[first:], l.argmax[first:])
			if l.channelsLast && l.training {
				l.padForBackward(x, n0, images)
			}
		}
	})
}

// backwardColumns is the backward pass through dense matrix products:
// unpooled pre-activation gradients times the recomputed columns give dw,
// and wᵀ times them, summed back by col2im, give dx.
func (l *convLayer) backwardColumns(x, w, dy []float32) {
	plane, k := l.height*l.width, l.inC*9
	outPlane := plane / 4
	l.run(func(wk *convWorker) {
		clear(wk.dB)
		for n0 := wk.first; n0 < wk.end; n0 += l.chunk {
			images := min(l.chunk, wk.end-n0)
			cols := images * plane
			first := n0 * l.outC * outPlane
			unpoolBias(dy[first:], l.argmax[first:], images, l.outC, l.height, l.width, wk.dPre, wk.dB)
			im2col3x3(x[n0*l.inC*plane:], images, l.inC, l.inC*plane, plane, l.height, l.width, wk.cols[:k*cols])
			var beta float32 = 1
			if n0 == wk.first {
				beta = 0
			}
			gemm.Sgemm(false, true, l.outC, k, cols, 1, wk.dPre, cols, wk.cols, cols, beta, wk.dW, k)
			if l.inputGrad {
				gemm.Sgemm(true, false, k, cols, l.outC, 1, w, k, wk.dPre, cols, 0, wk.dCol, cols)
				col2im3x3(wk.dCol[:k*cols], images, l.inC, l.height, l.width, l.dX.data[n0*l.inC*plane:])
			}
		}
	})
	for _, wk := range l.workers[1:] {
		kernels.AddTo(l.dW.data, wk.dW)
		kernels.AddTo(l.dB.data, wk.dB)
	}
}

// im2col3x3 lays out images as the columns of a 3×3, padding-1
// convolution: row (ch*9 + ky*3 + kx), column (image*h*w + y*w + x) holds
// the input at (y+ky-1, x+kx-1), zero outside the image. Image i's channel
// ch starts at src[i*imageStride + ch*channelStride], so both NCHW and the
// channel-major gradient layout can be read.
//
// For one tap, every column is the image plane shifted by a constant offset
// (dy*w + dx), so each (tap, image) pair is a single memmove plus zeroing of
// the rows and the column that fall outside.
func im2col3x3(src []float32, images, channels, imageStride, channelStride, h, w int, cols []float32) {
	plane := h * w
	stride := images * plane
	for r := range channels * 9 {
		ch, tap := r/9, r%9
		dy, dx := tap/3-1, tap%3-1
		first, end := max(0, -dy)*w, min(h, h-dy)*w // valid output rows
		shift := dy*w + dx
		row := cols[r*stride : (r+1)*stride]
		for i := range images {
			img := src[i*imageStride+ch*channelStride:][:plane]
			dst := row[i*plane : (i+1)*plane]
			clear(dst[:first])
			clear(dst[end:])
			switch dx {
			case -1: // column 0 reads the previous row's end: zero it
				copy(dst[first+1:end], img[first+1+shift:end+shift])
				for y := first; y < end; y += w {
					dst[y] = 0
				}
			case 0:
				copy(dst[first:end], img[first+shift:end+shift])
			default: // column w-1 reads the next row's start: zero it
				copy(dst[first:end-1], img[first+shift:end-1+shift])
				for y := first + w - 1; y < end; y += w {
					dst[y] = 0
				}
			}
		}
	}
}

// col2im3x3 is the adjoint of im2col3x3 for NCHW images: it sums column
// gradients back into image gradients, overwriting dst. Like im2col3x3 it
// works on whole shifted planes; the columns' entries that belong to the
// padding (and would wrap into a neighbouring row) are zeroed first.
func col2im3x3(cols []float32, images, channels, h, w int, dst []float32) {
	plane := h * w
	stride := images * plane
	for p := range images * channels {
		i, ch := p/channels, p%channels
		img := dst[p*plane : (p+1)*plane]
		clear(img)
		for tap := range 9 {
			dy, dx := tap/3-1, tap%3-1
			first, end := max(0, -dy)*w, min(h, h-dy)*w
			shift := dy*w + dx
			src := cols[(ch*9+tap)*stride+i*plane:][:plane]
			switch dx {
			case -1:
				for y := first; y < end; y += w {
					src[y] = 0
				}
				kernels.AddTo(img[first+1+shift:end+shift], src[first+1:end])
			case 0:
				kernels.AddTo(img[first+shift:end+shift], src[first:end])
			default:
				for y := first + w - 1; y < end; y += w {
					src[y] = 0
				}
				kernels.AddTo(img[first+shift:end-1+shift], src[first:end-1])
			}
		}
	}
}
