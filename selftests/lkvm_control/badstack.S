/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Payloads whose frame pointer leads the stack walk of lkvm debug astray;
 * each spins forever at bad_spin.  Built three times:
 *   -DRBP_LOOP      rbp points at a frame record that points at itself
 *   -DRBP_UNMAPPED  rbp at 4 TiB, which the payload's page tables leave
 *                   unmapped (they map the low 4 GiB)
 *   -DRBP_ODD       rbp not 8-byte aligned
 */
	.text
	.globl _start
	.type _start, @function
_start:
#if defined(RBP_LOOP)
	leaq	frame(%rip), %rbp
	movq	%rbp, frame(%rip)
#elif defined(RBP_UNMAPPED)
	movabsq	$0x40000000000, %rbp
#elif defined(RBP_ODD)
	leaq	frame+3(%rip), %rbp
#else
#error "which bad stack?"
#endif
	.size _start, . - _start

	.globl bad_spin
	.type bad_spin, @function
bad_spin:
	jmp	bad_spin
	.size bad_spin, . - bad_spin

	.data
	.balign 16
frame:
	.quad	0, 0

	.section .note.GNU-stack, "", @progbits
