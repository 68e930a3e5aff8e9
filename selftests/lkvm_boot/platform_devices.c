// SPDX-License-Identifier: GPL-2.0
/*
 * The two legacy devices a distribution kernel touches while booting,
 * driven through lkvm's port I/O bus as a guest's IN/OUT would:
 * - i8042: command 0xfe on port 0x64 (what Linux's "reboot=k" and the FADT
 *   reset register write) ends the VM with VM_STOP_RESET; nothing else does.
 * - MC146818 RTC at 0x70/0x71: the time is the host's (UTC), checked against
 *   the host's clock read around the access, in the BCD/binary and
 *   12/24-hour encodings of the MC146818 data sheet.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "boot_test.h"
#include "linux-boot.h"
#include "kselftest_harness.h"

static void outb(u16 port, u8 v)
{
	bus_access(BUS_PIO, port, &v, 1, true);
}

static u8 inb(u16 port)
{
	u8 v = 0xcc;

	bus_access(BUS_PIO, port, &v, 1, false);
	return v;
}

FIXTURE(dev) {
	struct vm vm;
};

FIXTURE_SETUP(dev)
{
	ASSERT_TRUE(test_vm_init(&self->vm, 16));
	ASSERT_EQ(0, i8042_init(&self->vm));
	ASSERT_EQ(0, rtc_init(&self->vm));
}

FIXTURE_TEARDOWN(dev)
{
	test_vm_free(&self->vm);
}

TEST_F(dev, i8042_reset)
{
	static const u8 harmless[] = { 0x20, 0xaa, 0xad, 0xd1, 0xff, 0xf1 };
	unsigned int i;

	/* Linux's kb_wait(): input buffer (bit 1) empty, or it spins. */
	EXPECT_EQ(0, inb(0x64) & 0x03);
	for (i = 0; i < sizeof(harmless); i++)
		outb(0x64, harmless[i]);
	outb(0x60, 0xfe);	/* data, not a command */
	EXPECT_EQ(VM_RUNNING, atomic_load(&self->vm.stop_reason));
	outb(0x64, 0xfe);
	EXPECT_EQ(VM_STOP_RESET, atomic_load(&self->vm.stop_reason));
	EXPECT_EQ(0, self->vm.exit_status);
}

static u8 cmos(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned int bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

struct rtc_time {
	unsigned int sec, min, hour, mday, mon, year, century, wday;
};

static void read_rtc(struct rtc_time *t, bool binary)
{
	unsigned int (*dec)(u8) = binary ? NULL : bcd;

#define R(reg) (dec ? dec(cmos(reg)) : cmos(reg))
	t->sec = R(0x00);
	t->min = R(0x02);
	t->hour = R(0x04);
	t->wday = R(0x06);
	t->mday = R(0x07);
	t->mon = R(0x08);
	t->year = R(0x09);
	t->century = R(0x32);
#undef R
}

/* Does @t show the host's UTC time at @when? */
static bool rtc_is(const struct rtc_time *t, time_t when, bool twelve_hour)
{
	struct tm tm;
	unsigned int hour = t->hour;

	gmtime_r(&when, &tm);
	if (twelve_hour) {
		bool pm = hour & 0x80;

		hour &= 0x7f;
		if (hour < 1 || hour > 12)
			return false;
		hour = hour % 12 + (pm ? 12 : 0);
	}
	return t->sec == (unsigned int)tm.tm_sec &&
	       t->min == (unsigned int)tm.tm_min &&
	       hour == (unsigned int)tm.tm_hour &&
	       t->mday == (unsigned int)tm.tm_mday &&
	       t->mon == (unsigned int)tm.tm_mon + 1 &&
	       t->century * 100 + t->year == (unsigned int)tm.tm_year + 1900 &&
	       t->wday == (unsigned int)tm.tm_wday + 1;
}

/* Reads the clock; it must match the host's time just before or after. */
static bool clock_matches(bool binary, bool twelve_hour)
{
	struct rtc_time t;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		time_t before = time(NULL), after;

		/* The 12-hour hour byte carries the PM bit: read it raw. */
		read_rtc(&t, binary);
		if (twelve_hour)
			t.hour = binary ? cmos(0x04) :
				 (bcd(cmos(0x04) & 0x7f) | (cmos(0x04) & 0x80));
		after = time(NULL);
		if (rtc_is(&t, before, twelve_hour) || rtc_is(&t, after, twelve_hour))
			return true;
	}
	return false;
}

TEST_F(dev, rtc_bcd_24h)
{
	EXPECT_EQ(0x02, cmos(0x0b) & 0x06);	/* default: BCD, 24-hour */
	EXPECT_TRUE(clock_matches(false, false));
}

TEST_F(dev, rtc_binary)
{
	outb(0x70, 0x0b);
	outb(0x71, 0x06);
	EXPECT_EQ(0x06, cmos(0x0b));
	EXPECT_TRUE(clock_matches(true, false));
}

TEST_F(dev, rtc_12h)
{
	outb(0x70, 0x0b);
	outb(0x71, 0x00);
	EXPECT_TRUE(clock_matches(false, true));
}

TEST_F(dev, rtc_status)
{
	EXPECT_EQ(0, cmos(0x0a) & 0x80);	/* no update in progress */
	EXPECT_EQ(0x20, cmos(0x0a) & 0x70);	/* 32.768 kHz time base */
	EXPECT_EQ(0x80, cmos(0x0d));		/* valid RAM and time */
	EXPECT_EQ(0, cmos(0x0c));		/* no interrupt flags */
}

TEST_F(dev, rtc_nmi_bit_and_ram)
{
	/* Bit 7 of the index masks NMIs; the register is the low 7 bits. */
	outb(0x70, 0x80 | 0x40);
	outb(0x71, 0x5a);
	EXPECT_EQ(0x5a, cmos(0x40));
	/* The clock registers are not writable: still the host's time. */
	outb(0x70, 0x09);
	outb(0x71, 0x99);
	EXPECT_TRUE(clock_matches(false, false));
}

TEST_HARNESS_MAIN
