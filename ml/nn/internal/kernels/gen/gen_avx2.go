//go:build ignore

package main

// The AVX2 (+FMA) kernels: the AVX-512 ones redone with 8-lane registers,
// without mask registers. Vectors compare into lane masks and VBLENDVPS
// picks; partial blocks load and store through VMASKMOVPS with masks from
// laneMask; loops whose length the Go side can round (Adam, AddTo) leave
// the last n%8 elements to the portable loop.

import "fmt"

const (
	vecAVX2Doc = `// AVX2 vector add for col2im; the Go side adds the last n%8 elements.
`
	adamAVX2Doc = `// AVX2 Adam update; same operations, in the same order, as
// AdamStep.applyGo (no FMA), so results are bit-identical. The Go side
// updates the last n%8 parameters.
`
	poolAVX2Doc = `// AVX2 kernels for the forward ReLU + 2×2 max-pool and its gradient; the
// portable versions and the exact semantics are in pool.go.
`
	channelsLastAVX2Doc = `// AVX2 kernels for the channels-last convolution path, 32 channels: the
// sparse backward sums (as sparseWeightGradGo and sparseInputGradGo, every
// window processed, a window without gradient adding zero) and the
// padding to and from channels-last by 8×8 transposes.
`
)

const batchNormAVX2Doc = `// AVX2 batch-norm kernels, as batchnorm_amd64.s with 8-lane blocks, the
// partial one moved through VMASKMOVPS.
`

var avx2ISA = isa{
	name: "AVX2", reg: "Y", half: "X", lanes: 8,
	extractHigh: "VEXTRACTF128", zero: "VXORPS",
	tailMask:    func(a *asm) { a.loadMask("bnMask", "R10", 15) },
	maskedLoad:  func(a *asm, mem string, r int) { a.op("VMASKMOVPS %s, Y15, Y%d", mem, r) },
	maskedStore: func(a *asm, r int, mem string) { a.op("VMASKMOVPS Y%d, Y15, %s", r, mem) },
	table:       func(a *asm) { a.laneMask("bnMask") },
}

// laneMask defines the table name<>: 8 all-ones lanes then 8 zero lanes,
// so that name<>+4*(8-r) is a vector whose first r lanes are set.
func (a *asm) laneMask(name string) {
	a.line("")
	a.line("// %s<>+4*(8-r) is a vector whose first r lanes are all ones.", name)
	for i := range 16 {
		v := "0x00000000"
		if i < 8 {
			v = "0xffffffff"
		}
		a.line("DATA %s<>+%d(SB)/4, $%s", name, 4*i, v)
	}
	a.line("GLOBL %s<>(SB), RODATA|NOPTR, $64", name)
}

// loadMask sets Y(y) to the mask of the first count lanes (count a
// register holding 0..8), using AX and R13.
func (a *asm) loadMask(table, count string, y int) {
	a.op("LEAQ %s<>+32(SB), R13", table)
	a.op("MOVQ %s, AX", count)
	a.op("SHLQ $2, AX")
	a.op("SUBQ AX, R13")
	a.op("VMOVUPS (R13), Y%d", y)
}

func addToAVX2() string {
	a := newAsm()
	add := func(n int) { a.addRegs(n, 32, "Y") }
	a.line("")
	a.line("// func addToAVX2(dst, src *float32, n int)")
	a.line("// dst[i] += src[i] for i < n; n is a multiple of 8.")
	a.text("addToAVX2", 24)
	a.args("dst DI", "src SI", "n CX")
	a.ops("CMPQ CX, $32", "JLT tail")
	a.label("loop32")
	add(4)
	a.ops("SUBQ $32, CX", "CMPQ CX, $32", "JGE loop32")
	a.label("tail")
	a.ops("TESTQ CX, CX", "JZ done")
	add(1)
	a.ops("SUBQ $8, CX", "JMP tail")
	a.label("done")
	a.ret()
	return a.String()
}

func adamAVX2() string {
	a := newAsm()
	a.line("")
	a.line("// func adamAVX2(p, grad, m, v *float32, n int, k *AdamStep)")
	a.line("// n is a multiple of 8.")
	a.text("adamAVX2", 48)
	a.args("p DI", "grad SI", "m R8", "v R9", "n CX", "k AX")
	a.col = 25
	for i, field := range []string{"b2", "1-b1", "1-b2", "stepSize", "1/sqrt(bc2)", "eps"} {
		a.op("VBROADCASTSS %d(AX), Y%d // %s", 4*i, 10+i, field)
	}
	a.label("loop")
	a.ops("TESTQ CX, CX", "JZ done")
	a.col = 23
	ptrs := []string{"SI", "R8", "R9", "DI"}
	for i, name := range []string{"g", "m", "v", "p"} {
		a.op("VMOVUPS (%s), Y%d // %s", ptrs[i], i, name)
	}
	a.adamMath("Y")
	for i := 1; i < 4; i++ {
		a.op("VMOVUPS Y%d, (%s)", i, ptrs[i])
	}
	for _, p := range ptrs {
		a.op("ADDQ $32, %s", p)
	}
	a.ops("SUBQ $8, CX", "JMP loop")
	a.label("done")
	a.ret()
	return a.String()
}

