// AVX-512 kernel for the forward ReLU + 2×2 max-pool (AVX512F only); the
// portable version and the exact semantics are in pool.go.

#include "textflag.h"

// Gather indices that split 32 consecutive floats (two registers) into the
// even and the odd ones.
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

// func poolPlaneAVX512(src, out *float32, arg *uint8, rows, w int, bias float32)
// Pools rows row pairs of width w (even) from src into rows×(w/2) outputs
// and window positions, 16 outputs per iteration (masked at the row end).
TEXT ·poolPlaneAVX512(SB), NOSPLIT, $0-44
	MOVQ src+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ arg+16(FP), R8
	MOVQ rows+24(FP), R12
	MOVQ w+32(FP), R11
	VBROADCASTSS bias+40(FP), Z15
	MOVQ R11, R10
	SHRQ $1, R10            // R10 = outputs per row
	SHLQ $2, R11            // R11 = input row bytes
	VPXORD Z14, Z14, Z14    // 0.0 and int 0
	VMOVDQU32 poolEven<>(SB), Z13
	VMOVDQU32 poolOdd<>(SB), Z12
	MOVL $1, AX
	VPBROADCASTD AX, Z11
	MOVL $2, AX
	VPBROADCASTD AX, Z10
	MOVL $3, AX
	VPBROADCASTD AX, Z9
	MOVL $4, AX
	VPBROADCASTD AX, Z8     // poolNoGrad
	MOVL $0x7fc00000, AX
	VPBROADCASTD AX, Z7     // quiet NaN

rowpair:
	XORQ BX, BX             // output index in the row

block:
	MOVQ R10, CX
	SUBQ BX, CX
	CMPQ CX, $16
	JLE  masks
	MOVQ $16, CX

masks:
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1            // outputs
	SHLQ $1, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K2            // inputs 0-15
	SHRQ $16, AX
	KMOVW AX, K3            // inputs 16-31

	LEAQ (SI)(BX*8), AX
	VMOVUPS.Z (AX), K2, Z0
	VMOVUPS.Z 64(AX), K3, Z1
	ADDQ R11, AX
	VMOVUPS.Z (AX), K2, Z2
	VMOVUPS.Z 64(AX), K3, Z3

	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z13, Z4   // a: top left
	VPERMT2PS Z1, Z12, Z0   // b: top right
	VMOVAPS Z2, Z5
	VPERMT2PS Z3, Z13, Z5   // c: bottom left
	VPERMT2PS Z3, Z12, Z2   // d: bottom right

	VADDPS Z15, Z4, Z4
	VADDPS Z15, Z0, Z0
	VADDPS Z15, Z5, Z5
	VADDPS Z15, Z2, Z2
	VCMPPS $3, Z0, Z4, K4   // unordered: a or b is NaN
	VCMPPS $3, Z2, Z5, K5
	KORW K4, K5, K4
	VMAXPS Z14, Z4, Z4      // ReLU
	VMAXPS Z14, Z0, Z0
	VMAXPS Z14, Z5, Z5
	VMAXPS Z14, Z2, Z2

	VPXORD Z6, Z6, Z6       // winning position
	VCMPPS $0x1e, Z4, Z0, K6 // b > m
	VMOVAPS Z0, K6, Z4
	VMOVDQA32 Z11, K6, Z6
	VCMPPS $0x1e, Z4, Z5, K6 // c > m
	VMOVAPS Z5, K6, Z4
	VMOVDQA32 Z10, K6, Z6
	VCMPPS $0x1e, Z4, Z2, K6 // d > m
	VMOVAPS Z2, K6, Z4
	VMOVDQA32 Z9, K6, Z6
	VCMPPS $0, Z14, Z4, K6   // m == 0: no gradient
	VMOVDQA32 Z8, K6, Z6
	VMOVAPS Z7, K4, Z4

	LEAQ (DI)(BX*4), AX
	VMOVUPS Z4, K1, (AX)
	LEAQ (R8)(BX*1), AX
	VPMOVDB Z6, K1, (AX)

	ADDQ $16, BX
	CMPQ BX, R10
	JLT  block

	LEAQ (SI)(R11*2), SI
	LEAQ (DI)(R10*4), DI
	ADDQ R10, R8
	DECQ R12
	JNZ  rowpair

	VZEROUPPER
	RET

// Indices that interleave two registers a, b into a0 b0 a1 b1 ... (low
// half, then high half).
DATA poolZipLo<>+0(SB)/4, $0
DATA poolZipLo<>+4(SB)/4, $16
DATA poolZipLo<>+8(SB)/4, $1
DATA poolZipLo<>+12(SB)/4, $17
DATA poolZipLo<>+16(SB)/4, $2
DATA poolZipLo<>+20(SB)/4, $18
DATA poolZipLo<>+24(SB)/4, $3
DATA poolZipLo<>+28(SB)/4, $19
DATA poolZipLo<>+32(SB)/4, $4
DATA poolZipLo<>+36(SB)/4, $20
DATA poolZipLo<>+40(SB)/4, $5
DATA poolZipLo<>+44(SB)/4, $21
DATA poolZipLo<>+48(SB)/4, $6
DATA poolZipLo<>+52(SB)/4, $22
DATA poolZipLo<>+56(SB)/4, $7
DATA poolZipLo<>+60(SB)/4, $23
GLOBL poolZipLo<>(SB), RODATA|NOPTR, $64

