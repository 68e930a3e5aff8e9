// SPDX-License-Identifier: GPL-2.0
/*
 * Glue between the CPU core and the LAPIC/IOAPIC/clock code: the APIC page
 * and IOAPIC page are claimed before the VMM's MMIO callback, as KVM's
 * in-kernel irqchip does, and events are taken between translated blocks.
 */
#include <xmmintrin.h>

#include "intc.h"
#include "apic.h"

static bool in_ioapic(uint64_t gpa)
{
	return gpa - IOAPIC_DEFAULT_BASE < IOAPIC_MMIO_SIZE;
}

static bool in_apic(struct tcg_vcpu *c, uint64_t gpa)
{
	return c->apic && (gpa & ~0xfffull) == apic_mmio_base(c->apic);
}

bool intc_claims(struct tcg_vcpu *c, uint64_t gpa)
{
	return in_apic(c, gpa) || (c->vm->fabric && in_ioapic(gpa));
}

bool intc_mmio(struct tcg_vcpu *c, uint64_t gpa, void *data, int len, bool write)
{
	if (in_apic(c, gpa)) {
		if (write)
			apic_mmio_write(c->apic, gpa & 0xfff, data, len);
		else
			apic_mmio_read(c->apic, gpa & 0xfff, data, len);
		return true;
	}
	if (c->vm->fabric && in_ioapic(gpa)) {
		if (write)
			ioapic_mmio_write(c->vm->fabric, gpa - IOAPIC_DEFAULT_BASE, data, len);
		else
			ioapic_mmio_read(c->vm->fabric, gpa - IOAPIC_DEFAULT_BASE, data, len);
		return true;
	}
	return false;
}

uint64_t intc_read_tsc(struct tcg_vcpu *c)
{
	return clock_read_tsc(apic_clock(c->apic));
}

uint64_t intc_get_cr8(struct tcg_vcpu *c)
{
	return apic_get_cr8(c->apic);
}

void intc_set_cr8(struct tcg_vcpu *c, uint64_t v)
{
	apic_set_cr8(c->apic, v);
}

bool intc_rdmsr(struct tcg_vcpu *c, uint32_t msr, uint64_t *v, bool *ok)
{
	if (apic_msr_owned(msr)) {
		*ok = apic_rdmsr(c->apic, msr, v) == 0;
		return true;
	}
	if (clock_msr_owned(msr)) {
		*ok = clock_rdmsr(apic_clock(c->apic), msr, v) == 0;
		return true;
	}
	return false;
}

bool intc_wrmsr(struct tcg_vcpu *c, uint32_t msr, uint64_t v, bool *ok)
{
	if (apic_msr_owned(msr)) {
		*ok = apic_wrmsr(c->apic, msr, v) == 0;
		/* The APIC page may have moved: forget RAM translations of it. */
		if (msr == MSR_APIC_BASE)
			tlb_flush(c);
		return true;
	}
	if (clock_msr_owned(msr)) {
		*ok = clock_wrmsr(apic_clock(c->apic), msr, v) == 0;
		return true;
	}
	return false;
}

static void hw_interrupt(struct tcg_vcpu *c, int vec)
{
	c->state = VCPU_RUNNING;
	c->delivering = 0;
	deliver_interrupt(c, vec, INT_HW, 0, false);
	c->delivering = -1;
}

void intc_events(struct tcg_vcpu *c)
{
	unsigned int mask = APIC_EVENT_INIT | APIC_EVENT_SIPI;
	uint8_t sipi;
	int vec;

	if (!c->nmi_blocked && !c->intr_shadow)
		mask |= APIC_EVENT_NMI;
	switch (apic_take_event(c->apic, mask, &sipi)) {
	case APIC_EVENT_INIT:
		vcpu_reset(c);
		/* The run loop keeps MXCSR and the x87 control word live on
		 * the host: load the reset values. */
		_mm_setcsr(c->mxcsr | 0x1f80);
		x87_reload(c);
		c->state = VCPU_WAIT_SIPI;
		return;
	case APIC_EVENT_SIPI:
		if (c->state == VCPU_WAIT_SIPI) {
			c->seg[S_CS].selector = sipi << 8;
			c->seg[S_CS].base = (uint64_t)sipi << 12;
			c->rip = 0;
			update_mode(c);
			c->state = VCPU_RUNNING;
		}
		return;
	case APIC_EVENT_NMI:
		hw_interrupt(c, EXC_NMI);
		return;
	default:
		break;
	}
	if (c->state == VCPU_WAIT_SIPI || !(c->flags & F_IF) || c->intr_shadow)
		return;
	vec = apic_get_interrupt(c->apic);
	if (vec < 0)
		return;
	apic_ack_interrupt(c->apic, vec);
	hw_interrupt(c, vec);
}

void intc_wait(struct tcg_vcpu *c)
{
	apic_wait_event(c->apic, &c->kick);
}
