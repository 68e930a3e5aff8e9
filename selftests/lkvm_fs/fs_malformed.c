// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed requests get an error reply that keeps the protocol's rules
 * (fs_raw() checks length, unique and error of every reply), or are
 * dropped where the protocol has no reply (FORGET), and nothing else
 * happens: the server's descriptors and the nodes it knows stay as they
 * were, and it never writes past the reply room it was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs_client.h"
#include "kselftest_harness.h"

#define CANARY	0xa5

FIXTURE(bad) {
	struct fs_tree t;
	struct fs_client c;
	u64 hello;			/* a node that must survive */
};

FIXTURE_SETUP(bad)
{
	ASSERT_EQ(0, make_tree(&self->t));
	ASSERT_EQ(0, client_open(&self->c, self->t.share, 1024));
	ASSERT_EQ(0, fs_init(&self->c, 7, 38, KERNEL_6_1_INIT_FLAGS, NULL));
	ASSERT_EQ(0, fs_walk(&self->c, "hello", &self->hello));
}

FIXTURE_TEARDOWN(bad)
{
	client_close(&self->c);
	remove_tree(&self->t);
}

/* Puts header @h (len as given) and @arg in c->req; sends @in_len bytes. */
static int send_raw(struct fs_client *c, struct fuse_in_header h,
		    const void *arg, size_t arg_len, size_t in_len)
{
	h.unique = ++c->unique * 2;
	memcpy(c->req, &h, sizeof(h));
	if (arg_len)
		memcpy(c->req + sizeof(h), arg, arg_len);
	return fs_raw(c, in_len);
}

static int send_len(struct fs_client *c, u32 op, u64 nodeid, const void *arg,
		    size_t arg_len)
{
	struct fuse_in_header h = {
		.len = sizeof(h) + arg_len, .opcode = op, .nodeid = nodeid,
	};

	return send_raw(c, h, arg, arg_len, h.len);
}

/* The node is alive and the server holds root and it only. */
static void expect_intact(struct __test_metadata *_metadata,
			  struct fs_client *c, u64 hello)
{
	struct fuse_attr a;

	EXPECT_EQ(0, fs_getattr(c, hello, &a));
	EXPECT_EQ(2, fuse_server_fds(c->srv));
}

/* Too short for a header: no unique to echo, EINVAL all the same. */
TEST_F(bad, short_buffers)
{
	static const size_t lens[] = { 0, 1, 8, 16, 39 };
	struct fuse_in_header h = {
		.len = 40, .opcode = FUSE_GETATTR, .nodeid = 1,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		EXPECT_EQ(-EINVAL, send_raw(&self->c, h, NULL, 0, lens[i]));
		EXPECT_EQ(sizeof(struct fuse_out_header), self->c.rep_len);
	}
	expect_intact(_metadata, &self->c, self->hello);
}

TEST_F(bad, header_length_disagrees)
{
	static const u32 lens[] = { 0, 39, 40, 55, 57, 4096, 0xffffffff };
	struct fuse_getattr_in in = { 0 };
	struct fuse_in_header h = { .opcode = FUSE_GETATTR, .nodeid = 1 };
	unsigned int i;

	/* 56 bytes sent: the header says otherwise. */
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		h.len = lens[i];
		EXPECT_EQ(-EINVAL, send_raw(&self->c, h, &in, sizeof(in), 56));
	}
	h.len = 56;
	EXPECT_EQ(0, send_raw(&self->c, h, &in, sizeof(in), 56));
	expect_intact(_metadata, &self->c, self->hello);
}

TEST_F(bad, unknown_opcodes)
{
	static const u32 ops[] = {
		0, 7, 19, 52, 53, 100, CUSE_INIT, CUSE_INIT_BSWAP_RESERVED,
		FUSE_INIT_BSWAP_RESERVED, 0x7fffffff, 0xffffffff,
		/* Known, but not served: the kernel copes with ENOSYS. */
		FUSE_GETXATTR, FUSE_LISTXATTR, FUSE_IOCTL, FUSE_POLL,
		FUSE_LSEEK, FUSE_GETLK, FUSE_SETLK, FUSE_SETLKW, FUSE_BMAP,
		FUSE_FSYNC, FUSE_FSYNCDIR, FUSE_SYNCFS, FUSE_READDIRPLUS,
		FUSE_INTERRUPT, FUSE_SETUPMAPPING, FUSE_REMOVEMAPPING,
		FUSE_NOTIFY_REPLY,
	};
	u8 arg[64] = { 0 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		TH_LOG("opcode %u", ops[i]);
		EXPECT_EQ(-ENOSYS, send_len(&self->c, ops[i], self->hello,
					    arg, sizeof(arg)));
		EXPECT_EQ(-ENOSYS, send_len(&self->c, ops[i], 1, NULL, 0));
	}
	expect_intact(_metadata, &self->c, self->hello);
}

