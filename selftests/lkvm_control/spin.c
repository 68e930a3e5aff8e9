// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that never ends, for the control socket tests: it says "S" on the
 * serial port, then spin_loop() (spin_asm.S) counts forever and prints a
 * '.' every 4096 iterations, so that the host sees whether the vCPU makes
 * progress (it must not while paused).
 */
#define COM1 0x3f8

volatile unsigned long spin_count;

void spin_loop(void);

static inline void outb(unsigned short port, unsigned char v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

__attribute__((noinline)) void payload_main(void)
{
	outb(COM1, 'S');
	outb(COM1, '\n');
	spin_loop();
}
