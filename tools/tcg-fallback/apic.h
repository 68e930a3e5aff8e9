/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Local APICs, the IOAPIC and MSI routing of a tcg-fallback VM: the in-kernel
 * irqchip of KVM, in userspace.  Internal interface between the CPU core and
 * the interrupt controllers; see IRQ.md for the whole picture.
 *
 * Threads: every function may be called from any thread unless it says
 * otherwise; a fabric-wide mutex serialises the controllers' state.  The
 * functions marked "vCPU thread" must only be called by the thread that runs
 * the vCPU owning that LAPIC.  One timer thread per fabric runs the LAPIC
 * timers.
 */
#ifndef TCG_APIC_H
#define TCG_APIC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

#define APIC_DEFAULT_BASE	0xfee00000ull
#define APIC_BASE_BSP		(1ull << 8)
#define APIC_BASE_EXTD		(1ull << 10)	/* x2APIC mode */
#define APIC_BASE_ENABLE	(1ull << 11)
/* Guest-physical address width the APIC base is checked against. */
#define APIC_MAXPHYADDR		40

#define IOAPIC_DEFAULT_BASE	0xfec00000ull
#define IOAPIC_MMIO_SIZE	0x1000
#define IOAPIC_NUM_PINS		24

/* MSRs apic_rdmsr()/apic_wrmsr() implement (see apic_msr_owned()). */
#define MSR_APIC_BASE		0x0000001b
#define MSR_TSC_DEADLINE	0x000006e0
#define MSR_X2APIC_FIRST	0x00000800
#define MSR_X2APIC_LAST		0x000008ff

struct tcg_irq_fabric;
struct tcg_apic;

/* What the fabric needs from the VM. */
struct tcg_fabric_host {
	/*
	 * An interrupt or event became pending for the vCPU whose opaque
	 * pointer was given to apic_create().  Any thread, possibly the
	 * vCPU's own.  A vCPU sleeping in apic_wait_event() is woken by the
	 * fabric itself; kick() is for a vCPU running guest code that should
	 * look at apic_has_event() soon.  Called with the fabric lock held:
	 * it must not call into this interface, apic_wake() excepted.
	 * May be NULL.
	 */
	void (*kick)(void *vcpu_opaque);
	/* Writes guest-physical memory (kvmclock).  Returns 0 or -errno. */
	int (*write_guest)(void *vm_opaque, uint64_t gpa, const void *buf,
			   size_t len);
	void *vm_opaque;
};

/* NULL with errno set on failure.  Creates the IOAPIC and the timer thread. */
struct tcg_irq_fabric *fabric_create(const struct tcg_fabric_host *host);
/* After all of its LAPICs were destroyed. */
void fabric_destroy(struct tcg_irq_fabric *f);
struct tcg_vm_clock *fabric_clock(struct tcg_irq_fabric *f);

/*
 * KVM_SIGNAL_MSI: an MSI write of @data to @address (x86 format: address
 * 0xfeeXXXXX with destination ID in bits 19:12, destination mode in bit 2;
 * data with vector, delivery mode, level and trigger).  Returns the number of
 * LAPICs that accepted it (0 if none did), or -EINVAL for an address outside
 * the MSI window.
 */
int fabric_signal_msi(struct tcg_irq_fabric *f, uint64_t address,
		      uint32_t data);

/*
 * IOAPIC.  ioapic_set_irq() backs KVM_IRQ_LINE: @level != 0 means the pin is
 * asserted (polarity is the guest's view of the wire and, as in KVM, is not
 * applied to this logical level).  Returns 0, or -EINVAL for a bad @gsi.
 * ioapic_mmio_read/write take the offset inside the IOAPIC page; any length,
 * register accesses are 32-bit.
 */
int ioapic_set_irq(struct tcg_irq_fabric *f, unsigned int gsi, int level);
void ioapic_mmio_read(struct tcg_irq_fabric *f, uint64_t offset, void *data,
		      unsigned int len);
void ioapic_mmio_write(struct tcg_irq_fabric *f, uint64_t offset,
		       const void *data, unsigned int len);

/*
 * One LAPIC per vCPU.  @apic_id is the initial APIC ID (xAPIC ID bits 31:24,
 * x2APIC ID); ID 0 is the BSP.  The LAPIC comes up as after RESET: base
 * 0xfee00000 enabled in xAPIC mode, software-disabled, LVTs masked.
 * NULL with errno EEXIST for a duplicate ID, ENOMEM.
 */
struct tcg_apic *apic_create(struct tcg_irq_fabric *f, uint32_t apic_id,
			     void *vcpu_opaque);
void apic_destroy(struct tcg_apic *a);
uint32_t apic_id(const struct tcg_apic *a);

/* This vCPU's TSC, TSC_ADJUST and kvmclock state (clock.h). */
struct tcg_vcpu_clock *apic_clock(struct tcg_apic *a);

/*
 * The flag the CPU polls once per translated block.  Set exactly when
 * apic_get_interrupt() would return a vector (an IRR vector above the
 * processor priority) or an NMI, INIT or SIPI is pending.
 */
