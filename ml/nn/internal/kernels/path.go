package kernels

import "github.com/fmnist/trainer/ml/nn/internal/gemm"

// avx512 selects the AVX-512 kernels; it follows the matrix multiply's path.
var avx512 = gemm.Kernel() == "avx512"

// ForcePortable makes every kernel run its Go loop until the returned
// function restores the path. Tests use it to check the network on both;
// it must not be called while kernels run.
func ForcePortable() (restore func()) {
	saved := avx512
	avx512 = false
	return func() { avx512 = saved }
}
