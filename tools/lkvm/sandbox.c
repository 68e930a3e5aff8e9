// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm run's sandbox (Documentation/sandbox.rst).  A guest that finds a
 * bug in a device model owns the thread that runs it; the sandbox limits
 * what it can do with it to what running a guest needs: the system calls
 * lkvm makes after set-up (found with strace -f -c on payload runs and
 * Linux boots, and by reading the code), on descriptors it already has.
 *
 * A call outside the list traps (SIGSYS) instead of failing silently: the
 * handler names it once on stderr and makes it fail with EPERM, so that a
 * missing entry is one line and an ordinary error path, never a dead VMM.
 * The process gains nothing from the trap that EPERM would not give it: the
 * call was never made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/lkvm.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>

#include "sandbox.h"
#include "util.h"

/*
 * One system call the filter lets through (err 0) or fails quietly with
 * errno @err.  With @arg, only when the low 32 bits of argument arg - 1,
 * ANDed with @mask, are one of @vals (or getpid(), for @self): every
 * argument checked here is an int or unsigned int to the kernel.
 */
struct rule {
	int nr;
	int err;
	unsigned int arg;
	u32 mask;
	const u32 *vals;
	unsigned int nr_vals;
	bool self;
};

#define ONE_OF(...)	.vals = (const u32[]){ __VA_ARGS__ },			\
			.nr_vals = sizeof((const u32[]){ __VA_ARGS__ }) / sizeof(u32)
