package gemm

// C = alpha·A·Bᵀ + beta·C with A and B not transposed in memory is a grid
// of inner products of rows that are both contiguous along K. Reading them
// in place avoids the two transposing packs the panel algorithm would need,
// which cost as much as the arithmetic for the K-long, M·N-small products
// of weight gradients and dense layers.

const (
	// dotMinK is the depth from which the inner-product path pays: each
	// block of sums ends with a horizontal reduction.
	dotMinK = 64
	// dotL2Budget bounds the bytes of A and B rows one K block touches, so
	// that the rows are read from memory once and then served by L2.
	dotL2Budget = 768 << 10
)

// dotKernel computes a rowsA×rowsB block of inner products of length k:
// out[i*rowsB+j] = Σ_p a[i*lda+p]·b[j*ldb+p], for i < ra, j < rb (entries
// past ra, rb are undefined).
type dotKernel struct {
	rowsA, rowsB int
	fn           func(k int, a []float32, lda, ra int, b []float32, ldb, rb int, out []float32)
}

// multiplyDot computes rows i0..i1-1, columns j0..j1-1 of C = alpha·A·Bᵀ +
// beta·C. K is cut into blocks whose rows fit in L2; A's rows stay in L1
// across a sweep of B's.
func multiplyDot(op *operands, dk *dotKernel, i0, i1, j0, j1 int) {
	bytesPerK := 4 * ((i1 - i0) + (j1 - j0))
	kb := op.k
	if op.k*bytesPerK > dotL2Budget {
		kb = roundUp(ceilDiv(op.k, ceilDiv(op.k*bytesPerK, dotL2Budget)), 16)
	}
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	ws.sums = grow(ws.sums, dk.rowsA*dk.rowsB)
	sums := ws.sums
	for pc := 0; pc < op.k; pc += kb {
		kcb := min(kb, op.k-pc)
		beta := op.beta
		if pc > 0 {
			beta = 1
		}
		for i := i0; i < i1; i += dk.rowsA {
			ra := min(dk.rowsA, i1-i)
			a := op.a[i*op.lda+pc:]
			for j := j0; j < j1; j += dk.rowsB {
				rb := min(dk.rowsB, j1-j)
				dk.fn(kcb, a, op.lda, ra, op.b[j*op.ldb+pc:], op.ldb, rb, sums)
				storeSums(sums, dk.rowsB, ra, rb, op.alpha, beta, op.c[i*op.ldc+j:], op.ldc)
			}
		}
	}
}

// storeSums sets c = alpha·sums + beta·c over an ra×rb block; beta == 0
// does not read c.
func storeSums(sums []float32, stride, ra, rb int, alpha, beta float32, c []float32, ldc int) {
	for r := range ra {
		src := sums[r*stride : r*stride+rb]
		dst := c[r*ldc : r*ldc+rb]
		for j, v := range src {
			if beta == 0 {
				dst[j] = alpha * v
			} else {
				dst[j] = alpha*v + beta*dst[j]
			}
		}
	}
}
