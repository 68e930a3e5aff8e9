// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual clock: TSC rate and IA32_TSC/IA32_TSC_ADJUST (SDM Vol. 3B
 * 18.17), and kvmclock as a Linux guest decodes it (the pvclock ABI of
 * Documentation/virt/kvm/x86/msr.rst), measured against the host's
 * CLOCK_MONOTONIC and CLOCK_REALTIME.
 */
#include "kselftest_harness.h"
#include "irq_test.h"

#define MS		1000000ull
#define PVTI_GPA	0x1000
#define WALL_GPA	0x2000
#define STABLE_BIT	(1u << 0)

/* The guest's view of struct pvclock_vcpu_time_info, read byte-wise. */
struct pvti {
	uint32_t version;
	uint64_t tsc_timestamp, system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static struct pvti read_pvti(const uint8_t *m)
{
	/*
	 * msr.rst: u32 version, u32 pad, u64 tsc_timestamp, u64
	 * system_time, u32 tsc_to_system_mul, s8 tsc_shift, u8 flags.
	 */
	struct pvti p = {
		.version = le(m, 4),
		.tsc_timestamp = le(m + 8, 8),
		.system_time = le(m + 16, 8),
		.mul = le(m + 24, 4),
		.shift = (int8_t)m[28],
		.flags = m[29],
	};
	return p;
}

/* msr.rst: time = system_time + (((tsc - tsc_timestamp) << shift) * mul >> 32) */
static uint64_t pvclock_ns(const struct pvti *p, uint64_t tsc)
{
	uint64_t d = tsc - p->tsc_timestamp;

	d = p->shift < 0 ? d >> -p->shift : d << p->shift;
	return p->system_time + (uint64_t)(((__uint128_t)d * p->mul) >> 32);
}

/* Linux's pvclock_tsc_khz(): the TSC rate the guest derives from mul/shift. */
static uint64_t pvclock_khz(const struct pvti *p)
{
	uint64_t khz = (1000000ull << 32) / p->mul;

	return p->shift < 0 ? khz << -p->shift : khz >> p->shift;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

FIXTURE(clk) {
	struct test_vm vm;
	struct tcg_vcpu_clock *c;
	uint64_t created;
};

FIXTURE_SETUP(clk)
{
	self->created = mono_ns();
	ASSERT_EQ(0, vm_init(&self->vm));
	self->c = apic_clock(self->vm.apic[0]);
}

FIXTURE_TEARDOWN(clk)
{
	vm_fini(&self->vm);
}

TEST_F(clk, tsc_rate_and_start)
{
	uint64_t m0, t0, m1, t1;

	/* Like KVM, the guest TSC starts near 0 when the VM is created. */
	m0 = mono_ns();
	t0 = clock_read_tsc(self->c);
	EXPECT_GE((m0 - self->created + MS) * (CLOCK_TSC_KHZ / 1000000u), t0);
	sleep_ns(50 * MS);
	m1 = mono_ns();
	t1 = clock_read_tsc(self->c);
	/* The advertised rate (CPUID.15H/16H) against CLOCK_MONOTONIC. */
	EXPECT_GE((m1 - m0 + MS) * CLOCK_TSC_KHZ / 1000000u, t1 - t0);
	EXPECT_LE((m1 - m0 - MS) * CLOCK_TSC_KHZ / 1000000u, t1 - t0);
	EXPECT_EQ(2000000u, clock_tsc_khz());
}

TEST_F(clk, tsc_write_moves_tsc_adjust)
{
	struct tcg_vcpu_clock *c1 = apic_clock(self->vm.apic[1]);
	uint64_t before, v, adj;

	/* SDM 18.17.3: a TSC write adds the same delta to TSC_ADJUST ... */
	before = clock_read_tsc(self->c);
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x10, 1000000000000ull));
	ASSERT_EQ(0, clock_rdmsr(self->c, 0x10, &v));
	EXPECT_LE(1000000000000ull, v);
	EXPECT_GE(1000000000000ull + 10 * MS * 2, v);
	ASSERT_EQ(0, clock_rdmsr(self->c, 0x3b, &adj));
	EXPECT_GE(1000000000000ull - before, adj);
	EXPECT_LE(1000000000000ull - before - 10 * MS * 2, adj);
	/* ... and is per logical processor. */
	EXPECT_GT(1000000000ull, clock_read_tsc(c1));
	/* ... and a TSC_ADJUST write moves the TSC by its change. */
	before = clock_read_tsc(self->c);
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x3b, adj - 5000000000ull));
	v = clock_read_tsc(self->c);
	EXPECT_GE(before - 5000000000ull + 10 * MS * 2, v);
	EXPECT_LE(before - 5000000000ull, v);
	/* Not a clock MSR. */
	EXPECT_FALSE(clock_msr_owned(0x1b));
	EXPECT_EQ(-1, clock_rdmsr(self->c, 0x1b, &v));
	EXPECT_EQ(-1, clock_wrmsr(self->c, 0x1b, 0));
}

