/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A decoder for LZ4's legacy frame, the format of a bzImage payload built
 * with CONFIG_KERNEL_LZ4 ("lz4 -l"): the magic 0x184c2102, then blocks, each
 * a 32-bit little-endian compressed size and an independent LZ4 block of at
 * most 8 MiB decompressed.  Every byte of the input is hostile.
 */
#ifndef LKVM_UNLZ4_H
#define LKVM_UNLZ4_H

#include <sys/types.h>

#include "util.h"

#define LZ4_LEGACY_MAGIC	0x184c2102
#define LZ4_LEGACY_BLOCK_MAX	(8 * MiB)	/* decompressed, per block */

/* What is wrong with an input, and the input offset where it was found. */
struct unlz4_error {
	char msg[96];
	size_t at;
};

/*
 * Decodes the frame in @in (@len bytes, nothing after the last block) into
 * @out, which holds @cap bytes.  Returns the number of bytes written, or -1
 * with @err filled in.
 */
ssize_t unlz4_legacy(const u8 *in, size_t len, u8 *out, size_t cap,
		     struct unlz4_error *err);

#endif
