// SPDX-License-Identifier: GPL-2.0
/*
 * The initramfs lkvm makes, read by references lkvm did not write: GNU cpio
 * lists and unpacks it, kmod's "modprobe --show-depends" says which modules
 * a virtio guest needs and in which order, the host's sh runs the command
 * file, and the host's exec of the same argv is what it must print.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "boot_test.h"
#include "initramfs.h"
#include "linux-boot.h"
#include "kselftest_harness.h"

/* What the guest needs for lkvm's devices (Documentation/boot.rst). */
static const char *const virtio_modules[] = {
	"virtio", "virtio_ring", "virtio_pci_legacy_dev",
	"virtio_pci_modern_dev", "virtio_pci", "virtio_blk",
	"virtio_console", "virtio_rng", "virtio_net",
};

static const char *guest_init_dir(void)
{
	static char dir[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(dir, sizeof(dir), "%.3000s/../../tools/lkvm/guest-init", self);
	return dir;
}

FIXTURE(cpio) {
	struct initramfs_config cfg;
	char release[256];
	char archive[64];
	char dir[64];
	char list[65536];
};

FIXTURE_SETUP(cpio)
{
	const char *k = test_kernel();
	char cmd[256];
	int fd;

	if (!k)
		SKIP(return, "no /boot/vmlinuz-*");
	ASSERT_EQ(1, linux_kernel_release(k, self->release, sizeof(self->release)));
	self->cfg = (struct initramfs_config) {
		.release = self->release,
		.modules_root = "/lib/modules",
		.guest_dir = guest_init_dir(),
		.busybox = "/bin/busybox",
	};
	strcpy(self->archive, "/tmp/lkvm_boot_cpio.XXXXXX");
	fd = mkstemp(self->archive);
	ASSERT_GE(fd, 0);
	close(fd);
	strcpy(self->dir, "/tmp/lkvm_boot_root.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(cmd, sizeof(cmd), "test -x %s/lkvm-exit", self->cfg.guest_dir);
	if (run_cmd(cmd, NULL, 0))
		SKIP(return, "guest-init/lkvm-exit is not built");
}

FIXTURE_TEARDOWN(cpio)
{
	char cmd[256];

	unlink(self->archive);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	run_cmd(cmd, NULL, 0);
}

/* Builds the archive, lists it with cpio -t and unpacks it with cpio -i. */
static int build(struct __test_metadata *_metadata, FIXTURE_DATA(cpio) *self)
{
	char cmd[512];
	FILE *f = fopen(self->archive, "w");
	int ret;

	if (!f)
		return -1;
	ret = initramfs_write(fileno(f), &self->cfg);
	fclose(f);
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd), "cpio -it --quiet < %s", self->archive);
	EXPECT_EQ(0, run_cmd(cmd, self->list, sizeof(self->list)));
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -idm --quiet < %s",
		 self->dir, self->archive);
	EXPECT_EQ(0, run_cmd(cmd, NULL, 0));
	return 0;
}

static bool listed(const char *list, const char *name)
{
	char line[PATH_MAX];

	snprintf(line, sizeof(line), "\n%s\n", name);
	return (!strncmp(list, name, strlen(name)) && list[strlen(name)] == '\n') ||
	       strstr(list, line);
}

TEST_F(cpio, release_from_the_image)
{
	const char *from_name = kernel_release_from_name(test_kernel());

	if (!from_name)
		SKIP(return, "kernel file is not named vmlinuz-<release>");
	/* The version string in the bzImage names the same release. */
	EXPECT_STREQ(from_name, self->release);
}

