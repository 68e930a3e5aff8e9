// SPDX-License-Identifier: GPL-2.0
/*
 * A computational loop: fills a buffer from a linear congruential generator
 * (x = x * 1103515245 + 12345 mod 2^32, from x = 1, byte = bits 16..23) and
 * prints its CRC-32 (IEEE), Adler-32 and 64-bit FNV-1a.  About 400k
 * instructions.
 */
#include "guest.h"

#define BUF_SIZE 4096

static u8 buf[BUF_SIZE];

static u32 crc32(const u8 *p, size_t n)
{
	u32 crc = ~0U;

	while (n--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

static u32 adler32(const u8 *p, size_t n)
{
	u32 a = 1, b = 0;

	while (n--) {
		a = (a + *p++) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

static u64 fnv1a64(const u8 *p, size_t n)
{
	u64 h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

int payload_main(void)
{
	u32 x = 1;

	for (int i = 0; i < BUF_SIZE; i++) {
		x = x * 1103515245U + 12345U;
		buf[i] = x >> 16;
	}
	print("crc32 %08x\n", crc32(buf, BUF_SIZE));
	print("adler32 %08x\n", adler32(buf, BUF_SIZE));
	print("fnv1a64 %016lx\n", fnv1a64(buf, BUF_SIZE));
	return 0;
}
