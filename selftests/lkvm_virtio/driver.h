/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests' side of lkvm's PCI and virtio devices: a fake accelerator
 * that records interrupts, guest RAM from vm_init_memory(), and a small
 * virtio-pci driver written from the virtio 1.2 and PCI 3.0 specs.  It
 * reaches the devices only as a guest would: port I/O to 0xcf8/0xcfc and
 * MMIO, both through bus_access().
 */
#ifndef LKVM_VIRTIO_TEST_DRIVER_H
#define LKVM_VIRTIO_TEST_DRIVER_H

#include <linux/virtio_ring.h>

#include "vm.h"

#define TEST_RAM_SIZE	(64 << 20)
/* Where the tests move BARs to: inside lkvm's window, away from its picks. */
#define TEST_BAR_BASE	0xd0000000ULL
#define MAX_RECORDS	1024

struct msi_record {
	u64 address;
	u32 data;
};

struct irq_record {
	unsigned int gsi;
	int level;
};

extern struct vm test_vm;
extern struct msi_record msis[MAX_RECORDS];
extern unsigned int nr_msis;
extern struct irq_record irqs[MAX_RECORDS];
extern unsigned int nr_irqs;

/* Guest RAM and the fake accelerator; 0 on success. */
int test_vm_init(void);

/* Guest-physical bump allocator in RAM above 1 MiB; memory is zeroed. */
u64 galloc(u64 size, u64 align);
void *ghva(u64 gpa);

/* Configuration mechanism #1 (PCI 3.0, 3.2.2.3.2), bus 0, function 0. */
u32 cfg_read(unsigned int slot, unsigned int off, unsigned int len);
void cfg_write(unsigned int slot, unsigned int off, u32 val, unsigned int len);
u64 mmio_read(u64 addr, unsigned int len);
void mmio_write(u64 addr, u64 val, unsigned int len);

/* First slot whose vendor:device matches, or -1. */
int pci_find(u16 vendor, u16 device);
/* Config offset of the first capability with @id after @from (0: first). */
unsigned int pci_next_cap(unsigned int slot, unsigned int from, u8 id);
/* BAR size by the all-ones probe; restores the BAR. */
u32 bar_size(unsigned int slot, unsigned int bar);

/* A virtio-pci function as the driver sees it (virtio 1.2, 4.1.4). */
struct vdev {
	unsigned int slot;
	u64 common, notify, isr, devcfg;	/* guest-physical */
	u32 notify_mult;
	unsigned int pci_cfg_cap;
	unsigned int msix_cap;
	u64 msix_table, msix_pba;
	unsigned int msix_nr;
};

/* Finds virtio device type @type, moves BAR0 to @bar, walks the caps. */
int vdev_open(struct vdev *v, u16 type, u64 bar);
u64 common_read(struct vdev *v, unsigned int off, unsigned int len);
void common_write(struct vdev *v, unsigned int off, u64 val, unsigned int len);
u8 vdev_status(struct vdev *v);
/*
 * Reset, ACKNOWLEDGE, DRIVER, write @features, FEATURES_OK (3.1.1).
 * Returns the status read back: FEATURES_OK is set if accepted.
 */
u8 vdev_negotiate(struct vdev *v, u64 features);
u64 vdev_device_features(struct vdev *v);
/* Programs MSI-X entry i as address 0xfee00000, data MSI_DATA(i). */
#define MSI_ADDR	0xfee00000ULL
#define MSI_DATA(i)	(0x4000 + (i))
void vdev_enable_msix(struct vdev *v);
void msix_mask(struct vdev *v, unsigned int vector, bool masked);

/* A split virtqueue in guest memory (virtio 1.2, 2.7). */
struct gq {
	struct vdev *v;
	unsigned int index;
	u16 size;
	u64 desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 last_used;
};

/* Allocates and enables queue @index with @size entries and @vector. */
void gq_setup(struct gq *q, struct vdev *v, unsigned int index, u16 size,
	      u16 vector);
/* Writes descriptor @i. */
void gq_desc(struct gq *q, u16 i, u64 addr, u32 len, u16 flags, u16 next);
/* Puts @head in the available ring, bumps idx by @bump, notifies. */
void gq_kick(struct gq *q, u16 head, u16 bump);
/* Takes the next used element; false if there is none. */
bool gq_used(struct gq *q, u32 *id, u32 *len);

/* A chain of buffers: device-readable first, laid out from descriptor 0. */
struct gbuf {
	u64 gpa;
	u32 len;
	bool write;
};
void gq_chain(struct gq *q, const struct gbuf *bufs, unsigned int n);

/* Counts recorded MSIs with data @data since index @from. */
unsigned int msis_with(unsigned int from, u32 data);

#endif
