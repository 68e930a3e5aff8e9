// SPDX-License-Identifier: GPL-2.0
/*
 * Requests/s of lkvm's virtio-blk with its queue served by lkvm.ko
 * (backend=kernel) and by lkvm itself (backend=user): the same payload
 * (blk_bench_guest.c: 4 KiB reads, 32 in flight on a ring of 128, polling)
 * on the same tmpfs file, in `lkvm run --accel tcg`.  Each rate is the
 * difference of two runs, a long and a short one, so that lkvm's start and
 * exit drop out; the best of three counts.  Run by scripts/bench-blk in a
 * guest with lkvm.ko loaded.
 *
 * usage: lkvm_blk_vmm_bench [READS]   (default $LKVM_VMM_BENCH_READS, else
 * 20000); LKVM_BIN and LKVM_BENCH_PAYLOAD say where lkvm and the payload are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCKS		1024	/* 4 MiB, cycled through */
#define BLOCK		4096
#define SHORT_READS	100
#define ROUNDS		3

static const char *lkvm, *payload;

/* Block b starts with (u8)b; block 0 holds the payload's orders. */
static int make_image(const char *path, uint32_t reads)
{
	static uint8_t buf[BLOCKS * BLOCK];
	uint32_t blocks = BLOCKS;
	int fd, i, ret = 0;

	for (i = 0; i < BLOCKS; i++)
		buf[i * BLOCK] = i;
	memcpy(buf, "LKBENCH", 8);
	memcpy(buf + 8, &reads, 4);
	memcpy(buf + 12, &blocks, 4);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
		ret = -1;
	if (fd >= 0)
		close(fd);
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds lkvm took for @reads reads, or -1 if the guest failed. */
static double run(const char *img, const char *backend, uint32_t reads)
{
	char arg[128];
	double t;
	int status;
	pid_t pid;

	if (make_image(img, reads))
		return -1;
	snprintf(arg, sizeof(arg), "%s,backend=%s", img, backend);
	t = now();
	pid = fork();
	if (!pid) {
		/* Guest output is the payload's one line: not needed here. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(lkvm, lkvm, "run", "--accel", "tcg",
		      "-k", payload, "-d", arg, NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return now() - t;
}

static double rate(const char *img, const char *backend, uint32_t reads)
{
	double best = 0, t_long, t_short;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		t_short = run(img, backend, SHORT_READS);
		t_long = run(img, backend, reads);
		if (t_short < 0 || t_long < 0)
			return -1;
		if (t_long > t_short &&
		    (reads - SHORT_READS) / (t_long - t_short) > best)
			best = (reads - SHORT_READS) / (t_long - t_short);
	}
	return best;
}

int main(int argc, char **argv)
{
	const char *env = getenv("LKVM_VMM_BENCH_READS");
	uint32_t reads = argc > 1 ? atoi(argv[1]) : env ? atoi(env) : 20000;
	char img[] = "/tmp/lkvm-vmm-bench-XXXXXX";
	double user, kernel;
	int fd;

	lkvm = getenv("LKVM_BIN") ?: "lkvm";
	payload = getenv("LKVM_BENCH_PAYLOAD") ?: "blk_bench_guest.elf";
	if (access("/dev/lkvm-blk", F_OK) || access(lkvm, X_OK) ||
	    access(payload, R_OK)) {
		printf("1..0 # SKIP vmm bench: no /dev/lkvm-blk, %s or %s\n",
		       lkvm, payload);
		return 4;
	}
	if (reads <= SHORT_READS) {
		fprintf(stderr, "vmm bench: READS must be more than %u\n",
			SHORT_READS);
		return 2;
	}
	fd = mkstemp(img);
	if (fd < 0) {
		fprintf(stderr, "vmm bench: %s: %s\n", img, strerror(errno));
		return 1;
	}
	close(fd);
	user = rate(img, "user", reads);
	kernel = rate(img, "kernel", reads);
	unlink(img);
	if (user <= 0 || kernel <= 0) {
		printf("not ok 1 vmm bench: a run failed or took no time\n");
		return 1;
	}
	printf("# vmm bench: lkvm tcg, 4 KiB reads, qd=32 ring=128, %u reads\n",
	       reads);
	printf("# vmm bench: backend=user   %9.0f req/s\n", user);
	printf("# vmm bench: backend=kernel %9.0f req/s\n", kernel);
	printf("# vmm bench: kernel/user    %9.2f\n", kernel / user);
	return 0;
}