// splatY broadcasts the integer constant v to every lane of Y(y).
func (a *asm) splatY(v string, y int, comment string) {
	a.op("MOVL $%s, AX", v)
	a.op("MOVQ AX, X%d", y)
	a.op("VPBROADCASTD X%d, Y%d%s", y, y, note(comment))
}

// poolBlockAVX2 opens the row pair and block loops of the AVX2 pooling
// kernels: BX is the block's first output in the row, CX its outputs
// (min(R10-BX, 8)), DX twice that, the inputs of each of its rows.
func (a *asm) poolBlockAVX2(rowpair, block string) {
	a.label(rowpair)
	a.op("XORQ BX, BX")
	a.label(block)
	a.ops("MOVQ R10, CX", "SUBQ BX, CX", "MOVQ $8, AX", "CMPQ CX, AX", "CMOVQGT AX, CX")
	a.op("LEAQ (CX)(CX*1), DX")
}

// inputMasks sets Y(lo) to the mask of min(DX, 8) lanes and Y(hi) to that
// of max(DX-8, 0), using R14.
func (a *asm) inputMasks(lo, hi int) {
	a.ops("MOVQ DX, R14", "MOVQ $8, AX", "CMPQ R14, AX", "CMOVQGT AX, R14")
	a.loadMask("poolMask", "R14", lo)
	a.ops("MOVQ DX, R14", "SUBQ $8, R14", "XORQ AX, AX", "CMPQ R14, AX", "CMOVQLT AX, R14")
	a.loadMask("poolMask", "R14", hi)
}

// poolAVX2: as pool, 8 windows per block. VSHUFPS picks the even (odd)
// floats of two registers lane by lane and VPERMPD puts the 64-bit pairs
// back in order.
func poolAVX2() string {
	a := newAsm()
	a.laneMask("poolMask")
	a.line("")
	a.line("// func poolPlaneAVX2(src, out *float32, arg *uint8, rows, w int, bias float32)")
	a.line("// Pools rows row pairs of width w (even) from src into rows×(w/2) outputs")
	a.line("// and window positions, 8 outputs per iteration (masked at the row end).")
	a.text("poolPlaneAVX2", 44)
	a.args("src SI", "out DI", "arg R8", "rows R12", "w R11")
	a.op("VBROADCASTSS bias+40(FP), Y15")
	a.poolRows("input row bytes")
	a.op("VXORPS Y14, Y14, Y14 // 0.0 and int 0")
	a.splatY("1", 13, "")
	a.splatY("2", 12, "")
	a.splatY("3", 11, "")
	a.splatY("4", 10, "poolNoGrad")
	a.splatY("0x7fc00000", 9, "quiet NaN")

	a.poolBlockAVX2("rowpair", "block")
	a.inputMasks(8, 7)
	a.op("LEAQ (SI)(BX*8), AX")
	a.ops("VMASKMOVPS (AX), Y8, Y0", "VMASKMOVPS 32(AX), Y7, Y1")
	a.op("ADDQ R11, AX")
	a.ops("VMASKMOVPS (AX), Y8, Y2", "VMASKMOVPS 32(AX), Y7, Y3")
	for i, s := range []struct {
		lo, hi, out int
		imm, what   string
	}{{0, 1, 4, "0x88", "a: top left"}, {0, 1, 5, "0xdd", "b: top right"}, {2, 3, 6, "0x88", "c: bottom left"}, {2, 3, 7, "0xdd", "d: bottom right"}} {
		_ = i
		a.op("VSHUFPS $%s, Y%d, Y%d, Y%d", s.imm, s.hi, s.lo, s.out)
		a.op("VPERMPD $0xd8, Y%d, Y%d // %s", s.out, s.out, s.what)
	}
	abcd := []int{4, 5, 6, 7}
	for _, y := range abcd {
		a.op("VADDPS Y15, Y%d, Y%d", y, y)
	}
	a.op("VCMPPS $3, Y5, Y4, Y0 // unordered: a or b is NaN")
	a.ops("VCMPPS $3, Y7, Y6, Y1", "VORPS Y1, Y0, Y0")
	relu := "ReLU"
	for _, y := range abcd {
		a.op("VMAXPS Y14, Y%d, Y%d%s", y, y, note(relu))
		relu = ""
	}
	a.op("VXORPS Y2, Y2, Y2 // winning position")
	a.col = 25
	for i, pos := range []int{13, 12, 11} {
		y := abcd[i+1]
		a.op("VCMPPS $0x1e, Y4, Y%d, Y3 // %c > m", y, 'b'+i)
		a.op("VBLENDVPS Y3, Y%d, Y4, Y4", y)
		a.op("VBLENDVPS Y3, Y%d, Y2, Y2", pos)
	}
	a.op("VCMPPS $0, Y14, Y4, Y3 // m == 0: no gradient")
	a.col = 24
	a.ops("VBLENDVPS Y3, Y10, Y2, Y2", "VBLENDVPS Y0, Y9, Y4, Y4")
	a.op("VEXTRACTI128 $1, Y2, X3")
	a.op("VPACKSSDW X3, X2, X2")
	a.op("VPACKUSWB X2, X2, X2 // the 8 positions as bytes")
	a.ops("LEAQ (DI)(BX*4), AX", "LEAQ (R8)(BX*1), R14")
	a.ops("CMPQ CX, $8", "JLT partial")
	a.ops("VMOVUPS Y4, (AX)", "MOVQ X2, (R14)", "JMP next")
	a.label("partial")
	a.loadMask("poolMask", "CX", 3)
	// loadMask used AX: recompute the output address.
	a.ops("LEAQ (DI)(BX*4), AX", "VMASKMOVPS Y4, Y3, (AX)", "MOVQ X2, AX")
	a.label("bytes")
	a.ops("MOVB AL, (R14)", "SHRQ $8, AX", "INCQ R14", "DECQ CX", "JNZ bytes")
	a.label("next")
	a.ops("ADDQ $8, BX", "CMPQ BX, R10", "JLT block")
	a.ops("LEAQ (SI)(R11*2), SI", "LEAQ (DI)(R10*4), DI", "ADDQ R10, R8", "DECQ R12", "JNZ rowpair")
	a.ret()
	return a.String()
}

