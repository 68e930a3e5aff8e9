// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) on a host file or block device.
 *
 * Requests are served synchronously, on the vCPU thread that wrote the
 * notify register.  A disk image lives in the host's page cache, where a
 * request costs about a memcpy; the guest's vCPU would wait for the answer
 * anyway with one queue; and the device stays single-threaded and
 * deterministic, which is what its fuzzers need.  Only FLUSH (fsync)
 * waits for the disk, and then the guest asked to wait for it.
 * A worker thread (or lkvm.ko's in-kernel backend) is the road to
 * overlapping I/O with guest execution.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "devices.h"
#include "virtio-blk-kernel.h"
#include "virtio.h"

#define BLK_QUEUE_SIZE		256
/* The header and the status byte take one descriptor each. */
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)
#define BLK_SIZE_MAX		(1U << 20)
#define SECTOR_SIZE		512
#define BLK_CLASS		0x018000	/* mass storage, other */
#define BLK_MAX_LOGGED_ERRORS	5

struct blk_disk {
	struct virtio_dev vdev;
	struct virtio_dev_ops ops;
	const char *path;
	int fd;
	bool ro;
	u64 capacity;		/* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	unsigned int errors_logged;
	struct iovec iov[BLK_QUEUE_SIZE];
	struct blk_kernel *kernel;	/* lkvm.ko serves the queue */
	struct blk_disk *next;	/* on the disks list, for virtio_blk_exit() */
};

static struct blk_disk *disks;

static void blk_get_config(struct virtio_dev *vdev, void *config)
{
	struct blk_disk *d = vdev->priv;
	struct virtio_blk_config c = {
		.capacity = d->capacity,
		.size_max = BLK_SIZE_MAX,
		.seg_max = BLK_SEG_MAX,
		.blk_size = SECTOR_SIZE,
	};

	memcpy(config, &c, sizeof(c));
}

static void blk_log_error(struct blk_disk *d, const char *what, u64 sector,
			  int err)
{
	if (d->errors_logged >= BLK_MAX_LOGGED_ERRORS)
		return;
	pr_err("virtio-blk %s: %s at sector %llu failed: %s%s", d->path, what,
	       (unsigned long long)sector, strerror(err),
	       ++d->errors_logged == BLK_MAX_LOGGED_ERRORS ?
	       " (further errors not shown)" : "");
}