TEST_F(cpio, contents)
{
	static const char *const want[] = {
		"init", "bin/busybox", "bin/sh", "bin/lkvm-exit", "dev/console",
		"proc", "sys", "dev", "tmp", "lkvm/modules",
	};
	char cmd[512], out[4096];
	unsigned int i;

	ASSERT_EQ(0, build(_metadata, self));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_TRUE(listed(self->list, want[i])) TH_LOG("entry %s", want[i] ? want[i] : "?");
	EXPECT_FALSE(listed(self->list, "lkvm/cmd"));	/* no command: a shell */

	/* cpio -tv: /dev/console is the character device 5:1. */
	snprintf(cmd, sizeof(cmd), "cpio -itv --quiet < %s | grep ' dev/console$'",
		 self->archive);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out)));
	EXPECT_EQ('c', out[0]);
	EXPECT_NE(NULL, strstr(out, "5,   1"));

	/* The files are the host's, byte for byte; bin/sh is busybox. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && cmp bin/busybox /bin/busybox && cmp init %s/init && "
		 "cmp bin/lkvm-exit %s/lkvm-exit && test \"$(readlink bin/sh)\" = busybox",
		 self->dir, self->cfg.guest_dir, self->cfg.guest_dir);
	EXPECT_EQ(0, run_cmd(cmd, NULL, 0));
}

/* modprobe's load order for @mod: "insmod PATH" lines, dependencies first. */
static int show_depends(const char *release, const char *mod, char *out,
			size_t len)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "modprobe -S %s --show-depends %s 2>/dev/null | sed -n 's/^insmod \\([^ ]*\\).*/\\1/p'",
		 release, mod);
	return run_cmd(cmd, out, len);
}

static int position(char **list, int n, const char *path)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], path))
			return i;
	return -1;
}

static void module_name(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');

	snprintf(out, len, "%s", base ? base + 1 : path);
	out[strcspn(out, ".")] = '\0';
}

/*
 * The same set of modules as modprobe loads for the virtio drivers, and
 * each after every module modprobe loads before it.
 */
