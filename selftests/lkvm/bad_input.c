// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm's command line and kernel loader fed bad input: every case must end
 * with a non-zero exit status (1 for lkvm's own errors, 2 for usage errors),
 * exactly one stderr line "lkvm: ..." naming the problem, and no crash.
 * Cases that switch users or mount namespaces need root and skip otherwise.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lkvm_run.h"

#define RUN_TIMEOUT_MS	10000
#define HELLO_OUT	"hello, world\n"

FIXTURE(bad) {
	char dir[64];
	char path[128];
	unsigned char elf[65536];
	size_t elf_len;
};

FIXTURE_SETUP(bad)
{
	int fd;

	strcpy(self->dir, "/tmp/lkvm-bad-input.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	/* Traversable by nobody, for the unprivileged cases. */
	ASSERT_EQ(0, chmod(self->dir, 0755));
	fd = open(guest_file("hello.elf"), O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, self->elf, sizeof(self->elf));

		self->elf_len = n > 0 ? n : 0;
		close(fd);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

FIXTURE_TEARDOWN(bad)
{
	nftw(self->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Creates dir/name with the given contents and mode; path in self->path. */
static const char *make_file(FIXTURE_DATA(bad) *self, const char *name,
			     const void *data, size_t len, mode_t mode)
{
	int fd;

	snprintf(self->path, sizeof(self->path), "%s/%s", self->dir, name);
	fd = open(self->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) || close(fd))
		return NULL;
	return self->path;
}

static Elf64_Phdr *first_load(FIXTURE_DATA(bad) *self)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)self->elf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(self->elf + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			return &ph[i];
	return NULL;
}

/*
 * A home directory that nobody may write, for lkvm's state: the cases run
 * as nobody test /dev/kvm and file permissions, not $HOME's.
 */
static const char *nobody_home(FIXTURE_DATA(bad) *self)
{
	static char home[128];
	unsigned int uid, gid;

	snprintf(home, sizeof(home), "%s/home", self->dir);
	if (!nobody_ids(&uid, &gid) || (mkdir(home, 0700) && errno != EEXIST) ||
	    chown(home, uid, gid))
		return NULL;
	return home;
}

static bool is_root(void)
{
	return geteuid() == 0;
}

/* Does line contain one of the '|'-separated alternatives, ignoring case? */
static bool mentions(const char *line, const char *alternatives)
{
	char buf[256], *save, *alt;

	snprintf(buf, sizeof(buf), "%s", alternatives);
	for (alt = strtok_r(buf, "|", &save); alt; alt = strtok_r(NULL, "|", &save))
		if (strcasestr(line, alt))
			return true;
	return false;
}

static bool one_lkvm_line(const struct lkvm_result *r)
{
	return stderr_lines(r) == 1 && !strncmp(r->err, "lkvm: ", 6) &&
	       r->err[strlen(r->err) - 1] == '\n';
}

/*
 * lkvm exited (no signal, no core, no timeout) with status_a or status_b
 * and one stderr line that mentions each of the needles.
 */
static void check_error(struct __test_metadata *_metadata,
			const struct lkvm_result *r, int status_a, int status_b,
			const char *needle1, const char *needle2)
{
	EXPECT_FALSE(r->core_dumped);
	EXPECT_FALSE(r->timed_out);
	ASSERT_TRUE(r->exited) {
		TH_LOG("killed by signal %d; stderr: %s", r->signal, r->err);
	}
	EXPECT_TRUE(r->status == status_a || r->status == status_b) {
		TH_LOG("exit status %d, expected %d or %d", r->status,
		       status_a, status_b);
	}
	EXPECT_TRUE(one_lkvm_line(r)) {
		TH_LOG("stderr is not one \"lkvm: \" line: \"%s\"", r->err);
	}
	EXPECT_TRUE(mentions(r->err, needle1)) {
		TH_LOG("stderr \"%s\" does not mention %s", r->err, needle1);
	}
	if (needle2)
		EXPECT_TRUE(mentions(r->err, needle2)) {
			TH_LOG("stderr \"%s\" does not mention %s", r->err,
			       needle2);
		}
	EXPECT_STREQ("", r->out);
}

#define REQUIRE_LKVM() do { \
	if (access(lkvm_binary(), X_OK)) \
		SKIP(return, "%s is not built", lkvm_binary()); \
	if (!self->elf_len) \
		SKIP(return, "%s is not built", guest_file("hello.elf")); \
} while (0)

#define REQUIRE_ROOT() do { \
	if (!is_root()) \
		SKIP(return, "needs root"); \
} while (0)

static const struct lkvm_opts plain = { .timeout_ms = RUN_TIMEOUT_MS };

/* An accelerator that needs no fallback notice: the error is alone. */
static const char *quiet_accel(void)
{
	return kvm_usable() ? "kvm" : "tcg";
}

/* Runs "lkvm run -k FILE -m 16" and expects a load error naming FILE. */
static void check_bad_kernel(struct __test_metadata *_metadata,
			     const char *file)
{
	struct lkvm_result r;

	ASSERT_NE(NULL, file);
	ASSERT_EQ(0, lkvm_run(&plain, &r, "run", "-k", file, "-m", "16",
			      "--accel", quiet_accel(), NULL));
	check_error(_metadata, &r, 1, 1, file, NULL);
}

TEST_F(bad, missing_kernel)
{
	REQUIRE_LKVM();
	snprintf(self->path, sizeof(self->path), "%s/missing.elf", self->dir);
	check_bad_kernel(_metadata, self->path);
}

TEST_F(bad, kernel_is_directory)
{
	REQUIRE_LKVM();
	check_bad_kernel(_metadata, self->dir);
}

/* Opening a FIFO blocks until a writer comes: lkvm must not wait for one. */
TEST_F(bad, kernel_is_fifo)
{
	REQUIRE_LKVM();
	snprintf(self->path, sizeof(self->path), "%s/fifo", self->dir);
	ASSERT_EQ(0, mkfifo(self->path, 0644));
	check_bad_kernel(_metadata, self->path);
}

TEST_F(bad, random_bytes)
{
	unsigned char data[4096];
	unsigned int x = 12345;

	REQUIRE_LKVM();
	for (size_t i = 0; i < sizeof(data); i++) {
		x = x * 1103515245U + 12345U;
		data[i] = x >> 16;
	}
	check_bad_kernel(_metadata,
			 make_file(self, "random", data, sizeof(data), 0644));
}

TEST_F(bad, empty_file)
{
	REQUIRE_LKVM();
	check_bad_kernel(_metadata, make_file(self, "empty", "", 0, 0644));
}

TEST_F(bad, truncated_elf_header)
{
	REQUIRE_LKVM();
	check_bad_kernel(_metadata, make_file(self, "header.elf", self->elf,
					      sizeof(Elf64_Ehdr) / 2, 0644));
}

TEST_F(bad, truncated_elf_segment)
{
	Elf64_Phdr *ph;

	REQUIRE_LKVM();
	ph = first_load(self);
	ASSERT_NE(NULL, ph);
	check_bad_kernel(_metadata, make_file(self, "segment.elf", self->elf,
					      ph->p_offset + ph->p_filesz / 2,
					      0644));
}

TEST_F(bad, wrong_machine)
{
	REQUIRE_LKVM();
	((Elf64_Ehdr *)self->elf)->e_machine = EM_AARCH64;
	check_bad_kernel(_metadata, make_file(self, "arm64.elf", self->elf,
					      self->elf_len, 0644));
}

TEST_F(bad, elf32_class)
{
	REQUIRE_LKVM();
	self->elf[EI_CLASS] = ELFCLASS32;
	check_bad_kernel(_metadata, make_file(self, "class32.elf", self->elf,
					      self->elf_len, 0644));
}

TEST_F(bad, phdrs_beyond_file)
{
	REQUIRE_LKVM();
	((Elf64_Ehdr *)self->elf)->e_phoff = 1ULL << 40;
	check_bad_kernel(_metadata, make_file(self, "phoff.elf", self->elf,
					      self->elf_len, 0644));
}

/* Below LKVM_PAYLOAD_MIN_LOAD: over lkvm's own GDT and page tables. */
TEST_F(bad, load_below_minimum)
{
	Elf64_Phdr *ph;

	REQUIRE_LKVM();
	ph = first_load(self);
	ASSERT_NE(NULL, ph);
	ph->p_paddr = ph->p_vaddr = 0x1000;
	check_bad_kernel(_metadata, make_file(self, "low.elf", self->elf,
					      self->elf_len, 0644));
}

/* At 256 MiB, in a 16 MiB guest. */
TEST_F(bad, load_beyond_ram)
{
	Elf64_Phdr *ph;

	REQUIRE_LKVM();
	ph = first_load(self);
	ASSERT_NE(NULL, ph);
	ph->p_paddr = ph->p_vaddr = 0x10000000;
	check_bad_kernel(_metadata, make_file(self, "high.elf", self->elf,
					      self->elf_len, 0644));
}

/* The data segment moved over the text: the loader must not let one clobber the other. */
TEST_F(bad, overlapping_segments)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)self->elf;
	Elf64_Phdr *ph;

	REQUIRE_LKVM();
	ph = first_load(self);
	ASSERT_NE(NULL, ph);
	ASSERT_LT(1, eh->e_phnum);
	ASSERT_EQ((Elf64_Word)PT_LOAD, ph[1].p_type);
	ph[1].p_paddr = ph[1].p_vaddr = ph->p_paddr + 0x800;
	check_bad_kernel(_metadata, make_file(self, "overlap.elf", self->elf,
					      self->elf_len, 0644));
}

