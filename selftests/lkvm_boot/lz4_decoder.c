// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm's LZ4 legacy frame decoder (tools/lkvm/unlz4.c) against the real
 * lz4 tool (Debian's lz4, "lz4 -l" as the kernel's build runs it): what the
 * tool compresses, lkvm decodes to the same bytes, and frames written here
 * by hand decode as "lz4 -dc" decodes them.  Corrupt frames are refused
 * with a message that says what is wrong, and nothing is ever written past
 * the output buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot_test.h"
#include "unlz4.h"
#include "kselftest_harness.h"

#define GUARD		64
#define GUARD_BYTE	0xa5

static bool have_lz4(void)
{
	return run_cmd("lz4 --version >/dev/null 2>&1", NULL, 0) == 0;
}

/* @data through "lz4 -l @level"; NULL if the tool fails. */
static u8 *lz4_tool(const char *how, const u8 *data, size_t len,
		    size_t *out_len)
{
	const char *in = write_temp(data, len);
	char out[64], cmd[256];
	u8 *buf = NULL;
	int fd;

	strcpy(out, "/tmp/lkvm_lz4_out.XXXXXX");
	fd = mkstemp(out);
	if (!in || fd < 0)
		return NULL;
	close(fd);
	snprintf(cmd, sizeof(cmd), "lz4 %s -c < '%s' > '%s' 2>/dev/null", how,
		 in, out);
	if (run_cmd(cmd, NULL, 0) == 0)
		buf = read_whole(out, out_len);
	unlink(in);
	unlink(out);
	return buf;
}

/* unlz4_legacy() into a buffer of @cap bytes followed by a guard. */
static ssize_t decode(const u8 *in, size_t len, size_t cap, u8 **out,
		      struct unlz4_error *err, bool *guard_ok)
{
	ssize_t n;
	size_t i;

	*out = malloc(cap + GUARD);
	memset(*out + cap, GUARD_BYTE, GUARD);
	n = unlz4_legacy(in, len, *out, cap, err);
	*guard_ok = true;
	for (i = 0; i < GUARD; i++)
		*guard_ok &= (*out)[cap + i] == GUARD_BYTE;
	return n;
}