/* LOOKUP's argument is exactly one NUL-terminated name. */
TEST_F(bad, malformed_names)
{
	static const struct { const char *s; size_t len; } names[] = {
		{ "hello", 5 },		/* no NUL */
		{ "hel\0lo", 7 },	/* NUL inside */
		{ "hello\0\0", 7 },	/* two NULs */
		{ "", 0 },		/* nothing */
		{ "", 1 },		/* empty name */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		TH_LOG("name %u", i);
		EXPECT_EQ(-EINVAL, send_len(&self->c, FUSE_LOOKUP, 1,
					    names[i].s, names[i].len));
	}
	EXPECT_EQ(0, send_len(&self->c, FUSE_LOOKUP, 1, "hello", 6));
	EXPECT_EQ(0, fs_forget(&self->c, self->hello, 1));
	expect_intact(_metadata, &self->c, self->hello);
}

/* Every fixed argument struct, one byte short and less. */
TEST_F(bad, short_arguments)
{
	static const struct { u32 op; size_t size; } ops[] = {
		{ FUSE_GETATTR, sizeof(struct fuse_getattr_in) },
		{ FUSE_OPEN, sizeof(struct fuse_open_in) },
		{ FUSE_OPENDIR, sizeof(struct fuse_open_in) },
		{ FUSE_READ, sizeof(struct fuse_read_in) },
		{ FUSE_READDIR, sizeof(struct fuse_read_in) },
		{ FUSE_RELEASE, sizeof(struct fuse_release_in) },
		{ FUSE_RELEASEDIR, sizeof(struct fuse_release_in) },
		{ FUSE_FLUSH, sizeof(struct fuse_flush_in) },
		{ FUSE_ACCESS, sizeof(struct fuse_access_in) },
		{ FUSE_INIT, 2 * sizeof(u32) },
	};
	u8 arg[64] = { 0 };
	unsigned int i;
	size_t len;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		for (len = 0; len < ops[i].size; len++) {
			EXPECT_EQ(-EINVAL, send_len(&self->c, ops[i].op,
						    self->hello, arg, len));
		}
	}
	/* INIT with major and minor only is still too short for 7.31. */
	EXPECT_EQ(-EPROTO, send_len(&self->c, FUSE_INIT, 0, arg, 8));
	expect_intact(_metadata, &self->c, self->hello);
}

/* Sizes are capped; offsets past what lseek/pread take fail as there. */
TEST_F(bad, huge_sizes_and_offsets)
{
	static u8 want[FUSE_SERVER_MAX_READ], got[FUSE_SERVER_MAX_READ];
	struct fuse_read_in rd = { .size = 0xffffffff };
	int fd = open(host_path(&self->t, "hello"), O_RDONLY);
	u64 fh, dir, dfh;
	long n;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fs_open(&self->c, self->hello, O_RDONLY, false, &fh));
	n = pread(fd, want, sizeof(want), 0);
	EXPECT_EQ(n, fs_read(&self->c, fh, 0, 0xffffffff, got));
	EXPECT_EQ(0, memcmp(want, got, n));
	/* Beyond INT64_MAX: pread(2) itself says EINVAL. */
	ASSERT_EQ(-1, pread(fd, want, 16, (off_t)(1ULL << 63)));
	EXPECT_EQ(-errno, fs_read(&self->c, fh, 1ULL << 63, 16, got));
	EXPECT_EQ(-errno, fs_read(&self->c, fh, ~0ULL, 16, got));
	EXPECT_EQ(pread(fd, want, 16, 1ULL << 62),
		  fs_read(&self->c, fh, 1ULL << 62, 16, got));
	/* READDIR: capped, and at an offset the directory never gave. */
	ASSERT_EQ(0, fs_walk(&self->c, "many", &dir));
	ASSERT_EQ(0, fs_open(&self->c, dir, O_RDONLY, true, &dfh));
	rd.fh = dfh;
	EXPECT_EQ(0, fs_call(&self->c, FUSE_READDIR, dir, &rd, sizeof(rd),
			     NULL, 0));
	EXPECT_GE(FUSE_SERVER_MAX_READ, self->c.body_len);
	EXPECT_LT(0, self->c.body_len);
	rd.offset = ~0ULL;
	EXPECT_EQ(-EINVAL, fs_call(&self->c, FUSE_READDIR, dir, &rd,
				   sizeof(rd), NULL, 0));
	rd.offset = 1ULL << 62;
	EXPECT_GE(0, fs_call(&self->c, FUSE_READDIR, dir, &rd, sizeof(rd),
			     NULL, 0));
	close(fd);
}

