// SPDX-License-Identifier: GPL-2.0
/*
 * Local APIC emulation and interrupt routing (the "fabric").
 *
 * Section numbers are those of the Intel SDM Vol. 3A, chapter 10 "Advanced
 * Programmable Interrupt Controller" (chapter 11 in editions since 2023).
 *
 * All LAPIC and IOAPIC state is guarded by one fabric mutex: interrupts
 * cross between vCPU threads, the timer thread and device threads, and one
 * lock keeps IPI delivery, lowest-priority arbitration and EOI broadcast
 * free of lock-order questions.  The per-vCPU "event" flag is the only state
 * read without it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apic.h"
#include "ioapic.h"

/* Register offsets in the xAPIC page; x2APIC MSR = 0x800 + offset / 16. */
#define APIC_ID		0x020
#define APIC_VERSION	0x030
#define APIC_TPR	0x080
#define APIC_APR	0x090
#define APIC_PPR	0x0a0
#define APIC_EOI	0x0b0
#define APIC_RRD	0x0c0
#define APIC_LDR	0x0d0
#define APIC_DFR	0x0e0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_ERROR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0	/* x2APIC only */

/*
 * Version 0x14 (integrated APIC), six LVT entries (max LVT index 5, no
 * CMCI), no EOI-broadcast suppression: the value KVM reports (10.4.8).
 */
#define APIC_VERSION_VAL	0x00050014u

#define SVR_ENABLE		(1u << 8)
#define LVT_MASKED		(1u << 16)
#define LVT_TIMER_MODE(v)	(((v) >> 17) & 3)
#define TIMER_ONESHOT		0
#define TIMER_PERIODIC		1
#define TIMER_TSC_DEADLINE	2
#define ICR_LO_WRITABLE		0x000ccfffu	/* 10.6.1, Figure 10-12 */
#define MIN_PERIOD_NS		200000u
#define ESR_SEND_ILLEGAL	(1u << 5)
#define ESR_RECV_ILLEGAL	(1u << 6)

enum {
	LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR,
	NR_LVT
};

/* Writable bits of each LVT entry (10.5.1, Figure 10-8). */
static const uint32_t lvt_writable[NR_LVT] = {
	[LVT_TIMER] = 0x000700ff,
	[LVT_THERMAL] = 0x000107ff,
	[LVT_PERF] = 0x000107ff,
	[LVT_LINT0] = 0x0001a7ff,
	[LVT_LINT1] = 0x0001a7ff,
	[LVT_ERROR] = 0x000100ff,
};

struct tcg_apic {
	struct tcg_apic_head head;	/* first: apic_has_event() reads it */
	struct tcg_irq_fabric *f;
	struct tcg_apic *next;
	void *vcpu_opaque;
	uint32_t initial_id;

	uint64_t base;			/* IA32_APIC_BASE */
	uint32_t id;			/* APIC ID, as the ID register has it */
	uint32_t tpr, ldr, dfr, svr, esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[NR_LVT];
	uint32_t tmict, tdcr;
	uint32_t irr[8], isr[8], tmr[8];

	/* Timer: next expiry in CLOCK_MONOTONIC ns, 0 when disarmed. */
	uint64_t timer_start;
	uint64_t timer_deadline;
	uint64_t timer_period;		/* periodic mode only */
	uint64_t tsc_deadline;		/* IA32_TSC_DEADLINE */

	bool nmi_pending, init_pending, sipi_pending, wait_sipi;
	uint8_t sipi_vector;

	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	struct tcg_vcpu_clock clock;
};

struct tcg_irq_fabric {
	pthread_mutex_t lock;
	struct tcg_fabric_host host;
	struct tcg_vm_clock clock;
	struct tcg_apic *apics;
	struct tcg_ioapic *ioapic;
	pthread_t timer_thread;
	pthread_cond_t timer_cond;	/* the earliest deadline changed */
	bool stop;
};

void fabric_lock(struct tcg_irq_fabric *f)
{
	pthread_mutex_lock(&f->lock);
}

void fabric_unlock(struct tcg_irq_fabric *f)
{
	pthread_mutex_unlock(&f->lock);
}

struct tcg_ioapic *fabric_ioapic(struct tcg_irq_fabric *f)
{
	return f->ioapic;
}

struct tcg_vm_clock *fabric_clock(struct tcg_irq_fabric *f)
{
	return &f->clock;
}

/* ---- vector bitmaps (IRR, ISR, TMR: 256 bits in eight words) ---- */

static void vec_set(uint32_t *map, unsigned int v)
{
	map[v / 32] |= 1u << (v % 32);
}

