// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile driver: every malformed ring the virtio 1.2 spec forbids
 * (2.7.5.2, 2.7.5.3.1, 2.7.4.2, 2.7.6, 2.7) must put the device into
 * DEVICE_NEEDS_RESET with a configuration change interrupt (2.1.2), return
 * nothing, ignore further kicks, and work again after a reset.  Each case
 * has a well-formed twin that must work, so that the check can fail.
 * The device is virtio-rng: every chain of device-writable buffers is a
 * valid request, so only the ring itself is on trial.
 */
#include <string.h>
#include <sys/random.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "devices.h"
#include "driver.h"
#include "kselftest_harness.h"

#define QSIZE		8
#define QUEUE_VECTOR	1
#define CONFIG_VECTOR	0
#define FEATURES	(1ULL << VIRTIO_F_VERSION_1 | \
			 1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define W		VRING_DESC_F_WRITE
#define N		VRING_DESC_F_NEXT
#define I		VRING_DESC_F_INDIRECT
#define NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET

FIXTURE(ring) {
	struct vdev v;
	struct gq q;
	u64 buf;
	struct vring_desc *table;
	u64 table_gpa;
	unsigned int msis_before;
};

static void start(struct vdev *v, struct gq *q, u64 features)
{
	vdev_negotiate(v, features);
	common_write(v, VIRTIO_PCI_COMMON_MSIX, CONFIG_VECTOR, 2);
	gq_setup(q, v, 0, QSIZE, QUEUE_VECTOR);
	common_write(v, VIRTIO_PCI_COMMON_STATUS,
		     vdev_status(v) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_rng_init(&test_vm));
	ASSERT_EQ(0, vdev_open(&self->v, VIRTIO_ID_RNG, TEST_BAR_BASE));
	vdev_enable_msix(&self->v);
	start(&self->v, &self->q, FEATURES);
	self->buf = galloc(4096, 16);
	self->table_gpa = galloc(64 * 16, 16);
	self->table = ghva(self->table_gpa);
	self->msis_before = nr_msis;
}

FIXTURE_TEARDOWN(ring)
{
}

/* The device took the ring and answered with used elements only. */
static bool served(struct gq *q, u32 *len)
{
	u32 id;

	return gq_used(q, &id, len) && !(vdev_status(q->v) & NEEDS_RESET);
}

/*
 * The ring is broken: DEVICE_NEEDS_RESET, one config interrupt, nothing
 * used, kicks ignored; a reset brings the device back.
 */
static void expect_broken(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ring) *self)
{
	struct gq *q = &self->q;
	u32 id, len;

	EXPECT_TRUE(vdev_status(&self->v) & NEEDS_RESET);
	EXPECT_EQ(1, msis_with(self->msis_before, MSI_DATA(CONFIG_VECTOR)));
	EXPECT_EQ(0, msis_with(self->msis_before, MSI_DATA(QUEUE_VECTOR)));
	EXPECT_FALSE(gq_used(q, &id, &len));
	/* A good chain now is not served: the device waits for a reset. */
	gq_desc(q, 0, self->buf, 16, W, 0);
	gq_kick(q, 0, 1);
	EXPECT_FALSE(gq_used(q, &id, &len));
	EXPECT_EQ(1, msis_with(self->msis_before, MSI_DATA(CONFIG_VECTOR)));

	start(&self->v, q, FEATURES);
	EXPECT_FALSE(vdev_status(&self->v) & NEEDS_RESET);
	gq_desc(q, 0, self->buf, 16, W, 0);
	gq_kick(q, 0, 1);
	EXPECT_TRUE(served(q, &len));
	EXPECT_EQ(16, len);
}

static void kick_head(FIXTURE_DATA(ring) *self, u16 head)
{
	gq_kick(&self->q, head, 1);
}

/* --- buffers outside guest RAM (gpa_to_hva() must say no) --- */

TEST_F(ring, buffer_at_end_of_ram_is_fine)
{
	u32 len;

	gq_desc(&self->q, 0, TEST_RAM_SIZE - 16, 16, W, 0);
	kick_head(self, 0);
	EXPECT_TRUE(served(&self->q, &len));
	EXPECT_EQ(16, len);
}

