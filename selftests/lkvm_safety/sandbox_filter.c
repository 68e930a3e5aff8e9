// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm's seccomp sandbox (tools/lkvm/sandbox.c), installed here in the test
 * process itself: what lkvm needs after set-up still works, everything else
 * fails the way Documentation/sandbox.rst says, as the kernel enforces it.
 * Each test runs in its own child (the harness forks), so each installs the
 * filter once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sched.h>

#include "kselftest_harness.h"
#include "sandbox.h"

#define REFUSED_EXECVE	"lkvm: sandbox refused system call 59; it fails with EPERM"

/* A scratch file made before the sandbox closes the door on new ones. */
static int scratch_file(char *path, size_t size)
{
	snprintf(path, size, "/tmp/lkvm-sandbox-XXXXXX");
	return mkstemp(path);
}

static void *thread_write(void *arg)
{
	int fd = *(int *)arg;

	return (void *)(long)write(fd, "t", 1);
}

TEST(allowed_calls_work)
{
	char path[64], buf[8] = { 0 };
	struct timespec ts = { .tv_nsec = 1000 };
	pthread_t thread;
	int p[2], fd;
	void *ret;
	u_char *mem;

	fd = scratch_file(path, sizeof(path));
	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, sandbox_enter());

	ASSERT_EQ(4, pwrite(fd, "data", 4, 4096));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, fdatasync(fd));
	ASSERT_EQ(4, pread(fd, buf, 4, 4096));
	ASSERT_EQ(0, memcmp(buf, "data", 4));
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &ts));
	ASSERT_EQ(0, nanosleep(&(struct timespec){ .tv_nsec = 1000 }, NULL));
	ASSERT_LT(0, getpid());
	/* A thread, as lkvm starts its vCPUs after entering the sandbox. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, thread_write, &p[1]));
	ASSERT_EQ(0, pthread_join(thread, &ret));
	ASSERT_EQ(1, (long)ret);
	ASSERT_EQ(1, read(p[0], buf, 1));
	ASSERT_EQ(0, pthread_kill(pthread_self(), 0));
	/* Memory that is not executable, from mmap and from malloc. */
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	mem[12345] = 1;
	ASSERT_EQ(0, mprotect(mem, 4096, PROT_READ));
	ASSERT_EQ(0, munmap(mem, 1 << 20));
	mem = malloc(64 << 20);
	ASSERT_NE(NULL, mem);
	memset(mem, 1, 64 << 20);
	free(mem);
	ASSERT_EQ(0, close(fd));
}

/* Calls the filter refuses fail with EPERM, and do nothing. */
TEST(forbidden_calls_fail_with_eperm)
{
	char path[64], newpath[80];
	char *const argv[] = { "/bin/true", NULL };
	struct stat st;
	int fd;

	fd = scratch_file(path, sizeof(path));
	ASSERT_LE(0, fd);
	snprintf(newpath, sizeof(newpath), "%s.new", path);
	ASSERT_EQ(0, sandbox_enter());

	errno = 0;
	EXPECT_EQ(-1, execve(argv[0], argv, NULL));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_EQ(EPERM, errno);
	/* No new file, and no existing one either: nothing opens. */
	errno = 0;
	EXPECT_EQ(-1, open(newpath, O_WRONLY | O_CREAT, 0600));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, stat(newpath, &st));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDONLY));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, fork());
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, FIONREAD, &(int){ 0 }));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, kill(getppid(), 0));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_tgkill, getppid(), getppid(), 0));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, unlinkat(AT_FDCWD, path, 0));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
	EXPECT_EQ(EPERM, errno);
	/* The scratch file is still there: unlink() is allowed (control socket). */
	EXPECT_EQ(0, unlink(path));
}

