package kernels

// addToGo is the portable dst[i] += src[i].
func addToGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
