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
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "../../tools/lkvm/guest/guest.h"

#define QSIZE		128
#define QDEPTH		32	/* three descriptors each: fits QSIZE */
#define BLOCK		4096
#define FAIL_PROBE	0x01
#define FAIL_HEADER	0x02
#define FAIL_IO		0x04
#define FAIL_DATA	0x08

struct ring {
	struct vring_desc desc[QSIZE] __attribute__((aligned(16)));
	struct vring_avail avail __attribute__((aligned(2)));
	u16 avail_ring[QSIZE + 1];
	struct vring_used used __attribute__((aligned(4)));
	struct vring_used_elem used_ring[QSIZE + 1];
};

struct slot {
	struct virtio_blk_outhdr hdr;
	u8 status;
	u32 block;
};

static struct ring ring;
static struct slot slots[QDEPTH];
static u8 data[QDEPTH][BLOCK] __attribute__((aligned(BLOCK)));
static u64 common, notify;

static u32 cfg_read(unsigned int slot, unsigned int off)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static void cfg_write(unsigned int slot, unsigned int off, u32 v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

static void w8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static void w16(u64 a, u16 v) { *(volatile u16 *)a = v; }
static u8 r8(u64 a) { return *(volatile u8 *)a; }
static u16 r16(const void *a) { return *(const volatile u16 *)a; }

/* The virtio-blk function on bus 0: its common and notify structures. */
static int probe(void)
{
	unsigned int slot, cap;
	u64 bar;

	for (slot = 0; slot < 32; slot++)
		if (cfg_read(slot, 0) == (0x1af4u | 0x1042u << 16))
			break;
	if (slot == 32)
		return -1;
	bar = cfg_read(slot, 0x10) & ~0xfULL;
	cfg_write(slot, 0x04, 0x6);	/* memory space, bus master */
	for (cap = cfg_read(slot, 0x34) & 0xfc; cap;
	     cap = (cfg_read(slot, cap) >> 8) & 0xfc) {
		u32 head = cfg_read(slot, cap);
		u64 at = bar + cfg_read(slot, cap + VIRTIO_PCI_CAP_OFFSET);

		if ((head & 0xff) != 0x09)	/* vendor-specific */
			continue;
		if (head >> 24 == VIRTIO_PCI_CAP_COMMON_CFG && !common)
			common = at;
		if (head >> 24 == VIRTIO_PCI_CAP_NOTIFY_CFG && !notify)
			notify = at;
	}
	return common && notify ? 0 : -1;
}

/* 3.1.1 with VERSION_1 only: no event index, no indirect descriptors. */
static int start(void)
{
	u64 c = common;
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	w8(c + VIRTIO_PCI_COMMON_STATUS, 0);
	w8(c + VIRTIO_PCI_COMMON_STATUS, s);
	mmio_write32(c + VIRTIO_PCI_COMMON_GFSELECT, 1);
	mmio_write32(c + VIRTIO_PCI_COMMON_GF, 1);	/* VERSION_1 */
	w8(c + VIRTIO_PCI_COMMON_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(r8(c + VIRTIO_PCI_COMMON_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	w16(c + VIRTIO_PCI_COMMON_Q_SELECT, 0);
	w16(c + VIRTIO_PCI_COMMON_Q_SIZE, QSIZE);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_DESCLO, (u64)ring.desc);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_DESCHI, 0);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_AVAILLO, (u64)&ring.avail);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_AVAILHI, 0);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_USEDLO, (u64)&ring.used);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_USEDHI, 0);
	w16(c + VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	w8(c + VIRTIO_PCI_COMMON_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK);
	return 0;
}

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
	w16(notify, 0);
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
				w16(notify, 0);
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

	if (probe() || start())
		return FAIL_PROBE;
	queue_read(0, 0);
	w16(notify, 0);
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
