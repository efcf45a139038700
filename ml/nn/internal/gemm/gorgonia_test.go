package gemm

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaMatMulThroughImplementation installs Implementation the way
// the trainer does and checks that gorgonia's float32 matrix products,
// plain and transposed, come out right through it.
func TestGorgoniaMatMulThroughImplementation(t *testing.T) {
	G.Use(Implementation{})
	defer G.Use(gonum.Implementation{})
	if _, ok := G.WhichBLAS().(Implementation); !ok {
		t.Fatalf("gorgonia BLAS is %T after Use(Implementation{})", G.WhichBLAS())
	}

	rng := rand.New(rand.NewPCG(12, 13))
	const m, n, k = 37, 45, 70
	for _, transA := range []bool{false, true} {
		for _, transB := range []bool{false, true} {
			p := newProblem(rng, transA, transB, m, n, k, 0, 1, 0)
			a := tensor.New(tensor.WithShape(m, k), tensor.WithBacking(p.a))
			if transA {
				a = tensor.New(tensor.WithShape(k, m), tensor.WithBacking(p.a))
				if err := a.T(); err != nil {
					t.Fatal(err)
				}
			}
			b := tensor.New(tensor.WithShape(k, n), tensor.WithBacking(p.b))
			if transB {
				b = tensor.New(tensor.WithShape(n, k), tensor.WithBacking(p.b))
				if err := b.T(); err != nil {
					t.Fatal(err)
				}
			}
			product, err := tensor.MatMul(a, b)
			if err != nil {
				t.Fatalf("tA=%v tB=%v: MatMul: %v", transA, transB, err)
			}
			p.c = product.Data().([]float32)
			p.checkAgainstReference(t)
		}
	}
}
