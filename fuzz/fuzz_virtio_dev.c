// SPDX-License-Identifier: GPL-2.0
/*
 * Device models behind the virtio-pci transport: virtio-blk (on a memfd),
 * virtio-rng and virtio-console, reached only as a guest reaches them,
 * through the PCI configuration ports and BAR0 MMIO (bus_access()).  The
 * input is a driver: features, queue set-up, MSI-X on or off, then BAR
 * accesses, kicks and stores to guest RAM (virtio_fuzz.h); every ring and
 * request in guest RAM is the input's.  Each request handler runs through
 * virtio_serve_queue() as in lkvm run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "bus.h"
#include "devices.h"
#include "fuzz_vm.h"
#include "pci.h"
#include "virtio_fuzz.h"

#define CONF1_ADDR	0xcf8
#define CONF1_DATA	0xcfc
#define VPCI_NOTIFY	0x3000	/* virtio-pci.c's layout of BAR0 */
#define MSIX_TABLE	0x4000
#define BAR_SIZE	0x8000

static struct vm *vm;
static int disk_fd;

static const unsigned int nr_queues[VFZ_NR_DEVS] = {
	[VFZ_BLK] = 1, [VFZ_RNG] = 1, [VFZ_CONSOLE] = 2,
};

struct fuzz_dev {
	unsigned int slot;
	unsigned int msix_cap;
	u64 bar;
};

static struct fuzz_dev devs[VFZ_NR_DEVS];

static u32 cfg_rw(unsigned int slot, unsigned int off, u32 v,
		  unsigned int len, bool is_write)
{
	u32 addr = 0x80000000u | slot << 11 | (off & 0xfc);

	bus_access(BUS_PIO, CONF1_ADDR, &addr, 4, true);
	bus_access(BUS_PIO, CONF1_DATA + (off & 3), &v, len, is_write);
	return v;
}

static u64 bar_rw(struct fuzz_dev *d, u64 off, u64 v, unsigned int len,
		  bool is_write)
{
	bus_access(BUS_MMIO, d->bar + off, &v, len, is_write);
	return v;
}

static void common_write(struct fuzz_dev *d, unsigned int off, u64 v,
			 unsigned int len)
{
	bar_rw(d, off, v, len, true);
}

static unsigned int find_msix(unsigned int slot)
{
	unsigned int off = cfg_rw(slot, PCI_CAPABILITY_LIST, 0, 1, false);

	while (off) {
		if (cfg_rw(slot, off, 0, 1, false) == PCI_CAP_ID_MSIX)
			return off;
		off = cfg_rw(slot, off + 1, 0, 1, false);
	}
	fprintf(stderr, "fuzz: slot %u has no MSI-X capability\n", slot);
	exit(1);
}

