// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of lkvm.ko's block backend, driven without a VM: the test is
 * its own "guest", building virtqueues in its memory (lkvm_blk_drv.c).
 * The references are the backing file itself (pread/pwrite), the virtio
 * 1.x spec for status codes and used lengths, and the ABI in
 * include/uapi/linux/lkvm.h.
 *
 * Environment: LKVM_BLK_DIR (default /tmp) holds scratch backing files;
 * LKVM_BLK_NULLB names a null_blk device (memory_backed, timer completion)
 * for the asynchronous O_DIRECT tests, which skip without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "lkvm_blk_drv.h"
#include "kselftest_harness.h"

#define BACKING_SIZE	(4UL << 20)
#define NUM		64
#define SECTOR		512

static uint8_t pattern_byte(uint64_t off, unsigned int seed)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL + seed;

	return x >> 56;
}

static void fill_pattern(uint8_t *buf, size_t len, uint64_t off,
			 unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(off + i, seed);
}

/* xorshift64: a fixed seed makes every run the same sequence. */
static uint64_t rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* A scratch backing file of BACKING_SIZE bytes, filled with seed 1. */
static int make_backing(void)
{
	const char *dir = getenv("LKVM_BLK_DIR") ?: "/tmp";
	static uint8_t buf[BACKING_SIZE];
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/lkvm-blk-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	fill_pattern(buf, sizeof(buf), 0, 1);
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(blk) {
	int backing;
	struct drv d;
};

FIXTURE_SETUP(blk)
{
	self->backing = make_backing();
	ASSERT_LE(0, self->backing);
	ASSERT_EQ(0, drv_open(&self->d, self->backing, NUM)) {
		TH_LOG("drv_open: %s", strerror(errno));
	}
	/* Hostile tests check that slot 0's status byte is never written. */
	drv_slot(&self->d, 0)->status = 0xff;
}

FIXTURE_TEARDOWN(blk)
{
	drv_close(&self->d);
	close(self->backing);
}

TEST(version_and_features)
{
	uint64_t features, bad = 1ULL << 63;
	uint32_t version = 0;
	struct drv d;
	pid_t pid;
	int status;

	ASSERT_EQ(0, drv_init(&d));
	ASSERT_EQ(0, ioctl(d.fd, LKVM_BLK_GET_VERSION, &version));
	EXPECT_EQ(LKVM_BLK_API_VERSION, version);
	ASSERT_EQ(0, ioctl(d.fd, LKVM_BLK_GET_FEATURES, &features));
	EXPECT_TRUE(features & (1ULL << VIRTIO_F_VERSION_1));
	EXPECT_TRUE(features & (1ULL << VIRTIO_BLK_F_FLUSH));
	EXPECT_TRUE(features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_FEATURES, &bad));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_OWNER));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, ioctl(d.fd, 0x1234));
	EXPECT_EQ(ENOTTY, errno);
	/* Only the owner's mm may configure: a child has its own. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct lkvm_blk_vring_state s = { .index = 0, .num = 8 };

		_exit(ioctl(d.fd, LKVM_BLK_SET_VRING_NUM, &s) == -1 &&
		      errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	drv_close(&d);
}

/* Every ioctl refuses what the ABI rules out, with the documented errno. */
TEST(bad_ioctl_arguments)
{
	struct lkvm_blk_vring_state s = { .index = 0 };
	struct lkvm_blk_vring_file f = { .index = 1, .fd = -1 };
	struct lkvm_blk_vring_addr a = { .index = 0, .flags = 1 };
	struct lkvm_blk_backend b = { .fd = -1 };
	int backing = make_backing(), pipefd[2];
	uint32_t index = 0;
	struct drv d;

	ASSERT_LE(0, backing);
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, drv_init(&d));
	EXPECT_EQ(-1, drv_start(&d));
	EXPECT_EQ(ENXIO, errno);
	for (unsigned int i = 0; i < 4; i++) {
		static const uint32_t nums[] = { 0, 3, 100,
						 LKVM_BLK_MAX_RING * 2 };

		s.num = nums[i];
		EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_VRING_NUM, &s));
		EXPECT_EQ(EINVAL, errno);
	}
	s.num = 0x10000;
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_VRING_BASE, &s));
	EXPECT_EQ(EINVAL, errno);
	s.index = 1;
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_GET_VRING_BASE, &s));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_VRING_CALL, &f));
	EXPECT_EQ(ENOBUFS, errno);
	f = (struct lkvm_blk_vring_file){ .index = 0, .fd = pipefd[0] };
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_VRING_KICK, &f));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_VRING_ADDR, &a));
	EXPECT_EQ(EINVAL, errno);
	b.fd = pipefd[0];
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_BACKEND, &b));
	EXPECT_EQ(EINVAL, errno);
	b.fd = 9999;
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_BACKEND, &b));
	EXPECT_EQ(EBADF, errno);
	b = (struct lkvm_blk_backend){ .fd = backing, .flags = 2 };
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_BACKEND, &b));
	EXPECT_EQ(EINVAL, errno);
	/* Running: the ring's geometry and the backend are frozen. */
	drv_close(&d);
	ASSERT_EQ(0, drv_open(&d, backing, NUM));
	s = (struct lkvm_blk_vring_state){ .index = 0, .num = 16 };
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_VRING_NUM, &s));
	EXPECT_EQ(EBUSY, errno);
	b = (struct lkvm_blk_backend){ .fd = backing };
	EXPECT_EQ(-1, ioctl(d.fd, LKVM_BLK_SET_BACKEND, &b));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, drv_start(&d));
	EXPECT_EQ(EBUSY, errno);
	/* Stopped, it may change, and start again. */
	ASSERT_EQ(0, ioctl(d.fd, LKVM_BLK_STOP, &index));
	EXPECT_EQ(0, ioctl(d.fd, LKVM_BLK_SET_VRING_NUM, &s));
	EXPECT_EQ(0, ioctl(d.fd, LKVM_BLK_SET_BACKEND, &b));
	drv_close(&d);
	close(pipefd[0]);
	close(pipefd[1]);
	close(backing);
}

