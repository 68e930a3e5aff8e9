// SPDX-License-Identifier: GPL-2.0
/*
 * LAPIC timer: one-shot, periodic and TSC-deadline modes (SDM 10.5.4),
 * measured against the host's CLOCK_MONOTONIC.  The timer counts at the bus
 * frequency the VM advertises in CPUID.15H:ECX (CLOCK_APIC_BUS_KHZ), the
 * TSC at CLOCK_TSC_KHZ.  Tolerances are generous: the machine is shared.
 */
#include "kselftest_harness.h"
#include "irq_test.h"

#define VEC		0xec
#define MS		1000000ull
#define LVT_PERIODIC	(1u << 17)
#define LVT_DEADLINE	(2u << 17)
#define LVT_MASK	(1u << 16)
#define SLACK		(200 * MS)	/* how late a timer may be seen */

/* Timer counts in @ns at the current divide-by-one configuration. */
static uint64_t counts(uint64_t ns)
{
	return ns * CLOCK_APIC_BUS_KHZ / 1000000u;
}

FIXTURE(timer) {
	struct test_vm vm;
	struct tcg_apic *a;
};

FIXTURE_SETUP(timer)
{
	ASSERT_EQ(0, vm_init(&self->vm));
	self->a = self->vm.apic[0];
	sw_enable(self->a);
	/* Figure 10-10: divide configuration 1011b divides by 1. */
	wr(self->a, R_TDCR, 0xb);
}

FIXTURE_TEARDOWN(timer)
{
	vm_fini(&self->vm);
}

/* Waits (HLT-like) for the timer vector; returns ns since @t0. */
static uint64_t wait_timer(struct tcg_apic *a, uint64_t t0)
{
	apic_wait_event(a, NULL);
	return mono_ns() - t0;
}

TEST_F(timer, oneshot_counts_down_and_fires_once)
{
	struct tcg_apic *a = self->a;
	uint64_t t0, dt;
	uint32_t cur;

	wr(a, R_LVT_TIMER, VEC);
	t0 = mono_ns();
	wr(a, R_TMICT, counts(50 * MS));
	EXPECT_EQ(counts(50 * MS), rd(a, R_TMICT));
	sleep_ns(20 * MS);
	/* 10.5.4: current count = initial count - elapsed bus counts. */
	cur = rd(a, R_TMCCT);
	dt = mono_ns() - t0;
	EXPECT_GE(counts(31 * MS), cur);	/* >= 20 ms - 1 ms elapsed */
	EXPECT_LE(counts(50 * MS) - counts(dt), cur);
	EXPECT_EQ(-1, apic_get_interrupt(a));

	dt = wait_timer(a, t0);
	EXPECT_LE(50 * MS, dt);
	EXPECT_GE(50 * MS + SLACK, dt);
	EXPECT_EQ(VEC, take_irq(a));
	wr(a, R_EOI, 0);
	/* One-shot: the count stays at zero, no second interrupt. */
	EXPECT_EQ(0u, rd(a, R_TMCCT));
	sleep_ns(60 * MS);
	EXPECT_EQ(-1, apic_get_interrupt(a));
}

TEST_F(timer, periodic_reloads)
{
	struct tcg_apic *a = self->a;
	uint64_t t0, dt = 0, n;

	wr(a, R_LVT_TIMER, LVT_PERIODIC | VEC);
	t0 = mono_ns();
	wr(a, R_TMICT, counts(10 * MS));
	/*
	 * 10.5.4: periodic mode reloads from the initial count, so the n-th
	 * interrupt comes n periods after the start, never earlier.  It may
	 * come later only as far as the host is slow to run the timer (late
	 * periods coalesce, as the IRR bit would), which SLACK bounds here
	 * as it does for the one-shot timer: a fixed window would count the
	 * host's scheduling instead.
	 */
	for (n = 1; n <= 8; n++) {
		dt = wait_timer(a, t0);
		EXPECT_EQ(VEC, take_irq(a));
		wr(a, R_EOI, 0);
		EXPECT_LE(n * 10 * MS, dt);
	}
	EXPECT_GE(80 * MS + SLACK, dt);
	EXPECT_NE(0u, rd(a, R_TMCCT));
	EXPECT_GE(counts(10 * MS), rd(a, R_TMCCT));
	/* 10.5.4: writing 0 to the initial count stops the timer. */
	wr(a, R_TMICT, 0);
	take_irq(a);
	wr(a, R_EOI, 0);
	sleep_ns(25 * MS);
	EXPECT_EQ(-1, apic_get_interrupt(a));
}

TEST_F(timer, divide_configuration)
{
	struct tcg_apic *a = self->a;
	uint64_t t0, dt;
	uint32_t cur;

	/* Figure 10-10: 0011b divides by 16, 1010b by 128. */
	wr(a, R_TDCR, 0x3);
	wr(a, R_LVT_TIMER, VEC);
	t0 = mono_ns();
	wr(a, R_TMICT, counts(1 * MS));	/* 16 ms at divide 16 */
	sleep_ns(8 * MS);
	cur = rd(a, R_TMCCT);
	dt = mono_ns() - t0;
	EXPECT_LE(counts(1 * MS) - counts(dt) / 16, cur);
	EXPECT_GE(counts(1 * MS) - counts(7 * MS) / 16, cur);
	dt = wait_timer(a, t0);
	EXPECT_LE(16 * MS, dt);
	EXPECT_GE(16 * MS + SLACK, dt);
	take_irq(a);
	wr(a, R_EOI, 0);

	wr(a, R_TDCR, 0xa);
	t0 = mono_ns();
	wr(a, R_TMICT, counts(MS / 8));	/* 16 ms at divide 128 */
	dt = wait_timer(a, t0);
	EXPECT_LE(16 * MS, dt);
	EXPECT_GE(16 * MS + SLACK, dt);
}

