package gemm

// The portable micro-kernel is scalar Go, so its speed is set by how many
// values stay in registers. amd64 gives the compiler 15 floating-point
// registers (X15 is reserved): a 2×4 tile needs 8 accumulators, 2 values of
// A, 4 of B and one product, and so never spills; a 4×4 tile spilled most
// of its accumulators to the stack on every step and ran at half the speed.
// Architectures with 32 registers (arm64, riscv64, ppc64) lose little by it:
// each step still does 16 flops for 6 loads, and arm64's compiler fuses
// every multiply-add into one FMADDS.
//
// On amd64 without GOAMD64=v3 a multiply-add is a MULSS and an ADDSS, and
// Intel cores issue at most three of those per cycle, so no scalar kernel
// passes 3 flops per cycle; this one comes close on L1-resident panels
// (BenchmarkMicroKernel).
var generic = &kernel{name: "generic", mr: 2, nr: 4, micro: microGeneric, partialTiles: true}

// microGeneric is the portable 2×4 micro-kernel. Its depth loop is unrolled
// four times and walks a and b by reslicing, so that the compiler can prove
// every index in bounds from the loop condition and drops all checks.
func microGeneric(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int) {
	c00, c01, c02, c03, c10, c11, c12, c13 := dot2x4(a[:kc*2], b[:kc*4])
	if rows == 2 && cols == 4 {
		storeRow4(c[:4], c00, c01, c02, c03, beta)
		storeRow4(c[ldc:ldc+4], c10, c11, c12, c13, beta)
		return
	}
	acc := [2][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}}
	for i := range rows {
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			v := acc[i][j]
			if beta != 0 {
				v += beta * row[j]
			}
			row[j] = v
		}
	}
}

// storeRow4 sets row = (v0, v1, v2, v3) + beta*row; beta == 0 does not read
// row, so that NaNs in C do not propagate.
func storeRow4(row []float32, v0, v1, v2, v3, beta float32) {
	row = row[:4]
	if beta != 0 {
		v0 += beta * row[0]
		v1 += beta * row[1]
		v2 += beta * row[2]
		v3 += beta * row[3]
	}
	row[0], row[1], row[2], row[3] = v0, v1, v2, v3
}

// dot2x4 returns the 2×4 tile of products of packed panels a (2 wide) and
// b (4 wide). It is a function of its own so that nothing else is live in
// the loop: the tile, one product and six loaded values take all fifteen
// registers amd64 offers.
//
//go:noinline
func dot2x4(a, b []float32) (c00, c01, c02, c03, c10, c11, c12, c13 float32) {
	for len(a) >= 8 && len(b) >= 16 {
		a0, a1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a0, a1 = a[2], a[3]
		b0, b1, b2, b3 = b[4], b[5], b[6], b[7]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a0, a1 = a[4], a[5]
		b0, b1, b2, b3 = b[8], b[9], b[10], b[11]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a0, a1 = a[6], a[7]
		b0, b1, b2, b3 = b[12], b[13], b[14], b[15]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a, b = a[8:], b[16:]
	}
	for len(a) >= 2 && len(b) >= 4 {
		a0, a1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a, b = a[2:], b[4:]
	}
	return c00, c01, c02, c03, c10, c11, c12, c13
}
