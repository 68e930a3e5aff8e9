// SPDX-License-Identifier: GPL-2.0
/*
 * MC146818 CMOS real-time clock at ports 0x70 (index, bit 7 masks NMI) and
 * 0x71 (data).  The clock registers show the host's time in UTC, in BCD or
 * binary and 24- or 12-hour form as status register B asks; the update
 * cycle is never in progress, so a reader never waits for it.  Without an
 * RTC, Linux spends about 1.9 s of its boot in timeouts.  Writes to the
 * clock registers are ignored: the guest cannot set the host's time, and
 * lkvm keeps no offset.  No alarm, periodic or update interrupts.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "linux-boot.h"
#include "vm.h"

#define RTC_PORT	0x70
#define RTC_INDEX_MASK	0x7f	/* bit 7 of the index is the NMI mask */
#define RTC_NR_REGS	128

enum {
	REG_SECONDS = 0x00,
	REG_MINUTES = 0x02,
	REG_HOURS = 0x04,
	REG_WEEKDAY = 0x06,
	REG_DAY = 0x07,
	REG_MONTH = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,	/* where the FADT says it is */
};

#define REG_A_DEFAULT	0x26	/* 32.768 kHz base, 1024 Hz rate, UIP clear */
#define REG_A_UIP	0x80
#define REG_B_24H	0x02
#define REG_B_BINARY	0x04
#define REG_B_SET	0x80
#define REG_D_VRT	0x80	/* battery good, RAM valid */
#define HOUR_PM		0x80

static struct rtc {
	pthread_mutex_t lock;
	u8 index;
	u8 regs[RTC_NR_REGS];
} rtc = { .lock = PTHREAD_MUTEX_INITIALIZER };

static u8 rtc_encode(unsigned int v)
{
	if (rtc.regs[REG_B] & REG_B_BINARY)
		return v;
	return (v / 10) << 4 | v % 10;
}

static u8 rtc_hours(unsigned int h)
{
	unsigned int h12;

	if (rtc.regs[REG_B] & REG_B_24H)
		return rtc_encode(h);
	h12 = h % 12 ? h % 12 : 12;
	return rtc_encode(h12) | (h >= 12 ? HOUR_PM : 0);
}

/* The clock registers, computed from the host's time at each read. */
static bool rtc_clock(u8 reg, u8 *val)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case REG_SECONDS:
		*val = rtc_encode(tm.tm_sec > 59 ? 59 : tm.tm_sec);
		return true;
	case REG_MINUTES:
		*val = rtc_encode(tm.tm_min);
		return true;
	case REG_HOURS:
		*val = rtc_hours(tm.tm_hour);
		return true;
	case REG_WEEKDAY:
		*val = rtc_encode(tm.tm_wday + 1);
		return true;
	case REG_DAY:
		*val = rtc_encode(tm.tm_mday);
		return true;
	case REG_MONTH:
		*val = rtc_encode(tm.tm_mon + 1);
		return true;
	case REG_YEAR:
		*val = rtc_encode((tm.tm_year + 1900) % 100);
		return true;
	case REG_CENTURY:
		*val = rtc_encode((tm.tm_year + 1900) / 100);
		return true;
	}
	return false;
}

static u8 rtc_read(u8 reg)
{
	u8 val;

	if (rtc_clock(reg, &val))
		return val;
	switch (reg) {
	case REG_A:
		return rtc.regs[REG_A] & ~REG_A_UIP;
	case REG_C:
		return 0;	/* no interrupt flags: none are raised */
	case REG_D:
		return REG_D_VRT;
	}
	return rtc.regs[reg];
}

static void rtc_write(u8 reg, u8 val)
{
	if (rtc_clock(reg, &(u8){ 0 }) || reg == REG_C || reg == REG_D)
		return;
	rtc.regs[reg] = val;
}

static void rtc_access(struct bus_dev *dev, u64 offset, void *data,
		       unsigned int len, bool is_write)
{
	u8 *b = data;

	pthread_mutex_lock(&rtc.lock);
	if (offset == 0 && is_write)
		rtc.index = *b & RTC_INDEX_MASK;
	else if (offset == 0)
		*b = rtc.index;
	else if (is_write)
		rtc_write(rtc.index, *b);
	else
		*b = rtc_read(rtc.index);
	pthread_mutex_unlock(&rtc.lock);
	if (!is_write && len > 1)
		memset(b + 1, 0xff, len - 1);
}

static struct bus_dev rtc_dev = {
	.name = "rtc",
	.base = RTC_PORT,
	.len = 2,
	.access = rtc_access,
};

int rtc_init(struct vm *vm)
{
	rtc.regs[REG_A] = REG_A_DEFAULT;
	rtc.regs[REG_B] = REG_B_24H;
	rtc_dev.priv = vm;
	return bus_register(BUS_PIO, &rtc_dev);
}