static void vec_clear(uint32_t *map, unsigned int v)
{
	map[v / 32] &= ~(1u << (v % 32));
}

static bool vec_test(const uint32_t *map, unsigned int v)
{
	return map[v / 32] & (1u << (v % 32));
}

static int vec_highest(const uint32_t *map)
{
	for (int i = 7; i >= 0; i--)
		if (map[i])
			return i * 32 + 31 - __builtin_clz(map[i]);
	return -1;
}

/* ---- priorities (10.8.3) ---- */

static uint32_t apic_ppr(const struct tcg_apic *a)
{
	int isrv = vec_highest(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	/* 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0. */
	if ((a->tpr & 0xf0) >= isr_class)
		return a->tpr & 0xff;
	return isr_class;
}

static uint32_t apic_apr(const struct tcg_apic *a)
{
	int isrv = vec_highest(a->isr), irrv = vec_highest(a->irr);
	uint32_t tpr = a->tpr & 0xf0;
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
	uint32_t apr = tpr;

	/* 10.6.2.4 (Figure 10-15): arbitration priority. */
	if (tpr >= irr_class && tpr > isr_class)
		return a->tpr & 0xff;
	if (isr_class > apr)
		apr = isr_class;
	if (irr_class > apr)
		apr = irr_class;
	return apr;
}

static int pending_vector(const struct tcg_apic *a)
{
	int irrv = vec_highest(a->irr);

	if (irrv < 0 || (uint32_t)(irrv & 0xf0) <= (apic_ppr(a) & 0xf0))
		return -1;
	return irrv;
}

static bool hw_enabled(const struct tcg_apic *a)
{
	return a->base & APIC_BASE_ENABLE;
}

static bool x2apic_mode(const struct tcg_apic *a)
{
	return a->base & APIC_BASE_EXTD;
}

static bool sw_enabled(const struct tcg_apic *a)
{
	return a->svr & SVR_ENABLE;
}

/* Recomputes the event flag after any change of what is pending. */
static bool update_event(struct tcg_apic *a)
{
	bool ev = a->nmi_pending || a->init_pending || a->sipi_pending ||
		  (hw_enabled(a) && pending_vector(a) >= 0);
	uint32_t *word;

	atomic_store_explicit(&a->head.event, ev, memory_order_release);
	word = atomic_load_explicit(&a->head.event_word, memory_order_acquire);
	if (ev && word)
		__atomic_fetch_or(word, a->head.event_bit, __ATOMIC_RELEASE);
	return ev;
}

void apic_set_event_word(struct tcg_apic *a, uint32_t *word, uint32_t bit)
{
	a->head.event_bit = bit;
	atomic_store_explicit(&a->head.event_word, word, memory_order_release);
}

/*
 * Something arrived: wake the vCPU from HLT and kick it if that made an
 * event pending.  The broadcast under wait_lock pairs with the flag test in
 * apic_wait_event(), so no wake-up is lost.
 */
static void notify(struct tcg_apic *a)
{
	struct tcg_irq_fabric *f = a->f;

	if (!update_event(a))
		return;
	apic_wake(a);
	if (f->host.kick)
		f->host.kick(a->vcpu_opaque);
}

/* ---- accepting messages (10.6, 10.8) ---- */

static bool accept_fixed(struct tcg_apic *a, const struct apic_msg *m)
{
	/* Software-disabled, or a level message's de-assert (as KVM). */
	if (!sw_enabled(a) || (m->level && !m->assert))
		return false;
	if (m->vector < 16) {
		/* 10.5.3: vectors 0-15 are illegal and not accepted. */
		a->esr_pending |= ESR_RECV_ILLEGAL;
		return false;
	}
	vec_set(a->irr, m->vector);
	if (m->level)
		vec_set(a->tmr, m->vector);
	else
		vec_clear(a->tmr, m->vector);
	return true;
}

static bool apic_accept(struct tcg_apic *a, const struct apic_msg *m)
{
	bool ok = true;

	if (!hw_enabled(a))
		return false;
	switch (m->delivery) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		ok = accept_fixed(a, m);
		break;
	case APIC_DM_NMI:
		a->nmi_pending = true;
		break;
	case APIC_DM_INIT:
		/* A level de-assert INIT only synchronised arbitration IDs. */
		if (m->level && !m->assert)
			return false;
		a->init_pending = true;
		a->sipi_pending = false;
		break;
	case APIC_DM_SIPI:
		/* 10.4.4: a SIPI is only taken in the wait-for-SIPI state. */
		if (!a->init_pending && !a->wait_sipi)
			return false;
		a->sipi_pending = true;
		a->sipi_vector = m->vector;
		break;
	default:
		return false;	/* SMI, ExtINT: no SMM, no 8259 here */
	}
	if (ok)
		notify(a);
	return ok;
}

