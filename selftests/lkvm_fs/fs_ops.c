// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-server.c answers what the host answers: every attribute against
 * lstat(2), every directory against readdir(3), every link against
 * readlink(2), every read against pread(2), statfs against statfs(2), over
 * a temporary tree of files, directories, links, a fifo, a hard link and
 * files the caller may not read.  INIT follows <linux/fuse.h>'s rules and
 * what Linux 6.1 offers; lookup counts and file handles live and die as
 * the protocol says.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fs_client.h"
#include "kselftest_harness.h"

#define MAX_ENTRIES	512

struct dent {
	char name[256];
	u64 ino;
	u32 type;
};

static void expect_attr(struct __test_metadata *_metadata,
			const struct fuse_attr *a, const struct stat *st)
{
	EXPECT_EQ(st->st_ino, a->ino);
	EXPECT_EQ(st->st_mode, a->mode);
	EXPECT_EQ(st->st_nlink, a->nlink);
	EXPECT_EQ(st->st_uid, a->uid);
	EXPECT_EQ(st->st_gid, a->gid);
	EXPECT_EQ(st->st_size, a->size);
	EXPECT_EQ(st->st_blocks, a->blocks);
	EXPECT_EQ(st->st_blksize, a->blksize);
	EXPECT_EQ(st->st_rdev, decode_rdev(a->rdev));
	EXPECT_EQ(st->st_mtim.tv_sec, a->mtime);
	EXPECT_EQ(st->st_mtim.tv_nsec, a->mtimensec);
	EXPECT_EQ(st->st_ctim.tv_sec, a->ctime);
	EXPECT_EQ(st->st_ctim.tv_nsec, a->ctimensec);
	EXPECT_EQ(st->st_atim.tv_sec, a->atime);
	EXPECT_EQ(st->st_atim.tv_nsec, a->atimensec);
}

static int cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name,
		      ((const struct dent *)b)->name);
}

/* The host's view of @path: readdir(3), sorted by name. */
static int host_readdir(const char *path, struct dent *d)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)) && n < MAX_ENTRIES) {
		snprintf(d[n].name, sizeof(d[n].name), "%s", e->d_name);
		d[n].ino = e->d_ino;
		d[n].type = e->d_type;
		n++;
	}
	closedir(dir);
	qsort(d, n, sizeof(*d), cmp_dent);
	return n;
}

/*
 * The server's view: READDIR with @size until an empty reply, each reply
 * parsed with the rules of struct fuse_dirent; sorted by name.
 */