struct tcg_apic_head {
	atomic_bool event;
	/* Optional: a word of the vCPU's that gets @event_bit OR'ed in
	 * (release) whenever the flag is set, so that the CPU can poll one
	 * word for all its reasons to leave straight-line code. */
	_Atomic(uint32_t *) event_word;
	uint32_t event_bit;
};

static inline bool apic_has_event(const struct tcg_apic *a)
{
	return atomic_load_explicit(&((const struct tcg_apic_head *)a)->event,
				    memory_order_acquire);
}

/* Names the vCPU word that mirrors the event flag (see the head). */
void apic_set_event_word(struct tcg_apic *a, uint32_t *word, uint32_t bit);

/*
 * Blocks the calling vCPU thread (HLT) until apic_has_event() is true, or
 * until *@stop is true.  Whoever sets *@stop must then call apic_wake() so
 * that a sleeping vCPU re-checks it; *@stop is read with an atomic acquire
 * load, so set it with __atomic_store_n(stop, true, __ATOMIC_RELEASE) to be
 * free of data races.  @stop may be NULL.
 */
void apic_wait_event(struct tcg_apic *a, const volatile bool *stop);
void apic_wake(struct tcg_apic *a);

/*
 * Fixed interrupts (vCPU thread).  apic_get_interrupt() returns the vector
 * the CPU would take now (highest IRR vector whose priority class is above
 * PPR[7:4]) or -1; when the CPU actually delivers it (RFLAGS.IF=1, no
 * interrupt shadow), apic_ack_interrupt() moves it from IRR to ISR.
 */
int apic_get_interrupt(struct tcg_apic *a);
void apic_ack_interrupt(struct tcg_apic *a, int vector);

/*
 * NMI, INIT and SIPI (vCPU thread).  apic_take_event() consumes and returns
 * the most urgent pending event among those in @mask (INIT, then SIPI, then
 * NMI; leave APIC_EVENT_NMI out of @mask while NMIs are blocked), with the
 * SIPI vector in *@sipi_vector.  Taking INIT also resets the LAPIC as INIT
 * does (SDM 10.4.7.3: all but APIC ID and base) and arms it for SIPI; SIPIs
 * that find the LAPIC not waiting for one are dropped.
 */
enum apic_event {
	APIC_EVENT_NONE = 0,
	APIC_EVENT_NMI = 1 << 0,
	APIC_EVENT_INIT = 1 << 1,
	APIC_EVENT_SIPI = 1 << 2,
};
#define APIC_EVENT_ALL	(APIC_EVENT_NMI | APIC_EVENT_INIT | APIC_EVENT_SIPI)

enum apic_event apic_take_event(struct tcg_apic *a, unsigned int mask,
				uint8_t *sipi_vector);

/* CR8 (vCPU thread): CR8[3:0] is TPR[7:4] (SDM 10.8.6.1). */
uint64_t apic_get_cr8(struct tcg_apic *a);
void apic_set_cr8(struct tcg_apic *a, uint64_t cr8);

/*
 * xAPIC MMIO (vCPU thread).  The CPU routes an access to the 4 KiB page at
 * apic_mmio_base() here; the base is ~0 while the LAPIC is disabled or in
 * x2APIC mode, when that page is ordinary memory (or nothing).  The base can
 * move when the guest writes IA32_APIC_BASE, so the MMU must not cache a
 * translation of that page as RAM.  @offset is within the page; registers
 * are 32-bit at 16-byte alignment, other accesses read what overlaps and
 * writes that are not 32-bit aligned are ignored.
 */
static inline uint64_t apic_mmio_base(const struct tcg_apic *a);
void apic_mmio_read(struct tcg_apic *a, uint64_t offset, void *data,
		    unsigned int len);
void apic_mmio_write(struct tcg_apic *a, uint64_t offset, const void *data,
		     unsigned int len);

/*
 * MSRs (vCPU thread): IA32_APIC_BASE with the legal xAPIC/x2APIC transitions
 * (SDM 10.12.5), the x2APIC registers 0x800-0x8ff (ICR as one 64-bit MSR,
 * SELF_IPI) and IA32_TSC_DEADLINE.  0 on success, -1 where the guest gets
 * #GP.  apic_msr_owned() says which MSRs these take.
 */
bool apic_msr_owned(uint32_t msr);
int apic_rdmsr(struct tcg_apic *a, uint32_t msr, uint64_t *val);
int apic_wrmsr(struct tcg_apic *a, uint32_t msr, uint64_t val);

/* IA32_APIC_BASE as it is now. */
uint64_t apic_get_base(const struct tcg_apic *a);

static inline uint64_t apic_mmio_base(const struct tcg_apic *a)
{
	uint64_t base = apic_get_base(a);

	if ((base & (APIC_BASE_ENABLE | APIC_BASE_EXTD)) != APIC_BASE_ENABLE)
		return ~0ull;
	return base & ~0xfffull;
}

#endif /* TCG_APIC_H */
