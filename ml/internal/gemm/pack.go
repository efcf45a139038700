package gemm

// packA copies the mc×kc block of alpha*op(A) starting at row ic, column pc
// into dst as ceil(mc/mr) panels; panel q holds rows q*mr..q*mr+mr-1 with
// element (i, p) at q*kc*mr + p*mr + i. Rows past mc are zero so edge tiles
// can use the full-size kernel.
func packA(op *operands, ic, mc, pc, kc, mr int, dst []float32) {
	alpha, a, lda := op.alpha, op.a, op.lda
	for q := 0; q*mr < mc; q++ {
		row0 := ic + q*mr
		rows := min(mr, mc-q*mr)
		panel := dst[q*kc*mr : (q+1)*kc*mr]
		if op.transA {
			// op(A)[i, p] = a[p*lda + i]: each depth step is a short
			// contiguous run of the panel's rows.
			for p := range kc {
				src := a[(pc+p)*lda+row0 : (pc+p)*lda+row0+rows]
				out := panel[p*mr : p*mr+mr]
				for i, v := range src {
					out[i] = alpha * v
				}
				clear(out[rows:])
			}
			continue
		}
		for i := range rows {
			src := a[(row0+i)*lda+pc : (row0+i)*lda+pc+kc]
			for p, v := range src {
				panel[p*mr+i] = alpha * v
			}
		}
		for i := rows; i < mr; i++ {
			for p := range kc {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packB copies the kc×nc block of op(B) starting at row pc, column jc into
// dst as ceil(nc/nr) panels; panel q holds columns q*nr..q*nr+nr-1 with
// element (p, j) at q*kc*nr + p*nr + j. Columns past nc are zero.
func packB(op *operands, pc, kc, jc, nc, nr int, dst []float32) {
	b, ldb := op.b, op.ldb
	for q := 0; q*nr < nc; q++ {
		col0 := jc + q*nr
		cols := min(nr, nc-q*nr)
		panel := dst[q*kc*nr : (q+1)*kc*nr]
		if !op.transB {
			for p := range kc {
				out := panel[p*nr : p*nr+nr]
				copy(out, b[(pc+p)*ldb+col0:(pc+p)*ldb+col0+cols])
				clear(out[cols:])
			}
			continue
		}
		// op(B)[p, j] = b[j*ldb + p]: read each source row once, scatter it
		// down a panel column.
		for j := range cols {
			src := b[(col0+j)*ldb+pc : (col0+j)*ldb+pc+kc]
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := range kc {
				panel[p*nr+j] = 0
			}
		}
	}
}
