/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of the bare VM, copied to BVM_STUBS.  It is data to the host
 * (it lives in .rodata), so it must be position independent apart from the
 * absolute addresses of the system area.
 */
#include "bare_vm.h"

#define INFO(field)	(BVM_INFO + BVM_INFO_##field)

	.section .rodata
	.balign 16
	.globl bvm_stubs_start, bvm_stubs_end
	.globl bvm_exc_stubs, bvm_syscall_entry, bvm_user_entry
bvm_stubs_start:

/*
 * One 16-byte stub per exception vector 0-31.  Those without an error code
 * push a zero in its place so that the common code sees one frame layout.
 */
	.balign 16
bvm_exc_stubs:
	vec = 0
	.rept 32
	.balign 16
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	pushq $0
	.endif
	pushq $(vec + 1)
	jmp exc_common
	vec = vec + 1
	.endr

/* Records the frame for the host and stops: the host decides what next. */
exc_common:
	popq INFO(EXC_VECTOR)
	popq INFO(EXC_ERROR)
	popq INFO(EXC_RIP)
	popq INFO(EXC_CS)
	popq INFO(EXC_RFLAGS)
	popq INFO(EXC_RSP)
	movq %cr2, %rax
	movq %rax, INFO(EXC_CR2)
1:	hlt
	jmp 1b

/*
 * SYSCALL from CPL 3 (FMASK has cleared IF): hand the call to the host
 * through BVM_SYSCALL_PORT, which services it synchronously.  RCX and R11
 * carry the return RIP and RFLAGS; every other register but RAX survives as
 * the Linux ABI promises.  No stack is used.
 */
bvm_syscall_entry:
	movq %rax, INFO(SYS_NR)
	movq %rdi, INFO(SYS_ARGS)
	movq %rsi, INFO(SYS_ARGS) + 8
	movq %rdx, INFO(SYS_ARGS) + 16
	movq %r10, INFO(SYS_ARGS) + 24
	movq %r8, INFO(SYS_ARGS) + 32
	movq %r9, INFO(SYS_ARGS) + 40
	movq %rcx, INFO(SYS_RCX)
	outb %al, $BVM_SYSCALL_PORT
	movl INFO(SYS_MSR), %ecx
	testl %ecx, %ecx
	jz 2f
	movw %cs, %ax
	testb $3, %al
	jnz 1f
	movl INFO(SYS_MSR_VAL), %eax
	movl INFO(SYS_MSR_VAL) + 4, %edx
	wrmsr
	jmp 3f
1:	movq INFO(SYS_MSR_VAL), %rax
	cmpl $0xc0000100, %ecx
	jne 4f
	wrfsbase %rax
	jmp 3f
4:	wrgsbase %rax
3:	movq $0, INFO(SYS_MSR)
2:	cmpq $0, INFO(SYS_STOP)
	jne 6f
	movq INFO(SYS_ARGS) + 16, %rdx
	movq INFO(SYS_RET), %rax
	movw %cs, %cx
	testb $3, %cl
	jnz 5f
	movq INFO(SYS_RCX), %rcx
	sysretq
6:	hlt
	jmp 6b

/*
 * Still at CPL 3: the PVM flavour of KVM on some clouds does not switch
 * privilege on SYSCALL.  bvm_create() made the system area, the port and
 * WRFSBASE usable at CPL 3 for it; return without SYSRET, below the
 * caller's red zone.
 */
5:	leaq -128(%rsp), %rsp
	pushq %r11
	popfq
	leaq 128(%rsp), %rsp
	jmp *INFO(SYS_RCX)

/* The host put an IRETQ frame to CPL 3 at the top of the kernel stack. */
bvm_user_entry:
	iretq

bvm_stubs_end:
	.section .note.GNU-stack, "", @progbits
