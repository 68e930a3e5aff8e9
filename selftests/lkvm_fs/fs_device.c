// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-fs device (virtio 1.2, 5.11) through lkvm's PCI transport,
 * driven as Linux's virtio_fs driver drives it: configuration (tag,
 * num_request_queues), FUSE requests on the request queue with their
 * arguments and replies split over descriptors as the driver splits them,
 * FORGET on the hiprio queue without a reply, a device reset that starts
 * the session over, and the --share option's checks.  Answers are
 * compared with the host's lstat(2) and pread(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "devices.h"
#include "driver.h"
#include "fs_client.h"
#include "kselftest_harness.h"

/* Also in devices.h, once the device is wired into lkvm run. */
int virtio_fs_init(struct vm *vm, const char *arg);

#define QSIZE		16
#define HIPRIO		0
#define REQUESTS	1
#define FEATURES	(1ULL << VIRTIO_F_VERSION_1)
#define IN_HDR		sizeof(struct fuse_in_header)
#define OUT_HDR		sizeof(struct fuse_out_header)

struct fsdev {
	struct vdev v;
	struct gq q[2];
	u64 req, rep;			/* guest buffers */
	u64 unique;
};

static int fs_start(struct fsdev *d)
{
	unsigned int i;

	if (vdev_open(&d->v, VIRTIO_ID_FS, TEST_BAR_BASE))
		return -1;
	vdev_enable_msix(&d->v);
	if (!(vdev_negotiate(&d->v, FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	common_write(&d->v, VIRTIO_PCI_COMMON_MSIX, 0, 2);
	for (i = 0; i < 2; i++)
		gq_setup(&d->q[i], &d->v, i, QSIZE, i + 1);
	common_write(&d->v, VIRTIO_PCI_COMMON_STATUS,
		     vdev_status(&d->v) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	d->req = galloc(128 * 1024, 4096);
	d->rep = galloc(256 * 1024, 4096);
	return 0;
}

/* Writes a request header for @op at d->req; arguments follow at +40. */
static void put_header(struct fsdev *d, u32 op, u64 nodeid, u32 arg_len)
{
	struct fuse_in_header h = {
		.len = IN_HDR + arg_len, .opcode = op,
		.unique = ++d->unique * 2, .nodeid = nodeid,
	};

	memcpy(ghva(d->req), &h, sizeof(h));
}

/* Submits @bufs on queue @q; returns used.len, or -1 if none came back. */
static long submit(struct fsdev *d, unsigned int q, const struct gbuf *bufs,
		   unsigned int n)
{
	u32 id, len;

	gq_chain(&d->q[q], bufs, n);
	gq_kick(&d->q[q], 0, 1);
	return gq_used(&d->q[q], &id, &len) ? (long)len : -1;
}

static struct fuse_out_header *reply(struct fsdev *d)
{
	return ghva(d->rep);
}

/* header + arguments in one readable buffer, reply in one writable. */
static long call(struct fsdev *d, u32 op, u64 nodeid, const void *arg,
		 u32 arg_len, u32 reply_len)
{
	const struct gbuf bufs[] = {
		{ d->req, IN_HDR + arg_len, false },
		{ d->rep, reply_len, true },
	};

	put_header(d, op, nodeid, arg_len);
	if (arg_len)
		memcpy((u8 *)ghva(d->req) + IN_HDR, arg, arg_len);
	memset(ghva(d->rep), 0xee, reply_len);
	return submit(d, REQUESTS, bufs, 2);
}

static int init_session(struct fsdev *d)
{
	struct fuse_init_in in = {
		.major = 7, .minor = 38, .flags = KERNEL_6_1_INIT_FLAGS,
	};
	long n = call(d, FUSE_INIT, 0, &in, sizeof(in),
		      OUT_HDR + sizeof(struct fuse_init_out));

	return n == OUT_HDR + sizeof(struct fuse_init_out) &&
	       !reply(d)->error ? 0 : -1;
}

FIXTURE(dev) {
	struct fs_tree t;
	struct fsdev d;
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, make_tree(&self->t));
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_fs_init(&test_vm, self->t.share));
	ASSERT_EQ(0, fs_start(&self->d));
}

FIXTURE_TEARDOWN(dev)
{
	remove_tree(&self->t);
}

static void read_config(struct fsdev *d, struct virtio_fs_config *c)
{
	unsigned int i;

	for (i = 0; i < sizeof(*c); i++)
		((u8 *)c)[i] = mmio_read(d->v.devcfg + i, 1);
}

/* 5.11.3, 5.11.4: the tag defaults to the directory's name. */
TEST_F(dev, config)
{
	struct virtio_fs_config c;

	read_config(&self->d, &c);
	EXPECT_EQ(0, memcmp(c.tag, "share", 6));
	EXPECT_EQ(1, c.num_request_queues);
	EXPECT_EQ(2, common_read(&self->d.v, VIRTIO_PCI_COMMON_NUMQ, 2));
	EXPECT_TRUE(vdev_device_features(&self->d.v) &
		    (1ULL << VIRTIO_F_VERSION_1));
}

/* LOOKUP: header, then the name; reply: header, then the entry. */
static long lookup_split(struct fsdev *d, const char *name,
			 struct fuse_entry_out *e)
{
	const struct gbuf bufs[] = {
		{ d->req, IN_HDR, false },
		{ d->req + 512, strlen(name) + 1, false },
		{ d->rep, OUT_HDR, true },
		{ d->rep + 4096, sizeof(*e), true },
	};
	long n;

	put_header(d, FUSE_LOOKUP, FUSE_ROOT_ID, strlen(name) + 1);
	memcpy(ghva(d->req + 512), name, strlen(name) + 1);
	n = submit(d, REQUESTS, bufs, 4);
	memcpy(e, ghva(d->rep + 4096), sizeof(*e));
	return n;
}

/* READ: the reply header, then the data in two pages, as page cache. */
static long read_split(struct fsdev *d, u64 nodeid, u64 fh, u64 off)
{
	struct fuse_read_in rd = { .fh = fh, .offset = off, .size = 8192 };
	const struct gbuf bufs[] = {
		{ d->req, IN_HDR + sizeof(rd), false },
		{ d->rep, OUT_HDR, true },
		{ d->rep + 8192, 4096, true },
		{ d->rep + 65536, 4096, true },
	};

	put_header(d, FUSE_READ, nodeid, sizeof(rd));
	memcpy((u8 *)ghva(d->req) + IN_HDR, &rd, sizeof(rd));
	return submit(d, REQUESTS, bufs, 4);
}

/* FORGET on hiprio: no device-writable buffer at all. */
static long forget_hiprio(struct fsdev *d, u64 nodeid)
{
	struct fuse_forget_in fg = { .nlookup = 1 };
	const struct gbuf bufs[] = {
		{ d->req, IN_HDR + sizeof(fg), false },
	};

	put_header(d, FUSE_FORGET, nodeid, sizeof(fg));
	memcpy((u8 *)ghva(d->req) + IN_HDR, &fg, sizeof(fg));
	return submit(d, HIPRIO, bufs, 1);
}

TEST_F(dev, requests)
{
	struct fuse_open_in oi = { .flags = O_RDONLY };
	struct fuse_getattr_in ga = { 0 };
	struct fsdev *d = &self->d;
	struct fuse_entry_out e;
	struct fuse_open_out oo;
	static u8 want[8192];
	struct stat st;
	int fd;

	ASSERT_EQ(0, init_session(d));
	EXPECT_EQ(d->unique * 2, reply(d)->unique);
	ASSERT_EQ(OUT_HDR + sizeof(e), lookup_split(d, "hello", &e));
	ASSERT_EQ(0, reply(d)->error);
	ASSERT_EQ(0, lstat(host_path(&self->t, "hello"), &st));
	EXPECT_EQ(st.st_ino, e.attr.ino);
	EXPECT_EQ(st.st_size, e.attr.size);
	EXPECT_EQ(st.st_mode, e.attr.mode);

	ASSERT_EQ(OUT_HDR + sizeof(oo),
		  call(d, FUSE_OPEN, e.nodeid, &oi, sizeof(oi), 4096));
	ASSERT_EQ(0, reply(d)->error);
	memcpy(&oo, (u8 *)ghva(d->rep) + OUT_HDR, sizeof(oo));
	ASSERT_EQ(OUT_HDR + 8192, read_split(d, e.nodeid, oo.fh, 100));
	ASSERT_EQ(0, reply(d)->error);
	fd = open(host_path(&self->t, "hello"), O_RDONLY);
	ASSERT_EQ(8192, pread(fd, want, 8192, 100));
	close(fd);
	EXPECT_EQ(0, memcmp(want, ghva(d->rep + 8192), 4096));
	EXPECT_EQ(0, memcmp(want + 4096, ghva(d->rep + 65536), 4096));

	/* Nothing written for a FORGET, and the node is gone. */
	EXPECT_EQ(0, forget_hiprio(d, e.nodeid));
	ASSERT_EQ(OUT_HDR, call(d, FUSE_GETATTR, e.nodeid, &ga, sizeof(ga),
				4096));
	EXPECT_EQ(-ESTALE, reply(d)->error);
}

/* Hostile chains: too big to read, too small to answer. */
TEST_F(dev, hostile_chains)
{
	struct fsdev *d = &self->d;
	struct fuse_getattr_in ga = { 0 };
	u32 big = FUSE_SERVER_MAX_REQUEST + 4096;
	const struct gbuf bufs[] = {
		{ d->req, big, false },
		{ d->rep, 4096, true },
	};

	ASSERT_EQ(0, init_session(d));
	put_header(d, FUSE_LOOKUP, FUSE_ROOT_ID, big - IN_HDR);
	memset((u8 *)ghva(d->req) + IN_HDR, 'a', big - IN_HDR);
	EXPECT_EQ(OUT_HDR, submit(d, REQUESTS, bufs, 2));
	EXPECT_EQ(-EINVAL, reply(d)->error);
	/* A reply buffer shorter than the header: nothing written. */
	EXPECT_EQ(0, call(d, FUSE_GETATTR, 1, &ga, sizeof(ga), 8));
	EXPECT_EQ(0xeeeeeeee, reply(d)->len);
	/* Room for the header only: the error that it did not fit. */
	EXPECT_EQ(OUT_HDR, call(d, FUSE_GETATTR, 1, &ga, sizeof(ga), OUT_HDR));
	EXPECT_EQ(-EINVAL, reply(d)->error);
	/* And the queue still works. */
	EXPECT_EQ(OUT_HDR + sizeof(struct fuse_attr_out),
		  call(d, FUSE_GETATTR, 1, &ga, sizeof(ga), 4096));
	EXPECT_EQ(0, vdev_status(&d->v) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* A device reset ends the session: INIT again, old nodeids are gone. */
TEST_F(dev, reset_starts_over)
{
	struct fsdev *d = &self->d;
	struct fuse_getattr_in ga = { 0 };
	struct fuse_entry_out e;

	ASSERT_EQ(0, init_session(d));
	ASSERT_EQ(OUT_HDR + sizeof(e),
		  call(d, FUSE_LOOKUP, FUSE_ROOT_ID, "sub", 4, 4096));
	memcpy(&e, (u8 *)ghva(d->rep) + OUT_HDR, sizeof(e));
	ASSERT_EQ(0, fs_start(d));
	EXPECT_EQ(OUT_HDR, call(d, FUSE_GETATTR, 1, &ga, sizeof(ga), 4096));
	EXPECT_EQ(-EIO, reply(d)->error);
	ASSERT_EQ(0, init_session(d));
	EXPECT_EQ(OUT_HDR, call(d, FUSE_GETATTR, e.nodeid, &ga, sizeof(ga),
				4096));
	EXPECT_EQ(-ESTALE, reply(d)->error);
}

/* --share DIR[,tag=TAG]: every bad argument is refused with a message. */
TEST(share_option_errors)
{
	struct fs_tree t = { 0 };
	char arg[256];

	ASSERT_EQ(0, make_tree(&t));
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	EXPECT_NE(0, virtio_fs_init(&test_vm, ""));
	EXPECT_NE(0, virtio_fs_init(&test_vm, ",tag=x"));
	EXPECT_NE(0, virtio_fs_init(&test_vm, "/nonexistent-lkvm-dir"));
	EXPECT_NE(0, virtio_fs_init(&test_vm, host_path(&t, "hello")));
	snprintf(arg, sizeof(arg), "%s,tag=", t.share);
	EXPECT_NE(0, virtio_fs_init(&test_vm, arg));
	snprintf(arg, sizeof(arg), "%s,tag=%037d", t.share, 0);
	EXPECT_NE(0, virtio_fs_init(&test_vm, arg));
	EXPECT_EQ(0, virtio_fs_init(&test_vm, t.share));
	/* The same tag twice. */
	EXPECT_NE(0, virtio_fs_init(&test_vm, t.share));
	snprintf(arg, sizeof(arg), "%s,tag=share", host_path(&t, "sub"));
	EXPECT_NE(0, virtio_fs_init(&test_vm, arg));
	remove_tree(&t);
}

/* A 36-byte tag fills the field without a terminator (5.11.4). */
TEST(share_tag_option)
{
	struct virtio_fs_config c;
	struct fsdev d = { 0 };
	char arg[256];

	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	snprintf(arg, sizeof(arg), "/tmp,tag=%036d", 7);
	ASSERT_EQ(0, virtio_fs_init(&test_vm, arg));
	ASSERT_EQ(0, fs_start(&d));
	read_config(&d, &c);
	EXPECT_EQ(0, memcmp(c.tag, "000000000000000000000000000000000007", 36));
}

/* "/" is shared as tag "root", as lkvm run's default share. */
TEST(root_share_tag)
{
	struct virtio_fs_config c;
	struct fsdev d = { 0 };

	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_fs_init(&test_vm, "/"));
	ASSERT_EQ(0, fs_start(&d));
	read_config(&d, &c);
	EXPECT_EQ(0, memcmp(c.tag, "root", 5));
}

TEST_HARNESS_MAIN
