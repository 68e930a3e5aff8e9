// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket of lkvm run and its clients (Documentation/control.rst)
 * driven against a real guest on KVM: spin.elf, which counts forever and
 * prints a '.' to the serial port every 4096 iterations.  Expected values
 * come from outside lkvm: the payload's symbols from binutils' nm, process
 * ids and exit statuses from the kernel, protocol constants from the uapi
 * header.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lkvm.h>

#include "kselftest_harness.h"

#define GUEST_NAME	"T"
#define START_TIMEOUT_MS 5000
/* Generous: the guest makes ~10 steps a second on an emulating /dev/kvm. */
#define PROGRESS_TIMEOUT_MS 10000

static const char *lkvm_path(void)
{
	const char *p = getenv("LKVM");

	return p ? p : "../../tools/lkvm/lkvm";
}

/* LKVM_ACCEL=tcg runs the same tests on the TCG fallback. */
static char *accel(void)
{
	char *a = getenv("LKVM_ACCEL");

	return a ? a : "kvm";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Runs lkvm with the NULL-terminated arguments; returns its exit status. */
static int lkvm(char *out, size_t size, ...)
{
	char *argv[16] = { (char *)lkvm_path() };
	int pipefd[2], status, argc = 1;
	size_t done = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, size);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (size && done < size - 1 &&
	       (n = read(pipefd[0], out + done, size - 1 - done)) > 0)
		done += n;
	if (size)
		out[done] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static bool file_has(const char *path, const char *what)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, what);
}

static int connect_sock(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket left behind as by a guest that died: bound, never listened. */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		perror("bind");
	close(fd);
}

struct guest {
	pid_t pid;
	int status;		/* after guest_wait() */
	char out[256];		/* its serial output */
	char err[256];		/* its stderr */
	char sock[256];
};

/*
 * Starts @elf under lkvm run --name @name, up to its control socket and
 * @first_output (unless NULL); its stdout and stderr go to dir/tag.out and
 * dir/tag.err.
 */
