// SPDX-License-Identifier: GPL-2.0
/*
 * LZ4 legacy frame decoder (unlz4.h).  A block is a run of sequences:
 *
 *   token            high nibble: literal count, low nibble: match length - 4;
 *                    15 in either means "more length bytes follow"
 *   [length bytes]   added to 15, each 255 meaning another byte follows
 *   literals         copied as they are
 *   offset           16-bit little-endian distance back into the output
 *   [length bytes]   for the match length, as for the literals
 *
 * The last sequence of a block is literals only: the block ends right after
 * them.  Legacy blocks are independent, so a match never reaches back past
 * the start of its own block.  Every count is checked against the input
 * left in the block and the output left in the buffer before it is used.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "unlz4.h"

#define MIN_MATCH	4
#define RUN_MASK	15		/* a nibble that continues in more bytes */

struct lz4_state {
	const u8 *in;
	size_t ip;		/* next input byte */
	size_t end;		/* end of the current block's input */
	u8 *out;
	size_t op;		/* next output byte */
	size_t block_start;	/* output offset where the block began */
	size_t limit;		/* output this block may not pass */
	size_t cap;
	struct unlz4_error *err;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct lz4_state *s, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err->msg, sizeof(s->err->msg), fmt, ap);
	va_end(ap);
	s->err->at = at;
	return -1;
}

/* A nibble of 15 continues: add bytes until one is not 255. */
static int extend_length(struct lz4_state *s, size_t *len, const char *what)
{
	size_t at = s->ip;
	u8 b;

	do {
		if (s->ip >= s->end)
			return fail(s, at, "%s length runs past the end of the block",
				    what);
		b = s->in[s->ip++];
		*len += b;	/* <= 255 per input byte: cannot wrap */
	} while (b == 255);
	return 0;
}

/* Room for @n more output bytes, within the block and the buffer? */
static int check_room(struct lz4_state *s, size_t n, size_t at)
{
	if (n <= s->limit - s->op)
		return 0;
	if (s->limit == s->cap)
		return fail(s, at, "decompresses to more than %zu bytes", s->cap);
	return fail(s, at, "block decompresses to more than %llu bytes",
		    (unsigned long long)LZ4_LEGACY_BLOCK_MAX);
}

static int copy_literals(struct lz4_state *s, size_t n, size_t at)
{
	if (n > s->end - s->ip)
		return fail(s, at, "%zu literals run past the end of the block", n);
	if (check_room(s, n, at))
		return -1;
	memcpy(s->out + s->op, s->in + s->ip, n);
	s->ip += n;
	s->op += n;
	return 0;
}

static int copy_match(struct lz4_state *s, size_t dist, size_t n, size_t at)
{
	u8 *dst = s->out + s->op;
	const u8 *src = dst - dist;
	size_t gap = dist, chunk;

	if (!dist)
		return fail(s, at, "match offset 0");
	if (dist > s->op - s->block_start)
		return fail(s, at, "match offset %zu reaches before the block's %zu bytes",
			    dist, s->op - s->block_start);
	if (check_room(s, n, at))
		return -1;
	s->op += n;
	/*
	 * A match longer than its distance repeats the @dist bytes before it.
	 * Copying from @src in chunks no longer than the gap between @src and
	 * where they go never overlaps, and each chunk widens the gap.
	 */
	for (; n; n -= chunk, dst += chunk, gap += chunk) {
		chunk = n < gap ? n : gap;
		memcpy(dst, src, chunk);
	}
	return 0;
}

static int decode_sequence(struct lz4_state *s, bool *last)
{
	size_t at = s->ip, lit, len, dist;
	u8 token;

	if (s->ip >= s->end)
		return fail(s, at, "block ends with a match instead of literals");
	token = s->in[s->ip++];
	lit = token >> 4;
	if (lit == RUN_MASK && extend_length(s, &lit, "literal"))
		return -1;
	if (copy_literals(s, lit, at))
		return -1;
	*last = s->ip == s->end;
	if (*last)
		return 0;
	if (s->end - s->ip < 2)
		return fail(s, s->ip, "match offset cut off by the end of the block");
	dist = s->in[s->ip] | s->in[s->ip + 1] << 8;
	s->ip += 2;
	len = token & RUN_MASK;
	if (len == RUN_MASK && extend_length(s, &len, "match"))
		return -1;
	return copy_match(s, dist, len + MIN_MATCH, at);
}

static int decode_block(struct lz4_state *s, size_t size)
{
	bool last = false;

	s->end = s->ip + size;
	s->block_start = s->op;
	s->limit = s->cap - s->op > LZ4_LEGACY_BLOCK_MAX ?
		   s->op + LZ4_LEGACY_BLOCK_MAX : s->cap;
	while (!last)
		if (decode_sequence(s, &last))
			return -1;
	return 0;
}

ssize_t unlz4_legacy(const u8 *in, size_t len, u8 *out, size_t cap,
		     struct unlz4_error *err)
{
	struct lz4_state s = { .in = in, .out = out, .cap = cap, .err = err };
	u32 size;

	if (len < 4 || get_le32(in) != LZ4_LEGACY_MAGIC)
		return fail(&s, 0, "no LZ4 legacy frame magic (%#x)",
			    LZ4_LEGACY_MAGIC);
	s.ip = 4;
	while (s.ip < len) {
		if (len - s.ip < 4)
			return fail(&s, s.ip, "block size cut off by the end of the input");
		size = get_le32(in + s.ip);
		s.ip += 4;
		/* Frames concatenated: a magic where a size would be. */
		if (size == LZ4_LEGACY_MAGIC)
			continue;
		if (!size)
			return fail(&s, s.ip - 4, "empty block");
		if (size > len - s.ip)
			return fail(&s, s.ip - 4,
				    "block of %u bytes runs past the end of the input",
				    size);
		if (decode_block(&s, size))
			return -1;
	}
	return s.op;
}
