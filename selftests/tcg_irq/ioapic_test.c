// SPDX-License-Identifier: GPL-2.0
/*
 * IOAPIC (Intel 82093AA I/O APIC datasheet, "82093AA" below) and MSI
 * (SDM 10.11) through the fabric, with LAPICs as the receivers.
 */
#include "kselftest_harness.h"
#include "irq_test.h"

#define RTE_LOGICAL	(1ull << 11)
#define RTE_REMOTE_IRR	(1ull << 14)
#define RTE_LEVEL	(1ull << 15)
#define RTE_MASKED	(1ull << 16)
#define RTE_DM(x)	((uint64_t)(x) << 8)
#define RTE_DEST(x)	((uint64_t)(x) << 56)

static void io_wr(struct tcg_irq_fabric *f, uint32_t reg, uint32_t v)
{
	ioapic_mmio_write(f, 0x00, &reg, 4);	/* IOREGSEL */
	ioapic_mmio_write(f, 0x10, &v, 4);	/* IOWIN */
}

static uint32_t io_rd(struct tcg_irq_fabric *f, uint32_t reg)
{
	uint32_t v;

	ioapic_mmio_write(f, 0x00, &reg, 4);
	ioapic_mmio_read(f, 0x10, &v, 4);
	return v;
}

/* 82093AA 3.2.4: entry n is registers 10h + 2n (low) and 11h + 2n. */
static void set_rte(struct tcg_irq_fabric *f, unsigned int pin, uint64_t e)
{
	io_wr(f, 0x11 + 2 * pin, e >> 32);
	io_wr(f, 0x10 + 2 * pin, (uint32_t)e);
}

static uint64_t get_rte(struct tcg_irq_fabric *f, unsigned int pin)
{
	return (uint64_t)io_rd(f, 0x11 + 2 * pin) << 32 |
	       io_rd(f, 0x10 + 2 * pin);
}

FIXTURE(io) {
	struct test_vm vm;
	struct tcg_irq_fabric *f;
};

FIXTURE_SETUP(io)
{
	ASSERT_EQ(0, vm_init(&self->vm));
	self->f = self->vm.f;
	for (int i = 0; i < NR_APICS; i++)
		sw_enable(self->vm.apic[i]);
}

FIXTURE_TEARDOWN(io)
{
	vm_fini(&self->vm);
}

TEST_F(io, reset_state_and_registers)
{
	struct tcg_irq_fabric *f = self->f;

	/* 82093AA 3.2.2: max redirection entry (23) in 23:16, version 11h. */
	EXPECT_EQ(0x00170011u, io_rd(f, 1));
	/* 82093AA 3.2.4: all entries masked after reset. */
	for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		EXPECT_EQ(RTE_MASKED, get_rte(f, pin));
	/* 82093AA 3.2.1: ID in bits 27:24. */
	io_wr(f, 0, 0x0f000000);
	EXPECT_EQ(0x0f000000u, io_rd(f, 0));
	/* Delivery status and remote IRR are read-only. */
	set_rte(f, 3, RTE_MASKED | RTE_REMOTE_IRR | (1 << 12) | 0x33);
	EXPECT_EQ(RTE_MASKED | 0x33, get_rte(f, 3));
	EXPECT_EQ(-EINVAL, ioapic_set_irq(f, IOAPIC_NUM_PINS, 1));
}

TEST_F(io, edge_triggered)
{
	struct tcg_irq_fabric *f = self->f;
	struct tcg_apic *a = self->vm.apic[1];

	set_rte(f, 4, RTE_DEST(1) | 0x34);
	ASSERT_EQ(0, ioapic_set_irq(f, 4, 1));
	EXPECT_TRUE(vec_bit(a, R_IRR, 0x34));
	EXPECT_FALSE(vec_bit(a, R_TMR, 0x34));	/* SDM 10.8.4 */
	EXPECT_FALSE(vec_bit(self->vm.apic[0], R_IRR, 0x34));
	EXPECT_EQ(0x34, take_irq(a));
	wr(a, R_EOI, 0);
	/* Edge: one message per rising edge, none while the line is high. */
	ioapic_set_irq(f, 4, 1);
	EXPECT_EQ(-1, apic_get_interrupt(a));
	ioapic_set_irq(f, 4, 0);
	ioapic_set_irq(f, 4, 1);
	EXPECT_EQ(0x34, apic_get_interrupt(a));
	EXPECT_EQ(0ull, get_rte(f, 4) & RTE_REMOTE_IRR);
}

TEST_F(io, masked_edge_is_lost)
{
	struct tcg_irq_fabric *f = self->f;
	struct tcg_apic *a = self->vm.apic[0];

	/* 82093AA 3.2.4 bit 16: edges on a masked pin are ignored. */
	set_rte(f, 5, RTE_MASKED | 0x35);
	ioapic_set_irq(f, 5, 1);
	ioapic_set_irq(f, 5, 0);
	set_rte(f, 5, 0x35);
	EXPECT_EQ(-1, apic_get_interrupt(a));
}

