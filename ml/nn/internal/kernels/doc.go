// Package kernels holds the network's inner loops other than the matrix
// multiply: ReLU with 2×2 max-pooling and its gradient, the channels-last
// padding and sparse gradients of the inner convolution, batch
// normalisation, Adam's update and a vector add. Each has a portable Go
// version that defines what it computes and, on amd64, AVX-512 and AVX2
// versions in assembly (written by gen/gen_asm.go and gen/gen_avx2.go), on
// arm64 NEON ones (gen/gen_neon.go), that the tests hold to the Go one on
// every path the CPU has.
//
// The path follows the matrix multiply's (gemm.Kernel): the CPU's features,
// unless FMNIST_GEMM forces one, so FMNIST_GEMM=generic runs every loop here
// in Go too.
package kernels

//go:generate go run gen/gen_asm.go gen/gen_avx2.go
//go:generate go run gen/gen_neon.go