static bool guest_start_elf(struct guest *g, const char *dir,
			    const char *name, const char *tag,
			    const char *elf, const char *first_output)
{
	char *argv[] = { (char *)lkvm_path(), "run", "--accel", accel(),
			 "-m", "16", "-k", (char *)elf, "--name", (char *)name,
			 NULL };
	long long end = now_ms() + START_TIMEOUT_MS;
	int fd;

	snprintf(g->out, sizeof(g->out), "%s/%s.out", dir, tag);
	snprintf(g->err, sizeof(g->err), "%s/%s.err", dir, tag);
	snprintf(g->sock, sizeof(g->sock), "%s/lkvm/%s.sock", dir, name);
	g->pid = fork();
	if (!g->pid) {
		int out = open(g->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(g->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(out, 1);
		dup2(err, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	while (now_ms() < end) {
		fd = connect_sock(g->sock);
		if (fd >= 0) {
			close(fd);
			if (!first_output || file_has(g->out, first_output))
				return true;
		}
		if (waitpid(g->pid, &g->status, WNOHANG) == g->pid) {
			g->pid = 0;
			return false;
		}
		sleep_ms(10);
	}
	return false;
}

/* spin.elf says "S", then spin_loop() prints dots. */
static bool guest_start(struct guest *g, const char *dir, const char *name,
			const char *tag)
{
	return guest_start_elf(g, dir, name, tag, "spin.elf", "S\n.");
}

/* Waits up to @ms for the guest's lkvm to end; false if it did not. */
static bool guest_wait(struct guest *g, int ms)
{
	long long end = now_ms() + ms;

	while (g->pid > 0 && now_ms() < end) {
		if (waitpid(g->pid, &g->status, WNOHANG) == g->pid) {
			g->pid = 0;
			return true;
		}
		sleep_ms(10);
	}
	return g->pid <= 0;
}

static void guest_kill(struct guest *g)
{
	if (g->pid > 0) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
		g->pid = 0;
	}
}

/* Does the guest print more within @ms? */
static bool guest_progresses(struct guest *g, int ms)
{
	long before = file_size(g->out);
	long long end = now_ms() + ms;

	while (now_ms() < end) {
		if (file_size(g->out) > before)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* One raw exchange: returns the response payload length, -1 if none. */
static int raw_call(const char *sock, const void *req, size_t len, bool shut,
		    struct lkvm_ctl_hdr *rh, void *payload, size_t cap)
{
	int fd = connect_sock(sock);
	size_t done = 0;
	ssize_t n;
	u_int32_t plen;

	if (fd < 0)
		return -1;
	if (len && write(fd, req, len) != (ssize_t)len)
		goto fail;
	if (shut)
		shutdown(fd, SHUT_WR);
	while (done < sizeof(*rh) &&
	       (n = read(fd, (char *)rh + done, sizeof(*rh) - done)) > 0)
		done += n;
	if (done < sizeof(*rh))
		goto fail;
	plen = le32toh(rh->length);
	for (done = 0; done < plen && done < cap; done += n) {
		n = read(fd, (char *)payload + done, cap - done);
		if (n <= 0)
			goto fail;
	}
	close(fd);
	return plen;
fail:
	close(fd);
	return -1;
}

static struct lkvm_ctl_hdr hdr(uint16_t command, uint32_t length)
{
	return (struct lkvm_ctl_hdr) {
		.magic = htole32(LKVM_CTL_MAGIC),
		.version = htole16(LKVM_CTL_VERSION),
		.command = htole16(command),
		.length = htole32(length),
	};
}

/* Status of the response to @len bytes of @req; -1 for no response. */
static int status_of(const char *sock, const void *req, size_t len,
		     bool shut)
{
	struct lkvm_ctl_hdr rh;
	char payload[64];

	if (raw_call(sock, req, len, shut, &rh, payload, sizeof(payload)) < 0)
		return -1;
	if (le32toh(rh.magic) != LKVM_CTL_MAGIC ||
	    le16toh(rh.version) != LKVM_CTL_VERSION)
		return -2;
	return le32toh(rh.status);
}

/* nm -S: address and size of @sym in @elf. */
static bool nm_symbol(const char *elf, const char *sym, uint64_t *addr,
		      uint64_t *size)
{
	char cmd[256], line[256], name[128], type;
	bool found = false;
	uint64_t a, sz;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm -S %s", elf);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %c %127s", &a, &sz,
			   &type, name) == 4 && !strcmp(name, sym)) {
			*addr = a;
			*size = sz;
			found = true;
		}
	}
	pclose(f);
	return found;
}

/* The value after "  @reg " in lkvm debug's output. */
static bool debug_reg(const char *out, const char *reg, uint64_t *val)
{
	char key[16];
	const char *p;

	snprintf(key, sizeof(key), " %s ", reg);
	p = strstr(out, key);
	return p && sscanf(p + strlen(key), "%" SCNx64, val) == 1;
}

/* Frame @i of lkvm debug's stack: its address and the symbol named. */
static bool debug_frame(const char *out, int i, uint64_t *addr, char *sym,
			size_t size)
{
	char key[16], name[128] = "";
	const char *p;

	snprintf(key, sizeof(key), "#%-2d ", i);
	p = strstr(out, key);
	if (!p || sscanf(p + strlen(key), "%" SCNx64 " %127[^+\n]", addr,
			 name) < 1)
		return false;
	snprintf(sym, size, "%s", name);
	return true;
}

FIXTURE(guest) {
	char dir[64];
	struct guest g;
};

FIXTURE_SETUP(guest)
{
	if (!strcmp(accel(), "kvm") && !kvm_usable())
		SKIP(return, "/dev/kvm is not usable here");
	if (access(lkvm_path(), X_OK))
		SKIP(return, "%s is not built", lkvm_path());
	strcpy(self->dir, "/tmp/lkvm_control.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	setenv("XDG_RUNTIME_DIR", self->dir, 1);
	ASSERT_TRUE(guest_start(&self->g, self->dir, GUEST_NAME, "first"));
}

FIXTURE_TEARDOWN(guest)
{
	char cmd[128];

	guest_kill(&self->g);
	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
		if (system(cmd))
			perror(cmd);
	}
}

TEST_F(guest, list_and_stat)
{
	char out[4096], line[128];

	ASSERT_EQ(0, lkvm(out, sizeof(out), "list", NULL));
	snprintf(line, sizeof(line), "\n%-20s %8d  running  %-5s    1       16",
		 GUEST_NAME, self->g.pid, accel());
	EXPECT_NE(NULL, strstr(out, line)) TH_LOG("list:\n%s", out);

	ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", GUEST_NAME, NULL));
	snprintf(line, sizeof(line), "name: %s\npid: %d\n", GUEST_NAME,
		 self->g.pid);
	EXPECT_NE(NULL, strstr(out, line)) TH_LOG("stat:\n%s", out);
	snprintf(line, sizeof(line), "state: running\naccel: %s\nvcpus: 1\n"
		 "memory: 16 MiB\nuptime: ", accel());
	EXPECT_NE(NULL, strstr(out, line)) TH_LOG("stat:\n%s", out);
	/* kvmtool's spelling works too. */
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", "--name", GUEST_NAME,
			  NULL));
}