TEST_F(blk, write_read_integrity)
{
	static uint8_t buf[16384], ref[16384];
	const uint64_t cap = BACKING_SIZE / SECTOR;

	/* Guest writes reach the file ... */
	fill_pattern(buf, sizeof(buf), 0, 7);
	ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_OUT, 8, buf,
					  sizeof(buf)));
	ASSERT_EQ(sizeof(ref), pread(self->backing, ref, sizeof(ref), 8 * SECTOR));
	EXPECT_EQ(0, memcmp(buf, ref, sizeof(buf)));
	/* ... file contents reach the guest ... */
	fill_pattern(ref, sizeof(ref), 0, 9);
	ASSERT_EQ(sizeof(ref), pwrite(self->backing, ref, sizeof(ref),
				      100 * SECTOR));
	ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_IN, 100, buf,
					  sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, ref, sizeof(buf)));
	/* ... up to the last sector. */
	ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_IN, cap - 1,
					  buf, SECTOR));
	ASSERT_EQ(SECTOR, pread(self->backing, ref, SECTOR, BACKING_SIZE - SECTOR));
	EXPECT_EQ(0, memcmp(buf, ref, SECTOR));
}

/* Many requests in one kick: every one completes once, with its data. */
static void batch(struct __test_metadata *_metadata, struct drv *d,
		  int backing, unsigned int n)
{
	static uint8_t ref[8192];
	unsigned int i, seen = 0;
	struct drv_done done;
	uint32_t expect_len;
	uint64_t mask = 0;

	for (i = 0; i < n; i++) {
		uint32_t type = i % 2 ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;

		if (type == VIRTIO_BLK_T_OUT)
			fill_pattern(drv_slot(d, i)->data, 8192, i, 3);
		drv_queue(d, i, type, i * 16, 8192);
	}
	drv_publish_avail(d, d->avail_idx);
	drv_kick(d);
	for (seen = 0; seen < n; seen++) {
		ASSERT_EQ(0, drv_wait(d, &done, 10000));
		i = d->indirect ? done.head : done.head / 3;
		ASSERT_GT(n, i);
		EXPECT_FALSE(mask & (1ULL << i));
		mask |= 1ULL << i;
		EXPECT_EQ(VIRTIO_BLK_S_OK, done.status);
		/* Used length counts written bytes, status byte included. */
		expect_len = i % 2 ? 8192 + 1 : 1;
		EXPECT_EQ(expect_len, done.len);
		ASSERT_EQ(sizeof(ref), pread(backing, ref, sizeof(ref),
					     i * 16 * SECTOR));
		if (i % 2) {
			EXPECT_EQ(0, memcmp(drv_slot(d, i)->data, ref, 8192));
			continue;
		}
		for (unsigned int k = 0; k < 8192; k++)
			ASSERT_EQ(pattern_byte(i + k, 3), ref[k]);
	}
}

TEST_F(blk, batch_direct)
{
	batch(_metadata, &self->d, self->backing, NUM / 3);
}

TEST_F(blk, batch_indirect)
{
	self->d.indirect = true;
	batch(_metadata, &self->d, self->backing, NUM);
}

TEST_F(blk, bad_requests_get_ioerr)
{
	uint64_t cap = BACKING_SIZE / SECTOR;
	struct drv_stats st;
	uint8_t buf[1024];

	EXPECT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&self->d, VIRTIO_BLK_T_IN, cap,
					     buf, SECTOR));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&self->d, VIRTIO_BLK_T_IN,
					     cap - 1, buf, 2 * SECTOR));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&self->d, VIRTIO_BLK_T_IN,
					     1ULL << 62, buf, SECTOR));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&self->d, VIRTIO_BLK_T_OUT, 0,
					     buf, 100));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, drv_io(&self->d, 0x7777, 0, NULL, 0));
	/* Request errors are the guest's business: the queue keeps going. */
	ASSERT_EQ(0, drv_stats(self->d.id, &st));
	EXPECT_EQ(LKVM_BLK_QUEUE_RUNNING, st.state);
	EXPECT_EQ(5, st.errors);
	EXPECT_EQ(0, st.ring_errors);
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_IN, 0, buf,
					  SECTOR));
}

TEST_F(blk, flush)
{
	uint8_t buf[SECTOR] = { 1 };
	struct drv_stats st;

	ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_OUT, 0, buf,
					  SECTOR));
	ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_FLUSH, 0,
					  NULL, 0));
	ASSERT_EQ(0, drv_stats(self->d.id, &st));
	EXPECT_EQ(1, st.flushes);
}

TEST_F(blk, get_id)
{
	char id[LKVM_BLK_SERIAL_BYTES + 4];
	struct drv_done done;

	memset(id, 'x', sizeof(id));
	drv_queue(&self->d, 0, VIRTIO_BLK_T_GET_ID, 0, sizeof(id));
	drv_publish_avail(&self->d, self->d.avail_idx);
	drv_kick(&self->d);
	ASSERT_EQ(0, drv_wait(&self->d, &done, 5000));
	EXPECT_EQ(VIRTIO_BLK_S_OK, done.status);
	EXPECT_EQ(LKVM_BLK_SERIAL_BYTES + 1, done.len);
	EXPECT_EQ(0, memcmp(drv_slot(&self->d, 0)->data,
			    "lkvm-selftest-serial", LKVM_BLK_SERIAL_BYTES));
}

/* The word after the used ring, where the device asks for kicks. */
static uint16_t avail_event(struct drv *d)
{
	uint16_t v;

	memcpy(&v, &d->used->ring[d->num], sizeof(v));
	return v;
}

static bool call_pending(struct drv *d)
{
	uint64_t cnt;

	return read(d->call, &cnt, sizeof(cnt)) == sizeof(cnt);
}

/* Busy-waits for used->idx to reach @idx, without the call eventfd. */
static bool used_reaches(struct drv *d, uint16_t idx)
{
	for (int tries = 0; tries < 5000; tries++) {
		if (__atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE) == idx)
			return true;
		usleep(1000);
	}
	return false;
}