DATA poolZipHi<>+0(SB)/4, $8
DATA poolZipHi<>+4(SB)/4, $24
DATA poolZipHi<>+8(SB)/4, $9
DATA poolZipHi<>+12(SB)/4, $25
DATA poolZipHi<>+16(SB)/4, $10
DATA poolZipHi<>+20(SB)/4, $26
DATA poolZipHi<>+24(SB)/4, $11
DATA poolZipHi<>+28(SB)/4, $27
DATA poolZipHi<>+32(SB)/4, $12
DATA poolZipHi<>+36(SB)/4, $28
DATA poolZipHi<>+40(SB)/4, $13
DATA poolZipHi<>+44(SB)/4, $29
DATA poolZipHi<>+48(SB)/4, $14
DATA poolZipHi<>+52(SB)/4, $30
DATA poolZipHi<>+56(SB)/4, $15
DATA poolZipHi<>+60(SB)/4, $31
GLOBL poolZipHi<>(SB), RODATA|NOPTR, $64

// func unpoolPlaneAVX512(grad *float32, arg *uint8, dst *float32, rows, w int, sums *[16]float32)
// Writes rows row pairs of width w of dst: each pooled gradient goes to
// its window's winning position, zeros elsewhere; the gradients that pass
// are added to sums lane by lane.
TEXT ·unpoolPlaneAVX512(SB), NOSPLIT, $0-48
	MOVQ grad+0(FP), SI
	MOVQ arg+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ rows+24(FP), R12
	MOVQ w+32(FP), R11
	MOVQ sums+40(FP), R9
	VMOVUPS (R9), Z9
	MOVQ R11, R10
	SHRQ $1, R10            // R10 = outputs per row
	SHLQ $2, R11            // R11 = row bytes
	VMOVDQU32 poolZipLo<>(SB), Z13
	VMOVDQU32 poolZipHi<>(SB), Z12
	VPXORD Z14, Z14, Z14    // 0
	MOVL $1, AX
	VPBROADCASTD AX, Z11
	MOVL $2, AX
	VPBROADCASTD AX, Z10
	MOVL $3, AX
	VPBROADCASTD AX, Z8
	MOVL $4, AX
	VPBROADCASTD AX, Z7

urowpair:
	XORQ BX, BX

ublock:
	MOVQ R10, CX
	SUBQ BX, CX
	CMPQ CX, $16
	JLE  umasks
	MOVQ $16, CX

umasks:
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1            // pooled values
	SHLQ $1, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K2            // row values 0-15
	SHRQ $16, AX
	KMOVW AX, K3            // row values 16-31

	LEAQ (SI)(BX*4), AX
	VMOVUPS.Z (AX), K1, Z0  // g
	LEAQ (R8)(BX*1), AX
	VPMOVZXBD.Z (AX), K1, Z1 // positions

	VPCMPUD $1, Z7, Z1, K5  // position < 4: gradient passes
	VADDPS Z0, Z9, K5, Z9

	VPCMPEQD Z14, Z1, K4
	VMOVAPS.Z Z0, K4, Z2    // top left
	VPCMPEQD Z11, Z1, K4
	VMOVAPS.Z Z0, K4, Z3    // top right
	VPCMPEQD Z10, Z1, K4
	VMOVAPS.Z Z0, K4, Z4    // bottom left
	VPCMPEQD Z8, Z1, K4
	VMOVAPS.Z Z0, K4, Z5    // bottom right

	VMOVAPS Z2, Z6
	VPERMT2PS Z3, Z13, Z6   // top row, first 16
	VPERMT2PS Z3, Z12, Z2   // top row, next 16
	VMOVAPS Z4, Z15
	VPERMT2PS Z5, Z13, Z15  // bottom row, first 16
	VPERMT2PS Z5, Z12, Z4   // bottom row, next 16

	LEAQ (DI)(BX*8), AX
	VMOVUPS Z6, K2, (AX)
	VMOVUPS Z2, K3, 64(AX)
	ADDQ R11, AX
	VMOVUPS Z15, K2, (AX)
	VMOVUPS Z4, K3, 64(AX)

	ADDQ $16, BX
	CMPQ BX, R10
	JLT  ublock

	ADDQ R10, R8
	LEAQ (SI)(R10*4), SI
	LEAQ (DI)(R11*2), DI
	DECQ R12
	JNZ  urowpair

	VMOVUPS Z9, (R9)
	VZEROUPPER
	RET