TEST_F(io, level_triggered_remote_irr_and_eoi)
{
	struct tcg_irq_fabric *f = self->f;
	struct tcg_apic *a = self->vm.apic[2];

	set_rte(f, 10, RTE_DEST(2) | RTE_LEVEL | 0x3a);
	ioapic_set_irq(f, 10, 1);
	EXPECT_TRUE(vec_bit(a, R_TMR, 0x3a));	/* SDM 10.8.4 */
	/* 82093AA 3.2.4 bit 14: set when a LAPIC accepts the message. */
	EXPECT_EQ(RTE_REMOTE_IRR, get_rte(f, 10) & RTE_REMOTE_IRR);
	EXPECT_EQ(0x3a, take_irq(a));
	/* No new message while remote IRR is set. */
	ioapic_set_irq(f, 10, 1);
	EXPECT_EQ(-1, apic_get_interrupt(a));
	/*
	 * SDM 10.8.5: the EOI of a level vector is broadcast to the IOAPIC,
	 * which clears remote IRR; the line is still asserted, so the
	 * interrupt is delivered again.
	 */
	wr(a, R_EOI, 0);
	EXPECT_EQ(0x3a, take_irq(a));
	EXPECT_EQ(RTE_REMOTE_IRR, get_rte(f, 10) & RTE_REMOTE_IRR);
	/* The device deasserts; the next EOI leaves the pin idle. */
	ioapic_set_irq(f, 10, 0);
	wr(a, R_EOI, 0);
	EXPECT_EQ(0ull, get_rte(f, 10) & RTE_REMOTE_IRR);
	EXPECT_EQ(-1, apic_get_interrupt(a));
	EXPECT_FALSE(apic_has_event(a));
}

TEST_F(io, edge_eoi_does_not_touch_level_pins)
{
	struct tcg_irq_fabric *f = self->f;
	struct tcg_apic *a = self->vm.apic[0];

	set_rte(f, 11, RTE_LEVEL | 0x50);
	ioapic_set_irq(f, 11, 1);
	EXPECT_EQ(0x50, take_irq(a));
	/* An edge vector's EOI is not broadcast (TMR clear, 10.8.5). */
	send_ipi(a, 0, (1u << 18) | 0x60);
	EXPECT_EQ(0x60, take_irq(a));
	wr(a, R_EOI, 0);
	EXPECT_EQ(RTE_REMOTE_IRR, get_rte(f, 11) & RTE_REMOTE_IRR);
}

TEST_F(io, unmasking_asserted_level_pin_delivers)
{
	struct tcg_irq_fabric *f = self->f;
	struct tcg_apic *a = self->vm.apic[0];

	set_rte(f, 9, RTE_MASKED | RTE_LEVEL | 0x49);
	ioapic_set_irq(f, 9, 1);
	EXPECT_EQ(-1, apic_get_interrupt(a));
	/* A level input is a state: it interrupts once unmasked. */
	set_rte(f, 9, RTE_LEVEL | 0x49);
	EXPECT_EQ(0x49, apic_get_interrupt(a));
}

TEST_F(io, logical_lowest_priority_and_nmi)
{
	struct tcg_irq_fabric *f = self->f;
	struct tcg_apic **a = self->vm.apic;

	/* SDM 10.6.2.2 flat logical IDs, 10.6.2.4 lowest priority. */
	wr(a[1], R_LDR, 0x02000000);
	wr(a[2], R_LDR, 0x04000000);
	wr(a[1], R_TPR, 0x20);
	set_rte(f, 6, RTE_DEST(0x06) | RTE_LOGICAL | RTE_DM(1) | 0x46);
	ioapic_set_irq(f, 6, 1);
	EXPECT_FALSE(vec_bit(a[0], R_IRR, 0x46));
	EXPECT_FALSE(vec_bit(a[1], R_IRR, 0x46));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x46));
	/* 82093AA 3.2.4 delivery mode 100b: NMI. */
	set_rte(f, 7, RTE_DEST(0) | RTE_DM(4));
	ioapic_set_irq(f, 7, 1);
	EXPECT_EQ(APIC_EVENT_NMI,
		  (int)apic_take_event(a[0], APIC_EVENT_ALL, NULL));
}

TEST_F(io, msi_decoding)
{
	struct tcg_irq_fabric *f = self->f;
	struct tcg_apic **a = self->vm.apic;

	/* SDM 10.11.1: address FEEXXXXXH, destination ID in 19:12. */
	EXPECT_EQ(1, fabric_signal_msi(f, 0xfee02000, 0x45));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x45));
	EXPECT_FALSE(vec_bit(a[0], R_IRR, 0x45));
	/* Bit 2: logical destination mode. */
	wr(a[0], R_LDR, 0x01000000);
	wr(a[1], R_LDR, 0x02000000);
	EXPECT_EQ(2, fabric_signal_msi(f, 0xfee03004, 0x46));
	EXPECT_TRUE(vec_bit(a[0], R_IRR, 0x46));
	EXPECT_TRUE(vec_bit(a[1], R_IRR, 0x46));
	/* SDM 10.11.2: data 15 trigger mode (level), 14 level (assert). */
	EXPECT_EQ(1, fabric_signal_msi(f, 0xfee01000, 0xc047));
	EXPECT_TRUE(vec_bit(a[1], R_TMR, 0x47));
	/* Data 10:8 delivery mode: 100b NMI. */
	EXPECT_EQ(1, fabric_signal_msi(f, 0xfee00000, 0x400));
	EXPECT_EQ(APIC_EVENT_NMI,
		  (int)apic_take_event(a[0], APIC_EVENT_ALL, NULL));
	/* Not an MSI address. */
	EXPECT_EQ(-EINVAL, fabric_signal_msi(f, 0xfed00000, 0x45));
	EXPECT_EQ(-EINVAL, fabric_signal_msi(f, 0x1fee00000ull, 0x45));
	/* A software-disabled LAPIC does not accept fixed MSIs (10.4.7.2). */
	wr(a[2], R_SVR, 0xff);
	EXPECT_EQ(0, fabric_signal_msi(f, 0xfee02000, 0x48));
}

TEST_HARNESS_MAIN