static void check_kvmclock(struct __test_metadata *_metadata,
			   struct test_vm *vm, struct tcg_vcpu_clock *c,
			   uint64_t created)
{
	struct pvti p = read_pvti(vm->mem + PVTI_GPA);
	uint64_t k0, m0, k1, m1;

	/* Even version: the structure is complete. */
	EXPECT_EQ(0u, p.version & 1);
	EXPECT_NE(0u, p.version);
	EXPECT_EQ(STABLE_BIT, p.flags & STABLE_BIT);
	/* The guest derives the same TSC rate as CPUID.15H reports. */
	EXPECT_EQ(clock_tsc_khz(), pvclock_khz(&p));
	/* kvmclock counts from VM creation ... */
	m0 = mono_ns();
	k0 = pvclock_ns(&p, clock_read_tsc(c));
	EXPECT_GE(m0 - created + MS, k0);
	EXPECT_LE(m0 - created, k0 + 50 * MS);
	/* ... at the rate of CLOCK_MONOTONIC. */
	sleep_ns(30 * MS);
	m1 = mono_ns();
	k1 = pvclock_ns(&p, clock_read_tsc(c));
	EXPECT_GE(MS, absdiff(k1 - k0, m1 - m0));
}

TEST_F(clk, kvmclock_system_time)
{
	uint64_t v;

	ASSERT_TRUE(clock_msr_owned(0x4b564d01));
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x4b564d01, PVTI_GPA | 1));
	ASSERT_EQ(0, clock_rdmsr(self->c, 0x4b564d01, &v));
	EXPECT_EQ(PVTI_GPA | 1ull, v);
	check_kvmclock(_metadata, &self->vm, self->c, self->created);
}

TEST_F(clk, kvmclock_old_msr_and_disable)
{
	/* The old MSR 0x12 has the same layout (msr.rst). */
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x12, PVTI_GPA | 1));
	check_kvmclock(_metadata, &self->vm, self->c, self->created);
	/* Bit 0 clear: nothing is written. */
	memset(self->vm.mem, 0, sizeof(self->vm.mem));
	self->vm.mem_writes = 0;
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x4b564d01, PVTI_GPA));
	EXPECT_EQ(0, self->vm.mem_writes);
	/* A structure outside guest memory is refused, quietly. */
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x4b564d01, 0x100000 | 1));
	EXPECT_EQ(0, self->vm.mem_writes);
}

TEST_F(clk, kvmclock_survives_tsc_write)
{
	struct pvti before, after;

	ASSERT_EQ(0, clock_wrmsr(self->c, 0x4b564d01, PVTI_GPA | 1));
	before = read_pvti(self->vm.mem + PVTI_GPA);
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x10, 7777777777777ull));
	after = read_pvti(self->vm.mem + PVTI_GPA);
	/* Rewritten with a new version; still tracks CLOCK_MONOTONIC. */
	EXPECT_LT(before.version, after.version);
	EXPECT_NE(before.tsc_timestamp, after.tsc_timestamp);
	check_kvmclock(_metadata, &self->vm, self->c, self->created);
}

TEST_F(clk, kvmclock_same_on_all_vcpus)
{
	struct tcg_vcpu_clock *c1 = apic_clock(self->vm.apic[1]);
	struct pvti p0, p1;
	uint64_t k0, k1;

	ASSERT_EQ(0, clock_wrmsr(c1, 0x10, 123456789ull));
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x4b564d01, PVTI_GPA | 1));
	ASSERT_EQ(0, clock_wrmsr(c1, 0x4b564d01, (PVTI_GPA + 64) | 1));
	p0 = read_pvti(self->vm.mem + PVTI_GPA);
	p1 = read_pvti(self->vm.mem + PVTI_GPA + 64);
	/* TSC_STABLE promises one timeline whatever each TSC says. */
	k0 = pvclock_ns(&p0, clock_read_tsc(self->c));
	k1 = pvclock_ns(&p1, clock_read_tsc(c1));
	EXPECT_GE(MS, absdiff(k0, k1));
}

TEST_F(clk, kvmclock_wall_clock)
{
	struct pvti p;
	uint64_t boot, now;
	const uint8_t *w = self->vm.mem + WALL_GPA;

	ASSERT_EQ(0, clock_wrmsr(self->c, 0x4b564d01, PVTI_GPA | 1));
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x4b564d00, WALL_GPA));
	/* msr.rst: u32 version, u32 sec, u32 nsec: wall time at kvmclock 0. */
	EXPECT_EQ(0u, le(w, 4) & 1);
	boot = le(w + 4, 4) * 1000000000ull + le(w + 8, 4);
	p = read_pvti(self->vm.mem + PVTI_GPA);
	now = boot + pvclock_ns(&p, clock_read_tsc(self->c));
	EXPECT_GE(5 * MS, absdiff(now, real_ns()));
	/* The old MSR 0x11 writes the same structure. */
	ASSERT_EQ(0, clock_wrmsr(self->c, 0x11, WALL_GPA + 16));
	EXPECT_GE(5ull, absdiff(le(w + 4, 4), le(w + 20, 4)));
}

TEST_HARNESS_MAIN