/* xorshift: test data that is the same on every run. */
static u64 next_rand(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill_random(u8 *p, size_t len, u64 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = next_rand(&seed);
}

/*
 * Text-like data: words from a small set, runs of one byte and short
 * periods, so that matches of every length and overlapping ones occur.
 */
static void fill_compressible(u8 *p, size_t len, u64 seed)
{
	static const char *const words[] = {
		"kernel ", "lkvm ", "virtio ", "decompress ", "0x1000000 ",
		"\n", "boot_params ", "e820 ",
	};
	size_t i = 0, n, k;
	u64 r;

	while (i < len) {
		r = next_rand(&seed);
		if (r % 16 == 0) {
			n = r >> 8 & 511;
			for (k = 0; k < n && i < len; k++, i++)
				p[i] = r >> 20 & 3 || i < 8 ? 'a' :
				       p[i - (r >> 24 & 7) - 1];
			continue;
		}
		for (k = 0; words[r % 8][k] && i < len; k++)
			p[i++] = words[r % 8][k];
	}
}

struct sample {
	const char *name;
	size_t len;
	bool random;
	const char *how;
};

static const struct sample samples[] = {
	{ "random 3 MiB, -l", 3 << 20, true, "-l" },
	{ "random 100 bytes, -l -9", 100, true, "-l -9" },
	{ "text 20 MiB (3 blocks), -l", 20 << 20, false, "-l" },
	{ "text 20 MiB (3 blocks), -l -9", 20 << 20, false, "-l -9" },
	{ "text 1 byte, -l", 1, false, "-l" },
};

/* What the real lz4 compresses decodes to the original, exactly. */
TEST(decodes_lz4_tool_output)
{
	size_t i, clen;
	ssize_t n;

	if (!have_lz4())
		SKIP(return, "lz4 not installed (Debian package lz4)");
	for (i = 0; i < ARRAY_SIZE(samples); i++) {
		const struct sample *s = &samples[i];
		u8 *data = malloc(s->len), *comp, *out;
		struct unlz4_error err;
		bool guard_ok;

		if (s->random)
			fill_random(data, s->len, i + 1);
		else
			fill_compressible(data, s->len, i + 1);
		comp = lz4_tool(s->how, data, s->len, &clen);
		ASSERT_NE(NULL, comp) TH_LOG("%s: lz4 failed", s->name);
		n = decode(comp, clen, s->len, &out, &err, &guard_ok);
		EXPECT_EQ((ssize_t)s->len, n) TH_LOG("%s: %s at %zu", s->name,
						     err.msg, err.at);
		EXPECT_TRUE(guard_ok);
		EXPECT_EQ(0, memcmp(data, out, s->len)) TH_LOG("%s", s->name);
		free(out);
		/* One byte less room: refused, and still not overrun. */
		n = decode(comp, clen, s->len - 1, &out, &err, &guard_ok);
		EXPECT_EQ(-1, n) TH_LOG("%s", s->name);
		EXPECT_NE(NULL, strstr(err.msg, "decompresses to more than"));
		EXPECT_TRUE(guard_ok);
		free(out);
		free(comp);
		free(data);
	}
}

/* ---- frames written by hand ---- */

struct frame {
	u8 buf[64 * 1024];
	size_t len;
	size_t block;		/* offset of the open block's size field */
};

static void emit(struct frame *f, const void *p, size_t len)
{
	memcpy(f->buf + f->len, p, len);
	f->len += len;
}

static void emit_u8(struct frame *f, u8 b)
{
	emit(f, &b, 1);
}

static void emit_le32(struct frame *f, u32 v)
{
	u8 b[4] = { v, v >> 8, v >> 16, v >> 24 };

	emit(f, b, 4);
}

static void frame_start(struct frame *f)
{
	f->len = 0;
	emit_le32(f, LZ4_LEGACY_MAGIC);
}

static void block_start(struct frame *f)
{
	f->block = f->len;
	emit_le32(f, 0);
}

static void block_end(struct frame *f)
{
	size_t end = f->len;

	f->len = f->block;
	emit_le32(f, end - f->block - 4);
	f->len = end;
}

/* A length past a nibble of 15: bytes of 255, then the rest. */
static void emit_extra(struct frame *f, size_t n)
{
	for (; n >= 255; n -= 255)
		emit_u8(f, 255);
	emit_u8(f, n);
}

/* One sequence: literals, then a match (@mlen 0: none, the block's last). */
static void emit_seq(struct frame *f, const char *lit, size_t nlit,
		     u16 offset, size_t mlen)
{
	size_t m = mlen ? mlen - 4 : 0;

	emit_u8(f, (nlit < 15 ? nlit : 15) << 4 | (m < 15 ? m : 15));
	if (nlit >= 15)
		emit_extra(f, nlit - 15);
	emit(f, lit, nlit);
	if (!mlen)
		return;
	emit_u8(f, offset);
	emit_u8(f, offset >> 8);
	if (m >= 15)
		emit_extra(f, m - 15);
}

/*
 * Overlapping matches (distance 4 and 1), lengths in extra bytes (280
 * literals: 15 + 255 + 10), two blocks: everything a decoder must get
 * right, decoded by "lz4 -dc" as the reference.
 */
TEST(hand_made_frame_as_lz4_tool)
{
	static char lit[300];
	const char *path;
	struct frame f;
	struct unlz4_error err;
	char cmd[256], want[1024];
	bool guard_ok;
	u8 *out;
	ssize_t n;
	int ref;

	if (!have_lz4())
		SKIP(return, "lz4 not installed (Debian package lz4)");
	memset(lit, 'L', sizeof(lit));
	frame_start(&f);
	block_start(&f);
	emit_seq(&f, "abcd", 4, 4, 20);
	emit_seq(&f, lit, 280, 1, 7);
	emit_seq(&f, "end of block one", 16, 0, 0);
	block_end(&f);
	block_start(&f);
	emit_seq(&f, "0123456789", 10, 10, 30);
	emit_seq(&f, "end of block two", 16, 0, 0);
	block_end(&f);

	path = write_temp(f.buf, f.len);
	ASSERT_NE(NULL, path);
	snprintf(cmd, sizeof(cmd), "lz4 -dc < '%s' 2>/dev/null", path);
	ref = run_cmd(cmd, want, sizeof(want));
	unlink(path);
	ASSERT_EQ(0, ref);
	ASSERT_EQ(4 + 20 + 280 + 7 + 16 + 10 + 30 + 16U, strlen(want));
	n = decode(f.buf, f.len, 4096, &out, &err, &guard_ok);
	ASSERT_EQ((ssize_t)strlen(want), n) TH_LOG("%s at %zu", err.msg, err.at);
	EXPECT_EQ(0, memcmp(want, out, n));
	EXPECT_TRUE(guard_ok);
	free(out);
}

/* ---- corrupt frames: each refused, saying why ---- */

FIXTURE(corrupt) {
	struct frame f;
};

FIXTURE_VARIANT(corrupt) {
	void (*make)(struct frame *f);
	size_t cap;			/* 0: 4096 */
	const char *want;
};

static void bad_magic(struct frame *f)
{
	emit_le32(f, 0x184d2204);	/* the modern frame's magic */
}

static void empty_block(struct frame *f)
{
	frame_start(f);
	emit_le32(f, 0);
}

static void size_cut(struct frame *f)
{
	frame_start(f);
	emit(f, "\x10\x00", 2);
}

/* A valid block, then the frame cut in the middle of the next one. */
static void truncated(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "whole block", 11, 0, 0);
	block_end(f);
	block_start(f);
	emit_seq(f, "second block, cut short", 23, 0, 0);
	block_end(f);
	f->len -= 5;
}

