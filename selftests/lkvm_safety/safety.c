// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "safety.h"

static const char *beside_self(const char *rel, char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	snprintf(buf, size, "%s/%s", dirname(self), rel);
	return buf;
}

const char *lkvm_path(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("LKVM");

	return env && *env ? env : beside_self("../../tools/lkvm/lkvm", buf,
					       sizeof(buf));
}

const char *payload_path(const char *name)
{
	static char buf[PATH_MAX + 64];
	char dir[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s",
		 beside_self("../../tools/lkvm/guest", dir, sizeof(dir)), name);
	return buf;
}

bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int vm_start_wrapped(struct vm_proc *p, const char *const *wrapper,
		     const char *const *args)
{
	const char *argv[48];
	int n = 0, i;

	for (i = 0; wrapper && wrapper[i] && n < 8; i++)
		argv[n++] = wrapper[i];
	argv[n++] = lkvm_path();
	for (i = 0; args[i] && n < 46; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	p->reaped = false;
	p->out = memfd_create("lkvm-stdout", MFD_CLOEXEC);
	p->err = memfd_create("lkvm-stderr", MFD_CLOEXEC);
	if (p->out < 0 || p->err < 0)
		return -1;
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (!p->pid) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(p->out, 1) < 0 ||
		    dup2(p->err, 2) < 0)
			_exit(126);
		execv(argv[0], (char **)argv);
		fprintf(stderr, "test: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	p->pidfd = syscall(SYS_pidfd_open, p->pid, 0);
	return p->pidfd < 0 ? -1 : 0;
}

int vm_start(struct vm_proc *p, const char *const *args)
{
	return vm_start_wrapped(p, NULL, args);
}

/* Is /proc/@pid/comm @name? */
static bool comm_is(pid_t pid, const char *name)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return !strcmp(comm, name);
}

pid_t child_named(pid_t pid, const char *name, int ms)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	long long deadline = now_ms() + ms;
	char path[64];
	int child;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	while (now_ms() < deadline) {
		f = fopen(path, "re");
		while (f && fscanf(f, "%d", &child) == 1)
			if (comm_is(child, name)) {
				fclose(f);
				return child;
			}
		if (f)
			fclose(f);
		nanosleep(&tick, NULL);
	}
	return 0;
}

char *vm_read(int fd)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st))
		st.st_size = 0;
	buf = malloc(st.st_size + 1);
	if (!buf)
		abort();
	n = pread(fd, buf, st.st_size, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static bool exited(struct vm_proc *p)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0;
}

bool vm_wait_output(struct vm_proc *p, const char *text, int ms)
{
	long long deadline = now_ms() + ms;
	struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };

	for (;;) {
		char *out = vm_read(p->out);
		bool found = strstr(out, text);

		free(out);
		if (found)
			return true;
		if (exited(p) || now_ms() >= deadline)
			return false;
		nanosleep(&tick, NULL);
	}
}

int vm_wait_exit(struct vm_proc *p, int ms)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
	int st;

	p->reaped = true;
	if (poll(&pfd, 1, ms) <= 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &st, 0);
		return -1;
	}
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

void vm_release(struct vm_proc *p)
{
	/* A test that failed half-way must not leave a guest spinning. */
	if (!p->reaped)
		vm_wait_exit(p, 0);
	close(p->out);
	close(p->err);
	close(p->pidfd);
}

long long proc_status(pid_t pid, pid_t tid, const char *name, int base)
{
	size_t len = strlen(name);
	char path[64], line[256];
	long long val = -1;
	FILE *f;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			val = strtoll(line + len + 1, NULL, base);
	fclose(f);
	return val;
}
