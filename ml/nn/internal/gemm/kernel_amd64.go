package gemm

import "golang.org/x/sys/cpu"

// Assembly micro-kernels; see kernel.micro for the contract.

//go:noescape
func microAVX512(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int)

// microAVX512x4 is microAVX512 for at most 4 rows (A panels still 8 wide).
//
//go:noescape
func microAVX512x4(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int)

//go:noescape
func microAVX2(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int)

// microAVX2x4 is microAVX2 for at most 4 rows (A panels still 6 wide).
//
//go:noescape
func microAVX2x4(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int)

var (
	avx512 = &kernel{
		name: "avx512", mr: 8, nr: 32,
		micro: microAVX512, fewRows: microAVX512x4, fewRowsMax: 4, partialTiles: true,
		packPanels: packPanels32,
		dot:        &dotKernel{rowsA: 4, rowsB: 6, outLen: 48, index: dotAVX512Index(), fn: dotAVX512},
	}
	avx2 = &kernel{
		name: "avx2", mr: 6, nr: 16, kc: 384,
		micro: microAVX2, fewRows: microAVX2x4, fewRowsMax: 4, partialTiles: true,
		packPanels: packPanels16,
		dot:        &dotKernel{rowsA: 4, rowsB: 3, outLen: 12, index: identityIndex(12), fn: dotAVX2},
	}
)

// availableKernels lists the kernels this CPU (and OS) supports, fastest
// first. x/sys/cpu already accounts for the OS saving the vector state.
func availableKernels() []*kernel {
	var kernels []*kernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		kernels = append(kernels, avx512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernels = append(kernels, avx2)
	}
	return append(kernels, generic)
}

// dotAVX512 computes a 4×6 block of inner products; see dot_avx512_amd64.s.
//
//go:noescape
func dotAVX512(k int, a []float32, lda, rowsA int, b []float32, ldb, rowsB int, out []float32)

// dotAVX2 computes a 4×3 block of inner products; see dot_avx2_amd64.s.
//
//go:noescape
func dotAVX2(k int, a []float32, lda, rowsA int, b []float32, ldb, rowsB int, out []float32)

// dotAVX512Index says where dotAVX512's reduction leaves each sum.
func dotAVX512Index() []int {
	index := make([]int, 24)
	for r := range index {
		index[r] = 16*(r/8) + 4*(r%4) + (r%8)/4
	}
	return index
}

// packPanels32 and packPanels16 copy full nr-wide panels of row-major B;
// see pack_amd64.s.
//
//go:noescape
func packPanels32(dst, src []float32, ld, rows, panels int)

//go:noescape
func packPanels16(dst, src []float32, ld, rows, panels int)
