// SPDX-License-Identifier: GPL-2.0
/*
 * Throughput of lkvm.ko's block backend, driven by the selftest driver:
 * requests/s and MiB/s for reads and writes at a few block sizes and queue
 * depths ("lkvm-*" lines), next to the same I/O done by pread/pwrite on the
 * backing file, one at a time ("sys-*" lines): what a process doing the I/O
 * itself gets, with no virtqueue at all.
 *
 * usage: lkvm_blk_bench [SECONDS]   (default: $LKVM_BENCH_SECS, else 1 per
 * configuration).  LKVM_BLK_DIR and LKVM_BLK_NULLB as for lkvm_blk_test.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lkvm_blk_drv.h"

#define BENCH_FILE_SIZE	(64UL << 20)
#define BENCH_NUM	128

struct bench_cfg {
	bool write;
	uint32_t bs;
	unsigned int qd;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sector of the next request: a stride through the file, bs aligned. */
static uint64_t next_sector(uint64_t *pos, uint32_t bs)
{
	uint64_t off = *pos;

	*pos = (*pos + bs * 7) % BENCH_FILE_SIZE;
	return off / 512;
}

static void report(const char *what, const struct bench_cfg *c,
		   unsigned long n, double secs)
{
	printf("# bench: %-9s %-5s bs=%-6u qd=%-3u %9.0f req/s %8.1f MiB/s\n",
	       what, c->write ? "write" : "read", c->bs, c->qd, n / secs,
	       n * (double)c->bs / secs / (1 << 20));
}

static int bench_module(int backing, const struct bench_cfg *c, double secs,
			const char *what)
{
	uint32_t type = c->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	unsigned long done_n = 0;
	struct drv_done done;
	uint64_t pos = 0;
	double t0, end;
	struct drv d;

	if (drv_open(&d, backing, BENCH_NUM)) {
		fprintf(stderr, "bench: cannot set up /dev/lkvm-blk: %s\n",
			strerror(errno));
		return -1;
	}
	d.indirect = true;
	for (unsigned int i = 0; i < c->qd; i++)
		drv_queue(&d, i, type, next_sector(&pos, c->bs), c->bs);
	drv_publish_avail(&d, d.avail_idx);
	drv_kick(&d);
	t0 = now();
	end = t0 + secs;
	while (now() < end) {
		/* Reap what is there, resubmit the same slots, kick once. */
		uint16_t old = d.avail_idx;
		unsigned int batch = 0;

		do {
			if (drv_wait(&d, &done, 5000) ||
			    done.status != VIRTIO_BLK_S_OK) {
				fprintf(stderr, "bench: request failed\n");
				drv_close(&d);
				return -1;
			}
			drv_queue(&d, done.head, type,
				  next_sector(&pos, c->bs), c->bs);
			batch++;
		} while (__atomic_load_n(&d.used->idx, __ATOMIC_ACQUIRE) !=
			 d.used_idx);
		done_n += batch;
		drv_publish_avail(&d, d.avail_idx);
		if (drv_kick_needed(&d, old))
			drv_kick(&d);
	}
	report(what, c, done_n, now() - t0);
	drv_close(&d);
	return 0;
}

/* The same pattern with pread/pwrite, one request at a time. */
static void bench_syscall(int backing, const struct bench_cfg *cfg,
			  double secs, const char *what)
{
	struct bench_cfg one = { cfg->write, cfg->bs, 1 }, *c = &one;
	unsigned long n = 0;
	uint64_t pos = 0;
	double t0 = now(), end = t0 + secs;
	void *buf;

	if (posix_memalign(&buf, 4096, c->bs))
		return;
	memset(buf, 0x5a, c->bs);
	while (now() < end) {
		off_t off = next_sector(&pos, c->bs) * 512;
		ssize_t r = c->write ? pwrite(backing, buf, c->bs, off) :
				       pread(backing, buf, c->bs, off);

		if (r != (ssize_t)c->bs)
			break;
		n++;
	}
	report(what, c, n, now() - t0);
	free(buf);
}

static int open_tmpfs_backing(void)
{
	const char *dir = getenv("LKVM_BLK_DIR") ?: "/tmp";
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/lkvm-bench-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	/* Allocate every block so reads measure data, not holes. */
	if (posix_fallocate(fd, 0, BENCH_FILE_SIZE)) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct bench_cfg cfgs[] = {
		{ false, 4096, 1 }, { false, 4096, 32 }, { true, 4096, 32 },
		{ false, 65536, 32 }, { true, 65536, 32 },
	};
	const char *nullb = getenv("LKVM_BLK_NULLB");
	const char *env_secs = getenv("LKVM_BENCH_SECS");
	double secs = argc > 1 ? atof(argv[1]) : env_secs ? atof(env_secs) : 1;
	int fd = open_tmpfs_backing(), ret = 0;

	if (fd < 0 || access("/dev/lkvm-blk", R_OK | W_OK)) {
		printf("1..0 # SKIP bench: no /dev/lkvm-blk or no scratch file\n");
		return 4;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++) {
		ret |= bench_module(fd, &cfgs[i], secs, "lkvm-tmpfs");
		bench_syscall(fd, &cfgs[i], secs, "sys-tmpfs");
	}
	close(fd);
	fd = nullb ? open(nullb, O_RDWR | O_DIRECT) : -1;
	for (size_t i = 0; fd >= 0 && i < ARRAY_SIZE(cfgs); i++) {
		ret |= bench_module(fd, &cfgs[i], secs, "lkvm-nullb");
		bench_syscall(fd, &cfgs[i], secs, "sys-nullb");
	}
	if (fd >= 0)
		close(fd);
	return ret ? 1 : 0;
}
