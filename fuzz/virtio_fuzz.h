/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input layout of fuzz_virtio_dev, shared with the seed generator: a
 * driver's set-up of the device, BAR accesses and guest RAM stores, then
 * guest RAM itself.
 */
#ifndef FUZZ_VIRTIO_FUZZ_H
#define FUZZ_VIRTIO_FUZZ_H

#include <stdint.h>

#define VFZ_RAM_SIZE	(64 * 1024)
#define VFZ_NR_QUEUES	2	/* the most any fuzzed device has */
#define VFZ_DISK_SIZE	(64 * 1024)

enum vfz_dev {
	VFZ_BLK,
	VFZ_RNG,
	VFZ_CONSOLE,
	VFZ_NR_DEVS,
};

struct vfz_queue {
	uint16_t size;
	uint16_t msix_vector;
	uint64_t desc, avail, used;
} __attribute__((packed));

struct vfz_header {
	uint8_t dev;		/* enum vfz_dev, modulo */
	uint8_t msix;		/* bit 0: MSI-X enabled */
	uint64_t features;	/* what the driver accepts */
	struct vfz_queue q[VFZ_NR_QUEUES];
	uint8_t nr_ops;
} __attribute__((packed));

/* One step after DRIVER_OK. */
enum vfz_op_kind {
	VFZ_OP_READ,		/* BAR0 read at off */
	VFZ_OP_WRITE,		/* BAR0 write of value at off */
	VFZ_OP_NOTIFY,		/* queue value kicked */
	VFZ_OP_STORE,		/* guest stores value at RAM offset off * 4 */
	VFZ_NR_OPS,
};

struct vfz_op {
	uint16_t off;
	uint8_t kind;		/* enum vfz_op_kind, modulo */
	uint8_t len;		/* 1 << (len % 4) bytes */
	uint32_t value;
} __attribute__((packed));

#endif