static void offset_zero(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "abcd", 4, 0, 8);
	emit_seq(f, "tail!", 5, 0, 0);
	block_end(f);
}

static void offset_too_far(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "ab", 2, 5, 8);
	emit_seq(f, "tail!", 5, 0, 0);
	block_end(f);
}

/* Blocks are independent: the second cannot copy from the first. */
static void offset_into_previous_block(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "first block", 11, 0, 0);
	block_end(f);
	block_start(f);
	emit_seq(f, "", 0, 4, 8);
	emit_seq(f, "tail!", 5, 0, 0);
	block_end(f);
}

/* Claims 15 + 255 + 255 + 16 literals, has 40. */
static void literals_overlong(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_u8(f, 0xf0);
	emit(f, "\xff\xff\x10", 3);
	emit(f, "0123456789012345678901234567890123456789", 40);
	block_end(f);
}

static void literal_length_cut(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_u8(f, 0xf0);
	emit(f, "\xff\xff", 2);
	block_end(f);
}

static void match_length_cut(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_u8(f, 0x1f);
	emit(f, "a\x01\x00\xff", 4);
	block_end(f);
}

static void offset_cut(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "abcd", 4, 0, 0);
	emit_u8(f, 0x01);
	block_end(f);
}

static void ends_with_match(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "abcd", 4, 4, 8);
	block_end(f);
}

/* 16 bytes of output into a 15-byte buffer. */
static void output_overflow(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "abcd", 4, 4, 7);
	emit_seq(f, "tail!", 5, 0, 0);
	block_end(f);
}

/* One match longer than a legacy block may decompress to (8 MiB). */
static void block_too_big(struct frame *f)
{
	frame_start(f);
	block_start(f);
	emit_seq(f, "a", 1, 1, 8 * MiB);
	emit_seq(f, "tail!", 5, 0, 0);
	block_end(f);
}

