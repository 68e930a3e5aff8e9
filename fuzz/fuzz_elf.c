// SPDX-License-Identifier: GPL-2.0
/*
 * ELF loaders: payloads (loader-payload.c) and vmlinux (loader-vmlinux.c,
 * with the zero page of bootparams.c), through boot_load() as lkvm run
 * calls it.  See boot_fuzz.c for the input.
 */
#include "boot_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return boot_fuzz_one(data, size, 0, "\177ELF", 4);
}