/* VIRTIO_RING_F_EVENT_IDX in both directions (virtio 1.x, 2.7.10). */
TEST_F(blk, event_idx)
{
	struct drv *d = &self->d;
	uint16_t *used_event = &d->avail->ring[NUM];
	struct drv_done done;
	uint64_t st = 42;
	unsigned int kicks = 0, n = 0;

	ASSERT_TRUE(d->features & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	/* Interrupts: only when used->idx passes used_event. */
	*used_event = 2;
	for (int i = 0; i < 3; i++) {
		drv_queue(d, i, VIRTIO_BLK_T_FLUSH, 0, 0);
		drv_publish_avail(d, d->avail_idx);
		drv_kick(d);
		ASSERT_TRUE(used_reaches(d, i + 1));
		/* A signal is due once used->idx moves past 2, not before. */
		EXPECT_EQ(i == 2, call_pending(d)) TH_LOG("request %d", i);
	}
	d->used_idx = 3;
	/* Kicks: an idle queue asks for one at the next entry ... */
	EXPECT_EQ(d->avail_idx, avail_event(d));
	/* ... and never misses one when the driver kicks only on request. */
	while (n < 300) {
		uint16_t old = d->avail_idx;
		unsigned int batch = 1 + rnd(&st) % 8;

		for (unsigned int i = 0; i < batch; i++)
			drv_queue(d, i, VIRTIO_BLK_T_FLUSH, 0, 0);
		drv_publish_avail(d, d->avail_idx);
		if (drv_kick_needed(d, old)) {
			drv_kick(d);
			kicks++;
		}
		for (unsigned int i = 0; i < batch; i++, n++) {
			ASSERT_EQ(0, drv_wait(d, &done, 5000))
				TH_LOG("request %u lost", n);
			EXPECT_EQ(VIRTIO_BLK_S_OK, done.status);
		}
	}
	TH_LOG("%u kicks for %u requests", kicks, n);
}

static void put_seg(struct drv *d, unsigned int i, uint64_t sector,
		    uint32_t n, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes *seg =
		(void *)drv_slot(d, 0)->data;

	seg[i].sector = sector;
	seg[i].num_sectors = n;
	seg[i].flags = flags;
}

static bool file_zero(int fd, uint64_t sector, uint32_t n)
{
	uint8_t buf[SECTOR];

	for (uint32_t i = 0; i < n; i++) {
		if (pread(fd, buf, SECTOR, (sector + i) * SECTOR) != SECTOR)
			return false;
		for (int k = 0; k < SECTOR; k++)
			if (buf[k])
				return false;
	}
	return true;
}

TEST_F(blk, discard_and_write_zeroes)
{
	uint64_t features;

	/* tmpfs punches holes: both must be offered. */
	ASSERT_EQ(0, ioctl(self->d.fd, LKVM_BLK_GET_FEATURES, &features));
	ASSERT_TRUE(features & (1ULL << VIRTIO_BLK_F_DISCARD));
	ASSERT_TRUE(features & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	ASSERT_FALSE(file_zero(self->backing, 8, 8));
	put_seg(&self->d, 0, 8, 8, 0);
	put_seg(&self->d, 1, 40, 16, 0);
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_DISCARD, 0,
					  NULL, 32));
	EXPECT_TRUE(file_zero(self->backing, 8, 8));
	EXPECT_TRUE(file_zero(self->backing, 40, 16));
	EXPECT_FALSE(file_zero(self->backing, 16, 1));
	put_seg(&self->d, 0, 100, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_WRITE_ZEROES,
					  0, NULL, 16));
	EXPECT_TRUE(file_zero(self->backing, 100, 8));
	EXPECT_FALSE(file_zero(self->backing, 108, 1));
	/* The spec's answers to malformed segments. */
	put_seg(&self->d, 0, 0, 8, 1);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, drv_io(&self->d, VIRTIO_BLK_T_DISCARD,
					      0, NULL, 16));
	put_seg(&self->d, 0, BACKING_SIZE / SECTOR, 1, 0);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&self->d, VIRTIO_BLK_T_DISCARD,
					     0, NULL, 16));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&self->d, VIRTIO_BLK_T_DISCARD,
					     0, NULL, 15));
}

TEST(read_only_backend)
{
	int rw = make_backing(), ro;
	uint8_t buf[SECTOR];
	uint64_t features;
	char path[64];
	struct drv d;

	ASSERT_LE(0, rw);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, drv_open(&d, ro, NUM));
	ASSERT_EQ(0, ioctl(d.fd, LKVM_BLK_GET_FEATURES, &features));
	EXPECT_TRUE(features & (1ULL << VIRTIO_BLK_F_RO));
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(&d, VIRTIO_BLK_T_IN, 0, buf, SECTOR));
	EXPECT_EQ(pattern_byte(0, 1), buf[0]);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&d, VIRTIO_BLK_T_OUT, 0, buf,
					     SECTOR));
	ASSERT_EQ(SECTOR, pread(rw, buf, SECTOR, 0));
	EXPECT_EQ(pattern_byte(0, 1), buf[0]);
	drv_close(&d);
	close(ro);
	close(rw);
}

/*
 * A buffer that crosses from one region into the next must land in both
 * user ranges, which are not adjacent in our address space.
 */
TEST_F(blk, buffer_across_regions)
{
	struct drv *d = &self->d;
	uint8_t *data = drv_slot(d, 0)->data, *other, ref[4096];
	size_t split = data + 2048 - d->mem;
	struct lkvm_blk_mem_region r[2] = {
		{ DRV_GPA_BASE, split, (uintptr_t)d->mem, 0 },
	};

	other = mmap(NULL, DRV_MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, other);
	r[1] = (struct lkvm_blk_mem_region){ DRV_GPA_BASE + split,
		DRV_MEM_SIZE - split, (uintptr_t)other, 0 };
	ASSERT_EQ(0, drv_set_mem(d, r, 2));
	memset(data, 0xee, 4096);
	drv_queue(d, 0, VIRTIO_BLK_T_IN, 0, 4096);
	drv_publish_avail(d, d->avail_idx);
	drv_kick(d);
	/* The used ring is in region 0, still ours; the data is split. */
	struct drv_done done;

	ASSERT_EQ(0, drv_wait(d, &done, 5000));
	EXPECT_EQ(VIRTIO_BLK_S_OK, done.status);
	ASSERT_EQ(4096, pread(self->backing, ref, 4096, 0));
	EXPECT_EQ(0, memcmp(data, ref, 2048));
	EXPECT_EQ(0, memcmp(other, ref + 2048, 2048));
	EXPECT_EQ(0xee, data[2048]);
	munmap(other, DRV_MEM_SIZE);
}