/* Transfers all of @iov; a short transfer continues where it stopped. */
static int blk_io(int fd, struct iovec *iov, int cnt, off_t off, bool write)
{
	while (cnt > 0) {
		ssize_t n = write ? pwritev(fd, iov, cnt, off) :
				    preadv(fd, iov, cnt, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;	/* 0: the file shrank */
		off += n;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (u8 *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/*
 * IN: header readable, then data and status writable; OUT: header and
 * data readable, then status writable (5.2.6).  Data is whole sectors
 * inside the disk.
 */
static u8 blk_rw(struct blk_disk *d, const struct vq_chain *c, u64 sector,
		 bool write, u32 *written)
{
	u64 hdr = sizeof(struct virtio_blk_outhdr);
	u64 len = write ? c->out_len - hdr : c->in_len - 1;
	int n, err;

	/* Data in both directions is no read and no write. */
	if (write ? c->in_len != 1 : c->out_len != hdr)
		return VIRTIO_BLK_S_IOERR;
	if (len % SECTOR_SIZE || sector > d->capacity ||
	    len / SECTOR_SIZE > d->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	if (write && d->ro)
		return VIRTIO_BLK_S_IOERR;	/* 5.2.6.2: no write on RO */
	/* A read fills the device-writable part, a write drains the other. */
	n = vq_chain_iov(c, !write, write ? hdr : 0, len, d->iov,
			 ARRAY_SIZE(d->iov));
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	err = blk_io(d->fd, d->iov, n, sector * SECTOR_SIZE, write);
	if (err) {
		blk_log_error(d, write ? "write" : "read", sector, -err);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!write)
		*written = len;
	return VIRTIO_BLK_S_OK;
}

static u8 blk_flush(struct blk_disk *d)
{
	if (!fsync(d->fd))
		return VIRTIO_BLK_S_OK;
	blk_log_error(d, "flush", 0, errno);
	return VIRTIO_BLK_S_IOERR;
}

/* 5.2.6: GET_ID writes VIRTIO_BLK_ID_BYTES, NUL-padded, no terminator. */
static u8 blk_get_id(struct blk_disk *d, const struct vq_chain *c,
		     u32 *written)
{
	u64 len = c->in_len - 1;

	if (len > sizeof(d->serial))
		len = sizeof(d->serial);
	*written = vq_chain_write(c, 0, d->serial, len);
	return VIRTIO_BLK_S_OK;
}

static u8 blk_request(struct blk_disk *d, const struct vq_chain *c,
		      u32 *written)
{
	struct virtio_blk_outhdr hdr;

	if (vq_chain_read(c, 0, &hdr, sizeof(hdr)) < sizeof(hdr))
		return VIRTIO_BLK_S_IOERR;
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		return blk_rw(d, c, hdr.sector, false, written);
	case VIRTIO_BLK_T_OUT:
		return blk_rw(d, c, hdr.sector, true, written);
	case VIRTIO_BLK_T_FLUSH:
		return blk_flush(d);
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(d, c, written);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* The status is the last byte the device writes (5.2.6). */
static u32 blk_serve(struct virtio_dev *vdev, const struct vq_chain *c)
{
	u32 written = 0;
	u8 status;

	if (!c->in_len) {
		virtio_needs_reset(vdev, "virtio-blk request without a status byte");
		return 0;
	}
	status = blk_request(vdev->priv, c, &written);
	vq_chain_write(c, c->in_len - 1, &status, 1);
	return written + 1;
}

static void blk_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct blk_disk *d = vdev->priv;

	if (d->kernel && !blk_kernel_notify(d->kernel, vq))
		return;
	virtio_serve_queue(vdev, vq, blk_serve);
}

static void blk_reset(struct virtio_dev *vdev)
{
	struct blk_disk *d = vdev->priv;

	if (d->kernel)
		blk_kernel_reset(d->kernel);
}

/* One queue: resetting it is resetting the module's instance. */
static void blk_queue_reset(struct virtio_dev *vdev, struct virtqueue *vq)
{
	blk_reset(vdev);
}

static const struct virtio_dev_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.pci_class = BLK_CLASS,
	.nr_queues = 1,
	.queue_size = BLK_QUEUE_SIZE,
	.features = 1ULL << VIRTIO_BLK_F_SIZE_MAX |
		    1ULL << VIRTIO_BLK_F_SEG_MAX |
		    1ULL << VIRTIO_BLK_F_BLK_SIZE |
		    1ULL << VIRTIO_BLK_F_FLUSH,
	.config_len = sizeof(struct virtio_blk_config),
	.get_config = blk_get_config,
	.notify = blk_notify,
	.reset = blk_reset,
	.queue_reset = blk_queue_reset,
};

/*
 * "PATH[,ro|,rw][,backend=kernel|user]": trailing options, in any order,
 * are not part of the name.  Taken from the end: the last of each wins.
 */
static int parse_disk_arg(const char *arg, char **pathp, bool *ro,
			  bool *kernel)
{
	char *path = strdup(arg), *comma;
	bool ro_seen = false, backend_seen = false;

	*pathp = path;
	*ro = *kernel = false;
	if (!path)
		return -ENOMEM;
	while ((comma = strrchr(path, ','))) {
		if (!strcmp(comma, ",ro") || !strcmp(comma, ",rw")) {
			if (!ro_seen)
				*ro = comma[2] == 'o';
			ro_seen = true;
		} else if (!strcmp(comma, ",backend=kernel") ||
			   !strcmp(comma, ",backend=user")) {
			if (!backend_seen)
				*kernel = comma[9] == 'k';
			backend_seen = true;
		} else if (!strncmp(comma, ",backend=", 9)) {
			pr_err("-d %s: backend must be 'kernel' or 'user'", arg);
			return -EINVAL;
		} else {
			break;
		}
		*comma = '\0';
	}
	if (!*path) {
		pr_err("-d '%s': no file name", arg);
		return -EINVAL;
	}
	return 0;
}

static int open_disk(struct blk_disk *d)
{
	struct stat st;
	u64 size;

	d->fd = open(d->path, (d->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		pr_err("-d %s: %s", d->path, strerror(errno));
		return -errno;
	}
	/* Two writers of one image corrupt it: refuse a second one. */
	if (flock(d->fd, (d->ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		pr_err("-d %s: in use by another process", d->path);
		return -EBUSY;
	}
	if (fstat(d->fd, &st)) {
		pr_err("-d %s: %s", d->path, strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else if (!S_ISBLK(st.st_mode) || ioctl(d->fd, BLKGETSIZE64, &size)) {
		pr_err("-d %s: not a regular file or block device", d->path);
		return -EINVAL;
	}
	d->capacity = size / SECTOR_SIZE;
	return 0;
}

/* The serial number (GET_ID) is the image's file name, cut to 20 bytes. */
static void set_serial(struct blk_disk *d)
{
	const char *base = strrchr(d->path, '/');
	size_t len;

	base = base ? base + 1 : d->path;
	len = strlen(base);
	memcpy(d->serial, base, len < sizeof(d->serial) ? len :
						      sizeof(d->serial));
}

static void free_disk(struct blk_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free((char *)d->path);
	free(d);
}

int virtio_blk_init(struct vm *vm, const char *arg)
{
	struct blk_disk *d = calloc(1, sizeof(*d));
	char *path;
	bool kernel;
	int ret;

	if (!d)
		return -ENOMEM;
	d->fd = -1;
	ret = parse_disk_arg(arg, &path, &d->ro, &kernel);
	d->path = path;
	if (ret) {
		free_disk(d);
		return ret;
	}
	ret = open_disk(d);
	if (ret) {
		free_disk(d);
		return ret;
	}
	set_serial(d);
	if (kernel)
		d->kernel = blk_kernel_open(&d->vdev, d->fd, d->ro, d->serial,
					    d->path);
	d->ops = blk_ops;
	if (d->ro)
		d->ops.features |= 1ULL << VIRTIO_BLK_F_RO;
	/* Past RLIMIT_FSIZE a write is an I/O error, not the end of lkvm. */
	signal(SIGXFSZ, SIG_IGN);
	ret = virtio_pci_register(vm, &d->vdev, "virtio-blk", &d->ops, d);
	if (!ret) {
		d->next = disks;
		disks = d;
	}
	return ret;
}

/*
 * A guest's completed writes are in the host's page cache, which outlives
 * lkvm but not a host crash: fsync makes them durable whatever ended the
 * guest, flushed by it or not.
 */
int virtio_blk_exit(void)
{
	struct blk_disk *d;
	int ret = 0;

	while ((d = disks)) {
		disks = d->next;
		if (d->kernel)
			blk_kernel_close(d->kernel);
		if (!d->ro && fsync(d->fd)) {
			pr_err("-d %s: cannot flush at exit: %s", d->path,
			       strerror(errno));
			ret = -EIO;
		}
		if (close(d->fd) && !ret) {
			pr_err("-d %s: cannot close at exit: %s", d->path,
			       strerror(errno));
			ret = -EIO;
		}
		d->fd = -1;
	}
	return ret;
}