// unpoolAVX2: as unpool, 8 pooled values per block; VUNPCKLPS/VUNPCKHPS
// and VPERM2F128 interleave the corners back in row order. Sums use the
// first 8 of the 16 lanes.
func unpoolAVX2() string {
	a := newAsm()
	a.line("")
	a.line("// func unpoolPlaneAVX2(grad *float32, arg *uint8, dst *float32, rows, w int, sums *[16]float32)")
	a.line("// Writes rows row pairs of width w of dst: each pooled gradient goes to")
	a.line("// its window's winning position, zeros elsewhere; the gradients that pass")
	a.line("// are added to sums[0:8] lane by lane.")
	a.text("unpoolPlaneAVX2", 48)
	a.args("grad SI", "arg R8", "dst DI", "rows R12", "w R11", "sums R9")
	a.op("VMOVUPS (R9), Y10")
	a.poolRows("row bytes")
	a.op("VXORPS Y15, Y15, Y15 // 0")
	position := []int{15, 14, 13, 12}
	for i, y := range position[1:] {
		a.splatY(fmt.Sprint(i+1), y, "")
	}
	a.splatY("4", 11, "")

	a.poolBlockAVX2("urowpair", "ublock")
	a.loadMask("poolMask", "CX", 0)
	a.ops("LEAQ (SI)(BX*4), AX", "VMASKMOVPS (AX), Y0, Y9 // g")
	a.ops("LEAQ (R8)(BX*1), R14", "CMPQ CX, $8", "JLT ubytes")
	a.op("VPMOVZXBD (R14), Y8 // positions")
	a.op("JMP upositions")
	a.label("ubytes")
	a.op("// A partial block reads its positions byte by byte; the lanes past")
	a.op("// the row end get position 0 and (masked) gradient 0.")
	a.ops("XORQ AX, AX", "MOVQ CX, R15")
	a.label("ubyte")
	a.ops("SHLQ $8, AX", "MOVBQZX -1(R14)(R15*1), R13", "ORQ R13, AX", "DECQ R15", "JNZ ubyte")
	a.ops("MOVQ AX, X8", "VPMOVZXBD X8, Y8")
	a.label("upositions")
	a.op("VPCMPGTD Y8, Y11, Y0 // position < 4: gradient passes")
	a.ops("VANDPS Y9, Y0, Y0", "VADDPS Y0, Y10, Y10")
	for i, corner := range []string{"top left", "top right", "bottom left", "bottom right"} {
		a.op("VPCMPEQD Y%d, Y8, Y%d", position[i], i)
		a.op("VANDPS Y9, Y%d, Y%d // %s", i, i, corner)
	}
	for r, pair := range [][2]int{{0, 1}, {2, 3}} {
		lo, hi := 4+2*r, 5+2*r
		a.op("VUNPCKLPS Y%d, Y%d, Y%d", pair[1], pair[0], lo)
		a.op("VUNPCKHPS Y%d, Y%d, Y%d", pair[1], pair[0], hi)
		a.op("VPERM2F128 $0x20, Y%d, Y%d, Y%d", hi, lo, pair[0])
		a.op("VPERM2F128 $0x31, Y%d, Y%d, Y%d", hi, lo, pair[1])
	}
	a.ops("CMPQ CX, $8", "JLT upartial")
	a.op("LEAQ (DI)(BX*8), AX")
	a.ops("VMOVUPS Y0, (AX)", "VMOVUPS Y1, 32(AX)", "ADDQ R11, AX", "VMOVUPS Y2, (AX)", "VMOVUPS Y3, 32(AX)")
	a.op("JMP unext")
	a.label("upartial")
	a.inputMasks(8, 7)
	a.op("LEAQ (DI)(BX*8), AX")
	a.ops("VMASKMOVPS Y0, Y8, (AX)", "VMASKMOVPS Y1, Y7, 32(AX)", "ADDQ R11, AX", "VMASKMOVPS Y2, Y8, (AX)", "VMASKMOVPS Y3, Y7, 32(AX)")
	a.label("unext")
	a.ops("ADDQ $8, BX", "CMPQ BX, R10", "JLT ublock")
	a.ops("ADDQ R10, R8", "LEAQ (SI)(R10*4), SI", "LEAQ (DI)(R11*2), DI", "DECQ R12", "JNZ urowpair")
	a.op("VMOVUPS Y10, (R9)")
	a.ret()
	return a.String()
}

