/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Integer instruction checks, run natively and inside the emulator: every
 * step stores its result and the architecturally defined flags at (%rdi).
 * Position-independent, no system calls.
 */
	.text
	.globl alu_body, alu_body_end

/* Store %rax and the flags masked with \mask. */
.macro SAVE mask
	pushfq
	pop %rdx
	and $\mask, %rdx
	mov %rax, (%rdi)
	mov %rdx, 8(%rdi)
	lea 16(%rdi), %rdi
.endm

/* Binary op on rax, rcx: \insn %cx-form, %ax-form at every size. */
.macro BIN op, mask, a, b
	mov $\a, %rax
	mov $\b, %rcx
	\op %rcx, %rax
	SAVE \mask
	mov $\a, %rax
	mov $\b, %rcx
	\op %ecx, %eax
	SAVE \mask
	mov $\a, %rax
	mov $\b, %rcx
	\op %cx, %ax
	SAVE \mask
	mov $\a, %rax
	mov $\b, %rcx
	\op %cl, %al
	SAVE \mask
	mov $\a, %rax
	mov $\b, %rcx
	\op %ch, %ah
	SAVE \mask
.endm

/* Same with the carry flag set first. */
.macro BINC op, mask, a, b
	stc
	BIN \op, \mask, \a, \b
	mov $\a, %rax
	mov $\b, %rcx
	stc
	\op %rcx, %rax
	SAVE \mask
	mov $\a, %rax
	mov $\b, %rcx
	stc
	\op %cl, %al
	SAVE \mask
.endm

/* Shift/rotate by immediate and CL, 64/32/16/8-bit. */
.macro SH op, mask, a, n
	mov $\a, %rax
	mov $\n, %rcx
	\op %cl, %rax
	SAVE \mask
	mov $\a, %rax
	\op %cl, %eax
	SAVE \mask
	mov $\a, %rax
	\op %cl, %ax
	SAVE \mask
	mov $\a, %rax
	\op %cl, %al
	SAVE \mask
	mov $\a, %rax
	\op $\n, %rax
	SAVE \mask
.endm

.macro UN op, mask, a
	mov $\a, %rax
	\op %rax
	SAVE \mask
	mov $\a, %rax
	\op %eax
	SAVE \mask
	mov $\a, %rax
	\op %ax
	SAVE \mask
	mov $\a, %rax
	\op %al
	SAVE \mask
.endm

.macro MULT op, a, b
	mov $\a, %rax
	mov $\b, %rcx
	mov $0x1234, %rdx
	\op %rcx
	mov %rdx, (%rdi)
	lea 8(%rdi), %rdi
	SAVE 0x801
	mov $\a, %rax
	mov $\b, %rcx
	\op %ecx
	mov %rdx, (%rdi)
	lea 8(%rdi), %rdi
	SAVE 0x801
	mov $\a, %rax
	mov $\b, %rcx
	\op %cl
	SAVE 0x801
.endm

