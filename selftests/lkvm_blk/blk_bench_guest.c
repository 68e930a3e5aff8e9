// SPDX-License-Identifier: GPL-2.0
/*
 * Guest payload of lkvm_blk_vmm_bench: a virtio-blk driver that reads 4 KiB
 * blocks as fast as the device answers, with QDEPTH requests in flight on
 * a ring of QSIZE, whatever serves the queue (lkvm or lkvm.ko).  It polls
 * the used ring; no interrupts.
 *
 * The disk's first 16 bytes say what to do: "LKBENCH\0", the number of
 * reads (u32) and the number of 4 KiB blocks to cycle through (u32).  The
 * first byte of block b must be (u8)b, except block 0's.  Exit status 0,
 * or FAIL_* bits.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "../../tools/lkvm/guest/guest.h"
#include "../lkvm_virtio/virtio_guest.h"

#define QSIZE		128
#define QDEPTH		32	/* three descriptors each: fits QSIZE */
#define BLOCK		4096
#define FAIL_PROBE	0x01
#define FAIL_HEADER	0x02
#define FAIL_IO		0x04
#define FAIL_DATA	0x08

GUEST_RING(ring, QSIZE);

struct slot {
	struct virtio_blk_outhdr hdr;
	u8 status;
	u32 block;
};

static struct ring ring;
static struct slot slots[QDEPTH];
static u8 data[QDEPTH][BLOCK] __attribute__((aligned(BLOCK)));
static struct vdev dev;

static u16 r16(const void *a) { return *(const volatile u16 *)a; }

/* Slot @i's chain: header, 4 KiB of data to fill, status. */
static void queue_read(unsigned int i, u32 block)
{
	struct vring_desc *d = &ring.desc[3 * i];
	struct slot *s = &slots[i];

	s->hdr = (struct virtio_blk_outhdr) {
		.type = VIRTIO_BLK_T_IN,
		.sector = (u64)block * (BLOCK / 512),
	};
	s->status = 0xff;
	s->block = block;
	d[0] = (struct vring_desc) { (u64)&s->hdr, sizeof(s->hdr),
				     VRING_DESC_F_NEXT, 3 * i + 1 };
	d[1] = (struct vring_desc) { (u64)data[i], BLOCK,
				     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
				     3 * i + 2 };
	d[2] = (struct vring_desc) { (u64)&s->status, 1, VRING_DESC_F_WRITE,
				     0 };
	ring.avail.ring[ring.avail.idx % QSIZE] = 3 * i;
	asm volatile("" ::: "memory");
	ring.avail.idx++;
}

/* Waits for the next used entry; returns its slot, or -1 if none comes. */
static int wait_used(u16 *used_idx)
{
	unsigned long spins;
	u16 head;

	for (spins = 0; r16(&ring.used.idx) == *used_idx; spins++)
		if (spins > 100000000UL)
			return -1;
	asm volatile("" ::: "memory");
	head = ring.used.ring[*used_idx % QSIZE].id;
	(*used_idx)++;
	return head / 3 < QDEPTH ? head / 3 : -1;
}

static int run(u32 reads, u32 blocks, u16 used_idx)
{
	u32 submitted = 0, done = 0, bad = 0, next = 1;
	unsigned int i;
	int s;

	/* Keep QDEPTH in flight; one notification per batch. */
	for (i = 0; i < QDEPTH && submitted < reads; i++, submitted++) {
		queue_read(i, next);
		next = next + 1 < blocks ? next + 1 : 1;
	}
	w16(dev.notify, 0);
	while (done < reads) {
		s = wait_used(&used_idx);
		if (s < 0)
			return FAIL_IO;
		done++;
		if (slots[s].status != VIRTIO_BLK_S_OK)
			return FAIL_IO;
		bad += data[s][0] != (u8)slots[s].block;
		if (submitted < reads) {
			queue_read(s, next);
			next = next + 1 < blocks ? next + 1 : 1;
			submitted++;
			/*
			 * Unseen completions mean the device is at work and
			 * will look at the ring again; else it may sleep.
			 */
			if (submitted == reads ||
			    r16(&ring.used.idx) == used_idx)
				w16(dev.notify, 0);
		}
	}
	print("bench: %u reads of 4 KiB, %u bad\n", done, bad);
	return bad ? FAIL_DATA : 0;
}

int payload_main(void)
{
	static const char magic[8] = "LKBENCH";
	u32 reads, blocks;
	u16 used_idx = 0;
	unsigned int i;

	if (vdev_probe(VIRTIO_ID_BLOCK, &dev) ||
	    vdev_start(&dev, QSIZE, ring.desc, &ring.avail, &ring.used))
		return FAIL_PROBE;
	queue_read(0, 0);
	w16(dev.notify, 0);
	if (wait_used(&used_idx) != 0 || slots[0].status != VIRTIO_BLK_S_OK)
		return FAIL_IO;
	for (i = 0; i < sizeof(magic); i++)
		if (data[0][i] != (u8)magic[i])
			return FAIL_HEADER;
	memcpy(&reads, &data[0][8], 4);
	memcpy(&blocks, &data[0][12], 4);
	if (blocks < 2)
		return FAIL_HEADER;
	return run(reads, blocks, used_idx);
}
