/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver side shared by lkvm's virtio guest payloads (virtio_guest.c,
 * ../lkvm_blk/blk_bench_guest.c): find a modern virtio-pci function on bus
 * 0 through configuration mechanism #1 and start its queue 0, polled, with
 * VERSION_1 as the only feature.  Freestanding: include guest.h first.
 */
#ifndef VIRTIO_GUEST_H
#define VIRTIO_GUEST_H

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

/* struct @name: a split virtqueue of @n entries, its parts aligned as the
 * virtio spec (2.7) requires, used_event and avail_event included. */
#define GUEST_RING(name, n)						\
	struct name {							\
		struct vring_desc desc[n] __attribute__((aligned(16)));	\
		struct vring_avail avail __attribute__((aligned(2)));	\
		u16 avail_ring[(n) + 1];				\
		struct vring_used used __attribute__((aligned(4)));	\
		struct vring_used_elem used_ring[(n) + 1];		\
	}

struct vdev {
	u64 bar;		/* BAR0, 0 if no such function */
	unsigned int slot;
	u64 common, notify;	/* the capabilities' structures in BAR0 */
};

static inline u32 cfg_read(unsigned int slot, unsigned int off)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static inline void cfg_write(unsigned int slot, unsigned int off, u32 v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

static inline void w8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static inline void w16(u64 a, u16 v) { *(volatile u16 *)a = v; }
static inline u8 r8(u64 a) { return *(volatile u8 *)a; }

/* virtio 1.2, 4.1.2.1: device ID 0x1040 + type; 4.1.4: the capabilities. */
static inline int vdev_probe(u16 type, struct vdev *v)
{
	unsigned int cap;

	*v = (struct vdev) { 0 };
	for (v->slot = 0; v->slot < 32; v->slot++)
		if (cfg_read(v->slot, 0) == (0x1af4u | (0x1040u + type) << 16))
			break;
	if (v->slot == 32)
		return -1;
	v->bar = cfg_read(v->slot, 0x10) & ~0xfULL;
	cfg_write(v->slot, 0x04, 0x6);	/* memory space, bus master */
	for (cap = cfg_read(v->slot, 0x34) & 0xfc; cap;
	     cap = (cfg_read(v->slot, cap) >> 8) & 0xfc) {
		u32 head = cfg_read(v->slot, cap);
		u64 at = v->bar + cfg_read(v->slot, cap + VIRTIO_PCI_CAP_OFFSET);

		if ((head & 0xff) != 0x09)	/* vendor-specific */
			continue;
		if (head >> 24 == VIRTIO_PCI_CAP_COMMON_CFG && !v->common)
			v->common = at;
		if (head >> 24 == VIRTIO_PCI_CAP_NOTIFY_CFG && !v->notify)
			v->notify = at;
	}
	return v->common && v->notify ? 0 : -1;
}

/* 3.1.1 device initialization, queue 0 of @size entries at the rings. */
static inline int vdev_start(const struct vdev *v, u16 size, const void *desc,
			     const void *avail, const void *used)
{
	u64 c = v->common;
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	w8(c + VIRTIO_PCI_COMMON_STATUS, 0);
	w8(c + VIRTIO_PCI_COMMON_STATUS, s);
	mmio_write32(c + VIRTIO_PCI_COMMON_GFSELECT, 1);
	mmio_write32(c + VIRTIO_PCI_COMMON_GF, 1);	/* VERSION_1 */
	w8(c + VIRTIO_PCI_COMMON_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(r8(c + VIRTIO_PCI_COMMON_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	w16(c + VIRTIO_PCI_COMMON_Q_SELECT, 0);
	w16(c + VIRTIO_PCI_COMMON_Q_SIZE, size);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_DESCLO, (u64)desc);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_DESCHI, 0);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_AVAILLO, (u64)avail);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_AVAILHI, 0);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_USEDLO, (u64)used);
	mmio_write32(c + VIRTIO_PCI_COMMON_Q_USEDHI, 0);
	w16(c + VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	w8(c + VIRTIO_PCI_COMMON_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK);
	return 0;
}

#endif
