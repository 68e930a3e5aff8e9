// SPDX-License-Identifier: GPL-2.0
/*
 * Nothing outside the shared directory is reachable: not through "..",
 * not through symlinks (relative, absolute, to the root, to "..", /proc's
 * magic links), not through names with '/', over-long names, or nodeids
 * and file handles the server never issued.  The tree has a sibling
 * directory "outside" with a file "secret" for every escape to aim at,
 * and every case checks that what came back is the share's own object
 * (by lstat(2) of the host), never the target's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs_client.h"
#include "kselftest_harness.h"

FIXTURE(confine) {
	struct fs_tree t;
	struct fs_client c;
	struct stat secret;		/* outside/secret, the target */
};

FIXTURE_SETUP(confine)
{
	char path[128];

	ASSERT_EQ(0, make_tree(&self->t));
	snprintf(path, sizeof(path), "%s/secret", self->t.outside);
	ASSERT_EQ(0, stat(path, &self->secret));
	ASSERT_EQ(0, client_open(&self->c, self->t.share, 1024));
	ASSERT_EQ(0, fs_init(&self->c, 7, 38, KERNEL_6_1_INIT_FLAGS, NULL));
}

FIXTURE_TEARDOWN(confine)
{
	client_close(&self->c);
	remove_tree(&self->t);
}

/* The guest kernel resolves "." and ".." itself; the server never does. */
TEST_F(confine, dot_and_dotdot)
{
	struct fuse_entry_out e;
	u64 sub;

	EXPECT_EQ(-EINVAL, fs_lookup(&self->c, FUSE_ROOT_ID, "..", &e));
	EXPECT_EQ(-EINVAL, fs_lookup(&self->c, FUSE_ROOT_ID, ".", &e));
	ASSERT_EQ(0, fs_walk(&self->c, "sub", &sub));
	EXPECT_EQ(-EINVAL, fs_lookup(&self->c, sub, "..", &e));
	EXPECT_EQ(-EINVAL, fs_lookup(&self->c, sub, ".", &e));
}

/*
 * A symlink is a node of its own: its attributes are the link's (lstat),
 * it is no directory to look names up in, and it opens as nothing.
 */
