// SPDX-License-Identifier: GPL-2.0
/*
 * End to end: lkvm runs virtio_guest.elf, a small virtio-pci driver, on
 * each accelerator, with a disk whose contents the test chose.  The guest
 * checks what it reads; the test checks what the guest wrote, in the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define DISK_SIZE	65536
#define TIMEOUT_MS	60000

static char lkvm[PATH_MAX + 32], payload[PATH_MAX + 32];

/* Both next to this program in the tree, as the Makefile builds them. */
static void find_files(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *dir;

	self[n > 0 ? n : 0] = '\0';
	dir = dirname(self);
	snprintf(lkvm, sizeof(lkvm), "%s/../../tools/lkvm/lkvm", dir);
	snprintf(payload, sizeof(payload), "%s/virtio_guest.elf", dir);
}

/* Runs lkvm; returns its exit status (-1 on a signal or timeout). */
static int run_lkvm(const char *accel, const char *disk, char *out,
		    size_t size)
{
	int fds[2], status, len = 0;
	struct pollfd p;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execl(lkvm, lkvm, "run", "--accel", accel, "-k", payload,
		      "-d", disk, NULL);
		_exit(127);
	}
	close(fds[1]);
	p = (struct pollfd) { .fd = fds[0], .events = POLLIN };
	while (poll(&p, 1, TIMEOUT_MS) > 0) {
		ssize_t n = read(fds[0], out + len, size - 1 - len);

		if (n <= 0)
			break;
		len += n;
	}
	out[len] = '\0';
	close(fds[0]);
	kill(pid, SIGKILL);	/* no-op unless it hangs */
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FIXTURE(e2e) {
	const char *skip;	/* why the test cannot run here */
	char disk[64];
	int fd;
};

FIXTURE_VARIANT(e2e) {
	const char *accel;
};

FIXTURE_VARIANT_ADD(e2e, kvm) { .accel = "kvm" };
FIXTURE_VARIANT_ADD(e2e, tcg) { .accel = "tcg" };

FIXTURE_SETUP(e2e)
{
	u_int8_t buf[DISK_SIZE];
	int i;

	find_files();
	if (access(lkvm, X_OK) || access(payload, R_OK))
		self->skip = "build lkvm and virtio_guest.elf first";
	else if (!strcmp(variant->accel, "kvm") &&
		 access("/dev/kvm", R_OK | W_OK))
		self->skip = "/dev/kvm is not usable";
	if (self->skip)
		return;
	for (i = 0; i < DISK_SIZE; i++)
		buf[i] = i * 7 + 3;
	strcpy(self->disk, "/tmp/lkvm-e2e-XXXXXX");
	self->fd = mkstemp(self->disk);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(DISK_SIZE, write(self->fd, buf, DISK_SIZE));
}

FIXTURE_TEARDOWN(e2e)
{
	if (self->disk[0])
		unlink(self->disk);
}

TEST_F(e2e, rng_and_blk)
{
	u_int8_t sector[512];
	char out[4096];
	int i, status;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	status = run_lkvm(variant->accel, self->disk, out, sizeof(out));
	EXPECT_EQ(0, status);
	EXPECT_NE(NULL, strstr(out, "virtio guest: ok")) {
		TH_LOG("guest said: %s", out);
	}
	ASSERT_EQ(512, pread(self->fd, sector, 512, 1024));
	for (i = 0; i < 512; i++)
		if (sector[i] != (u_int8_t)(i * 5 + 1))
			break;
	EXPECT_EQ(512, i);
}

TEST_HARNESS_MAIN
