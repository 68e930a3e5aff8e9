/* SPDX-License-Identifier: GPL-2.0 */
/* The boot_load() harness shared by fuzz_bzimage and fuzz_elf. */
#ifndef FUZZ_BOOT_FUZZ_H
#define FUZZ_BOOT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * Loads one input through boot_load() on a fake VM.  @magic (@magic_len
 * bytes at @magic_off) is written over the kernel image first, so that
 * each harness spends its time inside its own loader rather than in
 * format detection.
 */
int boot_fuzz_one(const uint8_t *data, size_t size, size_t magic_off,
		  const char *magic, size_t magic_len);

#endif
