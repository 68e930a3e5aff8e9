/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one virtual clock of a tcg-fallback VM.
 *
 * Everything that measures time in the guest is derived from the host's
 * CLOCK_MONOTONIC: the TSC (a fixed CLOCK_TSC_KHZ, invariant and identical on
 * all vCPUs unless the guest writes IA32_TSC), the LAPIC timer (which counts
 * at CLOCK_APIC_BUS_KHZ) and kvmclock (nanoseconds since the VM was created).
 * Because the TSC is exactly 2 ticks per nanosecond, the pvclock scale is
 * exact and kvmclock never drifts from the TSC, so the pvclock structures are
 * written once, when the guest enables them, and again only when the guest
 * changes its TSC.
 *
 * CPUID should advertise the same frequencies (Intel vendor string):
 *   CPUID.15H: EAX = 1, EBX = 2, ECX = 1000000000 (crystal = APIC bus, Hz)
 *              -> TSC = ECX * EBX / EAX = 2 GHz; Linux also takes the LAPIC
 *              timer period from ECX and so skips both calibrations.
 *   CPUID.16H: EAX = EBX = 2000 (MHz), ECX = 1000 (bus MHz).
 *   KVM leaf 0x40000001: KVM_FEATURE_CLOCKSOURCE, _CLOCKSOURCE2,
 *              _CLOCKSOURCE_STABLE_BIT; CPUID.80000007H:EDX[8] (invariant TSC).
 */
#ifndef TCG_CLOCK_H
#define TCG_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLOCK_TSC_KHZ		2000000u	/* guest TSC: 2.0 GHz */
#define CLOCK_APIC_BUS_KHZ	1000000u	/* LAPIC timer input: 1 GHz, as KVM */

/* The MSRs clock_rdmsr()/clock_wrmsr() implement. */
#define MSR_CLK_IA32_TSC		0x00000010
#define MSR_CLK_IA32_TSC_ADJUST		0x0000003b
#define MSR_CLK_KVM_WALL_CLOCK		0x00000011
#define MSR_CLK_KVM_SYSTEM_TIME		0x00000012
#define MSR_CLK_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_CLK_KVM_SYSTEM_TIME_NEW	0x4b564d01

/* pvclock_vcpu_time_info.flags bit: the TSC is the same on every vCPU. */
#define CLOCK_PVCLOCK_TSC_STABLE_BIT	(1u << 0)

typedef int (*clock_write_guest_fn)(void *vm_opaque, uint64_t gpa,
				    const void *buf, size_t len);

/* VM-wide part: the instant at which guest TSC and kvmclock were 0. */
struct tcg_vm_clock {
	uint64_t epoch_ns;		/* CLOCK_MONOTONIC at VM creation */
	clock_write_guest_fn write_guest;
	void *vm_opaque;
};

/* Per-vCPU part.  Only the vCPU's own thread may change it. */
struct tcg_vcpu_clock {
	const struct tcg_vm_clock *vm;
	int64_t tsc_offset;		/* guest TSC - TSC counted from epoch */
	uint64_t tsc_adjust;		/* IA32_TSC_ADJUST */
	uint64_t system_time_msr;	/* last MSR_KVM_SYSTEM_TIME(_NEW) write */
	uint64_t wall_clock_msr;	/* last MSR_KVM_WALL_CLOCK(_NEW) write */
	uint32_t pvti_version;		/* version field of our pvclock writes */
	/* Called after a guest write moved the TSC (the LAPIC's deadline). */
	void (*tsc_changed)(void *opaque);
	void *tsc_changed_opaque;
};

static inline uint32_t clock_tsc_khz(void)
{
	return CLOCK_TSC_KHZ;
}

static inline uint32_t clock_apic_bus_khz(void)
{
	return CLOCK_APIC_BUS_KHZ;
}

/* Host CLOCK_MONOTONIC in nanoseconds: the time base of everything here. */
uint64_t clock_now_ns(void);

void clock_vm_init(struct tcg_vm_clock *vm, clock_write_guest_fn write_guest,
		   void *vm_opaque);
void clock_vcpu_init(struct tcg_vcpu_clock *c, const struct tcg_vm_clock *vm);

/* RDTSC/RDTSCP/RDMSR(IA32_TSC) of this vCPU, now. */
uint64_t clock_read_tsc(const struct tcg_vcpu_clock *c);
/* The guest TSC of this vCPU at host time @now_ns. */
uint64_t clock_tsc_at(const struct tcg_vcpu_clock *c, uint64_t now_ns);
/* The host CLOCK_MONOTONIC time at which this vCPU's TSC reaches @tsc. */
uint64_t clock_tsc_deadline_ns(const struct tcg_vcpu_clock *c, uint64_t tsc);
/* kvmclock's system_time, in ns since VM creation, at host time @now_ns. */
uint64_t clock_kvmclock_ns(const struct tcg_vm_clock *vm, uint64_t now_ns);

/*
 * IA32_TSC, IA32_TSC_ADJUST and the kvmclock MSRs (old and new numbers).
 * clock_msr_owned() tells which MSRs these take; they return 0, or -1 where
 * the guest must get #GP.  A kvmclock enable writes the pvclock structure
 * into guest memory through the VM's write_guest callback.
 */
bool clock_msr_owned(uint32_t msr);
int clock_rdmsr(struct tcg_vcpu_clock *c, uint32_t msr, uint64_t *val);
int clock_wrmsr(struct tcg_vcpu_clock *c, uint32_t msr, uint64_t val);

#endif /* TCG_CLOCK_H */
