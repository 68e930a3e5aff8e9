// SPDX-License-Identifier: GPL-2.0
/*
 * lkvm's paravirt exit device: the guest hands lkvm its exit status.
 * The register is decoded both as a port and as MMIO (include/uapi/linux/lkvm.h).
 */
#include <string.h>
#include <linux/lkvm.h>

#include "bus.h"
#include "devices.h"
#include "vm.h"

static void exit_dev_access(struct bus_dev *dev, u64 offset, void *data,
			    unsigned int len, bool is_write)
{
	u64 magic = LKVM_EXIT_MAGIC;

	if (!is_write) {
		memcpy(data, &magic, len);
		return;
	}
	vm_stop(dev->priv, VM_STOP_EXIT_DEV, *(u8 *)data);
}

static struct bus_dev exit_pio = {
	.name = "exit",
	.base = LKVM_EXIT_PORT,
	.len = 4,
	.access = exit_dev_access,
};

static struct bus_dev exit_mmio = {
	.name = "exit",
	.base = LKVM_EXIT_MMIO,
	.len = 4096,
	.access = exit_dev_access,
};

int exit_dev_init(struct vm *vm)
{
	exit_pio.priv = vm;
	exit_mmio.priv = vm;
	return bus_register(BUS_PIO, &exit_pio) ?:
	       bus_register(BUS_MMIO, &exit_mmio);
}
