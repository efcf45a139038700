// Panel packing of row-major B (see packB): AVX2 moves, so both vector
// paths can use it.

#include "textflag.h"

// func packPanels32(dst, src []float32, ld, rows, panels int)
// For p < rows, q < panels: dst[q*rows*32 + p*32 + j] = src[p*ld + q*32 + j], j < 32.
TEXT ·packPanels32(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ ld+48(FP), AX
	SHLQ $2, AX
	MOVQ rows+56(FP), CX
	MOVQ panels+64(FP), DX
	TESTQ CX, CX
	JZ done
	TESTQ DX, DX
	JZ done
	MOVQ CX, R8
	SHLQ $7, R8 // panel stride in bytes

row:
	MOVQ SI, R9
	MOVQ DI, R10
	MOVQ DX, R11

panel:
	VMOVUPS 0(R9), Y0
	VMOVUPS 32(R9), Y1
	VMOVUPS 64(R9), Y2
	VMOVUPS 96(R9), Y3
	VMOVUPS Y0, 0(R10)
	VMOVUPS Y1, 32(R10)
	VMOVUPS Y2, 64(R10)
	VMOVUPS Y3, 96(R10)
	ADDQ $128, R9
	ADDQ R8, R10
	DECQ R11
	JNZ panel
	ADDQ AX, SI
	ADDQ $128, DI
	DECQ CX
	JNZ row

done:
	VZEROUPPER
	RET

// func packPanels16(dst, src []float32, ld, rows, panels int)
// For p < rows, q < panels: dst[q*rows*16 + p*16 + j] = src[p*ld + q*16 + j], j < 16.
TEXT ·packPanels16(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ ld+48(FP), AX
	SHLQ $2, AX
	MOVQ rows+56(FP), CX
	MOVQ panels+64(FP), DX
	TESTQ CX, CX
	JZ done
	TESTQ DX, DX
	JZ done
	MOVQ CX, R8
	SHLQ $6, R8 // panel stride in bytes

row:
	MOVQ SI, R9
	MOVQ DI, R10
	MOVQ DX, R11

panel:
	VMOVUPS 0(R9), Y0
	VMOVUPS 32(R9), Y1
	VMOVUPS Y0, 0(R10)
	VMOVUPS Y1, 32(R10)
	ADDQ $64, R9
	ADDQ R8, R10
	DECQ R11
	JNZ panel
	ADDQ AX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ row

done:
	VZEROUPPER
	RET
