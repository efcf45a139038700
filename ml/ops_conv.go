package ml

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/fmnist/trainer/ml/internal/gemm"
)

// A convolution layer fused into one Gorgonia op: 3×3 convolution (padding 1,
// stride 1, bias), ReLU and 2×2 max-pool (stride 2), NCHW throughout so
// nothing is transposed. Images are processed in chunks: a chunk's im2col
// columns (and their gradient) stay in cache instead of streaming the whole
// batch's columns through memory, and each chunk is one large matrix
// multiply that the gemm package parallelises.

const (
	// poolNoGrad marks a pooled output that ReLU clamped to zero: no
	// gradient flows back through it.
	poolNoGrad = 4
	// chunkColumns is roughly how many output pixels a chunk covers.
	chunkColumns = 4096
)

// convLayer holds one conv-ReLU-pool layer's geometry and the buffers its
// forward and backward ops share within one compiled graph.
type convLayer struct {
	id                    string
	batch, inC, outC      int
	height, width         int  // input plane; even, so pooling halves it exactly
	inputGrad             bool // the backward pass computes the input gradient
	training              bool // keep what the backward pass needs
	chunk                 int  // images per chunk
	out                   *ownedTensor
	argmax                []uint8 // per pooled output: window position 0..3 of the max, or poolNoGrad
	cols, pre, dPre, dCol []float32
	dW, dB, dX            *ownedTensor
}

func newConvLayer(name string, batch, inC, outC, height, width int, training, inputGrad bool) (*convLayer, error) {
	if batch < 1 || inC < 1 || outC < 1 || height < 2 || width < 2 || height%2 != 0 || width%2 != 0 {
		return nil, fmt.Errorf("conv layer %s: unsupported geometry batch %d, %d>%d channels, %dx%d", name, batch, inC, outC, height, width)
	}
	plane := height * width
	l := &convLayer{
		id: newOpID(name), batch: batch, inC: inC, outC: outC, height: height, width: width,
		inputGrad: inputGrad && training, training: training,
		chunk: min(batch, max(1, chunkColumns/plane)),
		out:   newOwnedTensor(batch, outC, height/2, width/2),
	}
	cols := l.chunk * plane
	l.cols = make([]float32, inC*9*cols)
	l.pre = make([]float32, outC*cols)
	if training {
		l.argmax = make([]uint8, len(l.out.data))
		l.dPre = make([]float32, outC*cols)
		l.dW = newOwnedTensor(outC, inC, 3, 3)
		l.dB = newOwnedTensor(outC)
		if l.inputGrad {
			l.dCol = make([]float32, inC*9*cols)
			l.dX = newOwnedTensor(batch, inC, height, width)
		}
	}
	return l, nil
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
	outPlane := plane / 4
	for n0 := 0; n0 < l.batch; n0 += l.chunk {
		images := min(l.chunk, l.batch-n0)
		cols := images * plane
		im2col3x3(x[n0*l.inC*plane:], images, l.inC, l.height, l.width, l.cols[:k*cols])
		gemm.Sgemm(false, false, l.outC, cols, k, 1, w, k, l.cols, cols, 0, l.pre, cols)
		var argmax []uint8
		if l.training {
			argmax = l.argmax[n0*l.outC*outPlane:]
		}
		biasReluMaxPool(l.pre, b, images, l.outC, l.height, l.width, l.out.data[n0*l.outC*outPlane:], argmax)
	}
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
	outPlane := plane / 4
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
	clear(l.dB.data)
	for n0 := 0; n0 < l.batch; n0 += l.chunk {
		images := min(l.chunk, l.batch-n0)
		cols := images * plane
		first := n0 * l.outC * outPlane
		unpoolBias(dy[first:], l.argmax[first:], images, l.outC, l.height, l.width, l.dPre, l.dB.data)
		im2col3x3(x[n0*l.inC*plane:], images, l.inC, l.height, l.width, l.cols[:k*cols])
		var beta float32 = 1
		if n0 == 0 {
			beta = 0
		}
		gemm.Sgemm(false, true, l.outC, k, cols, 1, l.dPre, cols, l.cols, cols, beta, l.dW.data, k)
		if l.inputGrad {
			gemm.Sgemm(true, false, k, cols, l.outC, 1, w, k, l.dPre, cols, 0, l.dCol, cols)
			col2im3x3(l.dCol, images, l.inC, l.height, l.width, l.dX.data[n0*l.inC*plane:])
		}
	}
	return l.dW.value()
}