static int fuse_readdir(struct fs_client *c, u64 fh, u32 size, struct dent *d)
{
	struct fuse_read_in in = { .fh = fh, .size = size };
	int n = 0, rounds, err;

	for (rounds = 0; rounds < 4 * MAX_ENTRIES; rounds++) {
		size_t pos = 0;

		err = fs_call(c, FUSE_READDIR, 0, &in, sizeof(in), NULL, 0);
		if (err)
			return err;
		if (!c->body_len)
			break;
		if (c->body_len > size)
			return BAD_REPLY;
		while (pos < c->body_len) {
			struct fuse_dirent e;

			if (c->body_len - pos < FUSE_NAME_OFFSET || n == MAX_ENTRIES)
				return BAD_REPLY;
			memcpy(&e, c->body + pos, FUSE_NAME_OFFSET);
			if (e.namelen > 255 || FUSE_DIRENT_SIZE(&e) > c->body_len - pos)
				return BAD_REPLY;
			memcpy(d[n].name, c->body + pos + FUSE_NAME_OFFSET, e.namelen);
			d[n].name[e.namelen] = '\0';
			d[n].ino = e.ino;
			d[n].type = e.type;
			n++;
			in.offset = e.off;
			pos += FUSE_DIRENT_SIZE(&e);
		}
	}
	qsort(d, n, sizeof(*d), cmp_dent);
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

FIXTURE(fs) {
	struct fs_tree t;
	struct fs_client c;
};

FIXTURE_SETUP(fs)
{
	ASSERT_EQ(0, make_tree(&self->t));
	ASSERT_EQ(0, client_open(&self->c, self->t.share, 1024));
	ASSERT_EQ(0, fs_init(&self->c, 7, 38, KERNEL_6_1_INIT_FLAGS, NULL));
}

FIXTURE_TEARDOWN(fs)
{
	if (!getuid() && (seteuid(0) || setegid(0)))
		TH_LOG("cannot become root again to remove %s", self->t.base);
	client_close(&self->c);
	remove_tree(&self->t);
}

/* <linux/fuse.h>, "Version negotiation", with what Linux 6.1 offers. */
TEST(init_negotiation)
{
	struct fs_client c;
	struct fuse_init_out o;
	struct fuse_attr a;

	ASSERT_EQ(0, client_open(&c, "/tmp", 16));
	/* Nothing but INIT before INIT. */
	EXPECT_EQ(-EIO, fs_getattr(&c, FUSE_ROOT_ID, &a));
	ASSERT_EQ(0, fs_init(&c, 7, 38, KERNEL_6_1_INIT_FLAGS, &o));
	EXPECT_EQ(7, o.major);
	EXPECT_EQ(38, o.minor);
	/* Only flags the kernel offered, and none we do not implement. */
	EXPECT_EQ(0, o.flags & ~(u32)KERNEL_6_1_INIT_FLAGS);
	EXPECT_EQ(0, o.flags & (FUSE_DO_READDIRPLUS | FUSE_WRITEBACK_CACHE |
				FUSE_POSIX_ACL | FUSE_EXPORT_SUPPORT |
				FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS |
				FUSE_ATOMIC_O_TRUNC | FUSE_NO_OPEN_SUPPORT));
	ASSERT_TRUE(o.flags & FUSE_MAX_PAGES);
	EXPECT_EQ(FUSE_SERVER_MAX_READ, o.max_pages * 4096);
	EXPECT_GE(o.max_write, 4096);
	EXPECT_EQ(1, o.time_gran);
	EXPECT_EQ(0, fs_getattr(&c, FUSE_ROOT_ID, &a));
	/* One INIT per session. */
	EXPECT_EQ(-EPROTO, fs_init(&c, 7, 38, KERNEL_6_1_INIT_FLAGS, NULL));
	client_close(&c);
}

TEST(init_older_minor)
{
	struct fs_client c;
	struct fuse_init_out o;

	ASSERT_EQ(0, client_open(&c, "/tmp", 16));
	/* Linux 5.4, where virtio-fs began, speaks 7.31. */
	ASSERT_EQ(0, fs_init(&c, 7, 31, FUSE_ASYNC_READ, &o));
	EXPECT_EQ(7, o.major);
	EXPECT_EQ(31, o.minor);
	EXPECT_EQ(0, o.flags & ~(u32)FUSE_ASYNC_READ);
	client_close(&c);
}

TEST(init_unsupported)
{
	struct fs_client c;
	struct fuse_init_out o;
	struct fuse_attr a;

	ASSERT_EQ(0, client_open(&c, "/tmp", 16));
	EXPECT_EQ(-EPROTO, fs_init(&c, 7, 30, 0, NULL));
	EXPECT_EQ(-EPROTO, fs_init(&c, 6, 38, 0, NULL));
	/* A newer major gets ours back, and the session waits for a retry. */
	ASSERT_EQ(0, fs_init(&c, 8, 0, 0, &o));
	EXPECT_EQ(7, o.major);
	EXPECT_EQ(-EIO, fs_getattr(&c, FUSE_ROOT_ID, &a));
	ASSERT_EQ(0, fs_init(&c, 7, 38, 0, &o));
	EXPECT_EQ(0, fs_getattr(&c, FUSE_ROOT_ID, &a));
	client_close(&c);
}

static const char *const tree_names[] = {
	"hello", "empty", "sub", "sub/inner", "sub/deeper", "hardlink",
	"rel_in", "rel_out", "abs_out", "dotdot", "abs_root", "fifo",
	"secret0", "closed", "many", "many/entry-007-abcdefg",
};

TEST_F(fs, lookup_and_getattr_match_lstat)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	unsigned int i;
	u64 parent;
	char rel[64];

	ASSERT_EQ(0, stat(self->t.share, &st));
	ASSERT_EQ(0, fs_getattr(&self->c, FUSE_ROOT_ID, &a));
	expect_attr(_metadata, &a, &st);
	for (i = 0; i < ARRAY_SIZE(tree_names); i++) {
		const char *slash = strrchr(tree_names[i], '/');

		TH_LOG("%s", tree_names[i]);
		snprintf(rel, sizeof(rel), "%.*s",
			 slash ? (int)(slash - tree_names[i]) : 0, tree_names[i]);
		ASSERT_EQ(0, fs_walk(&self->c, rel, &parent));
		ASSERT_EQ(0, fs_lookup(&self->c, parent,
				       slash ? slash + 1 : tree_names[i], &e));
		ASSERT_EQ(0, lstat(host_path(&self->t, tree_names[i]), &st));
		expect_attr(_metadata, &e.attr, &st);
		ASSERT_EQ(0, fs_getattr(&self->c, e.nodeid, &a));
		expect_attr(_metadata, &a, &st);
	}
}

