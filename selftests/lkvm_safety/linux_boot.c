// SPDX-License-Identifier: GPL-2.0
/*
 * Linux guests (the host's newest /boot/vmlinuz-*, on --accel tcg unless
 * $LKVM_SAFETY_ACCEL says otherwise), one boot per test:
 *   - data a guest wrote to its disk, with fsync or with O_DIRECT, is in
 *     the image after SIGTERM ends lkvm (128 + 15, one line), and a whole
 *     Linux boot ran under the sandbox (Seccomp 2) without a refusal;
 *   - a disk image on a full host file system gives the guest an I/O error,
 *     not a hang, and what was written before it is intact;
 *   - a guest kernel panic ends lkvm with a non-zero status, panic shown.
 * A boot that does not reach init within $LKVM_SAFETY_BOOT_TIMEOUT seconds
 * (default 120) skips, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "safety.h"

/* Printed by the guest's shell: the command's text does not contain it. */
#define MARKER		"lkvm-safety-42"
#define MARK_CMD	"echo lkvm-safety-$((6 * 7))"
#define STOP_MS		5000
#define RECORD		65536

static int boot_timeout_ms(void)
{
	const char *s = getenv("LKVM_SAFETY_BOOT_TIMEOUT");

	return (s && atoi(s) > 0 ? atoi(s) : 120) * 1000;
}

static const char *accel(void)
{
	const char *s = getenv("LKVM_SAFETY_ACCEL");

	return s && *s ? s : "tcg";
}

/* lkvm's default kernel is the host's newest: is there one? */
static bool have_kernel(void)
{
	FILE *p = popen("ls /boot/vmlinuz-* 2>/dev/null", "r");
	char line[256];
	bool found = p && fgets(line, sizeof(line), p);

	if (p)
		pclose(p);
	return found;
}

