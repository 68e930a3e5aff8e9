/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interface between the LAPICs and routing (apic.c) and the IOAPIC
 * (ioapic.c).  The CPU core uses apic.h only.
 */
#ifndef TCG_IOAPIC_H
#define TCG_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic.h"

/* Delivery modes of ICR, LVT, IOAPIC entries and MSI data (SDM 10.6.1). */
#define APIC_DM_FIXED		0
#define APIC_DM_LOWEST		1
#define APIC_DM_SMI		2
#define APIC_DM_NMI		4
#define APIC_DM_INIT		5
#define APIC_DM_SIPI		6
#define APIC_DM_EXTINT		7

/* ICR destination shorthands (SDM 10.6.1, bits 19:18). */
#define APIC_SH_NONE		0
#define APIC_SH_SELF		1
#define APIC_SH_ALL		2
#define APIC_SH_OTHERS		3

/* An interrupt message as the system bus carries it. */
struct apic_msg {
	uint32_t dest;		/* 8-bit, or 32-bit if x2apic_dest */
	uint8_t vector;
	uint8_t delivery;	/* APIC_DM_* */
	uint8_t shorthand;	/* APIC_SH_*, only for IPIs */
	bool logical;		/* destination mode */
	bool level;		/* trigger mode is level */
	bool assert;		/* level: asserted (matters for INIT) */
	bool x2apic_dest;	/* sent by an x2APIC ICR: 32-bit dest */
	const struct tcg_apic *src;	/* for shorthands */
};

/*
 * The fabric lock guards every LAPIC and the IOAPIC.  The *_locked functions
 * expect it held.  fabric_deliver_locked() returns how many LAPICs accepted
 * the message.
 */
void fabric_lock(struct tcg_irq_fabric *f);
void fabric_unlock(struct tcg_irq_fabric *f);
int fabric_deliver_locked(struct tcg_irq_fabric *f, const struct apic_msg *m);

struct tcg_ioapic;
struct tcg_ioapic *ioapic_create(struct tcg_irq_fabric *f);
void ioapic_destroy(struct tcg_ioapic *io);
struct tcg_ioapic *fabric_ioapic(struct tcg_irq_fabric *f);
/* A LAPIC EOI'd a level-triggered @vector: clear remote IRR (SDM 10.8.5). */
void ioapic_eoi_locked(struct tcg_ioapic *io, uint8_t vector);

#endif /* TCG_IOAPIC_H */
