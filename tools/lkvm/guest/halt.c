// SPDX-License-Identifier: GPL-2.0
/* HLT with interrupts off: lkvm reports "guest halted" and exits 0. */
#include "guest.h"

int payload_main(void)
{
	print("halting\n");
	asm volatile("cli; hlt");
	return GUEST_EXIT_UNREACHABLE;
}
