package kernels

// The NEON kernels (gen/gen_neon.go). Each works on blocks of 4 floats; rows
// narrower than a block and the last n%4 elements of the flat loops go to
// the portable Go versions.

//go:noescape
func addToNEON(dst, src *float32, n int)

//go:noescape
func adamNEON(p, grad, m, v *float32, n int, k *AdamStep)

//go:noescape
func poolPlaneNEON(src, out *float32, arg *uint8, rows, w int, bias float32)

//go:noescape
func unpoolPlaneNEON(grad *float32, arg *uint8, dst *float32, rows, w int, sums *[16]float32)

//go:noescape
func padInteriorNEON(src, dst *float32, h, w int)

//go:noescape
func unpadInteriorNEON(src, dst *float32, h, w int)

//go:noescape
func sparseWeightGradNEON(grad *float32, arg *uint8, xp *float32, acc *float32, rows, cols, wp int)

//go:noescape
func sparseInputGradNEON(grad *float32, arg *uint8, wt *float32, acc *float32, rows, cols, wp int)

// PoolPlane applies bias, ReLU and 2×2 max-pooling to one h×w plane of src,
// writing the (h/2)×(w/2) maxima to out and in arg which window position
// won (0..3, row-major), or NoGrad where ReLU left zero.
func PoolPlane(src []float32, bias float32, h, w int, out []float32, arg []uint8) {
	if !neon || h < 2 || w < 8 {
		poolPlaneGo(src, bias, h, w, out, arg)
		return
	}
	_, _, _ = src[h*w-1], out[h*w/4-1], arg[h*w/4-1]
	poolPlaneNEON(&src[0], &out[0], &arg[0], h/2, w, bias)
}

// UnpoolPlane writes the h×w gradient plane dst from the pooled gradient g
// and the window positions arg, and adds the gradients that passed to sums.
func UnpoolPlane(g []float32, arg []uint8, h, w int, dst []float32, sums *[16]float32) {
	if !neon || h < 2 || w < 8 {
		unpoolPlaneGo(g, arg, h, w, dst, sums)
		return
	}
	_, _, _ = g[h*w/4-1], arg[h*w/4-1], dst[h*w-1]
	unpoolPlaneNEON(&g[0], &arg[0], &dst[0], h/2, w, sums)
}

// Apply updates the parameters p in place; see applyGo. The NEON kernel
// does the same operations in the same order: results are bit-identical.
func (k *AdamStep) Apply(p, g, m, v []float32) {
	if !neon || len(p) < 4 || k.Decay != 0 { // AdamW's decoupled decay: only the Go loop has it
		k.applyGo(p, g, m, v)
		return
	}
	_, _, _ = g[len(p)-1], m[len(p)-1], v[len(p)-1]
	n := len(p) &^ 3
	adamNEON(&p[0], &g[0], &m[0], &v[0], n, k)
	k.applyGo(p[n:], g[n:], m[n:], v[n:])
}

// AddTo adds src to dst element-wise; src must be at least as long.
func AddTo(dst, src []float32) {
	src = src[:len(dst)]
	if !neon || len(dst) < 4 {
		addToGo(dst, src)
		return
	}
	n := len(dst) &^ 3
	addToNEON(&dst[0], &src[0], n)
	addToGo(dst[n:], src[n:])
}

// channelsLastNEON reports whether the NEON kernels handle c channels on
// an image w pixels wide and h high.
func channelsLastNEON(c, h, w int) bool { return neon && c == ChannelsLastC && h >= 2 && w >= 4 }

// SparseWeightGrad adds one image's weight gradient of one output channel
// to dwT; see sparseWeightGradGo.
func SparseWeightGrad(g []float32, arg []uint8, xp []float32, h, w int, dwT []float32) {
	if !channelsLastNEON(len(dwT)/9, h, w) || len(dwT) != 9*ChannelsLastC {
		sparseWeightGradGo(g, arg, xp, h, w, dwT)
		return
	}
	n := h / 2 * (w / 2)
	_, _, _ = g[n-1], arg[n-1], xp[(h+2)*(w+2)*ChannelsLastC-1]
	for ky := range 3 {
		sparseWeightGradNEON(&g[0], &arg[0], &xp[ky*(w+2)*ChannelsLastC], &dwT[ky*3*ChannelsLastC], h/2, w/2, w+2)
	}
}

// SparseInputGrad adds one output channel's input gradient to dxp; see
// sparseInputGradGo.
func SparseInputGrad(g []float32, arg []uint8, wT []float32, h, w int, dxp []float32) {
	if !channelsLastNEON(len(wT)/9, h, w) || len(wT) != 9*ChannelsLastC {
		sparseInputGradGo(g, arg, wT, h, w, dxp)
		return
	}
	n := h / 2 * (w / 2)
	_, _, _ = g[n-1], arg[n-1], dxp[(h+2)*(w+2)*ChannelsLastC-1]
	sparseInputGradNEON(&g[0], &arg[0], &wT[0], &dxp[0], h/2, w/2, w+2)
}

// PadChannelsLast copies one NCHW image into dst as zero-padded
// channels-last.
func PadChannelsLast(src []float32, c, h, w int, dst []float32) {
	if !channelsLastNEON(c, h, w) {
		padChannelsLastGo(src, c, h, w, dst)
		return
	}
	_, _ = src[c*h*w-1], dst[c*(h+2)*(w+2)-1]
	clearPadding(c, h, w, dst)
	padInteriorNEON(&src[0], &dst[0], h, w)
}

// UnpadChannelsLast is the inverse of PadChannelsLast.
func UnpadChannelsLast(src []float32, c, h, w int, dst []float32) {
	if !channelsLastNEON(c, h, w) {
		unpadChannelsLastGo(src, c, h, w, dst)
		return
	}
	_, _ = src[c*(h+2)*(w+2)-1], dst[c*h*w-1]
	unpadInteriorNEON(&src[0], &dst[0], h, w)
}

//go:noescape
func bnSumsNEON(x *float32, n, plane, stride int) (sum, sumSq float64)

//go:noescape
func bnSumDotNEON(d, x *float32, n, plane, stride int, mu, inv float32) (sum, dot float64)

//go:noescape
func bnNormNEON(x, y *float32, n, plane, stride int, mu, inv, gamma, beta float32)

//go:noescape
func bnGradNEON(dy, x, dx *float32, n, plane, stride int, k *bnGradConsts)

var bnNEON = bnKernels{bnSumsNEON, bnSumDotNEON, bnNormNEON, bnGradNEON}

// bnPath returns the batch-norm kernels of the path, or nil for the Go
// loops.
func bnPath() *bnKernels {
	if neon {
		return &bnNEON
	}
	return nil
}
