/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The spin payload's entry and loop (payload boot protocol of
 * include/uapi/linux/lkvm.h).  spin_loop is written out here so that its
 * frame is certain: lkvm debug must find spin_loop <- payload_main <- _start
 * through the frame pointers, and RBP = 0 in _start ends the chain.
 */
#define COM1		0x3f8
#define SPIN_TICK_MASK	0xfff	/* a '.' every 4096 iterations */

	.text
	.globl _start
	.type _start, @function
_start:
	xorl	%ebp, %ebp
	call	payload_main
1:	hlt
	jmp	1b
	.size _start, . - _start

/* Counts in spin_count forever; each tick writes a '.' to the serial port. */
	.globl spin_loop
	.type spin_loop, @function
spin_loop:
	pushq	%rbp
	movq	%rsp, %rbp
	movl	$COM1, %edx
	movb	$'.', %al
1:	incq	spin_count(%rip)
	testl	$SPIN_TICK_MASK, spin_count(%rip)
	jnz	1b
	outb	%al, %dx
	jmp	1b
	.size spin_loop, . - spin_loop

	.section .note.GNU-stack, "", @progbits