TEST_F(fs, missing_names_match_host)
{
	struct fuse_entry_out e;
	struct stat st;
	u64 sub;

	ASSERT_EQ(-1, lstat(host_path(&self->t, "nope"), &st));
	EXPECT_EQ(-errno, fs_lookup(&self->c, FUSE_ROOT_ID, "nope", &e));
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &sub));
	ASSERT_EQ(-1, lstat(host_path(&self->t, "hello/x"), &st));
	EXPECT_EQ(-errno, fs_lookup(&self->c, sub, "x", &e));
}

/* One nodeid per host inode, as the host's st_ino says. */
TEST_F(fs, nodeid_per_inode)
{
	struct stat hello, hard, inner, link;
	u64 a, b, c, d;

	ASSERT_EQ(0, lstat(host_path(&self->t, "hello"), &hello));
	ASSERT_EQ(0, lstat(host_path(&self->t, "hardlink"), &hard));
	ASSERT_EQ(0, lstat(host_path(&self->t, "sub/inner"), &inner));
	ASSERT_EQ(0, lstat(host_path(&self->t, "rel_in"), &link));
	ASSERT_EQ(hello.st_ino, hard.st_ino);
	ASSERT_NE(inner.st_ino, link.st_ino);
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &a));
	ASSERT_EQ(0, fs_walk(&self->c, "hardlink", &b));
	EXPECT_EQ(a, b);
	ASSERT_EQ(0, fs_walk(&self->c, "sub/inner", &c));
	ASSERT_EQ(0, fs_walk(&self->c, "rel_in", &d));
	EXPECT_NE(c, d);
	EXPECT_NE(a, c);
	ASSERT_EQ(0, fs_walk(&self->c, "sub/inner", &d));
	EXPECT_EQ(c, d);
}

static void check_readdir(struct __test_metadata *_metadata,
			  struct fs_client *c, const struct fs_tree *t,
			  const char *rel, u32 size)
{
	static struct dent host[MAX_ENTRIES], fuse[MAX_ENTRIES];
	int n, m, i;
	u64 node, fh;

	TH_LOG("readdir '%s' in %u-byte replies", rel, size);
	n = host_readdir(host_path(t, rel), host);
	ASSERT_GT(n, 0);
	ASSERT_EQ(0, fs_walk(c, rel, &node));
	ASSERT_EQ(0, fs_open(c, node, O_RDONLY | O_DIRECTORY, true, &fh));
	m = fuse_readdir(c, fh, size, fuse);
	ASSERT_EQ(n, m);
	for (i = 0; i < n; i++) {
		EXPECT_STREQ(host[i].name, fuse[i].name);
		EXPECT_EQ(host[i].ino, fuse[i].ino);
		EXPECT_EQ(host[i].type, fuse[i].type);
	}
	EXPECT_EQ(0, fs_release(c, fh, true));
}

TEST_F(fs, readdir_matches_host)
{
	check_readdir(_metadata, &self->c, &self->t, "", 4096);
	check_readdir(_metadata, &self->c, &self->t, "sub", 4096);
	check_readdir(_metadata, &self->c, &self->t, "sub/deeper", 4096);
	/* 300 entries: many replies, each resuming at the last d_off. */
	check_readdir(_metadata, &self->c, &self->t, "many", 4096);
	check_readdir(_metadata, &self->c, &self->t, "many", 100);
	check_readdir(_metadata, &self->c, &self->t, "many", 0xffffffff);
}

