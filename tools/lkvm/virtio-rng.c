// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4): fills the guest's buffers from the host's
 * getrandom(2).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>

#include "devices.h"
#include "virtio.h"

#define RNG_QUEUE_SIZE	64
#define RNG_CLASS	0xff0000	/* unclassified device */
/*
 * Bytes per request at most, so that one request stays short; 5.4.6 lets
 * the device write fewer bytes than the buffer holds.
 */
#define RNG_MAX_BYTES	(64 * 1024)

static u64 fill_random(u8 *p, u64 len)
{
	u64 done = 0;

	while (done < len) {
		ssize_t n = getrandom(p + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	return done;
}

static u32 rng_serve(struct virtio_dev *vdev, const struct vq_chain *c)
{
	u64 total = 0;
	unsigned int i;

	for (i = c->nr_out; i < c->nr_out + c->nr_in; i++) {
		u64 want = c->bufs[i].len, got;

		if (want > RNG_MAX_BYTES - total)
			want = RNG_MAX_BYTES - total;
		got = fill_random(c->bufs[i].hva, want);
		total += got;
		if (got < c->bufs[i].len)
			break;
	}
	return total;
}

static void rng_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	virtio_serve_queue(vdev, vq, rng_serve);
}

static const struct virtio_dev_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.pci_class = RNG_CLASS,
	.nr_queues = 1,
	.queue_size = RNG_QUEUE_SIZE,
	.notify = rng_notify,
};

int virtio_rng_init(struct vm *vm)
{
	struct virtio_dev *vdev = calloc(1, sizeof(*vdev));

	if (!vdev)
		return -ENOMEM;
	return virtio_pci_register(vm, vdev, "virtio-rng", &rng_ops, NULL);
}