// neighbourhoodY addresses register i (of 12) of row r of the 32-channel
// neighbourhood whose corner is BX.
func neighbourhoodY(r, i int) string {
	return fmt.Sprintf("%d(BX)%s", 32*i, []string{"", "(R9*1)", "(R10*1)"}[r])
}

// gradToY12 broadcasts the gradient bits in R11 to Y12.
var gradToY12 = []string{"MOVQ R11, X12", "VPBROADCASTD X12, Y12"}

// sparseWeightGradAVX2: the [3][3][32] weight gradient is 36 registers, so
// one call handles one kernel row (12 registers, Y0-Y11): the Go side calls
// it three times with xp and acc moved down by a row.
func sparseWeightGradAVX2() string {
	a := newAsm()
	a.line("")
	a.line("// One kernel row: acc ([3][32]) += g times row 0 of each neighbourhood.")
	a.sparseStart("sparseWeightGradAVX2", "xp")
	for y := range 12 {
		a.op("VMOVUPS %d(DX), Y%d", 32*y, y)
	}
	a.window("wrow", "wwin", false, gradToY12...)
	for y := range 12 {
		a.op("VFMADD231PS %s, Y12, Y%d", neighbourhoodY(0, y), y)
	}
	a.windowNext("wrow", "wwin")
	a.line("")
	for y := range 12 {
		a.op("VMOVUPS Y%d, %d(DX)", y, 32*y)
	}
	a.ret()
	return a.String()
}

// sparseInputGradAVX2 adds g times the weights (read from memory at DX) to
// each neighbourhood of the input gradient, a row (Y0-Y11) at a time.
func sparseInputGradAVX2() string {
	a := newAsm()
	a.line("")
	a.line("// In sparseInputGradAVX2 the third argument is the channel's weights")
	a.line("// ([3][3][32]) and acc the padded input gradient.")
	a.sparseStart("sparseInputGradAVX2", "wt")
	a.op("XCHGQ DI, DX // DI walks the input gradient, DX holds the weights")
	a.window("irow", "iwin", false, gradToY12...)
	for r := range 3 {
		for i := range 12 {
			a.op("VMOVUPS %s, Y%d", neighbourhoodY(r, i), i)
		}
		for i := range 12 {
			a.op("VFMADD231PS %d(DX), Y12, Y%d", 32*(12*r+i), i)
		}
		for i := range 12 {
			a.op("VMOVUPS Y%d, %s", i, neighbourhoodY(r, i))
		}
	}
	a.windowNext("irow", "iwin")
	a.ret()
	return a.String()
}