#define ALLOW(name)	{ .nr = __NR_##name }
#define ALLOW_IF(name, a, m, ...)						\
	{ .nr = __NR_##name, .arg = (a) + 1, .mask = (m), ONE_OF(__VA_ARGS__) }
#define FAIL(name, e)	{ .nr = __NR_##name, .err = (e) }

/* The hottest first: the filter is a linear search. */
static const struct rule base_rules[] = {
	/* The KVM ioctls of running vCPUs; terminal ones for stdio. */
	ALLOW_IF(ioctl, 1, ~0U, KVM_RUN, KVM_GET_REGS, KVM_SET_REGS,
		 KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_MP_STATE, KVM_SET_MSRS,
		 KVM_IRQ_LINE, KVM_SIGNAL_MSI, TCGETS, TCSETS, TCSETSW,
		 TCSETSF, TIOCGWINSZ),
	ALLOW(poll), ALLOW(ppoll), ALLOW(read), ALLOW(write), ALLOW(futex),
	/* Devices: disk images, eventfds, tap and socket backends. */
	ALLOW(pread64), ALLOW(pwrite64), ALLOW(readv), ALLOW(writev),
	ALLOW(preadv), ALLOW(pwritev), ALLOW(preadv2), ALLOW(pwritev2),
	ALLOW(lseek), ALLOW(fsync), ALLOW(fdatasync), ALLOW(fallocate),
	ALLOW(close), ALLOW(getrandom),
	ALLOW_IF(fcntl, 1, ~0U, F_GETFD, F_SETFD, F_GETFL, F_SETFL),
	/* The control socket: accept, peer check, request, response. */
	ALLOW(accept4), ALLOW(recvfrom), ALLOW(sendto), ALLOW(recvmsg),
	ALLOW(sendmsg), ALLOW(getsockopt), ALLOW(geteuid), ALLOW(getuid),
	/* ... and its removal at exit (lstat, then unlink). */
	ALLOW(newfstatat), ALLOW(fstat), ALLOW(unlink),
	/* Clocks and timers: the halt timer of KVM's vCPU 0, TCG's clock. */
	ALLOW(clock_gettime), ALLOW(clock_getres), ALLOW(gettimeofday),
	ALLOW(nanosleep), ALLOW(clock_nanosleep), ALLOW(sched_yield),
	ALLOW(timer_create), ALLOW(timer_settime), ALLOW(timer_gettime),
	ALLOW(timer_getoverrun), ALLOW(timer_delete),
	/* Signals: vCPU kicks go to our own threads only. */
	ALLOW(rt_sigreturn), ALLOW(rt_sigprocmask), ALLOW(rt_sigaction),
	ALLOW(restart_syscall), ALLOW(getpid), ALLOW(gettid),
	/* ASan's runtime gives each new thread an alternate signal stack. */
	ALLOW(sigaltstack),
	{ .nr = __NR_tgkill, .arg = 1, .mask = ~0U, .nr_vals = 1, .self = true },
	/* Memory, never executable: lkvm generates no host code. */
	ALLOW_IF(mmap, 2, PROT_EXEC, 0), ALLOW_IF(mprotect, 2, PROT_EXEC, 0),
	ALLOW(munmap), ALLOW(mremap), ALLOW(madvise), ALLOW(brk),
	/*
	 * Threads (the vCPUs), never processes.  clone3's flags are behind
	 * a pointer the filter cannot read: ENOSYS sends glibc to clone.
	 */
	ALLOW_IF(clone, 0, CLONE_THREAD, CLONE_THREAD), FAIL(clone3, ENOSYS),
	ALLOW(set_robust_list), ALLOW(rseq), ALLOW(sched_getaffinity),
	ALLOW(exit), ALLOW(exit_group),
	/*
	 * libnl deletes the taps lkvm created at exit; without capabilities
	 * it could not, and closing the tap's descriptor deletes it anyway.
	 */
	{ .nr = __NR_socket, .err = EPERM, .arg = 1, .mask = ~0U,
	  ONE_OF(AF_NETLINK) },
};

/* net-user.c: one non-blocking host socket per guest TCP or UDP flow. */
static const struct rule net_user_rules[] = {
	ALLOW_IF(socket, 0, ~0U, AF_INET),
	ALLOW(connect), ALLOW(shutdown),
};

/*
 * A shared directory, read-only.  openat2()'s flags are behind a pointer:
 * ENOSYS sends the server to openat() of single components with
 * O_NOFOLLOW, which is just as confined (fuse-server.c).
 */
static const struct rule fs_rules[] = {
	ALLOW_IF(openat, 2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND |
		 (O_TMPFILE & ~O_DIRECTORY), 0),
	FAIL(openat2, ENOSYS),
	ALLOW(getdents64), ALLOW(readlinkat), ALLOW(fstatfs),
	ALLOW(faccessat), ALLOW(faccessat2),
};

/* lkvm.ko: the ioctls that hand a queue over, stop and reset it. */
static const struct rule blk_kernel_rules[] = {
	ALLOW_IF(ioctl, 1, ~0U, LKVM_BLK_SET_MEM_TABLE, LKVM_BLK_SET_FEATURES,
		 LKVM_BLK_SET_VRING_NUM, LKVM_BLK_SET_VRING_ADDR,
		 LKVM_BLK_SET_VRING_BASE, LKVM_BLK_SET_VRING_KICK,
		 LKVM_BLK_SET_VRING_CALL, LKVM_BLK_SET_VRING_ERR,
		 LKVM_BLK_START, LKVM_BLK_STOP, LKVM_BLK_RESET),
};

static const struct rule_group {
	unsigned int group;
	const struct rule *rules;
	size_t nr_rules;
} rule_groups[] = {
	{ 0, base_rules, ARRAY_SIZE(base_rules) },
	{ SANDBOX_NET_USER, net_user_rules, ARRAY_SIZE(net_user_rules) },
	{ SANDBOX_FS, fs_rules, ARRAY_SIZE(fs_rules) },
	{ SANDBOX_BLK_KERNEL, blk_kernel_rules, ARRAY_SIZE(blk_kernel_rules) },
};

static unsigned int allowed_groups;

void sandbox_allow(unsigned int groups)
{
	allowed_groups |= groups;
}

/* Room for every rule with a handful of instructions each. */
#define MAX_INSNS	512
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i))

struct prog {
	struct sock_filter insn[MAX_INSNS];
	unsigned int len;
	bool acc_is_nr;		/* the accumulator holds the call number */
};

