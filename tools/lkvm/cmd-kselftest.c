// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm kselftest: runs an installed kselftest directory (the INSTALL_PATH of
 * "make -C tools/testing/selftests install") in a guest of the kernel under
 * test, and hands the guest's TAP and an overall verdict back to the host.
 *
 * The directory goes into the guest in a second initramfs archive
 * (initramfs-dir.c) after the one "lkvm run" makes; the guest runs
 * run_kselftest.sh between two marker lines.  A child process is "lkvm run"
 * with its console on a pipe: the parent passes what lies between the
 * markers to stdout, keeps the kernel's own console out of the TAP, counts
 * the results and enforces the time limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "initramfs.h"
#include "initramfs-dir.h"
#include "linux-boot.h"
#include "lkvm.h"

/* Exit statuses (Documentation/kernel-dev.rst). */
#define KSFT_PASSED	0	/* every test passed or skipped */
#define KSFT_FAILED	1	/* a test failed, or the guest died during them */
#define KSFT_NOT_RUN	125	/* no test ran: lkvm, boot or set-up failed */

#define GUEST_DIR	"/kselftest"
#define GUEST_SCRIPT	"lkvm/kselftest-run"
#define MARK_BEGIN	"@@lkvm-kselftest: begin"
#define MARK_END	"@@lkvm-kselftest: end "
#define MAX_SELECT	64
#define MAX_ADD_DIRS	16
#define TAIL_LINES	25
#define KILL_GRACE_S	5

/*
 * The guest's side.  busybox's timeout has no --foreground, which the
 * kselftest runner passes: a shim drops it.  The runner writes the tests'
 * output to /dev/stdout, which devtmpfs does not provide.  debugfs and
 * /dev/shm are mounted because many suites expect them.
 */
static const char guest_script[] =
	"ln -sf /proc/self/fd /dev/fd\n"
	"ln -sf /proc/self/fd/0 /dev/stdin\n"
	"ln -sf /proc/self/fd/1 /dev/stdout\n"
	"ln -sf /proc/self/fd/2 /dev/stderr\n"
	"rm -f /usr/bin/timeout\n"
	"printf '#!/bin/sh\\n[ \"$1\" = --foreground ] && shift\\n"
	"exec busybox timeout \"$@\"\\n' > /usr/bin/timeout\n"
	"chmod 755 /usr/bin/timeout\n"
	"mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null\n"
	"mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm\n"
	"cd " GUEST_DIR " || exit 1\n"
	"echo '" MARK_BEGIN "'\n"
	"./run_kselftest.sh \"$@\"\n"
	"echo \"" MARK_END "$?\"\n";

struct ksft_opts {
	const char *kernel;
	const char *params;
	const char *mem;
	const char *cpus;
	const char *accel;
	const char *dir;
	u64 timeout_s;
	bool verbose;
	char *select[MAX_SELECT];	/* run_kselftest.sh's -t/-c arguments */
	unsigned int nr_select;
	struct add_dir add[MAX_ADD_DIRS + 1];	/* [0] is the test directory */
	unsigned int nr_add;
};

enum { OPT_ACCEL = 0x100, OPT_ADD_DIR, OPT_TIMEOUT };

static const struct option ksft_options[] = {
	{ "kernel",	required_argument, NULL, 'k' },
	{ "test",	required_argument, NULL, 't' },
	{ "collection",	required_argument, NULL, 'c' },
	{ "params",	required_argument, NULL, 'p' },
	{ "mem",	required_argument, NULL, 'm' },
	{ "cpus",	required_argument, NULL, 'C' },
	{ "accel",	required_argument, NULL, OPT_ACCEL },
	{ "add-dir",	required_argument, NULL, OPT_ADD_DIR },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ }
};

static void ksft_usage(FILE *f)
{
	fputs("usage: lkvm kselftest [options] DIR\n"
	      "  DIR is an installed kselftest tree (run_kselftest.sh, kselftest-list.txt)\n"
	      "  -k, --kernel FILE        kernel to test (default: the newest /boot/vmlinuz-*)\n"
	      "  -t, --test COLL:TEST     run only this test; repeatable\n"
	      "  -c, --collection COLL    run only this collection; repeatable\n"
	      "  -p, --params STR         extra kernel command line\n"
	      "  -m, --mem MiB            guest memory (default 1024)\n"
	      "      --cpus N             vCPUs (default 1)\n"
	      "      --accel A            kvm, tcg or auto (default auto)\n"
	      "      --add-dir HOST[:GUEST]  also copy HOST into the guest; repeatable\n"
	      "      --timeout SECS       limit for the whole run (default 1800)\n"
	      "  -v, --verbose            the guest's console on stderr\n"
	      "exit status: 0 all passed or skipped, 1 a test failed, 2 usage,\n"
	      "             125 no test ran (lkvm or the boot failed)\n", f);
}

