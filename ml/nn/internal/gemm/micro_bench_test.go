package gemm

import "testing"

// BenchmarkMicroKernel measures each micro-kernel alone on L1-resident
// panels: the ceiling the blocked driver can approach on one core.
func BenchmarkMicroKernel(b *testing.B) {
	const kc = 128
	for _, kr := range availableKernels() {
		b.Run(kr.name, func(b *testing.B) {
			a := make([]float32, kr.mr*kc)
			bp := make([]float32, kr.nr*kc)
			c := make([]float32, kr.mr*kr.nr)
			for i := range a {
				a[i] = 1
			}
			for i := range bp {
				bp[i] = 1
			}
			cpu0 := processCPUSeconds()
			for b.Loop() {
				kr.micro(kc, a, bp, c, kr.nr, 0, kr.mr, kr.nr)
			}
			reportFlops(b, 2*float64(kr.mr*kr.nr*kc), processCPUSeconds()-cpu0)
		})
	}
}

// BenchmarkDotKernel measures each inner-product kernel alone on
// L1-resident rows, with the store of its sums: the ceiling of the A·Bᵀ
// path on one core.
func BenchmarkDotKernel(b *testing.B) {
	const k = 512
	for _, kr := range availableKernels() {
		dk := kr.dot
		if dk == nil {
			continue
		}
		b.Run(kr.name, func(b *testing.B) {
			a := make([]float32, dk.rowsA*k)
			bm := make([]float32, dk.rowsB*k)
			c := make([]float32, dk.rowsA*dk.rowsB)
			sums := make([]float32, dk.outLen)
			cpu0 := processCPUSeconds()
			for b.Loop() {
				dk.fn(k, a, k, dk.rowsA, bm, k, dk.rowsB, sums)
				storeSums(sums, dk, dk.rowsA, dk.rowsB, 1, 0, c, dk.rowsB)
			}
			reportFlops(b, 2*float64(dk.rowsA*dk.rowsB*k), processCPUSeconds()-cpu0)
		})
	}
}