TEST_F(blk, netlink_counters)
{
	uint8_t buf[8192] = { 0 };
	struct drv_stats st;
	uint32_t id = self->d.id;
	int before;

	for (int i = 0; i < 3; i++)
		ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_OUT,
						  i * 8, buf, 4096));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_IN,
						  i * 16, buf, 8192));
	ASSERT_EQ(VIRTIO_BLK_S_IOERR, drv_io(&self->d, VIRTIO_BLK_T_IN,
					     BACKING_SIZE / SECTOR, buf, 512));
	ASSERT_EQ(0, drv_stats(id, &st));
	EXPECT_EQ(id, st.id);
	EXPECT_EQ((uint32_t)getpid(), st.owner_pid);
	EXPECT_EQ(LKVM_BLK_QUEUE_RUNNING, st.state);
	EXPECT_EQ(LKVM_BLK_QERR_NONE, st.error);
	EXPECT_EQ(6, st.requests);
	EXPECT_EQ(3 * 4096, st.write_bytes);
	EXPECT_EQ(2 * 8192, st.read_bytes);
	EXPECT_EQ(1, st.errors);
	EXPECT_EQ(0, st.inflight);
	EXPECT_EQ(6, st.last_avail);
	EXPECT_EQ(BACKING_SIZE / SECTOR, st.capacity);
	before = drv_count_instances();
	EXPECT_LE(1, before);
	drv_close(&self->d);
	/* The instance is gone from both the doit and the dump. */
	EXPECT_EQ(-ENOENT, drv_stats(id, &st));
	EXPECT_EQ(before - 1, drv_count_instances());
}

struct swapper {
	struct drv *d;
	bool stop;
	unsigned int swaps;
	int failed;
};

/* Replaces the table (same contents, alternately split in two) nonstop. */
static void *swap_tables(void *arg)
{
	struct swapper *sw = arg;
	uintptr_t u = (uintptr_t)sw->d->mem;
	const uint64_t half = DRV_MEM_SIZE / 2;
	struct lkvm_blk_mem_region one = { DRV_GPA_BASE, DRV_MEM_SIZE, u, 0 };
	struct lkvm_blk_mem_region two[2] = {
		{ DRV_GPA_BASE + half, half, u + half, 0 },
		{ DRV_GPA_BASE, half, u, 0 },
	};

	while (!__atomic_load_n(&sw->stop, __ATOMIC_RELAXED)) {
		if (sw->swaps % 2 ? drv_set_mem(sw->d, &one, 1) :
				    drv_set_mem(sw->d, two, 2))
			sw->failed++;
		sw->swaps++;
	}
	return NULL;
}

/* Equivalent tables swapped under running I/O change nothing for it. */
TEST_F(blk, mem_table_swap_during_io)
{
	struct swapper sw = { .d = &self->d };
	uint8_t buf[8192], ref[8192];
	struct drv_stats st;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, swap_tables, &sw));
	for (int i = 0; i < 200; i++) {
		uint64_t sector = (i * 37) % (BACKING_SIZE / SECTOR - 16);

		ASSERT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_IN,
						  sector, buf, sizeof(buf)));
		ASSERT_EQ(sizeof(ref), pread(self->backing, ref, sizeof(ref),
					     sector * SECTOR));
		ASSERT_EQ(0, memcmp(buf, ref, sizeof(buf)));
	}
	__atomic_store_n(&sw.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	EXPECT_EQ(0, sw.failed);
	EXPECT_LT(10, sw.swaps);
	ASSERT_EQ(0, drv_stats(self->d.id, &st));
	EXPECT_EQ(LKVM_BLK_QUEUE_RUNNING, st.state);
	EXPECT_EQ(200, st.requests);
}

/* Submits @n reads and waits until the module reports some in flight. */
static void submit_reads(struct __test_metadata *_metadata, struct drv *d,
			 unsigned int n, bool want_inflight)
{
	struct drv_stats st;

	for (unsigned int i = 0; i < n; i++)
		drv_queue(d, i, VIRTIO_BLK_T_IN, i * 8, 4096);
	drv_publish_avail(d, d->avail_idx);
	drv_kick(d);
	if (!want_inflight)
		return;
	for (int tries = 0; tries < 1000; tries++) {
		ASSERT_EQ(0, drv_stats(d->id, &st));
		if (st.inflight)
			return;
		usleep(1000);
	}
	ASSERT_TRUE(0) TH_LOG("no request ever in flight");
}

/* After any teardown, a new instance must work normally. */
static void check_fresh_instance(struct __test_metadata *_metadata)
{
	int backing = make_backing();
	uint8_t buf[SECTOR];
	struct drv d;

	ASSERT_LE(0, backing);
	ASSERT_EQ(0, drv_open(&d, backing, NUM));
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(&d, VIRTIO_BLK_T_IN, 0, buf, SECTOR));
	EXPECT_EQ(pattern_byte(0, 1), buf[0]);
	drv_close(&d);
	close(backing);
}

TEST_F(blk, close_with_requests_queued)
{
	uint32_t id = self->d.id;
	struct drv_stats st;

	submit_reads(_metadata, &self->d, NUM / 3, false);
	drv_close(&self->d);
	EXPECT_EQ(-ENOENT, drv_stats(id, &st));
	check_fresh_instance(_metadata);
}

