// SPDX-License-Identifier: GPL-2.0
/*
 * The block backend's virtqueue.
 *
 * The ring lives in the owner's memory and every field of it is written by
 * the guest, so each index, address, length and chain read here is checked
 * before use; anything malformed moves the queue to LKVM_BLK_QUEUE_ERROR.
 *
 * All ring and buffer access happens in the queue's work item, which borrows
 * the owner's mm (kthread_use_mm()): guest memory is then ordinary user
 * memory, reached with copy_{from,to}_user() and handed to the backing
 * file's read_iter/write_iter as user iovecs.  Reads and writes are kiocbs
 * with ki_complete: O_DIRECT files and block devices complete them later,
 * from interrupt context, buffered I/O completes them before returning.
 * Either way the completion only queues the request; the work posts it.
 */
#include <linux/eventfd.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/virtio_blk.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>
#include "lkvm.h"

#define LKVM_SECTOR_SHIFT	9

struct lkvm_blk_hdr {
	__le32 type;
	__le32 reserved;
	__le64 sector;
};

struct lkvm_blk_seg {
	__le64 sector;
	__le32 num_sectors;
	__le32 flags;
};

/* One descriptor chain, translated into vq->iov: readable ranges first. */
struct lkvm_chain {
	u16 head;
	unsigned int n_out, n_in;
	size_t out_len, in_len;
	u8 __user *status;
};

/* A read or write handed to the backing file. */
struct lkvm_blk_req {
	struct kiocb iocb;
	struct list_head node;
	struct lkvm_blk_vq *vq;
	u8 __user *status;
	long ret;
	size_t len;
	u16 head;
	bool write;
};

static const char * const lkvm_qerr_names[] = {
	[LKVM_BLK_QERR_NONE] = "no error",
	[LKVM_BLK_QERR_RING_ADDR] = "ring outside the memory table",
	[LKVM_BLK_QERR_AVAIL_IDX] = "avail index moved by more than the ring size",
	[LKVM_BLK_QERR_HEAD] = "descriptor index out of range",
	[LKVM_BLK_QERR_DESC_ADDR] = "buffer outside the memory table",
	[LKVM_BLK_QERR_DESC_LEN] = "zero or oversized buffer",
	[LKVM_BLK_QERR_CHAIN] = "descriptor loop or chain longer than the ring",
	[LKVM_BLK_QERR_INDIRECT] = "malformed indirect descriptor",
	[LKVM_BLK_QERR_LAYOUT] = "request without header or status byte",
	[LKVM_BLK_QERR_FAULT] = "guest memory not accessible",
};

void lkvm_vq_fail(struct lkvm_blk_vq *vq, enum lkvm_blk_queue_error err)
{
	if (vq->state == LKVM_BLK_QUEUE_ERROR)
		return;
	WRITE_ONCE(vq->state, LKVM_BLK_QUEUE_ERROR);
	WRITE_ONCE(vq->error, err);
	atomic64_inc(&vq->dev->stats.ring_errors);
	pr_warn_ratelimited("lkvm-blk%u: queue 0 stopped: %s\n", vq->dev->id,
			    lkvm_qerr_names[err]);
	if (vq->err)
		eventfd_signal(vq->err, 1);
}

static void vq_account(struct lkvm_blk_vq *vq, u8 status)
{
	atomic64_inc(&vq->dev->stats.requests);
	if (status != VIRTIO_BLK_S_OK)
		atomic64_inc(&vq->dev->stats.errors);
}

/* Writes the status byte and a used entry; @written excludes the status. */
static void vq_finish(struct lkvm_blk_vq *vq, u16 head, u8 __user *status_ptr,
		      u8 status, size_t written)
{
	struct lkvm_vring_used_elem __user *e;

	vq_account(vq, status);
	if (!vq->used)
		return;
	e = &vq->used->ring[vq->last_used_idx & (vq->num - 1)];
	if (put_user(status, status_ptr) ||
	    put_user(cpu_to_le32(head), &e->id) ||
	    put_user(cpu_to_le32(written + 1), &e->len)) {
		lkvm_vq_fail(vq, LKVM_BLK_QERR_FAULT);
		return;
	}
	vq->last_used_idx++;
}

