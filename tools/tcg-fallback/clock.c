// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual clock: guest TSC, kvmclock and the LAPIC timer's time base,
 * all from CLOCK_MONOTONIC.
 *
 * kvmclock ABI: Documentation/virt/kvm/x86/msr.rst in the Linux tree
 * (MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW and struct
 * pvclock_vcpu_time_info / pvclock_wall_clock).
 */
#include <time.h>

#include "clock.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the pvclock structures are written in host byte order"
#endif

#define NSEC_PER_SEC	1000000000ull
#define TSC_PER_NS	(CLOCK_TSC_KHZ / 1000000u)

_Static_assert(CLOCK_TSC_KHZ % 1000000u == 0,
	       "the TSC must be a whole number of ticks per nanosecond");

/* The guest ABI: 32 bytes, one per vCPU. */
struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock ABI");

/* The guest ABI: wall-clock time at kvmclock 0. */
struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock ABI");

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

uint64_t clock_now_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

void clock_vm_init(struct tcg_vm_clock *vm, clock_write_guest_fn write_guest,
		   void *vm_opaque)
{
	vm->epoch_ns = clock_now_ns();
	vm->write_guest = write_guest;
	vm->vm_opaque = vm_opaque;
}

void clock_vcpu_init(struct tcg_vcpu_clock *c, const struct tcg_vm_clock *vm)
{
	*c = (struct tcg_vcpu_clock){ .vm = vm };
}

uint64_t clock_kvmclock_ns(const struct tcg_vm_clock *vm, uint64_t now_ns)
{
	return now_ns - vm->epoch_ns;
}

uint64_t clock_tsc_at(const struct tcg_vcpu_clock *c, uint64_t now_ns)
{
	return clock_kvmclock_ns(c->vm, now_ns) * TSC_PER_NS + c->tsc_offset;
}

uint64_t clock_read_tsc(const struct tcg_vcpu_clock *c)
{
	return clock_tsc_at(c, clock_now_ns());
}

uint64_t clock_tsc_deadline_ns(const struct tcg_vcpu_clock *c, uint64_t tsc)
{
	__int128 ticks = (__int128)tsc - c->tsc_offset;
	__int128 ns;

	if (ticks <= 0)
		return c->vm->epoch_ns;
	/* Round up: the deadline is reached when the TSC is >= @tsc. */
	ns = c->vm->epoch_ns + (ticks + TSC_PER_NS - 1) / TSC_PER_NS;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* Writes @buf with an odd version first and an even one last. */
static void write_versioned(struct tcg_vcpu_clock *c, uint64_t gpa,
			    void *buf, size_t len)
{
	const struct tcg_vm_clock *vm = c->vm;
	uint32_t *version = buf;

	if (!vm->write_guest)
		return;
	*version = ++c->pvti_version;
	if (vm->write_guest(vm->vm_opaque, gpa, version, sizeof(*version)) ||
	    vm->write_guest(vm->vm_opaque, gpa, buf, len))
		return;
	*version = ++c->pvti_version;
	vm->write_guest(vm->vm_opaque, gpa, version, sizeof(*version));
}

static void update_pvti(struct tcg_vcpu_clock *c)
{
	uint64_t now = clock_now_ns();
	/*
	 * system_time + ((tsc - tsc_timestamp) * mul >> 32): with 2 ticks
	 * per ns, mul = 2^32 / 2 and shift 0 are exact, so this pair needs
	 * no refresh while the TSC runs.
	 */
	struct pvclock_vcpu_time_info pvti = {
		.tsc_timestamp = clock_tsc_at(c, now),
		.system_time = clock_kvmclock_ns(c->vm, now),
		.tsc_to_system_mul = (uint32_t)((1ull << 32) / TSC_PER_NS),
		.tsc_shift = 0,
		.flags = CLOCK_PVCLOCK_TSC_STABLE_BIT,
	};

	if (c->system_time_msr & 1)
		write_versioned(c, c->system_time_msr & ~1ull, &pvti,
				sizeof(pvti));
}

static void update_wall_clock(struct tcg_vcpu_clock *c, uint64_t gpa)
{
	uint64_t now = clock_now_ns();
	uint64_t boot = read_clock(CLOCK_REALTIME) -
			clock_kvmclock_ns(c->vm, now);
	struct pvclock_wall_clock wc = {
		.sec = boot / NSEC_PER_SEC,
		.nsec = boot % NSEC_PER_SEC,
	};

	write_versioned(c, gpa, &wc, sizeof(wc));
}

/* Moves the TSC by @delta ticks (IA32_TSC and IA32_TSC_ADJUST writes). */
static void tsc_add(struct tcg_vcpu_clock *c, int64_t delta)
{
	c->tsc_offset += delta;
	update_pvti(c);
	if (c->tsc_changed)
		c->tsc_changed(c->tsc_changed_opaque);
}

bool clock_msr_owned(uint32_t msr)
{
	switch (msr) {
	case MSR_CLK_IA32_TSC:
	case MSR_CLK_IA32_TSC_ADJUST:
	case MSR_CLK_KVM_WALL_CLOCK:
	case MSR_CLK_KVM_SYSTEM_TIME:
	case MSR_CLK_KVM_WALL_CLOCK_NEW:
	case MSR_CLK_KVM_SYSTEM_TIME_NEW:
		return true;
	}
	return false;
}

int clock_rdmsr(struct tcg_vcpu_clock *c, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_CLK_IA32_TSC:
		*val = clock_read_tsc(c);
		return 0;
	case MSR_CLK_IA32_TSC_ADJUST:
		*val = c->tsc_adjust;
		return 0;
	case MSR_CLK_KVM_WALL_CLOCK:
	case MSR_CLK_KVM_WALL_CLOCK_NEW:
		*val = c->wall_clock_msr;
		return 0;
	case MSR_CLK_KVM_SYSTEM_TIME:
	case MSR_CLK_KVM_SYSTEM_TIME_NEW:
		*val = c->system_time_msr;
		return 0;
	}
	return -1;
}

int clock_wrmsr(struct tcg_vcpu_clock *c, uint32_t msr, uint64_t val)
{
	int64_t delta;

	switch (msr) {
	case MSR_CLK_IA32_TSC:
		/* SDM 18.17.3: a TSC write moves TSC_ADJUST by as much. */
		delta = (int64_t)(val - clock_read_tsc(c));
		c->tsc_adjust += delta;
		tsc_add(c, delta);
		return 0;
	case MSR_CLK_IA32_TSC_ADJUST:
		/* SDM 18.17.3: and a TSC_ADJUST write moves the TSC. */
		delta = (int64_t)(val - c->tsc_adjust);
		c->tsc_adjust = val;
		tsc_add(c, delta);
		return 0;
	case MSR_CLK_KVM_WALL_CLOCK:
	case MSR_CLK_KVM_WALL_CLOCK_NEW:
		c->wall_clock_msr = val;
		update_wall_clock(c, val);
		return 0;
	case MSR_CLK_KVM_SYSTEM_TIME:
	case MSR_CLK_KVM_SYSTEM_TIME_NEW:
		c->system_time_msr = val;
		update_pvti(c);
		return 0;
	}
	return -1;
}