TEST_F(bad, entry_outside_segments)
{
	REQUIRE_LKVM();
	((Elf64_Ehdr *)self->elf)->e_entry = 0x500000;
	check_bad_kernel(_metadata, make_file(self, "entry.elf", self->elf,
					      self->elf_len, 0644));
}

/* A mode-000 file, run as nobody (who keeps access to /dev/kvm). */
TEST_F(bad, unreadable_kernel)
{
	struct lkvm_opts opts = {
		.timeout_ms = RUN_TIMEOUT_MS, .as_nobody = true,
		.kvm_group = true,
	};
	struct lkvm_result r;
	const char *file;

	REQUIRE_LKVM();
	REQUIRE_ROOT();
	opts.home = nobody_home(self);
	ASSERT_NE(NULL, opts.home);
	file = make_file(self, "unreadable.elf", self->elf, self->elf_len, 0);
	ASSERT_NE(NULL, file);
	ASSERT_EQ(0, lkvm_run(&opts, &r, "run", "-k", file, "-m", "16", NULL));
	check_error(_metadata, &r, 1, 1, file, "permission");
}

/* Runs hello.elf with these options and expects a usage/value error. */
static void check_bad_option(struct __test_metadata *_metadata,
			     const char *opt, const char *value,
			     int status_a, int status_b, const char *needle)
{
	struct lkvm_result r;

	ASSERT_EQ(0, lkvm_run(&plain, &r, "run", "-k", guest_file("hello.elf"),
			      opt, value, NULL));
	check_error(_metadata, &r, status_a, status_b, needle, NULL);
}

