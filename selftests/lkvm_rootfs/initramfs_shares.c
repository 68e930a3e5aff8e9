// SPDX-License-Identifier: GPL-2.0
/*
 * What lkvm's initramfs does for virtio-fs shares, without booting: which
 * kernel options it reports missing (against the kernel's own config file
 * and module trees with one module taken out or built in), which modules it
 * packs (against kmod's "modprobe --show-depends"), and lkvm run's choice
 * between the host's root, the initramfs root and a refusal.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "boot.h"
#include "initramfs.h"
#include "linux-boot.h"
#include "kselftest_harness.h"

/* The three file system modules and the option each one stands for. */
static const char *const fs_names[] = { "fuse", "virtiofs", "overlay" };
static const char *const fs_configs[] = {
	"CONFIG_FUSE_FS", "CONFIG_VIRTIO_FS", "CONFIG_OVERLAY_FS",
};

/* A release is at most 64 bytes (utsname), so paths stay short. */
#define PATH_LEN	256
#define CMD_LEN		2048

/* $LKVM_TEST_KERNEL, else the newest /boot/vmlinuz-* (as lkvm run picks). */
static const char *test_kernel(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("LKVM_TEST_KERNEL");
	FILE *p;

	if (env && *env)
		return env;
	p = popen("ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1", "r");
	if (!p)
		return NULL;
	if (!fgets(path, sizeof(path), p))
		path[0] = '\0';
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	return path[0] ? path : NULL;
}

/* sh -c @cmd; its exit status, its stdout (at most @len - 1 bytes) in @out. */
static int run_cmd(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0, got;
	int st;

	if (!p)
		return -1;
	while (out && n + 1 < len && (got = fread(out + n, 1, len - 1 - n, p)))
		n += got;
	if (out)
		out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* lkvm's stderr, collected in a file while a call runs. */
static int capture_start(const char *path)
{
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static void capture_end(int saved, const char *path, char *out, size_t len)
{
	FILE *f;
	size_t n = 0;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(path, "r");
	if (f) {
		n = fread(out, 1, len - 1, f);
		fclose(f);
	}
	out[n] = '\0';
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

FIXTURE(shares) {
	char release[65];
	char dir[64];			/* scratch: fake module trees, archives */
	char real[PATH_LEN];		/* /lib/modules/<release> */
	char fake_root[80];		/* a tree for LKVM_MODULES_DIR */
	char fake[PATH_LEN];		/* fake_root/<release> */
	char err[4096];
};

FIXTURE_SETUP(shares)
{
	const char *k = test_kernel();
	char cmd[CMD_LEN];

	if (!k)
		SKIP(return, "no /boot/vmlinuz-*");
	ASSERT_EQ(1, linux_kernel_release(k, self->release, sizeof(self->release)));
	snprintf(self->real, sizeof(self->real), "/lib/modules/%s", self->release);
	snprintf(cmd, sizeof(cmd), "test -r %s/modules.dep", self->real);
	if (run_cmd(cmd, NULL, 0))
		SKIP(return, "%s has no modules.dep", self->real);
	strcpy(self->dir, "/tmp/lkvm_rootfs.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->fake_root, sizeof(self->fake_root), "%s/modules", self->dir);
	snprintf(self->fake, sizeof(self->fake), "%s/%s", self->fake_root,
		 self->release);
	/* The real modules, with modules.dep and modules.builtin to edit. */
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s && ln -s %s/kernel %s/kernel && cp %s/modules.dep %s/modules.builtin %s/",
		 self->fake, self->real, self->fake, self->real, self->real,
		 self->fake);
	ASSERT_EQ(0, run_cmd(cmd, NULL, 0));
}

FIXTURE_TEARDOWN(shares)
{
	char cmd[128];

	unsetenv("LKVM_MODULES_DIR");
	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
		run_cmd(cmd, NULL, 0);
	}
}

/* Takes module @name out of the fake tree's modules.dep. */
static int drop_module(FIXTURE_DATA(shares) *self, const char *name)
{
	char cmd[CMD_LEN];

	snprintf(cmd, sizeof(cmd), "sed -i '/\\/%s\\.ko[^:]*:/d' %s/modules.dep",
		 name, self->fake);
	return run_cmd(cmd, NULL, 0);
}

/* The real tree lacks exactly what the kernel's config file lacks. */
TEST_F(shares, missing_fs_matches_kernel_config)
{
	char cmd[CMD_LEN], want[256] = "", got[256], val[64];
	unsigned int i;

	snprintf(cmd, sizeof(cmd), "test -r /boot/config-%s", self->release);
	if (run_cmd(cmd, NULL, 0))
		SKIP(return, "no /boot/config-%s", self->release);
	for (i = 0; i < ARRAY_SIZE(fs_configs); i++) {
		snprintf(cmd, sizeof(cmd), "sed -n 's/^%s=//p' /boot/config-%s",
			 fs_configs[i], self->release);
		ASSERT_EQ(0, run_cmd(cmd, val, sizeof(val)));
		if (val[0] == 'y' || val[0] == 'm')
			continue;
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", want[0] ? ", " : "", fs_configs[i]);
	}
	initramfs_missing_fs(self->real, true, got, sizeof(got));
	EXPECT_STREQ(want, got);
}

/* The fake tree's modules.dep and modules.builtin as the real ones. */
static int reset_fake(FIXTURE_DATA(shares) *self)
{
	char cmd[CMD_LEN];

	snprintf(cmd, sizeof(cmd), "cp %s/modules.dep %s/modules.builtin %s/",
		 self->real, self->real, self->fake);
	return run_cmd(cmd, NULL, 0);
}

/* Declares module @name built in, as Kbuild writes modules.builtin. */
static int make_builtin(FIXTURE_DATA(shares) *self, const char *name)
{
	char cmd[CMD_LEN];

	snprintf(cmd, sizeof(cmd),
		 "modinfo -k %s -F filename %s | sed 's|.*/kernel/|kernel/|' >> %s/modules.builtin",
		 self->release, name, self->fake);
	return run_cmd(cmd, NULL, 0);
}

/*
 * Without a module, its option is named (the overlay's only for the
 * root); listed in modules.builtin instead, nothing is missing.
 */
TEST_F(shares, each_module_missing_or_builtin)
{
	char got[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fs_names); i++) {
		ASSERT_EQ(0, reset_fake(self));
		ASSERT_EQ(0, drop_module(self, fs_names[i]));
		initramfs_missing_fs(self->fake, true, got, sizeof(got));
		EXPECT_STREQ(fs_configs[i], got);
		initramfs_missing_fs(self->fake, false, got, sizeof(got));
		EXPECT_STREQ(i == 2 ? "" : fs_configs[i], got);
		ASSERT_EQ(0, make_builtin(self, fs_names[i]));
		initramfs_missing_fs(self->fake, true, got, sizeof(got));
		EXPECT_STREQ("", got) TH_LOG("%s in modules.builtin", fs_names[i]);
	}
}

TEST_F(shares, all_missing_in_one_line)
{
	char got[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fs_names); i++)
		ASSERT_EQ(0, drop_module(self, fs_names[i]));
	initramfs_missing_fs(self->fake, true, got, sizeof(got));
	EXPECT_STREQ("CONFIG_FUSE_FS, CONFIG_VIRTIO_FS, CONFIG_OVERLAY_FS", got);
}

