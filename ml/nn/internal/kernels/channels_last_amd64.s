// AVX-512 kernels for the sparse backward pass of the channels-last
// convolution path, for 32 channels (AVX512F only). Same sums as
// sparseWeightGradGo and sparseInputGradGo in channels_last.go, but
// every window is processed (a window whose gradient did not pass adds
// zero), so no branch depends on the data. Generated; keep the blocks
// uniform when editing.

#include "textflag.h"

// func sparseWeightGradAVX512(grad *float32, arg *uint8, xp *float32, acc *float32, rows, cols, wp int)
TEXT ·sparseWeightGradAVX512(SB), NOSPLIT, $0-56
	MOVQ grad+0(FP), SI
	MOVQ arg+8(FP), R8
	MOVQ xp+16(FP), DI
	MOVQ acc+24(FP), DX
	MOVQ rows+32(FP), R12
	MOVQ cols+40(FP), R13
	MOVQ wp+48(FP), R9
	SHLQ $7, R9             // R9 = padded row bytes (wp pixels of 32 floats)
	LEAQ (R9)(R9*1), R10    // R10 = two padded rows
	XORQ R15, R15           // zero, for conditional moves

	VMOVUPS 0(DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS 128(DX), Z2
	VMOVUPS 192(DX), Z3
	VMOVUPS 256(DX), Z4
	VMOVUPS 320(DX), Z5
	VMOVUPS 384(DX), Z6
	VMOVUPS 448(DX), Z7
	VMOVUPS 512(DX), Z8
	VMOVUPS 576(DX), Z9
	VMOVUPS 640(DX), Z10
	VMOVUPS 704(DX), Z11
	VMOVUPS 768(DX), Z12
	VMOVUPS 832(DX), Z13
	VMOVUPS 896(DX), Z14
	VMOVUPS 960(DX), Z15
	VMOVUPS 1024(DX), Z16
	VMOVUPS 1088(DX), Z17

wrow:
	XORQ CX, CX             // x2

wwin:
	MOVBLZX (R8), AX        // window position a
	MOVL (SI), R11          // gradient bits
	MOVQ AX, BX
	SHRQ $1, BX
	IMULQ R9, BX            // (a>>1) rows
	MOVQ AX, R14
	ANDQ $1, R14
	SHLQ $7, R14
	ADDQ R14, BX            // + (a&1) pixels
	CMPQ AX, $4
	CMOVQCC R15, BX         // no gradient: corner 0 ...
	CMOVLCC R15, R11        // ... and g = 0
	VPBROADCASTD R11, Z18
	MOVQ CX, R14
	SHLQ $8, R14            // 2*x2 pixels
	ADDQ R14, BX
	ADDQ DI, BX             // BX = corner of the 3x3 neighbourhood
	VFMADD231PS 0(BX), Z18, Z0
	VFMADD231PS 64(BX), Z18, Z1
	VFMADD231PS 128(BX), Z18, Z2
	VFMADD231PS 192(BX), Z18, Z3
	VFMADD231PS 256(BX), Z18, Z4
	VFMADD231PS 320(BX), Z18, Z5
	VFMADD231PS 0(BX)(R9*1), Z18, Z6
	VFMADD231PS 64(BX)(R9*1), Z18, Z7
	VFMADD231PS 128(BX)(R9*1), Z18, Z8
	VFMADD231PS 192(BX)(R9*1), Z18, Z9
	VFMADD231PS 256(BX)(R9*1), Z18, Z10
	VFMADD231PS 320(BX)(R9*1), Z18, Z11
	VFMADD231PS 0(BX)(R10*1), Z18, Z12
	VFMADD231PS 64(BX)(R10*1), Z18, Z13
	VFMADD231PS 128(BX)(R10*1), Z18, Z14
	VFMADD231PS 192(BX)(R10*1), Z18, Z15
	VFMADD231PS 256(BX)(R10*1), Z18, Z16
	VFMADD231PS 320(BX)(R10*1), Z18, Z17
	ADDQ $4, SI
	INCQ R8
	INCQ CX
	CMPQ CX, R13
	JLT  wwin
	ADDQ R10, DI
	DECQ R12
	JNZ  wrow

	VMOVUPS Z0, 0(DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	VMOVUPS Z4, 256(DX)
	VMOVUPS Z5, 320(DX)
	VMOVUPS Z6, 384(DX)
	VMOVUPS Z7, 448(DX)
	VMOVUPS Z8, 512(DX)
	VMOVUPS Z9, 576(DX)
	VMOVUPS Z10, 640(DX)
	VMOVUPS Z11, 704(DX)
	VMOVUPS Z12, 768(DX)
	VMOVUPS Z13, 832(DX)
	VMOVUPS Z14, 896(DX)
	VMOVUPS Z15, 960(DX)
	VMOVUPS Z16, 1024(DX)
	VMOVUPS Z17, 1088(DX)
	VZEROUPPER
	RET

// In sparseInputGradAVX512 the third argument is the channel's weights
// ([3][3][32], kept in registers) and acc the padded input gradient.
// func sparseInputGradAVX512(grad *float32, arg *uint8, wt *float32, acc *float32, rows, cols, wp int)
TEXT ·sparseInputGradAVX512(SB), NOSPLIT, $0-56
	MOVQ grad+0(FP), SI
	MOVQ arg+8(FP), R8
	MOVQ wt+16(FP), DI
	MOVQ acc+24(FP), DX
	MOVQ rows+32(FP), R12
	MOVQ cols+40(FP), R13
	MOVQ wp+48(FP), R9
	SHLQ $7, R9             // R9 = padded row bytes (wp pixels of 32 floats)
	LEAQ (R9)(R9*1), R10    // R10 = two padded rows
	XORQ R15, R15           // zero, for conditional moves

	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VMOVUPS 256(DI), Z4
	VMOVUPS 320(DI), Z5
	VMOVUPS 384(DI), Z6
	VMOVUPS 448(DI), Z7
	VMOVUPS 512(DI), Z8
	VMOVUPS 576(DI), Z9
	VMOVUPS 640(DI), Z10
	VMOVUPS 704(DI), Z11
	VMOVUPS 768(DI), Z12
	VMOVUPS 832(DI), Z13
	VMOVUPS 896(DI), Z14
	VMOVUPS 960(DI), Z15
	VMOVUPS 1024(DI), Z16
	VMOVUPS 1088(DI), Z17
	MOVQ DX, DI             // DI walks the input gradient

irow:
	XORQ CX, CX

iwin:
	MOVBLZX (R8), AX
	MOVL (SI), R11
	MOVQ AX, BX
	SHRQ $1, BX
	IMULQ R9, BX
	MOVQ AX, R14
	ANDQ $1, R14
	SHLQ $7, R14
	ADDQ R14, BX
	CMPQ AX, $4
	CMOVQCC R15, BX
	CMOVLCC R15, R11
	VPBROADCASTD R11, Z18
	MOVQ CX, R14
	SHLQ $8, R14
	ADDQ R14, BX
	ADDQ DI, BX
	VMOVUPS 0(BX), Z19
	VMOVUPS 64(BX), Z20
	VMOVUPS 128(BX), Z21
	VMOVUPS 192(BX), Z22
	VMOVUPS 256(BX), Z23
	VMOVUPS 320(BX), Z24
	VFMADD231PS Z0, Z18, Z19
	VFMADD231PS Z1, Z18, Z20
	VFMADD231PS Z2, Z18, Z21
	VFMADD231PS Z3, Z18, Z22
	VFMADD231PS Z4, Z18, Z23
	VFMADD231PS Z5, Z18, Z24
	VMOVUPS Z19, 0(BX)
	VMOVUPS Z20, 64(BX)
	VMOVUPS Z21, 128(BX)
	VMOVUPS Z22, 192(BX)
	VMOVUPS Z23, 256(BX)
	VMOVUPS Z24, 320(BX)
	VMOVUPS 0(BX)(R9*1), Z19
	VMOVUPS 64(BX)(R9*1), Z20
	VMOVUPS 128(BX)(R9*1), Z21
	VMOVUPS 192(BX)(R9*1), Z22
	VMOVUPS 256(BX)(R9*1), Z23
	VMOVUPS 320(BX)(R9*1), Z24
	VFMADD231PS Z6, Z18, Z19
	VFMADD231PS Z7, Z18, Z20
	VFMADD231PS Z8, Z18, Z21
	VFMADD231PS Z9, Z18, Z22
	VFMADD231PS Z10, Z18, Z23
	VFMADD231PS Z11, Z18, Z24
	VMOVUPS Z19, 0(BX)(R9*1)
	VMOVUPS Z20, 64(BX)(R9*1)
	VMOVUPS Z21, 128(BX)(R9*1)
	VMOVUPS Z22, 192(BX)(R9*1)
	VMOVUPS Z23, 256(BX)(R9*1)
	VMOVUPS Z24, 320(BX)(R9*1)
	VMOVUPS 0(BX)(R10*1), Z19
	VMOVUPS 64(BX)(R10*1), Z20
	VMOVUPS 128(BX)(R10*1), Z21
	VMOVUPS 192(BX)(R10*1), Z22
	VMOVUPS 256(BX)(R10*1), Z23
	VMOVUPS 320(BX)(R10*1), Z24
	VFMADD231PS Z12, Z18, Z19
	VFMADD231PS Z13, Z18, Z20
	VFMADD231PS Z14, Z18, Z21
	VFMADD231PS Z15, Z18, Z22
	VFMADD231PS Z16, Z18, Z23
	VFMADD231PS Z17, Z18, Z24
	VMOVUPS Z19, 0(BX)(R10*1)
	VMOVUPS Z20, 64(BX)(R10*1)
	VMOVUPS Z21, 128(BX)(R10*1)
	VMOVUPS Z22, 192(BX)(R10*1)
	VMOVUPS Z23, 256(BX)(R10*1)
	VMOVUPS Z24, 320(BX)(R10*1)
	ADDQ $4, SI
	INCQ R8
	INCQ CX
	CMPQ CX, R13
	JLT  iwin
	ADDQ R10, DI
	DECQ R12
	JNZ  irow
	VZEROUPPER
	RET

// func padInteriorAVX512(src, dst *float32, h, w int, idx *[16]int32)
// Writes the interior of a zero-padded channels-last image of 32 channels:
// dst[((y+1)(w+2) + x+1)·32 + ch] = src[(ch·h + y)·w + x]. idx holds
// ch·h·w for ch = 0..15; each pixel is two 16-channel gathers.
TEXT ·padInteriorAVX512(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ h+16(FP), R12
	MOVQ w+24(FP), R13
	MOVQ idx+32(FP), AX
	VMOVDQU32 (AX), Z31
	MOVQ R12, R10
	IMULQ R13, R10
	SHLQ $6, R10            // R10 = bytes of 16 channel planes
	LEAQ 2(R13), R11
	SHLQ $7, R11            // R11 = padded row bytes
	LEAQ 128(DI)(R11*1), DI // pixel (1,1)
	MOVQ R13, R14
	SHLQ $2, R14            // R14 = source row bytes

prow:
	MOVQ R13, CX
	MOVQ SI, R8
	MOVQ DI, R9

ppix:
	KXNORW K1, K1, K1
	VGATHERDPS (R8)(Z31*4), K1, Z0
	LEAQ (R8)(R10*1), BX
	KXNORW K2, K2, K2
	VGATHERDPS (BX)(Z31*4), K2, Z1
	VMOVUPS Z0, (R9)
	VMOVUPS Z1, 64(R9)
	ADDQ $4, R8
	ADDQ $128, R9
	DECQ CX
	JNZ  ppix

	ADDQ R14, SI
	ADDQ R11, DI
	DECQ R12
	JNZ  prow
	VZEROUPPER
	RET

// func unpadInteriorAVX512(src, dst *float32, h, w int, idx *[16]int32)
// The inverse: dst[(ch·h + y)·w + x] = src[((y+1)(w+2) + x+1)·32 + ch], a
// gather of up to 16 pixels of one channel at a time. idx holds 32·i.
TEXT ·unpadInteriorAVX512(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ h+16(FP), R12
	MOVQ w+24(FP), R13
	MOVQ idx+32(FP), AX
	VMOVDQU32 (AX), Z31
	LEAQ 2(R13), R11
	SHLQ $7, R11            // R11 = padded row bytes
	LEAQ 128(SI)(R11*1), SI // pixel (1,1), channel 0
	XORQ DX, DX             // channel

uchan:
	MOVQ SI, R8             // row start for this channel
	MOVQ R12, R15           // rows left

urow:
	XORQ BX, BX             // x

ublock2:
	MOVQ R13, CX
	SUBQ BX, CX
	CMPQ CX, $16
	JLE  umask2
	MOVQ $16, CX

umask2:
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	KMOVW AX, K2
	MOVQ BX, R9
	SHLQ $7, R9
	ADDQ R8, R9             // pixel x of this row, this channel
	VGATHERDPS (R9)(Z31*4), K1, Z0
	VMOVUPS Z0, K2, (DI)(BX*4)
	ADDQ $16, BX
	CMPQ BX, R13
	JLT  ublock2

	LEAQ (DI)(R13*4), DI
	ADDQ R11, R8
	DECQ R15
	JNZ  urow

	ADDQ $4, SI
	INCQ DX
	CMPQ DX, $32
	JLT  uchan
	VZEROUPPER
	RET