/* FORGETs never answer; a malformed one changes nothing. */
TEST_F(bad, malformed_forgets)
{
	struct {
		struct fuse_batch_forget_in h;
		struct fuse_forget_one one;
	} batch = { { .count = 1000 }, { 0, 1 } };
	struct fuse_in_header bad_len = {
		.len = 1000, .opcode = FUSE_FORGET, .nodeid = self->hello,
	};
	u8 arg[8] = { 1 };
	u64 one = 1;
	size_t len;

	batch.one.nodeid = self->hello;
	for (len = 0; len < sizeof(struct fuse_forget_in); len++) {
		EXPECT_EQ(2, send_len(&self->c, FUSE_FORGET, self->hello, arg,
				      len));
	}
	/* A count beyond the entries sent drops the batch. */
	EXPECT_EQ(2, send_len(&self->c, FUSE_BATCH_FORGET, 0, &batch,
			      sizeof(batch)));
	batch.h.count = 2;
	EXPECT_EQ(2, send_len(&self->c, FUSE_BATCH_FORGET, 0, &batch,
			      sizeof(batch)));
	batch.h.count = 0xffffffff;
	EXPECT_EQ(2, send_len(&self->c, FUSE_BATCH_FORGET, 0, &batch,
			      sizeof(batch)));
	EXPECT_EQ(2, send_len(&self->c, FUSE_BATCH_FORGET, 0, &batch, 4));
	/* A header that disagrees: still no reply, and nothing forgotten. */
	EXPECT_EQ(2, send_raw(&self->c, bad_len, &one, sizeof(one), 48));
	expect_intact(_metadata, &self->c, self->hello);
	batch.h.count = 0;
	EXPECT_EQ(2, send_len(&self->c, FUSE_BATCH_FORGET, 0, &batch,
			      sizeof(batch)));
	expect_intact(_metadata, &self->c, self->hello);
}

/* Extensions (total_extlen) must fit; arguments end where they begin. */
TEST_F(bad, extension_length)
{
	struct fuse_in_header h = { .opcode = FUSE_LOOKUP, .nodeid = 1 };
	u8 arg[16] = "hello";

	h.total_extlen = 100;
	h.len = sizeof(h) + 6;
	EXPECT_EQ(-EINVAL, send_raw(&self->c, h, arg, 6, h.len));
	h.total_extlen = 0xffff;
	EXPECT_EQ(-EINVAL, send_raw(&self->c, h, arg, 6, h.len));
	/* "hello\0" and 8 bytes of extension, 10 bytes of which is garbage. */
	h.total_extlen = 1;
	h.len = sizeof(h) + 6 + 8;
	EXPECT_EQ(0, send_raw(&self->c, h, arg, 14, h.len));
	EXPECT_EQ(0, fs_forget(&self->c, self->hello, 1));
	expect_intact(_metadata, &self->c, self->hello);
}

/* Less reply room than a reply needs: error, or nothing, never more. */
TEST_F(bad, small_reply_room)
{
	static u8 want[4096];
	int fd = open(host_path(&self->t, "hello"), O_RDONLY);
	struct fuse_entry_out e;
	size_t room, i;
	u64 fh;

	ASSERT_LE(0, fd);
	for (room = 0; room < sizeof(struct fuse_out_header) +
			      sizeof(struct fuse_entry_out); room += 7) {
		memset(self->c.rep, CANARY, sizeof(self->c.rep));
		self->c.out_max = room;
		EXPECT_EQ(room < 16 ? 2 : -EINVAL,
			  fs_lookup(&self->c, FUSE_ROOT_ID, "hello", &e));
		for (i = room; i < room + 4096; i++) {
			ASSERT_EQ(CANARY, self->c.rep[i]);
		}
	}
	self->c.out_max = sizeof(self->c.rep);
	ASSERT_EQ(0, fs_open(&self->c, self->hello, O_RDONLY, false, &fh));
	/* READ fills what there is room for, and is a correct short read. */
	self->c.out_max = 16 + 100;
	memset(self->c.rep, CANARY, sizeof(self->c.rep));
	EXPECT_EQ(100, fs_read(&self->c, fh, 5, 4096, want));
	EXPECT_EQ(CANARY, self->c.rep[16 + 100]);
	self->c.out_max = sizeof(self->c.rep);
	EXPECT_EQ(0, fs_release(&self->c, fh, false));
	expect_intact(_metadata, &self->c, self->hello);
	close(fd);
}

TEST_F(bad, oversize_request)
{
	struct fuse_in_header h = {
		.len = FUSE_SERVER_MAX_REQUEST + 8, .opcode = FUSE_LOOKUP,
		.nodeid = 1,
	};

	memset(self->c.req + sizeof(h), 'a', h.len - sizeof(h));
	self->c.req[h.len - 1] = '\0';
	EXPECT_EQ(-EINVAL, send_raw(&self->c, h, NULL, 0, h.len));
	expect_intact(_metadata, &self->c, self->hello);
}

TEST_HARNESS_MAIN
