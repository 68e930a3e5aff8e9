/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPU core's side of the interrupt controllers (apic.h, clock.h):
 * MMIO routing of the xAPIC and IOAPIC pages, CR8, TSC and event handling.
 */
#ifndef TCG_INTC_H
#define TCG_INTC_H

#include "cpu.h"
#include "apic.h"

bool intc_claims(struct tcg_vcpu *c, uint64_t gpa);
bool intc_mmio(struct tcg_vcpu *c, uint64_t gpa, void *data, int len, bool write);
uint64_t intc_read_tsc(struct tcg_vcpu *c);
uint64_t intc_get_cr8(struct tcg_vcpu *c);
void intc_set_cr8(struct tcg_vcpu *c, uint64_t v);
/* MSRs of the LAPIC and the clock: true if @msr is theirs (*ok: no #GP). */
bool intc_rdmsr(struct tcg_vcpu *c, uint32_t msr, uint64_t *v, bool *ok);
bool intc_wrmsr(struct tcg_vcpu *c, uint32_t msr, uint64_t v, bool *ok);
/* Takes pending NMI/INIT/SIPI/fixed interrupts; run loop only. */
void intc_events(struct tcg_vcpu *c);
/* Sleeps while halted or waiting for SIPI, until an event or a kick. */
void intc_wait(struct tcg_vcpu *c);

static inline bool intc_has_event(struct tcg_vcpu *c)
{
	return apic_has_event(c->apic);
}
/* Puts the vCPU into the state after INIT (SDM 9.1.1). */
void vcpu_reset(struct tcg_vcpu *c);

#endif /* TCG_INTC_H */
