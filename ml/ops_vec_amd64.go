package ml

import "github.com/fmnist/trainer/ml/internal/gemm"

// hasAVX512 selects the AVX-512 kernels (pooling, vector add). It follows
// the matrix multiply's choice, which comes from the CPU's features (as seen
// by x/sys/cpu) unless FMNIST_GEMM forces a path: FMNIST_GEMM=generic or
// avx2 then runs the portable Go loops here too.
var hasAVX512 = gemm.Kernel() == "avx512"

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
