package gemm

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are the products of one training step of the Fashion-MNIST
// CNN at batch 64, as ml's layers issue them: convolutions lowered with
// im2col over chunks of about 4096 output pixels (5 images for conv1, 20 for
// conv2), dense layers over the whole batch with weights stored out×in.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"conv1_fwd", false, false, 32, 3920, 9},
	{"conv1_dW", false, true, 32, 9, 3920},
	{"conv2_fwd", false, false, 64, 3920, 288},
	{"conv2_dW", false, true, 64, 288, 3920},
	{"conv2_dX", true, false, 288, 3920, 64},
	{"dense1_fwd", false, true, 64, 128, 3136},
	{"dense1_dW", true, false, 128, 3136, 64},
	{"dense1_dX", false, false, 64, 3136, 128},
	{"dense2_fwd", false, true, 64, 10, 128},
	{"dense2_dW", true, false, 10, 128, 64},
	{"square_512", false, false, 512, 512, 512},
}

func BenchmarkSgemm(b *testing.B) {
	impls := []struct {
		name string
		use  func(b *testing.B) func()
	}{{name: "gonum"}}
	for _, name := range kernelNames() {
		impls = append(impls, struct {
			name string
			use  func(b *testing.B) func()
		}{name, func(b *testing.B) func() {
			restore, err := useKernel(name)
			if err != nil {
				b.Fatal(err)
			}
			return restore
		}})
	}
	for _, s := range benchShapes {
		rng := rand.New(rand.NewPCG(1, 1))
		p := newProblem(rng, s.transA, s.transB, s.m, s.n, s.k, 0, 1, 0)
		for _, impl := range impls {
			b.Run(s.name+"/"+impl.name, func(b *testing.B) {
				call := func() {
					Sgemm(p.transA, p.transB, p.m, p.n, p.k, 1, p.a, p.lda, p.b, p.ldb, 0, p.c, p.ldc)
				}
				if impl.use == nil {
					tA, tB := blas.NoTrans, blas.NoTrans
					if p.transA {
						tA = blas.Trans
					}
					if p.transB {
						tB = blas.Trans
					}
					call = func() {
						gonum.Implementation{}.Sgemm(tA, tB, p.m, p.n, p.k, 1, p.a, p.lda, p.b, p.ldb, 0, p.c, p.ldc)
					}
				} else {
					defer impl.use(b)()
				}
				b.ReportAllocs()
				cpu0 := processCPUSeconds()
				for b.Loop() {
					call()
				}
				reportFlops(b, 2*float64(p.m)*float64(p.n)*float64(p.k), processCPUSeconds()-cpu0)
			})
		}
	}
}

// reportFlops reports GFLOP/s over wall time and, when CPU time is
// available, GFLOP per CPU-second: the rate per busy core, which stays
// meaningful when other processes share the machine.
func reportFlops(b *testing.B, flopsPerOp, cpuSeconds float64) {
	flops := flopsPerOp * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpuSeconds > 0 {
		b.ReportMetric(flops/cpuSeconds/1e9, "GFLOP/cpu-s")
	}
}
