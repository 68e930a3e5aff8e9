/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcg-fallback: an x86-64 system emulator behind a KVM-shaped interface.
 *
 * The calls below mirror the /dev/kvm ioctls one for one and use the same
 * structures from <linux/kvm.h>, so that lkvm's accelerator layer maps each
 * KVM ioctl onto one call here.  The one deliberate difference: port I/O and
 * MMIO are not returned as exits but handed synchronously to callbacks
 * (tcg_vm_set_io_ops), because the emulator runs in lkvm's own thread and a
 * round trip through struct kvm_run would only cost time.
 *
 * Interrupt controllers live on the emulator's side, as with KVM's in-kernel
 * irqchip: each vCPU has a LAPIC (xAPIC MMIO at the APIC base and x2APIC
 * MSRs), the VM has one IOAPIC at 0xfec00000 with 24 pins.
 *
 * All calls return 0 or a negative errno value.
 */
#ifndef TCG_H
#define TCG_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

struct tcg_vm;
struct tcg_vcpu;

/*
 * Device callbacks.  They run on the vCPU thread that made the access.
 * @len is 1, 2, 4 or 8.  A read fills *data (little endian, @len bytes);
 * unclaimed reads should return all-ones as on real hardware.
 */
struct tcg_io_ops {
	void (*pio)(void *opaque, uint16_t port, void *data, unsigned int len,
		    bool is_write);
	void (*mmio)(void *opaque, uint64_t gpa, void *data, unsigned int len,
		     bool is_write);
	void *opaque;
};

/* Exit reasons returned by tcg_vcpu_run(); the values are KVM's. */
enum tcg_exit {
	TCG_EXIT_HLT = KVM_EXIT_HLT,		/* HLT with IF=0, nothing can wake it */
	TCG_EXIT_SHUTDOWN = KVM_EXIT_SHUTDOWN,	/* triple fault */
	TCG_EXIT_INTR = KVM_EXIT_INTR,		/* tcg_vcpu_kick() or a budget ran out */
	TCG_EXIT_INTERNAL_ERROR = KVM_EXIT_INTERNAL_ERROR,
};

struct tcg_vm *tcg_vm_create(void);
void tcg_vm_destroy(struct tcg_vm *vm);
void tcg_vm_set_io_ops(struct tcg_vm *vm, const struct tcg_io_ops *ops);

/*
 * KVM_SET_USER_MEMORY_REGION: guest-physical [guest_phys_addr, +memory_size)
 * is backed by host memory at userspace_addr.  memory_size 0 deletes a slot.
 * Writes through the emulator invalidate translated code of that page.
 */
int tcg_set_user_memory_region(struct tcg_vm *vm,
			       const struct kvm_userspace_memory_region *r);

/*
 * lkvm or a device wrote guest memory directly (loading a kernel, DMA of a
 * virtio device): retires translated code of the pages in
 * [gpa, gpa + len).  Not needed for writes made by guest instructions.
 * Cheap when the range holds no code; any thread.
 */
void tcg_vm_host_write(struct tcg_vm *vm, uint64_t gpa, uint64_t len);

/* KVM_IRQ_LINE on the IOAPIC's pins, KVM_SIGNAL_MSI for MSI writes. */
int tcg_irq_line(struct tcg_vm *vm, unsigned int gsi, int level);
int tcg_signal_msi(struct tcg_vm *vm, const struct kvm_msi *msi);

/*
 * KVM_CREATE_VCPU.  vCPU 0 starts runnable; others wait for INIT/SIPI from
 * the LAPIC of another vCPU unless their state is set explicitly (which
 * makes them runnable).
 */
struct tcg_vcpu *tcg_vcpu_create(struct tcg_vm *vm, unsigned int id);
void tcg_vcpu_destroy(struct tcg_vcpu *vcpu);

int tcg_get_regs(struct tcg_vcpu *vcpu, struct kvm_regs *regs);
int tcg_set_regs(struct tcg_vcpu *vcpu, const struct kvm_regs *regs);
int tcg_get_sregs(struct tcg_vcpu *vcpu, struct kvm_sregs *sregs);
int tcg_set_sregs(struct tcg_vcpu *vcpu, const struct kvm_sregs *sregs);
int tcg_get_fpu(struct tcg_vcpu *vcpu, struct kvm_fpu *fpu);
int tcg_set_fpu(struct tcg_vcpu *vcpu, const struct kvm_fpu *fpu);
int tcg_set_cpuid2(struct tcg_vcpu *vcpu, const struct kvm_cpuid2 *cpuid);
/* KVM_GET_SUPPORTED_CPUID: what the emulated CPU can offer. */
int tcg_get_supported_cpuid(struct kvm_cpuid2 *cpuid);
/* Like KVM_GET_MSRS/KVM_SET_MSRS: returns the number of MSRs processed. */
int tcg_get_msrs(struct tcg_vcpu *vcpu, struct kvm_msrs *msrs);
int tcg_set_msrs(struct tcg_vcpu *vcpu, const struct kvm_msrs *msrs);

/*
 * KVM_RUN: executes until an event lkvm must see.  Port I/O and MMIO go to
 * the io ops meanwhile.  HLT with interrupts enabled sleeps inside (on the
 * LAPIC timer or an interrupt from another thread) rather than returning.
 */
int tcg_vcpu_run(struct tcg_vcpu *vcpu, enum tcg_exit *reason);

/* Makes a running tcg_vcpu_run() return TCG_EXIT_INTR soon; any thread. */
void tcg_vcpu_kick(struct tcg_vcpu *vcpu);

/* Guest instructions retired by this vCPU so far (for benchmarks). */
uint64_t tcg_vcpu_insn_count(const struct tcg_vcpu *vcpu);

/*
 * Blocks this vCPU has compiled to host code so far (for tests: 0 when the
 * JIT is off, TCG_JIT=0).  A block is compiled after TCG_JIT_THRESHOLD runs
 * (default 16); both variables are read when the VM is created.
 */
uint64_t tcg_vcpu_jit_blocks(const struct tcg_vcpu *vcpu);

/* Human-readable text of the last TCG_EXIT_INTERNAL_ERROR. */
const char *tcg_vcpu_error(const struct tcg_vcpu *vcpu);

#endif /* TCG_H */
