// SPDX-License-Identifier: GPL-2.0
/*
 * bzImage loader (loader-bzimage.c) and the zero page (bootparams.c),
 * through boot_load() as lkvm run calls it.  See boot_fuzz.c for the input.
 */
#include "boot_fuzz.h"

/* struct setup_header.header, "HdrS": what makes boot_load() see a bzImage. */
#define HDRS_OFF	0x202

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return boot_fuzz_one(data, size, HDRS_OFF, "HdrS", 4);
}