TEST(exit_with_requests_queued)
{
	int before = drv_count_instances(), status, n = -1;
	pid_t pid = fork();

	ASSERT_LE(0, before);
	ASSERT_LE(0, pid);
	if (!pid) {
		int backing = make_backing();
		struct drv d;

		if (backing < 0 || drv_open(&d, backing, NUM))
			_exit(1);
		for (unsigned int i = 0; i < NUM / 3; i++)
			drv_queue(&d, i, VIRTIO_BLK_T_OUT, i * 8, 4096);
		drv_publish_avail(&d, d.avail_idx);
		drv_kick(&d);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* The exiting owner's files were closed: the instance is gone. */
	for (int tries = 0; tries < 500; tries++) {
		n = drv_count_instances();
		if (n == before)
			break;
		usleep(10000);
	}
	EXPECT_EQ(before, n);
	check_fresh_instance(_metadata);
}

/* null_blk with timer completion: requests really wait in the device. */
FIXTURE(nullb) {
	int backing;
	struct drv d;
};

FIXTURE_SETUP(nullb)
{
	const char *dev = getenv("LKVM_BLK_NULLB");

	self->backing = -1;
	self->d.fd = -1;
	if (!dev)
		SKIP(return, "LKVM_BLK_NULLB not set (no null_blk device)");
	self->backing = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, self->backing);
	ASSERT_EQ(0, drv_open(&self->d, self->backing, NUM));
}

FIXTURE_TEARDOWN(nullb)
{
	if (self->d.fd >= 0)
		drv_close(&self->d);
	if (self->backing >= 0)
		close(self->backing);
}

TEST_F(nullb, direct_io_integrity)
{
	void *ref;

	if (self->backing < 0)
		return;
	ASSERT_EQ(0, posix_memalign(&ref, 4096, 65536));
	fill_pattern(drv_slot(&self->d, 0)->data, 65536, 0, 11);
	drv_queue(&self->d, 0, VIRTIO_BLK_T_OUT, 64, 65536);
	drv_publish_avail(&self->d, self->d.avail_idx);
	drv_kick(&self->d);
	struct drv_done done;

	ASSERT_EQ(0, drv_wait(&self->d, &done, 10000));
	ASSERT_EQ(VIRTIO_BLK_S_OK, done.status);
	ASSERT_EQ(65536, pread(self->backing, ref, 65536, 64 * SECTOR));
	EXPECT_EQ(0, memcmp(drv_slot(&self->d, 0)->data, ref, 65536));
	memset(drv_slot(&self->d, 0)->data, 0, 65536);
	drv_queue(&self->d, 0, VIRTIO_BLK_T_IN, 64, 65536);
	drv_publish_avail(&self->d, self->d.avail_idx);
	drv_kick(&self->d);
	ASSERT_EQ(0, drv_wait(&self->d, &done, 10000));
	ASSERT_EQ(VIRTIO_BLK_S_OK, done.status);
	EXPECT_EQ(65536 + 1, done.len);
	EXPECT_EQ(0, memcmp(drv_slot(&self->d, 0)->data, ref, 65536));
	free(ref);
}

TEST_F(nullb, close_with_requests_in_flight)
{
	uint32_t id = self->d.id;
	struct drv_stats st;

	if (self->backing < 0)
		return;
	submit_reads(_metadata, &self->d, NUM / 3, true);
	drv_close(&self->d);
	EXPECT_EQ(-ENOENT, drv_stats(id, &st));
	check_fresh_instance(_metadata);
}

/*
 * The owner exits while requests wait in the device: its address space is
 * gone before its files are closed, so they complete without being posted.
 */
TEST_F(nullb, exit_with_requests_in_flight)
{
	int before, status, n = -1;
	struct drv_stats st;
	pid_t pid;

	if (self->backing < 0)
		return;
	drv_close(&self->d);
	before = drv_count_instances();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct drv d;

		if (drv_open(&d, self->backing, NUM))
			_exit(1);
		for (unsigned int i = 0; i < NUM / 3; i++)
			drv_queue(&d, i, VIRTIO_BLK_T_IN, i * 8, 4096);
		drv_publish_avail(&d, d.avail_idx);
		drv_kick(&d);
		for (int tries = 0; tries < 1000; tries++) {
			if (!drv_stats(d.id, &st) && st.inflight)
				_exit(0);
			usleep(1000);
		}
		_exit(2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status) TH_LOG("child saw nothing in flight");
	for (int tries = 0; tries < 500; tries++) {
		n = drv_count_instances();
		if (n == before)
			break;
		usleep(10000);
	}
	EXPECT_EQ(before, n);
	check_fresh_instance(_metadata);
}

TEST_F(nullb, stop_drains_requests_in_flight)
{
	struct lkvm_blk_vring_state s = { .index = 0 };
	unsigned int n = NUM / 3;
	struct drv_stats st;
	uint32_t index = 0;

	if (self->backing < 0)
		return;
	submit_reads(_metadata, &self->d, n, true);
	ASSERT_EQ(0, ioctl(self->d.fd, LKVM_BLK_STOP, &index));
	/* Everything submitted was posted before STOP returned. */
	EXPECT_EQ(n, __atomic_load_n(&self->d.used->idx, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, ioctl(self->d.fd, LKVM_BLK_GET_VRING_BASE, &s));
	EXPECT_EQ(n, s.num);
	ASSERT_EQ(0, drv_stats(self->d.id, &st));
	EXPECT_EQ(0, st.inflight);
	EXPECT_EQ(LKVM_BLK_QUEUE_IDLE, st.state);
	EXPECT_EQ(n, st.requests);
	EXPECT_EQ(0, st.errors);
	/* And it starts again where it stopped. */
	ASSERT_EQ(0, drv_start(&self->d));
	uint8_t buf[SECTOR];

	self->d.used_idx = n;
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_IN, 0, buf,
					  SECTOR));
}

/*
 * Hostile rings.  Each test writes one malformed thing, kicks, and expects
 * the queue in LKVM_BLK_QUEUE_ERROR with the right cause, the err eventfd
 * signalled, one ring error counted, and no status byte or used entry
 * written.
 */
static void expect_qerr(struct __test_metadata *_metadata, struct drv *d,
			uint32_t err)
{
	struct drv_stats st;

	ASSERT_EQ(0, drv_wait_err(d, 5000)) TH_LOG("err eventfd not signalled");
	ASSERT_EQ(0, drv_stats(d->id, &st));
	EXPECT_EQ(LKVM_BLK_QUEUE_ERROR, st.state);
	EXPECT_EQ(err, st.error);
	EXPECT_EQ(1, st.ring_errors);
	EXPECT_EQ(0, st.requests);
	EXPECT_EQ(0, st.inflight);
	EXPECT_EQ(0, d->used->idx);
	EXPECT_EQ(0xff, drv_slot(d, 0)->status);
}

