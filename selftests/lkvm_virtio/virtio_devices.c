// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-pci transport's common configuration (virtio 1.2, 4.1.4.3),
 * device status and feature negotiation (2.1, 2.2, 3.1), notification
 * suppression (2.7.7, 2.7.10), resets, and the rng and console devices.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "devices.h"
#include "driver.h"
#include "kselftest_harness.h"

#define QSIZE		8
#define QUEUE_VECTOR	1
#define CONFIG_VECTOR	0
#define V1		(1ULL << VIRTIO_F_VERSION_1)
#define DRIVER_OK	VIRTIO_CONFIG_S_DRIVER_OK

FIXTURE(dev) {
	struct vdev rng, con;
	int pipe[2];
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, pipe2(self->pipe, O_NONBLOCK));
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_rng_init(&test_vm));
	ASSERT_EQ(0, virtio_console_init(&test_vm, self->pipe[1]));
	ASSERT_EQ(0, vdev_open(&self->rng, VIRTIO_ID_RNG, TEST_BAR_BASE));
	ASSERT_EQ(0, vdev_open(&self->con, VIRTIO_ID_CONSOLE,
			       TEST_BAR_BASE + 0x100000));
	vdev_enable_msix(&self->rng);
	vdev_enable_msix(&self->con);
}

FIXTURE_TEARDOWN(dev)
{
}

static void driver_ok(struct vdev *v)
{
	common_write(v, VIRTIO_PCI_COMMON_STATUS, vdev_status(v) | DRIVER_OK, 1);
}

/* Negotiates @features, sets up queue 0 (and 1 if @two), DRIVER_OK. */
static u8 start(struct vdev *v, u64 features, struct gq *q, bool two,
		struct gq *q1)
{
	u8 s = vdev_negotiate(v, features);

	common_write(v, VIRTIO_PCI_COMMON_MSIX, CONFIG_VECTOR, 2);
	gq_setup(q, v, 0, QSIZE, QUEUE_VECTOR);
	if (two)
		gq_setup(q1, v, 1, QSIZE, QUEUE_VECTOR + 1);
	driver_ok(v);
	return s;
}

/* One device-writable buffer of @len at @gpa, from descriptor 0. */
static void rng_request(struct gq *q, u64 gpa, u32 len)
{
	struct gbuf b = { gpa, len, true };

	gq_chain(q, &b, 1);
	gq_kick(q, 0, 1);
}