TEST_F(fs, read_matches_host)
{
	static u8 want[FUSE_SERVER_MAX_READ + 1], got[FUSE_SERVER_MAX_READ + 1];
	static const struct read_case {
		u64 off;
		u32 size;
	} cases[] = {
		{ 0, 4096 }, { 1, 100 }, { 4095, 8193 }, { 299990, 100 },
		{ 300000, 10 }, { 301000, 10 }, { 0, 0 },
		{ 0, FUSE_SERVER_MAX_READ }, { 12345, 0xffffffff },
	};
	int fd = open(host_path(&self->t, "hello"), O_RDONLY);
	unsigned int i;
	u64 node, fh;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &node));
	ASSERT_EQ(0, fs_open(&self->c, node, O_RDONLY, false, &fh));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 size = cases[i].size;
		long n;

		/* The server caps a read at FUSE_SERVER_MAX_READ bytes. */
		if (size > FUSE_SERVER_MAX_READ)
			size = FUSE_SERVER_MAX_READ;
		n = pread(fd, want, size, cases[i].off);

		TH_LOG("read %u at %llu", cases[i].size,
		       (unsigned long long)cases[i].off);
		ASSERT_EQ(n, fs_read(&self->c, fh, cases[i].off,
				     cases[i].size, got));
		EXPECT_EQ(0, memcmp(want, got, n));
	}
	EXPECT_EQ(0, fs_release(&self->c, fh, false));
	close(fd);
}

TEST_F(fs, readlink_matches_readlink)
{
	static const char *const links[] = {
		"rel_in", "rel_out", "abs_out", "dotdot", "abs_root",
	};
	char want[4096], got[4096];
	unsigned int i;
	u64 node;
	long n;

	for (i = 0; i < ARRAY_SIZE(links); i++) {
		n = readlink(host_path(&self->t, links[i]), want,
			     sizeof(want) - 1);
		ASSERT_GT(n, 0);
		want[n] = '\0';
		ASSERT_EQ(0, fs_walk(&self->c, links[i], &node));
		ASSERT_EQ(0, fs_readlink(&self->c, node, got, sizeof(got)));
		EXPECT_STREQ(want, got);
	}
	/* Not a link: the host says EINVAL. */
	ASSERT_EQ(-1, readlink(host_path(&self->t, "hello"), want, 10));
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &node));
	EXPECT_EQ(-errno, fs_readlink(&self->c, node, got, sizeof(got)));
}

TEST_F(fs, statfs_matches_host)
{
	struct fuse_statfs_out o;
	struct statfs s;

	ASSERT_EQ(0, statfs(self->t.share, &s));
	ASSERT_EQ(0, fs_call(&self->c, FUSE_STATFS, FUSE_ROOT_ID, NULL, 0,
			     NULL, 0));
	ASSERT_EQ(sizeof(o), self->c.body_len);
	memcpy(&o, self->c.body, sizeof(o));
	EXPECT_EQ(s.f_blocks, o.st.blocks);
	EXPECT_EQ(s.f_files, o.st.files);
	EXPECT_EQ(s.f_bsize, o.st.bsize);
	EXPECT_EQ(s.f_namelen, o.st.namelen);
	EXPECT_EQ(s.f_frsize, o.st.frsize);
	/* Free counts move with the rest of the machine; within 1%. */
	EXPECT_LE(o.st.bfree, s.f_bfree + s.f_blocks / 100 + 16);
	EXPECT_GE(o.st.bfree + s.f_blocks / 100 + 16, s.f_bfree);
}

TEST_F(fs, access_matches_host)
{
	static const char *const names[] = { "hello", "sub", "secret0", "closed" };
	static const int masks[] = { F_OK, R_OK, X_OK, R_OK | X_OK };
	unsigned int i, j;
	u64 node;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, fs_walk(&self->c, names[i], &node));
		for (j = 0; j < ARRAY_SIZE(masks); j++) {
			struct fuse_access_in in = { .mask = masks[j] };
			int want = faccessat(AT_FDCWD, host_path(&self->t, names[i]),
					     masks[j], AT_EACCESS) ? -errno : 0;

			EXPECT_EQ(want, fs_call(&self->c, FUSE_ACCESS, node,
						&in, sizeof(in), NULL, 0));
		}
		struct fuse_access_in w = { .mask = W_OK };

		EXPECT_EQ(-EROFS, fs_call(&self->c, FUSE_ACCESS, node, &w,
					  sizeof(w), NULL, 0));
	}
}