/* Publishes head @head (and whatever the test put in the table). */
static void post_head(struct drv *d, uint16_t head)
{
	d->avail->ring[d->avail_idx++ % d->num] = head;
	drv_publish_avail(d, d->avail_idx);
	drv_kick(d);
}

/* A read whose data descriptor is @data; the rest is slot 0's. */
static void post_read(struct drv *d, struct vring_desc data)
{
	drv_queue(d, 0, VIRTIO_BLK_T_IN, 0, 4096);
	d->avail_idx--;
	data.flags |= VRING_DESC_F_NEXT | VRING_DESC_F_WRITE;
	data.next = 2;
	d->desc[1] = data;
	post_head(d, 0);
}

TEST_F(blk, hostile_buffer_outside_table)
{
	struct drv *d = &self->d;
	const size_t table = DRV_MEM_SIZE - (1UL << 20);
	struct lkvm_blk_mem_region r = { DRV_GPA_BASE, table,
					 (uintptr_t)d->mem, 0 };

	/* Memory right after the table is ours, mapped, and must stay so. */
	ASSERT_EQ(0, drv_set_mem(d, &r, 1));
	memset(d->mem + table, 0xa5, 1UL << 20);
	post_read(d, (struct vring_desc){ .addr = DRV_GPA_BASE + table,
					  .len = 4096 });
	expect_qerr(_metadata, d, LKVM_BLK_QERR_DESC_ADDR);
	for (size_t i = table; i < DRV_MEM_SIZE; i++)
		ASSERT_EQ(0xa5, d->mem[i]);
}

TEST_F(blk, hostile_buffer_straddles_table_end)
{
	post_read(&self->d, (struct vring_desc){
		.addr = DRV_GPA_BASE + DRV_MEM_SIZE - 2048, .len = 4096 });
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_DESC_ADDR);
}

TEST_F(blk, hostile_buffer_wraps_address_space)
{
	post_read(&self->d, (struct vring_desc){ .addr = ~0ULL - 1023,
						 .len = 4096 });
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_DESC_ADDR);
}

TEST_F(blk, hostile_zero_length)
{
	post_read(&self->d, (struct vring_desc){
		.addr = drv_gpa(&self->d, drv_slot(&self->d, 0)->data) });
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_DESC_LEN);
}

TEST_F(blk, hostile_huge_length)
{
	post_read(&self->d, (struct vring_desc){
		.addr = drv_gpa(&self->d, drv_slot(&self->d, 0)->data),
		.len = 0xfffff000 });
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_DESC_LEN);
}

TEST_F(blk, hostile_descriptor_loop)
{
	/* Header and data, both readable, pointing at each other. */
	drv_queue(&self->d, 0, VIRTIO_BLK_T_OUT, 0, 4096);
	self->d.avail_idx--;
	self->d.desc[1].next = 0;
	post_head(&self->d, 0);
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_CHAIN);
}

TEST_F(blk, hostile_chain_longer_than_ring)
{
	struct drv *d = &self->d;
	struct vring_desc *t = (void *)(d->mem + DRV_INDIRECT_OFF);
	uint64_t buf = drv_gpa(d, drv_slot(d, 0)->data);

	/* Without a loop: an indirect chain of num + 1 distinct buffers. */
	for (unsigned int i = 0; i <= NUM; i++)
		t[i] = (struct vring_desc){ buf + i * 16, 16,
					    VRING_DESC_F_NEXT, i + 1 };
	d->desc[0] = (struct vring_desc){ drv_gpa(d, t),
					  (NUM + 1) * sizeof(*t),
					  VRING_DESC_F_INDIRECT, 0 };
	post_head(d, 0);
	expect_qerr(_metadata, d, LKVM_BLK_QERR_INDIRECT);
}

TEST_F(blk, hostile_indirect_loop)
{
	struct drv *d = &self->d;
	struct vring_desc *t = (void *)(d->mem + DRV_INDIRECT_OFF);
	uint64_t buf = drv_gpa(d, drv_slot(d, 0)->data);

	t[0] = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 0 };
	d->desc[0] = (struct vring_desc){ drv_gpa(d, t), 2 * sizeof(*t),
					  VRING_DESC_F_INDIRECT, 0 };
	post_head(d, 0);
	expect_qerr(_metadata, d, LKVM_BLK_QERR_CHAIN);
}

TEST_F(blk, hostile_nested_indirect)
{
	struct drv *d = &self->d;
	struct vring_desc *t = (void *)(d->mem + DRV_INDIRECT_OFF);

	t[0] = (struct vring_desc){ drv_gpa(d, t), sizeof(*t),
				    VRING_DESC_F_INDIRECT, 0 };
	d->desc[0] = (struct vring_desc){ drv_gpa(d, t), sizeof(*t),
					  VRING_DESC_F_INDIRECT, 0 };
	post_head(d, 0);
	expect_qerr(_metadata, d, LKVM_BLK_QERR_INDIRECT);
}

TEST_F(blk, hostile_head_out_of_range)
{
	post_head(&self->d, NUM);
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_HEAD);
}

TEST_F(blk, hostile_next_out_of_range)
{
	drv_queue(&self->d, 0, VIRTIO_BLK_T_IN, 0, 4096);
	self->d.avail_idx--;
	self->d.desc[0].next = NUM + 5;
	post_head(&self->d, 0);
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_HEAD);
}

TEST_F(blk, hostile_avail_index_jump)
{
	drv_queue(&self->d, 0, VIRTIO_BLK_T_IN, 0, 4096);
	drv_publish_avail(&self->d, NUM + 1);
	drv_kick(&self->d);
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_AVAIL_IDX);
}

TEST_F(blk, hostile_readable_after_writable)
{
	drv_queue(&self->d, 0, VIRTIO_BLK_T_OUT, 0, 4096);
	self->d.avail_idx--;
	self->d.desc[0].flags |= VRING_DESC_F_WRITE;
	post_head(&self->d, 0);
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_LAYOUT);
}

