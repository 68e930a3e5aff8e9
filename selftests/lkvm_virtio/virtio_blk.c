// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) against its backing file: every read is
 * compared with pread() of the file, every write checked with pread(), so
 * the file is the reference.  Host I/O errors are produced for real: a
 * full tmpfs (ENOSPC) and RLIMIT_FSIZE (EFBIG).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "devices.h"
#include "driver.h"
#include "kselftest_harness.h"

#define DISK_SIZE	(1 << 20)
#define QSIZE		16
#define QUEUE_VECTOR	1
#define CONFIG_VECTOR	0
#define BASE_FEATURES	(1ULL << VIRTIO_F_VERSION_1 | \
			 1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define STATUS_UNSET	0xee

struct disk {
	char path[64];
	int fd;
	struct vdev v;
	struct gq q;
	u64 hdr, status, data;
};

static void fill_random(void *p, size_t len)
{
	size_t done = 0;

	while (done < len)
		done += getrandom((char *)p + done, len - done, 0);
}

/* A @size-byte file of random bytes in @dir. */
static int make_file(struct disk *d, const char *dir, off_t size,
		     bool random)
{
	static char buf[DISK_SIZE];

	snprintf(d->path, sizeof(d->path), "%s/lkvm-blk-XXXXXX", dir);
	d->fd = mkstemp(d->path);
	if (d->fd < 0 || ftruncate(d->fd, size))
		return -1;
	if (!random)
		return 0;
	fill_random(buf, size);
	return pwrite(d->fd, buf, size, 0) == size ? 0 : -1;
}