static uint32_t x2apic_ldr(uint32_t id)
{
	/* 10.12.10.2: cluster ID in 31:16, one bit of 16 in 15:0. */
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static bool match_x2apic(const struct tcg_apic *a, uint32_t dest, bool logical)
{
	if (dest == 0xffffffffu)
		return true;
	if (!logical)
		return dest == a->id;
	/* 10.12.10.2: same cluster and a common bit in the 16-bit mask. */
	return (dest >> 16) == (a->ldr >> 16) && (dest & a->ldr & 0xffff);
}

static bool match_xapic(const struct tcg_apic *a, uint32_t dest, bool logical)
{
	uint32_t ldr = a->ldr >> 24;

	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == (a->id & 0xff);
	/* 10.6.2.2: flat model (DFR 1111b) or cluster model (DFR 0000b). */
	if ((a->dfr >> 28) == 0xf)
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

static bool apic_match(const struct tcg_apic *a, const struct apic_msg *m)
{
	uint32_t dest = m->dest;

	switch (m->shorthand) {
	case APIC_SH_SELF:
		return a == m->src;
	case APIC_SH_ALL:
		return true;
	case APIC_SH_OTHERS:
		return a != m->src;
	}
	/*
	 * An x2APIC-format message reaching a LAPIC still in xAPIC mode is
	 * matched against its 8-bit ID, as KVM does: that is how Linux, in
	 * x2APIC mode, sends INIT/SIPI to an AP that has not switched yet.
	 */
	if (!x2apic_mode(a))
		return match_xapic(a, m->x2apic_dest && dest == 0xffffffffu ?
				   0xff : dest, m->logical);
	/* An 8-bit broadcast from an xAPIC-format source is a broadcast. */
	if (!m->x2apic_dest && dest == 0xff)
		dest = 0xffffffffu;
	return match_x2apic(a, dest, m->logical);
}

/*
 * Lowest priority (10.6.2.4) goes to the matching LAPIC with the lowest
 * arbitration priority; ties go to the one created first.
 */
static struct tcg_apic *lowest_priority(struct tcg_irq_fabric *f,
					const struct apic_msg *m)
{
	struct tcg_apic *best = NULL;

	for (struct tcg_apic *a = f->apics; a; a = a->next) {
		if (!hw_enabled(a) || !sw_enabled(a) || !apic_match(a, m))
			continue;
		if (!best || apic_apr(a) < apic_apr(best))
			best = a;
	}
	return best;
}

int fabric_deliver_locked(struct tcg_irq_fabric *f, const struct apic_msg *m)
{
	struct tcg_apic *a;
	int n = 0;

	if (m->delivery == APIC_DM_LOWEST) {
		a = lowest_priority(f, m);
		return a && apic_accept(a, m);
	}
	for (a = f->apics; a; a = a->next)
		if (apic_match(a, m) && apic_accept(a, m))
			n++;
	return n;
}

int fabric_signal_msi(struct tcg_irq_fabric *f, uint64_t address,
		      uint32_t data)
{
	/*
	 * 10.11.1 and 10.11.2: MSI address and data register formats.  KVM
	 * takes every MSI as an assert whatever data bit 14 says; so do we.
	 */
	struct apic_msg m = {
		.dest = (address >> 12) & 0xff,
		.logical = address & (1u << 2),
		.vector = data & 0xff,
		.delivery = (data >> 8) & 7,
		.assert = true,
		.level = data & (1u << 15),
	};
	int n;

	if ((address >> 20) != 0xfee)
		return -EINVAL;
	fabric_lock(f);
	n = fabric_deliver_locked(f, &m);
	fabric_unlock(f);
	return n;
}

/* ---- timer (10.5.4) ---- */

static uint64_t timer_divisor(const struct tcg_apic *a)
{
	/* Figure 10-10: bits 3,1:0; 111b divides by 1, else 2^(n+1). */
	unsigned int n = (a->tdcr & 3) | ((a->tdcr >> 1) & 4);

	return n == 7 ? 1 : 2u << n;
}

/* Nanoseconds per timer count at the current divide configuration. */
static uint64_t timer_tick_ns(const struct tcg_apic *a)
{
	return timer_divisor(a) * 1000000u / clock_apic_bus_khz();
}

static void timer_arm(struct tcg_apic *a, uint64_t deadline)
{
	a->timer_deadline = deadline;
	pthread_cond_signal(&a->f->timer_cond);
}

static void timer_start(struct tcg_apic *a)
{
	uint64_t now = clock_now_ns();
	uint64_t len = (uint64_t)a->tmict * timer_tick_ns(a);

	a->timer_deadline = 0;
	if (!a->tmict)
		return;
	/*
	 * A tiny period would keep the timer thread spinning; KVM holds
	 * periodic timers to the same 200 us floor (min_timer_period_us).
	 */
	if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_PERIODIC &&
	    len < MIN_PERIOD_NS)
		len = MIN_PERIOD_NS;
	a->timer_start = now;
	a->timer_period = len;
	timer_arm(a, now + len);
}

static uint32_t timer_current_count(const struct tcg_apic *a)
{
	uint64_t elapsed = clock_now_ns() - a->timer_start;
	uint64_t tick = timer_tick_ns(a);
	unsigned int mode = LVT_TIMER_MODE(a->lvt[LVT_TIMER]);

	if (mode == TIMER_TSC_DEADLINE || !a->timer_deadline)
		return 0;
	if (mode == TIMER_PERIODIC)
		elapsed %= a->timer_period;
	else if (elapsed >= a->timer_period)
		return 0;
	/* Counts not yet done, the one under way included. */
	return (a->timer_period - elapsed + tick - 1) / tick;
}

static void timer_set_tsc_deadline(struct tcg_apic *a, uint64_t tsc)
{
	a->tsc_deadline = tsc;
	a->timer_deadline = 0;
	if (tsc)
		timer_arm(a, clock_tsc_deadline_ns(&a->clock, tsc));
}

/* The guest moved its TSC: an armed TSC deadline now falls elsewhere. */
static void tsc_changed(void *opaque)
{
	struct tcg_apic *a = opaque;

	fabric_lock(a->f);
	if (a->tsc_deadline && a->timer_deadline)
		timer_set_tsc_deadline(a, a->tsc_deadline);
	fabric_unlock(a->f);
}

static void lvt_deliver(struct tcg_apic *a, unsigned int lvt)
{
	uint32_t v = a->lvt[lvt];
	struct apic_msg m = { .vector = v & 0xff, .delivery = APIC_DM_FIXED };

	if (v & LVT_MASKED)
		return;
	apic_accept(a, &m);
}

static void timer_fire(struct tcg_apic *a, uint64_t now)
{
	uint64_t late;

	lvt_deliver(a, LVT_TIMER);
	switch (LVT_TIMER_MODE(a->lvt[LVT_TIMER])) {
	case TIMER_PERIODIC:
		/* Missed periods coalesce, as the IRR bit would. */
		late = now - a->timer_deadline;
		a->timer_deadline += a->timer_period +
				     late / a->timer_period * a->timer_period;
		break;
	case TIMER_TSC_DEADLINE:
		/* 10.5.4.1: firing disarms and clears IA32_TSC_DEADLINE. */
		a->tsc_deadline = 0;
		a->timer_deadline = 0;
		break;
	default:
		a->timer_deadline = 0;
	}
}

/* Fires what is due; returns the earliest remaining deadline or 0. */
static uint64_t run_timers_locked(struct tcg_irq_fabric *f, uint64_t now)
{
	uint64_t next = 0;

	for (struct tcg_apic *a = f->apics; a; a = a->next) {
		if (a->timer_deadline && a->timer_deadline <= now)
			timer_fire(a, now);
		if (a->timer_deadline &&
		    (!next || a->timer_deadline < next))
			next = a->timer_deadline;
	}
	return next;
}

static void *timer_thread(void *arg)
{
	struct tcg_irq_fabric *f = arg;
	struct timespec ts;
	uint64_t next;

	fabric_lock(f);
	while (!f->stop) {
		next = run_timers_locked(f, clock_now_ns());
		if (!next) {
			pthread_cond_wait(&f->timer_cond, &f->lock);
			continue;
		}
		ts.tv_sec = next / 1000000000u;
		ts.tv_nsec = next % 1000000000u;
		pthread_cond_timedwait(&f->timer_cond, &f->lock, &ts);
	}
	fabric_unlock(f);
	return NULL;
}

/* ---- register state ---- */

/* The state after RESET or INIT, less APIC ID and base (10.4.7.3). */
static void apic_reset_regs(struct tcg_apic *a)
{
	a->tpr = 0;
	a->ldr = x2apic_mode(a) ? x2apic_ldr(a->id) : 0;
	a->dfr = 0xffffffffu;
	a->svr = 0xff;
	a->esr = a->esr_pending = 0;
	a->icr_lo = a->icr_hi = 0;
	for (int i = 0; i < NR_LVT; i++)
		a->lvt[i] = LVT_MASKED;
	a->tmict = a->tdcr = 0;
	memset(a->irr, 0, sizeof(a->irr));
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	a->timer_deadline = 0;
	a->tsc_deadline = 0;
	a->nmi_pending = a->init_pending = a->sipi_pending = false;
	a->wait_sipi = false;
}

static void apic_eoi(struct tcg_apic *a)
{
	int v = vec_highest(a->isr);

	if (v < 0)
		return;
	vec_clear(a->isr, v);
	/* 10.8.5: EOI of a level-triggered vector goes to the IOAPIC. */
	if (vec_test(a->tmr, v))
		ioapic_eoi_locked(a->f->ioapic, v);
	update_event(a);
}

static void apic_send_ipi(struct tcg_apic *a)
{
	struct apic_msg m = {
		.vector = a->icr_lo & 0xff,
		.delivery = (a->icr_lo >> 8) & 7,
		.logical = a->icr_lo & (1u << 11),
		.assert = a->icr_lo & (1u << 14),
		.level = a->icr_lo & (1u << 15),
		.shorthand = (a->icr_lo >> 18) & 3,
		.x2apic_dest = x2apic_mode(a),
		.dest = x2apic_mode(a) ? a->icr_hi : a->icr_hi >> 24,
		.src = a,
	};

	if ((m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST) &&
	    m.vector < 16) {
		a->esr_pending |= ESR_SEND_ILLEGAL;
		return;
	}
	fabric_deliver_locked(a->f, &m);
}

static void write_svr(struct tcg_apic *a, uint32_t v)
{
	a->svr = v & 0x3ff;
	/* 10.4.7.2: software disable masks every LVT entry. */
	if (!sw_enabled(a))
		for (int i = 0; i < NR_LVT; i++)
			a->lvt[i] |= LVT_MASKED;
	update_event(a);
}

static void write_lvt(struct tcg_apic *a, unsigned int lvt, uint32_t v)
{
	unsigned int old_mode = LVT_TIMER_MODE(a->lvt[LVT_TIMER]);

	v &= lvt_writable[lvt];
	if (!sw_enabled(a))
		v |= LVT_MASKED;
	a->lvt[lvt] = v;
	if (lvt != LVT_TIMER)
		return;
	/* 10.5.4.1: a write that changes the timer mode disarms it. */
	if (old_mode != LVT_TIMER_MODE(v)) {
		a->timer_deadline = 0;
		a->tsc_deadline = 0;
	}
}

/*
 * Reads the register at xAPIC @off as x2APIC or xAPIC software sees it.
 * Returns -1 for no such register (x2APIC: #GP).
 */
static int reg_read(struct tcg_apic *a, uint32_t off, uint32_t *val)
{
	bool x2 = x2apic_mode(a);

	if (off >= APIC_ISR && off < APIC_IRR + 0x80) {
		const uint32_t *map = off < APIC_TMR ? a->isr :
				      off < APIC_IRR ? a->tmr : a->irr;

		*val = map[(off & 0x7f) >> 4];
		return 0;
	}
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		*val = a->lvt[(off - APIC_LVT_TIMER) >> 4];
		return 0;
	}
	switch (off) {
	case APIC_ID:
		*val = x2 ? a->id : a->id << 24;
		break;
	case APIC_VERSION:
		*val = APIC_VERSION_VAL;
		break;
	case APIC_TPR:
		*val = a->tpr;
		break;
	case APIC_PPR:
		*val = apic_ppr(a);
		break;
	case APIC_LDR:
		*val = a->ldr;
		break;
	case APIC_SVR:
		*val = a->svr;
		break;
	case APIC_ESR:
		*val = a->esr;
		break;
	case APIC_ICR_LO:
		*val = a->icr_lo;	/* delivery status: always idle */
		break;
	case APIC_TMICT:
		*val = a->tmict;
		break;
	case APIC_TMCCT:
		*val = timer_current_count(a);
		break;
	case APIC_TDCR:
		*val = a->tdcr;
		break;
	case APIC_APR:
		*val = apic_apr(a);
		return x2 ? -1 : 0;	/* Table 10-6: no APR in x2APIC */
	case APIC_DFR:
		*val = a->dfr;
		return x2 ? -1 : 0;
	case APIC_ICR_HI:
		*val = a->icr_hi;
		return x2 ? -1 : 0;
	case APIC_EOI:
	case APIC_RRD:
		*val = 0;
		return x2 ? -1 : 0;	/* write-only / not in x2APIC */
	default:
		*val = 0;
		return -1;
	}
	return 0;
}

