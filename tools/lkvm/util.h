/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LKVM_UTIL_H
#define LKVM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((typeof(x))(a) - 1))
#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* A little-endian 32-bit field at any alignment (file formats). */
static inline u32 get_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/*
 * Exit statuses of lkvm itself.  A guest's own status (exit device) is
 * passed through unchanged, so these only mean something together with the
 * "lkvm: " line on stderr.
 */
#define LKVM_EXIT_ERROR		1
#define LKVM_EXIT_USAGE		2

/* Prints "lkvm: <message>" on stderr. */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* pr_err() and exit(LKVM_EXIT_ERROR). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Reads a whole file; returns NULL with a message on failure. */
void *read_file(const char *path, size_t *size);

/*
 * Parses an unsigned decimal number in [min, max] for option @what;
 * prints the reason and returns false on anything else.
 */
bool parse_uint(const char *what, const char *s, u64 min, u64 max, u64 *out);

#endif