static void add_devices(void)
{
	char path[32];
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	unsigned int i;

	disk_fd = fuzz_file(0, NULL, 0, path);
	if (null_fd < 0 || ftruncate(disk_fd, VFZ_DISK_SIZE) ||
	    pci_init(vm) || virtio_blk_init(vm, path) || virtio_rng_init(vm) ||
	    virtio_console_init(vm, null_fd)) {
		fprintf(stderr, "fuzz: cannot set up the devices\n");
		exit(1);
	}
	/* Slot 0 is the host bridge; the devices follow in that order. */
	for (i = 0; i < VFZ_NR_DEVS; i++) {
		devs[i].slot = i + 1;
		devs[i].msix_cap = find_msix(i + 1);
		devs[i].bar = cfg_rw(i + 1, PCI_BASE_ADDRESS_0, 0, 4, false) &
			      PCI_BASE_ADDRESS_MEM_MASK;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vm = fuzz_vm_create(VFZ_RAM_SIZE);
	add_devices();
	return 0;
}

/* Back to power-on: device reset, MSI-X off and every vector masked. */
static void reset_device(struct fuzz_dev *d, unsigned int nr_vectors)
{
	unsigned int i;

	common_write(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	cfg_rw(d->slot, d->msix_cap + PCI_MSIX_FLAGS, 0, 2, true);
	for (i = 0; i < nr_vectors; i++) {
		bar_rw(d, MSIX_TABLE + 16 * i, 0, 8, true);
		bar_rw(d, MSIX_TABLE + 16 * i + 8, 0, 4, true);
		bar_rw(d, MSIX_TABLE + 16 * i + 12, PCI_MSIX_ENTRY_CTRL_MASKBIT,
		       4, true);
	}
	/* Reads of the PBA clear nothing; pending bits die with the reset. */
}

static void set_up_queue(struct fuzz_dev *d, unsigned int i,
			 const struct vfz_queue *q)
{
	common_write(d, VIRTIO_PCI_COMMON_Q_SELECT, i, 2);
	common_write(d, VIRTIO_PCI_COMMON_Q_SIZE, q->size, 2);
	common_write(d, VIRTIO_PCI_COMMON_Q_MSIX, q->msix_vector, 2);
	common_write(d, VIRTIO_PCI_COMMON_Q_DESCLO, q->desc, 8);
	common_write(d, VIRTIO_PCI_COMMON_Q_AVAILLO, q->avail, 8);
	common_write(d, VIRTIO_PCI_COMMON_Q_USEDLO, q->used, 8);
	common_write(d, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* virtio 1.2, 3.1.1, with the input's features and queues. */
static void set_up_driver(struct fuzz_dev *d, const struct vfz_header *h,
			  unsigned int nr)
{
	u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	unsigned int i;

	common_write(d, VIRTIO_PCI_COMMON_STATUS, status, 1);
	common_write(d, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	common_write(d, VIRTIO_PCI_COMMON_GF, (u32)h->features, 4);
	common_write(d, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	common_write(d, VIRTIO_PCI_COMMON_GF, h->features >> 32, 4);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	common_write(d, VIRTIO_PCI_COMMON_STATUS, status, 1);
	if (h->msix & 1) {
		cfg_rw(d->slot, d->msix_cap + PCI_MSIX_FLAGS,
		       PCI_MSIX_FLAGS_ENABLE, 2, true);
		for (i = 0; i <= nr; i++)
			bar_rw(d, MSIX_TABLE + 16 * i + 12, 0, 4, true);
	}
	for (i = 0; i < nr; i++)
		set_up_queue(d, i, &h->q[i]);
	common_write(d, VIRTIO_PCI_COMMON_STATUS,
		     status | VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

static void run_op(struct fuzz_dev *d, const struct vfz_op *op)
{
	unsigned int len = 1u << (op->len % 4);
	u32 at = op->off * 4u;

	switch (op->kind % VFZ_NR_OPS) {
	case VFZ_OP_READ:
		bar_rw(d, op->off % BAR_SIZE, 0, len, false);
		break;
	case VFZ_OP_WRITE:
		bar_rw(d, op->off % BAR_SIZE, op->value, len, true);
		break;
	case VFZ_OP_NOTIFY:
		bar_rw(d, VPCI_NOTIFY, op->value, 2, true);
		break;
	case VFZ_OP_STORE:
		if (at <= VFZ_RAM_SIZE - 4)
			memcpy(vm->banks[0].hva + at, &op->value, 4);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct vfz_op ops[256];
	struct vfz_header h;
	struct fuzz_dev *d;
	unsigned int i, nr;

	fuzz_take(&in, &h, sizeof(h));
	fuzz_take(&in, ops, h.nr_ops * sizeof(ops[0]));
	fuzz_take(&in, vm->banks[0].hva, VFZ_RAM_SIZE);
	d = &devs[h.dev % VFZ_NR_DEVS];
	nr = nr_queues[h.dev % VFZ_NR_DEVS];
	reset_device(d, nr + 1);
	set_up_driver(d, &h, nr);
	for (i = 0; i < h.nr_ops; i++)
		run_op(d, &ops[i]);
	/* The next input starts from an empty disk. */
	if (ftruncate(disk_fd, 0) || ftruncate(disk_fd, VFZ_DISK_SIZE))
		abort();
	return 0;
}
