package gemm

// Panic messages mirror gonum's blas package so that callers switching
// between the two see the same failures.
const (
	errMLT0   = "blas: m < 0"
	errNLT0   = "blas: n < 0"
	errKLT0   = "blas: k < 0"
	errBadLdA = "blas: bad leading dimension of A"
	errBadLdB = "blas: bad leading dimension of B"
	errBadLdC = "blas: bad leading dimension of C"
	errShortA = "blas: insufficient length of a"
	errShortB = "blas: insufficient length of b"
	errShortC = "blas: insufficient length of c"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, with
// the same argument meaning as gonum's blas.Float32Level3.Sgemm
// (op(A) is m×k, op(B) is k×n, lda/ldb/ldc are row strides).
//
// Like gonum it panics on negative sizes, too-small strides or too-short
// slices. When beta is 0, C is overwritten without being read, so NaNs in C
// do not propagate.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	run(&operands{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda,
		b: b, ldb: ldb,
		beta: beta, c: c, ldc: ldc,
	}, activeKernel())
}

func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	switch {
	case m < 0:
		panic(errMLT0)
	case n < 0:
		panic(errNLT0)
	case k < 0:
		panic(errKLT0)
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	switch {
	case lda < max(1, colsA):
		panic(errBadLdA)
	case ldb < max(1, colsB):
		panic(errBadLdB)
	case ldc < max(1, n):
		panic(errBadLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	switch {
	case len(a) < (rowsA-1)*lda+colsA:
		panic(errShortA)
	case len(b) < (rowsB-1)*ldb+colsB:
		panic(errShortB)
	case len(c) < (m-1)*ldc+n:
		panic(errShortC)
	}
}

// scaleC sets C = beta*C; beta == 0 writes zeros without reading C.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
