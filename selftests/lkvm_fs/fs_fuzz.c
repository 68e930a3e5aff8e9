// SPDX-License-Identifier: GPL-2.0
/*
 * Mutated requests, built under AddressSanitizer and UBSan: well-formed
 * requests of every opcode the server knows, with bytes, lengths, nodeids
 * and file handles changed at random, and random reply room.  Every reply
 * must keep the protocol's rules, the server must stay within its
 * descriptor budget, close every descriptor when freed, and change nothing
 * on the host.  LKVM_FUZZ_SEED and LKVM_FUZZ_ITERS override the run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_client.h"
#include "kselftest_harness.h"

#define MAX_FDS		48
#define SEED_LEN	192

static u64 rng_state;

static u64 rnd(void)
{
	/* xorshift64*: reproducible from the seed printed below. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static u64 env_or(const char *name, u64 def)
{
	const char *s = getenv(name);

	return s ? strtoull(s, NULL, 0) : def;
}

struct seed {
	u32 op;
	u8 arg[SEED_LEN];
	u32 len;
};

static void add(struct seed *s, unsigned int *n, u32 op, const void *arg,
		u32 len)
{
	s[*n].op = op;
	if (len)
		memcpy(s[*n].arg, arg, len);
	s[*n].len = len;
	(*n)++;
}

/* One well-formed request per opcode the server serves. */
static unsigned int make_seeds(struct seed *s)
{
	struct fuse_init_in init = {
		.major = 7, .minor = 38, .max_readahead = 65536,
		.flags = KERNEL_6_1_INIT_FLAGS,
	};
	struct fuse_read_in rd = { .fh = 1, .size = 4096 };
	struct fuse_open_in op = { .flags = O_RDONLY };
	struct fuse_release_in rel = { .fh = 1 };
	struct fuse_access_in acc = { .mask = R_OK };
	struct fuse_batch_forget_in bf[3] = { { .count = 1 }, { 2, 0 }, { 1, 0 } };
	struct fuse_forget_in fg = { 1 };
	struct fuse_getattr_in ga = { 0 };
	unsigned int n = 0;

	add(s, &n, FUSE_INIT, &init, sizeof(init));
	add(s, &n, FUSE_LOOKUP, "hello", 6);
	add(s, &n, FUSE_LOOKUP, "sub", 4);
	add(s, &n, FUSE_LOOKUP, "many", 5);
	add(s, &n, FUSE_LOOKUP, "rel_out", 8);
	add(s, &n, FUSE_GETATTR, &ga, sizeof(ga));
	add(s, &n, FUSE_READLINK, NULL, 0);
	add(s, &n, FUSE_OPEN, &op, sizeof(op));
	add(s, &n, FUSE_OPENDIR, &op, sizeof(op));
	add(s, &n, FUSE_READ, &rd, sizeof(rd));
	add(s, &n, FUSE_READDIR, &rd, sizeof(rd));
	add(s, &n, FUSE_RELEASE, &rel, sizeof(rel));
	add(s, &n, FUSE_RELEASEDIR, &rel, sizeof(rel));
	add(s, &n, FUSE_FLUSH, &rel, sizeof(rel));
	add(s, &n, FUSE_STATFS, NULL, 0);
	add(s, &n, FUSE_ACCESS, &acc, sizeof(acc));
	add(s, &n, FUSE_FORGET, &fg, sizeof(fg));
	add(s, &n, FUSE_BATCH_FORGET, bf, sizeof(bf));
	add(s, &n, FUSE_DESTROY, NULL, 0);
	add(s, &n, FUSE_MKDIR, "\0\0\0\0\0\0\0\0new", 12);
	return n;
}

/* Values that hit the edges and, often, the things the server issued. */
static u64 interesting(void)
{
	static const u64 v[] = {
		0, 1, 2, 3, 4, 5, 1ULL << 32 | 2, 0xffffffff, ~0ULL,
		1ULL << 63, 0x7fffffff, 4096, 131072, 131073,
	};

	return rnd() % 2 ? v[rnd() % ARRAY_SIZE(v)] : rnd() % 8;
}

