/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SSE/SSE2 and x87 checks, run natively and inside the emulator: results
 * are stored at (%rdi) (XMM registers as 16 bytes, flags masked).
 * Position-independent, no system calls.
 */
	.text
	.globl sse_body, sse_body_end

.macro SAVEX reg
	movdqu \reg, (%rdi)
	lea 16(%rdi), %rdi
.endm

.macro SAVEQ reg
	mov \reg, (%rdi)
	lea 8(%rdi), %rdi
.endm

.macro SAVEF
	pushfq
	pop %rax
	and $0x8d5, %rax
	SAVEQ %rax
.endm

/* Load xmm0/xmm1 from the constant table at offsets \a and \b. */
.macro LD a, b
	movdqu \a+consts(%rip), %xmm0
	movdqu \b+consts(%rip), %xmm1
.endm

.macro P2 insn
	.irp a, 0, 16, 32, 48, 64, 80
	.irp b, 0, 16, 32, 48, 64, 80
	LD \a, \b
	\insn %xmm1, %xmm0
	SAVEX %xmm0
	.endr
	.endr
.endm

/* Packed-integer immediate forms. */
.macro PI insn, imm
	.irp a, 0, 16, 32, 48, 64, 80
	movdqu \a+consts(%rip), %xmm2
	\insn $\imm, %xmm2
	SAVEX %xmm2
	.endr
.endm

.macro PIX insn, imm
	.irp a, 0, 16, 32, 48, 64, 80
	movdqu \a+consts(%rip), %xmm2
	\insn $\imm, %xmm2, %xmm3
	SAVEX %xmm3
	.endr
.endm

sse_body:
	sub $8, %rsp
	.irp r, 0, 1, 2, 3, 4, 5, 6, 7
	pxor %xmm\r, %xmm\r
	.endr
	.irp op, paddb, paddw, paddd, paddq, psubb, psubw, psubd, psubq, paddusb, paddusw, paddsb, paddsw, psubusb, psubusw, psubsb, psubsw, pand, pandn, por, pxor, pcmpeqb, pcmpeqw, pcmpeqd, pcmpgtb, pcmpgtw, pcmpgtd, pminub, pmaxub, pminsw, pmaxsw, pavgb, pavgw, pmullw, pmulhw, pmulhuw, pmuludq, pmaddwd, psadbw, punpcklbw, punpcklwd, punpckldq, punpcklqdq, punpckhbw, punpckhwd, punpckhdq, punpckhqdq, packsswb, packssdw, packuswb, psllw, pslld, psllq, psrlw, psrld, psrlq, psraw, psrad
	P2 \op
	.endr
	.irp op, addps, subps, mulps, divps, minps, maxps, addpd, subpd, mulpd, divpd, minpd, maxpd, addss, subss, mulss, divss, addsd, subsd, mulsd, divsd, minsd, maxss, sqrtps, sqrtpd, sqrtss, sqrtsd, andps, andnps, orps, xorpd, unpcklps, unpckhps, unpcklpd, unpckhpd, cvtps2pd, cvtpd2ps, cvtss2sd, cvtsd2ss, cvtdq2ps, cvtps2dq, cvttps2dq, cvtdq2pd, cvtpd2dq, cvttpd2dq, movss, movsd, movhlps, movlhps
	P2 \op
	.endr
	.irp p, 0, 1, 2, 3, 4, 5, 6, 7
	P2 "cmpps $\p,"
	P2 "cmpsd $\p,"
	.endr
	PI psllw, 3
	PI pslld, 17
	PI psllq, 40
	PI psrlw, 1
	PI psrld, 31
	PI psrlq, 63
	PI psraw, 15
	PI psrad, 7
	PI pslldq, 5
	PI psrldq, 11
	PI psllq, 70
	PIX pshufd, 0x1b
	PIX pshufhw, 0x93
	PIX pshuflw, 0x4e
	PIX shufps, 0xb1
	PIX shufpd, 1
	/* moves to and from general registers, masks, extracts */
	.irp a, 0, 16, 32, 48, 64, 80
	movdqu \a+consts(%rip), %xmm4
	pmovmskb %xmm4, %eax
	SAVEQ %rax
	movmskps %xmm4, %eax
	SAVEQ %rax
	movmskpd %xmm4, %eax
	SAVEQ %rax
	movq %xmm4, %rax
	SAVEQ %rax
	movd %xmm4, %eax
	SAVEQ %rax
	pextrw $5, %xmm4, %eax
	SAVEQ %rax
	pinsrw $2, %eax, %xmm4
	SAVEX %xmm4
	movq %rax, %xmm5
	SAVEX %xmm5
	movq %xmm4, %xmm6
	SAVEX %xmm6
	/* conversions with every rounding mode */
	.irp mode, 0x1f80, 0x3f80, 0x5f80, 0x7f80
	movl $\mode, (%rsp)
	ldmxcsr (%rsp)
	cvtsd2si %xmm4, %rax
	SAVEQ %rax
	cvtss2si %xmm4, %eax
	SAVEQ %rax
	cvttsd2si %xmm4, %eax
	SAVEQ %rax
	cvtsi2sd %rax, %xmm7
	SAVEX %xmm7
	cvtsi2ss %eax, %xmm7
	SAVEX %xmm7
	movdqu 16+consts(%rip), %xmm3
	addps %xmm4, %xmm3
	SAVEX %xmm3
	stmxcsr (%rsp)
	mov (%rsp), %eax
	SAVEQ %rax
	.endr
	.irp b, 0, 16, 32, 48, 64, 80
	movdqu \b+consts(%rip), %xmm5
	ucomiss %xmm5, %xmm4
	SAVEF
	comisd %xmm5, %xmm4
	SAVEF
	.endr
	.endr
	/* x87 */
	fninit
	fnstcw (%rsp)
	movzwl (%rsp), %eax
	SAVEQ %rax
	fldl 32+consts(%rip)
	fldl 48+consts(%rip)
	faddp
	fld1
	fdivr %st(1), %st
	fstpl (%rdi)
	lea 8(%rdi), %rdi
	fldz
	fcomip %st(1), %st
	SAVEF
	fistpll (%rdi)
	lea 8(%rdi), %rdi
	fildl 4+consts(%rip)
	fmull 32+consts(%rip)
	fchs
	fsts (%rdi)
	lea 8(%rdi), %rdi
	.irp rc, 0x037f, 0x077f, 0x0b7f, 0x0f7f
	movw $\rc, (%rsp)
	fldcw (%rsp)
	fld %st(0)
	fistpl (%rdi)
	lea 8(%rdi), %rdi
	fld %st(0)
	frndint
	fstpt (%rdi)
	lea 16(%rdi), %rdi
	.endr
	fnstsw %ax
	SAVEQ %rax
	fstp %st(0)
	fninit
	/* restore the caller's MXCSR */
	movl $0x1f80, (%rsp)
	ldmxcsr (%rsp)
	add $8, %rsp
	ret

	.balign 16
consts:
	.quad 0x0123456789abcdef, 0xfedcba9876543210
	.quad 0x3ff0000000000000, 0xc00921fb54442d18	/* 1.0, -pi */
	.quad 0x40091eb851eb851f, 0x7ff8000000000000	/* 3.14, NaN */
	.quad 0x4049000000000000, 0xbfe8000000000000	/* 50.0, -0.75 */
	.quad 0x3fc999999999999a, 0x8000000000000000	/* 0.2, -0.0 */
	.quad 0x7f7fffff3f800000, 0xc2f6e9794b189680	/* float pairs */
sse_body_end:
	.section .note.GNU-stack,"",@progbits
