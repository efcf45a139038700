// AVX2 inner-product kernel for C = A·Bᵀ with both operands read in
// place (rows contiguous along K). Generated from a template; keep the
// blocks uniform when editing.

#include "textflag.h"

// tailMask<>+4*(8-r) is a vector whose first r lanes are all ones.
DATA tailMask<>+0(SB)/4, $0xffffffff
DATA tailMask<>+4(SB)/4, $0xffffffff
DATA tailMask<>+8(SB)/4, $0xffffffff
DATA tailMask<>+12(SB)/4, $0xffffffff
DATA tailMask<>+16(SB)/4, $0xffffffff
DATA tailMask<>+20(SB)/4, $0xffffffff
DATA tailMask<>+24(SB)/4, $0xffffffff
DATA tailMask<>+28(SB)/4, $0xffffffff
DATA tailMask<>+32(SB)/4, $0x00000000
DATA tailMask<>+36(SB)/4, $0x00000000
DATA tailMask<>+40(SB)/4, $0x00000000
DATA tailMask<>+44(SB)/4, $0x00000000
DATA tailMask<>+48(SB)/4, $0x00000000
DATA tailMask<>+52(SB)/4, $0x00000000
DATA tailMask<>+56(SB)/4, $0x00000000
DATA tailMask<>+60(SB)/4, $0x00000000
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// func dotAVX2(k int, a []float32, lda, rowsA int, b []float32, ldb, rowsB int, out []float32)
// out[i*3+j] = Σ_p a[i*lda+p]·b[j*ldb+p] for i < 3, j < 3 (out holds 12
// floats); rows past rowsA (rowsB) re-read row 0 and their sums are
// garbage the caller ignores. Accumulator for (i, j) is Y(i*3+j); A rows
// go to Y9-Y11, B rows to Y12, the tail mask to Y13.
TEXT ·dotAVX2(SB), NOSPLIT, $0-112
	MOVQ k+0(FP), BX
	MOVQ a_base+8(FP), R8
	MOVQ lda+32(FP), AX
	SHLQ $2, AX
	MOVQ rowsA+40(FP), DX
	LEAQ (R8)(AX*1), R9
	CMPQ DX, $2
	CMOVQLT R8, R9
	LEAQ (R9)(AX*1), R10
	CMPQ DX, $3
	CMOVQLT R8, R10
	MOVQ b_base+48(FP), R11
	MOVQ ldb+72(FP), AX
	SHLQ $2, AX
	MOVQ rowsB+80(FP), DX
	LEAQ (R11)(AX*1), R12
	CMPQ DX, $2
	CMOVQLT R11, R12
	LEAQ (R12)(AX*1), R13
	CMPQ DX, $3
	CMOVQLT R11, R13

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	XORQ CX, CX
	MOVQ BX, DX
	SHRQ $3, DX
	JZ tail

loop:
	VMOVUPS (R8)(CX*1), Y9
	VMOVUPS (R9)(CX*1), Y10
	VMOVUPS (R10)(CX*1), Y11
	VMOVUPS (R11)(CX*1), Y12
	VFMADD231PS Y12, Y9, Y0
	VFMADD231PS Y12, Y10, Y3
	VFMADD231PS Y12, Y11, Y6
	VMOVUPS (R12)(CX*1), Y12
	VFMADD231PS Y12, Y9, Y1
	VFMADD231PS Y12, Y10, Y4
	VFMADD231PS Y12, Y11, Y7
	VMOVUPS (R13)(CX*1), Y12
	VFMADD231PS Y12, Y9, Y2
	VFMADD231PS Y12, Y10, Y5
	VFMADD231PS Y12, Y11, Y8
	ADDQ $32, CX
	DECQ DX
	JNZ loop

tail:
	ANDQ $7, BX
	JZ reduce
	LEAQ tailMask<>+32(SB), AX
	SHLQ $2, BX
	SUBQ BX, AX
	VMOVUPS (AX), Y13
	VMASKMOVPS (R8)(CX*1), Y13, Y9
	VMASKMOVPS (R9)(CX*1), Y13, Y10
	VMASKMOVPS (R10)(CX*1), Y13, Y11
	VMASKMOVPS (R11)(CX*1), Y13, Y12
	VFMADD231PS Y12, Y9, Y0
	VFMADD231PS Y12, Y10, Y3
	VFMADD231PS Y12, Y11, Y6
	VMASKMOVPS (R12)(CX*1), Y13, Y12
	VFMADD231PS Y12, Y9, Y1
	VFMADD231PS Y12, Y10, Y4
	VFMADD231PS Y12, Y11, Y7
	VMASKMOVPS (R13)(CX*1), Y13, Y12
	VFMADD231PS Y12, Y9, Y2
	VFMADD231PS Y12, Y10, Y5
	VFMADD231PS Y12, Y11, Y8

reduce:
	// Horizontal sums four accumulators at a time; the ninth is summed
	// with itself as padding, filling out[8:12].
	MOVQ out_base+88(FP), DI
	VHADDPS Y1, Y0, Y12
	VHADDPS Y3, Y2, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	VMOVUPS X12, 0(DI)
	VHADDPS Y5, Y4, Y12
	VHADDPS Y7, Y6, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	VMOVUPS X12, 16(DI)
	VHADDPS Y8, Y8, Y12
	VHADDPS Y8, Y8, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	VMOVUPS X12, 32(DI)
	VZEROUPPER
	RET
