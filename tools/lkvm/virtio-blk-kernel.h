/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk's queue served by lkvm.ko (-d PATH,backend=kernel): lkvm keeps
 * the virtio-pci device model and hands the virtqueue to /dev/lkvm-blk
 * (Documentation/lkvm-blk.rst), vhost-style.
 */
#ifndef LKVM_VIRTIO_BLK_KERNEL_H
#define LKVM_VIRTIO_BLK_KERNEL_H

#include "virtio.h"

struct blk_kernel;

/*
 * Opens a module instance for @vdev's disk @disk_fd.  Returns NULL, after
 * one notice line, when the module is not there or refuses the disk: the
 * caller then serves the queue itself.
 */
struct blk_kernel *blk_kernel_open(struct virtio_dev *vdev, int disk_fd,
				   bool ro, const char *serial,
				   const char *path);
/*
 * From the device's notify(): starts the module's queue on first use and
 * kicks it.  Returns 0, or -1 if the module cannot serve @vq: the caller
 * serves it in userspace from then on.
 */
int blk_kernel_notify(struct blk_kernel *k, struct virtqueue *vq);
/* Device or queue reset: the module forgets the queue. */
void blk_kernel_reset(struct blk_kernel *k);
/* At exit: waits for every request in flight, then closes the instance. */
void blk_kernel_close(struct blk_kernel *k);

#endif