/* Registers the disk ("@path@opts") and drives it to DRIVER_OK. */
static int start_disk(struct disk *d, const char *opts, u64 features)
{
	char arg[80];

	snprintf(arg, sizeof(arg), "%s%s", d->path, opts);
	if (test_vm_init() || pci_init(&test_vm) ||
	    virtio_blk_init(&test_vm, arg) ||
	    vdev_open(&d->v, VIRTIO_ID_BLOCK, TEST_BAR_BASE))
		return -1;
	vdev_enable_msix(&d->v);
	if (!(vdev_negotiate(&d->v, features) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	common_write(&d->v, VIRTIO_PCI_COMMON_MSIX, CONFIG_VECTOR, 2);
	gq_setup(&d->q, &d->v, 0, QSIZE, QUEUE_VECTOR);
	common_write(&d->v, VIRTIO_PCI_COMMON_STATUS,
		     vdev_status(&d->v) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	d->hdr = galloc(sizeof(struct virtio_blk_outhdr), 16);
	d->status = galloc(1, 1);
	d->data = galloc(DISK_SIZE, 4096);
	return 0;
}

static void set_hdr(struct disk *d, u32 type, u64 sector)
{
	struct virtio_blk_outhdr *h = ghva(d->hdr);

	*h = (struct virtio_blk_outhdr) { .type = type, .sector = sector };
	*(u8 *)ghva(d->status) = STATUS_UNSET;
}

/* Submits chain @bufs and returns the status byte; *used gets used.len. */
static u8 submit(struct disk *d, const struct gbuf *bufs, unsigned int n,
		 u32 *used)
{
	u32 id;

	gq_chain(&d->q, bufs, n);
	gq_kick(&d->q, 0, 1);
	if (!gq_used(&d->q, &id, used))
		return STATUS_UNSET;
	return *(u8 *)ghva(d->status);
}

/* header, one data buffer (@data_in: device-writable), status */
static u8 blk_io(struct disk *d, u32 type, u64 sector, u32 len,
		 bool data_in, u32 *used)
{
	struct gbuf bufs[3] = {
		{ d->hdr, sizeof(struct virtio_blk_outhdr), false },
		{ d->data, len, data_in },
		{ d->status, 1, true },
	};

	set_hdr(d, type, sector);
	if (!len) {
		bufs[1] = bufs[2];
		return submit(d, bufs, 2, used);
	}
	return submit(d, bufs, 3, used);
}

static bool file_equals(struct disk *d, off_t off, const void *p, size_t len)
{
	static char buf[DISK_SIZE];

	return pread(d->fd, buf, len, off) == (ssize_t)len &&
	       !memcmp(buf, p, len);
}

FIXTURE(blk) {
	struct disk d;
};

FIXTURE_SETUP(blk)
{
	ASSERT_EQ(0, make_file(&self->d, "/tmp", DISK_SIZE, true));
	ASSERT_EQ(0, start_disk(&self->d, "", BASE_FEATURES));
}

FIXTURE_TEARDOWN(blk)
{
	unlink(self->d.path);
}

/* 5.2.3, 5.2.4: features and configuration. */
TEST_F(blk, config)
{
	struct virtio_blk_config c;
	u64 f = vdev_device_features(&self->d.v);
	unsigned int i;

	for (i = 0; i < sizeof(c); i++)
		((u8 *)&c)[i] = mmio_read(self->d.v.devcfg + i, 1);
	EXPECT_EQ(DISK_SIZE / 512, c.capacity);
	EXPECT_TRUE(f & (1ULL << VIRTIO_F_VERSION_1));
	EXPECT_TRUE(f & (1ULL << VIRTIO_BLK_F_FLUSH));
	EXPECT_FALSE(f & (1ULL << VIRTIO_BLK_F_RO));
	ASSERT_TRUE(f & (1ULL << VIRTIO_BLK_F_SEG_MAX));
	/* With header and status a request fits in the queue. */
	EXPECT_GE(c.seg_max, 1);
	EXPECT_TRUE(f & (1ULL << VIRTIO_BLK_F_BLK_SIZE));
	EXPECT_EQ(512, c.blk_size);
	/* 64-bit fields read as two 32-bit halves (4.1.3.1). */
	EXPECT_EQ(DISK_SIZE / 512, mmio_read(self->d.v.devcfg, 4) |
		  mmio_read(self->d.v.devcfg + 4, 4) << 32);
}

TEST_F(blk, read)
{
	struct disk *d = &self->d;
	unsigned int before = nr_msis;
	u32 used;

	ASSERT_EQ(VIRTIO_BLK_S_OK, blk_io(d, VIRTIO_BLK_T_IN, 5, 8192, true,
					  &used));
	EXPECT_EQ(8192 + 1, used);
	EXPECT_TRUE(file_equals(d, 5 * 512, ghva(d->data), 8192));
	EXPECT_EQ(1, msis_with(before, MSI_DATA(QUEUE_VECTOR)));
	/* The last sector. */
	ASSERT_EQ(VIRTIO_BLK_S_OK, blk_io(d, VIRTIO_BLK_T_IN,
					  DISK_SIZE / 512 - 1, 512, true,
					  &used));
	EXPECT_TRUE(file_equals(d, DISK_SIZE - 512, ghva(d->data), 512));
}

TEST_F(blk, write)
{
	struct disk *d = &self->d;
	char before[512], after[512];
	u32 used;

	ASSERT_EQ(512, pread(d->fd, before, 512, 99 * 512));
	ASSERT_EQ(512, pread(d->fd, after, 512, 104 * 512));
	fill_random(ghva(d->data), 2048);
	ASSERT_EQ(VIRTIO_BLK_S_OK, blk_io(d, VIRTIO_BLK_T_OUT, 100, 2048,
					  false, &used));
	EXPECT_EQ(1, used);
	EXPECT_TRUE(file_equals(d, 100 * 512, ghva(d->data), 2048));
	/* Sectors 100-103 written, their neighbours untouched. */
	EXPECT_TRUE(file_equals(d, 99 * 512, before, 512));
	EXPECT_TRUE(file_equals(d, 104 * 512, after, 512));
	ASSERT_EQ(VIRTIO_BLK_S_OK, blk_io(d, VIRTIO_BLK_T_FLUSH, 0, 0, false,
					  &used));
}

/* 2.7.4.1: any framing; scattered buffers of odd sizes. */
TEST_F(blk, scattered_and_any_layout)
{
	struct disk *d = &self->d;
	u64 a = galloc(1000, 1), b = galloc(24, 1), c = galloc(3072 + 1, 1);
	u64 combined = galloc(16 + 1024, 8);
	char expect[4096];
	u32 used;
	struct gbuf in[] = {
		{ d->hdr, 16, false }, { a, 1000, true }, { b, 24, true },
		{ c, 3072 + 1, true },	/* data and status share a buffer */
	};
	struct gbuf out[] = {
		{ combined, 16 + 1024, false },	/* header and data together */
		{ d->status, 1, true },
	};

	set_hdr(d, VIRTIO_BLK_T_IN, 17);
	gq_chain(&d->q, in, ARRAY_SIZE(in));
	gq_kick(&d->q, 0, 1);
	ASSERT_TRUE(gq_used(&d->q, &(u32){ 0 }, &used));
	EXPECT_EQ(4096 + 1, used);
	EXPECT_EQ(VIRTIO_BLK_S_OK, *(u8 *)ghva(c + 3072));
	ASSERT_EQ(4096, pread(d->fd, expect, 4096, 17 * 512));
	EXPECT_EQ(0, memcmp(expect, ghva(a), 1000));
	EXPECT_EQ(0, memcmp(expect + 1000, ghva(b), 24));
	EXPECT_EQ(0, memcmp(expect + 1024, ghva(c), 3072));

	*(struct virtio_blk_outhdr *)ghva(combined) = (struct virtio_blk_outhdr) {
		.type = VIRTIO_BLK_T_OUT, .sector = 3,
	};
	fill_random(ghva(combined + 16), 1024);
	EXPECT_EQ(VIRTIO_BLK_S_OK, submit(d, out, 2, &used));
	EXPECT_TRUE(file_equals(d, 3 * 512, ghva(combined + 16), 1024));
}

/* 2.7.5.3: a request through an indirect table. */
TEST_F(blk, indirect)
{
	struct disk *d = &self->d;
	u64 table = galloc(3 * 16, 16);
	struct vring_desc *t = ghva(table);
	u32 used, id;

	set_hdr(d, VIRTIO_BLK_T_IN, 40);
	t[0] = (struct vring_desc) { d->hdr, 16, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc) { d->data, 4096,
				     VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	t[2] = (struct vring_desc) { d->status, 1, VRING_DESC_F_WRITE, 0 };
	gq_desc(&d->q, 3, table, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	gq_kick(&d->q, 3, 1);
	ASSERT_TRUE(gq_used(&d->q, &id, &used));
	EXPECT_EQ(3, id);
	EXPECT_EQ(4097, used);
	EXPECT_EQ(VIRTIO_BLK_S_OK, *(u8 *)ghva(d->status));
	EXPECT_TRUE(file_equals(d, 40 * 512, ghva(d->data), 4096));
}

/* Several chains in one notification complete in order. */
TEST_F(blk, batch)
{
	struct disk *d = &self->d;
	u64 st = galloc(3, 1);
	unsigned int i;
	u32 id, used;

	set_hdr(d, VIRTIO_BLK_T_IN, 0);
	for (i = 0; i < 3; i++) {
		gq_desc(&d->q, 3 * i, d->hdr, 16, VRING_DESC_F_NEXT, 3 * i + 1);
		gq_desc(&d->q, 3 * i + 1, d->data + 512 * i, 512,
			VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3 * i + 2);
		gq_desc(&d->q, 3 * i + 2, st + i, 1, VRING_DESC_F_WRITE, 0);
		d->q.avail->ring[i] = 3 * i;
	}
	gq_kick(&d->q, 0, 3);
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(gq_used(&d->q, &id, &used));
		EXPECT_EQ(3 * i, id);
		EXPECT_EQ(VIRTIO_BLK_S_OK, *(u8 *)ghva(st + i));
	}
	EXPECT_FALSE(gq_used(&d->q, &id, &used));
}

/* 5.2.6: GET_ID answers 20 bytes, NUL-padded: here the file name. */
TEST_F(blk, get_id)
{
	struct disk *d = &self->d;
	char expect[VIRTIO_BLK_ID_BYTES] = { 0 };
	u32 used;

	memcpy(expect, strrchr(d->path, '/') + 1,
	       strlen(strrchr(d->path, '/') + 1));
	memset(ghva(d->data), 0xaa, 64);
	ASSERT_EQ(VIRTIO_BLK_S_OK, blk_io(d, VIRTIO_BLK_T_GET_ID, 0, 64, true,
					  &used));
	EXPECT_EQ(VIRTIO_BLK_ID_BYTES + 1, used);
	EXPECT_EQ(0, memcmp(expect, ghva(d->data), sizeof(expect)));
}

TEST_F(blk, bad_requests_get_error_status)
{
	struct disk *d = &self->d;
	char orig[1024];
	u32 used;

	ASSERT_EQ(1024, pread(d->fd, orig, 1024, DISK_SIZE - 1024));
	/* Past the end, straddling it, and a sector number that overflows. */
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(d, VIRTIO_BLK_T_IN,
					     DISK_SIZE / 512, 512, true, &used));
	EXPECT_EQ(1, used);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(d, VIRTIO_BLK_T_OUT,
					     DISK_SIZE / 512 - 1, 1024, false,
					     &used));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(d, VIRTIO_BLK_T_IN,
					     ~0ULL / 512 * 512, 512, true,
					     &used));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(d, VIRTIO_BLK_T_IN,
					     ~0ULL, 512, true, &used));
	/* Not whole sectors. */
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(d, VIRTIO_BLK_T_IN, 0, 100,
					     true, &used));
	/* Data in the wrong direction. */
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(d, VIRTIO_BLK_T_IN, 0, 512,
					     false, &used));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(d, VIRTIO_BLK_T_OUT, 0, 512,
					     true, &used));
	/* 5.2.6.1: unknown types are VIRTIO_BLK_S_UNSUPP. */
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, blk_io(d, VIRTIO_BLK_T_DISCARD, 0, 512,
					      false, &used));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, blk_io(d, 0x7fffffff, 0, 0, false,
					      &used));
	EXPECT_TRUE(file_equals(d, DISK_SIZE - 1024, orig, 1024));
	/* None of that is a reason to reset the device. */
	EXPECT_FALSE(vdev_status(&d->v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(VIRTIO_BLK_S_OK, blk_io(d, VIRTIO_BLK_T_IN, 0, 512, true,
					  &used));
}

/* A header shorter than 16 bytes is an error status, not a reset. */
TEST_F(blk, short_header)
{
	struct disk *d = &self->d;
	struct gbuf bufs[] = { { d->hdr, 8, false }, { d->status, 1, true } };
	u32 used;

	set_hdr(d, VIRTIO_BLK_T_FLUSH, 0);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, submit(d, bufs, 2, &used));
	EXPECT_FALSE(vdev_status(&d->v) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* No device-writable byte: no status to report, so the device breaks. */
TEST_F(blk, no_status_byte_needs_reset)
{
	struct disk *d = &self->d;
	struct gbuf bufs[] = { { d->hdr, 16, false }, { d->data, 512, false } };
	unsigned int before = nr_msis;
	u32 used;

	set_hdr(d, VIRTIO_BLK_T_OUT, 0);
	submit(d, bufs, 2, &used);
	EXPECT_TRUE(vdev_status(&d->v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* 2.1.2: the driver hears of it by a configuration change. */
	EXPECT_EQ(1, msis_with(before, MSI_DATA(CONFIG_VECTOR)));
}

static int start_plain(struct disk *d, const char *opts)
{
	return make_file(d, "/tmp", DISK_SIZE, true) ?:
	       start_disk(d, opts, BASE_FEATURES);
}

/* 5.2.6.2: a read-only disk refuses writes and leaves the file alone. */
TEST(read_only)
{
	struct disk d;
	char orig[4096];
	u32 used;

	ASSERT_EQ(0, start_plain(&d, ",ro"));
	unlink(d.path);
	EXPECT_TRUE(vdev_device_features(&d.v) & (1ULL << VIRTIO_BLK_F_RO));
	ASSERT_EQ(4096, pread(d.fd, orig, 4096, 0));
	memset(ghva(d.data), 0x5a, 4096);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(&d, VIRTIO_BLK_T_OUT, 0, 4096,
					     false, &used));
	EXPECT_TRUE(file_equals(&d, 0, orig, 4096));
	EXPECT_EQ(VIRTIO_BLK_S_OK, blk_io(&d, VIRTIO_BLK_T_IN, 0, 4096, true,
					  &used));
	EXPECT_TRUE(file_equals(&d, 0, ghva(d.data), 4096));
}

/* A write past RLIMIT_FSIZE fails with EFBIG on the host: IOERR. */
TEST(host_efbig)
{
	struct rlimit lim = { 64 << 10, 64 << 10 };
	struct disk d;
	u32 used;

	ASSERT_EQ(0, start_plain(&d, ""));
	unlink(d.path);
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	EXPECT_EQ(VIRTIO_BLK_S_OK, blk_io(&d, VIRTIO_BLK_T_OUT, 0, 4096,
					  false, &used));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(&d, VIRTIO_BLK_T_OUT, 1000, 4096,
					     false, &used));
	/* The device carries on. */
	EXPECT_EQ(VIRTIO_BLK_S_OK, blk_io(&d, VIRTIO_BLK_T_IN, 1000, 4096,
					  true, &used));
	EXPECT_FALSE(vdev_status(&d.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* A full file system (a 64 KiB tmpfs of our own) fails with ENOSPC. */
TEST(host_enospc)
{
	char dir[] = "/tmp/lkvm-enospc-XXXXXX";
	struct disk d;
	u32 used;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		SKIP(return, "no private mount namespace (needs CAP_SYS_ADMIN)");
	ASSERT_NE(NULL, mkdtemp(dir));
	if (mount("lkvm-test", dir, "tmpfs", 0, "size=64k")) {
		rmdir(dir);
		SKIP(return, "cannot mount a tmpfs");
	}
	/* Sparse: 1 MiB of capacity on 64 KiB of space. */
	ASSERT_EQ(0, make_file(&d, dir, DISK_SIZE, false));
	ASSERT_EQ(0, start_disk(&d, "", BASE_FEATURES));
	fill_random(ghva(d.data), 256 << 10);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, blk_io(&d, VIRTIO_BLK_T_OUT, 0,
					     256 << 10, false, &used));
	EXPECT_EQ(VIRTIO_BLK_S_OK, blk_io(&d, VIRTIO_BLK_T_IN, 0, 4096, true,
					  &used));
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

/* Bad -d arguments are one-line errors, not crashes. */
TEST(bad_disk_arguments)
{
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	EXPECT_NE(0, virtio_blk_init(&test_vm, "/nonexistent/disk.img"));
	EXPECT_NE(0, virtio_blk_init(&test_vm, "/tmp"));
	EXPECT_NE(0, virtio_blk_init(&test_vm, ",ro"));
	EXPECT_NE(0, virtio_blk_init(&test_vm, ""));
	EXPECT_NE(0, virtio_blk_init(&test_vm, "/dev/null"));
	EXPECT_EQ(-1, pci_find(0x1af4, 0x1040 + VIRTIO_ID_BLOCK));
}

/* Two lkvm processes must not write one image. */
TEST(image_locked)
{
	struct disk d;
	char arg[80];
	int fd;

	ASSERT_EQ(0, make_file(&d, "/tmp", DISK_SIZE, false));
	fd = open(d.path, O_RDONLY);
	ASSERT_EQ(0, flock(fd, LOCK_SH));
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	EXPECT_NE(0, virtio_blk_init(&test_vm, d.path));
	/* Sharing it read-only is fine. */
	snprintf(arg, sizeof(arg), "%s,ro", d.path);
	EXPECT_EQ(0, virtio_blk_init(&test_vm, arg));
	unlink(d.path);
}

TEST_HARNESS_MAIN
