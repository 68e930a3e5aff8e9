/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device bus: port I/O and MMIO address ranges claimed by devices.
 * Both accelerators hand every guest access that is not RAM to bus_access().
 */
#ifndef LKVM_BUS_H
#define LKVM_BUS_H

#include "util.h"

struct vm;

enum bus_space {
	BUS_PIO,
	BUS_MMIO,
	BUS_NR_SPACES,
};

struct bus_dev {
	const char *name;
	u64 base;
	u64 len;
	/*
	 * @offset is relative to @base; @len is 1, 2, 4 or 8 and the access
	 * lies within the device's range.  Reads fill @data.
	 */
	void (*access)(struct bus_dev *dev, u64 offset, void *data,
		       unsigned int len, bool is_write);
	void *priv;
};

/* Claims [dev->base, +dev->len) in @space; fails on overlap. */
int bus_register(enum bus_space space, struct bus_dev *dev);

/*
 * Dispatches one access.  Accesses nobody claims read as all-ones and are
 * dropped on write, as on a PC; an access straddling the end of a device is
 * treated as unclaimed.
 */
void bus_access(enum bus_space space, u64 addr, void *data, unsigned int len,
		bool is_write);

#endif