/* Every request that would change something is refused; nothing changes. */
TEST_F(fs, writes_are_erofs)
{
	static const u32 ops[] = {
		FUSE_SETATTR, FUSE_SYMLINK, FUSE_MKNOD, FUSE_MKDIR, FUSE_UNLINK,
		FUSE_RMDIR, FUSE_RENAME, FUSE_RENAME2, FUSE_LINK, FUSE_WRITE,
		FUSE_CREATE, FUSE_TMPFILE, FUSE_SETXATTR, FUSE_REMOVEXATTR,
		FUSE_FALLOCATE, FUSE_COPY_FILE_RANGE,
	};
	static const u32 open_flags[] = {
		O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_WRONLY | O_CREAT,
	};
	/* Big enough for any of their arguments, then a name. */
	u8 arg[128 + 8] = { 0 };
	struct stat before, after;
	unsigned int i;
	u64 node, fh;

	memcpy(arg + 128, "newname", 8);
	ASSERT_EQ(0, stat(self->t.share, &before));
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &node));
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		TH_LOG("opcode %u", ops[i]);
		EXPECT_EQ(-EROFS, fs_call(&self->c, ops[i], node, arg,
					  sizeof(arg), NULL, 0));
		EXPECT_EQ(-EROFS, fs_call(&self->c, ops[i], FUSE_ROOT_ID, arg,
					  sizeof(arg), NULL, 0));
	}
	for (i = 0; i < ARRAY_SIZE(open_flags); i++)
		EXPECT_EQ(-EROFS, fs_open(&self->c, node, open_flags[i], false,
					  &fh));
	ASSERT_EQ(0, stat(self->t.share, &after));
	EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	EXPECT_EQ(before.st_nlink, after.st_nlink);
	/* The root and "hello": no open succeeded. */
	EXPECT_EQ(2, fuse_server_fds(self->c.srv));
}

/* OPEN opens regular files, OPENDIR directories, and nothing blocks. */
TEST_F(fs, open_kinds)
{
	u64 node, fh;

	alarm(10);
	ASSERT_EQ(0, fs_walk(&self->c, "sub", &node));
	EXPECT_EQ(-EISDIR, fs_open(&self->c, node, O_RDONLY, false, &fh));
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &node));
	EXPECT_EQ(-ENOTDIR, fs_open(&self->c, node, O_RDONLY, true, &fh));
	/* A fifo without writer would block a real open. */
	ASSERT_EQ(0, fs_walk(&self->c, "fifo", &node));
	EXPECT_EQ(-EACCES, fs_open(&self->c, node, O_RDONLY, false, &fh));
	ASSERT_EQ(0, fs_walk(&self->c, "rel_in", &node));
	EXPECT_EQ(-EACCES, fs_open(&self->c, node, O_RDONLY, false, &fh));
	EXPECT_EQ(-ENOTDIR, fs_open(&self->c, node, O_RDONLY, true, &fh));
	alarm(0);
}

TEST_F(fs, flush_and_release)
{
	struct fuse_flush_in fl = { 0 };
	u64 node, fh;
	char buf[8];

	ASSERT_EQ(0, fs_walk(&self->c, "hello", &node));
	ASSERT_EQ(2, fuse_server_fds(self->c.srv));
	ASSERT_EQ(0, fs_open(&self->c, node, O_RDONLY, false, &fh));
	EXPECT_EQ(3, fuse_server_fds(self->c.srv));
	fl.fh = fh;
	EXPECT_EQ(0, fs_call(&self->c, FUSE_FLUSH, node, &fl, sizeof(fl),
			     NULL, 0));
	EXPECT_EQ(0, fs_release(&self->c, fh, false));
	EXPECT_EQ(2, fuse_server_fds(self->c.srv));
	EXPECT_EQ(-EBADF, fs_read(&self->c, fh, 0, 8, buf));
	EXPECT_EQ(-EBADF, fs_release(&self->c, fh, false));
	EXPECT_EQ(-EBADF, fs_call(&self->c, FUSE_FLUSH, node, &fl, sizeof(fl),
				  NULL, 0));
}

