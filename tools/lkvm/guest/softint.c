// SPDX-License-Identifier: GPL-2.0
/*
 * Software interrupts: INT3 (#BP, a trap, delivered on IST1) and INT 0x80.
 * Both save the RIP of the next instruction.  Exit status 0.
 *
 * A KVM that runs guests by instruction emulation cannot run this: KVM's
 * emulator handles INT n in real mode only and reports an internal error.
 */
#include "guest.h"

int payload_main(void)
{
	static const u8 vectors[] = { 3, 0x80 };

	traps_init();
	expect_traps(vectors, ARRAY_SIZE(vectors));
	set_trap_ist(3, 1);

	TRIGGER("", "int3");
	report_trap("#BP int3", false);
	TRIGGER("", "int $0x80");
	report_trap("int 0x80", false);
	print("software interrupts: done\n");
	return 0;
}