TEST_F(bad, mem_zero)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "-m", "0", 1, 2, "-m|mem");
}

TEST_F(bad, mem_not_a_number)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "-m", "abc", 1, 2, "abc");
}

/* 10^12 MiB: more than any host can map. */
TEST_F(bad, mem_absurd)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "-m", "1000000000000", 1, 2, "-m|mem");
}

TEST_F(bad, cpus_zero)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "-c", "0", 1, 2, "-c|cpu");
}

TEST_F(bad, cpus_absurd)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "-c", "100000", 1, 2, "-c|cpu");
}

TEST_F(bad, cpus_not_a_number)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "-c", "abc", 1, 2, "abc");
}

TEST_F(bad, unknown_accel)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "--accel", "bogus", 2, 2, "bogus");
}

TEST_F(bad, unknown_option)
{
	REQUIRE_LKVM();
	check_bad_option(_metadata, "--frobnicate", NULL, 2, 2, "frobnicate");
}

TEST_F(bad, missing_option_argument)
{
	struct lkvm_result r;

	REQUIRE_LKVM();
	ASSERT_EQ(0, lkvm_run(&plain, &r, "run", "-k", NULL));
	check_error(_metadata, &r, 2, 2, "-k", "argument");
}

/*
 * --accel auto without a usable /dev/kvm: a one-line notice that names
 * /dev/kvm and TCG, then either hello runs on TCG, or, if TCG is not there
 * either, one more line saying so (naming TCG) and exit status 1.
 */
