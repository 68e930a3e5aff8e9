// SPDX-License-Identifier: GPL-2.0
/*
 * Exits with status 42 and prints nothing.  It writes 0x12a: lkvm must
 * keep only the low 8 bits of the value.
 */
#include "guest.h"

int payload_main(void)
{
	guest_exit(0x100 | 42);
}