static void check_link_stays(struct __test_metadata *_metadata,
			     struct fs_client *c, const struct fs_tree *t,
			     const char *link, const char *beyond,
			     const struct stat *target)
{
	struct fuse_entry_out e;
	struct stat st;
	u64 node, fh;

	TH_LOG("symlink %s, then %s", link, beyond);
	ASSERT_EQ(0, lstat(host_path(t, link), &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_EQ(0, fs_lookup(c, FUSE_ROOT_ID, link, &e));
	node = e.nodeid;
	EXPECT_EQ(st.st_ino, e.attr.ino);
	EXPECT_EQ(st.st_mode, e.attr.mode);
	if (target)
		EXPECT_NE(target->st_ino, e.attr.ino);
	EXPECT_EQ(-ENOTDIR, fs_lookup(c, node, beyond, &e));
	EXPECT_EQ(-ENOTDIR, fs_open(c, node, O_RDONLY | O_DIRECTORY, true, &fh));
	EXPECT_NE(0, fs_open(c, node, O_RDONLY, false, &fh));
	EXPECT_EQ(2, fuse_server_fds(c->srv));
	EXPECT_EQ(0, fs_forget(c, node, 1));
}

TEST_F(confine, relative_symlink_outside)
{
	check_link_stays(_metadata, &self->c, &self->t, "rel_out", "secret",
			 &self->secret);
}

TEST_F(confine, absolute_symlink_outside)
{
	check_link_stays(_metadata, &self->c, &self->t, "abs_out", "secret",
			 &self->secret);
}

TEST_F(confine, symlink_to_dotdot_and_root)
{
	check_link_stays(_metadata, &self->c, &self->t, "dotdot", "outside",
			 NULL);
	check_link_stays(_metadata, &self->c, &self->t, "abs_root", "tmp",
			 NULL);
}

/* A name is one component: every '/' is refused, whatever it would reach. */
TEST_F(confine, names_with_slash)
{
	static const char *const names[] = {
		"sub/inner", "../outside", "../outside/secret", "/", "/etc",
		"sub/", "/tmp", "rel_out/", "a/../hello",
	};
	struct fuse_entry_out e;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		TH_LOG("'%s'", names[i]);
		EXPECT_EQ(-EINVAL, fs_lookup(&self->c, FUSE_ROOT_ID, names[i],
					     &e));
	}
	EXPECT_EQ(1, fuse_server_fds(self->c.srv));
}

/* NAME_MAX is the host's limit: compare with lstat(2) of the same names. */
TEST_F(confine, long_names)
{
	char name[300];
	struct fuse_entry_out e;
	struct stat st;
	char path[512];

	memset(name, 'a', sizeof(name));
	name[256] = '\0';
	snprintf(path, sizeof(path), "%s/%s", self->t.share, name);
	ASSERT_EQ(-1, lstat(path, &st));
	EXPECT_EQ(-errno, fs_lookup(&self->c, FUSE_ROOT_ID, name, &e));
	EXPECT_EQ(-ENAMETOOLONG, fs_lookup(&self->c, FUSE_ROOT_ID, name, &e));
	name[255] = '\0';
	path[strlen(path) - 1] = '\0';
	ASSERT_EQ(-1, lstat(path, &st));
	EXPECT_EQ(-errno, fs_lookup(&self->c, FUSE_ROOT_ID, name, &e));
	/* The longest name there is, as a real file. */
	ASSERT_EQ(0, mkdir(path, 0755));
	EXPECT_EQ(0, fs_lookup(&self->c, FUSE_ROOT_ID, name, &e));
	EXPECT_EQ(0, rmdir(path));
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, fs_lookup(&self->c, FUSE_ROOT_ID, name, &e));
}

/* Every operation on a nodeid the server did not issue: ESTALE. */
static void check_stale(struct __test_metadata *_metadata,
			struct fs_client *c, u64 id)
{
	struct fuse_access_in acc = { .mask = R_OK };
	struct fuse_entry_out e;
	struct fuse_attr a;
	char buf[64];
	u64 fh;

	TH_LOG("nodeid %#llx", (unsigned long long)id);
	EXPECT_EQ(-ESTALE, fs_getattr(c, id, &a));
	EXPECT_EQ(-ESTALE, fs_lookup(c, id, "hello", &e));
	EXPECT_EQ(-ESTALE, fs_open(c, id, O_RDONLY, false, &fh));
	EXPECT_EQ(-ESTALE, fs_open(c, id, O_RDONLY, true, &fh));
	EXPECT_EQ(-ESTALE, fs_readlink(c, id, buf, sizeof(buf)));
	EXPECT_EQ(-ESTALE, fs_call(c, FUSE_STATFS, id, NULL, 0, NULL, 0));
	EXPECT_EQ(-ESTALE, fs_call(c, FUSE_ACCESS, id, &acc, sizeof(acc),
				   NULL, 0));
	/* FORGET of it does nothing, and says nothing. */
	EXPECT_EQ(0, fs_forget(c, id, 1));
}

TEST_F(confine, unissued_nodeids)
{
	static const u64 ids[] = {
		0, 2, 3, 15, 16, 1ULL << 32 | 1, 1ULL << 32 | 2,
		0xffffffff, ~0ULL, 0xdeadbeefcafeULL,
	};
	unsigned int i;
	u64 hello, sub;

	for (i = 0; i < ARRAY_SIZE(ids); i++)
		check_stale(_metadata, &self->c, ids[i]);
	/* A forgotten nodeid, and then its slot used by another inode. */
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &hello));
	EXPECT_EQ(0, fs_forget(&self->c, hello, 1));
	check_stale(_metadata, &self->c, hello);
	ASSERT_EQ(0, fs_walk(&self->c, "sub", &sub));
	/* The slot is reused with a new generation: a different nodeid. */
	EXPECT_EQ((u32)hello, (u32)sub);
	check_stale(_metadata, &self->c, hello);
	EXPECT_EQ(2, fuse_server_fds(self->c.srv));
}