/* A node lives until FORGET has taken back every LOOKUP. */
TEST_F(fs, forget_counts_lookups)
{
	struct fuse_attr a;
	u64 node, again, sub, empty;
	struct {
		struct fuse_batch_forget_in h;
		struct fuse_forget_one one[2];
	} batch;

	ASSERT_EQ(1, fuse_server_fds(self->c.srv));
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &node));
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &again));
	ASSERT_EQ(0, fs_walk(&self->c, "hardlink", &again));
	ASSERT_EQ(node, again);
	EXPECT_EQ(2, fuse_server_fds(self->c.srv));
	EXPECT_EQ(0, fs_forget(&self->c, node, 2));
	EXPECT_EQ(0, fs_getattr(&self->c, node, &a));
	EXPECT_EQ(0, fs_forget(&self->c, node, 1));
	EXPECT_EQ(-ESTALE, fs_getattr(&self->c, node, &a));
	EXPECT_EQ(1, fuse_server_fds(self->c.srv));

	ASSERT_EQ(0, fs_walk(&self->c, "sub", &sub));
	ASSERT_EQ(0, fs_walk(&self->c, "empty", &empty));
	batch.h = (struct fuse_batch_forget_in) { .count = 2 };
	batch.one[0] = (struct fuse_forget_one) { sub, 1 };
	batch.one[1] = (struct fuse_forget_one) { empty, 1 };
	EXPECT_EQ(2, fs_call(&self->c, FUSE_BATCH_FORGET, 0, &batch,
			     sizeof(batch), NULL, 0));
	EXPECT_EQ(-ESTALE, fs_getattr(&self->c, sub, &a));
	EXPECT_EQ(-ESTALE, fs_getattr(&self->c, empty, &a));
	/* The root is never forgotten. */
	EXPECT_EQ(0, fs_forget(&self->c, FUSE_ROOT_ID, 1000));
	EXPECT_EQ(0, fs_getattr(&self->c, FUSE_ROOT_ID, &a));
	EXPECT_EQ(1, fuse_server_fds(self->c.srv));
}

TEST_F(fs, destroy_starts_over)
{
	struct fuse_attr a;
	u64 node, fh;
	char buf[8];

	ASSERT_EQ(0, fs_walk(&self->c, "sub/inner", &node));
	ASSERT_EQ(0, fs_open(&self->c, node, O_RDONLY, false, &fh));
	EXPECT_EQ(0, fs_call(&self->c, FUSE_DESTROY, 0, NULL, 0, NULL, 0));
	EXPECT_EQ(0, self->c.body_len);
	EXPECT_EQ(1, fuse_server_fds(self->c.srv));
	EXPECT_EQ(-EIO, fs_getattr(&self->c, FUSE_ROOT_ID, &a));
	ASSERT_EQ(0, fs_init(&self->c, 7, 38, KERNEL_6_1_INIT_FLAGS, NULL));
	EXPECT_EQ(-ESTALE, fs_getattr(&self->c, node, &a));
	EXPECT_EQ(-EBADF, fs_read(&self->c, fh, 0, 8, buf));
	EXPECT_EQ(0, fs_getattr(&self->c, FUSE_ROOT_ID, &a));
}

/*
 * Nodes other than directories take at most half of max_fds and are held
 * by name, with no descriptor, beyond; past max_fds a LOOKUP of a
 * directory or an OPEN fails with ENFILE, and recovers.
 */
TEST(fd_limit)
{
	struct fs_tree t = { 0 };
	struct fs_client c;
	struct fuse_entry_out e;
	u64 hello, sub, fh;

	ASSERT_EQ(0, make_tree(&t));
	ASSERT_EQ(0, client_open(&c, t.share, 4));
	ASSERT_EQ(0, fs_init(&c, 7, 38, 0, NULL));
	ASSERT_EQ(0, fs_walk(&c, "hello", &hello));
	EXPECT_EQ(2, fuse_server_fds(c.srv));
	EXPECT_EQ(0, fs_lookup(&c, FUSE_ROOT_ID, "empty", &e));
	EXPECT_EQ(2, fuse_server_fds(c.srv));
	ASSERT_EQ(0, fs_walk(&c, "sub", &sub));
	ASSERT_EQ(0, fs_walk(&c, "many", &e.nodeid));
	EXPECT_EQ(4, fuse_server_fds(c.srv));
	EXPECT_EQ(-ENFILE, fs_lookup(&c, FUSE_ROOT_ID, "closed", &e));
	EXPECT_EQ(0, fs_lookup(&c, FUSE_ROOT_ID, "hardlink", &e));
	EXPECT_EQ(hello, e.nodeid);
	EXPECT_EQ(-ENFILE, fs_open(&c, hello, O_RDONLY, false, &fh));
	EXPECT_EQ(0, fs_forget(&c, sub, 1));
	EXPECT_EQ(0, fs_open(&c, hello, O_RDONLY, false, &fh));
	EXPECT_EQ(4, fuse_server_fds(c.srv));
	client_close(&c);
	remove_tree(&t);
}