static int parse_ksft_option(struct ksft_opts *o, int c, const char *arg)
{
	u64 n;

	switch (c) {
	case 'k':
		o->kernel = arg;
		return 0;
	case 'p':
		o->params = arg;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case 'm':
		o->mem = arg;
		return parse_uint("-m", arg, 16, 65536, &n) ? 0 : -1;
	case 'C':
		o->cpus = arg;
		return parse_uint("--cpus", arg, 1, 64, &n) ? 0 : -1;
	case OPT_ACCEL:
		o->accel = arg;
		return 0;	/* lkvm run checks it */
	case OPT_TIMEOUT:
		return parse_uint("--timeout", arg, 1, 7 * 24 * 3600,
				  &o->timeout_s) ? 0 : -1;
	case OPT_ADD_DIR:
		if (o->nr_add > MAX_ADD_DIRS) {
			pr_err("--add-dir %s: at most %d", arg, MAX_ADD_DIRS);
			return -1;
		}
		return add_dir_parse(arg, &o->add[o->nr_add++]) ? 0 : -1;
	case 't':
	case 'c':
		if (o->nr_select + 2 > MAX_SELECT) {
			pr_err("-%c %s: at most %d tests and collections", c, arg,
			       MAX_SELECT / 2);
			return -1;
		}
		o->select[o->nr_select++] = c == 't' ? "-t" : "-c";
		o->select[o->nr_select++] = (char *)arg;
		return 0;
	}
	return -1;
}

/* Is @sel ("-t" COLL:TEST or "-c" COLL) in the directory's list? */
static bool selection_listed(const char *list, const char *opt,
			     const char *sel)
{
	size_t len = strlen(sel);
	const char *line;

	for (line = list; *line; line = strchr(line, '\n') + 1) {
		if (!strncmp(line, sel, len) &&
		    (opt[1] == 'c' ? line[len] == ':' :
		     (line[len] == '\n' || !line[len])))
			return true;
		if (!strchr(line, '\n'))
			break;
	}
	return false;
}

/* DIR must be an installed kselftest tree offering every -t and -c. */
static int check_test_dir(const struct ksft_opts *o)
{
	char path[PATH_MAX + 32];	/* the directory and a file name */
	unsigned int i;
	size_t size;
	char *list, *text;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/run_kselftest.sh", o->add[0].host);
	if (access(path, X_OK)) {
		pr_err("kselftest: %s has no run_kselftest.sh; give the INSTALL_PATH of 'make -C tools/testing/selftests install'",
		       o->dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/kselftest-list.txt", o->add[0].host);
	list = read_file(path, &size);
	if (!list)
		return -1;
	text = realloc(list, size + 1);	/* room for a terminating NUL */
	if (!text) {
		free(list);
		pr_err("out of memory");
		return -1;
	}
	list = text;
	list[size] = '\0';
	for (i = 0; i < o->nr_select && !ret; i += 2) {
		if (selection_listed(list, o->select[i], o->select[i + 1]))
			continue;
		pr_err("kselftest: %s %s: not in %s", o->select[i],
		       o->select[i + 1], path);
		ret = -1;
	}
	free(list);
	return ret;
}

static int parse_ksft_args(struct ksft_opts *o, int argc, char **argv)
{
	int c;

	*o = (struct ksft_opts) { .mem = "1024", .cpus = "1", .accel = "auto",
				  .timeout_s = 1800, .nr_add = 1 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:k:t:c:p:m:vh", ksft_options,
				NULL)) != -1) {
		if (c == 'h') {
			ksft_usage(stdout);
			exit(0);
		}
		if (c == '?' || c == ':') {
			pr_err("kselftest: %s option '%s' (see lkvm kselftest --help)",
			       c == ':' ? "missing argument for" : "unknown",
			       argv[optind - 1]);
			return -1;
		}
		if (parse_ksft_option(o, c, optarg))
			return -1;
	}
	if (optind != argc - 1) {
		pr_err("kselftest: give one kselftest directory (see lkvm kselftest --help)");
		return -1;
	}
	o->dir = argv[optind];
	if (!add_dir_parse(o->dir, &o->add[0]))
		return -1;
	strcpy(o->add[0].guest, GUEST_DIR);
	if (!o->kernel)
		o->kernel = linux_default_kernel();
	return o->kernel ? check_test_dir(o) : -1;
}

