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
