// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI host bridge as a guest sees it: configuration mechanism #1,
 * BAR sizing and moving, the capability list, MSI-X and INTx.  Expected
 * values come from the PCI Local Bus Specification 3.0 and virtio 1.2
 * (sections cited at each check) and from what Linux's drivers require.
 */
#include <fcntl.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "bus.h"
#include "devices.h"
#include "driver.h"
#include "kselftest_harness.h"
#include "pci.h"

#define RNG_QUEUE_VECTOR	1
#define CONFIG_VECTOR		0

FIXTURE(bus) {
	struct vdev rng;
};

FIXTURE_SETUP(bus)
{
	int null = open("/dev/null", O_WRONLY);

	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_rng_init(&test_vm));
	ASSERT_EQ(0, virtio_console_init(&test_vm, null));
}

FIXTURE_TEARDOWN(bus)
{
}

static u32 port_read32(u16 port)
{
	u32 v;

	bus_access(BUS_PIO, port, &v, 4, false);
	return v;
}

static void port_write(u16 port, u32 v, unsigned int len)
{
	bus_access(BUS_PIO, port, &v, len, true);
}

/* Linux's pci_check_type1() probe, and reserved bits 1:0 (PCI 3.2.2.3.2). */
TEST_F(bus, conf1_address_register)
{
	port_write(0xcfb, 0x01, 1);
	port_write(0xcf8, 0x80000000, 4);
	EXPECT_EQ(0x80000000, port_read32(0xcf8));
	port_write(0xcf8, 0x80001803, 4);
	EXPECT_EQ(0x80001800, port_read32(0xcf8));
	/* A byte write is not CONFIG_ADDRESS. */
	port_write(0xcfb, 0x00, 1);
	EXPECT_EQ(0x80001800, port_read32(0xcf8));
}

TEST_F(bus, host_bridge)
{
	u32 v;

	/* Linux's pci_sanity_check(): class 0x0600 (host bridge) on bus 0. */
	EXPECT_EQ(0x0600, cfg_read(0, PCI_CLASS_DEVICE, 2));
	EXPECT_EQ(0, cfg_read(0, PCI_HEADER_TYPE, 1));
	EXPECT_NE(0xffff, cfg_read(0, PCI_VENDOR_ID, 2));
	/* Empty slots, other functions and buses read all-ones. */
	EXPECT_EQ(0xffff, cfg_read(31, PCI_VENDOR_ID, 2));
	port_write(0xcf8, 0x80000100, 4);	/* 00:00.1 */
	EXPECT_EQ(0xffffffff, port_read32(0xcfc));
	port_write(0xcf8, 0x80010000, 4);	/* 01:00.0 */
	EXPECT_EQ(0xffffffff, port_read32(0xcfc));
	/* Without the enable bit there is no configuration cycle. */
	port_write(0xcf8, 0x00000000, 4);
	EXPECT_EQ(0xffffffff, port_read32(0xcfc));
	/* Vendor and device ID are read-only. */
	cfg_write(0, PCI_VENDOR_ID, 0x1234, 2);
	v = cfg_read(0, PCI_VENDOR_ID, 2);
	EXPECT_NE(0x1234, v);
	/* A narrower access picks the addressed bytes. */
	EXPECT_EQ(cfg_read(0, PCI_VENDOR_ID, 4) >> 16,
		  cfg_read(0, PCI_DEVICE_ID, 2));
	EXPECT_EQ(cfg_read(0, PCI_VENDOR_ID, 4) >> 24,
		  cfg_read(0, PCI_DEVICE_ID + 1, 1));
}

/* virtio 1.2, 4.1.2: IDs of non-transitional devices. */
TEST_F(bus, virtio_ids)
{
	static const u16 types[] = { VIRTIO_ID_RNG, VIRTIO_ID_CONSOLE };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		int slot = pci_find(0x1af4, 0x1040 + types[i]);

		ASSERT_GT(slot, 0);
		EXPECT_GE(cfg_read(slot, PCI_REVISION_ID, 1), 1);
		EXPECT_GE(cfg_read(slot, PCI_SUBSYSTEM_ID, 2), 0x40);
		EXPECT_EQ(0, cfg_read(slot, PCI_HEADER_TYPE, 1));
		EXPECT_EQ(1, cfg_read(slot, PCI_INTERRUPT_PIN, 1));
	}
}

