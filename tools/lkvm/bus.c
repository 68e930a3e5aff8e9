// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "bus.h"

#define BUS_MAX_DEVS 64

/*
 * Devices are registered before any vCPU runs and never removed, so the
 * tables are read without locks.  They are small: a linear scan is cheaper
 * than anything cleverer at this size.
 */
static struct bus_space_table {
	struct bus_dev *devs[BUS_MAX_DEVS];
	unsigned int nr;
} tables[BUS_NR_SPACES];

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

int bus_register(enum bus_space space, struct bus_dev *dev)
{
	struct bus_space_table *t = &tables[space];
	unsigned int i;

	if (!dev->len || dev->base + dev->len < dev->base)
		return -EINVAL;
	for (i = 0; i < t->nr; i++)
		if (ranges_overlap(dev->base, dev->len, t->devs[i]->base,
				   t->devs[i]->len))
			return -EBUSY;
	if (t->nr == BUS_MAX_DEVS)
		return -ENOSPC;
	t->devs[t->nr++] = dev;
	return 0;
}

static struct bus_dev *bus_find(enum bus_space space, u64 addr,
				unsigned int len)
{
	struct bus_space_table *t = &tables[space];
	unsigned int i;

	for (i = 0; i < t->nr; i++) {
		struct bus_dev *d = t->devs[i];

		if (addr >= d->base && addr - d->base + len <= d->len)
			return d;
	}
	return NULL;
}

void bus_access(enum bus_space space, u64 addr, void *data, unsigned int len,
		bool is_write)
{
	struct bus_dev *d = bus_find(space, addr, len);

	if (d)
		d->access(d, addr - d->base, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}
