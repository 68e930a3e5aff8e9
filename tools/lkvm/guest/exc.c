// SPDX-License-Identifier: GPL-2.0
/*
 * Exceptions raised by instructions: #DE (divide by zero and quotient
 * overflow), #UD (UD2, delivered on IST1) and #GP (non-canonical address).
 * Each is handled and reported, and execution resumes after the faulting
 * instruction.  Exit status 0.
 */
#include "guest.h"

int payload_main(void)
{
	static const u8 vectors[] = { 0, 6, 13 };

	traps_init();
	expect_traps(vectors, ARRAY_SIZE(vectors));
	set_trap_ist(6, 1);

	TRIGGER("movl $1, %%eax; xorl %%edx, %%edx; xorl %%ecx, %%ecx",
		"divl %%ecx");
	report_trap("#DE divide by zero", false);
	TRIGGER("movl $0x80000000, %%eax; cltd; movl $-1, %%ecx", "idivl %%ecx");
	report_trap("#DE quotient overflow", false);
	TRIGGER("", "ud2");
	report_trap("#UD ud2", false);
	TRIGGER("movabsq $0x8000000000000000, %%rcx", "movq (%%rcx), %%rax");
	report_trap("#GP non-canonical", true);
	print("exceptions: done\n");
	return 0;
}