/* 2.2, 6: what every device offers; 3.1.1: what FEATURES_OK accepts. */
TEST_F(dev, feature_negotiation)
{
	struct vdev *v = &self->rng;
	u64 f = vdev_device_features(v);

	EXPECT_TRUE(f & V1);
	EXPECT_TRUE(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	EXPECT_TRUE(f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	/* No legacy interface, no IOMMU, no packed ring offered. */
	EXPECT_FALSE(f & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
	EXPECT_FALSE(f & (1ULL << VIRTIO_F_RING_PACKED));
	/* 4.1.4.3.1: selects beyond 1 read as zero. */
	common_write(v, VIRTIO_PCI_COMMON_DFSELECT, 2, 4);
	EXPECT_EQ(0, common_read(v, VIRTIO_PCI_COMMON_DF, 4));

	/* Without VERSION_1 a modern-only device refuses. */
	EXPECT_FALSE(vdev_negotiate(v, 0) & VIRTIO_CONFIG_S_FEATURES_OK);
	/* A bit the device did not offer is refused. */
	EXPECT_FALSE(vdev_negotiate(v, V1 | 1ULL << VIRTIO_F_RING_PACKED) &
		     VIRTIO_CONFIG_S_FEATURES_OK);
	EXPECT_TRUE(vdev_negotiate(v, V1) & VIRTIO_CONFIG_S_FEATURES_OK);
	common_write(v, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	EXPECT_EQ(1, common_read(v, VIRTIO_PCI_COMMON_GF, 4));
	/* Features are fixed once FEATURES_OK is set. */
	common_write(v, VIRTIO_PCI_COMMON_GF, 0, 4);
	EXPECT_EQ(1, common_read(v, VIRTIO_PCI_COMMON_GF, 4));
}

/* 4.1.4.3.1: reset clears status and queue_enable, unmaps vectors. */
TEST_F(dev, device_reset)
{
	struct vdev *v = &self->rng;
	struct gq q;

	start(v, V1, &q, false, NULL);
	EXPECT_EQ(1, common_read(v, VIRTIO_PCI_COMMON_Q_ENABLE, 2));
	common_write(v, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(0, vdev_status(v));
	common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	EXPECT_EQ(0, common_read(v, VIRTIO_PCI_COMMON_Q_ENABLE, 2));
	EXPECT_EQ(VIRTIO_MSI_NO_VECTOR,
		  common_read(v, VIRTIO_PCI_COMMON_Q_MSIX, 2));
	EXPECT_EQ(VIRTIO_MSI_NO_VECTOR,
		  common_read(v, VIRTIO_PCI_COMMON_MSIX, 2));
	/* queue_size is the maximum again, a power of 2 (4.1.4.3.1). */
	EXPECT_GE(common_read(v, VIRTIO_PCI_COMMON_Q_SIZE, 2), QSIZE);
	EXPECT_EQ(0, common_read(v, VIRTIO_PCI_COMMON_Q_SIZE, 2) &
		  (common_read(v, VIRTIO_PCI_COMMON_Q_SIZE, 2) - 1));
	EXPECT_EQ(0, common_read(v, VIRTIO_PCI_COMMON_GF, 4));
}

TEST_F(dev, queue_fields)
{
	struct vdev *v = &self->con;
	struct gq q, q1;
	u64 desc;

	EXPECT_EQ(2, common_read(v, VIRTIO_PCI_COMMON_NUMQ, 2));
	/* 4.1.4.3.1: a queue that does not exist has size 0. */
	common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, 2, 2);
	EXPECT_EQ(0, common_read(v, VIRTIO_PCI_COMMON_Q_SIZE, 2));
	start(v, V1, &q, true, &q1);
	common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	EXPECT_EQ(QSIZE, common_read(v, VIRTIO_PCI_COMMON_Q_SIZE, 2));
	EXPECT_EQ(QUEUE_VECTOR + 1, common_read(v, VIRTIO_PCI_COMMON_Q_MSIX, 2));
	desc = common_read(v, VIRTIO_PCI_COMMON_Q_DESCLO, 4) |
	       common_read(v, VIRTIO_PCI_COMMON_Q_DESCHI, 4) << 32;
	EXPECT_EQ(q1.desc_gpa, desc);
	/* An 8-byte access reads the whole 64-bit field too. */
	EXPECT_EQ(q1.used_gpa, common_read(v, VIRTIO_PCI_COMMON_Q_USEDLO, 8));
	/* Enabled queues keep their addresses (4.1.4.3.2). */
	common_write(v, VIRTIO_PCI_COMMON_Q_DESCLO, 0x1000, 4);
	EXPECT_EQ((u32)q1.desc_gpa,
		  common_read(v, VIRTIO_PCI_COMMON_Q_DESCLO, 4));
	/* The driver never writes 0 to queue_enable; a device ignores it. */
	common_write(v, VIRTIO_PCI_COMMON_Q_ENABLE, 0, 2);
	EXPECT_EQ(1, common_read(v, VIRTIO_PCI_COMMON_Q_ENABLE, 2));
}

/* 2.6.1 with VIRTIO_F_RING_RESET: one queue is reset and set up again. */
TEST_F(dev, queue_reset)
{
	struct vdev *v = &self->rng;
	u64 buf = galloc(32, 16);
	struct gq q;
	u32 id, len;

	ASSERT_TRUE(vdev_device_features(v) & (1ULL << VIRTIO_F_RING_RESET));
	start(v, V1 | 1ULL << VIRTIO_F_RING_RESET, &q, false, NULL);
	rng_request(&q, buf, 32);
	ASSERT_TRUE(gq_used(&q, &id, &len));
	common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	common_write(v, VIRTIO_PCI_COMMON_Q_RESET, 1, 2);
	/* 4.1.4.3.1: 0 in queue_reset and queue_enable once done. */
	EXPECT_EQ(0, common_read(v, VIRTIO_PCI_COMMON_Q_RESET, 2));
	EXPECT_EQ(0, common_read(v, VIRTIO_PCI_COMMON_Q_ENABLE, 2));
	gq_setup(&q, v, 0, QSIZE / 2, QUEUE_VECTOR);
	rng_request(&q, buf, 32);
	EXPECT_TRUE(gq_used(&q, &id, &len));
	EXPECT_EQ(32, len);
	EXPECT_EQ(DRIVER_OK, vdev_status(v) & DRIVER_OK);
}

/* 5.4.6: the device fills what the driver offers. */
TEST_F(dev, rng_fills_buffers)
{
	struct vdev *v = &self->rng;
	u64 a = galloc(4096, 16), b = galloc(4096, 16);
	static const u8 zero[4096];
	struct gbuf two[] = { { a, 64, true }, { a + 64, 4000, true } };
	unsigned int before = nr_msis;
	struct gq q;
	u32 id, len;

	start(v, V1, &q, false, NULL);
	gq_chain(&q, two, 2);
	gq_kick(&q, 0, 1);
	ASSERT_TRUE(gq_used(&q, &id, &len));
	EXPECT_EQ(4064, len);
	EXPECT_EQ(1, msis_with(before, MSI_DATA(QUEUE_VECTOR)));
	rng_request(&q, b, 4064);
	ASSERT_TRUE(gq_used(&q, &id, &len));
	/* 2^-32704 is the chance that any of these fail on a good device. */
	EXPECT_NE(0, memcmp(ghva(a), zero, 4064));
	EXPECT_NE(0, memcmp(ghva(a), ghva(b), 4064));
	EXPECT_EQ(0, memcmp(ghva(a) + 4064, zero, 32));	/* no overrun */
}

/* 5.3.6: transmitq bytes reach the host; receiveq buffers wait. */
TEST_F(dev, console_output)
{
	struct vdev *v = &self->con;
	u64 msg = galloc(16, 1), rx = galloc(64, 1);
	struct gbuf parts[] = { { msg, 6, false }, { msg + 6, 7, false } };
	struct gbuf in = { rx, 64, true };
	struct gq q0, q1;
	char out[32] = { 0 };
	u32 id, len;

	start(v, V1, &q0, true, &q1);
	memcpy(ghva(msg), "hello, world\n", 13);
	gq_chain(&q1, parts, 2);
	gq_kick(&q1, 0, 1);
	ASSERT_TRUE(gq_used(&q1, &id, &len));
	EXPECT_EQ(0, len);
	EXPECT_EQ(13, read(self->pipe[0], out, sizeof(out)));
	EXPECT_STREQ("hello, world\n", out);
	gq_chain(&q0, &in, 1);
	gq_kick(&q0, 0, 1);
	EXPECT_FALSE(gq_used(&q0, &id, &len));
}

/* 2.1.2: nothing is consumed before DRIVER_OK. */
TEST_F(dev, nothing_before_driver_ok)
{
	struct vdev *v = &self->rng;
	u64 buf = galloc(16, 16);
	struct gq q;
	u32 id, len;

	vdev_negotiate(v, V1);
	gq_setup(&q, v, 0, QSIZE, QUEUE_VECTOR);
	rng_request(&q, buf, 16);
	EXPECT_FALSE(gq_used(&q, &id, &len));
	driver_ok(v);
	EXPECT_TRUE(gq_used(&q, &id, &len));
}

/* 2.7.7: without EVENT_IDX, VRING_AVAIL_F_NO_INTERRUPT suppresses. */
TEST_F(dev, no_interrupt_flag)
{
	struct vdev *v = &self->rng;
	u64 buf = galloc(16, 16);
	unsigned int before;
	struct gq q;
	u32 id, len;

	start(v, V1, &q, false, NULL);
	q.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	before = nr_msis;
	rng_request(&q, buf, 16);
	EXPECT_TRUE(gq_used(&q, &id, &len));
	EXPECT_EQ(before, nr_msis);
	q.avail->flags = 0;
	rng_request(&q, buf, 16);
	EXPECT_EQ(before + 1, nr_msis);
}

/* 2.7.7, 2.7.10 with VIRTIO_F_EVENT_IDX: used_event and avail_event. */
TEST_F(dev, event_idx)
{
	struct vdev *v = &self->rng;
	u64 buf = galloc(16, 16);
	u16 *used_event, *avail_event;
	unsigned int before;
	struct gq q;
	u32 id, len;

	start(v, V1 | 1ULL << VIRTIO_RING_F_EVENT_IDX, &q, false, NULL);
	used_event = &q.avail->ring[QSIZE];
	avail_event = (u16 *)&q.used->ring[QSIZE];
	/* Interrupt when used idx passes 2: requests 1 and 2 stay quiet. */
	*used_event = 2;
	before = nr_msis;
	rng_request(&q, buf, 16);
	rng_request(&q, buf, 16);
	EXPECT_EQ(before, nr_msis);
	rng_request(&q, buf, 16);	/* used idx 2 -> 3 crosses 2 */
	EXPECT_EQ(before + 1, nr_msis);
	/* The flag means nothing with EVENT_IDX (2.7.7.1). */
	q.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event = 3;
	rng_request(&q, buf, 16);
	EXPECT_EQ(before + 2, nr_msis);
	/* The device asks to be notified at the next avail index. */
	EXPECT_EQ(q.avail->idx, *avail_event);
	while (gq_used(&q, &id, &len))
		;
}

TEST_HARNESS_MAIN