TEST_F(timer, tsc_deadline)
{
	struct tcg_apic *a = self->a;
	struct tcg_vcpu_clock *c = apic_clock(a);
	uint64_t t0, dt, dl, v;

	/* 10.5.4.1: outside TSC-deadline mode the MSR reads 0, ignores writes. */
	EXPECT_EQ(0, apic_wrmsr(a, 0x6e0, 12345));
	ASSERT_EQ(0, apic_rdmsr(a, 0x6e0, &v));
	EXPECT_EQ(0ull, v);

	wr(a, R_LVT_TIMER, LVT_DEADLINE | VEC);
	/* In TSC-deadline mode TMICT writes are ignored, TMCCT reads 0. */
	wr(a, R_TMICT, 1000);
	EXPECT_EQ(0u, rd(a, R_TMICT));
	EXPECT_EQ(0u, rd(a, R_TMCCT));

	t0 = mono_ns();
	dl = clock_read_tsc(c) + 20 * MS * (CLOCK_TSC_KHZ / 1000000u);
	ASSERT_EQ(0, apic_wrmsr(a, 0x6e0, dl));
	ASSERT_EQ(0, apic_rdmsr(a, 0x6e0, &v));
	EXPECT_EQ(dl, v);
	dt = wait_timer(a, t0);
	/* The interrupt comes when the TSC >= the deadline ... */
	EXPECT_LE(dl, clock_read_tsc(c));
	EXPECT_LE(19 * MS, dt);
	EXPECT_GE(20 * MS + SLACK, dt);
	EXPECT_EQ(VEC, take_irq(a));
	wr(a, R_EOI, 0);
	/* ... and the timer disarms itself and clears the MSR. */
	ASSERT_EQ(0, apic_rdmsr(a, 0x6e0, &v));
	EXPECT_EQ(0ull, v);

	/* A deadline already passed fires at once. */
	t0 = mono_ns();
	ASSERT_EQ(0, apic_wrmsr(a, 0x6e0, 1));
	dt = wait_timer(a, t0);
	EXPECT_GE(SLACK, dt);
	EXPECT_EQ(VEC, take_irq(a));
	wr(a, R_EOI, 0);

	/* Writing 0 disarms. */
	dl = clock_read_tsc(c) + 10 * MS * (CLOCK_TSC_KHZ / 1000000u);
	ASSERT_EQ(0, apic_wrmsr(a, 0x6e0, dl));
	ASSERT_EQ(0, apic_wrmsr(a, 0x6e0, 0));
	sleep_ns(30 * MS);
	EXPECT_EQ(-1, apic_get_interrupt(a));
}

TEST_F(timer, tsc_write_moves_deadline)
{
	struct tcg_apic *a = self->a;
	struct tcg_vcpu_clock *c = apic_clock(a);
	uint64_t t0, dt, tsc;

	/*
	 * 10.5.4.1: the interrupt comes when the TSC reaches the deadline,
	 * so a TSC written forward past it fires the timer at once.
	 */
	wr(a, R_LVT_TIMER, LVT_DEADLINE | VEC);
	tsc = clock_read_tsc(c);
	ASSERT_EQ(0, apic_wrmsr(a, 0x6e0, tsc + 10000 * MS * 2));
	t0 = mono_ns();
	ASSERT_EQ(0, clock_wrmsr(c, 0x10, tsc + 20000 * MS * 2));
	dt = wait_timer(a, t0);
	EXPECT_GE(SLACK, dt);
	EXPECT_EQ(VEC, take_irq(a));
}

TEST_F(timer, masked_timer_still_counts)
{
	struct tcg_apic *a = self->a;

	/* 10.5.4: the mask flag masks the interrupt, not the counting. */
	wr(a, R_LVT_TIMER, LVT_MASK | VEC);
	wr(a, R_TMICT, counts(5 * MS));
	sleep_ns(20 * MS);
	EXPECT_EQ(0u, rd(a, R_TMCCT));
	EXPECT_FALSE(vec_bit(a, R_IRR, VEC));
	EXPECT_FALSE(apic_has_event(a));
}

TEST_F(timer, mode_change_disarms)
{
	struct tcg_apic *a = self->a;
	uint64_t v;

	/* 10.5.4.1: a write changing the timer mode disarms the timer. */
	wr(a, R_LVT_TIMER, VEC);
	wr(a, R_TMICT, counts(10 * MS));
	wr(a, R_LVT_TIMER, LVT_PERIODIC | VEC);
	sleep_ns(30 * MS);
	EXPECT_EQ(-1, apic_get_interrupt(a));

	wr(a, R_LVT_TIMER, LVT_DEADLINE | VEC);
	ASSERT_EQ(0, apic_wrmsr(a, 0x6e0, clock_read_tsc(apic_clock(a)) +
					  20 * MS * (CLOCK_TSC_KHZ / 1000000u)));
	wr(a, R_LVT_TIMER, VEC);
	wr(a, R_LVT_TIMER, LVT_DEADLINE | VEC);
	ASSERT_EQ(0, apic_rdmsr(a, 0x6e0, &v));
	EXPECT_EQ(0ull, v);
	sleep_ns(30 * MS);
	EXPECT_EQ(-1, apic_get_interrupt(a));
}

TEST_HARNESS_MAIN