TEST_F(guest, pause_resume)
{
	char out[4096];
	long size;

	ASSERT_EQ(0, lkvm(out, sizeof(out), "pause", GUEST_NAME, NULL)) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", GUEST_NAME, NULL));
	EXPECT_NE(NULL, strstr(out, "state: paused\n"));
	/* Paused means no guest instruction runs: the output stands still. */
	size = file_size(self->g.out);
	EXPECT_FALSE(guest_progresses(&self->g, 700));
	EXPECT_EQ(size, file_size(self->g.out));
	/* Pausing again is harmless. */
	ASSERT_EQ(0, lkvm(out, sizeof(out), "pause", GUEST_NAME, NULL));

	ASSERT_EQ(0, lkvm(out, sizeof(out), "resume", GUEST_NAME, NULL));
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", GUEST_NAME, NULL));
	EXPECT_NE(NULL, strstr(out, "state: running\n"));
	EXPECT_TRUE(guest_progresses(&self->g, PROGRESS_TIMEOUT_MS));
}

TEST_F(guest, debug_symbols)
{
	uint64_t loop, loop_size, main_fn, main_size, start, start_size;
	uint64_t rip, addr, rsp, cr3;
	char out[16384], sym[128];

	ASSERT_TRUE(nm_symbol("spin.elf", "spin_loop", &loop, &loop_size));
	ASSERT_TRUE(nm_symbol("spin.elf", "payload_main", &main_fn,
			      &main_size));
	ASSERT_TRUE(nm_symbol("spin.elf", "_start", &start, &start_size));

	ASSERT_EQ(0, lkvm(out, sizeof(out), "debug", "--symbols", "spin.elf",
			  GUEST_NAME, NULL)) {
		TH_LOG("%s", out);
	}
	TH_LOG("debug output:\n%s", out);
	ASSERT_TRUE(debug_reg(out, "rip", &rip));
	EXPECT_TRUE(rip >= loop && rip < loop + loop_size);
	/* The payload's stack is at the top of its 16 MiB, paged 1:1. */
	ASSERT_TRUE(debug_reg(out, "rsp", &rsp));
	EXPECT_TRUE(rsp > 15 << 20 && rsp <= 16 << 20);
	ASSERT_TRUE(debug_reg(out, "cr3", &cr3));
	EXPECT_EQ((uint64_t)LKVM_PAYLOAD_PT, cr3);

	/* spin_loop <- payload_main <- _start, through the frame pointers. */
	ASSERT_TRUE(debug_frame(out, 0, &addr, sym, sizeof(sym)));
	EXPECT_EQ(rip, addr);
	EXPECT_STREQ("spin_loop", sym);
	ASSERT_TRUE(debug_frame(out, 1, &addr, sym, sizeof(sym)));
	EXPECT_TRUE(addr > main_fn && addr <= main_fn + main_size);
	EXPECT_STREQ("payload_main", sym);
	ASSERT_TRUE(debug_frame(out, 2, &addr, sym, sizeof(sym)));
	EXPECT_TRUE(addr > start && addr <= start + start_size);
	EXPECT_STREQ("_start", sym);
	EXPECT_FALSE(debug_frame(out, 3, &addr, sym, sizeof(sym)));
	EXPECT_NE(NULL, strstr(out, "outermost frame"));

	/* debug pauses only for the moment it reads the registers. */
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", GUEST_NAME, NULL));
	EXPECT_NE(NULL, strstr(out, "state: running\n"));
	EXPECT_TRUE(guest_progresses(&self->g, PROGRESS_TIMEOUT_MS));
}

