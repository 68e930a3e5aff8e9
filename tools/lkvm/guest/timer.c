// SPDX-License-Identifier: GPL-2.0
/*
 * The LAPIC timer through xAPIC MMIO at 0xfee00000: software-enables the
 * APIC through SVR, runs the timer once one-shot and once periodic (vector
 * 0x40, divide by 1, initial count 1000000), halts with interrupts on until
 * the interrupts arrive, and EOIs each one; after the last EOI no vector
 * may remain in service (ISR).  Exit status 0.  No register's final value
 * depends on timing.
 */
#include "guest.h"

#define MSR_APIC_BASE		0x1b
#define APIC_BASE		0xfee00000ULL
#define APIC_TPR		0x080
#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_ISR		0x100
#define APIC_LVT_TIMER		0x320
#define APIC_TIMER_INIT		0x380
#define APIC_TIMER_CUR		0x390
#define APIC_TIMER_DIV		0x3e0
#define APIC_SVR_ENABLE		0x100
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_TIMER_PERIODIC	(1U << 17)
#define APIC_DIV_BY_1		0xb

#define TIMER_VECTOR		0x40
#define SPURIOUS_VECTOR		0xff
#define TIMER_COUNT		1000000
#define PERIODIC_TICKS		5

/* Read in wait_ticks() only after an asm with a memory clobber. */
static int ticks;
static int tick_limit;

static u32 apic_read(u32 reg)
{
	return mmio_read32(APIC_BASE + reg);
}

static void apic_write(u32 reg, u32 v)
{
	mmio_write32(APIC_BASE + reg, v);
}

static void timer_handler(struct trap_frame *f)
{
	/* Stop a periodic timer at the limit so the count is exact. */
	if (++ticks == tick_limit) {
		apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | TIMER_VECTOR);
		apic_write(APIC_TIMER_INIT, 0);
	}
	apic_write(APIC_EOI, 0);
}

/* STI's one-instruction shadow makes "sti; hlt" free of lost wake-ups. */
static void wait_ticks(int n)
{
	while (ticks < n)
		asm volatile("sti; hlt; cli" : : : "memory");
}

static void run_timer(u32 mode, int limit, int wait)
{
	ticks = 0;
	tick_limit = limit;
	apic_write(APIC_TIMER_DIV, APIC_DIV_BY_1);
	apic_write(APIC_LVT_TIMER, mode | TIMER_VECTOR);
	apic_write(APIC_TIMER_INIT, TIMER_COUNT);
	wait_ticks(wait);
}

int payload_main(void)
{
	bool any_in_service = false;

	traps_init();
	set_trap_handler(TIMER_VECTOR, timer_handler);
	print("apic base msr: %lx\n", rdmsr(MSR_APIC_BASE));
	apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_TPR, 0);

	/* One-shot: never stopped by the handler, it must end at count 0. */
	run_timer(0, 0, 1);
	print("one-shot: %d interrupt, current count %x\n", ticks,
	      apic_read(APIC_TIMER_CUR));

	run_timer(APIC_TIMER_PERIODIC, PERIODIC_TICKS, PERIODIC_TICKS);
	print("periodic: %d interrupts, current count %x\n", ticks,
	      apic_read(APIC_TIMER_CUR));

	for (unsigned int i = 0; i < 8; i++)
		any_in_service |= apic_read(APIC_ISR + 0x10 * i) != 0;
	print("in service after eoi: %s\n", any_in_service ? "yes" : "no");
	return 0;
}