/*
 * Writes the register at xAPIC @off.  Returns -1 for a register software may
 * not write (x2APIC: #GP; xAPIC: the write is dropped).
 */
static int reg_write(struct tcg_apic *a, uint32_t off, uint32_t v)
{
	bool x2 = x2apic_mode(a);

	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		write_lvt(a, (off - APIC_LVT_TIMER) >> 4, v);
		return 0;
	}
	switch (off) {
	case APIC_ID:
		if (x2)
			return -1;
		a->id = v >> 24;
		break;
	case APIC_TPR:
		a->tpr = v & 0xff;
		update_event(a);
		break;
	case APIC_EOI:
		/* 10.12.1.2: x2APIC EOI of a non-zero value is #GP. */
		if (x2 && v)
			return -1;
		apic_eoi(a);
		break;
	case APIC_LDR:
		if (x2)
			return -1;
		a->ldr = v & 0xff000000u;
		break;
	case APIC_DFR:
		if (x2)
			return -1;
		a->dfr = v | 0x0fffffffu;
		break;
	case APIC_SVR:
		write_svr(a, v);
		break;
	case APIC_ESR:
		if (x2 && v)
			return -1;
		/* 10.5.3: a write latches the errors seen since the last. */
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		break;
	case APIC_ICR_LO:
		a->icr_lo = v & ICR_LO_WRITABLE;
		apic_send_ipi(a);
		break;
	case APIC_ICR_HI:
		if (x2)
			return -1;
		a->icr_hi = v & 0xff000000u;
		break;
	case APIC_TMICT:
		if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_TSC_DEADLINE)
			break;	/* 10.5.4.1: ignored in TSC-deadline mode */
		a->tmict = v;
		timer_start(a);
		break;
	case APIC_TDCR:
		a->tdcr = v & 0xb;
		break;
	case APIC_SELF_IPI:
		if (!x2 || v > 0xff)
			return -1;
		a->icr_lo = v | (APIC_SH_SELF << 18);
		apic_send_ipi(a);
		break;
	default:
		return -1;	/* read-only or reserved */
	}
	return 0;
}

