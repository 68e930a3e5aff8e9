// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues (virtio 1.2, 2.7), device side.
 *
 * The guest writes the rings while we read them, so every guest-owned
 * value is read once into a local copy and validated there: an index is
 * checked against the queue size before it is used, a buffer against guest
 * RAM (gpa_to_hva()) before it is handed out, and a chain's length against
 * the queue size so that a loop ends.  Whatever fails breaks the queue
 * with a reason in vq->error; the transport turns that into
 * DEVICE_NEEDS_RESET.  A chain handed out by vq_pop() therefore never
 * leads outside guest RAM.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "virtio.h"
#include "vm.h"

/* Whatever the guest changes under us, we work on the copy we validated. */
#define barrier() __asm__ __volatile__("" ::: "memory")
#define READ_ONCE16(p) __atomic_load_n((p), __ATOMIC_RELAXED)

/* 2^32: virtio 1.2, 2.7.5.2: no chain is longer than that in total. */
#define VQ_MAX_CHAIN_BYTES	(1ULL << 32)

int vq_init(struct virtqueue *vq, u16 max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->max_size = max_size;
	vq->bufs = calloc(max_size, sizeof(*vq->bufs));
	if (!vq->bufs)
		return -ENOMEM;
	vq_reset(vq);
	return 0;
}

void vq_reset(struct virtqueue *vq)
{
	struct vq_buf *bufs = vq->bufs;
	u16 max_size = vq->max_size;

	memset(vq, 0, sizeof(*vq));
	vq->bufs = bufs;
	vq->max_size = max_size;
	/* virtio 1.2, 4.1.4.3: queue_size reads the maximum after reset. */
	vq->size = max_size;
	vq->msix_vector = 0xffff;	/* VIRTIO_MSI_NO_VECTOR */
}

static int __attribute__((format(printf, 2, 3)))
vq_fail(struct virtqueue *vq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vq->error, sizeof(vq->error), fmt, ap);
	va_end(ap);
	vq->broken = true;
	return -EINVAL;
}

/*
 * Maps one ring part of @len bytes that must be @align-aligned
 * (virtio 1.2, 2.7: descriptors 16, available ring 2, used ring 4).
 */
static void *map_part(struct virtqueue *vq, const char *what, u64 gpa,
		      u64 len, u64 align)
{
	void *p;

	if (gpa & (align - 1)) {
		vq_fail(vq, "%s at %#llx is not %llu-byte aligned", what,
			(unsigned long long)gpa, (unsigned long long)align);
		return NULL;
	}
	p = gpa_to_hva(vq->vm, gpa, len);
	if (!p)
		vq_fail(vq, "%s at %#llx+%llu is outside guest RAM", what,
			(unsigned long long)gpa, (unsigned long long)len);
	return p;
}

int vq_enable(struct virtqueue *vq, struct vm *vm, u64 features)
{
	u64 n = vq->size;

	vq->vm = vm;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	/* virtio 1.2, 2.7: a split queue's size is a power of 2. */
	if (!n || n > vq->max_size || (n & (n - 1)))
		return vq_fail(vq, "queue size %llu is not a power of 2 up to %u",
			       (unsigned long long)n, vq->max_size);
	/* Sizes from the table of virtio 1.2, 2.7. */
	vq->desc = map_part(vq, "descriptor table", vq->desc_gpa, 16 * n, 16);
	if (vq->desc)
		vq->avail = map_part(vq, "available ring", vq->avail_gpa,
				     6 + 2 * n, 2);
	if (vq->avail)
		vq->used = map_part(vq, "used ring", vq->used_gpa, 6 + 8 * n, 4);
	if (!vq->used)
		return -EINVAL;
	vq->enabled = true;
	return 0;
}

static void read_desc(const struct vring_desc *table, u16 i,
		      struct vring_desc *d)
{
	memcpy(d, &table[i], sizeof(*d));
	barrier();
}

