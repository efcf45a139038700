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
	// dotMaxKB bounds a K block, when K must be cut, so that the rows one
	// kernel call reads (at most ten) fit in a 32 KiB L1 together.
	dotMaxKB = 512
)

// dotKernel computes a rowsA×rowsB block of inner products of length k:
// out[index[i*rowsB+j]] = Σ_p a[i*lda+p]·b[j*ldb+p], for i < ra, j < rb.
// (The kernel leaves its sums wherever its reduction puts them.)
type dotKernel struct {
	rowsA, rowsB int
	outLen       int
	index        []int
	fn           func(k int, a []float32, lda, ra int, b []float32, ldb, rb int, out []float32)
}

// identityIndex is the index of kernels that leave sum r at out[r].
func identityIndex(n int) []int {
	index := make([]int, n)
	for i := range index {
		index[i] = i
	}
	return index
}

// multiplyDot computes rows i0..i1-1, columns j0..j1-1 of C = alpha·A·Bᵀ +
// beta·C. When the rows do not all fit in L2, K is cut into blocks short
// enough that the kernel's rows stay in L1.
func multiplyDot(op *operands, dk *dotKernel, i0, i1, j0, j1 int) {
	bytesPerK := 4 * ((i1 - i0) + (j1 - j0))
	kb := op.k
	if op.k*bytesPerK > dotL2Budget {
		kb = min(dotMaxKB, dotL2Budget/bytesPerK)
		// Equal blocks (rounded to whole vectors), not a short last one.
		kb = roundUp(ceilDiv(op.k, ceilDiv(op.k, max(kb, 16))), 16)
	}
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	ws.sums = grow(ws.sums, dk.outLen)
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
				storeSums(sums, dk, ra, rb, op.alpha, beta, op.c[i*op.ldc+j:], op.ldc)
			}
		}
	}
}

// storeSums sets c = alpha·sums + beta·c over an ra×rb block; beta == 0
// does not read c.
func storeSums(sums []float32, dk *dotKernel, ra, rb int, alpha, beta float32, c []float32, ldc int) {
	for r := range ra {
		index := dk.index[r*dk.rowsB : r*dk.rowsB+rb]
		dst := c[r*ldc : r*ldc+rb]
		for j, at := range index {
			v := alpha * sums[at]
			if beta != 0 {
				v += beta * dst[j]
			}
			dst[j] = v
		}
	}
}