TEST_F(guest, debug_bad_symbols)
{
	char out[4096];

	/* Not an ELF file: a clear error, and nothing asked of the guest. */
	EXPECT_EQ(1, lkvm(out, sizeof(out), "debug", "--symbols",
			  "control_test.c", GUEST_NAME, NULL));
	EXPECT_NE(NULL, strstr(out, "is not an ELF file")) TH_LOG("%s", out);
	EXPECT_EQ(1, lkvm(out, sizeof(out), "debug", "--symbols",
			  "no-such-file", GUEST_NAME, NULL));
	EXPECT_NE(NULL, strstr(out, "cannot open no-such-file"));
}

TEST_F(guest, stop)
{
	char out[4096];

	ASSERT_EQ(0, lkvm(out, sizeof(out), "stop", GUEST_NAME, NULL)) {
		TH_LOG("%s", out);
	}
	/* lkvm stop returns once the guest is gone. */
	ASSERT_TRUE(guest_wait(&self->g, 2000));
	ASSERT_TRUE(WIFEXITED(self->g.status));
	EXPECT_EQ(0, WEXITSTATUS(self->g.status));
	/* That line and nothing else (no sanitizer report either). */
	EXPECT_EQ((long)strlen("lkvm: stopped by lkvm stop\n"),
		  file_size(self->g.err));
	EXPECT_TRUE(file_has(self->g.err, "lkvm: stopped by lkvm stop\n"));
	EXPECT_EQ(-1, access(self->g.sock, F_OK));
	ASSERT_EQ(1, lkvm(out, sizeof(out), "stat", GUEST_NAME, NULL));
	EXPECT_NE(NULL, strstr(out, "no guest named 'T' is running"));
}

TEST_F(guest, stop_while_paused)
{
	char out[4096];

	ASSERT_EQ(0, lkvm(out, sizeof(out), "pause", GUEST_NAME, NULL));
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stop", GUEST_NAME, NULL));
	ASSERT_TRUE(guest_wait(&self->g, 2000));
	ASSERT_TRUE(WIFEXITED(self->g.status));
	EXPECT_EQ(0, WEXITSTATUS(self->g.status));
	EXPECT_EQ(-1, access(self->g.sock, F_OK));
}

TEST_F(guest, sigterm_removes_socket)
{
	char out[4096];

	ASSERT_EQ(0, lkvm(out, sizeof(out), "pause", GUEST_NAME, NULL));
	kill(self->g.pid, SIGTERM);
	ASSERT_TRUE(guest_wait(&self->g, 3000));
	ASSERT_TRUE(WIFEXITED(self->g.status));
	EXPECT_EQ(128 + SIGTERM, WEXITSTATUS(self->g.status));
	EXPECT_EQ(-1, access(self->g.sock, F_OK));
}

TEST_F(guest, duplicate_name)
{
	struct guest second = { 0 };
	char out[4096];

	EXPECT_FALSE(guest_start(&second, self->dir, GUEST_NAME, "second"));
	guest_kill(&second);
	ASSERT_TRUE(WIFEXITED(second.status));
	EXPECT_EQ(1, WEXITSTATUS(second.status));
	EXPECT_TRUE(file_has(second.err,
			     "lkvm: name 'T' is in use by a running guest"));
	/* The first guest keeps its socket. */
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", GUEST_NAME, NULL));
	EXPECT_TRUE(guest_progresses(&self->g, PROGRESS_TIMEOUT_MS));
}

