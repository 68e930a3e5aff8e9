// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2, 5.3), one port without MULTIPORT: the guest's
 * hvc0.  What the guest transmits goes to @out_fd; input is not wired up
 * yet, so the buffers the guest offers on the receive queue simply wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "devices.h"
#include "virtio.h"

#define CONSOLE_QUEUE_SIZE	128
#define CONSOLE_CLASS		0x078000	/* communication, other */
/* 5.3.2: queue 0 is receiveq(port0), queue 1 transmitq(port0). */
#define CONSOLE_RX		0
#define CONSOLE_TX		1

struct console {
	struct virtio_dev vdev;
	int out_fd;
};

static void console_get_config(struct virtio_dev *vdev, void *config)
{
	/* No F_SIZE, no MULTIPORT: the driver reads none of it. */
	memset(config, 0, sizeof(struct virtio_console_config));
}

/* A closed or full output must not stop the guest: errors drop output. */
static void write_all(int fd, const u8 *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

static u32 console_tx(struct virtio_dev *vdev, const struct vq_chain *c)
{
	struct console *con = vdev->priv;
	unsigned int i;

	for (i = 0; i < c->nr_out; i++)
		write_all(con->out_fd, c->bufs[i].hva, c->bufs[i].len);
	return 0;
}

static void console_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	if (vq == &vdev->vqs[CONSOLE_TX])
		virtio_serve_queue(vdev, vq, console_tx);
}

static const struct virtio_dev_ops console_ops = {
	.device_id = VIRTIO_ID_CONSOLE,
	.pci_class = CONSOLE_CLASS,
	.nr_queues = 2,
	.queue_size = CONSOLE_QUEUE_SIZE,
	.config_len = sizeof(struct virtio_console_config),
	.get_config = console_get_config,
	.notify = console_notify,
};

int virtio_console_init(struct vm *vm, int out_fd)
{
	struct console *con = calloc(1, sizeof(*con));

	if (!con)
		return -ENOMEM;
	con->out_fd = out_fd;
	return virtio_pci_register(vm, &con->vdev, "virtio-console",
				   &console_ops, con);
}