static bool vq_event_idx(const struct lkvm_blk_vq *vq)
{
	return vq->dev->features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
}

/* The words after the avail and used rings (virtio 1.x, 2.7.10). */
static __le16 __user *vq_used_event(struct lkvm_blk_vq *vq)
{
	return &vq->avail->ring[vq->num];
}

static __le16 __user *vq_avail_event(struct lkvm_blk_vq *vq)
{
	return (__le16 __user *)&vq->used->ring[vq->num];
}

/* Whether the guest asked to hear about used entries from @old on. */
static bool vq_need_signal(struct lkvm_blk_vq *vq, u16 old)
{
	__le16 v;

	if (vq_event_idx(vq)) {
		if (get_user(v, vq_used_event(vq)))
			return true;
		return vring_need_event(le16_to_cpu(v), vq->last_used_idx, old);
	}
	if (get_user(v, &vq->avail->flags))
		return true;
	return !(le16_to_cpu(v) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* Makes new used entries visible and signals the guest unless it opted out. */
static void vq_publish(struct lkvm_blk_vq *vq)
{
	u16 old = vq->published_used;

	if (old == vq->last_used_idx || !vq->used)
		return;
	/* The entries must be visible before the index that covers them. */
	smp_wmb();
	if (put_user(cpu_to_le16(vq->last_used_idx), &vq->used->idx)) {
		lkvm_vq_fail(vq, LKVM_BLK_QERR_FAULT);
		return;
	}
	vq->published_used = vq->last_used_idx;
	/* Order the index store before reading the guest's wishes. */
	smp_mb();
	if (vq->call && vq_need_signal(vq, old))
		eventfd_signal(vq->call, 1);
}

static void vq_rw_done(struct kiocb *iocb, long ret)
{
	struct lkvm_blk_req *req = container_of(iocb, struct lkvm_blk_req, iocb);
	struct lkvm_blk_vq *vq = req->vq;
	unsigned long flags;

	if (req->write && S_ISREG(file_inode(iocb->ki_filp)->i_mode))
		kiocb_end_write(iocb);
	req->ret = ret;
	/*
	 * Queue the work before dropping the lock: the work takes the lock
	 * before it can see this request, so the device (freed once the last
	 * request is reaped) outlives our use of it.
	 */
	spin_lock_irqsave(&vq->done_lock, flags);
	list_add_tail(&req->node, &vq->done);
	queue_work(lkvm_wq, &vq->work);
	spin_unlock_irqrestore(&vq->done_lock, flags);
}

/* Posts completed reads and writes, or only counts them if @post is false. */
static void vq_reap(struct lkvm_blk_vq *vq, bool post)
{
	struct lkvm_blk_stats *st = &vq->dev->stats;
	struct lkvm_blk_req *req, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&vq->done_lock);
	list_splice_init(&vq->done, &done);
	spin_unlock_irq(&vq->done_lock);
	list_for_each_entry_safe(req, tmp, &done, node) {
		bool ok = req->ret >= 0 && req->ret == req->len;
		u8 status = ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;

		if (ok)
			atomic64_add(req->len, req->write ? &st->write_bytes :
							    &st->read_bytes);
		if (post)
			vq_finish(vq, req->head, req->status, status,
				  ok && !req->write ? req->len : 0);
		else
			vq_account(vq, status);
		fput(req->iocb.ki_filp);
		kfree(req);
		if (atomic_dec_and_test(&vq->inflight))
			wake_up(&vq->drain_wq);
	}
}

static bool vq_range_ok(const struct lkvm_blk_dev *dev, u64 sector,
			u64 bytes)
{
	if (bytes & ((1 << LKVM_SECTOR_SHIFT) - 1))
		return false;
	return sector <= dev->capacity &&
	       bytes >> LKVM_SECTOR_SHIFT <= dev->capacity - sector;
}

static void vq_submit_rw(struct lkvm_blk_vq *vq, struct lkvm_chain *c,
			 u64 sector, bool write, struct iov_iter *data)
{
	struct lkvm_blk_dev *dev = vq->dev;
	struct lkvm_blk_req *req;
	size_t len = iov_iter_count(data);
	ssize_t ret;

	if ((write && dev->read_only) || !vq_range_ok(dev, sector, len))
		goto err;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		goto err;
	req->vq = vq;
	req->status = c->status;
	req->len = len;
	req->head = c->head;
	req->write = write;
	init_sync_kiocb(&req->iocb, get_file(dev->backend));
	/* Sectors are absolute: never let O_APPEND redirect a write. */
	req->iocb.ki_flags &= ~IOCB_APPEND;
	req->iocb.ki_pos = sector << LKVM_SECTOR_SHIFT;
	req->iocb.ki_complete = vq_rw_done;
	atomic_inc(&vq->inflight);
	if (write) {
		if (S_ISREG(file_inode(dev->backend)->i_mode))
			kiocb_start_write(&req->iocb);
		req->iocb.ki_flags |= IOCB_WRITE;
		/* A guest that cannot flush gets a write-through cache. */
		if (!(dev->features & BIT_ULL(VIRTIO_BLK_F_FLUSH)))
			req->iocb.ki_flags |= IOCB_DSYNC;
		ret = call_write_iter(dev->backend, &req->iocb, data);
	} else {
		ret = call_read_iter(dev->backend, &req->iocb, data);
	}
	if (ret != -EIOCBQUEUED)
		vq_rw_done(&req->iocb, ret);
	return;
err:
	vq_finish(vq, c->head, c->status, VIRTIO_BLK_S_IOERR, 0);
}

static u8 vq_discard_seg(struct lkvm_blk_dev *dev,
			 const struct lkvm_blk_seg *seg, u32 type)
{
	u64 sector = le64_to_cpu(seg->sector);
	u64 len = (u64)le32_to_cpu(seg->num_sectors) << LKVM_SECTOR_SHIFT;
	u32 flags = le32_to_cpu(seg->flags);
	loff_t off;
	int ret;

	if (type == VIRTIO_BLK_T_DISCARD ? flags :
	    flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
		return VIRTIO_BLK_S_UNSUPP;
	if (!vq_range_ok(dev, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (!len)
		return VIRTIO_BLK_S_OK;
	off = sector << LKVM_SECTOR_SHIFT;
	if (type == VIRTIO_BLK_T_WRITE_ZEROES) {
		ret = vfs_fallocate(dev->backend,
				    FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				    off, len);
		if (ret != -EOPNOTSUPP)
			return ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	}
	/* A punched hole reads back as zeroes, on files and block devices. */
	ret = vfs_fallocate(dev->backend,
			    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	if (ret == -EOPNOTSUPP)
		return VIRTIO_BLK_S_UNSUPP;
	return ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static u8 vq_discard(struct lkvm_blk_dev *dev, struct iov_iter *out, u32 type)
{
	size_t count = iov_iter_count(out);
	struct lkvm_blk_seg seg;
	u8 status = VIRTIO_BLK_S_OK;

	if (!count || count % sizeof(seg) ||
	    count / sizeof(seg) > LKVM_BLK_MAX_DISCARD_SEG || dev->read_only)
		return VIRTIO_BLK_S_IOERR;
	while (status == VIRTIO_BLK_S_OK && iov_iter_count(out)) {
		if (copy_from_iter(&seg, sizeof(seg), out) != sizeof(seg))
			return VIRTIO_BLK_S_IOERR;
		status = vq_discard_seg(dev, &seg, type);
	}
	return status;
}

static u8 vq_flush(struct lkvm_blk_dev *dev)
{
	atomic64_inc(&dev->stats.flushes);
	return vfs_fsync(dev->backend, 0) ? VIRTIO_BLK_S_IOERR :
					     VIRTIO_BLK_S_OK;
}

/* Serves one request; returns non-zero only for a malformed ring. */
static enum lkvm_blk_queue_error vq_serve(struct lkvm_blk_vq *vq,
					  struct lkvm_chain *c)
{
	struct lkvm_blk_dev *dev = vq->dev;
	struct iov_iter out, in;
	struct lkvm_blk_hdr hdr;
	size_t n;
	u32 type;

	iov_iter_init(&out, ITER_SOURCE, vq->iov, c->n_out, c->out_len);
	iov_iter_init(&in, ITER_DEST, vq->iov + c->n_out, c->n_in, c->in_len);
	if (copy_from_iter(&hdr, sizeof(hdr), &out) != sizeof(hdr))
		return LKVM_BLK_QERR_FAULT;
	type = le32_to_cpu(hdr.type);
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		vq_submit_rw(vq, c, le64_to_cpu(hdr.sector),
			     type == VIRTIO_BLK_T_OUT,
			     type == VIRTIO_BLK_T_OUT ? &out : &in);
		return LKVM_BLK_QERR_NONE;
	case VIRTIO_BLK_T_FLUSH:
		vq_finish(vq, c->head, c->status, vq_flush(dev), 0);
		return LKVM_BLK_QERR_NONE;
	case VIRTIO_BLK_T_GET_ID:
		n = min_t(size_t, c->in_len, LKVM_BLK_SERIAL_BYTES);
		if (copy_to_iter(dev->serial, n, &in) != n)
			return LKVM_BLK_QERR_FAULT;
		vq_finish(vq, c->head, c->status, VIRTIO_BLK_S_OK, n);
		return LKVM_BLK_QERR_NONE;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		vq_finish(vq, c->head, c->status, vq_discard(dev, &out, type),
			  0);
		return LKVM_BLK_QERR_NONE;
	default:
		vq_finish(vq, c->head, c->status, VIRTIO_BLK_S_UNSUPP, 0);
		return LKVM_BLK_QERR_NONE;
	}
}

static enum lkvm_blk_queue_error vq_add_buf(struct lkvm_blk_vq *vq,
					    struct lkvm_chain *c,
					    const struct lkvm_vring_desc *d,
					    bool writable)
{
	unsigned int used = c->n_out + c->n_in;
	u32 len = le32_to_cpu(d->len);
	int n;

	if (!len || len > LKVM_BLK_MAX_REQ_BYTES - c->out_len - c->in_len)
		return LKVM_BLK_QERR_DESC_LEN;
	if (!writable && c->n_in)
		return LKVM_BLK_QERR_LAYOUT;
	n = lkvm_mem_translate(vq->dev->mem, le64_to_cpu(d->addr), len,
			       vq->iov + used, vq->iov_max - used);
	if (n == -E2BIG)
		return LKVM_BLK_QERR_CHAIN;
	if (n < 0)
		return LKVM_BLK_QERR_DESC_ADDR;
	if (writable) {
		c->n_in += n;
		c->in_len += len;
	} else {
		c->n_out += n;
		c->out_len += len;
	}
	return LKVM_BLK_QERR_NONE;
}

/* Switches the walk to an indirect table (virtio 1.x, 2.7.5.3). */
static enum lkvm_blk_queue_error
vq_indirect(struct lkvm_blk_vq *vq, const struct lkvm_vring_desc *d,
	    struct lkvm_vring_desc __user **table, u32 *max)
{
	u32 len = le32_to_cpu(d->len);

	if (!(vq->dev->features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC)) ||
	    (le16_to_cpu(d->flags) & VRING_DESC_F_NEXT) || !len ||
	    len % sizeof(*d) || len / sizeof(*d) > vq->num)
		return LKVM_BLK_QERR_INDIRECT;
	*table = lkvm_mem_contig(vq->dev->mem, le64_to_cpu(d->addr), len);
	if (!*table)
		return LKVM_BLK_QERR_DESC_ADDR;
	*max = len / sizeof(*d);
	return LKVM_BLK_QERR_NONE;
}

/*
 * Walks the chain at @head into vq->iov.  At most vq->num buffers are
 * accepted, which bounds loops, and one indirect table, which may not nest.
 */
static enum lkvm_blk_queue_error vq_get_chain(struct lkvm_blk_vq *vq,
					      u16 head, struct lkvm_chain *c)
{
	struct lkvm_vring_desc __user *table = vq->desc;
	enum lkvm_blk_queue_error err;
	u32 max = vq->num, i = head, count = 0;
	bool indirect = false;
	struct lkvm_vring_desc d;
	u16 flags;

	memset(c, 0, sizeof(*c));
	c->head = head;
	for (;;) {
		if (i >= max)
			return LKVM_BLK_QERR_HEAD;
		if (copy_from_user(&d, table + i, sizeof(d)))
			return LKVM_BLK_QERR_FAULT;
		flags = le16_to_cpu(d.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (indirect)
				return LKVM_BLK_QERR_INDIRECT;
			err = vq_indirect(vq, &d, &table, &max);
			if (err)
				return err;
			indirect = true;
			i = 0;
			continue;
		}
		if (++count > vq->num)
			return LKVM_BLK_QERR_CHAIN;
		err = vq_add_buf(vq, c, &d, flags & VRING_DESC_F_WRITE);
		if (err || !(flags & VRING_DESC_F_NEXT))
			return err;
		i = le16_to_cpu(d.next);
	}
}

/* Splits the status byte, the last writable byte, off the chain. */
static void vq_take_status(struct lkvm_blk_vq *vq, struct lkvm_chain *c)
{
	struct iovec *last = &vq->iov[c->n_out + c->n_in - 1];

	c->status = (u8 __user *)last->iov_base + last->iov_len - 1;
	c->in_len--;
	if (!--last->iov_len)
		c->n_in--;
}

static enum lkvm_blk_queue_error vq_handle(struct lkvm_blk_vq *vq, u16 head)
{
	enum lkvm_blk_queue_error err;
	struct lkvm_chain c;

	err = vq_get_chain(vq, head, &c);
	if (err)
		return err;
	if (c.out_len < sizeof(struct lkvm_blk_hdr) || !c.in_len)
		return LKVM_BLK_QERR_LAYOUT;
	vq_take_status(vq, &c);
	return vq_serve(vq, &c);
}

/* Reads avail->idx; false, with the queue failed, if it is not credible. */
static bool vq_read_avail_idx(struct lkvm_blk_vq *vq)
{
	__le16 idx;

	if (get_user(idx, &vq->avail->idx)) {
		lkvm_vq_fail(vq, LKVM_BLK_QERR_FAULT);
		return false;
	}
	vq->avail_idx = le16_to_cpu(idx);
	if ((u16)(vq->avail_idx - vq->last_avail_idx) > vq->num) {
		lkvm_vq_fail(vq, LKVM_BLK_QERR_AVAIL_IDX);
		return false;
	}
	/* Ring entries are read only after the index that published them. */
	smp_rmb();
	return true;
}

/* True if avail holds entries not yet served; re-reads avail->idx. */
static bool vq_avail_pending(struct lkvm_blk_vq *vq)
{
	if (vq->avail_idx != vq->last_avail_idx)
		return true;
	if (!vq_read_avail_idx(vq))
		return false;
	if (vq->avail_idx != vq->last_avail_idx || !vq_event_idx(vq))
		return vq->avail_idx != vq->last_avail_idx;
	/*
	 * Ask for a kick at the next entry, then look once more: the guest
	 * may have added one before it could see the request.
	 */
	if (put_user(cpu_to_le16(vq->last_avail_idx), vq_avail_event(vq))) {
		lkvm_vq_fail(vq, LKVM_BLK_QERR_FAULT);
		return false;
	}
	/* The request must be visible before avail->idx is read again. */
	smp_mb();
	return vq_read_avail_idx(vq) && vq->avail_idx != vq->last_avail_idx;
}

static void vq_fetch(struct lkvm_blk_vq *vq)
{
	unsigned int budget = vq->num;
	enum lkvm_blk_queue_error err;
	__le16 head;

	while (vq->state == LKVM_BLK_QUEUE_RUNNING && vq_avail_pending(vq)) {
		/* A full queue resumes from the completion's work. */
		if (atomic_read(&vq->inflight) >= vq->num)
			return;
		/* Let other queues run; come back for the rest. */
		if (!budget--) {
			queue_work(lkvm_wq, &vq->work);
			return;
		}
		if (get_user(head, &vq->avail->ring[vq->last_avail_idx &
						     (vq->num - 1)])) {
			lkvm_vq_fail(vq, LKVM_BLK_QERR_FAULT);
			return;
		}
		err = vq_handle(vq, le16_to_cpu(head));
		if (err) {
			lkvm_vq_fail(vq, err);
			return;
		}
		WRITE_ONCE(vq->last_avail_idx, vq->last_avail_idx + 1);
	}
}

static void vq_work(struct work_struct *work)
{
	struct lkvm_blk_vq *vq = container_of(work, struct lkvm_blk_vq, work);
	struct mm_struct *mm = READ_ONCE(vq->dev->mm);

	/* Without the owner's memory, requests finish without being posted. */
	if (!mm || !mmget_not_zero(mm)) {
		vq_reap(vq, false);
		return;
	}
	kthread_use_mm(mm);
	mutex_lock(&vq->mutex);
	vq_reap(vq, true);
	vq_fetch(vq);
	vq_reap(vq, true);
	vq_publish(vq);
	mutex_unlock(&vq->mutex);
	kthread_unuse_mm(mm);
	mmput(mm);
}

void lkvm_vq_init(struct lkvm_blk_vq *vq, struct lkvm_blk_dev *dev)
{
	vq->dev = dev;
	mutex_init(&vq->mutex);
	INIT_WORK(&vq->work, vq_work);
	spin_lock_init(&vq->done_lock);
	INIT_LIST_HEAD(&vq->done);
	init_waitqueue_head(&vq->drain_wq);
}

/* Resolves the three ring parts; each must lie within one region. */
int lkvm_vq_map_rings(struct lkvm_blk_vq *vq)
{
	const struct lkvm_mem_table *mem = vq->dev->mem;
	u64 n = vq->num;

	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	if (!n || vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return -EINVAL;
	vq->desc = lkvm_mem_contig(mem, vq->desc_gpa,
				   n * sizeof(struct lkvm_vring_desc));
	/* Both trail a used_event/avail_event word (EVENT_IDX). */
	vq->avail = lkvm_mem_contig(mem, vq->avail_gpa,
				    sizeof(struct lkvm_vring_avail) +
				    (n + 1) * sizeof(__le16));
	vq->used = lkvm_mem_contig(mem, vq->used_gpa,
				   sizeof(struct lkvm_vring_used) +
				   n * sizeof(struct lkvm_vring_used_elem) +
				   sizeof(__le16));
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EFAULT;
	}
	return 0;
}

/* Called by the owner: its mm is current, so the ring is reachable. */
int lkvm_vq_start(struct lkvm_blk_vq *vq)
{
	struct iovec *iov;
	__le16 used_idx;
	int ret;

	if (vq->state == LKVM_BLK_QUEUE_RUNNING)
		return -EBUSY;
	if (vq->state == LKVM_BLK_QUEUE_ERROR)
		return -EIO;
	if (!vq->dev->backend || !vq->dev->mem || !vq->num)
		return -ENXIO;
	ret = lkvm_vq_map_rings(vq);
	if (!ret && get_user(used_idx, &vq->used->idx))
		ret = -EFAULT;
	if (ret) {
		lkvm_vq_fail(vq, LKVM_BLK_QERR_RING_ADDR);
		return ret;
	}
	iov = kvmalloc_array(2 * vq->num, sizeof(*iov), GFP_KERNEL);
	if (!iov)
		return -ENOMEM;
	kvfree(vq->iov);
	vq->iov = iov;
	vq->iov_max = 2 * vq->num;
	vq->last_used_idx = le16_to_cpu(used_idx);
	vq->published_used = vq->last_used_idx;
	vq->avail_idx = vq->last_avail_idx;
	WRITE_ONCE(vq->state, LKVM_BLK_QUEUE_RUNNING);
	queue_work(lkvm_wq, &vq->work);
	return 0;
}

/* Stops serving and waits until every submitted request is posted. */
void lkvm_vq_stop(struct lkvm_blk_vq *vq)
{
	mutex_lock(&vq->mutex);
	if (vq->state == LKVM_BLK_QUEUE_RUNNING)
		WRITE_ONCE(vq->state, LKVM_BLK_QUEUE_IDLE);
	mutex_unlock(&vq->mutex);
	wait_event(vq->drain_wq, !atomic_read(&vq->inflight));
	flush_work(&vq->work);
}

static void vq_kick_queue_proc(struct file *file, wait_queue_head_t *wqh,
			       poll_table *pt)
{
	struct lkvm_blk_vq *vq = container_of(pt, struct lkvm_blk_vq, kick_pt);

	vq->kick_wqh = wqh;
	add_wait_queue(wqh, &vq->kick_wait);
}

static int vq_kick_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct lkvm_blk_vq *vq = container_of(wait, struct lkvm_blk_vq,
					      kick_wait);

	if (key_to_poll(key) & EPOLLIN)
		queue_work(lkvm_wq, &vq->work);
	return 0;
}

static void vq_kick_detach(struct lkvm_blk_vq *vq)
{
	if (!vq->kick)
		return;
	if (vq->kick_wqh)
		remove_wait_queue(vq->kick_wqh, &vq->kick_wait);
	fput(vq->kick);
	vq->kick = NULL;
	vq->kick_wqh = NULL;
}

/* Polls the kick eventfd: each write to it queues the work. */
int lkvm_vq_set_kick(struct lkvm_blk_vq *vq, int fd)
{
	struct file *file = NULL;

	if (fd != -1) {
		file = eventfd_fget(fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
	}
	vq_kick_detach(vq);
	if (!file)
		return 0;
	vq->kick = file;
	init_waitqueue_func_entry(&vq->kick_wait, vq_kick_wake);
	init_poll_funcptr(&vq->kick_pt, vq_kick_queue_proc);
	if (vfs_poll(file, &vq->kick_pt) & EPOLLIN)
		queue_work(lkvm_wq, &vq->work);
	return 0;
}

int lkvm_vq_set_eventfd(struct lkvm_blk_vq *vq, struct eventfd_ctx **slot,
			int fd)
{
	struct eventfd_ctx *ctx = NULL, *old;

	if (fd != -1) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	mutex_lock(&vq->mutex);
	old = *slot;
	*slot = ctx;
	mutex_unlock(&vq->mutex);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/* Back to the state of a fresh open; nothing is in flight afterwards. */
void lkvm_vq_reset(struct lkvm_blk_vq *vq)
{
	vq_kick_detach(vq);
	lkvm_vq_stop(vq);
	lkvm_vq_set_eventfd(vq, &vq->call, -1);
	lkvm_vq_set_eventfd(vq, &vq->err, -1);
	mutex_lock(&vq->mutex);
	kvfree(vq->iov);
	vq->iov = NULL;
	vq->iov_max = 0;
	vq->num = 0;
	vq->desc_gpa = 0;
	vq->avail_gpa = 0;
	vq->used_gpa = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	WRITE_ONCE(vq->last_avail_idx, 0);
	vq->avail_idx = 0;
	vq->last_used_idx = 0;
	vq->published_used = 0;
	WRITE_ONCE(vq->state, LKVM_BLK_QUEUE_IDLE);
	WRITE_ONCE(vq->error, LKVM_BLK_QERR_NONE);
	mutex_unlock(&vq->mutex);
}