/* Switches the walk to the indirect table @d points to (2.7.5.3). */
static int enter_indirect(struct virtqueue *vq, const struct vring_desc *d,
			  u16 i, bool nested, const struct vring_desc **table,
			  u32 *table_len)
{
	if (!vq->indirect)
		return vq_fail(vq, "descriptor %u is indirect but VIRTIO_RING_F_INDIRECT_DESC was not negotiated",
			       i);
	/* 2.7.5.3.1: one table per chain, and INDIRECT never with NEXT. */
	if (nested)
		return vq_fail(vq, "nested indirect table in descriptor %u",
			       i);
	if (d->flags & VRING_DESC_F_NEXT)
		return vq_fail(vq, "descriptor %u has both INDIRECT and NEXT",
			       i);
	if (!d->len || d->len % sizeof(*d))
		return vq_fail(vq, "indirect table length %u is not a multiple of %zu",
			       d->len, sizeof(*d));
	/* 2.7.5.3.1: no chain is longer than the queue size. */
	if (d->len / sizeof(*d) > vq->size)
		return vq_fail(vq, "indirect table of %zu descriptors is longer than the queue size %u",
			       d->len / sizeof(*d), vq->size);
	*table = gpa_to_hva(vq->vm, d->addr, d->len);
	if (!*table)
		return vq_fail(vq, "indirect table at %#llx+%u is outside guest RAM",
			       (unsigned long long)d->addr, d->len);
	*table_len = d->len / sizeof(*d);
	return 0;
}

static int add_buf(struct virtqueue *vq, struct vq_chain *c,
		   const struct vring_desc *d, u16 i)
{
	struct vq_buf *b = &c->bufs[c->nr_out + c->nr_in];

	if (!d->len)
		return vq_fail(vq, "descriptor %u has length 0", i);
	b->hva = gpa_to_hva(vq->vm, d->addr, d->len);
	if (!b->hva)
		return vq_fail(vq, "descriptor %u buffer %#llx+%u is outside guest RAM",
			       i, (unsigned long long)d->addr, d->len);
	b->len = d->len;
	if (c->out_len + c->in_len + d->len > VQ_MAX_CHAIN_BYTES)
		return vq_fail(vq, "chain from head %u is longer than 4 GiB",
			       c->head);
	if (d->flags & VRING_DESC_F_WRITE) {
		/*
		 * The device will write here: code translated from these pages
		 * must go first.  Before the write is enough, since a driver
		 * never executes a buffer it has handed to the device.
		 */
		vm_host_write(vq->vm, d->addr, d->len);
		c->nr_in++;
		c->in_len += d->len;
		return 0;
	}
	/* 2.7.4.2: device-writable buffers come after device-readable ones. */
	if (c->nr_in)
		return vq_fail(vq, "descriptor %u is device-readable after a device-writable one",
			       i);
	c->nr_out++;
	c->out_len += d->len;
	return 0;
}

/*
 * Follows the chain from @head.  Every step either adds a buffer, and
 * there are at most size of them (2.7.5.3.1), or enters the one indirect
 * table, so a loop cannot keep us here.
 */
static int walk_chain(struct virtqueue *vq, u16 head, struct vq_chain *c)
{
	const struct vring_desc *table = vq->desc;
	u32 table_len = vq->size;
	bool in_indirect = false;
	struct vring_desc d;
	u16 i = head;

	*c = (struct vq_chain) { .head = head, .bufs = vq->bufs };
	for (;;) {
		read_desc(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (enter_indirect(vq, &d, i, in_indirect, &table,
					   &table_len))
				return -EINVAL;
			in_indirect = true;
			i = 0;
			continue;
		}
		if (c->nr_out + c->nr_in == vq->size)
			return vq_fail(vq, "chain from head %u is longer than the queue size %u (a loop?)",
				       head, vq->size);
		if (add_buf(vq, c, &d, i))
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= table_len)
			return vq_fail(vq, "descriptor %u: next %u is out of range (%u)",
				       i, d.next, table_len);
		i = d.next;
	}
}

/* used_event and avail_event live just past the rings (2.7.6, 2.7.8). */
static u16 *used_event(struct virtqueue *vq)
{
	return &vq->avail->ring[vq->size];
}

