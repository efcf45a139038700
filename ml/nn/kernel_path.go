package nn

import "github.com/fmnist/trainer/ml/nn/internal/gemm"

// KernelPath names the matrix-multiply path the network runs on ("avx512",
// "avx2", "generic", ...), so that benchmarks can say what they measured.
func KernelPath() string { return gemm.Kernel() }
