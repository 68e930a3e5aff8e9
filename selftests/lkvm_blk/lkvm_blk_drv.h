/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A userspace virtio-blk driver for /dev/lkvm-blk: it builds the split
 * virtqueue in its own anonymous memory, which it hands to the module as
 * the "guest" memory table, in the manner of the kernel's tools/virtio.
 * x86-64 only: the ring is little-endian and so is the host.
 */
#ifndef LKVM_BLK_DRV_H
#define LKVM_BLK_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/lkvm.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define DRV_GPA_BASE	0x40000000ULL	/* where our "guest RAM" starts */
#define DRV_MEM_SIZE	(16UL << 20)
#define DRV_SLOT_DATA	(64UL << 10)	/* data bytes per request slot */
#define DRV_SLOT_SIZE	(4096 + DRV_SLOT_DATA)
#define DRV_SLOTS_OFF	(1UL << 20)	/* rings live below this */
#define DRV_INDIRECT_OFF (512UL << 10)	/* indirect tables, 4 KiB each */

struct drv_slot {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
	uint8_t pad[4096 - sizeof(struct virtio_blk_outhdr) - 1];
	uint8_t data[DRV_SLOT_DATA];	/* 4 KiB aligned, for O_DIRECT */
};

struct drv {
	int fd;
	int kick, call, err;
	uint8_t *mem;			/* DRV_MEM_SIZE, gpa DRV_GPA_BASE */
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;		/* next avail slot we fill */
	uint16_t used_idx;		/* next used entry we consume */
	bool indirect;			/* submit through indirect tables */
	uint64_t features;		/* acknowledged: all offered */
	uint32_t id;
};

struct drv_done {
	uint16_t head;
	uint32_t len;
	uint8_t status;
};

uint64_t drv_gpa(const struct drv *d, const void *p);
struct drv_slot *drv_slot(const struct drv *d, unsigned int i);

/* Steps of drv_open(), for tests that need to deviate. */
int drv_init(struct drv *d);
int drv_set_mem(struct drv *d, const struct lkvm_blk_mem_region *r,
		unsigned int n);
int drv_config_ring(struct drv *d, unsigned int num);
int drv_set_backend(struct drv *d, int fd, uint32_t flags);
int drv_start(struct drv *d);
void drv_close(struct drv *d);

/* All of the above with the defaults: one region covering all memory. */
int drv_open(struct drv *d, int backing_fd, unsigned int num);

/* Queues a request in slot @slot (also its head descriptor); no kick. */
void drv_queue(struct drv *d, unsigned int slot, uint32_t type,
	       uint64_t sector, uint32_t len);
void drv_publish_avail(struct drv *d, uint16_t idx);
void drv_kick(struct drv *d);
/* With EVENT_IDX: whether moving avail->idx from @old asks for a kick. */
bool drv_kick_needed(struct drv *d, uint16_t old);
/* Waits up to @ms for one used entry; 0, or -1 on timeout. */
int drv_wait(struct drv *d, struct drv_done *done, int ms);
/*
 * Synchronous request in slot 0: returns the status byte or -1.  @buf
 * NULL means the data is already in (or stays in) slot 0.
 */
int drv_io(struct drv *d, uint32_t type, uint64_t sector, void *buf,
	   uint32_t len);
/* Waits until the err eventfd fires; 0, or -1 on timeout. */
int drv_wait_err(struct drv *d, int ms);

/* Counters of instance @id from the generic netlink family "lkvm". */
struct drv_stats {
	uint32_t id, owner_pid, state, error, inflight, last_avail;
	uint64_t capacity, requests, read_bytes, write_bytes, errors;
	uint64_t ring_errors, flushes;
};

/* 0, -ENOENT if there is no such instance, other -errno on failure. */
int drv_stats(uint32_t id, struct drv_stats *st);
/* Number of instances listed by a dump, or -errno. */
int drv_count_instances(void);

#endif