static u16 *avail_event(struct virtqueue *vq)
{
	return (u16 *)&vq->used->ring[vq->size];
}

static u16 avail_idx(struct virtqueue *vq)
{
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
}

int vq_pop(struct virtqueue *vq, struct vq_chain *chain)
{
	u16 idx, pending, head;

	if (vq->broken)
		return -EINVAL;
	if (!vq->enabled)
		return 0;
	idx = avail_idx(vq);
	if (idx == vq->last_avail && vq->event_idx) {
		/*
		 * Ask to be notified of the next buffer (2.7.10), then look
		 * again: the driver may have added one before it saw that.
		 */
		__atomic_store_n(avail_event(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = avail_idx(vq);
	}
	pending = idx - vq->last_avail;
	if (!pending)
		return 0;
	/* At most size buffers are ever available (2.7, Queue Size). */
	if (pending > vq->size)
		return vq_fail(vq, "available index moved by %u, more than the queue size %u",
			       pending, vq->size);
	head = READ_ONCE16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	if (head >= vq->size)
		return vq_fail(vq, "available ring entry %u: head %u is out of range",
			       vq->last_avail, head);
	if (walk_chain(vq, head, chain))
		return -EINVAL;
	vq->last_avail++;
	return 1;
}

void vq_push(struct virtqueue *vq, u16 head, u32 written)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx &
						     (vq->size - 1)];

	e->id = head;
	e->len = written;
	vq->used_idx++;
	/* The element is visible before the index that publishes it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool vq_need_interrupt(struct virtqueue *vq)
{
	u16 old = vq->signalled_used, new = vq->used_idx;

	if (!vq->enabled || old == new)
		return false;
	vq->signalled_used = new;
	/* Our used->idx store is visible before we read the driver's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* 2.7.7: used_event with EVENT_IDX, else the NO_INTERRUPT flag. */
	if (vq->event_idx)
		return vring_need_event(READ_ONCE16(used_event(vq)), new, old);
	return !(READ_ONCE16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* The readable or writable part of a chain. */
static const struct vq_buf *chain_part(const struct vq_chain *c,
				       bool writable, unsigned int *nr)
{
	*nr = writable ? c->nr_in : c->nr_out;
	return writable ? c->bufs + c->nr_out : c->bufs;
}

static u64 chain_copy(const struct vq_chain *c, bool writable, u64 off,
		      void *buf, u64 len)
{
	unsigned int i, nr;
	const struct vq_buf *b = chain_part(c, writable, &nr);
	u64 done = 0;

	for (i = 0; i < nr && done < len; i++) {
		u64 n;

		if (off >= b[i].len) {
			off -= b[i].len;
			continue;
		}
		n = b[i].len - off;
		if (n > len - done)
			n = len - done;
		if (writable)
			memcpy(b[i].hva + off, (u8 *)buf + done, n);
		else
			memcpy((u8 *)buf + done, b[i].hva + off, n);
		done += n;
		off = 0;
	}
	return done;
}

u64 vq_chain_read(const struct vq_chain *c, u64 off, void *buf, u64 len)
{
	return chain_copy(c, false, off, buf, len);
}

u64 vq_chain_write(const struct vq_chain *c, u64 off, const void *buf,
		   u64 len)
{
	return chain_copy(c, true, off, (void *)buf, len);
}

int vq_chain_iov(const struct vq_chain *c, bool writable, u64 off, u64 len,
		 struct iovec *iov, unsigned int max)
{
	unsigned int i, nr, cnt = 0;
	const struct vq_buf *b = chain_part(c, writable, &nr);

	for (i = 0; i < nr && len; i++) {
		u64 n;

		if (off >= b[i].len) {
			off -= b[i].len;
			continue;
		}
		if (cnt == max)
			return -1;
		n = b[i].len - off;
		if (n > len)
			n = len;
		iov[cnt++] = (struct iovec) { b[i].hva + off, n };
		len -= n;
		off = 0;
	}
	return len ? -1 : (int)cnt;
}
