/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accelerator interface: the one seam between the machine model and what
 * executes the guest (KVM, or the tcg-fallback emulator).  It mirrors the
 * KVM ioctls lkvm uses; the interrupt controllers live behind it, as KVM's
 * in-kernel irqchip does.
 */
#ifndef LKVM_ACCEL_H
#define LKVM_ACCEL_H

#include <linux/kvm.h>

#include "vm.h"

/* What ended accel_ops->run(). */
enum vcpu_exit {
	VCPU_EXIT_STOP,		/* vm_stop() was called; see vm->stop_reason */
	VCPU_EXIT_HLT,		/* HLT with interrupts disabled */
	VCPU_EXIT_SHUTDOWN,	/* triple fault */
	VCPU_EXIT_ERROR,	/* the accelerator failed; message printed */
};

struct accel_ops {
	const char *name;
	/* Opens the accelerator; explains and fails if it is unusable. */
	int (*vm_create)(struct vm *vm, bool quiet);
	void (*vm_destroy)(struct vm *vm);
	int (*set_memory)(struct vm *vm, unsigned int slot, struct mem_bank *b);
	int (*vcpu_create)(struct vcpu *vcpu);

	int (*get_regs)(struct vcpu *vcpu, struct kvm_regs *regs);
	int (*set_regs)(struct vcpu *vcpu, const struct kvm_regs *regs);
	int (*get_sregs)(struct vcpu *vcpu, struct kvm_sregs *sregs);
	int (*set_sregs)(struct vcpu *vcpu, const struct kvm_sregs *sregs);
	int (*set_msrs)(struct vcpu *vcpu, const struct kvm_msrs *msrs);
	/* Fills @cpuid with what the accelerator supports (KVM_GET_SUPPORTED_CPUID). */
	int (*get_supported_cpuid)(struct vm *vm, struct kvm_cpuid2 *cpuid);
	int (*set_cpuid)(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid);

	/* Runs until the guest must be looked at; I/O goes to the bus meanwhile. */
	enum vcpu_exit (*run)(struct vcpu *vcpu);
	/* Makes run() return soon; any thread. */
	void (*kick)(struct vcpu *vcpu);

	/*
	 * Optional: lkvm (a device's DMA) is about to write guest memory
	 * [gpa, +len); an accelerator that caches translated code drops it.
	 */
	void (*host_write)(struct vm *vm, u64 gpa, u64 len);

	int (*irq_line)(struct vm *vm, unsigned int gsi, int level);
	int (*signal_msi)(struct vm *vm, u64 address, u32 data);
};

extern const struct accel_ops kvm_accel_ops;
extern const struct accel_ops tcg_accel_ops;

#endif
