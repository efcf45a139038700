package nn

import "github.com/fmnist/trainer/ml/nn/internal/kernels"

// The channels-last backward pass of the convolution layer, for inner
// layers (many input channels). Max-pooling passes each window's gradient
// to one pixel, so three quarters of the pre-activation gradient is zero;
// the dense products of the columns path spend most of their time
// multiplying those zeros. Here each surviving gradient g, at pixel p of
// output channel f, adds g·x[p's 3×3 neighbourhood] to dw[f] and g·w[f] to
// the neighbourhood of dx: a quarter of the work, on vectors of C
// contiguous channels. For that the forward pass keeps a zero-padded
// channels-last copy of each input image, [(h+2)(w+2)][C], and the weights
// are reordered to [F][ky][kx][C].

// reorderWeights writes w ([F][C][3][3]) as wT ([F][3][3][C]).
func reorderWeights(w []float32, f, c int, wT []float32) {
	for o := range f {
		for ch := range c {
			for t := range 9 {
				wT[(o*9+t)*c+ch] = w[(o*c+ch)*9+t]
			}
		}
	}
}

// addReorderedWeights adds dwT ([F][3][3][C]) to dw ([F][C][3][3]).
func addReorderedWeights(dwT []float32, f, c int, dw []float32) {
	for o := range f {
		for ch := range c {
			for t := range 9 {
				dw[(o*c+ch)*9+t] += dwT[(o*9+t)*c+ch]
			}
		}
	}
}

// padForBackward keeps padded channels-last copies of images n0.. of x
// for the backward pass.
func (l *convLayer) padForBackward(x []float32, n0, images int) {
	plane := l.height * l.width
	padded := (l.height + 2) * (l.width + 2) * l.inC
	for n := n0; n < n0+images; n++ {
		kernels.PadChannelsLast(x[n*l.inC*plane:][:l.inC*plane], l.inC, l.height, l.width, l.xpad[n*padded:][:padded])
	}
}

func (l *convLayer) backwardChannelsLast(w, dy []float32) {
	plane, k := l.height*l.width, l.inC*9
	padded := (l.height + 2) * (l.width + 2) * l.inC
	outPlane := plane / 4
	reorderWeights(w, l.outC, l.inC, l.wT)
	l.run(func(wk *convWorker) {
		clear(wk.dW)
		clear(wk.dB)
		for n := wk.first; n < wk.end; n++ {
			xp := l.xpad[n*padded:][:padded]
			if l.inputGrad {
				clear(wk.dXpad)
			}
			for f := range l.outC {
				at := (n*l.outC + f) * outPlane
				g, arg := dy[at:at+outPlane], l.argmax[at:at+outPlane]
				var sum float32
				for q, a := range arg {
					if a < kernels.NoGrad {
						sum += g[q]
					}
				}
				wk.dB[f] += sum
				kernels.SparseWeightGrad(g, arg, xp, l.height, l.width, wk.dW[f*k:(f+1)*k])
				if l.inputGrad {
					kernels.SparseInputGrad(g, arg, l.wT[f*k:(f+1)*k], l.height, l.width, wk.dXpad)
				}
			}
			if l.inputGrad {
				kernels.UnpadChannelsLast(wk.dXpad, l.inC, l.height, l.width, l.dX.data[n*l.inC*plane:])
			}
		}
	})
	clear(l.dW.data)
	clear(l.dB.data)
	for _, wk := range l.workers {
		addReorderedWeights(wk.dW, l.outC, l.inC, l.dW.data)
		kernels.AddTo(l.dB.data, wk.dB)
	}
}
