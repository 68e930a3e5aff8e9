// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's queue served by lkvm.ko (Documentation/lkvm-blk.rst).
 *
 * The instance is opened with the disk, so that a missing module is known
 * before the guest runs and lkvm can fall back to its own backend.  The
 * queue is handed over on its first notification, which comes at the
 * latest with DRIVER_OK (virtio-pci.c serves every enabled queue then):
 * by that time the features are final and the ring addresses frozen.
 * From then on a notify write only signals the kick eventfd, and a thread
 * turns the call eventfd into the queue's interrupt and the err eventfd
 * into DEVICE_NEEDS_RESET.  Reset hands the queue back (LKVM_BLK_RESET);
 * the next notification hands it over again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/lkvm.h>

#include "sandbox.h"
#include "virtio-blk-kernel.h"
#include "vm.h"

#define LKVM_BLK_DEV	"/dev/lkvm-blk"

struct blk_kernel {
	struct virtio_dev *vdev;
	const char *path;	/* the disk, for messages */
	int fd, kick, call, err;
	u64 features;		/* what the module implements */
	struct virtqueue *vq;	/* handed over; NULL while lkvm has it */
	bool failed;		/* lkvm serves the queue for good */
	pthread_t thread;
};

static int blk_ioctl(struct blk_kernel *k, unsigned long req, void *arg,
		     const char *what)
{
	if (ioctl(k->fd, req, arg) == 0)
		return 0;
	pr_err("-d %s: lkvm.ko %s: %s", k->path, what, strerror(errno));
	return -errno;
}

static int set_vring_file(struct blk_kernel *k, unsigned long req, int fd,
			  const char *what)
{
	struct lkvm_blk_vring_file f = { .index = 0, .fd = fd };

	return blk_ioctl(k, req, &f, what);
}

/* Guest RAM as lkvm maps it: one region per bank. */
static int set_mem_table(struct blk_kernel *k, struct vm *vm)
{
	struct {
		struct lkvm_blk_mem_table t;
		struct lkvm_blk_mem_region r[ARRAY_SIZE(vm->banks)];
	} mt = { .t.nregions = vm->nr_banks };
	unsigned int i;

	for (i = 0; i < vm->nr_banks; i++)
		mt.r[i] = (struct lkvm_blk_mem_region) {
			.guest_phys_addr = vm->banks[i].gpa,
			.memory_size = vm->banks[i].size,
			.userspace_addr = (u64)(uintptr_t)vm->banks[i].hva,
		};
	return blk_ioctl(k, LKVM_BLK_SET_MEM_TABLE, &mt, "memory table");
}

/*
 * Config-space-only bits (SIZE_MAX, BLK_SIZE) and RING_RESET are lkvm's
 * business: the module gets the negotiated bits it implements.
 */
static int hand_over(struct blk_kernel *k, struct virtqueue *vq)
{
	u64 features = k->vdev->driver_features & k->features;
	struct lkvm_blk_vring_state num = { .index = 0, .num = vq->size };
	struct lkvm_blk_vring_state base = { .index = 0,
					     .num = vq->last_avail };
	struct lkvm_blk_vring_addr addr = {
		.index = 0,
		.desc_gpa = vq->desc_gpa,
		.avail_gpa = vq->avail_gpa,
		.used_gpa = vq->used_gpa,
	};
	u32 index = 0;

	return set_mem_table(k, k->vdev->pci.vm) ?:
	       blk_ioctl(k, LKVM_BLK_SET_FEATURES, &features, "features") ?:
	       blk_ioctl(k, LKVM_BLK_SET_VRING_NUM, &num, "ring size") ?:
	       blk_ioctl(k, LKVM_BLK_SET_VRING_ADDR, &addr, "ring address") ?:
	       blk_ioctl(k, LKVM_BLK_SET_VRING_BASE, &base, "ring base") ?:
	       set_vring_file(k, LKVM_BLK_SET_VRING_KICK, k->kick, "kick") ?:
	       set_vring_file(k, LKVM_BLK_SET_VRING_CALL, k->call, "call") ?:
	       set_vring_file(k, LKVM_BLK_SET_VRING_ERR, k->err, "err") ?:
	       blk_ioctl(k, LKVM_BLK_START, &index, "start");
}

int blk_kernel_notify(struct blk_kernel *k, struct virtqueue *vq)
{
	if (k->failed)
		return -1;
	if (!k->vq) {
		if (hand_over(k, vq)) {
			/* The module never took a request: lkvm can. */
			ioctl(k->fd, LKVM_BLK_RESET);
			pr_err("-d %s: serving it in lkvm instead", k->path);
			k->failed = true;
			return -1;
		}
		k->vq = vq;
	}
	if (eventfd_write(k->kick, 1))
		pr_err("-d %s: kick: %s", k->path, strerror(errno));
	return 0;
}