/*
 * A node held by name answers as one held open, against the host's
 * lstat, read and readlink; it pins its directory; a name that leads to
 * another inode now is ESTALE.
 */
TEST(held_by_name)
{
	struct fs_tree t = { 0 };
	struct fs_client c;
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	u64 sub, inner, lnk, empty, fh;
	char buf[64], path[256], moved[256];

	ASSERT_EQ(0, make_tree(&t));
	ASSERT_EQ(0, client_open(&c, t.share, 4));
	ASSERT_EQ(0, fs_init(&c, 7, 38, 0, NULL));
	ASSERT_EQ(0, fs_walk(&c, "sub", &sub));
	ASSERT_EQ(0, fs_walk(&c, "sub/deeper", &e.nodeid));
	ASSERT_EQ(3, fuse_server_fds(c.srv));

	ASSERT_EQ(0, fs_lookup(&c, sub, "inner", &e));
	inner = e.nodeid;
	ASSERT_EQ(0, lstat(host_path(&t, "sub/inner"), &st));
	expect_attr(_metadata, &e.attr, &st);
	ASSERT_EQ(0, fs_getattr(&c, inner, &a));
	expect_attr(_metadata, &a, &st);
	EXPECT_EQ(0, fs_call(&c, FUSE_STATFS, inner, NULL, 0, NULL, 0));
	EXPECT_EQ(-ENOTDIR, fs_lookup(&c, inner, "x", &e));
	EXPECT_EQ(3, fuse_server_fds(c.srv));

	ASSERT_EQ(0, fs_lookup(&c, FUSE_ROOT_ID, "rel_in", &e));
	lnk = e.nodeid;
	EXPECT_EQ(0, fs_readlink(&c, lnk, buf, sizeof(buf)));
	EXPECT_STREQ("sub/inner", buf);

	/* The inode read is the one looked up. */
	ASSERT_EQ(0, fs_open(&c, inner, O_RDONLY, false, &fh));
	EXPECT_EQ(6, fs_read(&c, fh, 0, sizeof(buf), buf));
	EXPECT_EQ(0, memcmp(buf, "inner\n", 6));
	EXPECT_EQ(0, fs_release(&c, fh, false));

	/* "inner" holds "sub" after the guest forgot it; then both go. */
	EXPECT_EQ(0, fs_forget(&c, sub, 2));
	EXPECT_EQ(0, fs_getattr(&c, sub, &a));
	EXPECT_EQ(0, fs_forget(&c, inner, 1));
	EXPECT_EQ(-ESTALE, fs_getattr(&c, inner, &a));
	EXPECT_EQ(-ESTALE, fs_getattr(&c, sub, &a));
	EXPECT_EQ(2, fuse_server_fds(c.srv));

	/* Renamed, then replaced on the host: no longer the inode. */
	ASSERT_EQ(0, fs_lookup(&c, FUSE_ROOT_ID, "empty", &e));
	empty = e.nodeid;
	snprintf(path, sizeof(path), "%s", host_path(&t, "empty"));
	snprintf(moved, sizeof(moved), "%s", host_path(&t, "moved"));
	ASSERT_EQ(0, rename(path, moved));
	EXPECT_EQ(-ESTALE, fs_getattr(&c, empty, &a));
	EXPECT_EQ(-ESTALE, fs_open(&c, empty, O_RDONLY, false, &fh));
	ASSERT_EQ(0, link(host_path(&t, "hello"), path));
	EXPECT_EQ(-ESTALE, fs_getattr(&c, empty, &a));
	EXPECT_EQ(-ESTALE, fs_readlink(&c, empty, buf, sizeof(buf)));
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, rename(moved, path));
	EXPECT_EQ(0, fs_getattr(&c, empty, &a));
	EXPECT_EQ(2, fuse_server_fds(c.srv));
	client_close(&c);
	remove_tree(&t);
}

