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
		row := func(i int) []float32 { return a[(row0+i)*lda+pc : (row0+i)*lda+pc+kc] }
		if mr == 2 && rows == 2 {
			packRows2(panel, row(0), row(1), alpha)
			continue
		}
		if mr == 4 && rows == 4 {
			packRows4(panel, row(0), row(1), row(2), row(3), alpha)
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
func packB(op *operands, kr *kernel, pc, kc, jc, nc int, dst []float32) {
	b, ldb, nr := op.b, op.ldb, kr.nr
	if !op.transB {
		full := nc / nr
		rest := nc - full*nr
		src := b[pc*ldb+jc:]
		if kr.packPanels != nil && full > 0 {
			kr.packPanels(dst, src, ldb, kc, full)
		} else {
			// Walk B row by row so reads are sequential; each row is
			// scattered over the panels in nr-wide runs.
			for p := range kc {
				row := src[p*ldb : p*ldb+full*nr]
				out := dst[p*nr:]
				for q := range full {
					copy(out[q*kc*nr:q*kc*nr+nr], row[q*nr:q*nr+nr])
				}
			}
		}
		if rest > 0 {
			panel := dst[full*kc*nr : (full+1)*kc*nr]
			for p := range kc {
				out := panel[p*nr : p*nr+nr]
				copy(out, src[p*ldb+full*nr:p*ldb+nc])
				clear(out[rest:])
			}
		}
		return
	}
	for q := 0; q*nr < nc; q++ {
		col0 := jc + q*nr
		cols := min(nr, nc-q*nr)
		panel := dst[q*kc*nr : (q+1)*kc*nr]
		if nr == 4 && cols == 4 {
			row := func(j int) []float32 { return b[(col0+j)*ldb+pc : (col0+j)*ldb+pc+kc] }
			packRows4(panel, row(0), row(1), row(2), row(3), 1)
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
