// SPDX-License-Identifier: GPL-2.0
/*
 * The TCG accelerator: the accelerator interface mapped onto the
 * tcg-fallback emulator, whose API mirrors the KVM ioctls (tcg.h).
 */
#include <errno.h>
#include <string.h>
#include <tcg.h>

#include "accel.h"
#include "bus.h"

static struct tcg_vm *tvm_of(struct vm *vm)
{
	return vm->accel;
}

static struct tcg_vcpu *tvcpu_of(struct vcpu *vcpu)
{
	return vcpu->accel;
}

static void tcg_pio(void *opaque, uint16_t port, void *data, unsigned int len,
		    bool is_write)
{
	bus_access(BUS_PIO, port, data, len, is_write);
}

static void tcg_mmio(void *opaque, uint64_t gpa, void *data, unsigned int len,
		     bool is_write)
{
	bus_access(BUS_MMIO, gpa, data, len, is_write);
}

static const struct tcg_io_ops tcg_bus_ops = {
	.pio = tcg_pio,
	.mmio = tcg_mmio,
};

static int tcg_vm_create_op(struct vm *vm, bool quiet)
{
	struct tcg_vm *tvm = tcg_vm_create();

	if (!tvm) {
		pr_err("cannot create the TCG machine: %s", strerror(errno));
		return -ENOMEM;
	}
	tcg_vm_set_io_ops(tvm, &tcg_bus_ops);
	vm->accel = tvm;
	return 0;
}

static void tcg_vm_destroy_op(struct vm *vm)
{
	tcg_vm_destroy(tvm_of(vm));
	vm->accel = NULL;
}

static int tcg_set_memory(struct vm *vm, unsigned int slot, struct mem_bank *b)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = b->gpa,
		.memory_size = b->size,
		.userspace_addr = (unsigned long)b->hva,
	};

	return tcg_set_user_memory_region(tvm_of(vm), &r);
}

static int tcg_vcpu_create_op(struct vcpu *vcpu)
{
	vcpu->accel = tcg_vcpu_create(tvm_of(vcpu->vm), vcpu->id);
	if (!vcpu->accel) {
		pr_err("cannot create TCG vCPU %u", vcpu->id);
		return -ENOMEM;
	}
	return 0;
}

static int tcg_get_regs_op(struct vcpu *vcpu, struct kvm_regs *regs)
{
	return tcg_get_regs(tvcpu_of(vcpu), regs);
}

static int tcg_set_regs_op(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	return tcg_set_regs(tvcpu_of(vcpu), regs);
}

static int tcg_get_sregs_op(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	return tcg_get_sregs(tvcpu_of(vcpu), sregs);
}

static int tcg_set_sregs_op(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return tcg_set_sregs(tvcpu_of(vcpu), sregs);
}

static int tcg_set_msrs_op(struct vcpu *vcpu, const struct kvm_msrs *msrs)
{
	int n = tcg_set_msrs(tvcpu_of(vcpu), msrs);

	if (n != (int)msrs->nmsrs) {
		pr_err("TCG vCPU %u: MSR %#x refused", vcpu->id,
		       n >= 0 ? msrs->entries[n].index : 0);
		return -EINVAL;
	}
	return 0;
}

static int tcg_get_supported_cpuid_op(struct vm *vm, struct kvm_cpuid2 *cpuid)
{
	return tcg_get_supported_cpuid(cpuid);
}

static int tcg_set_cpuid_op(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	return tcg_set_cpuid2(tvcpu_of(vcpu), cpuid);
}

static enum vcpu_exit tcg_run(struct vcpu *vcpu)
{
	enum tcg_exit reason;

	for (;;) {
		if (vm_stopping(vcpu->vm))
			return VCPU_EXIT_STOP;
		if (tcg_vcpu_run(tvcpu_of(vcpu), &reason)) {
			pr_err("TCG vCPU %u cannot run", vcpu->id);
			return VCPU_EXIT_ERROR;
		}
		switch (reason) {
		case TCG_EXIT_INTR:
			continue;
		case TCG_EXIT_HLT:
			return VCPU_EXIT_HLT;
		case TCG_EXIT_SHUTDOWN:
			return VCPU_EXIT_SHUTDOWN;
		default:
			pr_err("TCG vCPU %u: %s", vcpu->id,
			       tcg_vcpu_error(tvcpu_of(vcpu)));
			return VCPU_EXIT_ERROR;
		}
	}
}

static void tcg_kick(struct vcpu *vcpu)
{
	tcg_vcpu_kick(tvcpu_of(vcpu));
}

static void tcg_host_write(struct vm *vm, u64 gpa, u64 len)
{
	tcg_vm_host_write(tvm_of(vm), gpa, len);
}

static int tcg_irq_line_op(struct vm *vm, unsigned int gsi, int level)
{
	return tcg_irq_line(tvm_of(vm), gsi, level);
}

static int tcg_signal_msi_op(struct vm *vm, u64 address, u32 data)
{
	struct kvm_msi msi = {
		.address_lo = (u32)address,
		.address_hi = address >> 32,
		.data = data,
	};

	return tcg_signal_msi(tvm_of(vm), &msi);
}

const struct accel_ops tcg_accel_ops = {
	.name = "tcg",
	.vm_create = tcg_vm_create_op,
	.vm_destroy = tcg_vm_destroy_op,
	.set_memory = tcg_set_memory,
	.vcpu_create = tcg_vcpu_create_op,
	.get_regs = tcg_get_regs_op,
	.set_regs = tcg_set_regs_op,
	.get_sregs = tcg_get_sregs_op,
	.set_sregs = tcg_set_sregs_op,
	.set_msrs = tcg_set_msrs_op,
	.get_supported_cpuid = tcg_get_supported_cpuid_op,
	.set_cpuid = tcg_set_cpuid_op,
	.run = tcg_run,
	.kick = tcg_kick,
	.host_write = tcg_host_write,
	.irq_line = tcg_irq_line_op,
	.signal_msi = tcg_signal_msi_op,
};
