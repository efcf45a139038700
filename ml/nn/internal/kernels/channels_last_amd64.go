package kernels

// The sparse kernels (channels_last_amd64.s, channels_last_avx2_amd64.s)
// take rows×cols pooled outputs of a padded channels-last image wp pixels
// wide, 32 channels. The AVX2 weight-gradient kernel handles one kernel
// row per call.

//go:noescape
func sparseWeightGradAVX512(grad *float32, arg *uint8, xp *float32, acc *float32, rows, cols, wp int)

//go:noescape
func sparseInputGradAVX512(grad *float32, arg *uint8, wt *float32, acc *float32, rows, cols, wp int)

//go:noescape
func sparseWeightGradAVX2(grad *float32, arg *uint8, xp *float32, acc *float32, rows, cols, wp int)

//go:noescape
func sparseInputGradAVX2(grad *float32, arg *uint8, wt *float32, acc *float32, rows, cols, wp int)

// channelsLastAsm reports whether an assembly path handles c channels on
// an image w pixels wide (the AVX2 padding needs a full 8-pixel block).
func channelsLastAsm(c, w int) bool {
	return c == ChannelsLastC && (avx512 || avx2 && w >= 8)
}

// SparseWeightGrad adds to dwT ([3][3][C] of one output channel) the weight
// gradient of one image: for every pooled output whose gradient passed
// (arg < NoGrad), g times the winning pixel's 3×3 neighbourhood of the
// padded channels-last input xp.
func SparseWeightGrad(g []float32, arg []uint8, xp []float32, h, w int, dwT []float32) {
	n := h / 2 * (w / 2)
	if !channelsLastAsm(len(dwT)/9, w) || len(dwT) != 9*ChannelsLastC || n == 0 {
		sparseWeightGradGo(g, arg, xp, h, w, dwT)
		return
	}
	_, _, _ = g[n-1], arg[n-1], xp[(h+2)*(w+2)*ChannelsLastC-1]
	if avx512 {
		sparseWeightGradAVX512(&g[0], &arg[0], &xp[0], &dwT[0], h/2, w/2, w+2)
		return
	}
	for ky := range 3 {
		sparseWeightGradAVX2(&g[0], &arg[0], &xp[ky*(w+2)*ChannelsLastC], &dwT[ky*3*ChannelsLastC], h/2, w/2, w+2)
	}
}

// SparseInputGrad adds to the padded channels-last input gradient dxp the
// contribution of one output channel: for every pooled output whose
// gradient passed, g times the channel's weights wT ([3][3][C]) over the
// winning pixel's 3×3 neighbourhood.
func SparseInputGrad(g []float32, arg []uint8, wT []float32, h, w int, dxp []float32) {
	n := h / 2 * (w / 2)
	if !channelsLastAsm(len(wT)/9, w) || len(wT) != 9*ChannelsLastC || n == 0 {
		sparseInputGradGo(g, arg, wT, h, w, dxp)
		return
	}
	_, _, _ = g[n-1], arg[n-1], dxp[(h+2)*(w+2)*ChannelsLastC-1]
	if avx512 {
		sparseInputGradAVX512(&g[0], &arg[0], &wT[0], &dxp[0], h/2, w/2, w+2)
		return
	}
	sparseInputGradAVX2(&g[0], &arg[0], &wT[0], &dxp[0], h/2, w/2, w+2)
}

//go:noescape
func padInteriorAVX512(src, dst *float32, h, w int, idx *[16]int32)

//go:noescape
func unpadInteriorAVX512(src, dst *float32, h, w int, idx *[16]int32)

//go:noescape
func padInteriorAVX2(src, dst *float32, h, w int)

//go:noescape
func unpadInteriorAVX2(src, dst *float32, h, w int)

// PadChannelsLast copies one NCHW image (c planes of h×w) into dst as
// zero-padded channels-last: dst[((y+1)(w+2) + x+1)·c + ch] = src[ch][y][x].
func PadChannelsLast(src []float32, c, h, w int, dst []float32) {
	if !channelsLastAsm(c, w) || h == 0 {
		padChannelsLastGo(src, c, h, w, dst)
		return
	}
	_, _ = src[c*h*w-1], dst[c*(h+2)*(w+2)-1]
	clearPadding(c, h, w, dst)
	if !avx512 {
		padInteriorAVX2(&src[0], &dst[0], h, w)
		return
	}
	var idx [16]int32
	for i := range idx {
		idx[i] = int32(i * h * w)
	}
	padInteriorAVX512(&src[0], &dst[0], h, w, &idx)
}

// UnpadChannelsLast is the inverse of PadChannelsLast (borders dropped).
func UnpadChannelsLast(src []float32, c, h, w int, dst []float32) {
	if !channelsLastAsm(c, w) || h == 0 {
		unpadChannelsLastGo(src, c, h, w, dst)
		return
	}
	_, _ = src[c*(h+2)*(w+2)-1], dst[c*h*w-1]
	if !avx512 {
		unpadInteriorAVX2(&src[0], &dst[0], h, w)
		return
	}
	var idx [16]int32
	for i := range idx {
		idx[i] = int32(i * ChannelsLastC)
	}
	unpadInteriorAVX512(&src[0], &dst[0], h, w, &idx)
}
