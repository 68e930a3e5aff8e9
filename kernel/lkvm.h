/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkvm.ko internals: the block backend's device and queue state, shared by
 * the ioctl side (blk.c), the ring side (blk_vq.c) and netlink (netlink.c).
 */
#ifndef _LKVM_H
#define _LKVM_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/lkvm.h>

/* Split virtqueue layout (virtio 1.x, 2.7), little-endian. */
struct lkvm_vring_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct lkvm_vring_avail {
	__le16 flags;
	__le16 idx;
	__le16 ring[];
};

struct lkvm_vring_used_elem {
	__le32 id;
	__le32 len;
};

struct lkvm_vring_used {
	__le16 flags;
	__le16 idx;
	struct lkvm_vring_used_elem ring[];
};

/* Regions sorted by guest-physical address, validated not to overlap. */
struct lkvm_mem_table {
	u32 nregions;
	struct lkvm_blk_mem_region regions[];
};

struct lkvm_mem_table *lkvm_mem_table_from_user(const void __user *arg);
void __user *lkvm_mem_contig(const struct lkvm_mem_table *mem, u64 gpa,
			     u64 len);
int lkvm_mem_translate(const struct lkvm_mem_table *mem, u64 gpa, u64 len,
		       struct iovec *iov, unsigned int max);

struct lkvm_blk_stats {
	atomic64_t requests;
	atomic64_t read_bytes;
	atomic64_t write_bytes;
	atomic64_t errors;
	atomic64_t ring_errors;
	atomic64_t flushes;
};

struct lkvm_blk_dev;

struct lkvm_blk_vq {
	struct lkvm_blk_dev *dev;
	/* Serialises ring access; held by the work and by reconfiguration. */
	struct mutex mutex;
	struct work_struct work;

	u32 num;
	u64 desc_gpa, avail_gpa, used_gpa;
	struct lkvm_vring_desc __user *desc;
	struct lkvm_vring_avail __user *avail;
	struct lkvm_vring_used __user *used;
	u16 last_avail_idx;
	u16 avail_idx;		/* last value read from avail->idx */
	u16 last_used_idx;
	u16 published_used;	/* used->idx as last written */
	enum lkvm_blk_queue_state state;
	enum lkvm_blk_queue_error error;
	struct iovec *iov;	/* scratch for one chain */
	unsigned int iov_max;

	struct file *kick;
	wait_queue_head_t *kick_wqh;
	wait_queue_entry_t kick_wait;
	poll_table kick_pt;
	struct eventfd_ctx *call;
	struct eventfd_ctx *err;

	/* Completed reads and writes, filled from any context. */
	spinlock_t done_lock;
	struct list_head done;
	atomic_t inflight;
	wait_queue_head_t drain_wq;
};

struct lkvm_blk_dev {
	struct list_head node;		/* lkvm_blk_devs, by id */
	u32 id;
	pid_t owner_pid;
	struct mutex mutex;		/* serialises ioctls */
	struct mm_struct *mm;		/* owner's, mmgrab()bed */
	struct lkvm_mem_table *mem;	/* changed under vq.mutex too */
	u64 features;
	struct file *backend;
	u64 capacity;			/* 512-byte sectors */
	bool read_only;
	u8 serial[LKVM_BLK_SERIAL_BYTES];
	struct lkvm_blk_vq vq;
	struct lkvm_blk_stats stats;
};

/* A snapshot of one instance for netlink. */
struct lkvm_blk_info {
	u32 id;
	pid_t owner_pid;
	u32 state;
	u32 error;
	u32 inflight;
	u32 last_avail;
	u64 capacity;
	u64 requests, read_bytes, write_bytes, errors, ring_errors, flushes;
};

int lkvm_blk_info_next(u32 from_id, struct lkvm_blk_info *info);

extern struct workqueue_struct *lkvm_wq;
extern struct miscdevice lkvm_blk_misc;

void lkvm_vq_init(struct lkvm_blk_vq *vq, struct lkvm_blk_dev *dev);
int lkvm_vq_map_rings(struct lkvm_blk_vq *vq);
int lkvm_vq_start(struct lkvm_blk_vq *vq);
void lkvm_vq_stop(struct lkvm_blk_vq *vq);
void lkvm_vq_reset(struct lkvm_blk_vq *vq);
int lkvm_vq_set_kick(struct lkvm_blk_vq *vq, int fd);
int lkvm_vq_set_eventfd(struct lkvm_blk_vq *vq, struct eventfd_ctx **slot,
			int fd);
void lkvm_vq_fail(struct lkvm_blk_vq *vq, enum lkvm_blk_queue_error err);

int lkvm_netlink_init(void);
void lkvm_netlink_exit(void);

#endif /* _LKVM_H */