/* PCI 3.0, 6.2.5.1: sizing by writing all-ones; the BAR is memory. */
TEST_F(bus, bar_sizing)
{
	int slot = pci_find(0x1af4, 0x1040 + VIRTIO_ID_RNG);
	u32 bar, size;

	ASSERT_GT(slot, 0);
	bar = cfg_read(slot, PCI_BASE_ADDRESS_0, 4);
	size = bar_size(slot, 0);
	EXPECT_EQ(0, bar & PCI_BASE_ADDRESS_SPACE_IO);
	EXPECT_EQ(PCI_BASE_ADDRESS_MEM_TYPE_32,
		  bar & PCI_BASE_ADDRESS_MEM_TYPE_MASK);
	EXPECT_GE(size, 4096);
	EXPECT_EQ(0, size & (size - 1));
	/* Assigned by lkvm, naturally aligned, and restored after sizing. */
	EXPECT_NE(0, bar & PCI_BASE_ADDRESS_MEM_MASK);
	EXPECT_EQ(0, (bar & PCI_BASE_ADDRESS_MEM_MASK) & (size - 1));
	EXPECT_EQ(bar, cfg_read(slot, PCI_BASE_ADDRESS_0, 4));
	/* Unimplemented BARs are hard-wired to zero. */
	cfg_write(slot, PCI_BASE_ADDRESS_1, 0xffffffff, 4);
	EXPECT_EQ(0, cfg_read(slot, PCI_BASE_ADDRESS_1, 4));
	cfg_write(slot, PCI_ROM_ADDRESS, 0xffffffff, 4);
	EXPECT_EQ(0, cfg_read(slot, PCI_ROM_ADDRESS, 4));
}