TEST_F(blk, hostile_no_status_byte)
{
	drv_queue(&self->d, 0, VIRTIO_BLK_T_OUT, 0, 4096);
	self->d.avail_idx--;
	self->d.desc[1].flags &= ~VRING_DESC_F_NEXT;
	post_head(&self->d, 0);
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_LAYOUT);
}

TEST(hostile_ring_outside_table)
{
	int backing = make_backing();
	struct lkvm_blk_mem_region r;
	struct lkvm_blk_vring_addr a = { .index = 0 };
	struct drv_stats st;
	struct drv d;

	ASSERT_LE(0, backing);
	ASSERT_EQ(0, drv_init(&d));
	r = (struct lkvm_blk_mem_region){ DRV_GPA_BASE, DRV_MEM_SIZE,
					  (uintptr_t)d.mem, 0 };
	ASSERT_EQ(0, drv_set_mem(&d, &r, 1));
	ASSERT_EQ(0, drv_set_backend(&d, backing, 0));
	ASSERT_EQ(0, drv_config_ring(&d, NUM));
	/* The used ring's last bytes hang over the end of the table. */
	a.desc_gpa = DRV_GPA_BASE;
	a.avail_gpa = DRV_GPA_BASE + 16384;
	a.used_gpa = DRV_GPA_BASE + DRV_MEM_SIZE - 8 * NUM;
	ASSERT_EQ(0, ioctl(d.fd, LKVM_BLK_SET_VRING_ADDR, &a));
	EXPECT_EQ(-1, drv_start(&d));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, drv_wait_err(&d, 1000));
	ASSERT_EQ(0, drv_stats(d.id, &st));
	EXPECT_EQ(LKVM_BLK_QUEUE_ERROR, st.state);
	EXPECT_EQ(LKVM_BLK_QERR_RING_ADDR, st.error);
	EXPECT_EQ(1, st.ring_errors);
	drv_close(&d);
	close(backing);
}

TEST_F(blk, hostile_memory_tables)
{
	struct drv *d = &self->d;
	uintptr_t u = (uintptr_t)d->mem;
	const struct {
		const char *what;
		struct lkvm_blk_mem_region r[2];
		unsigned int n;
		int err;
	} bad[] = {
		{ "overlap", { { 0, 8192, u, 0 }, { 4096, 8192, u, 0 } }, 2,
		  EINVAL },
		{ "same start", { { 0, 4096, u, 0 }, { 0, 4096, u, 0 } }, 2,
		  EINVAL },
		{ "gpa wraps", { { ~0ULL - 4095, 8192, u, 0 } }, 1, EINVAL },
		{ "uaddr wraps", { { 0, 8192, ~0ULL - 4095, 0 } }, 1, EINVAL },
		{ "empty", { { 0, 0, u, 0 } }, 1, EINVAL },
		{ "flags", { { 0, 4096, u, 1 } }, 1, EINVAL },
		{ "kernel uaddr", { { 0, 4096, 0xffff888000000000ULL, 0 } }, 1,
		  EFAULT },
	};
	struct lkvm_blk_mem_region many[LKVM_BLK_MAX_REGIONS + 1];
	uint8_t buf[SECTOR];
	struct drv_stats st;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, drv_set_mem(d, bad[i].r, bad[i].n))
			TH_LOG("%s accepted", bad[i].what);
		EXPECT_EQ(bad[i].err, errno) TH_LOG("%s", bad[i].what);
	}
	for (unsigned int i = 0; i <= LKVM_BLK_MAX_REGIONS; i++)
		many[i] = (struct lkvm_blk_mem_region){ i * 4096ULL, 4096,
							u, 0 };
	EXPECT_EQ(-1, drv_set_mem(d, many, LKVM_BLK_MAX_REGIONS + 1));
	EXPECT_EQ(EINVAL, errno);
	/* Refused tables leave the old one in place and the queue running. */
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR));
	ASSERT_EQ(0, drv_stats(d->id, &st));
	EXPECT_EQ(LKVM_BLK_QUEUE_RUNNING, st.state);
	/* A valid table that no longer holds the running ring stops it. */
	many[0] = (struct lkvm_blk_mem_region){ DRV_GPA_BASE + DRV_SLOTS_OFF,
		DRV_MEM_SIZE - DRV_SLOTS_OFF, u + DRV_SLOTS_OFF, 0 };
	ASSERT_EQ(0, drv_set_mem(d, many, 1));
	ASSERT_EQ(0, drv_wait_err(d, 1000));
	ASSERT_EQ(0, drv_stats(d->id, &st));
	EXPECT_EQ(LKVM_BLK_QERR_RING_ADDR, st.error);
}

TEST_F(blk, reset_recovers_from_error)
{
	struct lkvm_blk_mem_region r = { DRV_GPA_BASE, DRV_MEM_SIZE,
					 (uintptr_t)self->d.mem, 0 };
	uint8_t buf[SECTOR];
	struct drv_stats st;
	uint64_t features;

	post_head(&self->d, NUM);
	expect_qerr(_metadata, &self->d, LKVM_BLK_QERR_HEAD);
	EXPECT_EQ(-1, drv_start(&self->d));
	EXPECT_EQ(EIO, errno);
	ASSERT_EQ(0, ioctl(self->d.fd, LKVM_BLK_RESET));
	ASSERT_EQ(0, ioctl(self->d.fd, LKVM_BLK_GET_FEATURES, &features));
	ASSERT_EQ(0, ioctl(self->d.fd, LKVM_BLK_SET_FEATURES, &features));
	ASSERT_EQ(0, drv_set_mem(&self->d, &r, 1));
	ASSERT_EQ(0, drv_config_ring(&self->d, NUM));
	ASSERT_EQ(0, drv_start(&self->d));
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(&self->d, VIRTIO_BLK_T_IN, 0, buf,
					  SECTOR));
	ASSERT_EQ(0, drv_stats(self->d.id, &st));
	EXPECT_EQ(LKVM_BLK_QUEUE_RUNNING, st.state);
	EXPECT_EQ(1, st.ring_errors);
	EXPECT_EQ(1, st.requests);
}