alu_body:
	push %rbx
	push %rbp
	push %r12
	.irp a, 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffff, 0x8000000000000000, -1, 0x123456789abcdef0
	.irp b, 0, 1, 0x80, 0xffff, 0x80000000, -1, 0x0fedcba987654321
	BIN add, 0x8d5, \a, \b
	BIN sub, 0x8d5, \a, \b
	BIN cmp, 0x8d5, \a, \b
	BIN and, 0x8c4, \a, \b
	BIN or, 0x8c4, \a, \b
	BIN xor, 0x8c4, \a, \b
	BIN test, 0x8c4, \a, \b
	BINC adc, 0x8d5, \a, \b
	BINC sbb, 0x8d5, \a, \b
	.endr
	UN inc, 0x8d5, \a
	UN dec, 0x8d5, \a
	UN neg, 0x8d5, \a
	UN not, 0x8d5, \a
	.irp n, 1
	SH shl, 0x8c5, \a, \n
	SH shr, 0x8c5, \a, \n
	SH sar, 0x8c5, \a, \n
	SH rol, 0x801, \a, \n
	SH ror, 0x801, \a, \n
	SH rcl, 0x801, \a, \n
	SH rcr, 0x801, \a, \n
	.endr
	.irp n, 0, 3, 7, 8, 9, 15, 16, 31, 32, 33, 63
	SH shl, 0x0c5, \a, \n
	SH shr, 0x0c5, \a, \n
	SH sar, 0x0c5, \a, \n
	SH rol, 0x001, \a, \n
	SH ror, 0x001, \a, \n
	.endr
	.irp b, 1, 3, 0x80, 0xffffffff, -1, 0x0fedcba987654321
	MULT mul, \a, \b
	MULT imul, \a, \b
	mov $\a, %rax
	mov $\b, %rcx
	imul %rcx, %rax
	SAVE 0x801
	mov $\a, %rax
	imul $-7, %rax, %rax
	SAVE 0x801
	mov $\a, %rax
	mov $\b, %rcx
	imul %cx, %ax
	SAVE 0x801
	.endr
	/* bit scans, bit tests, byte swaps, extensions */
	mov $\a, %rcx
	mov $0x55, %rax
	bsf %rcx, %rax
	SAVE 0x40
	mov $0x55, %rax
	bsr %rcx, %rax
	SAVE 0x40
	mov $0x55, %rax
	bsr %ecx, %eax
	SAVE 0x40
	popcnt %rcx, %rax
	SAVE 0x8d5
	popcnt %cx, %ax
	SAVE 0x8d5
	lzcnt %rcx, %rax
	SAVE 0x41
	lzcnt %ecx, %eax
	SAVE 0x41
	.irp n, 0, 5, 31, 63, 64, 100
	mov $\a, %rax
	mov $\n, %rcx
	bt %rcx, %rax
	SAVE 1
	bts %rcx, %rax
	SAVE 1
	btr %ecx, %eax
	SAVE 1
	btc %cx, %ax
	SAVE 1
	.endr
	mov $\a, %rax
	bswap %rax
	SAVE 0
	bswap %eax
	SAVE 0
	mov $\a, %rcx
	movsbq %cl, %rax
	SAVE 0
	movswl %cx, %eax
	SAVE 0
	movzbw %cl, %ax
	SAVE 0
	movslq %ecx, %rax
	SAVE 0
	mov %rcx, %rax
	cbw
	SAVE 0
	cwde
	SAVE 0
	cdqe
	SAVE 0
	mov %rcx, %rax
	cqo
	mov %rdx, %rax
	SAVE 0
	mov %rcx, %rax
	cltd
	mov %rdx, %rax
	SAVE 0
	/* double shifts (16-bit counts above 16 are undefined) */
	.irp n, 1, 4, 15
	mov $\a, %rax
	mov $0x0fedcba987654321, %rbx
	mov $\n, %cl
	shld %cl, %rbx, %rax
	SAVE 0x0c5
	mov $\a, %rax
	shrd $\n, %rbx, %rax
	SAVE 0x0c5
	mov $\a, %rax
	shld $\n, %ebx, %eax
	SAVE 0x0c5
	mov $\a, %rax
	shrd %cl, %bx, %ax
	SAVE 0x0c5
	.endr
	/* conditions */
	mov $\a, %rax
	cmp $0x80, %rax
	mov $0, %rax
	.irp cc, o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
	set\cc %al
	shl $1, %rax
	.endr
	SAVE 0
	mov $\a, %rbx
	mov $7, %rcx
	mov $9, %rax
	cmp $0, %rbx
	cmovl %rcx, %rax
	SAVE 0
	cmovg %ecx, %eax
	SAVE 0
	.endr
	/* division */
	.irp a, 0, 1, 100, 0x7fffffff, 0x123456789abcdef0, -5
	.irp b, 1, 3, 7, -1, 0x10000
	mov $\a, %rax
	cqo
	mov $\b, %rcx
	idiv %rcx
	mov %rdx, (%rdi)
	lea 8(%rdi), %rdi
	SAVE 0
	mov $\a, %rax
	xor %edx, %edx
	mov $\b, %rcx
	div %rcx
	mov %rdx, (%rdi)
	lea 8(%rdi), %rdi
	SAVE 0
	mov $\a, %rax
	and $0x3fff, %eax
	mov $\b, %rcx
	or $0x80, %cl
	div %cl
	SAVE 0
	.endr
	.endr
	/* xadd, cmpxchg, xchg on memory and registers */
	lea -64(%rsp), %rbx
	movq $5, (%rbx)
	mov $3, %rax
	lock xaddq %rax, (%rbx)
	SAVE 0x8d5
	mov (%rbx), %rax
	SAVE 0
	mov $8, %rax
	mov $11, %rcx
	lock cmpxchg %rcx, (%rbx)
	SAVE 0x8d5
	mov (%rbx), %rax
	SAVE 0
	mov $4, %rax
	lock cmpxchg %ecx, (%rbx)
	SAVE 0x8d5
	mov (%rbx), %rax
	SAVE 0
	mov $0x77, %rax
	xchg %al, (%rbx)
	SAVE 0
	lock incl (%rbx)
	mov (%rbx), %rax
	SAVE 0x8d5
	lock btsq $40, (%rbx)
	mov (%rbx), %rax
	SAVE 1
	addw $0x7fff, 2(%rbx)
	mov (%rbx), %rax
	SAVE 0x8d5
	/* string instructions */
	lea -256(%rsp), %rbx
	mov %rdi, %r12
	mov %rbx, %rdi
	mov $0x41, %al
	mov $100, %rcx
	cld
	rep stosb
	mov %rbx, %rdi
	mov $0x41, %al
	mov $100, %rcx
	repe scasb
	mov %rcx, %rax
	mov %rdi, %rbp
	sub %rbx, %rbp
	mov %r12, %rdi
	SAVE 0x8d5
	mov %rbp, %rax
	SAVE 0
	lea 8(%rbx), %rsi
	mov %rbx, %rdi
	mov $0x1122334455667788, %rax
	mov %rax, (%rsi)
	mov $3, %rcx
	rep movsq
	mov (%rbx), %rax
	mov %r12, %rdi
	SAVE 0
	mov %rbx, %rsi
	lea 8(%rbx), %rdi
	std
	mov $2, %rcx
	lea 8(%rbx), %rsi
	lea 16(%rbx), %rdi
	rep movsb
	cld
	mov %rcx, %rax
	mov %r12, %rdi
	SAVE 0
	/*
	 * Flags that the decoder finds dead (later overwritten in the block):
	 * a rotate's CF/OF are dead before another rotate, a shift's flags
	 * only when all six are overwritten, INC/DEC keep CF alive.
	 */
	mov $0x80000001, %r8d
	mov $1, %r9d
	mov $-1, %eax
	add $1, %eax
	ror $3, %r8d
	ror $1, %r9d
	SAVE 0x8d5
	mov %r8, %rax
	add %r9, %rax
	SAVE 0
	mov $1, %r9d
	mov $0x40000001, %r8d
	mov $-1, %eax
	add $1, %eax
	shl $2, %r8d
	rol $1, %r9d
	SAVE 0xc5
	mov $0x80000000, %r8d
	mov $5, %r9d
	mov $1, %eax
	add $1, %eax
	shl $1, %r8d
	inc %r9d
	SAVE 0x8d5
	mov $0x80000001, %r8d
	mov $5, %r9d
	shl $3, %r8d
	dec %r9d
	xor %r10d, %r10d
	lea (%r8,%r9,2), %rax
	SAVE 0x8d5
	mov $1, %r8d
	mov $-1, %eax
	add $2, %eax
	ror $1, %r8d
	lea 1(%r8), %r10
	mov %r10, %r11
	sbb %eax, %eax
	SAVE 0x8d5
	mov $3, %r8d
	mov $-1, %eax
	add $1, %eax
	rol $31, %r8d
	not %r8d
	jc 1f
	mov %r8, %rax
