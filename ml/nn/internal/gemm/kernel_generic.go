package gemm

// The portable micro-kernels are scalar Go, so their speed is set by how
// many values stay in registers; the tile is chosen per architecture by
// its floating-point register count (kernel_generic_regs*.go).
//
// amd64 gives the compiler 15 floating-point registers (X15 is reserved):
// a 2×4 tile needs 8 accumulators, 2 values of A, 4 of B and one product,
// and so never spills, while a 4×4 tile spills most of its accumulators on
// every step and runs at about two thirds of the speed. Without FMA (the
// default GOAMD64=v1) each multiply-add is a MULSS and an ADDSS; two of
// each issue per cycle, so 4 flops per cycle per core is the ceiling of
// any scalar kernel there, and the 2×4 tile (6 loads, 8 MULSS, 8 ADDSS and
// the register copies MULSS's destructive form needs) gets within 1.5–2×
// of it.
//
// arm64, riscv64, ppc64 and loong64 have 32 registers and a fused
// multiply-add, which the compiler emits for c += a*b. There a 2×4 tile
// would be bound by latency, not throughput: 8 independent accumulators
// cannot keep 4 FMA pipes with a 4-cycle latency (Apple M-series,
// Neoverse V1/V2) busy, which takes 16. The 4×4 tile has 16 accumulators,
// 4 values of A and 4 of B in 24 registers, and does 16 FMAs per 8 loads
// instead of 8 per 6.
//
// Both depth loops are unrolled four times and walk a and b by reslicing,
// so that the compiler proves every index in bounds from the loop
// condition and drops all checks.

// micro2x4 is the portable 2×4 micro-kernel (see kernel.micro).
func micro2x4(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int) {
	var acc [2][4]float32
	tile2x4(a[:kc*2], b[:kc*4], &acc)
	storeTile(acc[:rows], c, ldc, beta, cols)
}

// micro4x4 is the portable 4×4 micro-kernel (see kernel.micro).
func micro4x4(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int) {
	var acc [4][4]float32
	tile4x4(a[:kc*4], b[:kc*4], &acc)
	storeTile(acc[:rows], c, ldc, beta, cols)
}

// storeTile sets the first cols columns of row i of c to acc[i] +
// beta*c; beta == 0 does not read c, so that NaNs in C do not propagate.
func storeTile(acc [][4]float32, c []float32, ldc int, beta float32, cols int) {
	for i, v := range acc {
		if cols == 4 {
			storeRow4(c[i*ldc:i*ldc+4], v, beta)
			continue
		}
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			sum := v[j]
			if beta != 0 {
				sum += beta * row[j]
			}
			row[j] = sum
		}
	}
}

// storeRow4 sets row = v + beta*row without reading row when beta == 0.
func storeRow4(row []float32, v [4]float32, beta float32) {
	row = row[:4]
	if beta != 0 {
		v[0] += beta * row[0]
		v[1] += beta * row[1]
		v[2] += beta * row[2]
		v[3] += beta * row[3]
	}
	row[0], row[1], row[2], row[3] = v[0], v[1], v[2], v[3]
}
