// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lkvm_run.h"

#define MAX_ARGS 32

const char *const lkvm_reg_names[LKVM_NR_REGS] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "rflags",
};

static const char *rel_to_self(const char *rel)
{
	static char buf[2][PATH_MAX];
	static int which;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *out = buf[which++ % 2];

	if (n < 0)
		n = 0;
	self[n] = '\0';
	snprintf(out, PATH_MAX, "%s/%s", dirname(self), rel);
	return out;
}

const char *lkvm_binary(void)
{
	const char *env = getenv("LKVM");

	return env && *env ? env : rel_to_self("../../tools/lkvm/lkvm");
}

const char *guest_file(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s",
		 rel_to_self("../../tools/lkvm/guest"), name);
	return buf;
}

bool nobody_ids(unsigned int *uid, unsigned int *gid)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");

	if (!pw)
		return false;
	*uid = pw->pw_uid;
	*gid = gr ? gr->gr_gid : pw->pw_gid;
	return true;
}

bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Supplementary groups for a child run as nobody: /dev/kvm's or none. */
static int nobody_groups(const struct lkvm_opts *opts)
{
	struct stat st;
	gid_t gid;

	if (!opts->kvm_group)
		return setgroups(0, NULL);
	if (stat("/dev/kvm", &st))
		return -1;
	gid = st.st_gid;
	return setgroups(1, &gid);
}

/* In the child: failures are reported on the captured stderr. */
static void child_setup(const struct lkvm_opts *opts, int out, int err)
{
	int null = open("/dev/null", O_RDONLY);
	unsigned int uid, gid;

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	if (opts->empty_dev &&
	    (unshare(CLONE_NEWNS) ||
	     mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	     mount("none", "/dev", "tmpfs", 0, "mode=755"))) {
		perror("test: empty /dev");
		_exit(126);
	}
	if (opts->home &&
	    (setenv("HOME", opts->home, 1) || unsetenv("XDG_RUNTIME_DIR"))) {
		perror("test: setting HOME");
		_exit(126);
	}
	if (opts->as_nobody &&
	    (!nobody_ids(&uid, &gid) || nobody_groups(opts) ||
	     setresgid(gid, gid, gid) || setresuid(uid, uid, uid))) {
		perror("test: dropping to nobody");
		_exit(126);
	}
}

static void read_capture(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static void wait_child(pid_t pid, int timeout_ms, struct lkvm_result *r)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int st;

	if (pidfd >= 0 && poll(&p, 1, timeout_ms) == 0) {
		kill(pid, SIGKILL);
		r->timed_out = true;
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->exited = WIFEXITED(st) && !r->timed_out;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	r->core_dumped = WIFSIGNALED(st) && WCOREDUMP(st);
}

int lkvm_run(const struct lkvm_opts *opts, struct lkvm_result *r, ...)
{
	const char *argv[MAX_ARGS];
	int argc = 0, out, err;
	va_list ap;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	argv[argc++] = lkvm_binary();
	va_start(ap, r);
	while (argc < MAX_ARGS - 1 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	out = memfd_create("lkvm-stdout", MFD_CLOEXEC);
	err = memfd_create("lkvm-stderr", MFD_CLOEXEC);
	if (out < 0 || err < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		child_setup(opts, out, err);
		execv(argv[0], (char **)argv);
		fprintf(stderr, "test: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	wait_child(pid, opts->timeout_ms, r);
	read_capture(out, r->out, sizeof(r->out));
	read_capture(err, r->err, sizeof(r->err));
	return 0;
}

int stderr_lines(const struct lkvm_result *r)
{
	int n = 0;

	for (const char *p = r->err; *p; p++)
		if (*p == '\n' || !p[1])
			n++;
	return n;
}

/* "lkvm: regs rax=%016llx ... rflags=%016llx", names in lkvm_reg_names order. */
static bool parse_regs(const char *line, uint64_t regs[LKVM_NR_REGS])
{
	const char *p = line + strlen("lkvm: regs");

	for (int i = 0; i < LKVM_NR_REGS; i++) {
		size_t len = strlen(lkvm_reg_names[i]);
		char *end;

		if (*p++ != ' ' || strncmp(p, lkvm_reg_names[i], len) ||
		    p[len] != '=')
			return false;
		p += len + 1;
		regs[i] = strtoull(p, &end, 16);
		if (end - p != 16)
			return false;
		p = end;
	}
	return *p == '\n' || !*p;
}

bool split_stderr(const struct lkvm_result *r, char *rest, size_t size,
		  uint64_t regs[LKVM_NR_REGS])
{
	bool found = false, ok = true;
	const char *p = r->err;
	size_t used = 0;

	if (rest)
		rest[0] = '\0';
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (!strncmp(p, "lkvm: regs ", 11)) {
			ok &= !found && (!regs || parse_regs(p, regs));
			found = true;
		} else if (rest && used + len < size) {
			memcpy(rest + used, p, len);
			used += len;
			rest[used] = '\0';
		}
		p += len;
	}
	return ok && (found || !regs);
}