/* A sparse image of @size bytes in @dir; its path in @path. */
static int make_image(const char *dir, off_t size, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/disk.img", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, size)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Is [off, off + len) of @path @word repeated ("yes WORD" output)? */
static bool has_pattern(const char *path, off_t off, size_t len,
			const char *word)
{
	size_t wlen = strlen(word), i;
	char *buf = malloc(len);
	bool ok = buf != NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ok = ok && fd >= 0 && pread(fd, buf, len, off) == (ssize_t)len;
	for (i = 0; ok && i < len; i++)
		ok = buf[i] == (i % (wlen + 1) == wlen ? '\n' :
				word[i % (wlen + 1)]);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

static void log_output(struct __test_metadata *_metadata, struct vm_proc *vm)
{
	char *out = vm_read(vm->out), *err = vm_read(vm->err);
	size_t n = strlen(out);

	TH_LOG("stdout (end): %s", n > 1500 ? out + n - 1500 : out);
	TH_LOG("stderr: %s", err);
	free(out);
	free(err);
}

FIXTURE(boot) {
	char dir[64];
	char image[96];
	char log[96];		/* strace's, if any */
	struct vm_proc vm;
	pid_t lkvm;		/* lkvm itself, when vm runs strace */
	bool started;
};

FIXTURE_SETUP(boot)
{
	if (access(lkvm_path(), X_OK))
		SKIP(return, "%s is not built", lkvm_path());
	if (!have_kernel())
		SKIP(return, "no /boot/vmlinuz-* to boot");
	strcpy(self->dir, "/tmp/lkvm-safety-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(boot)
{
	/* strace would leave its tracee running. */
	if (self->lkvm > 0 && !self->vm.reaped)
		kill(self->lkvm, SIGKILL);
	if (self->started)
		vm_release(&self->vm);
	if (self->image[0])
		unlink(self->image);
	if (self->log[0])
		unlink(self->log);
	umount2(self->dir, MNT_DETACH);		/* the full-disk test's tmpfs */
	rmdir(self->dir);
}

static void start(struct __test_metadata *_metadata,
		  FIXTURE_DATA(boot) *self, const char *cmd)
{
	const char *args[] = { "run", "--accel", accel(), "-d", self->image,
			       "--", "sh", "-c", cmd, NULL };

	ASSERT_EQ(0, vm_start(&self->vm, args));
	self->started = true;
}

/* Successful fsync()s in an strace log so far; 0 without one. */
static int count_fsyncs(const char *log)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(log, "re");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, "fsync(") && strstr(line, "= 0");
	if (f)
		fclose(f);
	return n;
}

/*
 * Under strace (when there is one) to see the flush at exit: the guest's
 * own FLUSH comes before the marker, and nothing in the guest flushes after
 * it, so an fsync after SIGTERM is lkvm's.
 */
TEST_F_TIMEOUT(boot, sigterm_keeps_written_data, 300)
{
	const char *cmd =
		"yes lkvm-fsync | dd of=/dev/vda bs=64k count=4 iflag=fullblock conv=fsync 2>/dev/null; "
		"yes lkvm-direct | dd of=/dev/vda bs=64k seek=16 count=4 iflag=fullblock oflag=direct 2>/dev/null; "
		MARK_CMD "; sleep 600";
	const char *args[] = { "run", "--accel", accel(), "-d", self->image,
			       "--", "sh", "-c", cmd, NULL };
	const char *strace[] = { "/usr/bin/strace", "-f", "-qq", "--seccomp-bpf",
				 "-e", "trace=fsync,fdatasync", "-o", self->log,
				 NULL };
	bool traced = !access(strace[0], X_OK);
	const char *log = self->log;
	int st, fsyncs = 0;
	pid_t lkvm;
	char *err;

	snprintf(self->log, sizeof(self->log), "%s/strace.log", self->dir);
	ASSERT_EQ(0, make_image(self->dir, 16 << 20, self->image,
				sizeof(self->image)));
	ASSERT_EQ(0, vm_start_wrapped(&self->vm, traced ? strace : NULL, args));
	self->started = true;
	lkvm = traced ? child_named(self->vm.pid, "lkvm", 5000) : self->vm.pid;
	ASSERT_LT(0, lkvm);
	self->lkvm = lkvm;
	if (!vm_wait_output(&self->vm, MARKER, boot_timeout_ms())) {
		log_output(_metadata, &self->vm);
		ASSERT_EQ(0, waitpid(self->vm.pid, &st, WNOHANG))
			TH_LOG("lkvm ended before the guest's marker");
		kill(lkvm, SIGKILL);
		vm_wait_exit(&self->vm, STOP_MS);
		SKIP(return, "the guest did not reach init within %d s",
		     boot_timeout_ms() / 1000);
	}
	/* The whole Linux boot ran under the sandbox. */
	EXPECT_EQ(2, proc_status(lkvm, 0, "Seccomp", 10));
	if (traced)
		fsyncs = count_fsyncs(log);
	ASSERT_EQ(0, kill(lkvm, SIGTERM));
	st = vm_wait_exit(&self->vm, STOP_MS);
	log_output(_metadata, &self->vm);
	ASSERT_NE(-1, st) TH_LOG("lkvm still ran %d ms after SIGTERM", STOP_MS);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(128 + SIGTERM, WEXITSTATUS(st));
	err = vm_read(self->vm.err);
	EXPECT_STREQ("lkvm: stopped by signal 15\n", err);
	free(err);
	EXPECT_TRUE(has_pattern(self->image, 0, 4 * RECORD, "lkvm-fsync"));
	EXPECT_TRUE(has_pattern(self->image, 16 * RECORD, 4 * RECORD,
				"lkvm-direct"));
	if (traced) {
		TH_LOG("fsyncs: %d before SIGTERM, %d in all", fsyncs,
		       count_fsyncs(log));
		EXPECT_LT(0, fsyncs);
		EXPECT_LT(fsyncs, count_fsyncs(log));
	}
}

/* A private mount namespace with a @size tmpfs at @dir. */
static int small_fs(const char *dir, const char *size)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	if (unshare(CLONE_NEWNS) ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	return mount("tmpfs", dir, "tmpfs", 0, opts);
}

TEST_F_TIMEOUT(boot, full_host_disk_is_an_io_error, 300)
{
	const char *cmd =
		"yes lkvm-full | dd of=/dev/vda bs=64k count=64 iflag=fullblock oflag=direct; "
		"echo dd-status=$?; " MARK_CMD;
	unsigned int records = 0;
	char *out, *err, *p;
	int st;

	if (small_fs(self->dir, "1m"))
		SKIP(return, "cannot mount a tmpfs in a mount namespace: %s (needs root)",
		     strerror(errno));
	/* 16 MiB on a 1 MiB file system: the guest fills it up. */
	ASSERT_EQ(0, make_image(self->dir, 16 << 20, self->image,
				sizeof(self->image)));
	start(_metadata, self, cmd);
	st = vm_wait_exit(&self->vm, boot_timeout_ms());
	log_output(_metadata, &self->vm);
	out = vm_read(self->vm.out);
	if (st == -1 && !strstr(out, "records in")) {
		free(out);
		SKIP(return, "the guest did not reach init within %d s",
		     boot_timeout_ms() / 1000);
	}
	ASSERT_NE(-1, st) TH_LOG("lkvm hung on a full disk");
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_NE(NULL, strstr(out, "Input/output error"));
	EXPECT_NE(NULL, strstr(out, "dd-status=1"));
	EXPECT_NE(NULL, strstr(out, MARKER));
	p = strstr(out, "records out");
	ASSERT_NE(NULL, p);
	while (p > out && p[-1] != '\n')
		p--;
	records = strtoul(p, NULL, 10);
	TH_LOG("%u records of 64 KiB written before the error", records);
	/* Some data went in; no more than the 1 MiB file system holds. */
	EXPECT_LT(0U, records);
	EXPECT_GE(16U, records);
	EXPECT_TRUE(has_pattern(self->image, 0, records * RECORD, "lkvm-full"));
	err = vm_read(self->vm.err);
	EXPECT_NE(NULL, strstr(err, "No space left on device"));
	EXPECT_EQ(NULL, strstr(err, "sandbox refused"));
	free(err);
	free(out);
}

TEST_F_TIMEOUT(boot, guest_panic_ends_lkvm, 300)
{
	char *out, *err;
	int st;

	ASSERT_EQ(0, make_image(self->dir, 1 << 20, self->image,
				sizeof(self->image)));
	start(_metadata, self, "echo c > /proc/sysrq-trigger");
	st = vm_wait_exit(&self->vm, boot_timeout_ms());
	log_output(_metadata, &self->vm);
	out = vm_read(self->vm.out);
	if (st == -1 && !strstr(out, "sysrq")) {
		free(out);
		SKIP(return, "the guest did not reach init within %d s",
		     boot_timeout_ms() / 1000);
	}
	ASSERT_NE(-1, st) TH_LOG("lkvm did not end after the guest's panic");
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_NE(0, WEXITSTATUS(st));
	EXPECT_NE(NULL, strstr(out, "Kernel panic - not syncing"));
	err = vm_read(self->vm.err);
	EXPECT_EQ(0, strncmp(err, "lkvm: ", 6));
	EXPECT_EQ(NULL, strstr(err, "sandbox refused"));
	free(err);
	free(out);
}

TEST_HARNESS_MAIN
