package ml

// The AVX-512 kernels (ops_conv_channels_last_amd64.s) take rows×cols pooled
// outputs of a padded channels-last image wp pixels wide, 32 channels.

//go:noescape
func sparseWeightGradAVX512(grad *float32, arg *uint8, xp *float32, acc *float32, rows, cols, wp int)

//go:noescape
func sparseInputGradAVX512(grad *float32, arg *uint8, wt *float32, acc *float32, rows, cols, wp int)

// sparseWeightGrad is sparseWeightGradGo, in AVX-512 for 32 channels.
func sparseWeightGrad(g []float32, arg []uint8, xp []float32, h, w int, dwT []float32) {
	if !hasAVX512 || len(dwT) != 9*channelsLastC {
		sparseWeightGradGo(g, arg, xp, h, w, dwT)
		return
	}
	n := h / 2 * (w / 2)
	_, _, _ = g[n-1], arg[n-1], xp[(h+2)*(w+2)*channelsLastC-1]
	sparseWeightGradAVX512(&g[0], &arg[0], &xp[0], &dwT[0], h/2, w/2, w+2)
}

// sparseInputGrad is sparseInputGradGo, in AVX-512 for 32 channels.
func sparseInputGrad(g []float32, arg []uint8, wT []float32, h, w int, dxp []float32) {
	if !hasAVX512 || len(wT) != 9*channelsLastC {
		sparseInputGradGo(g, arg, wT, h, w, dxp)
		return
	}
	n := h / 2 * (w / 2)
	_, _, _ = g[n-1], arg[n-1], dxp[(h+2)*(w+2)*channelsLastC-1]
	sparseInputGradAVX512(&g[0], &arg[0], &wT[0], &dxp[0], h/2, w/2, w+2)
}

//go:noescape
func padInteriorAVX512(src, dst *float32, h, w int, idx *[16]int32)

//go:noescape
func unpadInteriorAVX512(src, dst *float32, h, w int, idx *[16]int32)

// padChannelsLast is padChannelsLastGo, with AVX-512 gathers for 32
// channels.
func padChannelsLast(src []float32, c, h, w int, dst []float32) {
	if !hasAVX512 || c != channelsLastC {
		padChannelsLastGo(src, c, h, w, dst)
		return
	}
	_, _ = src[c*h*w-1], dst[c*(h+2)*(w+2)-1]
	clearPadding(c, h, w, dst)
	var idx [16]int32
	for i := range idx {
		idx[i] = int32(i * h * w)
	}
	padInteriorAVX512(&src[0], &dst[0], h, w, &idx)
}

// unpadChannelsLast is unpadChannelsLastGo, with AVX-512 gathers for 32
// channels.
func unpadChannelsLast(src []float32, c, h, w int, dst []float32) {
	if !hasAVX512 || c != channelsLastC {
		unpadChannelsLastGo(src, c, h, w, dst)
		return
	}
	_, _ = src[c*(h+2)*(w+2)-1], dst[c*h*w-1]
	var idx [16]int32
	for i := range idx {
		idx[i] = int32(i * channelsLastC)
	}
	unpadInteriorAVX512(&src[0], &dst[0], h, w, &idx)
}