// transpose8 transposes the 8×8 block of floats in Y0-Y7 (row i in Y(i))
// into Y8-Y15 (column j in Y(8+j)).
func (a *asm) transpose8() {
	for p := range 4 {
		r0, r1 := 2*p, 2*p+1
		a.op("VUNPCKLPS Y%d, Y%d, Y%d", r1, r0, 8+2*p)
		a.op("VUNPCKHPS Y%d, Y%d, Y%d", r1, r0, 9+2*p)
	}
	// Y(4h+0..3) = columns {0,4}, {1,5}, {2,6}, {3,7} of rows 4h..4h+3.
	for h := range 2 {
		t := 8 + 4*h
		a.op("VSHUFPS $0x44, Y%d, Y%d, Y%d", t+2, t, 4*h)
		a.op("VSHUFPS $0xee, Y%d, Y%d, Y%d", t+2, t, 4*h+1)
		a.op("VSHUFPS $0x44, Y%d, Y%d, Y%d", t+3, t+1, 4*h+2)
		a.op("VSHUFPS $0xee, Y%d, Y%d, Y%d", t+3, t+1, 4*h+3)
	}
	for j := range 4 {
		a.op("VPERM2F128 $0x20, Y%d, Y%d, Y%d", 4+j, j, 8+j)
		a.op("VPERM2F128 $0x31, Y%d, Y%d, Y%d", 4+j, j, 12+j)
	}
}

// padAVX2 writes padInteriorAVX2 (toPadded) or unpadInteriorAVX2. Both
// walk the image row by row in blocks of 8 pixels (the last block moved
// back to end at the row's end, overlapping the one before: w >= 8) and
// transpose, per block, four 8×8 blocks of 8 pixels by 8 channels.
func padAVX2(toPadded bool) string {
	name := "unpadInteriorAVX2"
	if toPadded {
		name = "padInteriorAVX2"
	}
	a := newAsm()
	a.line("")
	a.line("// func %s(src, dst *float32, h, w int)", name)
	if toPadded {
		a.line("// dst[((y+1)(w+2) + x+1)·32 + ch] = src[(ch·h + y)·w + x]; w >= 8.")
	} else {
		a.line("// dst[(ch·h + y)·w + x] = src[((y+1)(w+2) + x+1)·32 + ch]; w >= 8.")
	}
	a.text(name, 32)
	planes, padded := "SI", "DI"
	if !toPadded {
		planes, padded = "DI", "SI"
	}
	a.args("src SI", "dst DI", "h R12", "w R13")
	a.ops("MOVQ R12, R10", "IMULQ R13, R10")
	a.op("SHLQ $2, R10 // R10 = bytes of a channel plane")
	a.op("LEAQ (R10)(R10*2), R14 // three planes")
	a.op("LEAQ 2(R13), R11")
	a.op("SHLQ $7, R11 // R11 = padded row bytes")
	a.op("LEAQ 128(%s)(R11*1), %s // pixel (1,1)", padded, padded)
	a.op("LEAQ -8(R13), R15 // the last block's first pixel")
	a.label("row")
	a.op("XORQ BX, BX // x")
	a.label("blk")
	a.ops("CMPQ BX, R15", "CMOVQGT R15, BX")
	a.op("LEAQ (%s)(BX*4), CX // channel 0, pixel x of the planes", planes)
	a.ops("MOVQ BX, DX", "SHLQ $7, DX")
	a.op("ADDQ %s, DX // pixel x of the padded row", padded)
	planeRow := []string{"(CX)", "(CX)(R10*1)", "(CX)(R10*2)", "(CX)(R14*1)", "(R8)", "(R8)(R10*1)", "(R8)(R10*2)", "(R8)(R14*1)"}
	for g := range 4 {
		a.op("LEAQ (CX)(R10*4), R8")
		for i := range 8 {
			if toPadded {
				a.op("VMOVUPS %s, Y%d", planeRow[i], i)
			} else {
				a.op("VMOVUPS %d(DX), Y%d", 128*i+32*g, i)
			}
		}
		a.transpose8()
		for j := range 8 {
			if toPadded {
				a.op("VMOVUPS Y%d, %d(DX)", 8+j, 128*j+32*g)
			} else {
				a.op("VMOVUPS Y%d, %s", 8+j, planeRow[j])
			}
		}
		if g < 3 {
			a.op("LEAQ (CX)(R10*8), CX // the next 8 channels")
		}
	}
	a.ops("ADDQ $8, BX", "CMPQ BX, R13", "JLT blk")
	a.op("LEAQ (%s)(R13*4), %s", planes, planes)
	a.op("ADDQ R11, %s", padded)
	a.ops("DECQ R12", "JNZ row")
	a.ret()
	return a.String()
}