/* No modules.dep (a kernel with its drivers built in): /init checks. */
TEST_F(shares, no_modules_dep_is_not_missing)
{
	char got[256] = "x";

	initramfs_missing_fs("/nonexistent", true, got, sizeof(got));
	EXPECT_STREQ("", got);
}

/* Writes the archive for @cfg and unpacks it into dir/root. */
static int build(FIXTURE_DATA(shares) *self, struct initramfs_config *cfg)
{
	char path[PATH_MAX], cmd[PATH_MAX * 2];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/archive", self->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	ret = initramfs_write(fd, cfg);
	close(fd);
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %s/root && mkdir %s/root && cd %s/root && cpio -idm --quiet < %s",
		 self->dir, self->dir, self->dir, path);
	return run_cmd(cmd, NULL, 0);
}

static void archive_config(FIXTURE_DATA(shares) *self,
			   struct initramfs_config *cfg)
{
	initramfs_defaults(cfg);
	cfg->release = self->release;
	cfg->modules_root = "/lib/modules";
}

/*
 * The archive for @cfg packs what it packs without shares and what
 * "modprobe --show-depends" loads for @extra, nothing else, and each
 * module after what modprobe loads before it.
 */
static void expect_modules(struct __test_metadata *_metadata,
			   FIXTURE_DATA(shares) *self,
			   struct initramfs_config *cfg, const char *extra)
{
	struct initramfs_config base = *cfg;
	char cmd[CMD_LEN], want[8192], got[8192];

	base.fs_modules = false;
	base.root_tag = NULL;
	ASSERT_EQ(0, build(self, &base));
	snprintf(cmd, sizeof(cmd), "cp %s/root/lkvm/modules %s/base", self->dir,
		 self->dir);
	ASSERT_EQ(0, run_cmd(cmd, NULL, 0));
	ASSERT_EQ(0, build(self, cfg));
	snprintf(cmd, sizeof(cmd),
		 "{ cat %s/base; for m in %s; do modprobe -S %s --show-depends $m; done | "
		 "sed -n 's/^insmod \\([^ ]*\\).*/\\1/p'; } | sort -u",
		 self->dir, extra, self->release);
	ASSERT_EQ(0, run_cmd(cmd, want, sizeof(want)));
	snprintf(cmd, sizeof(cmd), "sort -u %s/root/lkvm/modules", self->dir);
	ASSERT_EQ(0, run_cmd(cmd, got, sizeof(got)));
	EXPECT_STREQ(want, got);
	snprintf(cmd, sizeof(cmd),
		 "list=%s/root/lkvm/modules; n=0; while read -r m; do n=$((n+1)); "
		 "for d in $(modprobe -S %s --show-depends $(basename $m .ko) | "
		 "sed -n 's/^insmod \\([^ ]*\\).*/\\1/p'); do "
		 "p=$(grep -nxF $d $list | cut -d: -f1); "
		 "[ \"$d\" = \"$m\" ] || [ \"${p:-99999}\" -lt $n ] || echo \"$d after $m\"; "
		 "done; done < $list",
		 self->dir, self->release);
	ASSERT_EQ(0, run_cmd(cmd, got, sizeof(got)));
	EXPECT_STREQ("", got);
}

