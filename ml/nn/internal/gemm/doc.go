// Package gemm is a fast single-precision general matrix multiply
// (C = alpha*op(A)*op(B) + beta*C, row-major) written in Go and Go assembly.
//
// It follows the Goto/BLIS scheme: op(A) and op(B) are packed into
// contiguous, zero-padded panels (transposes are resolved while packing),
// the work is blocked over K and over cache-sized slabs of M and N, and a
// register-tiled micro-kernel does the arithmetic. Four micro-kernels
// exist: AVX-512 (8×32, masked stores for edge tiles), AVX2+FMA (6×16,
// VMASKMOVPS stores for edge tiles), arm64 NEON (8×12, FMLA by element)
// and portable Go (2×4 on amd64, 4×4 where there are 32 float registers);
// the best one the CPU supports is chosen at start-up. The environment variable
// FMNIST_GEMM=avx512|avx2|neon|generic forces a path (an unavailable one
// falls back to the best available, with a warning).
//
// A·Bᵀ with neither operand transposed in memory (weight gradients, dense
// layers with out×in weights) takes a second route on the vector paths:
// rows of A and B are both contiguous along K, so blocks of inner products
// are computed straight from them, with no packing at all (dot.go).
//
// Products big enough to pay for it are split over GOMAXPROCS goroutines,
// each computing its own block of C; all of them finish before Sgemm
// returns. Packing buffers come from a sync.Pool.
//
// The assembly and the portable kernels' unrolled loops are generated:
// edit gen/gen_asm.go (amd64), gen/gen_neon.go (arm64) or gen/gen_tiles.go
// (portable) and run go generate.
package gemm

//go:generate go run gen/gen_asm.go
//go:generate go run gen/gen_neon.go
//go:generate go run gen/gen_tiles.go