FIXTURE_VARIANT_ADD(corrupt, bad_magic) {
	.make = bad_magic, .want = "no LZ4 legacy frame magic",
};
FIXTURE_VARIANT_ADD(corrupt, empty_block) {
	.make = empty_block, .want = "empty block",
};
FIXTURE_VARIANT_ADD(corrupt, size_cut) {
	.make = size_cut, .want = "block size cut off",
};
FIXTURE_VARIANT_ADD(corrupt, truncated) {
	.make = truncated, .want = "runs past the end of the input",
};
FIXTURE_VARIANT_ADD(corrupt, offset_zero) {
	.make = offset_zero, .want = "match offset 0",
};
FIXTURE_VARIANT_ADD(corrupt, offset_too_far) {
	.make = offset_too_far, .want = "match offset 5 reaches before",
};
FIXTURE_VARIANT_ADD(corrupt, offset_into_previous_block) {
	.make = offset_into_previous_block, .want = "match offset 4 reaches before",
};
FIXTURE_VARIANT_ADD(corrupt, literals_overlong) {
	.make = literals_overlong, .want = "541 literals run past",
};
FIXTURE_VARIANT_ADD(corrupt, literal_length_cut) {
	.make = literal_length_cut, .want = "literal length runs past",
};
FIXTURE_VARIANT_ADD(corrupt, match_length_cut) {
	.make = match_length_cut, .want = "match length runs past",
};
FIXTURE_VARIANT_ADD(corrupt, offset_cut) {
	.make = offset_cut, .want = "match offset cut off",
};
FIXTURE_VARIANT_ADD(corrupt, ends_with_match) {
	.make = ends_with_match, .want = "ends with a match",
};
FIXTURE_VARIANT_ADD(corrupt, output_overflow) {
	.make = output_overflow, .cap = 15, .want = "more than 15 bytes",
};
FIXTURE_VARIANT_ADD(corrupt, block_too_big) {
	.make = block_too_big, .cap = 16 * MiB,
	.want = "block decompresses to more than 8388608",
};

FIXTURE_SETUP(corrupt)
{
	self->f.len = 0;
	variant->make(&self->f);
}

FIXTURE_TEARDOWN(corrupt)
{
}

TEST_F(corrupt, refused)
{
	struct unlz4_error err = { .at = SIZE_MAX };
	bool guard_ok;
	u8 *out;

	EXPECT_EQ(-1, decode(self->f.buf, self->f.len,
			     variant->cap ? variant->cap : 4096, &out, &err,
			     &guard_ok));
	TH_LOG("unlz4 said: %s at %zu", err.msg, err.at);
	EXPECT_NE(NULL, strstr(err.msg, variant->want));
	EXPECT_LE(err.at, self->f.len);
	EXPECT_TRUE(guard_ok);
	free(out);
}

/*
 * A real frame with bytes flipped at random: whatever the decoder makes
 * of it, it stays inside its buffer (the guard, and ASan when built with
 * it) and either fails or returns a length within the buffer.
 */
TEST(random_corruption_stays_in_bounds)
{
	size_t len = 256 * 1024, clen, i;
	u8 *data = malloc(len), *comp, *bad, *out;
	struct unlz4_error err;
	u64 seed = 42, r;
	bool guard_ok;
	ssize_t n;
	int failed = 0;

	if (!have_lz4())
		SKIP(return, "lz4 not installed (Debian package lz4)");
	fill_compressible(data, len, 7);
	comp = lz4_tool("-l -9", data, len, &clen);
	ASSERT_NE(NULL, comp);
	bad = malloc(clen);
	for (i = 0; i < 2000; i++) {
		memcpy(bad, comp, clen);
		r = next_rand(&seed);
		bad[8 + r % (clen - 8)] ^= 1 << (r >> 32 & 7);
		r = next_rand(&seed);
		bad[8 + r % (clen - 8)] = r >> 40;
		n = decode(bad, clen, len, &out, &err, &guard_ok);
		ASSERT_TRUE(guard_ok);
		ASSERT_TRUE(n == -1 || (n >= 0 && (size_t)n <= len));
		failed += n == -1;
		free(out);
	}
	/* Most corruptions break the structure; some only change bytes. */
	TH_LOG("%d of 2000 corrupted frames refused", failed);
	EXPECT_GT(failed, 0);
	free(bad);
	free(comp);
	free(data);
}

TEST_HARNESS_MAIN
