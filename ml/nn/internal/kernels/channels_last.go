package kernels

// The loops of the convolution's channels-last backward pass (see the conv
// layer in package nn): images kept zero-padded as [(h+2)(w+2)][C], and the
// gradients of the pixels that won their pooling window, which are a quarter
// of all.

// ChannelsLastC is the channel count the fast channels-last kernels are
// written for (two AVX-512, four AVX2 or eight NEON registers per pixel).
const ChannelsLastC = 32

// ChannelsLastFast reports whether a layer with inC input channels has fast
// channels-last kernels on this CPU.
func ChannelsLastFast(inC int) bool { return inC == ChannelsLastC && (avx512 || avx2 || neon) }

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
		if a >= NoGrad {
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
		if a >= NoGrad {
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
