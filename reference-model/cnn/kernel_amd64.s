//go:build !purego

#include "textflag.h"

// func gemm4x16AVX2(c *float32, ldc int, w *float32, ldw int, x *float32, ldx int, xs int, cin int, kw int, bias *float32)
//
// For r in [0,4), n in [0,16):
//
//	c[r*ldc+n] = c0 + Σ_{ci<cin} Σ_{k<kw} w[r*ldw+ci*kw+k] · x[ci*ldx+k*xs+n]
//
// where c0 is bias[r] when bias is not nil and c[r*ldc+n] otherwise.
// Strides are in elements. cin and kw must be at least 1.
TEXT ·gemm4x16AVX2(SB), NOSPLIT, $0-80
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ ldw+24(FP), R9
	MOVQ x+32(FP), DX
	MOVQ ldx+40(FP), R10
	MOVQ xs+48(FP), R11
	MOVQ cin+56(FP), CX
	MOVQ kw+64(FP), R12
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, R11
	LEAQ (R9)(R9*2), BX   // 3*ldw bytes
	LEAQ (R8)(R8*2), R13  // 3*ldc bytes

	MOVQ bias+72(FP), AX
	TESTQ AX, AX
	JZ   loadc
	VBROADCASTSS (AX), Y0
	VMOVAPS Y0, Y1
	VBROADCASTSS 4(AX), Y2
	VMOVAPS Y2, Y3
	VBROADCASTSS 8(AX), Y4
	VMOVAPS Y4, Y5
	VBROADCASTSS 12(AX), Y6
	VMOVAPS Y6, Y7
	JMP  outer

loadc:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (DI)(R8*1), Y2
	VMOVUPS 32(DI)(R8*1), Y3
	VMOVUPS (DI)(R8*2), Y4
	VMOVUPS 32(DI)(R8*2), Y5
	VMOVUPS (DI)(R13*1), Y6
	VMOVUPS 32(DI)(R13*1), Y7

outer:
	MOVQ DX, AX
	MOVQ R12, R14

inner:
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VBROADCASTSS (SI)(R9*1), Y11
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS (SI)(R9*2), Y12
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VBROADCASTSS (SI)(BX*1), Y13
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ $4, SI
	ADDQ R11, AX
	DECQ R14
	JNZ  inner

	ADDQ R10, DX
	DECQ CX
	JNZ  outer

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R8*1)
	VMOVUPS Y3, 32(DI)(R8*1)
	VMOVUPS Y4, (DI)(R8*2)
	VMOVUPS Y5, 32(DI)(R8*2)
	VMOVUPS Y6, (DI)(R13*1)
	VMOVUPS Y7, 32(DI)(R13*1)
	VZEROUPPER
	RET
