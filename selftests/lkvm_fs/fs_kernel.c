// SPDX-License-Identifier: GPL-2.0
/*
 * The host kernel's own FUSE client as the reference driver: the server is
 * mounted through /dev/fuse (the same protocol virtio-fs carries), and the
 * mounted tree must look exactly like the shared one to lstat(2),
 * readdir(3), readlink(2) and read(2), must refuse every write with EROFS,
 * and must show the share's symlinks as links, never their targets.  Needs
 * CAP_SYS_ADMIN and /dev/fuse; skipped without them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs_client.h"
#include "kselftest_harness.h"

/* /dev/fuse wants room for the largest request: 8 KiB at least. */
#define DEV_BUF		(FUSE_SERVER_MAX_REQUEST + 4096)

struct mount {
	struct fs_tree t;
	struct fuse_server *srv;
	char mnt[96];
	int dev;
	pthread_t thread;
	bool mounted;
};

/* Reads requests until the kernel says the mount is gone. */
static void *serve(void *arg)
{
	static u8 req[DEV_BUF], rep[FUSE_SERVER_MAX_REPLY];
	struct mount *m = arg;

	for (;;) {
		ssize_t n = read(m->dev, req, sizeof(req));
		size_t len;

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;	/* ENOENT: the request was interrupted */
		if (n <= 0)
			return NULL;
		len = fuse_server_handle(m->srv, req, n, rep, sizeof(rep));
		if (len && write(m->dev, rep, len) < 0 && errno == ENODEV)
			return NULL;
	}
}

/* Mounts @dir, or the temporary tree's share if NULL, on base/mnt. */
static int mount_share(struct mount *m, const char *dir)
{
	char opts[128];

	if (make_tree(&m->t))
		return -1;
	snprintf(m->mnt, sizeof(m->mnt), "%s/mnt", m->t.base);
	m->srv = fuse_server_new(dir ? dir : m->t.share, 4096);
	m->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (!m->srv || m->dev < 0 || mkdir(m->mnt, 0755))
		return -1;
	/* Not read-only: the server's EROFS is what is on trial. */
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,default_permissions",
		 m->dev);
	if (mount("lkvm-fs-test", m->mnt, "fuse", MS_NOSUID | MS_NODEV, opts))
		return -errno;
	m->mounted = true;
	return pthread_create(&m->thread, NULL, serve, m) ? -1 : 0;
}

static void unmount_share(struct mount *m)
{
	if (m->mounted) {
		umount2(m->mnt, MNT_DETACH);
		pthread_join(m->thread, NULL);
	}
	if (m->dev >= 0)
		close(m->dev);
	fuse_server_free(m->srv);
	remove_tree(&m->t);
}

static const char *in_mnt(const struct mount *m, const char *rel)
{
	static char buf[4096 + 128];

	snprintf(buf, sizeof(buf), "%s%s%s", m->mnt, *rel ? "/" : "", rel);
	return buf;
}

FIXTURE(kern) {
	struct mount m;
};