/* ---- MMIO ---- */

void apic_mmio_read(struct tcg_apic *a, uint64_t offset, void *data,
		    unsigned int len)
{
	uint32_t v;
	unsigned int skip = offset & 0xf;
	uint8_t buf[16] = { 0 };

	fabric_lock(a->f);
	reg_read(a, offset & 0xff0, &v);
	fabric_unlock(a->f);
	/* 10.4.1: registers are the low 32 bits of each 16-byte slot. */
	memcpy(buf, &v, 4);
	if (len > 16 - skip)
		len = 16 - skip;
	memcpy(data, buf + skip, len);
}

void apic_mmio_write(struct tcg_apic *a, uint64_t offset, const void *data,
		     unsigned int len)
{
	uint32_t v;

	if ((offset & 0xf) || len < 4)
		return;
	memcpy(&v, data, 4);
	fabric_lock(a->f);
	reg_write(a, offset & 0xff0, v);
	fabric_unlock(a->f);
}

/* ---- MSRs ---- */

bool apic_msr_owned(uint32_t msr)
{
	return msr == MSR_APIC_BASE || msr == MSR_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

uint64_t apic_get_base(const struct tcg_apic *a)
{
	return a->base;
}

/* 10.12.5, Figure 10-27: the legal IA32_APIC_BASE mode transitions. */
static bool base_transition_ok(uint64_t old, uint64_t new)
{
	uint64_t mode = APIC_BASE_ENABLE | APIC_BASE_EXTD;

	if ((new & mode) == APIC_BASE_EXTD)
		return false;			/* EXTD without EN: invalid */
	if ((old & mode) == mode && (new & mode) == APIC_BASE_ENABLE)
		return false;			/* x2APIC -> xAPIC */
	if (!(old & APIC_BASE_ENABLE) && (new & mode) == mode)
		return false;			/* disabled -> x2APIC */
	return true;
}

static int write_apic_base(struct tcg_apic *a, uint64_t v)
{
	/* Bits 0-7, 9 and those above MAXPHYADDR are reserved (10.4.4). */
	uint64_t reserved = 0x2ffull | (~0ull << APIC_MAXPHYADDR);
	uint64_t old = a->base;

	if ((v & reserved) || !base_transition_ok(old, v))
		return -1;
	a->base = (v & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
	if (!(v & APIC_BASE_ENABLE)) {
		/* 10.4.3: a disabled LAPIC comes back as after power-up. */
		a->id = a->initial_id;
		apic_reset_regs(a);
	} else if (!(old & APIC_BASE_EXTD) && (v & APIC_BASE_EXTD)) {
		/* 10.12.5.1: x2APIC ID is the initial APIC ID; LDR derived. */
		a->id = a->initial_id;
		a->ldr = x2apic_ldr(a->id);
	}
	update_event(a);
	return 0;
}

static int x2apic_rdmsr(struct tcg_apic *a, uint32_t msr, uint64_t *val)
{
	uint32_t off = (msr - MSR_X2APIC_FIRST) << 4, v;

	if (!x2apic_mode(a))
		return -1;
	if (off == APIC_ICR_LO) {
		*val = (uint64_t)a->icr_hi << 32 | a->icr_lo;
		return 0;
	}
	if (reg_read(a, off, &v))
		return -1;
	*val = v;
	return 0;
}

static int x2apic_wrmsr(struct tcg_apic *a, uint32_t msr, uint64_t val)
{
	uint32_t off = (msr - MSR_X2APIC_FIRST) << 4;

	if (!x2apic_mode(a))
		return -1;
	if (off == APIC_ICR_LO) {
		/* 10.12.9: one 64-bit write, destination in 63:32. */
		a->icr_hi = val >> 32;
		a->icr_lo = val & ICR_LO_WRITABLE;
		apic_send_ipi(a);
		return 0;
	}
	if (val >> 32)
		return -1;
	return reg_write(a, off, val);
}

int apic_rdmsr(struct tcg_apic *a, uint32_t msr, uint64_t *val)
{
	int ret = 0;

	fabric_lock(a->f);
	if (msr == MSR_APIC_BASE)
		*val = a->base;
	else if (msr == MSR_TSC_DEADLINE)
		/* 10.5.4.1: reads zero outside TSC-deadline mode. */
		*val = LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_TSC_DEADLINE ?
		       a->tsc_deadline : 0;
	else if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		ret = x2apic_rdmsr(a, msr, val);
	else
		ret = -1;
	fabric_unlock(a->f);
	return ret;
}

int apic_wrmsr(struct tcg_apic *a, uint32_t msr, uint64_t val)
{
	int ret = 0;

	fabric_lock(a->f);
	if (msr == MSR_APIC_BASE)
		ret = write_apic_base(a, val);
	else if (msr == MSR_TSC_DEADLINE) {
		/* 10.5.4.1: writes are ignored outside TSC-deadline mode. */
		if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_TSC_DEADLINE)
			timer_set_tsc_deadline(a, val);
	} else if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		ret = x2apic_wrmsr(a, msr, val);
	else
		ret = -1;
	fabric_unlock(a->f);
	return ret;
}

/* ---- CPU side ---- */

int apic_get_interrupt(struct tcg_apic *a)
{
	int v;

	fabric_lock(a->f);
	v = hw_enabled(a) ? pending_vector(a) : -1;
	fabric_unlock(a->f);
	return v;
}

void apic_ack_interrupt(struct tcg_apic *a, int vector)
{
	if (vector < 0 || vector > 255)
		return;
	fabric_lock(a->f);
	if (vec_test(a->irr, vector)) {
		vec_clear(a->irr, vector);
		vec_set(a->isr, vector);
	}
	update_event(a);
	fabric_unlock(a->f);
}

enum apic_event apic_take_event(struct tcg_apic *a, unsigned int mask,
				uint8_t *sipi_vector)
{
	enum apic_event ev = APIC_EVENT_NONE;

	fabric_lock(a->f);
	if ((mask & APIC_EVENT_INIT) && a->init_pending) {
		bool sipi = a->sipi_pending;
		uint8_t vector = a->sipi_vector;

		apic_reset_regs(a);
		a->wait_sipi = true;
		/* A SIPI that came before the INIT was taken still counts. */
		a->sipi_pending = sipi;
		a->sipi_vector = vector;
		ev = APIC_EVENT_INIT;
	} else if ((mask & APIC_EVENT_SIPI) && a->sipi_pending) {
		a->sipi_pending = false;
		a->wait_sipi = false;
		if (sipi_vector)
			*sipi_vector = a->sipi_vector;
		ev = APIC_EVENT_SIPI;
	} else if ((mask & APIC_EVENT_NMI) && a->nmi_pending) {
		a->nmi_pending = false;
		ev = APIC_EVENT_NMI;
	}
	update_event(a);
	fabric_unlock(a->f);
	return ev;
}

uint64_t apic_get_cr8(struct tcg_apic *a)
{
	uint64_t cr8;

	fabric_lock(a->f);
	cr8 = (a->tpr >> 4) & 0xf;
	fabric_unlock(a->f);
	return cr8;
}

void apic_set_cr8(struct tcg_apic *a, uint64_t cr8)
{
	fabric_lock(a->f);
	/* 10.8.6.1: CR8[3:0] -> TPR[7:4], TPR[3:0] <- 0. */
	a->tpr = (cr8 & 0xf) << 4;
	update_event(a);
	fabric_unlock(a->f);
}

static bool stop_requested(const volatile bool *stop)
{
	return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

void apic_wait_event(struct tcg_apic *a, const volatile bool *stop)
{
	pthread_mutex_lock(&a->wait_lock);
	while (!apic_has_event(a) && !stop_requested(stop))
		pthread_cond_wait(&a->wait_cond, &a->wait_lock);
	pthread_mutex_unlock(&a->wait_lock);
}

void apic_wake(struct tcg_apic *a)
{
	pthread_mutex_lock(&a->wait_lock);
	pthread_cond_broadcast(&a->wait_cond);
	pthread_mutex_unlock(&a->wait_lock);
}

/* ---- life cycle ---- */

static int cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int err;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	err = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return err;
}

struct tcg_irq_fabric *fabric_create(const struct tcg_fabric_host *host)
{
	struct tcg_irq_fabric *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return NULL;
	f->host = *host;
	clock_vm_init(&f->clock, host->write_guest, host->vm_opaque);
	pthread_mutex_init(&f->lock, NULL);
	err = cond_init_monotonic(&f->timer_cond);
	if (err)
		goto free;
	f->ioapic = ioapic_create(f);
	if (!f->ioapic) {
		err = ENOMEM;
		goto cond;
	}
	err = pthread_create(&f->timer_thread, NULL, timer_thread, f);
	if (!err)
		return f;
	ioapic_destroy(f->ioapic);
cond:
	pthread_cond_destroy(&f->timer_cond);
free:
	pthread_mutex_destroy(&f->lock);
	free(f);
	errno = err;
	return NULL;
}

void fabric_destroy(struct tcg_irq_fabric *f)
{
	if (!f)
		return;
	fabric_lock(f);
	f->stop = true;
	pthread_cond_signal(&f->timer_cond);
	fabric_unlock(f);
	pthread_join(f->timer_thread, NULL);
	ioapic_destroy(f->ioapic);
	pthread_cond_destroy(&f->timer_cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void apic_free(struct tcg_apic *a)
{
	pthread_cond_destroy(&a->wait_cond);
	pthread_mutex_destroy(&a->wait_lock);
	free(a);
}

static struct tcg_apic *find_apic_locked(struct tcg_irq_fabric *f, uint32_t id)
{
	for (struct tcg_apic *a = f->apics; a; a = a->next)
		if (a->initial_id == id)
			return a;
	return NULL;
}

struct tcg_apic *apic_create(struct tcg_irq_fabric *f, uint32_t apic_id,
			     void *vcpu_opaque)
{
	struct tcg_apic *a = calloc(1, sizeof(*a)), **tail;

	if (!a)
		return NULL;
	a->f = f;
	a->vcpu_opaque = vcpu_opaque;
	a->initial_id = a->id = apic_id;
	a->base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE |
		  (apic_id == 0 ? APIC_BASE_BSP : 0);
	apic_reset_regs(a);
	clock_vcpu_init(&a->clock, &f->clock);
	a->clock.tsc_changed = tsc_changed;
	a->clock.tsc_changed_opaque = a;
	pthread_mutex_init(&a->wait_lock, NULL);
	pthread_cond_init(&a->wait_cond, NULL);

	fabric_lock(f);
	if (find_apic_locked(f, apic_id)) {
		fabric_unlock(f);
		apic_free(a);
		errno = EEXIST;
		return NULL;
	}
	/* Keep creation order: lowest-priority ties go to the first. */
	for (tail = &f->apics; *tail; tail = &(*tail)->next)
		;
	*tail = a;
	fabric_unlock(f);
	return a;
}

void apic_destroy(struct tcg_apic *a)
{
	struct tcg_apic **p;

	if (!a)
		return;
	fabric_lock(a->f);
	for (p = &a->f->apics; *p; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			break;
		}
	fabric_unlock(a->f);
	apic_free(a);
}

uint32_t apic_id(const struct tcg_apic *a)
{
	return a->initial_id;
}

struct tcg_vcpu_clock *apic_clock(struct tcg_apic *a)
{
	return &a->clock;
}