TEST_F(cpio, module_order_matches_modprobe)
{
	char path[PATH_MAX], *mods[256], *save, *line, deps[8192], name[256];
	size_t size;
	u8 *text;
	unsigned int w;
	int n = 0, i, pos, rc;

	if (run_cmd("command -v modprobe", NULL, 0))
		SKIP(return, "modprobe (kmod) not installed");
	ASSERT_EQ(0, build(_metadata, self));
	snprintf(path, sizeof(path), "%s/lkvm/modules", self->dir);
	text = read_whole(path, &size);
	ASSERT_NE(NULL, text);
	text[size] = '\0';
	for (line = strtok_r((char *)text, "\n", &save); line && n < 256;
	     line = strtok_r(NULL, "\n", &save)) {
		mods[n++] = line;
		EXPECT_TRUE(listed(self->list, line + 1)) TH_LOG("%s", line);
	}
	ASSERT_GT(n, 0);
	for (w = 0; w < ARRAY_SIZE(virtio_modules); w++) {
		ASSERT_EQ(0, show_depends(self->release, virtio_modules[w], deps,
					  sizeof(deps)));
		for (line = strtok_r(deps, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			EXPECT_GE(position(mods, n, line), 0) TH_LOG("%s missing", line ? line : "?");
	}
	for (i = 0; i < n; i++) {
		bool needed = false;

		for (w = 0; !needed && w < ARRAY_SIZE(virtio_modules); w++) {
			show_depends(self->release, virtio_modules[w], deps, sizeof(deps));
			needed = strstr(deps, mods[i]) != NULL;
		}
		EXPECT_TRUE(needed) TH_LOG("%s is extra", mods[i]);
		module_name(mods[i], name, sizeof(name));
		rc = show_depends(self->release, name, deps, sizeof(deps));
		ASSERT_EQ(0, rc);
		for (line = strtok_r(deps, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			pos = position(mods, n, line);
			if (strcmp(line, mods[i]))
				EXPECT_LT(pos, i) TH_LOG("%s must precede %s", line, mods[i]);
		}
	}
	free(text);
}

/* Runs argv directly: what the guest's sh must reproduce from lkvm/cmd. */
static int exec_output(char *const argv[], char *out, size_t len)
{
	int p[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], 1);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(cpio, command_survives_quoting)
{
	char *argv[] = {
		"printf", "[%s]", "a b", "it's", "$HOME", "`id`", "\\n", "",
		"'\"'", "; exit 3", NULL,
	};
	char cmd[512], want[1024], got[1024];

	self->cfg.argc = ARRAY_SIZE(argv) - 1;
	self->cfg.argv = argv;
	ASSERT_EQ(0, build(_metadata, self));
	ASSERT_TRUE(listed(self->list, "lkvm/cmd"));
	ASSERT_EQ(0, exec_output(argv, want, sizeof(want)));
	snprintf(cmd, sizeof(cmd), "cd /tmp && HOME=/nowhere sh %s/lkvm/cmd",
		 self->dir);
	EXPECT_EQ(0, run_cmd(cmd, got, sizeof(got)));
	EXPECT_STREQ(want, got);
}

TEST_F(cpio, command_exit_status)
{
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	char cmd[512];

	self->cfg.argc = 3;
	self->cfg.argv = argv;
	ASSERT_EQ(0, build(_metadata, self));
	snprintf(cmd, sizeof(cmd), "sh %s/lkvm/cmd", self->dir);
	EXPECT_EQ(7, run_cmd(cmd, NULL, 0));
}

TEST_F(cpio, no_modules_directory)
{
	char path[PATH_MAX];
	size_t size = 1;
	u8 *text;

	self->cfg.modules_root = "/nonexistent";
	ASSERT_EQ(0, build(_metadata, self));
	EXPECT_EQ(NULL, strstr(self->list, ".ko"));
	snprintf(path, sizeof(path), "%s/lkvm/modules", self->dir);
	text = read_whole(path, &size);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0U, size);
	free(text);
}

TEST_F(cpio, dynamic_busybox_refused)
{
	struct capture c;
	const char *err;
	FILE *f = fopen(self->archive, "w");

	self->cfg.busybox = "/bin/ls";
	capture_start(&c);
	EXPECT_EQ(-1, initramfs_write(fileno(f), &self->cfg));
	err = capture_end(&c);
	fclose(f);
	EXPECT_EQ(1, count_lines(err));
	EXPECT_NE(NULL, strstr(err, "/bin/ls: not a statically linked program"));
}

TEST_F(cpio, missing_guest_init_refused)
{
	struct capture c;
	const char *err;
	FILE *f = fopen(self->archive, "w");

	self->cfg.guest_dir = "/nonexistent";
	capture_start(&c);
	EXPECT_EQ(-1, initramfs_write(fileno(f), &self->cfg));
	err = capture_end(&c);
	fclose(f);
	EXPECT_EQ(1, count_lines(err));
	EXPECT_NE(NULL, strstr(err, "cannot open /nonexistent/init"));
}

/* lkvm run's rules: a command needs a Linux kernel and lkvm's initramfs. */
TEST(prepare_refuses_command_for_payload)
{
	char *argv[] = { "true", NULL };
	struct boot_config boot = { .kernel = "/bin/true" };
	struct capture c;
	const char *err;

	capture_start(&c);
	EXPECT_EQ(-1, initramfs_prepare(&boot, 1, argv));
	err = capture_end(&c);
	EXPECT_NE(NULL, strstr(err, "needs a Linux kernel"));
	EXPECT_EQ(0, initramfs_prepare(&boot, 0, argv));
	EXPECT_EQ(NULL, boot.initrd);
}

TEST(prepare_refuses_command_with_initrd)
{
	char *argv[] = { "true", NULL };
	struct boot_config boot = { .kernel = test_kernel(), .initrd = "/x" };
	struct capture c;
	const char *err;

	if (!boot.kernel)
		SKIP(return, "no /boot/vmlinuz-*");
	capture_start(&c);
	EXPECT_EQ(-1, initramfs_prepare(&boot, 1, argv));
	err = capture_end(&c);
	EXPECT_NE(NULL, strstr(err, "drop -i /x"));
}

TEST_HARNESS_MAIN
