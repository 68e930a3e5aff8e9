// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-fs (virtio 1.2, 5.11): a host directory shared read-only, served
 * by fuse-server.c.  Queue 0 is hiprio (FORGETs, which have no reply),
 * queue 1 the one request queue; no notification queue is offered.  A
 * request's device-readable part is the FUSE request, its device-writable
 * part takes the reply (5.11.6).
 *
 * Requests are served synchronously on the vCPU that kicked, like
 * virtio-blk: the host's page cache answers most of them at memcpy cost,
 * and the device stays single-threaded (the PCI function's lock is held).
 * Each request and reply goes through one staging buffer, so the server
 * sees a contiguous request whatever the guest's buffer layout and never
 * touches guest memory itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>

#include "devices.h"
#include "fuse-server.h"
#include "virtio.h"

#define FS_QUEUE_SIZE		128
#define FS_CLASS		0x018000	/* mass storage, other */
#define FS_HIPRIO		0
#define FS_NR_REQUEST_QUEUES	1
#define FS_TAG_MAX		sizeof(((struct virtio_fs_config *)0)->tag)
/* Descriptors lkvm keeps for itself whatever the shares hold. */
#define FS_FD_RESERVE		256

struct fs_share {
	struct virtio_dev vdev;
	struct fuse_server *srv;
	char tag[FS_TAG_MAX + 1];
	struct fs_share *next;		/* every share, for unique tags */
	/* One more byte than a request may have, so an oversize one shows. */
	/* The server stores FUSE structs through these: keep them aligned. */
	u8 req[FUSE_SERVER_MAX_REQUEST + 1] __attribute__((aligned(8)));
	u8 rep[FUSE_SERVER_MAX_REPLY] __attribute__((aligned(8)));
};

static struct fs_share *shares;

static void fs_get_config(struct virtio_dev *vdev, void *config)
{
	struct fs_share *s = vdev->priv;
	struct virtio_fs_config c = { .num_request_queues = FS_NR_REQUEST_QUEUES };

	/* 5.11.4: UTF-8, NUL-padded, no terminator when it fills the field. */
	memcpy(c.tag, s->tag, strlen(s->tag));
	memcpy(config, &c, sizeof(c));
}

static u32 fs_serve(struct virtio_dev *vdev, const struct vq_chain *c)
{
	struct fs_share *s = vdev->priv;
	u64 in_len = vq_chain_read(c, 0, s->req, sizeof(s->req));
	size_t out_max = c->in_len < sizeof(s->rep) ? c->in_len : sizeof(s->rep);
	size_t n = fuse_server_handle(s->srv, s->req, in_len, s->rep, out_max);

	return vq_chain_write(c, 0, s->rep, n);
}

static void fs_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	virtio_serve_queue(vdev, vq, fs_serve);
}

/* A reset driver starts over with INIT; every nodeid it had is gone. */
static void fs_reset(struct virtio_dev *vdev)
{
	struct fs_share *s = vdev->priv;

	fuse_server_reset(s->srv);
}

static const struct virtio_dev_ops fs_ops = {
	.device_id = VIRTIO_ID_FS,
	.pci_class = FS_CLASS,
	.nr_queues = 1 + FS_NR_REQUEST_QUEUES,
	.queue_size = FS_QUEUE_SIZE,
	.config_len = sizeof(struct virtio_fs_config),
	.get_config = fs_get_config,
	.notify = fs_notify,
	.reset = fs_reset,
};

/*
 * The server holds a descriptor per inode the guest has cached: raise the
 * soft limit to the hard one and leave lkvm its reserve.
 */
static unsigned int fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return FS_FD_RESERVE;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur > (1U << 20))
		rl.rlim_cur = 1U << 20;
	return rl.rlim_cur > 2 * FS_FD_RESERVE ? rl.rlim_cur - FS_FD_RESERVE :
						 FS_FD_RESERVE;
}

/* "DIR[,tag=TAG]"; the tag defaults to DIR's last component, "/" to "root". */
static int parse_share_arg(const char *arg, char *dir, size_t dir_size,
			   char *tag)
{
	const char *opt = strstr(arg, ",tag="), *t, *end;
	size_t len = opt ? (size_t)(opt - arg) : strlen(arg);

	if (!len || len >= dir_size) {
		pr_err("--share '%s': expected DIR[,tag=TAG]", arg);
		return -EINVAL;
	}
	memcpy(dir, arg, len);
	dir[len] = '\0';
	if (opt) {
		t = opt + strlen(",tag=");
	} else {
		for (end = dir + len; end > dir + 1 && end[-1] == '/'; end--)
			;
		for (t = end; t > dir && t[-1] != '/'; t--)
			;
		len = end - t;
		if (!len)
			t = "root", len = 4;
		memcpy(tag, t, len);
		tag[len] = '\0';
		t = tag;
	}
	if (!*t || strlen(t) > FS_TAG_MAX || strchr(t, ',')) {
		pr_err("--share '%s': the tag must be 1 to %zu bytes without ','",
		       arg, FS_TAG_MAX);
		return -EINVAL;
	}
	memmove(tag, t, strlen(t) + 1);
	return 0;
}

static int check_tag_unique(const char *tag)
{
	const struct fs_share *s;

	for (s = shares; s; s = s->next) {
		if (!strcmp(s->tag, tag)) {
			pr_err("--share: tag '%s' is used twice; give one ,tag=",
			       tag);
			return -EEXIST;
		}
	}
	return 0;
}

int virtio_fs_init(struct vm *vm, const char *arg)
{
	struct fs_share *s = calloc(1, sizeof(*s));
	char dir[4096];
	int ret;

	if (!s)
		return -ENOMEM;
	ret = parse_share_arg(arg, dir, sizeof(dir), s->tag) ?:
	      check_tag_unique(s->tag);
	if (ret)
		goto fail;
	/* The server opens files again through /proc/self/fd. */
	if (access("/proc/self/fd", X_OK)) {
		pr_err("--share %s: /proc is not mounted on the host", dir);
		ret = -ENOENT;
		goto fail;
	}
	s->srv = fuse_server_new(dir, fd_budget());
	if (!s->srv) {
		ret = -errno;
		pr_err("--share %s: %s", dir, strerror(errno));
		goto fail;
	}
	ret = virtio_pci_register(vm, &s->vdev, "virtio-fs", &fs_ops, s);
	if (ret) {
		pr_err("--share %s: cannot add the PCI device: %s", dir,
		       strerror(-ret));
		goto fail;
	}
	s->next = shares;
	shares = s;
	return 0;
fail:
	fuse_server_free(s->srv);
	free(s);
	return ret;
}
