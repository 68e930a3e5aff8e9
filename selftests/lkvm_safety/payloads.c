// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm run as users run it, sandbox on by default, on each accelerator:
 * a guest that spins forever runs under Seccomp mode 2 without
 * capabilities until SIGTERM or SIGINT ends it promptly with 128 + signal
 * and one line; --no-sandbox turns all that off; a triple fault ends with
 * status 1 and its line.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "safety.h"

#define START_MS	10000	/* for lkvm to set up and enter its sandbox */
#define STOP_MS		2000	/* "promptly" */

FIXTURE(run) {
	char spin[64];		/* a flat binary: jmp . */
	struct vm_proc vm;
	bool started;
};

FIXTURE_VARIANT(run) {
	const char *accel;
};

FIXTURE_VARIANT_ADD(run, kvm) { .accel = "kvm" };
FIXTURE_VARIANT_ADD(run, tcg) { .accel = "tcg" };

FIXTURE_SETUP(run)
{
	FILE *f;
	int fd;

	if (access(lkvm_path(), X_OK))
		SKIP(return, "%s is not built", lkvm_path());
	if (!strcmp(variant->accel, "kvm") && !kvm_usable())
		SKIP(return, "/dev/kvm is not usable here");
	strcpy(self->spin, "/tmp/lkvm-spin-XXXXXX");
	fd = mkstemp(self->spin);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	ASSERT_NE(NULL, f);
	fputs("\xeb\xfe", f);
	fclose(f);
}

FIXTURE_TEARDOWN(run)
{
	if (self->started)
		vm_release(&self->vm);
	if (self->spin[0])
		unlink(self->spin);
}

static int start_spin(FIXTURE_DATA(run) *self, const char *accel,
		      const char *extra)
{
	const char *args[] = { "run", "--accel", accel, "--flat", "-m", "16",
			       "-k", self->spin, extra, NULL };

	self->started = !vm_start(&self->vm, args);
	return self->started ? 0 : -1;
}

/* Waits until lkvm's filter is in: Seccomp 2 in its status. */
static bool wait_sandboxed(pid_t pid)
{
	long long deadline = now_ms() + START_MS;
	struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };

	while (proc_status(pid, 0, "Seccomp", 10) != 2) {
		if (now_ms() >= deadline)
			return false;
		nanosleep(&tick, NULL);
	}
	return true;
}

/* The number of lkvm's threads with a permitted or effective capability. */
static int threads_with_caps(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		pid_t tid = atoi(de->d_name);

		if (tid > 0 && (proc_status(pid, tid, "CapPrm", 16) ||
				proc_status(pid, tid, "CapEff", 16)))
			n++;
	}
	closedir(dir);
	return n;
}

static void stop_with(struct __test_metadata *_metadata, struct vm_proc *vm,
		      int sig)
{
	char expect[64];
	long long t0;
	char *err;
	int st;

	/* A spinning guest keeps lkvm running. */
	usleep(300 * 1000);
	ASSERT_EQ(0, waitpid(vm->pid, &st, WNOHANG));
	t0 = now_ms();
	ASSERT_EQ(0, kill(vm->pid, sig));
	st = vm_wait_exit(vm, STOP_MS);
	TH_LOG("stopped %lld ms after signal %d", now_ms() - t0, sig);
	ASSERT_NE(-1, st) TH_LOG("still running %d ms after the signal", STOP_MS);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(128 + sig, WEXITSTATUS(st));
	err = vm_read(vm->err);
	snprintf(expect, sizeof(expect), "lkvm: stopped by signal %d\n", sig);
	EXPECT_STREQ(expect, err);
	free(err);
}

TEST_F_TIMEOUT(run, sandboxed_until_sigterm, 30)
{
	ASSERT_EQ(0, start_spin(self, variant->accel, NULL));
	ASSERT_TRUE(wait_sandboxed(self->vm.pid));
	EXPECT_EQ(1, proc_status(self->vm.pid, 0, "NoNewPrivs", 10));
	EXPECT_EQ(1, proc_status(self->vm.pid, 0, "Seccomp_filters", 10));
	EXPECT_EQ(0, threads_with_caps(self->vm.pid));
	stop_with(_metadata, &self->vm, SIGTERM);
}

TEST_F_TIMEOUT(run, sigint, 30)
{
	ASSERT_EQ(0, start_spin(self, variant->accel, NULL));
	ASSERT_TRUE(wait_sandboxed(self->vm.pid));
	stop_with(_metadata, &self->vm, SIGINT);
}

/* The opt-out: no filter, and root keeps its capabilities. */
TEST_F_TIMEOUT(run, no_sandbox, 30)
{
	ASSERT_EQ(0, start_spin(self, variant->accel, "--no-sandbox"));
	/* The control socket is the last thing set up before the vCPUs. */
	usleep(500 * 1000);
	EXPECT_EQ(0, proc_status(self->vm.pid, 0, "Seccomp", 10));
	EXPECT_EQ(0, proc_status(self->vm.pid, 0, "NoNewPrivs", 10));
	if (proc_status(getpid(), 0, "CapEff", 16))
		EXPECT_LT(0, threads_with_caps(self->vm.pid));
	stop_with(_metadata, &self->vm, SIGTERM);
}

TEST_F_TIMEOUT(run, triple_fault, 30)
{
	const char *args[] = { "run", "--accel", variant->accel, "-m", "16",
			       "-k", payload_path("triple.elf"), NULL };
	const char *line = "lkvm: guest triple-faulted";
	char *err;
	int st;

	if (access(payload_path("triple.elf"), R_OK))
		SKIP(return, "the guest payloads are not built");
	ASSERT_EQ(0, vm_start(&self->vm, args));
	self->started = true;
	st = vm_wait_exit(&self->vm, 20000);
	ASSERT_NE(-1, st);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, WEXITSTATUS(st));
	err = vm_read(self->vm.err);
	TH_LOG("stderr: %s", err);
	EXPECT_EQ(0, strncmp(err, line, strlen(line)));
	/* One line. */
	EXPECT_EQ(strchr(err, '\n') + 1, err + strlen(err));
	free(err);
}

TEST_HARNESS_MAIN
