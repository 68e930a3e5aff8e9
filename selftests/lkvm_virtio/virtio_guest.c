// SPDX-License-Identifier: GPL-2.0
/*
 * Guest payload for guest_e2e: a minimal virtio-pci driver running inside
 * a real VM (KVM or TCG), so that conf1 port I/O and BAR MMIO go through
 * the accelerators' exit paths.  It finds virtio-rng and virtio-blk on bus
 * 0, reads 64 random bytes, reads disk sectors 0-1 (expects byte i of the
 * disk to be (i * 7 + 3) & 0xff), writes sector 2 with (i * 5 + 1) & 0xff
 * and flushes.  Exit status: 0, or a bit per failed step.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "../../tools/lkvm/guest/guest.h"
#include "virtio_guest.h"

#define QSIZE		4
#define FAIL_RNG	0x01
#define FAIL_BLK_READ	0x02
#define FAIL_BLK_WRITE	0x04
#define FAIL_PROBE	0x08

GUEST_RING(ring, QSIZE);

static struct ring rng_ring, blk_ring;
static u8 random[64];
static u8 sectors[1024] __attribute__((aligned(512)));
static struct virtio_blk_outhdr hdr;
static u8 status;

/* vdev_probe(), saying where the function is for the test's log. */
static int probe(u16 type, struct vdev *v)
{
	int ret = vdev_probe(type, v);

	if (v->bar)
		print("virtio %u at 00:%02x.0, BAR0 %lx\n", type, v->slot, v->bar);
	return ret;
}

static int start(struct vdev *v, struct ring *r)
{
	return vdev_start(v, QSIZE, r->desc, &r->avail, &r->used);
}

/* Chain descriptors 0..n-1, make head 0 available, notify, wait. */
static u32 submit(struct vdev *v, struct ring *r, unsigned int n)
{
	u16 used = r->used.idx;
	unsigned int i;

	for (i = 0; i + 1 < n; i++) {
		r->desc[i].flags |= VRING_DESC_F_NEXT;
		r->desc[i].next = i + 1;
	}
	r->avail.ring[r->avail.idx % QSIZE] = 0;
	asm volatile("" ::: "memory");
	r->avail.idx++;
	w16(v->notify, 0);
	for (i = 0; i < 1000000 && *(volatile u16 *)&r->used.idx == used; i++)
		;
	return r->used.idx == used ? 0xffffffff :
	       r->used.ring[used % QSIZE].len;
}

static void set(struct ring *r, unsigned int i, void *p, u32 len, u16 flags)
{
	r->desc[i] = (struct vring_desc) { (u64)p, len, flags, 0 };
}

static int rng_test(void)
{
	struct vdev v;
	unsigned int i, nonzero = 0;
	u32 len;

	if (probe(4, &v) || start(&v, &rng_ring))
		return FAIL_PROBE;
	set(&rng_ring, 0, random, sizeof(random), VRING_DESC_F_WRITE);
	len = submit(&v, &rng_ring, 1);
	for (i = 0; i < sizeof(random); i++)
		nonzero += random[i] != 0;
	print("rng: %u bytes, %u nonzero\n", len, nonzero);
	return len == sizeof(random) && nonzero ? 0 : FAIL_RNG;
}

static u8 blk_request(struct vdev *v, u32 type, u64 sector, void *data,
		      u32 len, bool in)
{
	unsigned int n = 0;

	hdr = (struct virtio_blk_outhdr) { .type = type, .sector = sector };
	status = 0xff;
	set(&blk_ring, n++, &hdr, sizeof(hdr), 0);
	if (len)
		set(&blk_ring, n++, data, len, in ? VRING_DESC_F_WRITE : 0);
	set(&blk_ring, n++, &status, 1, VRING_DESC_F_WRITE);
	submit(v, &blk_ring, n);
	return status;
}

static int blk_test(void)
{
	struct vdev v;
	unsigned int i, bad = 0;
	int fail = 0;

	if (probe(2, &v) || start(&v, &blk_ring))
		return FAIL_PROBE;
	if (blk_request(&v, VIRTIO_BLK_T_IN, 0, sectors, 1024, true))
		bad++;
	for (i = 0; i < 1024; i++)
		bad += sectors[i] != (u8)(i * 7 + 3);
	print("blk read: %u mismatches\n", bad);
	fail |= bad ? FAIL_BLK_READ : 0;
	for (i = 0; i < 512; i++)
		sectors[i] = i * 5 + 1;
	if (blk_request(&v, VIRTIO_BLK_T_OUT, 2, sectors, 512, false) ||
	    blk_request(&v, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false))
		fail |= FAIL_BLK_WRITE;
	print("blk write: %s\n", fail & FAIL_BLK_WRITE ? "failed" : "ok");
	return fail;
}

int payload_main(void)
{
	int fail = rng_test() | blk_test();

	print("virtio guest: %s (%x)\n", fail ? "FAIL" : "ok", fail);
	return fail;
}