static void emit(struct prog *p, u16 code, u8 jt, u8 jf, u32 k)
{
	if (p->len < MAX_INSNS)
		p->insn[p->len] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	p->len++;
}

static void load_nr(struct prog *p)
{
	if (!p->acc_is_nr)
		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		     offsetof(struct seccomp_data, nr));
	p->acc_is_nr = true;
}

static u32 rule_action(const struct rule *r)
{
	return r->err ? SECCOMP_RET_ERRNO | r->err : SECCOMP_RET_ALLOW;
}

/*
 * nr == N ? (arg & mask in vals ? action : next rule) : next rule.  The
 * kernel's cache of always-allowed calls still sees through this: a
 * call's own path never loads an argument unless its rule checks one.
 */
static void emit_rule(struct prog *p, const struct rule *r, u32 pid)
{
	unsigned int n = r->nr_vals, i;
	bool masked = r->mask != ~0U;

	load_nr(p);
	if (!r->arg) {
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, r->nr);
		emit(p, BPF_RET | BPF_K, 0, 0, rule_action(r));
		return;
	}
	/* Not this call: past the argument load, the checks, ja and ret. */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1 + masked + n + 2, r->nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(r->arg - 1));
	if (masked)
		emit(p, BPF_ALU | BPF_AND | BPF_K, 0, 0, r->mask);
	for (i = 0; i < n; i++)
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, n - i, 0,
		     r->self ? pid : r->vals[i]);
	emit(p, BPF_JMP | BPF_JA, 0, 0, 1);
	emit(p, BPF_RET | BPF_K, 0, 0, rule_action(r));
	p->acc_is_nr = false;
}

/*
 * Another architecture's calls, or x86-64's x32 numbers (the same calls
 * under other numbers), would get around the list: they kill.
 */
static void emit_prologue(struct prog *p)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
	     offsetof(struct seccomp_data, arch));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	load_nr(p);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, __X32_SYSCALL_BIT);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
}

static int build_filter(struct prog *p)
{
	u32 pid = getpid();
	size_t g, i;

	p->len = 0;
	p->acc_is_nr = false;
	emit_prologue(p);
	for (g = 0; g < ARRAY_SIZE(rule_groups); g++) {
		const struct rule_group *rg = &rule_groups[g];

		if (rg->group && !(allowed_groups & rg->group))
			continue;
		for (i = 0; i < rg->nr_rules; i++)
			emit_rule(p, &rg->rules[i], pid);
	}
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
	return p->len <= MAX_INSNS ? 0 : -E2BIG;
}

/* Calls already named on stderr: each is named once. */
static atomic_ulong reported[8];

static bool first_report(unsigned int nr)
{
	unsigned long bit = 1UL << (nr % 64);

	if (nr >= 64 * ARRAY_SIZE(reported))
		return true;
	return !(atomic_fetch_or(&reported[nr / 64], bit) & bit);
}

/* Async-signal-safe: no stdio, only write(2), which the filter allows. */
static void report_refused(unsigned int nr)
{
	static const char head[] = "lkvm: sandbox refused system call ";
	static const char tail[] = "; it fails with EPERM (see Documentation/sandbox.rst; lkvm run --no-sandbox turns the sandbox off)\n";
	char msg[sizeof(head) + 10 + sizeof(tail)], num[10];
	size_t len = sizeof(head) - 1, n = 0;

	memcpy(msg, head, len);
	do
		num[n++] = '0' + nr % 10;
	while ((nr /= 10) && n < sizeof(num));
	while (n)
		msg[len++] = num[--n];
	memcpy(msg + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	if (write(STDERR_FILENO, msg, len) < 0)
		return;		/* nowhere left to say it */
}

static void sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	int saved_errno = errno;

	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
	if (first_report(si->si_syscall))
		report_refused(si->si_syscall);
	errno = saved_errno;
}

