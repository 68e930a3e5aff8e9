// SPDX-License-Identifier: GPL-2.0
/*
 * A triple fault: with an empty IDT, the #UD of UD2 cannot be delivered
 * (#GP), nor can the #GP (#DF), nor the #DF: the CPU shuts down and lkvm
 * exits 1.
 */
#include "guest.h"

int payload_main(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) empty = { 0, 0 };

	print("triple fault\n");
	asm volatile("lidt %0; ud2" : : "m"(empty));
	return GUEST_EXIT_UNREACHABLE;
}