TEST_F(guest, stale_sockets)
{
	char stale[256], out[4096], line[64];
	struct guest s = { 0 };

	/* lkvm list removes the socket of a dead guest. */
	snprintf(stale, sizeof(stale), "%s/lkvm/dead.sock", self->dir);
	make_stale_socket(stale);
	ASSERT_EQ(0, access(stale, F_OK));
	ASSERT_EQ(0, lkvm(out, sizeof(out), "list", NULL));
	EXPECT_EQ(-1, access(stale, F_OK));
	EXPECT_NE(NULL, strstr(out, "removed the stale socket of guest 'dead'"));
	snprintf(line, sizeof(line), "\n%-20s %8d  running", GUEST_NAME,
		 self->g.pid);
	EXPECT_NE(NULL, strstr(out, line)) TH_LOG("%s", out);

	/* Only sockets are ever removed. */
	snprintf(stale, sizeof(stale), "%s/lkvm/file.sock", self->dir);
	close(open(stale, O_WRONLY | O_CREAT, 0600));
	ASSERT_EQ(0, lkvm(out, sizeof(out), "list", NULL));
	EXPECT_EQ(0, access(stale, F_OK));
	EXPECT_NE(0, lkvm(out, sizeof(out), "run", "--accel", accel(), "-m",
			  "16", "-k", "spin.elf", "--name", "file", NULL));
	EXPECT_NE(NULL, strstr(out, "file.sock exists and is not a socket"));

	/* lkvm run takes the name of a dead guest over. */
	snprintf(stale, sizeof(stale), "%s/lkvm/dead.sock", self->dir);
	make_stale_socket(stale);
	ASSERT_TRUE(guest_start(&s, self->dir, "dead", "dead"));
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", "dead", NULL));
	snprintf(line, sizeof(line), "pid: %d\n", s.pid);
	EXPECT_NE(NULL, strstr(out, line));
	ASSERT_EQ(0, lkvm(out, sizeof(out), "stop", "dead", NULL));
	EXPECT_TRUE(guest_wait(&s, 1000));
	guest_kill(&s);
}

TEST_F(guest, bad_names)
{
	char out[4096], long_name[80];

	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	EXPECT_EQ(2, lkvm(out, sizeof(out), "run", "--name", "a/b", "-k",
			  "spin.elf", NULL));
	EXPECT_NE(NULL, strstr(out, "--name 'a/b'")) TH_LOG("%s", out);
	EXPECT_EQ(2, lkvm(out, sizeof(out), "run", "--name", long_name, "-k",
			  "spin.elf", NULL));
	EXPECT_EQ(2, lkvm(out, sizeof(out), "run", "--name", "", "-k",
			  "spin.elf", NULL));
	EXPECT_EQ(2, lkvm(out, sizeof(out), "stop", "../T", NULL));
	EXPECT_EQ(2, lkvm(out, sizeof(out), "stat", NULL));
	EXPECT_EQ(2, lkvm(out, sizeof(out), "pause", "T", "U", NULL));
	EXPECT_EQ(1, lkvm(out, sizeof(out), "stop", "nosuchguest", NULL));
	EXPECT_NE(NULL, strstr(out, "no guest named 'nosuchguest'"));
	/* None of it touched the guest. */
	EXPECT_TRUE(guest_progresses(&self->g, PROGRESS_TIMEOUT_MS));
}