/*
 * lkvm's initramfs for the guest script, then ours with the script and the
 * directories, in one memory file.  Returns its fd, or -1 with a message.
 */
static int build_initramfs(const struct ksft_opts *o)
{
	char release[256], *argv[MAX_SELECT + 2];
	struct initramfs_config cfg;
	struct newc c;
	unsigned int i;
	int fd, is_linux = linux_kernel_release(o->kernel, release,
						 sizeof(release));

	if (is_linux <= 0) {
		if (!is_linux)
			pr_err("kselftest: %s is not a Linux kernel", o->kernel);
		return -1;
	}
	argv[0] = "sh";
	argv[1] = "/" GUEST_SCRIPT;
	memcpy(argv + 2, o->select, o->nr_select * sizeof(*argv));
	initramfs_defaults(&cfg);
	cfg.release = release;
	cfg.argc = o->nr_select + 2;
	cfg.argv = argv;
	fd = memfd_create("lkvm-kselftest-initramfs", 0);
	if (fd < 0) {
		pr_err("cannot create the initramfs: %s", strerror(errno));
		return -1;
	}
	if (initramfs_write(fd, &cfg))
		goto fail;
	newc_start(&c, fd);
	newc_entry(&c, GUEST_SCRIPT, S_IFREG | 0755, guest_script,
		   sizeof(guest_script) - 1);
	for (i = 0; i < o->nr_add; i++)
		if (newc_add_tree(&c, &o->add[i]))
			goto fail;
	if (!newc_finish(&c))
		return fd;
fail:
	close(fd);
	return -1;
}

/* The child: "lkvm run" with the console on @out_fd. */
static void __attribute__((noreturn))
run_guest(const struct ksft_opts *o, int initrd_fd, int out_fd)
{
	char initrd[64];
	char *argv[] = {
		"run", "-k", (char *)o->kernel, "-i", initrd,
		"-m", (char *)o->mem, "-c", (char *)o->cpus,
		"--accel", (char *)o->accel, "-p", (char *)o->params, NULL
	};
	int argc = ARRAY_SIZE(argv) - (o->params ? 1 : 3);

	argv[argc] = NULL;
	snprintf(initrd, sizeof(initrd), "/proc/self/fd/%d", initrd_fd);
	if (dup2(out_fd, STDOUT_FILENO) < 0 || !freopen("/dev/null", "r", stdin))
		die("kselftest: cannot redirect the guest's console: %s",
		    strerror(errno));
	close(out_fd);
	exit(cmd_run(argc, argv));
}

/* What the console said, line by line. */
struct console {
	enum { BEFORE_TESTS, IN_TESTS, AFTER_TESTS } state;
	int end_status;
	unsigned int passed, failed, skipped;
	bool verbose;
	char *tail[TAIL_LINES];		/* the last lines outside the TAP */
	unsigned int nr_tail;
	char line[4096];
	size_t len;
};

static void keep_tail(struct console *con, const char *line)
{
	unsigned int i = con->nr_tail++ % TAIL_LINES;

	free(con->tail[i]);
	con->tail[i] = strdup(line);
	if (con->verbose)
		fprintf(stderr, "%s\n", line);
}

/* "[   12.345678] ..." is the kernel's, not the tests'. */
static bool is_kernel_line(const char *s)
{
	char *end;

	if (*s++ != '[')
		return false;
	while (*s == ' ')
		s++;
	strtoul(s, &end, 10);
	return end != s && *end == '.' && strchr(end, ']');
}

static void tap_line(struct console *con, const char *line)
{
	if (is_kernel_line(line)) {
		printf("# kernel: %s\n", line);
		return;
	}
	printf("%s\n", line);
	if (!strncmp(line, "not ok ", 7))
		con->failed++;
	else if (!strncmp(line, "ok ", 3) && strstr(line, "# SKIP"))
		con->skipped++;
	else if (!strncmp(line, "ok ", 3))
		con->passed++;
}

static void console_line(struct console *con)
{
	char *line = con->line;

	line[con->len] = '\0';
	con->len = 0;
	line[strcspn(line, "\r")] = '\0';
	if (con->state == BEFORE_TESTS && !strcmp(line, MARK_BEGIN)) {
		con->state = IN_TESTS;
	} else if (con->state == IN_TESTS &&
		   !strncmp(line, MARK_END, strlen(MARK_END))) {
		con->end_status = atoi(line + strlen(MARK_END));
		con->state = AFTER_TESTS;
	} else if (con->state == IN_TESTS) {
		tap_line(con, line);
	} else {
		keep_tail(con, line);
	}
	fflush(stdout);
}

