// SPDX-License-Identifier: GPL-2.0
/*
 * I/O APIC: 24 pins at 0xfec00000, modelled on the 82093AA datasheet (the
 * register layout KVM's in-kernel IOAPIC also has, version 0x11, without
 * the EOI register of later versions).  Its state is guarded by the fabric
 * lock (apic.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ioapic.h"

#define IOREGSEL		0x00
#define IOWIN			0x10

#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10	/* two registers per pin */

/* Max redirection entry 23 in bits 23:16, version 0x11. */
#define IOAPIC_VERSION_VAL	(((IOAPIC_NUM_PINS - 1) << 16) | 0x11)

/* Redirection entry bits (82093AA, 3.2.4). */
#define RTE_DELIVERY_STATUS	(1ull << 12)
#define RTE_REMOTE_IRR		(1ull << 14)
#define RTE_LEVEL		(1ull << 15)
#define RTE_MASKED		(1ull << 16)
#define RTE_RO_BITS		(RTE_DELIVERY_STATUS | RTE_REMOTE_IRR)
#define RTE_LOW_WRITABLE	(0x1ffffull & ~RTE_RO_BITS)
#define RTE_DEST_SHIFT		56

struct tcg_ioapic {
	struct tcg_irq_fabric *f;
	uint32_t ioregsel;
	uint32_t id;
	uint32_t lines;		/* asserted input pins */
	uint64_t rte[IOAPIC_NUM_PINS];
};

struct tcg_ioapic *ioapic_create(struct tcg_irq_fabric *f)
{
	struct tcg_ioapic *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->f = f;
	/* 82093AA 3.2.4: every entry is masked after reset. */
	for (int i = 0; i < IOAPIC_NUM_PINS; i++)
		io->rte[i] = RTE_MASKED;
	return io;
}

void ioapic_destroy(struct tcg_ioapic *io)
{
	free(io);
}

/* Sends the message of pin @pin if its state calls for one. */
static void ioapic_service(struct tcg_ioapic *io, unsigned int pin)
{
	uint64_t e = io->rte[pin];
	struct apic_msg m = {
		.vector = e & 0xff,
		.delivery = (e >> 8) & 7,
		.logical = e & (1ull << 11),
		.level = e & RTE_LEVEL,
		.assert = true,
		.dest = e >> RTE_DEST_SHIFT,
	};

	if (e & RTE_MASKED)
		return;
	/* Level: no new message until the LAPIC's EOI clears remote IRR. */
	if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR))
		return;
	if (fabric_deliver_locked(io->f, &m) > 0 && (e & RTE_LEVEL))
		io->rte[pin] |= RTE_REMOTE_IRR;
}

int ioapic_set_irq(struct tcg_irq_fabric *f, unsigned int gsi, int level)
{
	struct tcg_ioapic *io = fabric_ioapic(f);
	uint32_t bit = 1u << gsi;
	bool was;

	if (gsi >= IOAPIC_NUM_PINS)
		return -EINVAL;
	fabric_lock(f);
	was = io->lines & bit;
	if (level)
		io->lines |= bit;
	else
		io->lines &= ~bit;
	/* Edge: a message per rising edge.  Level: while asserted. */
	if (level && (!was || (io->rte[gsi] & RTE_LEVEL)))
		ioapic_service(io, gsi);
	fabric_unlock(f);
	return 0;
}

void ioapic_eoi_locked(struct tcg_ioapic *io, uint8_t vector)
{
	for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		uint64_t e = io->rte[pin];

		if ((e & 0xff) != vector || !(e & RTE_LEVEL) ||
		    !(e & RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		/* A line still asserted interrupts again. */
		if (io->lines & (1u << pin))
			ioapic_service(io, pin);
	}
}

static uint32_t ioapic_reg_read(struct tcg_ioapic *io)
{
	uint32_t reg = io->ioregsel;
	unsigned int pin = (reg - IOAPIC_REG_REDIR) / 2;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return io->id << 24;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION_VAL;
	}
	if (reg < IOAPIC_REG_REDIR || pin >= IOAPIC_NUM_PINS)
		return 0;
	return reg & 1 ? io->rte[pin] >> 32 : (uint32_t)io->rte[pin];
}

static void ioapic_reg_write(struct tcg_ioapic *io, uint32_t v)
{
	uint32_t reg = io->ioregsel;
	unsigned int pin = (reg - IOAPIC_REG_REDIR) / 2;
	uint64_t e;

	if (reg == IOAPIC_REG_ID) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	if (reg < IOAPIC_REG_REDIR || pin >= IOAPIC_NUM_PINS)
		return;
	e = io->rte[pin];
	if (reg & 1) {
		e = (e & 0xffffffffull) | ((uint64_t)(v & 0xff000000u) << 32);
	} else {
		e = (e & ~RTE_LOW_WRITABLE) | (v & RTE_LOW_WRITABLE);
		/*
		 * Remote IRR is undefined for edge entries; clear it, as KVM
		 * does, so a level->edge->level reprogramming cannot leave
		 * the pin stuck.
		 */
		if (!(e & RTE_LEVEL))
			e &= ~RTE_REMOTE_IRR;
	}
	io->rte[pin] = e;
	/* Unmasking an asserted level pin delivers it now. */
	if ((e & RTE_LEVEL) && (io->lines & (1u << pin)))
		ioapic_service(io, pin);
}

void ioapic_mmio_read(struct tcg_irq_fabric *f, uint64_t offset, void *data,
		      unsigned int len)
{
	struct tcg_ioapic *io = fabric_ioapic(f);
	uint32_t v = 0;

	fabric_lock(f);
	if ((offset & ~3ull) == IOREGSEL)
		v = io->ioregsel;
	else if ((offset & ~3ull) == IOWIN)
		v = ioapic_reg_read(io);
	fabric_unlock(f);
	v >>= (offset & 3) * 8;
	memset(data, 0, len);
	memcpy(data, &v, len < 4 ? len : 4);
}

void ioapic_mmio_write(struct tcg_irq_fabric *f, uint64_t offset,
		       const void *data, unsigned int len)
{
	struct tcg_ioapic *io = fabric_ioapic(f);
	uint32_t v = 0;

	/* IOREGSEL is an 8-bit register; IOWIN takes 32-bit writes. */
	memcpy(&v, data, len < 4 ? len : 4);
	fabric_lock(f);
	if (offset == IOREGSEL)
		io->ioregsel = v & 0xff;
	else if (offset == IOWIN && len >= 4)
		ioapic_reg_write(io, v);
	fabric_unlock(f);
}
