// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O and MMIO: reads the exit device's magic at every width through
 * port 0x5f0 and through its MMIO page, exercises the 16550's scratch
 * register, LSR and divisor latch, reads an unassigned port and the first
 * guest-physical address past RAM (all ones, as on a PC bus with nothing
 * there), and on success exits through the MMIO register with 0x12345633
 * (exit status 0x33 = 51: the low 8 bits).  On a mismatch it exits through
 * the port with the number of mismatches.
 */
#include "guest.h"

#define SERIAL_DLL	(SERIAL_BASE + 0)
#define SERIAL_DLM	(SERIAL_BASE + 1)
#define SERIAL_LCR	(SERIAL_BASE + 3)
#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define UNASSIGNED_PORT	0x1234

static int failures;

static void expect(const char *what, u64 got, u64 want)
{
	print("%s: %lx\n", what, got);
	failures += got != want;
}

static u8 scratch_roundtrip(u8 v)
{
	outb(SERIAL_SCR, v);
	return inb(SERIAL_SCR);
}

/* Divisor 12 (9600 baud); DLAB gates the divisor latch over THR/IER. */
static u16 divisor_roundtrip(void)
{
	u16 v;

	outb(SERIAL_LCR, LCR_DLAB | LCR_8N1);
	outb(SERIAL_DLL, 12);
	outb(SERIAL_DLM, 0);
	v = inb(SERIAL_DLL) | inb(SERIAL_DLM) << 8;
	outb(SERIAL_LCR, LCR_8N1);
	return v;
}

int payload_main(void)
{
	expect("exit port inb", inb(LKVM_EXIT_PORT), LKVM_EXIT_MAGIC & 0xff);
	expect("exit port inw", inw(LKVM_EXIT_PORT), LKVM_EXIT_MAGIC);
	expect("exit port inl", inl(LKVM_EXIT_PORT), LKVM_EXIT_MAGIC);
	expect("exit mmio read16", mmio_read16(LKVM_EXIT_MMIO), LKVM_EXIT_MAGIC);
	expect("exit mmio read32", mmio_read32(LKVM_EXIT_MMIO), LKVM_EXIT_MAGIC);
	expect("uart scratch a5", scratch_roundtrip(0xa5), 0xa5);
	expect("uart scratch 5a", scratch_roundtrip(0x5a), 0x5a);
	expect("uart lsr thre temt", inb(SERIAL_LSR) & (LSR_THRE | LSR_TEMT),
	       LSR_THRE | LSR_TEMT);
	expect("uart divisor", divisor_roundtrip(), 12);
	expect("unassigned port inl", inl(UNASSIGNED_PORT), 0xffffffff);
	expect("past ram read32", mmio_read32(boot_rdi), 0xffffffff);
	if (failures)
		return failures;
	print("exit via mmio\n");
	mmio_write32(LKVM_EXIT_MMIO, 0x12345633);
	return GUEST_EXIT_UNREACHABLE;
}
