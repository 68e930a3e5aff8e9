// SPDX-License-Identifier: GPL-2.0
/* The smallest payload: one line on the serial port, exit status 0. */
#include "guest.h"

int payload_main(void)
{
	print("hello, world\n");
	return 0;
}