static size_t mutate(u8 *req, size_t len, size_t max)
{
	unsigned int k, nr = 1 + rnd() % 4;

	for (k = 0; k < nr; k++) {
		u64 v = interesting();
		size_t at;

		switch (rnd() % 6) {
		case 0:	/* a byte */
			req[rnd() % len] ^= 1 << (rnd() % 8);
			break;
		case 1: /* a 32- or 64-bit field, aligned as structs are */
			at = (rnd() % (len / 8)) * 8;
			memcpy(req + at, &v, rnd() % 2 ? 4 : 8);
			break;
		case 2: /* the nodeid */
			memcpy(req + offsetof(struct fuse_in_header, nodeid), &v, 8);
			break;
		case 3: /* shorter or longer */
			len = rnd() % 2 ? rnd() % len : len + rnd() % 64;
			if (len > max)
				len = max;
			break;
		case 4: /* the opcode */
			memcpy(req + offsetof(struct fuse_in_header, opcode), &v, 4);
			break;
		default: /* total_extlen */
			req[offsetof(struct fuse_in_header, total_extlen)] = rnd() % 4;
			break;
		}
		if (len < 8)
			len = 8;
	}
	return len;
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

TEST(random_mutations)
{
	static struct seed seeds[32];
	static struct fs_client c;
	u64 iters = env_or("LKVM_FUZZ_ITERS", 300000), i;
	u64 seed = env_or("LKVM_FUZZ_SEED", 0x5eed1e55);
	unsigned int nr = make_seeds(seeds), bad = 0;
	u64 ok = 0, errors = 0, none = 0;
	struct fs_tree t = { 0 };
	struct stat before, after;
	int fds = count_fds();

	TH_LOG("seed %#llx, %llu requests", (unsigned long long)seed,
	       (unsigned long long)iters);
	rng_state = seed | 1;
	ASSERT_EQ(0, make_tree(&t));
	ASSERT_EQ(0, stat(host_path(&t, "hello"), &before));
	ASSERT_EQ(0, client_open(&c, t.share, MAX_FDS));
	for (i = 0; i < iters; i++) {
		const struct seed *s = &seeds[rnd() % nr];
		struct fuse_in_header h = {
			.len = sizeof(h) + s->len, .opcode = s->op,
			.unique = i, .nodeid = rnd() % 2 ? 1 : rnd() % 6,
		};
		size_t len = h.len;
		int ret;

		/* Keep a session going most of the time. */
		if (i % 64 == 0)
			fs_init(&c, 7, 38, KERNEL_6_1_INIT_FLAGS, NULL);
		memcpy(c.req, &h, sizeof(h));
		memcpy(c.req + sizeof(h), s->arg, s->len);
		if (rnd() % 4)
			len = mutate(c.req, len, sizeof(c.req));
		/* Half the time the header's length agrees: go deeper. */
		if (rnd() % 2 && len >= sizeof(h))
			memcpy(c.req, &(u32){ len }, 4);
		c.out_max = rnd() % 8 ? FUSE_SERVER_MAX_REPLY : rnd() % 300;
		ret = fs_raw(&c, len);
		ok += !ret;
		errors += ret < 0;
		none += ret == 2;
		if (ret == BAD_REPLY && bad++ < 5)
			TH_LOG("request %llu: reply breaks the rules",
			       (unsigned long long)i);
		ASSERT_GE(MAX_FDS, fuse_server_fds(c.srv));
	}
	TH_LOG("%llu served, %llu errors, %llu without reply",
	       (unsigned long long)ok, (unsigned long long)errors,
	       (unsigned long long)none);
	EXPECT_EQ(0, bad);
	/* Mutation must not reduce the run to rejected headers. */
	EXPECT_LT(iters / 20, ok);
	fuse_server_reset(c.srv);
	EXPECT_EQ(1, fuse_server_fds(c.srv));
	client_close(&c);
	EXPECT_EQ(fds, count_fds());
	ASSERT_EQ(0, stat(host_path(&t, "hello"), &after));
	EXPECT_EQ(before.st_size, after.st_size);
	EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	remove_tree(&t);
}

TEST_HARNESS_MAIN