/* 300 names: the (dev, ino) index grows and still finds every node. */
TEST_F(fs, many_nodes)
{
	static struct dent host[MAX_ENTRIES];
	static u64 ids[MAX_ENTRIES];
	struct fuse_entry_out e;
	int n, i, j;
	u64 many;

	n = host_readdir(host_path(&self->t, "many"), host);
	ASSERT_EQ(302, n);
	ASSERT_EQ(0, fs_walk(&self->c, "many", &many));
	for (i = 2; i < n; i++) {
		ASSERT_EQ(0, fs_lookup(&self->c, many, host[i].name, &e));
		EXPECT_EQ(host[i].ino, e.attr.ino);
		ids[i] = e.nodeid;
	}
	for (i = 2; i < n; i++) {
		ASSERT_EQ(0, fs_lookup(&self->c, many, host[i].name, &e));
		EXPECT_EQ(ids[i], e.nodeid);
		for (j = 2; j < i; j++)
			ASSERT_NE(ids[j], ids[i]);
	}
	EXPECT_EQ(1 + 1 + 300, fuse_server_fds(self->c.srv));
}

/* Whatever the server opened, it closed. */
TEST(no_fd_leak)
{
	struct fs_tree t = { 0 };
	struct fs_client c;
	int before = count_fds();
	u64 node, fh;

	ASSERT_EQ(0, make_tree(&t));
	ASSERT_EQ(0, client_open(&c, t.share, 64));
	ASSERT_EQ(0, fs_init(&c, 7, 38, 0, NULL));
	ASSERT_EQ(0, fs_walk(&c, "sub/inner", &node));
	ASSERT_EQ(0, fs_open(&c, node, O_RDONLY, false, &fh));
	ASSERT_EQ(0, fs_walk(&c, "many", &node));
	ASSERT_EQ(0, fs_open(&c, node, O_RDONLY, true, &fh));
	EXPECT_LT(before, count_fds());
	client_close(&c);
	EXPECT_EQ(before, count_fds());
	remove_tree(&t);
}

/*
 * Permissions are the host's for lkvm's credentials: as an unprivileged
 * user the mode-0 file and directory fail exactly as open(2) and
 * opendir(3) fail on the host.
 */
TEST_F(fs, unreadable_as_unprivileged)
{
	struct fuse_entry_out e;
	u64 secret, closed, fh;
	struct stat st;
	int fd, want;

	/* Effective ids only: the teardown takes root back to clean up. */
	if (!geteuid() && (setresgid(-1, 65534, -1) ||
			   setresuid(-1, 65534, -1)))
		SKIP(return, "cannot drop root privileges");
	ASSERT_NE(0, geteuid());
	client_close(&self->c);
	ASSERT_EQ(0, client_open(&self->c, self->t.share, 64));
	ASSERT_EQ(0, fs_init(&self->c, 7, 38, 0, NULL));

	fd = open(host_path(&self->t, "secret0"), O_RDONLY);
	ASSERT_EQ(-1, fd);
	want = -errno;
	ASSERT_EQ(0, fs_walk(&self->c, "secret0", &secret));
	EXPECT_EQ(want, fs_open(&self->c, secret, O_RDONLY, false, &fh));

	ASSERT_EQ(NULL, opendir(host_path(&self->t, "closed")));
	want = -errno;
	ASSERT_EQ(0, fs_walk(&self->c, "closed", &closed));
	EXPECT_EQ(want, fs_open(&self->c, closed, O_RDONLY, true, &fh));
	ASSERT_EQ(-1, lstat(host_path(&self->t, "closed/x"), &st));
	EXPECT_EQ(-errno, fs_lookup(&self->c, closed, "x", &e));
}

/* Sharing "/", as lkvm does by default: a device node's numbers. */
TEST(root_share_device_node)
{
	struct fs_client c;
	struct fuse_attr a;
	struct stat st;
	u64 node;

	if (stat("/dev/null", &st) || !S_ISCHR(st.st_mode))
		SKIP(return, "no /dev/null");
	ASSERT_EQ(0, client_open(&c, "/", 64));
	ASSERT_EQ(0, fs_init(&c, 7, 38, 0, NULL));
	ASSERT_EQ(0, fs_walk(&c, "dev/null", &node));
	ASSERT_EQ(0, fs_getattr(&c, node, &a));
	EXPECT_EQ(st.st_mode, a.mode);
	EXPECT_EQ(st.st_rdev, decode_rdev(a.rdev));
	EXPECT_EQ(st.st_ino, a.ino);
	client_close(&c);
}

TEST_HARNESS_MAIN
