package ml

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

// channelsLastC is the channel count the channels-last kernels are written
// for (two AVX-512 registers per pixel).
const channelsLastC = 32

// channelsLastFits reports whether a layer with inC input channels takes the
// channels-last path on this CPU.
func channelsLastFits(inC int) bool { return inC == channelsLastC && hasAVX512 }

// padChannelsLastGo copies one NCHW image (c planes of h×w) into dst as
// zero-padded channels-last: dst[((y+1)(w+2) + x+1)·c + ch] = src[ch][y][x].
func padChannelsLastGo(src []float32, c, h, w int, dst []float32) {
	wp := w + 2
	clearPadding(c, h, w, dst)
	for y := range h {
		row := dst[((y+1)*wp+1)*c:][:w*c]
		for ch := range c {
			plane := src[(ch*h+y)*w:][:w]
			for x, v := range plane {
				row[x*c+ch] = v
			}
		}
	}
}

// clearPadding zeroes the border pixels of a padded channels-last image.
func clearPadding(c, h, w int, dst []float32) {
	wp := w + 2
	clear(dst[:(wp+1)*c]) // top row and the first left border
	for y := 1; y <= h; y++ {
		clear(dst[(y*wp+w+1)*c:][:2*c]) // a right border and the next left one
	}
	clear(dst[(h+1)*wp*c : (h+2)*wp*c]) // bottom row
}

// unpadChannelsLastGo is the inverse of padChannelsLastGo (borders dropped).
func unpadChannelsLastGo(src []float32, c, h, w int, dst []float32) {
	wp := w + 2
	for y := range h {
		row := src[((y+1)*wp+1)*c:][:w*c]
		for ch := range c {
			plane := dst[(ch*h+y)*w:][:w]
			for x := range plane {
				plane[x] = row[x*c+ch]
			}
		}
	}
}

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
		padChannelsLast(x[n*l.inC*plane:][:l.inC*plane], l.inC, l.height, l.width, l.xpad[n*padded:][:padded])
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
					if a < poolNoGrad {
						sum += g[q]
					}
				}
				wk.dB[f] += sum
				sparseWeightGrad(g, arg, xp, l.height, l.width, wk.dW[f*k:(f+1)*k])
				if l.inputGrad {
					sparseInputGrad(g, arg, l.wT[f*k:(f+1)*k], l.height, l.width, wk.dXpad)
				}
			}
			if l.inputGrad {
				unpadChannelsLast(wk.dXpad, l.inC, l.height, l.width, l.dX.data[n*l.inC*plane:])
			}
		}
	})
	clear(l.dW.data)
	clear(l.dB.data)
	for _, wk := range l.workers {
		addReorderedWeights(wk.dW, l.outC, l.inC, l.dW.data)
		addTo(l.dB.data, wk.dB)
	}
}

// poolWindowCorner returns the padded coordinates of the top-left corner of
// the 3×3 neighbourhood of the pixel that won pooled output (y2, x2), given
// its window position a (0..3).
func poolWindowCorner(y2, x2 int, a uint8) (py, px int) {
	return 2*y2 + int(a>>1), 2*x2 + int(a&1)
}

// sparseWeightGradGo adds to dwT ([3][3][C] of one output channel) the
// weight gradient of one image: for every pooled output (h/2 × w/2 of them)
// whose gradient passed, g times the winning pixel's 3×3 neighbourhood of
// the padded channels-last input xp.
func sparseWeightGradGo(g []float32, arg []uint8, xp []float32, h, w int, dwT []float32) {
	c := len(dwT) / 9
	wp, w2 := w+2, w/2
	for q, a := range arg[:h/2*w2] {
		if a >= poolNoGrad {
			continue
		}
		v := g[q]
		py, px := poolWindowCorner(q/w2, q%w2, a)
		for ky := range 3 {
			src := xp[((py+ky)*wp+px)*c:][:3*c]
			dst := dwT[ky*3*c:][:3*c]
			for i, s := range src {
				dst[i] += v * s
			}
		}
	}
}

// sparseInputGradGo adds to the padded channels-last input gradient dxp the
// contribution of one output channel: for every pooled output whose
// gradient passed, g times the channel's weights wT ([3][3][C]) over the
// winning pixel's 3×3 neighbourhood.
func sparseInputGradGo(g []float32, arg []uint8, wT []float32, h, w int, dxp []float32) {
	c := len(wT) / 9
	wp, w2 := w+2, w/2
	for q, a := range arg[:h/2*w2] {
		if a >= poolNoGrad {
			continue
		}
		v := g[q]
		py, px := poolWindowCorner(q/w2, q%w2, a)
		for ky := range 3 {
			dst := dxp[((py+ky)*wp+px)*c:][:3*c]
			src := wT[ky*3*c:][:3*c]
			for i, s := range src {
				dst[i] += v * s
			}
		}
	}
}