FIXTURE_SETUP(kern)
{
	int ret;

	self->m.dev = -1;
	alarm(60);
	ret = mount_share(&self->m, NULL);
	if (ret == -EPERM || ret == -ENODEV || ret == -EACCES)
		SKIP(return, "cannot mount a FUSE file system here");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(kern)
{
	unmount_share(&self->m);
}

static void expect_same_stat(struct __test_metadata *_metadata,
			     const struct stat *a, const struct stat *b)
{
	EXPECT_EQ(a->st_ino, b->st_ino);
	EXPECT_EQ(a->st_mode, b->st_mode);
	EXPECT_EQ(a->st_nlink, b->st_nlink);
	EXPECT_EQ(a->st_uid, b->st_uid);
	EXPECT_EQ(a->st_gid, b->st_gid);
	EXPECT_EQ(a->st_size, b->st_size);
	EXPECT_EQ(a->st_blocks, b->st_blocks);
	EXPECT_EQ(a->st_rdev, b->st_rdev);
	EXPECT_EQ(a->st_mtim.tv_sec, b->st_mtim.tv_sec);
	EXPECT_EQ(a->st_mtim.tv_nsec, b->st_mtim.tv_nsec);
	EXPECT_EQ(a->st_ctim.tv_sec, b->st_ctim.tv_sec);
	EXPECT_EQ(a->st_ctim.tv_nsec, b->st_ctim.tv_nsec);
}

static int names(const char *path, char (*out)[256], int max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max)
		snprintf(out[n++], 256, "%s", e->d_name);
	closedir(d);
	qsort(out, n, 256, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Every entry of @rel, recursively: lstat, readlink and contents agree. */
static void compare_dir(struct __test_metadata *_metadata,
			const struct mount *m, const char *rel)
{
	static char host[400][256], fuse[400][256];
	char path[512], host_p[4096 + 128];
	struct stat hs, fs;
	int n, i;

	n = names(host_path(&m->t, rel), host, 400);
	ASSERT_GT(n, 0);
	ASSERT_EQ(n, names(in_mnt(m, rel), fuse, 400));
	for (i = 0; i < n; i++)
		ASSERT_STREQ(host[i], fuse[i]);
	for (i = 0; i < n; i++) {
		char name[256];

		memcpy(name, host[i], sizeof(name));
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
			 name);
		snprintf(host_p, sizeof(host_p), "%s", host_path(&m->t, path));
		ASSERT_EQ(0, lstat(host_p, &hs));
		ASSERT_EQ(0, lstat(in_mnt(m, path), &fs))
			TH_LOG("lstat %s: %s", path, strerror(errno));
		expect_same_stat(_metadata, &hs, &fs);
		if (S_ISDIR(hs.st_mode) && (hs.st_mode & 0500) == 0500) {
			compare_dir(_metadata, m, path);
			/* compare_dir() reuses the static name lists. */
			n = names(host_path(&m->t, rel), host, 400);
		}
	}
}

TEST_F(kern, tree_looks_the_same)
{
	struct stat hs, fs;

	ASSERT_EQ(0, stat(self->m.t.share, &hs));
	ASSERT_EQ(0, stat(self->m.mnt, &fs));
	EXPECT_EQ(hs.st_ino, fs.st_ino);
	EXPECT_EQ(hs.st_mode, fs.st_mode);
	compare_dir(_metadata, &self->m, "");
}

TEST_F(kern, contents_and_links)
{
	static char want[300000], got[300000];
	static const char *const links[] = {
		"rel_in", "rel_out", "abs_out", "dotdot", "abs_root",
	};
	char lw[256], lg[256], path[4096 + 128];
	unsigned int i;
	int hf, mf;
	long n;

	hf = open(host_path(&self->m.t, "hello"), O_RDONLY);
	mf = open(in_mnt(&self->m, "hello"), O_RDONLY);
	ASSERT_LE(0, hf);
	ASSERT_LE(0, mf);
	n = read(hf, want, sizeof(want));
	ASSERT_EQ(sizeof(want), n);
	EXPECT_EQ(n, read(mf, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(want, got, n));
	EXPECT_EQ(0, read(mf, got, 1));
	close(hf);
	close(mf);
	for (i = 0; i < ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), "%s", host_path(&self->m.t, links[i]));
		n = readlink(path, lw, sizeof(lw));
		ASSERT_GT(n, 0);
		ASSERT_EQ(n, readlink(in_mnt(&self->m, links[i]), lg,
				      sizeof(lg)));
		EXPECT_EQ(0, memcmp(lw, lg, n));
	}
}

/* Through the kernel, every kind of write meets the server's EROFS. */
TEST_F(kern, writes_fail_erofs)
{
	char path[4096 + 128];

	snprintf(path, sizeof(path), "%s", in_mnt(&self->m, "hello"));
	EXPECT_EQ(-1, open(path, O_WRONLY));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, truncate(path, 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, chmod(path, 0600));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, unlink(path));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mkdir(in_mnt(&self->m, "newdir"), 0755));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(in_mnt(&self->m, "newfile"), O_WRONLY | O_CREAT,
			   0644));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, symlink("x", in_mnt(&self->m, "newlink")));
	EXPECT_EQ(EROFS, errno);
	snprintf(path, sizeof(path), "%s", in_mnt(&self->m, "sub"));
	EXPECT_EQ(-1, rename(path, in_mnt(&self->m, "sub2")));
	EXPECT_EQ(EROFS, errno);
}

/*
 * The kernel developer's loop in small: "/" shared, and a host shell run
 * from it, with its loader and libraries read through the server.
 */
TEST(root_share_runs_host_binaries)
{
	struct mount m = { .dev = -1 };
	int ret, status;
	pid_t pid;

	alarm(60);
	ret = mount_share(&m, "/");
	if (ret == -EPERM || ret == -ENODEV || ret == -EACCES)
		SKIP(goto out, "cannot mount a FUSE file system here");
	ASSERT_EQ(0, ret);
	pid = fork();
	if (!pid) {
		if (chroot(m.mnt) || chdir("/"))
			_exit(1);
		execl("/bin/sh", "sh", "-c",
		      "test -r /etc/passwd && test -n \"$(ls /usr/bin)\" && exit 42",
		      (char *)NULL);
		perror("execl /bin/sh");
		_exit(2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(42, WEXITSTATUS(status));
out:
	unmount_share(&m);
}

TEST_HARNESS_MAIN
