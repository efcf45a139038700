package ml

import "golang.org/x/sys/cpu"

// hasAVX512 selects the AVX-512 kernels (pooling, vector add); x/sys/cpu
// accounts for the OS saving the vector state.
var hasAVX512 = cpu.X86.HasAVX512F

//go:noescape
func addToAVX512(dst, src *float32, n int)

// addTo adds src to dst element-wise; src must be at least as long.
func addTo(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	src = src[:len(dst)]
	if hasAVX512 {
		addToAVX512(&dst[0], &src[0], len(dst))
		return
	}
	addToGo(dst, src)
}