/* Firmware-assigned BARs do not overlap. */
TEST_F(bus, bars_disjoint)
{
	int a = pci_find(0x1af4, 0x1040 + VIRTIO_ID_RNG);
	int b = pci_find(0x1af4, 0x1040 + VIRTIO_ID_CONSOLE);
	u64 ba, bb;

	ASSERT_GT(a, 0);
	ASSERT_GT(b, 0);
	ba = cfg_read(a, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	bb = cfg_read(b, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	EXPECT_TRUE(ba + bar_size(a, 0) <= bb || bb + bar_size(b, 0) <= ba);
}

TEST_F(bus, bar_move_and_decode)
{
	int slot = pci_find(0x1af4, 0x1040 + VIRTIO_ID_RNG);
	u64 old, common;

	ASSERT_GT(slot, 0);
	old = cfg_read(slot, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	ASSERT_EQ(0, vdev_open(&self->rng, VIRTIO_ID_RNG, TEST_BAR_BASE));
	common = self->rng.common;
	EXPECT_EQ(1, common_read(&self->rng, VIRTIO_PCI_COMMON_NUMQ, 2));
	/* Nothing answers at the old address any more. */
	EXPECT_EQ(0xffff, mmio_read(old + (common - TEST_BAR_BASE) +
				    VIRTIO_PCI_COMMON_NUMQ, 2));
	/* Memory decoding off: the BAR is not decoded (PCI 3.0, 6.2.2). */
	cfg_write(slot, PCI_COMMAND, 0, 2);
	EXPECT_EQ(0xffff, common_read(&self->rng, VIRTIO_PCI_COMMON_NUMQ, 2));
	cfg_write(slot, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	EXPECT_EQ(1, common_read(&self->rng, VIRTIO_PCI_COMMON_NUMQ, 2));
}

/* A guest may put BARs anywhere between the end of RAM and 0xfeb00000. */
TEST_F(bus, bar_anywhere_in_the_gap)
{
	static const u64 places[] = { TEST_RAM_SIZE, 0xfea00000 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(places); i++) {
		ASSERT_EQ(0, vdev_open(&self->rng, VIRTIO_ID_RNG, places[i]));
		EXPECT_EQ(1, common_read(&self->rng, VIRTIO_PCI_COMMON_NUMQ, 2));
	}
	/* Overlapping RAM it is not decoded (RAM is the accelerator's). */
	ASSERT_EQ(0, vdev_open(&self->rng, VIRTIO_ID_RNG, TEST_RAM_SIZE / 2));
	EXPECT_EQ(0xffff, common_read(&self->rng, VIRTIO_PCI_COMMON_NUMQ, 2));
}

/* virtio 1.2, 4.1.4: the vendor capabilities and their constraints. */
TEST_F(bus, virtio_capabilities)
{
	int slot = pci_find(0x1af4, 0x1040 + VIRTIO_ID_CONSOLE);
	unsigned int cap = 0, seen = 0;
	u32 size;

	ASSERT_GT(slot, 0);
	size = bar_size(slot, 0);
	EXPECT_TRUE(cfg_read(slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	while ((cap = pci_next_cap(slot, cap, PCI_CAP_ID_VNDR))) {
		u8 type = cfg_read(slot, cap + VIRTIO_PCI_CAP_CFG_TYPE, 1);
		u8 len = cfg_read(slot, cap + VIRTIO_PCI_CAP_LEN, 1);
		u32 off = cfg_read(slot, cap + VIRTIO_PCI_CAP_OFFSET, 4);
		u32 length = cfg_read(slot, cap + VIRTIO_PCI_CAP_LENGTH, 4);
		u32 mult;

		/* PCI 3.0, 6.7: capabilities are dword-aligned past 0x40. */
		EXPECT_GE(cap, 0x40);
		EXPECT_EQ(0, cap & 3);
		EXPECT_GE(len, sizeof(struct virtio_pci_cap));
		seen |= 1 << type;
		if (type == VIRTIO_PCI_CAP_PCI_CFG)
			continue;
		EXPECT_EQ(0, cfg_read(slot, cap + VIRTIO_PCI_CAP_BAR, 1));
		EXPECT_LE((u64)off + length, size);
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			/* 4.1.4.3.1: 4-byte aligned; Linux maps 0x38 bytes. */
			EXPECT_EQ(0, off & 3);
			EXPECT_GE(length, sizeof(struct virtio_pci_common_cfg));
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			/* 4.1.4.4.1 */
			EXPECT_GE(len, sizeof(struct virtio_pci_notify_cap));
			EXPECT_EQ(0, off & 1);
			EXPECT_GE(length, 2);
			mult = cfg_read(slot, cap + VIRTIO_PCI_NOTIFY_CAP_MULT,
					4);
			EXPECT_TRUE(mult == 0 ||
				    (!(mult & (mult - 1)) && mult % 2 == 0));
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			EXPECT_GE(length, 1);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			/* 4.1.4.6.1: 4-byte aligned. */
			EXPECT_EQ(0, off & 3);
			break;
		}
	}
	EXPECT_EQ(1 << VIRTIO_PCI_CAP_COMMON_CFG | 1 << VIRTIO_PCI_CAP_NOTIFY_CFG |
		  1 << VIRTIO_PCI_CAP_ISR_CFG | 1 << VIRTIO_PCI_CAP_DEVICE_CFG |
		  1 << VIRTIO_PCI_CAP_PCI_CFG, seen);
}

/* Starts the rng with one queue of 4 entries on @vector. */
static void rng_start(struct vdev *v, struct gq *q, u16 vector)
{
	vdev_negotiate(v, 1ULL << VIRTIO_F_VERSION_1);
	gq_setup(q, v, 0, 4, vector);
	common_write(v, VIRTIO_PCI_COMMON_STATUS,
		     vdev_status(v) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

static void rng_request(struct gq *q, u64 buf)
{
	struct gbuf b = { buf, 16, true };

	gq_chain(q, &b, 1);
	gq_kick(q, 0, 1);
}

TEST_F(bus, msix_delivery_and_masking)
{
	struct vdev *v = &self->rng;
	u64 buf = galloc(16, 16);
	unsigned int before;
	struct gq q;
	u32 id, len;

	ASSERT_EQ(0, vdev_open(v, VIRTIO_ID_RNG, TEST_BAR_BASE));
	/* 4.1.5.1.2.1: at least 2 vectors. */
	ASSERT_GE(v->msix_nr, 2);
	ASSERT_NE(0, v->msix_table);
	ASSERT_NE(0, v->msix_pba);
	vdev_enable_msix(v);
	rng_start(v, &q, RNG_QUEUE_VECTOR);
	common_write(v, VIRTIO_PCI_COMMON_MSIX, CONFIG_VECTOR, 2);
	EXPECT_EQ(CONFIG_VECTOR, common_read(v, VIRTIO_PCI_COMMON_MSIX, 2));
	EXPECT_EQ(RNG_QUEUE_VECTOR, common_read(v, VIRTIO_PCI_COMMON_Q_MSIX, 2));

	before = nr_msis;
	rng_request(&q, buf);
	ASSERT_TRUE(gq_used(&q, &id, &len));
	ASSERT_EQ(before + 1, nr_msis);
	EXPECT_EQ(MSI_ADDR, msis[before].address);
	EXPECT_EQ(MSI_DATA(RNG_QUEUE_VECTOR), msis[before].data);
	EXPECT_EQ(0, nr_irqs);	/* MSI-X replaces INTx */

	/* Masked: pending in the PBA, sent on unmask (PCI 3.0, 6.8.2.9). */
	msix_mask(v, RNG_QUEUE_VECTOR, true);
	before = nr_msis;
	rng_request(&q, buf);
	ASSERT_TRUE(gq_used(&q, &id, &len));
	EXPECT_EQ(before, nr_msis);
	EXPECT_EQ(1 << RNG_QUEUE_VECTOR, mmio_read(v->msix_pba, 8));
	msix_mask(v, RNG_QUEUE_VECTOR, false);
	EXPECT_EQ(before + 1, nr_msis);
	EXPECT_EQ(1, msis_with(before, MSI_DATA(RNG_QUEUE_VECTOR)));
	EXPECT_EQ(0, mmio_read(v->msix_pba, 8));

	/* The function mask does the same for all vectors. */
	cfg_write(v->slot, v->msix_cap + PCI_MSIX_FLAGS,
		  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	before = nr_msis;
	rng_request(&q, buf);
	EXPECT_EQ(before, nr_msis);
	cfg_write(v->slot, v->msix_cap + PCI_MSIX_FLAGS,
		  PCI_MSIX_FLAGS_ENABLE, 2);
	EXPECT_EQ(before + 1, nr_msis);
}

/* 4.1.5.1.2.1: a vector beyond the table reads back as NO_VECTOR. */
TEST_F(bus, msix_vector_out_of_table)
{
	struct vdev *v = &self->rng;

	ASSERT_EQ(0, vdev_open(v, VIRTIO_ID_RNG, TEST_BAR_BASE));
	common_write(v, VIRTIO_PCI_COMMON_MSIX, v->msix_nr, 2);
	EXPECT_EQ(VIRTIO_MSI_NO_VECTOR,
		  common_read(v, VIRTIO_PCI_COMMON_MSIX, 2));
	common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	common_write(v, VIRTIO_PCI_COMMON_Q_MSIX, 0x7ff, 2);
	EXPECT_EQ(VIRTIO_MSI_NO_VECTOR,
		  common_read(v, VIRTIO_PCI_COMMON_Q_MSIX, 2));
	common_write(v, VIRTIO_PCI_COMMON_Q_MSIX, v->msix_nr - 1, 2);
	EXPECT_EQ(v->msix_nr - 1, common_read(v, VIRTIO_PCI_COMMON_Q_MSIX, 2));
}

/* 4.1.4.5: without MSI-X, ISR bit 0 and INTx; reading ISR clears both. */
TEST_F(bus, intx_and_isr)
{
	struct vdev *v = &self->rng;
	u64 buf = galloc(16, 16);
	unsigned int gsi, n;
	struct gq q;
	u32 id, len;

	ASSERT_EQ(0, vdev_open(v, VIRTIO_ID_RNG, TEST_BAR_BASE));
	gsi = cfg_read(v->slot, PCI_INTERRUPT_LINE, 1);
	rng_start(v, &q, VIRTIO_MSI_NO_VECTOR);
	rng_request(&q, buf);
	ASSERT_TRUE(gq_used(&q, &id, &len));
	ASSERT_EQ(1, nr_irqs);
	EXPECT_EQ(gsi, irqs[0].gsi);
	EXPECT_EQ(1, irqs[0].level);
	EXPECT_TRUE(cfg_read(v->slot, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	EXPECT_EQ(1, mmio_read(v->isr, 1));
	ASSERT_EQ(2, nr_irqs);
	EXPECT_EQ(gsi, irqs[1].gsi);
	EXPECT_EQ(0, irqs[1].level);
	EXPECT_EQ(0, mmio_read(v->isr, 1));
	EXPECT_FALSE(cfg_read(v->slot, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);

	/* INTx Disable keeps the line low; Interrupt Status still shows. */
	cfg_write(v->slot, PCI_COMMAND,
		  PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, 2);
	n = nr_irqs;
	rng_request(&q, buf);
	EXPECT_EQ(n, nr_irqs);
	EXPECT_TRUE(cfg_read(v->slot, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* Re-enabled while pending: the line goes up. */
	cfg_write(v->slot, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	ASSERT_EQ(n + 1, nr_irqs);
	EXPECT_EQ(1, irqs[n].level);
}

/* The INTx routes lkvm reports for the MP table match the config space. */
TEST_F(bus, intx_routes)
{
	struct pci_intx_route r[PCI_MAX_SLOTS];
	unsigned int i, n = pci_intx_routes(r, ARRAY_SIZE(r));

	EXPECT_EQ(2, n);
	for (i = 0; i < n && i < ARRAY_SIZE(r); i++) {
		EXPECT_EQ(r[i].pin, cfg_read(r[i].slot, PCI_INTERRUPT_PIN, 1));
		EXPECT_EQ(r[i].gsi, cfg_read(r[i].slot, PCI_INTERRUPT_LINE, 1));
		EXPECT_GE(r[i].gsi, 16);
		EXPECT_LT(r[i].gsi, 24);	/* an IOAPIC has 24 pins */
	}
}

/* 4.1.4 "PCI configuration access capability": a window into the BAR. */
TEST_F(bus, pci_cfg_access_window)
{
	struct vdev *v = &self->rng;
	unsigned int c, data;
	u64 common_off;

	ASSERT_EQ(0, vdev_open(v, VIRTIO_ID_RNG, TEST_BAR_BASE));
	c = v->pci_cfg_cap;
	ASSERT_NE(0, c);
	data = c + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	common_off = v->common - TEST_BAR_BASE;
	cfg_write(v->slot, c + VIRTIO_PCI_CAP_BAR, 0, 1);
	cfg_write(v->slot, c + VIRTIO_PCI_CAP_LENGTH, 2, 4);
	cfg_write(v->slot, c + VIRTIO_PCI_CAP_OFFSET,
		  common_off + VIRTIO_PCI_COMMON_NUMQ, 4);
	EXPECT_EQ(1, cfg_read(v->slot, data, 2));
	cfg_write(v->slot, c + VIRTIO_PCI_CAP_LENGTH, 1, 4);
	cfg_write(v->slot, c + VIRTIO_PCI_CAP_OFFSET,
		  common_off + VIRTIO_PCI_COMMON_STATUS, 4);
	cfg_write(v->slot, data, VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	EXPECT_EQ(VIRTIO_CONFIG_S_ACKNOWLEDGE, vdev_status(v));
	/* A BAR that is not ours, or a misaligned window, does nothing. */
	cfg_write(v->slot, c + VIRTIO_PCI_CAP_BAR, 3, 1);
	cfg_write(v->slot, data, 0, 1);
	EXPECT_EQ(VIRTIO_CONFIG_S_ACKNOWLEDGE, vdev_status(v));
}

TEST_HARNESS_MAIN
