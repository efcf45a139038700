package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is a complete gonum BLAS (blas.Float32, blas.Float64,
// blas.Complex64, blas.Complex128) whose Sgemm is this package's. Pass it to
// gorgonia.Use so that gorgonia's float32 matrix products run here.
type Implementation struct{ gonum.Implementation }

var _ interface {
	blas.Float32
	blas.Float64
	blas.Complex64
	blas.Complex128
} = Implementation{}

// Sgemm is Sgemm with gonum's transpose flags; blas.ConjTrans means Trans
// for real matrices.
func (Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Sgemm(isTransposed(tA), isTransposed(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func isTransposed(t blas.Transpose) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic(errBadTranspose)
}