static void console_input(struct console *con, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n' || con->len == sizeof(con->line) - 1)
			console_line(con);
		if (buf[i] != '\n')
			con->line[con->len++] = buf[i];
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Reads the console until the child closes it.  At the deadline the child
 * gets SIGTERM (lkvm stops the guest), KILL_GRACE_S later SIGKILL.
 * Returns true if the time limit was hit.
 */
static bool watch_guest(struct console *con, int fd, pid_t child,
			u64 timeout_s)
{
	static const int signals[] = { SIGTERM, SIGKILL };
	long long deadline = now_ms() + timeout_s * 1000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned int sent = 0;
	char buf[4096];
	ssize_t n;

	for (;;) {
		long long left = deadline - now_ms();

		if (left <= 0 && sent < ARRAY_SIZE(signals)) {
			kill(child, signals[sent++]);
			deadline = now_ms() + KILL_GRACE_S * 1000;
			continue;
		}
		if (poll(&pfd, 1, left > 0 ? left : 1000) < 0 && errno != EINTR)
			break;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		console_input(con, buf, n);
	}
	if (con->len)
		console_line(con);
	return sent > 0;
}

static void show_tail(struct console *con)
{
	unsigned int i, n = con->nr_tail < TAIL_LINES ? con->nr_tail : TAIL_LINES;

	if (con->verbose || !n)
		return;
	fprintf(stderr, "lkvm: the guest's console ended with:\n");
	for (i = con->nr_tail - n; i < con->nr_tail; i++)
		fprintf(stderr, "  %s\n", con->tail[i % TAIL_LINES]);
}

/* Why the guest ended, for a message. */
static void describe_end(char *buf, size_t len, bool timed_out, int status,
			 u64 timeout_s)
{
	if (timed_out)
		snprintf(buf, len, "no end within --timeout %llu s",
			 (unsigned long long)timeout_s);
	else if (WIFEXITED(status))
		snprintf(buf, len, "lkvm exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(buf, len, "lkvm died of signal %d", WTERMSIG(status));
}

static int verdict(struct console *con, bool timed_out, int status,
		   u64 timeout_s)
{
	char why[96];

	describe_end(why, sizeof(why), timed_out, status, timeout_s);
	switch (con->state) {
	case BEFORE_TESTS:
		show_tail(con);
		pr_err("kselftest: the guest never started the tests (%s)", why);
		return KSFT_NOT_RUN;
	case IN_TESTS:
		show_tail(con);
		pr_err("kselftest: the guest stopped during the tests (%s); counted as a failure",
		       why);
		return KSFT_FAILED;
	case AFTER_TESTS:
		break;
	}
	fprintf(stderr, "lkvm: kselftest: %u passed, %u failed, %u skipped\n",
		con->passed, con->failed, con->skipped);
	if (con->failed)
		return KSFT_FAILED;
	if (!con->passed && !con->skipped) {
		pr_err("kselftest: no test ran (run_kselftest.sh exited with %d)",
		       con->end_status);
		return KSFT_NOT_RUN;
	}
	return KSFT_PASSED;
}

int cmd_kselftest(int argc, char **argv)
{
	struct console con = { 0 };
	struct ksft_opts o;
	int initrd_fd, pipe_fd[2], status = 0, ret;
	bool timed_out;
	unsigned int i;
	pid_t child;

	if (parse_ksft_args(&o, argc, argv))
		return LKVM_EXIT_USAGE;
	initrd_fd = build_initramfs(&o);
	if (initrd_fd < 0)
		return KSFT_NOT_RUN;
	fflush(NULL);
	child = pipe2(pipe_fd, O_CLOEXEC) ? -1 : fork();
	if (child < 0) {
		pr_err("kselftest: cannot start the guest: %s", strerror(errno));
		return KSFT_NOT_RUN;
	}
	if (!child) {
		close(pipe_fd[0]);
		run_guest(&o, initrd_fd, pipe_fd[1]);
	}
	close(pipe_fd[1]);
	close(initrd_fd);
	con.verbose = o.verbose;
	timed_out = watch_guest(&con, pipe_fd[0], child, o.timeout_s);
	close(pipe_fd[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	ret = verdict(&con, timed_out, status, o.timeout_s);
	for (i = 0; i < TAIL_LINES; i++)
		free(con.tail[i]);
	return ret;
}