/* One line on stderr for the first refusal of each call, none after. */
TEST(refusal_is_reported_once)
{
	int err = memfd_create("stderr", 0), status;
	char buf[512] = { 0 };
	pid_t pid;

	ASSERT_LE(0, err);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *const argv[] = { "/bin/true", NULL };

		dup2(err, STDERR_FILENO);
		if (sandbox_enter())
			_exit(10);
		execve(argv[0], argv, NULL);
		execve(argv[0], argv, NULL);
		/* Quietly refused: libnl's tap clean-up at exit. */
		socket(AF_NETLINK, SOCK_RAW, 0);
		_exit(errno == EPERM ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LT(0, pread(err, buf, sizeof(buf) - 1, 0));
	TH_LOG("stderr: %s", buf);
	EXPECT_EQ(0, strncmp(buf, REFUSED_EXECVE, strlen(REFUSED_EXECVE)));
	/* Exactly one line. */
	EXPECT_EQ(strchr(buf, '\n') + 1, buf + strlen(buf));
}

TEST(net_user_group_allows_inet_sockets_only)
{
	int fd;

	sandbox_allow(SANDBOX_NET_USER);
	ASSERT_EQ(0, sandbox_enter());
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	/* The kernel, not the filter, answers these. */
	errno = 0;
	EXPECT_EQ(-1, shutdown(fd, SHUT_RDWR));
	EXPECT_EQ(ENOTCONN, errno);
	errno = 0;
	connect(fd, (struct sockaddr *)&(struct sockaddr_in){
			.sin_family = AF_INET,
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
		sizeof(struct sockaddr_in));
	EXPECT_NE(EPERM, errno);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_LE(0, fd);
	close(fd);
	errno = 0;
	EXPECT_EQ(-1, socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, socket(AF_PACKET, SOCK_RAW, 0));
	EXPECT_EQ(EPERM, errno);
}

TEST(fs_group_allows_read_only_opens)
{
	struct open_how how = { .flags = O_RDONLY };
	char path[64];
	int fd;

	fd = scratch_file(path, sizeof(path));
	ASSERT_LE(0, fd);
	close(fd);
	sandbox_allow(SANDBOX_FS);
	ASSERT_EQ(0, sandbox_enter());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, fd);
	close(fd);
	fd = open("/", O_PATH | O_DIRECTORY | O_NOFOLLOW);
	EXPECT_LE(0, fd);
	close(fd);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDWR));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_WRONLY | O_TRUNC));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDONLY | O_APPEND));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, open("/tmp", O_TMPFILE | O_RDWR, 0600));
	EXPECT_EQ(EPERM, errno);
	/* openat2 cannot be checked: ENOSYS sends the server to openat. */
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)));
	EXPECT_EQ(ENOSYS, errno);
	EXPECT_EQ(0, unlink(path));
}

/* x32 numbers would get around the list: the process dies of SIGSYS. */
TEST(x32_calls_kill)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		if (sandbox_enter())
			_exit(10);
		syscall(__X32_SYSCALL_BIT | __NR_getpid);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSYS, WTERMSIG(status));
}

/* A field of a /proc status file opened before the sandbox; val[64]. */
static void status_field(int fd, const char *name, char *val)
{
	char buf[4096], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	val[0] = '\0';
	p = strstr(buf, name);
	if (p)
		sscanf(p + strlen(name), " %63s", val);
}

TEST(seccomp_mode_and_no_new_privs)
{
	int fd = open("/proc/self/status", O_RDONLY);
	char val[64];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sandbox_enter());
	status_field(fd, "\nSeccomp:", val);
	EXPECT_STREQ("2", val);
	status_field(fd, "\nNoNewPrivs:", val);
	EXPECT_STREQ("1", val);
}

struct waiter {
	int fd;
	_Atomic pid_t tid;
};

static void *wait_on_pipe(void *arg)
{
	struct waiter *w = arg;
	char c;

	w->tid = gettid();
	return (void *)(long)read(w->fd, &c, 1);
}

/* A thread that ran before sandbox_enter() loses its capabilities too. */
TEST(capabilities_dropped_in_every_thread)
{
	struct waiter w = { .tid = 0 };
	char path[64], val[64];
	pthread_t thread;
	int self, other, p[2];

	self = open("/proc/thread-self/status", O_RDONLY);
	ASSERT_LE(0, self);
	status_field(self, "\nCapEff:", val);
	if (!strtoull(val, NULL, 16))
		SKIP(return, "no capabilities to drop (not root)");
	ASSERT_EQ(0, pipe(p));
	w.fd = p[0];
	ASSERT_EQ(0, pthread_create(&thread, NULL, wait_on_pipe, &w));
	while (!w.tid)
		sched_yield();
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", w.tid);
	other = open(path, O_RDONLY);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, sandbox_enter());
	status_field(self, "\nCapEff:", val);
	EXPECT_EQ(0ULL, strtoull(val, NULL, 16));
	status_field(self, "\nCapPrm:", val);
	EXPECT_EQ(0ULL, strtoull(val, NULL, 16));
	status_field(other, "\nCapEff:", val);
	EXPECT_EQ(0ULL, strtoull(val, NULL, 16));
	status_field(other, "\nCapPrm:", val);
	EXPECT_EQ(0ULL, strtoull(val, NULL, 16));
	status_field(other, "\nSeccomp:", val);
	EXPECT_STREQ("2", val);
	ASSERT_EQ(1, write(p[1], "x", 1));
	pthread_join(thread, NULL);
}

TEST_HARNESS_MAIN
