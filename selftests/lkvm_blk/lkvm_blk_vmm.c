// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm itself on lkvm.ko: `lkvm run --accel tcg -k virtio_guest.elf
 * -d IMG,backend=kernel` (selftests/lkvm_virtio/virtio_guest.c: it reads
 * sectors 0-1, checks them, writes sector 2 and flushes).  Where
 * /dev/lkvm-blk exists (in the guest of run_guest.sh) the module must have
 * served exactly those requests, as its netlink counters tell; where it
 * does not (the build host) lkvm must say so in one line and serve the disk
 * itself.  Either way the guest's write must be in the file.
 *
 * The instance disappears when lkvm exits, so the test takes a copy of
 * lkvm's /dev/lkvm-blk descriptor (pidfd_getfd) while it runs, and reads
 * the counters afterwards, when every request has been posted.
 *
 * LKVM_BIN and LKVM_PAYLOAD override where lkvm and the payload are (by
 * default: in the tree, relative to this program).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lkvm_blk_drv.h"

#define DISK_SIZE	65536
#define TIMEOUT_MS	120000
#define BLK_DEV		"/dev/lkvm-blk"
#define NOTICE		"cannot open " BLK_DEV

static char lkvm[PATH_MAX + 32], payload[PATH_MAX + 32];

static void find_files(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *dir, *env;

	self[n > 0 ? n : 0] = '\0';
	dir = dirname(self);
	env = getenv("LKVM_BIN");
	if (env)
		snprintf(lkvm, sizeof(lkvm), "%s", env);
	else
		snprintf(lkvm, sizeof(lkvm), "%s/../../tools/lkvm/lkvm", dir);
	env = getenv("LKVM_PAYLOAD");
	if (env)
		snprintf(payload, sizeof(payload), "%s", env);
	else
		snprintf(payload, sizeof(payload),
			 "%s/../lkvm_virtio/virtio_guest.elf", dir);
}

/* @pid's descriptor of /dev/lkvm-blk, as ours; -1 if it has none. */
static int grab_instance(pid_t pid)
{
	char dir[64], fdpath[PATH_MAX], target[PATH_MAX];
	struct dirent *e;
	int pidfd, fd = -1;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while (fd < 0 && (e = readdir(d))) {
		snprintf(fdpath, sizeof(fdpath), "%s/%s", dir, e->d_name);
		n = readlink(fdpath, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, BLK_DEV))
			continue;
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			break;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		close(pidfd);
	}
	closedir(d);
	return fd;
}

static void read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (len < size - 1 && poll(&p, 1, TIMEOUT_MS) > 0) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
}

struct run {
	int status;		/* lkvm's exit status, -1 on signal */
	int instance;		/* copy of lkvm's /dev/lkvm-blk fd, or -1 */
	pid_t pid;
	char out[4096], err[4096];
};

/*
 * Runs lkvm on @disk with @opt appended; with @grab, copies its instance
 * descriptor as soon as it has one.
 */
static void run_lkvm(const char *disk, const char *opt, bool grab,
		     struct run *r)
{
	char arg[PATH_MAX + 64];
	int out[2], err[2], status, i;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%s%s", disk, opt);
	r->status = -1;
	r->instance = -1;
	if (pipe(out) || pipe(err))
		return;
	pid = fork();
	if (!pid) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		/* The sandbox has no rule for lkvm.ko's ioctls yet. */
		execl(lkvm, lkvm, "run", "--accel", "tcg",
		      "-k", payload, "-d", arg, NULL);
		_exit(127);
	}
	r->pid = pid;
	close(out[1]);
	close(err[1]);
	/* lkvm opens the instance before its guest runs: look until then. */
	for (i = 0; grab && r->instance < 0 && i < 20000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			goto reaped;
		r->instance = grab_instance(pid);
		usleep(1000);
	}
	read_all(out[0], r->out, sizeof(r->out));
	read_all(err[0], r->err, sizeof(r->err));
	kill(pid, SIGKILL);	/* no-op unless it hangs */
	waitpid(pid, &status, 0);
reaped:
	if (!r->out[0])
		read_all(out[0], r->out, sizeof(r->out));
	if (!r->err[0])
		read_all(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int count_lines(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

FIXTURE(vmm) {
	const char *skip;	/* why no test can run here */
	char disk[64];
	int fd;
	struct run run;
};

FIXTURE_SETUP(vmm)
{
	uint8_t buf[DISK_SIZE];
	int i;

	self->run.instance = -1;
	find_files();
	if (access(lkvm, X_OK) || access(payload, R_OK)) {
		self->skip = "build lkvm and selftests/lkvm_virtio first";
		return;
	}
	for (i = 0; i < DISK_SIZE; i++)
		buf[i] = i * 7 + 3;
	strcpy(self->disk, "/tmp/lkvm-vmm-XXXXXX");
	self->fd = mkstemp(self->disk);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(DISK_SIZE, write(self->fd, buf, DISK_SIZE));
}

FIXTURE_TEARDOWN(vmm)
{
	if (self->disk[0])
		unlink(self->disk);
	if (self->run.instance >= 0)
		close(self->run.instance);
}

/* The guest's checks passed and its sector 2 is in the file. */
static void check_guest(struct __test_metadata *_metadata,
			FIXTURE_DATA(vmm) *self)
{
	uint8_t sector[512];
	int i;

	EXPECT_EQ(0, self->run.status);
	EXPECT_NE(NULL, strstr(self->run.out, "virtio guest: ok")) {
		TH_LOG("guest said: %s; lkvm said: %s", self->run.out,
		       self->run.err);
	}
	ASSERT_EQ(512, pread(self->fd, sector, 512, 1024));
	for (i = 0; i < 512; i++)
		if (sector[i] != (uint8_t)(i * 5 + 1))
			break;
	EXPECT_EQ(512, i);
}

TEST_F(vmm, kernel_backend)
{
	struct drv_stats st;
	uint32_t id;

	if (self->skip || access(BLK_DEV, F_OK))
		SKIP(return, "%s", self->skip ?: "no " BLK_DEV " (no lkvm.ko)");
	run_lkvm(self->disk, ",backend=kernel", true, &self->run);
	check_guest(_metadata, self);
	EXPECT_EQ(NULL, strstr(self->run.err, "lkvm's own backend"));
	EXPECT_EQ(NULL, strstr(self->run.err, "in lkvm instead")) {
		TH_LOG("lkvm said: %s", self->run.err);
	}
	ASSERT_LE(0, self->run.instance) {
		TH_LOG("lkvm never opened %s", BLK_DEV);
	}
	ASSERT_EQ(0, ioctl(self->run.instance, LKVM_BLK_GET_ID, &id));
	ASSERT_EQ(0, drv_stats(id, &st));
	EXPECT_EQ(self->run.pid, st.owner_pid);
	/* virtio_guest.c: read 2 sectors, write 1, flush. */
	EXPECT_EQ(3, st.requests);
	EXPECT_EQ(1024, st.read_bytes);
	EXPECT_EQ(512, st.write_bytes);
	EXPECT_EQ(1, st.flushes);
	EXPECT_EQ(0, st.errors);
	EXPECT_EQ(0, st.ring_errors);
	EXPECT_EQ(DISK_SIZE / 512, st.capacity);
}

TEST_F(vmm, fallback_without_module)
{
	if (self->skip || !access(BLK_DEV, F_OK))
		SKIP(return, "%s", self->skip ?: BLK_DEV " exists");
	run_lkvm(self->disk, ",backend=kernel", false, &self->run);
	check_guest(_metadata, self);
	EXPECT_EQ(1, count_lines(self->run.err, NOTICE)) {
		TH_LOG("lkvm said: %s", self->run.err);
	}
	EXPECT_NE(NULL, strstr(self->run.err, "using lkvm's own backend"));
}

/* The default stays lkvm's own backend, module or not. */
TEST_F(vmm, user_backend)
{
	if (self->skip)
		SKIP(return, "%s", self->skip);
	run_lkvm(self->disk, ",backend=user", true, &self->run);
	check_guest(_metadata, self);
	EXPECT_EQ(-1, self->run.instance);
	EXPECT_EQ(0, count_lines(self->run.err, BLK_DEV));
}

TEST_F(vmm, bad_backend)
{
	if (self->skip)
		SKIP(return, "%s", self->skip);
	run_lkvm(self->disk, ",backend=vhost", false, &self->run);
	EXPECT_EQ(1, self->run.status);
	EXPECT_NE(NULL, strstr(self->run.err, "backend must be")) {
		TH_LOG("lkvm said: %s", self->run.err);
	}
}

TEST_HARNESS_MAIN
