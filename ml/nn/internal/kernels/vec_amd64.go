package kernels

//go:noescape
func addToAVX512(dst, src *float32, n int)

//go:noescape
func addToAVX2(dst, src *float32, n int)

// AddTo adds src to dst element-wise; src must be at least as long.
func AddTo(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	src = src[:len(dst)]
	switch {
	case avx512:
		addToAVX512(&dst[0], &src[0], len(dst))
	case avx2 && len(dst) >= 8:
		n := len(dst) &^ 7
		addToAVX2(&dst[0], &src[0], n)
		addToGo(dst[n:], src[n:])
	default:
		addToGo(dst, src)
	}
}