/* Capabilities are per thread: each thread drops its own. */
static int drop_own_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { };

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static void drop_caps_handler(int sig)
{
	int saved_errno = errno;

	drop_own_caps();
	errno = saved_errno;
}

/* Does thread @tid still have a permitted or effective capability? */
static bool thread_has_caps(int tid)
{
	unsigned long long prm = 0, eff = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return false;	/* the thread is gone */
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "CapPrm:", 7))
			prm = strtoull(line + 7, NULL, 16);
		else if (!strncmp(line, "CapEff:", 7))
			eff = strtoull(line + 7, NULL, 16);
	}
	fclose(f);
	return prm || eff;
}

/*
 * Counts the threads that still have capabilities, and with @kick sends
 * each of them the signal that makes it drop them.  -errno if the threads
 * cannot be listed.
 */
static int threads_with_caps(bool kick, int sig)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/task");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		int tid = atoi(de->d_name);

		if (tid <= 0 || !thread_has_caps(tid))
			continue;
		n++;
		if (kick)
			syscall(SYS_tgkill, getpid(), tid, sig);
	}
	closedir(dir);
	return n;
}

/*
 * Threads started during set-up (the control socket's, virtio-net's, TCG's
 * timer) drop theirs in a signal handler, as glibc's setuid() makes every
 * thread change its IDs.  lkvm blocks this signal nowhere.
 */
static int drop_caps(void)
{
	struct sigaction sa = { .sa_handler = drop_caps_handler,
				.sa_flags = SA_RESTART };
	struct timespec ms = { .tv_nsec = 1000 * 1000 };
	int sig = SIGRTMIN, ret, tries;

	ret = drop_own_caps();
	if (ret) {
		pr_err("sandbox: cannot drop capabilities: %s", strerror(-ret));
		return ret;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	ret = threads_with_caps(true, sig);
	for (tries = 0; ret > 0 && tries < 2000; tries++) {
		nanosleep(&ms, NULL);
		ret = threads_with_caps(false, sig);
	}
	if (ret) {
		pr_err("sandbox: %s", ret > 0 ?
		       "a thread kept its capabilities" : strerror(-ret));
		return ret > 0 ? -EPERM : ret;
	}
	signal(sig, SIG_DFL);
	return 0;
}

#ifdef __SANITIZE_ADDRESS__
/*
 * LeakSanitizer's check at exit stops the world through a helper that
 * ptrace()s every thread: a process clone, prctl(), ptrace(), /proc reads,
 * all refused by the filter, and the process would die at exit instead.
 * A sandboxed run skips the check; the same run with --no-sandbox has it.
 */
static bool filtered;

int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return filtered;
}
#endif

static int install_filter(void)
{
	static struct prog p;
	struct sock_fprog fprog = { .filter = p.insn };
	struct sigaction sa = { .sa_sigaction = sigsys_handler,
				.sa_flags = SA_SIGINFO };
	sigset_t sys;
	long ret;

	if (build_filter(&p)) {
		pr_err("sandbox: the filter has more than %d instructions",
		       MAX_INSNS);
		return -E2BIG;
	}
	fprog.len = p.len;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) ||
	    pthread_sigmask(SIG_UNBLOCK, &sys, NULL) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		pr_err("sandbox: cannot set up: %s", strerror(errno));
		return -errno;
	}
	/* TSYNC: the threads that already run get the filter too. */
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		      SECCOMP_FILTER_FLAG_TSYNC, &fprog);
	if (ret > 0) {
		pr_err("sandbox: thread %ld has a filter of its own", ret);
		return -EBUSY;
	}
	if (ret < 0) {
		pr_err("cannot install the seccomp filter: %s (lkvm run --no-sandbox runs without it)",
		       strerror(errno));
		return -errno;
	}
#ifdef __SANITIZE_ADDRESS__
	filtered = true;
#endif
	return 0;
}

int sandbox_enter(void)
{
	/* libc opens the time zone file on first use (the RTC's localtime()). */
	tzset();
	return drop_caps() ?: install_filter();
}