TEST_F(guest, default_name)
{
	struct guest g = { 0 };
	char *argv[] = { (char *)lkvm_path(), "run", "--accel", accel(), "-m",
			 "16", "-k", "spin.elf", NULL };
	char out[4096], sock[256];
	long long end = now_ms() + START_TIMEOUT_MS;

	g.pid = fork();
	if (!g.pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	snprintf(sock, sizeof(sock), "%s/lkvm/guest-%d.sock", self->dir,
		 g.pid);
	while (access(sock, F_OK) && now_ms() < end)
		sleep_ms(10);
	EXPECT_EQ(0, access(sock, F_OK));
	snprintf(sock, sizeof(sock), "guest-%d", g.pid);
	EXPECT_EQ(0, lkvm(out, sizeof(out), "stop", sock, NULL));
	EXPECT_TRUE(guest_wait(&g, 1000));
	guest_kill(&g);
}

/* Every malformed request gets its documented error; the guest goes on. */
TEST_F(guest, malformed_requests)
{
	struct lkvm_ctl_debug_req dreq;
	const char *s = self->g.sock;
	struct lkvm_ctl_hdr h;
	char garbage[100];
	struct {
		struct lkvm_ctl_hdr h;
		uint8_t payload[16];
	} req;
	int silent[2], fd;
	unsigned int i;
	long long t0;

	h = hdr(LKVM_CTL_STAT, 0);
	h.magic = htole32(0x12345678);
	EXPECT_EQ(LKVM_CTL_E_MAGIC, status_of(s, &h, sizeof(h), false));

	h = hdr(LKVM_CTL_STAT, 0);
	h.version = htole16(LKVM_CTL_VERSION + 1);
	EXPECT_EQ(LKVM_CTL_E_VERSION, status_of(s, &h, sizeof(h), false));
	h.version = 0;
	EXPECT_EQ(LKVM_CTL_E_VERSION, status_of(s, &h, sizeof(h), false));

	/* Oversized: refused from the header, the payload never awaited. */
	t0 = now_ms();
	h = hdr(LKVM_CTL_STAT, LKVM_CTL_MAX_REQ + 1);
	EXPECT_EQ(LKVM_CTL_E_LENGTH, status_of(s, &h, sizeof(h), false));
	h = hdr(LKVM_CTL_DEBUG, 0xffffffff);
	EXPECT_EQ(LKVM_CTL_E_LENGTH, status_of(s, &h, sizeof(h), false));
	EXPECT_LT(now_ms() - t0, 500);

	h = hdr(LKVM_CTL_STAT, 0);
	EXPECT_EQ(LKVM_CTL_E_SHORT, status_of(s, &h, 8, true));
	EXPECT_EQ(LKVM_CTL_E_SHORT, status_of(s, &h, 0, true));
	req.h = hdr(LKVM_CTL_DEBUG, sizeof(dreq));
	EXPECT_EQ(LKVM_CTL_E_SHORT,
		  status_of(s, &req, sizeof(req.h) + 4, true));

	h = hdr(99, 0);
	EXPECT_EQ(LKVM_CTL_E_COMMAND, status_of(s, &h, sizeof(h), false));
	h = hdr(0, 0);
	EXPECT_EQ(LKVM_CTL_E_COMMAND, status_of(s, &h, sizeof(h), false));

	h = hdr(LKVM_CTL_STAT, 0);
	h.status = htole32(1);
	EXPECT_EQ(LKVM_CTL_E_INVAL, status_of(s, &h, sizeof(h), false));

	req.h = hdr(LKVM_CTL_STAT, 4);
	memset(req.payload, 0, sizeof(req.payload));
	EXPECT_EQ(LKVM_CTL_E_LENGTH,
		  status_of(s, &req, sizeof(req.h) + 4, false));
	h = hdr(LKVM_CTL_DEBUG, 0);
	EXPECT_EQ(LKVM_CTL_E_LENGTH, status_of(s, &h, sizeof(h), false));

	req.h = hdr(LKVM_CTL_DEBUG, sizeof(dreq));
	dreq = (struct lkvm_ctl_debug_req) {
		.max_frames = htole32(LKVM_CTL_MAX_FRAMES + 1) };
	memcpy(req.payload, &dreq, sizeof(dreq));
	EXPECT_EQ(LKVM_CTL_E_INVAL,
		  status_of(s, &req, sizeof(req.h) + sizeof(dreq), false));
	dreq = (struct lkvm_ctl_debug_req) { .flags = htole32(1) };
	memcpy(req.payload, &dreq, sizeof(dreq));
	EXPECT_EQ(LKVM_CTL_E_INVAL,
		  status_of(s, &req, sizeof(req.h) + sizeof(dreq), false));

	memset(garbage, 0xa5, sizeof(garbage));
	EXPECT_EQ(LKVM_CTL_E_MAGIC,
		  status_of(s, garbage, sizeof(garbage), false));

	/* A client that says nothing is dropped after the 1 s deadline. */
	fd = connect_sock(s);
	ASSERT_LE(0, fd);
	t0 = now_ms();
	EXPECT_EQ((ssize_t)sizeof(h), read(fd, &h, sizeof(h)));
	EXPECT_EQ(LKVM_CTL_E_SHORT, (int)le32toh(h.status));
	EXPECT_EQ(0, read(fd, &h, sizeof(h)));
	EXPECT_LT(now_ms() - t0, 3000);
	close(fd);

	/* Silent clients keep the server busy for seconds; the guest runs. */
	for (i = 0; i < ARRAY_SIZE(silent); i++)
		silent[i] = connect_sock(s);
	EXPECT_TRUE(guest_progresses(&self->g, PROGRESS_TIMEOUT_MS));
	for (i = 0; i < ARRAY_SIZE(silent); i++) {
		EXPECT_EQ((ssize_t)sizeof(h), read(silent[i], &h, sizeof(h)));
		EXPECT_EQ(LKVM_CTL_E_SHORT, (int)le32toh(h.status));
		close(silent[i]);
	}

	/* And the server still answers well-formed requests. */
	h = hdr(LKVM_CTL_STAT, 0);
	EXPECT_EQ(LKVM_CTL_OK, status_of(s, &h, sizeof(h), false));
	EXPECT_TRUE(guest_progresses(&self->g, PROGRESS_TIMEOUT_MS));

	/* lkvm run said nothing about any of it. */
	EXPECT_EQ(0, file_size(self->g.err));
}

/* The raw STAT and DEBUG responses, field by field. */
TEST_F(guest, raw_responses)
{
	struct {
		struct lkvm_ctl_debug d;
		struct lkvm_ctl_vcpu v;
	} dbg;
	struct {
		struct lkvm_ctl_hdr h;
		struct lkvm_ctl_debug_req d;
	} req;
	struct lkvm_ctl_stat st;
	struct lkvm_ctl_hdr h = hdr(LKVM_CTL_STAT, 0), rh;

	ASSERT_LE((int)sizeof(st), raw_call(self->g.sock, &h, sizeof(h),
					    false, &rh, &st, sizeof(st)));
	EXPECT_EQ(LKVM_CTL_STAT, le16toh(rh.command));
	EXPECT_EQ(LKVM_CTL_OK, (int)le32toh(rh.status));
	EXPECT_EQ(self->g.pid, (pid_t)le32toh(st.pid));
	EXPECT_EQ(LKVM_CTL_RUNNING, (int)le32toh(st.state));
	EXPECT_EQ(1U, le32toh(st.nr_vcpus));
	EXPECT_EQ(16ULL << 20, le64toh(st.ram_bytes));
	EXPECT_STREQ(GUEST_NAME, st.name);
	EXPECT_STREQ(accel(), st.accel);

	req.h = hdr(LKVM_CTL_DEBUG, sizeof(req.d));
	req.d = (struct lkvm_ctl_debug_req) { .max_frames = htole32(1) };
	ASSERT_EQ((int)sizeof(dbg), raw_call(self->g.sock, &req, sizeof(req),
					     false, &rh, &dbg, sizeof(dbg)));
	EXPECT_EQ(LKVM_CTL_OK, (int)le32toh(rh.status));
	EXPECT_EQ(1U, le32toh(dbg.d.nr_vcpus));
	EXPECT_EQ(sizeof(dbg.v), le32toh(dbg.d.vcpu_size));
	EXPECT_EQ(1U, le32toh(dbg.v.nr_frames));
	EXPECT_EQ(LKVM_CTL_WALK_LIMIT, (int)le32toh(dbg.v.walk_end));
	EXPECT_EQ(le64toh(dbg.v.rip), le64toh(dbg.v.frames[0]));
	/* Long mode, as the payload boot protocol promises. */
	EXPECT_EQ(LKVM_PAYLOAD_CS, le16toh(dbg.v.seg[LKVM_CTL_CS].selector));
	EXPECT_NE(0ULL, le64toh(dbg.v.efer) & (1ULL << 10));

	req.d.max_frames = 0;
	ASSERT_EQ((int)sizeof(dbg), raw_call(self->g.sock, &req, sizeof(req),
					     false, &rh, &dbg, sizeof(dbg)));
	EXPECT_EQ(0U, le32toh(dbg.v.nr_frames));
}

/*
 * Frame pointers that lead nowhere end the walk with the documented reason
 * (badstack.S); the guest runs on.
 */
TEST_F(guest, stack_walk_astray)
{
	static const struct {
		const char *elf;
		int walk_end;
		uint32_t nr_frames;
	} cases[] = {
		/* rip, then the record's return address 0; rbp did not rise */
		{ "badstack-loop.elf", LKVM_CTL_WALK_BAD_FP, 2 },
		{ "badstack-unmapped.elf", LKVM_CTL_WALK_UNMAPPED, 1 },
		{ "badstack-odd.elf", LKVM_CTL_WALK_BAD_FP, 1 },
	};
	struct {
		struct lkvm_ctl_debug d;
		struct lkvm_ctl_vcpu v;
	} dbg;
	struct {
		struct lkvm_ctl_hdr h;
		struct lkvm_ctl_debug_req d;
	} req;
	uint64_t spin, size;
	struct lkvm_ctl_hdr rh;
	char out[16384];
	unsigned int i;
	long long end;

	req.h = hdr(LKVM_CTL_DEBUG, sizeof(req.d));
	req.d = (struct lkvm_ctl_debug_req) {
		.max_frames = htole32(LKVM_CTL_MAX_FRAMES) };
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct guest b = { 0 };

		TH_LOG("%s", cases[i].elf);
		ASSERT_TRUE(nm_symbol(cases[i].elf, "bad_spin", &spin, &size));
		ASSERT_TRUE(guest_start_elf(&b, self->dir, "B", "B",
					    cases[i].elf, NULL));
		/* The socket is there before the vCPU runs: wait for it. */
		for (end = now_ms() + 3000; now_ms() < end; sleep_ms(10)) {
			ASSERT_EQ((int)sizeof(dbg),
				  raw_call(b.sock, &req, sizeof(req), false,
					   &rh, &dbg, sizeof(dbg)));
			ASSERT_EQ(LKVM_CTL_OK, (int)le32toh(rh.status));
			if (le64toh(dbg.v.rip) == spin)
				break;
		}
		EXPECT_EQ(spin, le64toh(dbg.v.rip));
		EXPECT_EQ(cases[i].walk_end, (int)le32toh(dbg.v.walk_end));
		EXPECT_EQ(cases[i].nr_frames, le32toh(dbg.v.nr_frames));
		EXPECT_EQ(0, lkvm(out, sizeof(out), "debug", "--symbols",
				  cases[i].elf, "B", NULL));
		EXPECT_NE(NULL, strstr(out, " bad_spin+0x")) TH_LOG("%s", out);
		ASSERT_EQ(0, lkvm(out, sizeof(out), "stat", "B", NULL));
		EXPECT_NE(NULL, strstr(out, "state: running\n"));
		EXPECT_EQ(0, lkvm(out, sizeof(out), "stop", "B", NULL));
		EXPECT_TRUE(guest_wait(&b, 1000));
		guest_kill(&b);
	}
}

TEST_HARNESS_MAIN