// im2col3x3 lays out images (NCHW, c channels of h×w) as the columns of a
// 3×3, padding-1 convolution: row (ch*9 + ky*3 + kx), column (image*h*w +
// y*w + x) holds the input at (y+ky-1, x+kx-1), zero outside the image.
func im2col3x3(src []float32, images, channels, h, w int, cols []float32) {
	plane := h * w
	stride := images * plane
	parallelFor(channels*9, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ch, tap := r/9, r%9
			dy, dx := tap/3-1, tap%3-1
			row := cols[r*stride : (r+1)*stride]
			for i := range images {
				img := src[(i*channels+ch)*plane : (i*channels+ch+1)*plane]
				dst := row[i*plane : (i+1)*plane]
				for y := range h {
					d := dst[y*w : (y+1)*w]
					sy := y + dy
					if sy < 0 || sy >= h {
						clear(d)
						continue
					}
					s := img[sy*w : (sy+1)*w]
					switch dx {
					case -1:
						d[0] = 0
						copy(d[1:], s[:w-1])
					case 0:
						copy(d, s)
					default:
						copy(d[:w-1], s[1:])
						d[w-1] = 0
					}
				}
			}
		}
	})
}

// col2im3x3 is the adjoint of im2col3x3: it sums column gradients back into
// image gradients, overwriting dst.
func col2im3x3(cols []float32, images, channels, h, w int, dst []float32) {
	plane := h * w
	stride := images * plane
	parallelFor(images*channels, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i, ch := p/channels, p%channels
			img := dst[p*plane : (p+1)*plane]
			clear(img)
			for tap := range 9 {
				dy, dx := tap/3-1, tap%3-1
				src := cols[(ch*9+tap)*stride+i*plane:][:plane]
				for y := range h {
					sy := y + dy
					if sy < 0 || sy >= h {
						continue
					}
					d := img[sy*w : (sy+1)*w]
					s := src[y*w : (y+1)*w]
					switch dx {
					case -1:
						addTo(d[:w-1], s[1:])
					case 0:
						addTo(d, s)
					default:
						addTo(d[1:], s[:w-1])
					}
				}
			}
		}
	})
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// biasReluMaxPool turns a chunk's convolution output pre (channel-major:
// [F][images*h*w]) into pooled NCHW outputs relu(max(window)+bias) and, when
// argmax is not nil, records which window position won.
func biasReluMaxPool(pre, bias []float32, images, channels, h, w int, out []float32, argmax []uint8) {
	plane := h * w
	h2, w2 := h/2, w/2
	outPlane := h2 * w2
	parallelFor(channels*images, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			f, i := p/images, p%images
			src := pre[(f*images+i)*plane:][:plane]
			b := bias[f]
			dst := out[(i*channels+f)*outPlane:][:outPlane]
			var arg []uint8
			if argmax != nil {
				arg = argmax[(i*channels+f)*outPlane:][:outPlane]
			}
			for y := range h2 {
				r0 := src[2*y*w : (2*y+1)*w]
				r1 := src[(2*y+1)*w : (2*y+2)*w]
				o := dst[y*w2 : (y+1)*w2]
				for x := range o {
					// As in PyTorch: bias before comparing, the first of
					// equal maxima wins, and NaN wins (and passes ReLU).
					best, at := r0[2*x]+b, uint8(0)
					if v := r0[2*x+1] + b; v > best || v != v {
						best, at = v, 1
					}
					if v := r1[2*x] + b; v > best || v != v {
						best, at = v, 2
					}
					if v := r1[2*x+1] + b; v > best || v != v {
						best, at = v, 3
					}
					if best <= 0 {
						best, at = 0, poolNoGrad
					}
					o[x] = best
					if arg != nil {
						arg[y*w2+x] = at
					}
				}
			}
		}
	})
}

// unpoolBias spreads pooled gradients dy (NCHW) back to the window position
// that won, through the ReLU, writing all of dPre ([F][images*h*w]), and
// adds each channel's passed gradient to db.
func unpoolBias(dy []float32, argmax []uint8, images, channels, h, w int, dPre, db []float32) {
	plane := h * w
	h2, w2 := h/2, w/2
	outPlane := h2 * w2
	// Split by channel so that each worker owns its db entries.
	parallelFor(channels, func(lo, hi int) {
		for f := lo; f < hi; f++ {
			var sum float32
			for i := range images {
				g := dy[(i*channels+f)*outPlane:][:outPlane]
				arg := argmax[(i*channels+f)*outPlane:][:outPlane]
				dst := dPre[(f*images+i)*plane:][:plane]
				for y := range h2 {
					r0 := dst[2*y*w : (2*y+1)*w]
					r1 := dst[(2*y+1)*w : (2*y+2)*w]
					for x := range w2 {
						v, at := g[y*w2+x], arg[y*w2+x]
						r0[2*x], r0[2*x+1], r1[2*x], r1[2*x+1] = 0, 0, 0, 0
						switch at {
						case 0:
							r0[2*x] = v
						case 1:
							r0[2*x+1] = v
						case 2:
							r1[2*x] = v
						case 3:
							r1[2*x+1] = v
						default:
							continue
						}
						sum += v
					}
				}
			}
			db[f] += sum
		}
	})
}