TEST_F(shares, root_share_archive)
{
	struct initramfs_config cfg;
	char cmd[CMD_LEN], tag[64];

	if (run_cmd("command -v modprobe >/dev/null", NULL, 0))
		SKIP(return, "modprobe (kmod) not installed");
	archive_config(self, &cfg);
	cfg.fs_modules = true;
	cfg.root_tag = INITRAMFS_ROOT_TAG;
	cfg.cwd = "/tmp/a b'c";
	expect_modules(_metadata, self, &cfg, "fuse virtiofs overlay");
	snprintf(cmd, sizeof(cmd), "cat %s/root/lkvm/root-tag", self->dir);
	ASSERT_EQ(0, run_cmd(cmd, tag, sizeof(tag)));
	EXPECT_STREQ("root", tag);
	snprintf(cmd, sizeof(cmd), "cat %s/root/lkvm/cwd", self->dir);
	ASSERT_EQ(0, run_cmd(cmd, tag, sizeof(tag)));
	EXPECT_STREQ(cfg.cwd, tag);
}

/* --share alone: fuse and virtiofs, no overlay, no root-tag or cwd. */
TEST_F(shares, user_share_archive)
{
	struct initramfs_config cfg;
	char cmd[CMD_LEN];

	if (run_cmd("command -v modprobe >/dev/null", NULL, 0))
		SKIP(return, "modprobe (kmod) not installed");
	archive_config(self, &cfg);
	cfg.fs_modules = true;
	cfg.cwd = "/tmp";
	expect_modules(_metadata, self, &cfg, "fuse virtiofs");
	snprintf(cmd, sizeof(cmd), "test -e %s/root/lkvm/root-tag", self->dir);
	EXPECT_NE(0, run_cmd(cmd, NULL, 0));
	snprintf(cmd, sizeof(cmd), "test -e %s/root/lkvm/cwd", self->dir);
	EXPECT_NE(0, run_cmd(cmd, NULL, 0));
}

/* What lkvm run decides with a kernel whose tree lacks virtiofs. */
TEST_F(shares, prepare_falls_back_or_refuses)
{
	char *argv[] = { "true", NULL }, path[PATH_LEN];
	struct boot_config boot = { .kernel = test_kernel() };
	bool root = true;
	int saved, ret;

	snprintf(path, sizeof(path), "%s/stderr", self->dir);
	ASSERT_EQ(0, drop_module(self, "virtiofs"));
	setenv("LKVM_MODULES_DIR", self->fake_root, 1);

	/* The default share: one line, then the initramfs root. */
	saved = capture_start(path);
	ret = initramfs_prepare_shares(&boot, 1, argv, &root, false);
	capture_end(saved, path, self->err, sizeof(self->err));
	EXPECT_EQ(0, ret) TH_LOG("%s", self->err);
	EXPECT_FALSE(root);
	EXPECT_EQ(1, count_lines(self->err)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->err, "lacks CONFIG_VIRTIO_FS"));
	EXPECT_NE(NULL, strstr(self->err, "initramfs"));

	/* --share: refused, in one line. */
	boot.initrd = NULL;
	root = true;
	saved = capture_start(path);
	ret = initramfs_prepare_shares(&boot, 1, argv, &root, true);
	capture_end(saved, path, self->err, sizeof(self->err));
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(NULL, boot.initrd);
	EXPECT_EQ(1, count_lines(self->err)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->err, "--share"));
	EXPECT_NE(NULL, strstr(self->err, "CONFIG_VIRTIO_FS"));
}

/* The real tree: the root share stays, and nothing is said. */
TEST_F(shares, prepare_keeps_root_share)
{
	char *argv[] = { "true", NULL }, path[PATH_LEN];
	struct boot_config boot = { .kernel = test_kernel() };
	bool root = true;
	int saved, ret;

	snprintf(path, sizeof(path), "%s/stderr", self->dir);
	saved = capture_start(path);
	ret = initramfs_prepare_shares(&boot, 1, argv, &root, true);
	capture_end(saved, path, self->err, sizeof(self->err));
	if (ret && strstr(self->err, "guest-init"))
		SKIP(return, "guest-init is not built");
	EXPECT_EQ(0, ret) TH_LOG("%s", self->err);
	EXPECT_TRUE(root);
	EXPECT_STREQ("", self->err);
	EXPECT_NE(NULL, boot.initrd);
}

/* A payload is no Linux kernel: no root share, whatever run.c assumed. */
TEST(prepare_payload_has_no_root_share)
{
	struct boot_config boot = { .kernel = "/bin/true" };
	bool root = true;

	EXPECT_EQ(0, initramfs_prepare_shares(&boot, 0, NULL, &root, false));
	EXPECT_FALSE(root);
	EXPECT_EQ(NULL, boot.initrd);
}

TEST_HARNESS_MAIN
