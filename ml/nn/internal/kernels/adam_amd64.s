// AVX-512 Adam update (AVX512F only); same operations, in the same order,
// as AdamStep.applyGo, so results are bit-identical.

#include "textflag.h"

// func adamAVX512(p, grad, m, v *float32, n int, k *AdamStep)
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), AX
	VBROADCASTSS 0(AX), Z10  // b2
	VBROADCASTSS 4(AX), Z11  // 1-b1
	VBROADCASTSS 8(AX), Z12  // 1-b2
	VBROADCASTSS 12(AX), Z13 // stepSize
	VBROADCASTSS 16(AX), Z14 // 1/sqrt(bc2)
	VBROADCASTSS 20(AX), Z15 // eps
	MOVQ $0xffff, AX
	KMOVW AX, K1

loop:
	CMPQ CX, $16
	JGE  full
	TESTQ CX, CX
	JZ   done
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	MOVQ $16, CX

full:
	VMOVUPS.Z (SI), K1, Z0 // g
	VMOVUPS.Z (R8), K1, Z1 // m
	VMOVUPS.Z (R9), K1, Z2 // v
	VMOVUPS.Z (DI), K1, Z3 // p
	VSUBPS Z1, Z0, Z4      // g-m
	VMULPS Z11, Z4, Z4     // (1-b1)(g-m)
	VADDPS Z4, Z1, Z1      // m
	VMULPS Z10, Z2, Z2     // b2*v
	VMULPS Z12, Z0, Z5     // (1-b2)*g
	VMULPS Z0, Z5, Z5      // (1-b2)*g*g
	VADDPS Z5, Z2, Z2      // v
	VSQRTPS Z2, Z6
	VMULPS Z14, Z6, Z6
	VADDPS Z15, Z6, Z6     // denom
	VMULPS Z13, Z1, Z7     // stepSize*m
	VDIVPS Z6, Z7, Z7
	VSUBPS Z7, Z3, Z3
	VMOVUPS Z1, K1, (R8)
	VMOVUPS Z2, K1, (R9)
	VMOVUPS Z3, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop

done:
	VZEROUPPER
	RET