1:	SAVE 0xc5
	/* Conditions evaluated from lazy flags of ADD, INC, shifts and IMUL. */
	.irp a, 0, 1, 0x7f, 0xff, 0x7fffffff, 0xffffffff, -1
	mov $\a, %rcx
	xor %eax, %eax
	add $1, %cl
	setb %al
	setbe %ah
	SAVE 0
	mov $\a, %rcx
	xor %eax, %eax
	add $1, %rcx
	setb %al
	setbe %ah
	SAVE 0
	mov $\a, %rcx
	xor %eax, %eax
	add $0, %rcx
	setb %al
	setbe %ah
	SAVE 0
	mov $\a, %rcx
	xor %eax, %eax
	stc
	inc %ecx
	setb %al
	setae %ah
	SAVE 0
	mov $\a, %rcx
	xor %eax, %eax
	shl $1, %ecx
	setb %al
	setbe %ah
	SAVE 0
	mov $\a, %rcx
	imul $3, %rcx, %rcx
	setc %al
	seto %ah
	SAVE 0
	.endr
	/* CMP/TEST followed by Jcc (fused by the decoder), every condition. */
	.irp v, 0, 5, -5, 0x7f, 0x80, 0x8000000000000000, 0x7fffffffffffffff
	.irp cc, o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
	xor %eax, %eax
	mov $\v, %rcx
	mov $5, %rdx
	cmp %rdx, %rcx
	j\cc 1f
	or $1, %eax
