/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio devices (virtio 1.2, modern only): split virtqueues (virtqueue.c)
 * and the PCI transport (virtio-pci.c) that device models plug into.
 *
 * Everything in a virtqueue is written by the guest and is hostile input.
 * vq_pop() is the one place that reads the rings: it hands out only chains
 * whose every buffer lies inside guest RAM, and anything malformed breaks
 * the queue, which the transport turns into DEVICE_NEEDS_RESET.
 */
#ifndef LKVM_VIRTIO_H
#define LKVM_VIRTIO_H

#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "pci.h"
#include "util.h"

/* lkvm runs on x86-64 only: virtio's little-endian fields are native. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host");

struct vm;

/* One guest buffer of a chain, already translated and bounds-checked. */
struct vq_buf {
	u8 *hva;
	u32 len;
};

/*
 * A descriptor chain: bufs[0 .. nr_out) are device-readable, then
 * bufs[nr_out .. nr_out + nr_in) device-writable (virtio 1.2, 2.7.4.2).
 */
struct vq_chain {
	u16 head;
	unsigned int nr_out, nr_in;
	u64 out_len, in_len;	/* bytes in each direction */
	struct vq_buf *bufs;
};

struct virtqueue {
	/* Set by the driver through the transport. */
	u16 size;		/* entries; a power of 2 <= max_size */
	u16 max_size;
	u16 msix_vector;
	bool enabled;
	u64 desc_gpa, avail_gpa, used_gpa;

	/* Valid while enabled. */
	struct vm *vm;
	bool event_idx;		/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 last_avail;		/* next avail ring slot to take */
	u16 used_idx;		/* next used ring slot to fill */
	u16 signalled_used;	/* used_idx at the last interrupt decision */
	bool broken;		/* malformed; nothing more until reset */
	char error[96];		/* why it broke */
	struct vq_buf *bufs;	/* max_size entries, for vq_pop()'s chains */
};

/* Sets up @vq with nothing enabled; returns -ENOMEM on failure. */
int vq_init(struct virtqueue *vq, u16 max_size);
/* Back to the state after device reset. */
void vq_reset(struct virtqueue *vq);
/*
 * Validates the ring addresses and maps the rings (queue_enable = 1).
 * Returns 0, or -EINVAL with vq->broken set and vq->error explaining.
 */
int vq_enable(struct virtqueue *vq, struct vm *vm, u64 features);
/*
 * Takes the next available chain.  Returns 1 with @chain filled in (its
 * bufs point into vq->bufs, valid until the next call), 0 when the ring is
 * empty, or -EINVAL when the ring is malformed: the queue is then broken.
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain);
/* Returns chain @head to the driver with @written bytes written into it. */
void vq_push(struct virtqueue *vq, u16 head, u32 written);
/* After pushes: does the driver want a used buffer notification now? */
bool vq_need_interrupt(struct virtqueue *vq);

/* Copies between a chain's readable/writable byte stream and @buf. */
u64 vq_chain_read(const struct vq_chain *c, u64 off, void *buf, u64 len);
u64 vq_chain_write(const struct vq_chain *c, u64 off, const void *buf,
		   u64 len);
/*
 * Describes bytes [off, off+len) of the readable (@writable false) or
 * writable stream as at most @max iovecs; returns the count, or -1 if the
 * range is not entirely inside the stream.
 */
int vq_chain_iov(const struct vq_chain *c, bool writable, u64 off, u64 len,
		 struct iovec *iov, unsigned int max);

struct virtio_dev;

/* A device model behind the virtio-pci transport. */
struct virtio_dev_ops {
	u16 device_id;		/* virtio 1.2, 5: 2 block, 3 console, 4 rng */
	u32 pci_class;
	unsigned int nr_queues;
	u16 queue_size;		/* maximum size of every queue */
	u64 features;		/* device-type feature bits offered */
	unsigned int config_len;
	/* Fills the device-specific configuration (config_len bytes). */
	void (*get_config)(struct virtio_dev *vdev, void *config);
	/* The driver made buffers available on @vq. */
	void (*notify)(struct virtio_dev *vdev, struct virtqueue *vq);
	/* Optional: the device was reset. */
	void (*reset)(struct virtio_dev *vdev);
	/* Optional: the driver reset @vq alone (VIRTIO_F_RING_RESET). */
	void (*queue_reset)(struct virtio_dev *vdev, struct virtqueue *vq);
};

struct virtio_dev {
	struct pci_dev pci;
	const char *name;
	const struct virtio_dev_ops *ops;
	void *priv;

	u64 device_features;	/* offered: ops->features + transport's */
	u64 driver_features;	/* accepted by the driver */
	u32 device_feature_select, driver_feature_select;
	u8 status;
	u8 isr;
	u8 config_generation;
	u16 config_vector;
	u16 queue_select;
	u8 pci_cfg_cap;		/* offset of VIRTIO_PCI_CAP_PCI_CFG */
	unsigned int resets_logged;
	struct virtqueue *vqs;
};

/* Builds the PCI function for @vdev and puts it on the bus. */
int virtio_pci_register(struct vm *vm, struct virtio_dev *vdev,
			const char *name, const struct virtio_dev_ops *ops,
			void *priv);
/*
 * For device models' notify(): serves every available chain of @vq with
 * @serve, which returns the bytes it wrote into the chain, then sends the
 * used buffer notification if the driver wants one.  A malformed ring puts
 * the device into DEVICE_NEEDS_RESET.
 */
void virtio_serve_queue(struct virtio_dev *vdev, struct virtqueue *vq,
			u32 (*serve)(struct virtio_dev *vdev,
				     const struct vq_chain *chain));
/*
 * Sends @vq's used buffer notification if the driver wants one now
 * (vq_need_interrupt()): for device models that complete buffers outside
 * notify(), e.g. from a thread of their own, with vdev->pci.lock held.
 */
void virtio_signal_used(struct virtio_dev *vdev, struct virtqueue *vq);
/*
 * Sends @vq's used buffer notification unconditionally, with
 * vdev->pci.lock held: for a backend that made the decision itself, as
 * lkvm.ko does before it signals its call eventfd.
 */
void virtio_signal_queue(struct virtio_dev *vdev, struct virtqueue *vq);
/* Marks the device DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2) for @why. */
void virtio_needs_reset(struct virtio_dev *vdev, const char *why);

#endif