TEST_F(ring, buffer_past_end_of_ram)
{
	gq_desc(&self->q, 0, TEST_RAM_SIZE, 16, W, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, buffer_straddles_end_of_ram)
{
	gq_desc(&self->q, 0, TEST_RAM_SIZE - 8, 16, W, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, buffer_in_mmio_hole)
{
	gq_desc(&self->q, 0, 0xfee00000, 16, W, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, buffer_address_wraps)
{
	gq_desc(&self->q, 0, ~0ULL - 7, 32, W, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

/* --- lengths --- */

TEST_F(ring, zero_length)
{
	gq_desc(&self->q, 0, self->buf, 0, W, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, huge_length)
{
	gq_desc(&self->q, 0, self->buf, 0xffffffff, W, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

/* --- chains --- */

TEST_F(ring, chain_of_queue_size_is_fine)
{
	unsigned int i;
	u32 len;

	for (i = 0; i < QSIZE; i++)
		gq_desc(&self->q, i, self->buf + 16 * i, 16,
			W | (i + 1 < QSIZE ? N : 0), i + 1);
	kick_head(self, 0);
	EXPECT_TRUE(served(&self->q, &len));
	EXPECT_EQ(16 * QSIZE, len);
}

TEST_F(ring, loop)
{
	gq_desc(&self->q, 0, self->buf, 16, W | N, 1);
	gq_desc(&self->q, 1, self->buf, 16, W | N, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, self_loop)
{
	gq_desc(&self->q, 5, self->buf, 16, W | N, 5);
	kick_head(self, 5);
	expect_broken(_metadata, self);
}

TEST_F(ring, next_out_of_range)
{
	gq_desc(&self->q, 0, self->buf, 16, W | N, QSIZE);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, head_out_of_range)
{
	kick_head(self, QSIZE);
	expect_broken(_metadata, self);
}

/* 2.7.4.2: device-writable after device-readable, never before. */
TEST_F(ring, readable_after_writable)
{
	gq_desc(&self->q, 0, self->buf, 16, W | N, 1);
	gq_desc(&self->q, 1, self->buf + 16, 16, 0, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

/* --- the available ring --- */

TEST_F(ring, avail_idx_moves_by_queue_size_is_fine)
{
	unsigned int i;
	u32 id, len;

	for (i = 0; i < QSIZE; i++) {
		gq_desc(&self->q, i, self->buf + 16 * i, 16, W, 0);
		self->q.avail->ring[i] = i;
	}
	gq_kick(&self->q, 0, QSIZE);
	for (i = 0; i < QSIZE; i++) {
		EXPECT_TRUE(gq_used(&self->q, &id, &len));
	}
	EXPECT_FALSE(vdev_status(&self->v) & NEEDS_RESET);
}

TEST_F(ring, avail_idx_jumps)
{
	gq_desc(&self->q, 0, self->buf, 16, W, 0);
	gq_kick(&self->q, 0, QSIZE + 1);
	expect_broken(_metadata, self);
}

TEST_F(ring, avail_idx_goes_back)
{
	u32 len;

	gq_desc(&self->q, 0, self->buf, 16, W, 0);
	kick_head(self, 0);
	ASSERT_TRUE(served(&self->q, &len));
	self->msis_before = nr_msis;
	/* 2.7.6.1: idx never decreases; back by one reads as +65535. */
	gq_kick(&self->q, 0, 0xffff);
	expect_broken(_metadata, self);
}

/* A good chain before a bad one is still answered. */
TEST_F(ring, good_chain_then_bad)
{
	u32 id, len;

	gq_desc(&self->q, 0, self->buf, 16, W, 0);
	gq_desc(&self->q, 1, TEST_RAM_SIZE, 16, W, 0);
	self->q.avail->ring[0] = 0;
	self->q.avail->ring[1] = 1;
	gq_kick(&self->q, 0, 2);
	EXPECT_TRUE(gq_used(&self->q, &id, &len));
	EXPECT_EQ(0, id);
	EXPECT_TRUE(vdev_status(&self->v) & NEEDS_RESET);
	/* Its used buffer notification went out as well. */
	EXPECT_EQ(1, msis_with(self->msis_before, MSI_DATA(QUEUE_VECTOR)));
}

/* --- indirect tables (2.7.5.3) --- */

static void indirect_entries(FIXTURE_DATA(ring) *self, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		self->table[i] = (struct vring_desc) {
			self->buf + 16 * i, 16, W | (i + 1 < n ? N : 0), i + 1,
		};
}

TEST_F(ring, indirect_is_fine)
{
	u32 len;

	indirect_entries(self, QSIZE);
	gq_desc(&self->q, 2, self->table_gpa, QSIZE * 16, I, 0);
	kick_head(self, 2);
	EXPECT_TRUE(served(&self->q, &len));
	EXPECT_EQ(16 * QSIZE, len);
}

/* 2.7.5.3.2: normal descriptors, then one indirect one. */
TEST_F(ring, direct_then_indirect_is_fine)
{
	u32 len;

	indirect_entries(self, 2);
	gq_desc(&self->q, 0, self->buf + 512, 100, W | N, 1);
	/* The WRITE flag of the indirect descriptor is ignored (2.7.5.3.2). */
	gq_desc(&self->q, 1, self->table_gpa, 2 * 16, I | W, 0);
	kick_head(self, 0);
	EXPECT_TRUE(served(&self->q, &len));
	EXPECT_EQ(100 + 32, len);
}

TEST_F(ring, indirect_length_not_multiple_of_16)
{
	indirect_entries(self, 2);
	gq_desc(&self->q, 0, self->table_gpa, 24, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, indirect_zero_length)
{
	gq_desc(&self->q, 0, self->table_gpa, 0, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

/* 2.7.5.3.1: no chain longer than the queue size. */
TEST_F(ring, indirect_longer_than_queue)
{
	indirect_entries(self, QSIZE + 1);
	gq_desc(&self->q, 0, self->table_gpa, (QSIZE + 1) * 16, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, direct_plus_indirect_longer_than_queue)
{
	indirect_entries(self, QSIZE);
	gq_desc(&self->q, 0, self->buf + 512, 16, W | N, 1);
	gq_desc(&self->q, 1, self->table_gpa, QSIZE * 16, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, indirect_loop)
{
	indirect_entries(self, 4);
	self->table[3].flags |= N;
	self->table[3].next = 0;
	gq_desc(&self->q, 0, self->table_gpa, 4 * 16, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, indirect_next_out_of_table)
{
	indirect_entries(self, 4);
	self->table[3].flags |= N;
	self->table[3].next = 4;	/* inside the queue, outside the table */
	gq_desc(&self->q, 0, self->table_gpa, 4 * 16, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, indirect_nested)
{
	/* The inner table is well-formed: only the nesting is wrong. */
	indirect_entries(self, 2);
	self->table[8] = (struct vring_desc) { self->buf + 256, 16, W, 0 };
	self->table[1].flags = I;
	self->table[1].addr = self->table_gpa + 8 * 16;
	self->table[1].len = 16;
	gq_desc(&self->q, 0, self->table_gpa, 2 * 16, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, indirect_with_next)
{
	indirect_entries(self, 2);
	gq_desc(&self->q, 0, self->table_gpa, 2 * 16, I | N, 1);
	gq_desc(&self->q, 1, self->buf, 16, W, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, indirect_table_outside_ram)
{
	gq_desc(&self->q, 0, TEST_RAM_SIZE - 16, 32, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

TEST_F(ring, indirect_buffer_outside_ram)
{
	indirect_entries(self, 2);
	self->table[1].addr = TEST_RAM_SIZE;
	gq_desc(&self->q, 0, self->table_gpa, 2 * 16, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

/* 2.7.5.3.1: INDIRECT needs VIRTIO_RING_F_INDIRECT_DESC. */
TEST_F(ring, indirect_not_negotiated)
{
	start(&self->v, &self->q, 1ULL << VIRTIO_F_VERSION_1);
	indirect_entries(self, 2);
	gq_desc(&self->q, 0, self->table_gpa, 2 * 16, I, 0);
	kick_head(self, 0);
	expect_broken(_metadata, self);
}

/* --- ring placement at queue_enable (2.7, alignment and sizes) --- */

static void bad_queue(FIXTURE_DATA(ring) *self, u16 size, u64 desc,
		      u64 avail, u64 used)
{
	struct vdev *v = &self->v;

	vdev_negotiate(v, FEATURES);
	common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	common_write(v, VIRTIO_PCI_COMMON_Q_SIZE, size, 2);
	common_write(v, VIRTIO_PCI_COMMON_Q_DESCLO, desc, 8);
	common_write(v, VIRTIO_PCI_COMMON_Q_AVAILLO, avail, 8);
	common_write(v, VIRTIO_PCI_COMMON_Q_USEDLO, used, 8);
	common_write(v, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

static void expect_refused(struct __test_metadata *_metadata,
			   FIXTURE_DATA(ring) *self)
{
	EXPECT_TRUE(vdev_status(&self->v) & NEEDS_RESET);
	EXPECT_EQ(0, common_read(&self->v, VIRTIO_PCI_COMMON_Q_ENABLE, 2));
	/* Before DRIVER_OK there is no interrupt (2.1.2). */
	EXPECT_EQ(0, msis_with(self->msis_before, MSI_DATA(CONFIG_VECTOR)));
}

TEST_F(ring, queue_placement_is_fine)
{
	bad_queue(self, QSIZE, self->q.desc_gpa, self->q.avail_gpa,
		  self->q.used_gpa);
	EXPECT_FALSE(vdev_status(&self->v) & NEEDS_RESET);
	EXPECT_EQ(1, common_read(&self->v, VIRTIO_PCI_COMMON_Q_ENABLE, 2));
}

TEST_F(ring, queue_outside_ram)
{
	bad_queue(self, QSIZE, self->q.desc_gpa, self->q.avail_gpa,
		  TEST_RAM_SIZE - 8);
	expect_refused(_metadata, self);
}

TEST_F(ring, queue_misaligned)
{
	bad_queue(self, QSIZE, self->q.desc_gpa + 8, self->q.avail_gpa,
		  self->q.used_gpa);
	expect_refused(_metadata, self);
}

TEST_F(ring, queue_size_not_power_of_2)
{
	bad_queue(self, 6, self->q.desc_gpa, self->q.avail_gpa,
		  self->q.used_gpa);
	expect_refused(_metadata, self);
}

TEST_F(ring, queue_size_above_maximum)
{
	bad_queue(self, 0x8000, self->q.desc_gpa, self->q.avail_gpa,
		  self->q.used_gpa);
	expect_refused(_metadata, self);
}

/* --- registers --- */

/* Notifications for queues that do not exist, in odd widths. */
TEST_F(ring, bad_notifications)
{
	u32 len;

	gq_desc(&self->q, 0, self->buf, 16, W, 0);
	self->q.avail->ring[0] = 0;
	self->q.avail->idx = 1;
	mmio_write(self->v.notify, 5, 2);
	mmio_write(self->v.notify, 0xffff, 2);
	mmio_write(self->v.notify, 0, 1);
	EXPECT_FALSE(served(&self->q, &len));
	mmio_write(self->v.notify, 0, 4);
	EXPECT_TRUE(served(&self->q, &len));
}

/* Every width at every offset of the BAR, with random values. */
TEST_F(ring, register_noise)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	u64 bar = TEST_BAR_BASE, off, val;
	unsigned int w;
	u32 len;

	for (off = 0; off < 0x8000; off++) {
		/* Leave the MSI-X table alone: it is the test's own. */
		if (off >= 0x4000)
			break;
		for (w = 0; w < ARRAY_SIZE(widths); w++) {
			ASSERT_EQ(sizeof(val), getrandom(&val, sizeof(val), 0));
			mmio_read(bar + off, widths[w]);
			mmio_write(bar + off, val, widths[w]);
		}
	}
	start(&self->v, &self->q, FEATURES);
	gq_desc(&self->q, 0, self->buf, 16, W, 0);
	kick_head(self, 0);
	EXPECT_TRUE(served(&self->q, &len));
}

TEST_HARNESS_MAIN