/* A descriptor that is plausible often enough to reach deep checks. */
static struct vring_desc random_desc(struct drv *d, uint64_t *st,
				     uint64_t table_end)
{
	static const uint32_t lens[] = { 0, 1, 15, 16, 512, 4096, 65536,
					 0xffffffff };
	uint64_t r = rnd(st);
	struct vring_desc desc;

	switch (r % 4) {
	case 0:	/* anywhere in the table */
		desc.addr = DRV_GPA_BASE + (rnd(st) % table_end);
		break;
	case 1:	/* just past its end */
		desc.addr = DRV_GPA_BASE + table_end - (rnd(st) % 8192);
		break;
	case 2:	/* a slot buffer */
		desc.addr = drv_gpa(d, drv_slot(d, rnd(st) % 8));
		break;
	default:
		desc.addr = rnd(st);
	}
	desc.len = r & 0x100 ? lens[(r >> 9) % 8] : rnd(st) % 70000;
	desc.flags = (r >> 20) & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE |
				  VRING_DESC_F_INDIRECT);
	desc.next = r & 0x200000 ? (r >> 24) % NUM : (r >> 24) & 0xffff;
	return desc;
}

/* Waits until the queue has looked at everything or gave up on it. */
static void settle(struct __test_metadata *_metadata, struct drv *d)
{
	struct drv_stats st;

	for (int tries = 0; tries < 2000; tries++) {
		ASSERT_EQ(0, drv_stats(d->id, &st));
		if (st.state != LKVM_BLK_QUEUE_RUNNING ||
		    (st.last_avail == d->avail_idx && !st.inflight))
			return;
		usleep(500);
	}
	ASSERT_TRUE(0) TH_LOG("queue neither served nor failed");
}

/* Queues up to 8 well-formed requests of random kinds. */
static void random_requests(struct drv *d, uint64_t *st)
{
	static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
					  VIRTIO_BLK_T_FLUSH,
					  VIRTIO_BLK_T_GET_ID };
	unsigned int n = 1 + rnd(st) % 8;

	d->indirect = rnd(st) & 1;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t type = types[rnd(st) % 4];
		uint32_t len = type == VIRTIO_BLK_T_FLUSH ? 0 :
			       SECTOR * (1 + rnd(st) % 16);

		drv_queue(d, i, type, rnd(st) % (BACKING_SIZE / SECTOR + 4),
			  len);
	}
}

/* Overwrites one random field of the ring or of an indirect table. */
static void mutate(struct drv *d, uint64_t *st, uint64_t table_end)
{
	struct vring_desc *ind = (void *)(d->mem + DRV_INDIRECT_OFF);
	struct vring_desc rd = random_desc(d, st, table_end);
	struct vring_desc *t = rnd(st) & 1 ? &d->desc[rnd(st) % 24] :
					     &ind[rnd(st) % (8 * 256)];

	switch (rnd(st) % 6) {
	case 0:
		t->addr = rd.addr;
		break;
	case 1:
		t->len = rd.len;
		break;
	case 2:
		t->flags = rd.flags;
		break;
	case 3:
		t->next = rd.next;
		break;
	case 4:
		d->avail->ring[rnd(st) % 8] = rnd(st) % (NUM + NUM / 8);
		break;
	default:
		d->avail_idx += rnd(st) % 2 ? NUM : rnd(st) % 4;
	}
}

/*
 * 300 rounds of well-formed requests with one to three random fields
 * overwritten: the module must never touch the mapped memory past the end
 * of the table, never hang, count every failure, and keep working for a
 * well-formed ring afterwards.
 */
TEST_F(blk, hostile_random_rings)
{
	const size_t table = DRV_MEM_SIZE - (1UL << 20);
	struct lkvm_blk_mem_region r = { DRV_GPA_BASE, table,
					 (uintptr_t)self->d.mem, 0 };
	struct drv *d = &self->d;
	uint64_t st = 0x6c6b766d2d626c6bULL, features;
	unsigned int errors = 0;
	uint8_t buf[SECTOR];
	struct drv_stats s;

	memset(d->mem + table, 0xa5, 1UL << 20);
	ASSERT_EQ(0, drv_set_mem(d, &r, 1));
	ASSERT_EQ(0, ioctl(d->fd, LKVM_BLK_GET_FEATURES, &features));
	for (int round = 0; round < 300; round++) {
		ASSERT_EQ(0, ioctl(d->fd, LKVM_BLK_RESET));
		ASSERT_EQ(0, ioctl(d->fd, LKVM_BLK_SET_FEATURES, &features));
		ASSERT_EQ(0, drv_config_ring(d, NUM));
		random_requests(d, &st);
		for (unsigned int m = rnd(&st) % 4; m; m--)
			mutate(d, &st, table);
		ASSERT_EQ(0, drv_start(d));
		drv_publish_avail(d, d->avail_idx);
		drv_kick(d);
		settle(_metadata, d);
		ASSERT_EQ(0, drv_stats(d->id, &s));
		errors += s.state == LKVM_BLK_QUEUE_ERROR;
	}
	for (size_t i = table; i < DRV_MEM_SIZE; i++)
		ASSERT_EQ(0xa5, d->mem[i]);
	EXPECT_EQ(errors, s.ring_errors);
	TH_LOG("%u of 300 rounds ended in a queue error", errors);
	/* A well-formed ring works again after the last reset. */
	d->indirect = false;
	ASSERT_EQ(0, ioctl(d->fd, LKVM_BLK_RESET));
	ASSERT_EQ(0, ioctl(d->fd, LKVM_BLK_SET_FEATURES, &features));
	ASSERT_EQ(0, drv_config_ring(d, NUM));
	ASSERT_EQ(0, drv_start(d));
	EXPECT_EQ(VIRTIO_BLK_S_OK, drv_io(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR));
}

int main(int argc, char **argv)
{
	if (access("/dev/lkvm-blk", R_OK | W_OK))
		ksft_exit_skip("/dev/lkvm-blk: %s (is lkvm.ko loaded?)\n",
			       strerror(errno));
	return test_harness_run(argc, argv);
}
