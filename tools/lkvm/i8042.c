// SPDX-License-Identifier: GPL-2.0
/*
 * The part of the PC keyboard controller (i8042) that a kernel without a
 * keyboard still uses: its reset line.  "reboot=k", and the FADT's reset
 * register (acpi.c), write command 0xfe to port 0x64, which ends the VM with
 * VM_STOP_RESET.  There is no keyboard or mouse behind it: the status reads
 * "both buffers empty" so that a writer never waits, and the FADT says there
 * is no 8042, so Linux's i8042 driver does not probe it.
 */
#include <string.h>

#include "bus.h"
#include "linux-boot.h"
#include "vm.h"

#define I8042_DATA	0x60
#define I8042_CMD	0x64
/* Commands 0xf0-0xff pulse the output port's low bits; bit 0 is reset. */
#define I8042_PULSE	0xf0
#define I8042_RESET_BIT	0x01

static void i8042_access(struct bus_dev *dev, u64 offset, void *data,
			 unsigned int len, bool is_write)
{
	u8 cmd;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	cmd = *(u8 *)data;
	/* A pulse command names the lines it pulls low. */
	if (dev->base == I8042_CMD && (cmd & 0xf0) == I8042_PULSE &&
	    !(cmd & I8042_RESET_BIT))
		vm_stop(dev->priv, VM_STOP_RESET, 0);
}

static struct bus_dev i8042_data = {
	.name = "i8042",
	.base = I8042_DATA,
	.len = 1,
	.access = i8042_access,
};

static struct bus_dev i8042_cmd = {
	.name = "i8042",
	.base = I8042_CMD,
	.len = 1,
	.access = i8042_access,
};

int i8042_init(struct vm *vm)
{
	i8042_data.priv = vm;
	i8042_cmd.priv = vm;
	return bus_register(BUS_PIO, &i8042_data) ?:
	       bus_register(BUS_PIO, &i8042_cmd);
}
