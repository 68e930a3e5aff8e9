/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Payload entry, per the boot protocol in include/uapi/linux/lkvm.h: long
 * mode, interrupts off, RSP at the top of RAM, RDI = RAM size.  RFLAGS is
 * saved first, before any instruction here can change it.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	pushfq
	popq	boot_rflags(%rip)
	movq	%rsp, boot_rsp(%rip)
	movq	%rdi, boot_rdi(%rip)
	andq	$-16, %rsp
	call	payload_main
	movl	%eax, %edi
	call	guest_exit