void blk_kernel_reset(struct blk_kernel *k)
{
	if (!k->vq)
		return;
	/* Waits for the requests in flight: none completes after reset. */
	blk_ioctl(k, LKVM_BLK_RESET, NULL, "reset");
	k->vq = NULL;
}

/* The call eventfd fired: the module decided the driver wants to know. */
static void call_event(struct blk_kernel *k)
{
	struct virtio_dev *vdev = k->vdev;
	eventfd_t n;

	if (eventfd_read(k->call, &n))
		return;
	pthread_mutex_lock(&vdev->pci.lock);
	if (k->vq)
		virtio_signal_queue(vdev, k->vq);
	pthread_mutex_unlock(&vdev->pci.lock);
}

static void err_event(struct blk_kernel *k)
{
	struct virtio_dev *vdev = k->vdev;
	eventfd_t n;

	if (eventfd_read(k->err, &n))
		return;
	pthread_mutex_lock(&vdev->pci.lock);
	if (k->vq)
		virtio_needs_reset(vdev, "lkvm.ko found the ring malformed");
	pthread_mutex_unlock(&vdev->pci.lock);
}

static void *event_thread(void *arg)
{
	struct blk_kernel *k = arg;
	struct pollfd p[2] = {
		{ .fd = k->call, .events = POLLIN },
		{ .fd = k->err, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 2, -1) < 0)
			continue;	/* EINTR: lkvm's vCPU kick signals */
		if (p[0].revents & POLLIN)
			call_event(k);
		if (p[1].revents & POLLIN)
			err_event(k);
	}
	return NULL;
}

static int set_backend(struct blk_kernel *k, int disk_fd, bool ro,
		       const char *serial)
{
	struct lkvm_blk_backend b = {
		.fd = disk_fd,
		.flags = ro ? LKVM_BLK_BACKEND_RO : 0,
	};
	u32 version;

	memcpy(b.serial, serial, sizeof(b.serial));
	if (blk_ioctl(k, LKVM_BLK_GET_VERSION, &version, "version"))
		return -1;
	if (version != LKVM_BLK_API_VERSION) {
		pr_err("-d %s: lkvm.ko API version %u, not %u", k->path,
		       version, LKVM_BLK_API_VERSION);
		return -1;
	}
	/* The queue is handed over later, with the sandbox in force. */
	sandbox_allow(SANDBOX_BLK_KERNEL);
	return blk_ioctl(k, LKVM_BLK_SET_OWNER, NULL, "owner") ?:
	       blk_ioctl(k, LKVM_BLK_SET_BACKEND, &b, "backend") ?:
	       blk_ioctl(k, LKVM_BLK_GET_FEATURES, &k->features, "features");
}

static void free_kernel(struct blk_kernel *k)
{
	int *fds[] = { &k->fd, &k->kick, &k->call, &k->err };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	free(k);
}

struct blk_kernel *blk_kernel_open(struct virtio_dev *vdev, int disk_fd,
				   bool ro, const char *serial,
				   const char *path)
{
	struct blk_kernel *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->vdev = vdev;
	k->path = path;
	k->fd = open(LKVM_BLK_DEV, O_RDWR | O_CLOEXEC);
	k->kick = eventfd(0, EFD_CLOEXEC);
	k->call = eventfd(0, EFD_CLOEXEC);
	k->err = eventfd(0, EFD_CLOEXEC);
	if (k->fd < 0) {
		pr_err("-d %s: backend=kernel: cannot open %s: %s; using lkvm's own backend",
		       path, LKVM_BLK_DEV, strerror(errno));
		goto fail;
	}
	if (k->kick < 0 || k->call < 0 || k->err < 0) {
		pr_err("-d %s: eventfd: %s; using lkvm's own backend", path,
		       strerror(errno));
		goto fail;
	}
	if (set_backend(k, disk_fd, ro, serial)) {
		pr_err("-d %s: using lkvm's own backend", path);
		goto fail;
	}
	errno = pthread_create(&k->thread, NULL, event_thread, k);
	if (errno) {
		pr_err("-d %s: thread: %s; using lkvm's own backend", path,
		       strerror(errno));
		goto fail;
	}
	pthread_detach(k->thread);
	return k;
fail:
	free_kernel(k);
	return NULL;
}

void blk_kernel_close(struct blk_kernel *k)
{
	u32 index = 0;

	/*
	 * The event thread still polls the eventfds and the process is
	 * ending: only the instance goes, after its last request is posted.
	 */
	if (k->vq)
		blk_ioctl(k, LKVM_BLK_STOP, &index, "stop");
	close(k->fd);
	k->fd = -1;
}
