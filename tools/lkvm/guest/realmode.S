/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real-mode payload (lkvm run --real-mode): entered at 0000:7c00 like a boot
 * sector.  Prints its greeting through DS = 0x07c0 (so segment arithmetic
 * matters), then "sum XXXX": the 16-bit sum of the greeting's bytes, in hex;
 * exits with status 22 through an 8-bit OUT to port 0x5f0.
 */
#define LOAD		0x7c00
#define EXIT_STATUS	22

	.code16
	.text
	.globl _start
_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$LOAD, %sp
	movw	$(LOAD >> 4), %ax
	movw	%ax, %ds
	movw	$(greeting - _start), %si
	xorw	%bx, %bx
1:	lodsb
	testb	%al, %al
	jz	2f
	addb	%al, %bl
	adcb	$0, %bh
	call	putc
	jmp	1b
2:	movw	$(sum_label - _start), %si
3:	lodsb
	testb	%al, %al
	jz	4f
	call	putc
	jmp	3b
4:	movw	$4, %cx
5:	rolw	$4, %bx
	movb	%bl, %al
	andb	$0xf, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	6f
	addb	$('a' - '9' - 1), %al
6:	call	putc
	loop	5b
	movb	$'\n', %al
	call	putc
	movw	$0x5f0, %dx
	movb	$EXIT_STATUS, %al
	outb	%al, %dx
7:	hlt
	jmp	7b

/* Writes AL to the UART once its transmit holding register is empty. */
putc:
	pushw	%ax
	movw	$0x3fd, %dx
8:	inb	%dx, %al
	testb	$0x20, %al
	jz	8b
	popw	%ax
	movw	$0x3f8, %dx
	outb	%al, %dx
	ret

greeting:
	.asciz	"hello from real mode\n"
sum_label:
	.asciz	"sum "
