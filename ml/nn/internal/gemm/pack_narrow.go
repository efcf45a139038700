package gemm

// The generic kernels' panels are only 2 or 4 wide, so a
// transposing pack can read all of a panel's source rows side by side and
// write the panel front to back in one sequential stream, instead of
// making one strided pass over the panel per source row.

// packRows2 packs rows r0 and r1 of A (each kc long, alpha-scaled) as one
// 2-wide panel: panel[2p], panel[2p+1] = alpha*r0[p], alpha*r1[p].
func packRows2(panel, r0, r1 []float32, alpha float32) {
	// Walking by reslicing lets the loop condition prove every index.
	for len(panel) >= 2 && len(r0) >= 1 && len(r1) >= 1 {
		panel[0], panel[1] = alpha*r0[0], alpha*r1[0]
		panel, r0, r1 = panel[2:], r0[1:], r1[1:]
	}
}

// packRows4 packs four rows of A or B (each kc long, scaled by alpha) as
// one 4-wide panel: panel[4p+j] = alpha*rj[p]. B passes alpha 1, which is
// exact.
func packRows4(panel, r0, r1, r2, r3 []float32, alpha float32) {
	for len(panel) >= 4 && len(r0) >= 1 && len(r1) >= 1 && len(r2) >= 1 && len(r3) >= 1 {
		panel[0], panel[1], panel[2], panel[3] = alpha*r0[0], alpha*r1[0], alpha*r2[0], alpha*r3[0]
		panel, r0, r1, r2, r3 = panel[4:], r0[1:], r1[1:], r2[1:], r3[1:]
	}
}