/* File handles: unknown, released or of the wrong kind. */
TEST_F(confine, unissued_file_handles)
{
	static const u64 fhs[] = { 0, 1, 2, 1ULL << 32 | 1, ~0ULL };
	struct fuse_read_in rd = { .size = 64 };
	u64 node, dir, fh, dfh;
	char buf[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fhs); i++) {
		rd.fh = fhs[i];
		EXPECT_EQ(-EBADF, fs_read(&self->c, fhs[i], 0, 64, buf));
		EXPECT_EQ(-EBADF, fs_call(&self->c, FUSE_READDIR, 1, &rd,
					  sizeof(rd), NULL, 0));
		EXPECT_EQ(-EBADF, fs_release(&self->c, fhs[i], false));
		EXPECT_EQ(-EBADF, fs_release(&self->c, fhs[i], true));
	}
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &node));
	ASSERT_EQ(0, fs_walk(&self->c, "sub", &dir));
	ASSERT_EQ(0, fs_open(&self->c, node, O_RDONLY, false, &fh));
	ASSERT_EQ(0, fs_open(&self->c, dir, O_RDONLY, true, &dfh));
	EXPECT_EQ(-EISDIR, fs_read(&self->c, dfh, 0, 64, buf));
	rd.fh = fh;
	EXPECT_EQ(-ENOTDIR, fs_call(&self->c, FUSE_READDIR, dir, &rd,
				    sizeof(rd), NULL, 0));
	EXPECT_EQ(-EISDIR, fs_release(&self->c, dfh, false));
	EXPECT_EQ(-ENOTDIR, fs_release(&self->c, fh, true));
	EXPECT_EQ(0, fs_release(&self->c, fh, false));
	EXPECT_EQ(0, fs_release(&self->c, dfh, true));
	EXPECT_EQ(-EBADF, fs_read(&self->c, fh, 0, 64, buf));
}

/*
 * Sharing "/": /proc/PID/fd/N is a magic link to a file outside any
 * share.  It stays a link node (lstat's), READLINK gives its text, and it
 * neither opens nor serves as a directory.
 */
TEST(magic_links)
{
	char rel[64], path[80], want[256], got[256];
	struct fuse_entry_out e;
	struct stat st, target;
	struct fs_client c;
	struct fuse_attr a;
	u64 node, fh;
	long n;
	int fd;

	fd = open("/proc/version", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &target));
	snprintf(rel, sizeof(rel), "proc/%d/fd/%d", getpid(), fd);
	snprintf(path, sizeof(path), "/%s", rel);
	ASSERT_EQ(0, lstat(path, &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	n = readlink(path, want, sizeof(want) - 1);
	ASSERT_GT(n, 0);
	want[n] = '\0';

	ASSERT_EQ(0, client_open(&c, "/", 64));
	ASSERT_EQ(0, fs_init(&c, 7, 38, 0, NULL));
	/* /proc/self is an ordinary symlink: no directory to the server. */
	ASSERT_EQ(0, fs_walk(&c, "proc/self", &node));
	EXPECT_EQ(-ENOTDIR, fs_lookup(&c, node, "fd", &e));
	ASSERT_EQ(0, fs_walk(&c, rel, &node));
	ASSERT_EQ(0, fs_getattr(&c, node, &a));
	EXPECT_EQ(st.st_mode, a.mode);
	EXPECT_NE(target.st_mode, a.mode);
	ASSERT_EQ(0, fs_readlink(&c, node, got, sizeof(got)));
	EXPECT_STREQ(want, got);
	EXPECT_NE(0, fs_open(&c, node, O_RDONLY, false, &fh));
	client_close(&c);
	close(fd);
}

TEST_HARNESS_MAIN
