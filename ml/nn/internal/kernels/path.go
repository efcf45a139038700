package kernels

import "github.com/fmnist/trainer/ml/nn/internal/gemm"

// avx512, avx2 and neon select the assembly kernels; they follow the
// matrix multiply's path, so FMNIST_GEMM=avx2 runs the AVX2 loops here too.
var (
	avx512 = gemm.Kernel() == "avx512"
	avx2   = gemm.Kernel() == "avx2"
	neon   = gemm.Kernel() == "neon"
)

// ForcePortable makes every kernel run its Go loop until the returned
// function restores the path. Tests use it to check the network on both;
// it must not be called while kernels run.
func ForcePortable() (restore func()) {
	saved512, saved2, savedNEON := avx512, avx2, neon
	avx512, avx2, neon = false, false, false
	return func() { avx512, avx2, neon = saved512, saved2, savedNEON }
}
