package kernels

//go:noescape
func addToAVX512(dst, src *float32, n int)

// AddTo adds src to dst element-wise; src must be at least as long.
func AddTo(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	src = src[:len(dst)]
	if avx512 {
		addToAVX512(&dst[0], &src[0], len(dst))
		return
	}
	addToGo(dst, src)
}