static void check_fallback(struct __test_metadata *_metadata,
			   const struct lkvm_result *r)
{
	const char *second = strchr(r->err, '\n');

	EXPECT_FALSE(r->core_dumped);
	ASSERT_TRUE(r->exited) {
		TH_LOG("killed by signal %d; stderr: %s", r->signal, r->err);
	}
	EXPECT_TRUE(!strncmp(r->err, "lkvm: ", 6) && second &&
		    mentions(r->err, "/dev/kvm") && mentions(r->err, "tcg")) {
		TH_LOG("no fallback notice: \"%s\"", r->err);
	}
	if (r->status == 0) {
		EXPECT_STREQ(HELLO_OUT, r->out);
		EXPECT_EQ(1, stderr_lines(r)) {
			TH_LOG("stderr: \"%s\"", r->err);
		}
		return;
	}
	TH_LOG("no fallback: %s", r->err);
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(stderr_lines(r) == 2 && second &&
		    !strncmp(second + 1, "lkvm: ", 6) &&
		    mentions(second + 1, "tcg")) {
		TH_LOG("expected a notice and one error line: \"%s\"", r->err);
	}
}

static void run_hello(const struct lkvm_opts *opts, const char *accel,
		      const char *file, struct lkvm_result *r)
{
	lkvm_run(opts, r, "run", "-k", file, "-m", "16", "--accel", accel, NULL);
}

TEST_F(bad, no_dev_kvm)
{
	const struct lkvm_opts opts = {
		.timeout_ms = RUN_TIMEOUT_MS, .empty_dev = true,
	};
	struct lkvm_result r;

	REQUIRE_LKVM();
	REQUIRE_ROOT();
	run_hello(&opts, "kvm", guest_file("hello.elf"), &r);
	check_error(_metadata, &r, 1, 1, "/dev/kvm", NULL);
}

TEST_F(bad, no_dev_kvm_auto)
{
	const struct lkvm_opts opts = {
		.timeout_ms = RUN_TIMEOUT_MS, .empty_dev = true,
	};
	struct lkvm_result r;

	REQUIRE_LKVM();
	REQUIRE_ROOT();
	run_hello(&opts, "auto", guest_file("hello.elf"), &r);
	check_fallback(_metadata, &r);
}

/* Skips unless /dev/kvm exists and nobody (without its group) may not open it. */
#define REQUIRE_KVM_CLOSED_TO_NOBODY() do { \
	struct stat st; \
	REQUIRE_ROOT(); \
	if (stat("/dev/kvm", &st) || (st.st_mode & 0006)) \
		SKIP(return, "/dev/kvm is missing or open to everyone"); \
} while (0)

TEST_F(bad, dev_kvm_no_permission)
{
	struct lkvm_opts opts = {
		.timeout_ms = RUN_TIMEOUT_MS, .as_nobody = true,
	};
	struct lkvm_result r;
	const char *file;

	REQUIRE_LKVM();
	REQUIRE_KVM_CLOSED_TO_NOBODY();
	opts.home = nobody_home(self);
	ASSERT_NE(NULL, opts.home);
	file = make_file(self, "hello.elf", self->elf, self->elf_len, 0644);
	ASSERT_NE(NULL, file);
	run_hello(&opts, "kvm", file, &r);
	check_error(_metadata, &r, 1, 1, "/dev/kvm", "permission");
}

TEST_F(bad, dev_kvm_no_permission_auto)
{
	struct lkvm_opts opts = {
		.timeout_ms = RUN_TIMEOUT_MS, .as_nobody = true,
	};
	struct lkvm_result r;
	const char *file;

	REQUIRE_LKVM();
	REQUIRE_KVM_CLOSED_TO_NOBODY();
	opts.home = nobody_home(self);
	ASSERT_NE(NULL, opts.home);
	file = make_file(self, "hello.elf", self->elf, self->elf_len, 0644);
	ASSERT_NE(NULL, file);
	run_hello(&opts, "auto", file, &r);
	check_fallback(_metadata, &r);
}

TEST_HARNESS_MAIN