1:	test %ecx, %edx
	j\cc 2f
	or $2, %eax
2:	cmp $5, %cl
	j\cc 3f
	or $4, %eax
3:	cmp %rcx, %rdx
	j\cc 4f
	or $8, %eax
4:	test $0x80, %al
	j\cc 5f
	or $16, %eax
5:	SAVE 0x8d5
	.endr
	.endr
	/* Jcc straight after INC/DEC (CF set or cleared before), after ADD/SUB/
	 * XOR, and after moves that keep the flags: every condition (the JIT
	 * tests such conditions on the host's flags). */
	.irp v, 0, 1, -1, 0x7f, 0x80, 0x7fffffff, 0x80000000
	.irp cc, o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
	xor %eax, %eax
	mov $\v, %rcx
	stc
	inc %ecx
	j\cc 1f
	or $1, %eax
1:	mov $\v, %rcx
	clc
	dec %cl
	j\cc 2f
	or $2, %eax
2:	mov $\v, %rcx
	stc
	dec %rcx
	j\cc 3f
	or $4, %eax
3:	mov $\v, %rcx
	sub $1, %ecx
	mov %ecx, %edx
	lea 1(%rdx), %r8
	not %r8
	movzbl %dl, %r9d
	j\cc 4f
	or $8, %eax
4:	mov $\v, %rcx
	add %ecx, %ecx
	inc %ecx
	j\cc 5f
	or $16, %eax
5:	mov $\v, %rcx
	xor $0x55, %cx
	j\cc 6f
	or $32, %eax
6:	SAVE 0x8d5
	.endr
	.endr
	/* lahf/sahf, enter/leave, push/pop */
	mov $0xd7, %ah
	sahf
	mov $0, %eax
	lahf
	SAVE 0x8d5
	enter $32, $0
	mov %rsp, %rax
	sub %rbp, %rax
	leave
	SAVE 0
	pushw $0x1234
	popw %ax
	SAVE 0
	lea 0x10(%rsp,%rax,4), %rax
	sub %rsp, %rax
	SAVE 0
	pop %r12
	pop %rbp
	pop %rbx
	ret
alu_body_end:
	.section .note.GNU-stack,"",@progbits
