// SPDX-License-Identifier: GPL-2.0
/*
 * PCI host bridge: configuration mechanism #1, bus 0, MSI-X and INTx.
 * Register layouts are those of the PCI Local Bus Specification 3.0
 * (header type 0, section 6.2; BARs 6.2.5.1; MSI-X 6.8.2), with the
 * constants of <linux/pci_regs.h>.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "accel.h"
#include "bus.h"
#include "pci.h"

/* CONFIG_ADDRESS (PCI 3.0, 3.2.2.3.2): enable, bus, device, function, reg. */
#define CONF1_ENABLE		0x80000000u
#define CONF1_ADDR_MASK		0x80fffffcu
#define CONF1_BUS(a)		(((a) >> 16) & 0xff)
#define CONF1_SLOT(a)		(((a) >> 11) & 0x1f)
#define CONF1_FN(a)		(((a) >> 8) & 0x7)
#define CONF1_REG(a)		((a) & 0xfc)
#define CONF1_PORT		0xcf8

/*
 * Red Hat's ID for a generic virtual host bridge (QEMU's docs/specs/pci-ids):
 * no Linux quirk matches it, and its class (host bridge) is what Linux's
 * conf1 sanity check looks for on bus 0.
 */
#define HOST_BRIDGE_VENDOR	0x1b36
#define HOST_BRIDGE_DEVICE	0x0008
#define CLASS_BRIDGE_HOST	0x060000

#define MSIX_CAP_LEN		12

static struct pci_bus {
	struct vm *vm;
	_Atomic u32 config_address;
	struct pci_dev *slots[PCI_MAX_SLOTS];
	unsigned int nr_slots;
	u64 next_mmio;		/* next free address for pci_register() */
	/* How many devices assert each INTx GSI; a GSI is the OR of them. */
	pthread_mutex_t intx_lock;
	unsigned int intx_count[PCI_INTX_NR_GSIS];
} pci_bus = { .intx_lock = PTHREAD_MUTEX_INITIALIZER };

static u16 cfg_get16(const struct pci_dev *dev, unsigned int off)
{
	return dev->cfg[off] | dev->cfg[off + 1] << 8;
}

static u32 cfg_get32(const struct pci_dev *dev, unsigned int off)
{
	return cfg_get16(dev, off) | (u32)cfg_get16(dev, off + 2) << 16;
}

static void cfg_put(u8 *p, unsigned int off, u32 v, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[off + i] = v >> (8 * i);
}

void pci_dev_init(struct pci_dev *dev, const char *name, u16 vendor,
		  u16 device, u32 class_code, u8 revision, u16 subsys_vendor,
		  u16 subsys_id)
{
	memset(dev->cfg, 0, sizeof(dev->cfg));
	memset(dev->wmask, 0, sizeof(dev->wmask));
	dev->name = name;
	pthread_mutex_init(&dev->lock, NULL);
	cfg_put(dev->cfg, PCI_VENDOR_ID, vendor, 2);
	cfg_put(dev->cfg, PCI_DEVICE_ID, device, 2);
	cfg_put(dev->cfg, PCI_CLASS_REVISION, class_code << 8 | revision, 4);
	cfg_put(dev->cfg, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor, 2);
	cfg_put(dev->cfg, PCI_SUBSYSTEM_ID, subsys_id, 2);
	dev->cfg[PCI_INTERRUPT_PIN] = 1;	/* INTA */
	cfg_put(dev->wmask, PCI_COMMAND, PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 2);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

void pci_add_bar(struct pci_dev *dev, unsigned int bar, u32 size)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;

	dev->bar_size[bar] = size;
	/* Memory, 32-bit, not prefetchable: the type bits are all zero. */
	cfg_put(dev->cfg, off, PCI_BASE_ADDRESS_SPACE_MEMORY |
		PCI_BASE_ADDRESS_MEM_TYPE_32, 4);
	/* Address bits below the size read as zero: that is BAR sizing. */
	cfg_put(dev->wmask, off, ~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK, 4);
}

u8 pci_add_cap(struct pci_dev *dev, const void *body, unsigned int len)
{
	unsigned int off = dev->cap_end ? ALIGN_UP(dev->cap_end, 4) :
					  PCI_STD_HEADER_SIZEOF;

	if (len < 2 || off + len > PCI_CFG_SPACE_SIZE)
		return 0;
	memcpy(dev->cfg + off, body, len);
	dev->cfg[off + PCI_CAP_LIST_NEXT] = 0;
	if (dev->last_cap)
		dev->cfg[dev->last_cap + PCI_CAP_LIST_NEXT] = off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->last_cap = off;
	dev->cap_end = off + len;
	return off;
}

int pci_add_msix(struct pci_dev *dev, unsigned int bar, u32 table_off,
		 u32 pba_off, unsigned int nr)
{
	u8 cap[MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX };
	unsigned int i;

	if (!nr || nr > PCI_MSIX_FLAGS_QSIZE + 1 || (table_off | pba_off) & 7)
		return -EINVAL;
	cfg_put(cap, PCI_MSIX_FLAGS, nr - 1, 2);
	cfg_put(cap, PCI_MSIX_TABLE, table_off | bar, 4);
	cfg_put(cap, PCI_MSIX_PBA, pba_off | bar, 4);
	dev->msix_cap = pci_add_cap(dev, cap, sizeof(cap));
	dev->msix_table = calloc(nr, PCI_MSIX_ENTRY_SIZE);
	dev->msix_pba = calloc((nr + 63) / 64, sizeof(u64));
	if (!dev->msix_cap || !dev->msix_table || !dev->msix_pba)
		return -ENOMEM;
	/* Only Enable and Function Mask are writable. */
	cfg_put(dev->wmask, dev->msix_cap + PCI_MSIX_FLAGS,
		PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	/* Every vector starts masked (PCI 3.0, 6.8.2.9). */
	for (i = 0; i < nr; i++)
		dev->msix_table[i * PCI_MSIX_ENTRY_SIZE +
				PCI_MSIX_ENTRY_VECTOR_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	dev->msix_nr = nr;
	dev->msix_bar = bar;
	dev->msix_table_off = table_off;
	dev->msix_pba_off = pba_off;
	return 0;
}

u64 pci_bar_address(struct pci_dev *dev, unsigned int bar)
{
	return cfg_get32(dev, PCI_BASE_ADDRESS_0 + 4 * bar) &
	       PCI_BASE_ADDRESS_MEM_MASK;
}

static u16 msix_control(struct pci_dev *dev)
{
	return dev->msix_cap ? cfg_get16(dev, dev->msix_cap + PCI_MSIX_FLAGS)
			     : 0;
}

bool pci_msix_enabled(struct pci_dev *dev)
{
	return msix_control(dev) & PCI_MSIX_FLAGS_ENABLE;
}

static bool msix_masked(struct pci_dev *dev, unsigned int vector)
{
	const u8 *e = dev->msix_table + vector * PCI_MSIX_ENTRY_SIZE;

	return (msix_control(dev) & PCI_MSIX_FLAGS_MASKALL) ||
	       (e[PCI_MSIX_ENTRY_VECTOR_CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void msix_send(struct pci_dev *dev, unsigned int vector)
{
	const u8 *e = dev->msix_table + vector * PCI_MSIX_ENTRY_SIZE;
	u64 addr;
	u32 data;

	memcpy(&addr, e + PCI_MSIX_ENTRY_LOWER_ADDR, sizeof(addr));
	memcpy(&data, e + PCI_MSIX_ENTRY_DATA, sizeof(data));
	dev->vm->accel_ops->signal_msi(dev->vm, addr, data);
}

void pci_msix_notify(struct pci_dev *dev, unsigned int vector)
{
	if (vector >= dev->msix_nr || !pci_msix_enabled(dev))
		return;
	if (msix_masked(dev, vector))
		dev->msix_pba[vector / 64] |= 1ULL << (vector % 64);
	else
		msix_send(dev, vector);
}

/* A vector that was pending while masked goes out once unmasked. */
static void msix_deliver_pending(struct pci_dev *dev)
{
	unsigned int v;

	if (!pci_msix_enabled(dev))
		return;
	for (v = 0; v < dev->msix_nr; v++) {
		u64 bit = 1ULL << (v % 64);

		if ((dev->msix_pba[v / 64] & bit) && !msix_masked(dev, v)) {
			dev->msix_pba[v / 64] &= ~bit;
			msix_send(dev, v);
		}
	}
}

static unsigned int intx_gsi(unsigned int slot)
{
	return PCI_INTX_GSI_BASE + slot % PCI_INTX_NR_GSIS;
}

/* INTx reaches the IOAPIC unless disabled or replaced by MSI-X. */
static void pci_update_intx(struct pci_dev *dev)
{
	bool out = dev->intx_level && !pci_msix_enabled(dev) &&
		   !(cfg_get16(dev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	unsigned int i = dev->slot % PCI_INTX_NR_GSIS;
	unsigned int *count = &pci_bus.intx_count[i];

	if (out == dev->intx_out)
		return;
	dev->intx_out = out;
	pthread_mutex_lock(&pci_bus.intx_lock);
	*count += out ? 1 : -1;
	if (*count == (out ? 1 : 0))
		dev->vm->accel_ops->irq_line(dev->vm, intx_gsi(dev->slot), out);
	pthread_mutex_unlock(&pci_bus.intx_lock);
}

void pci_set_intx(struct pci_dev *dev, bool level)
{
	dev->intx_level = level;
	if (level)
		dev->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
	pci_update_intx(dev);
}

unsigned int pci_intx_routes(struct pci_intx_route *routes, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < PCI_MAX_SLOTS; i++) {
		struct pci_dev *dev = pci_bus.slots[i];

		if (!dev || !dev->cfg[PCI_INTERRUPT_PIN])
			continue;
		if (n < max)
			routes[n] = (struct pci_intx_route) {
				.slot = i,
				.pin = dev->cfg[PCI_INTERRUPT_PIN],
				.gsi = intx_gsi(i),
			};
		n++;
	}
	return n;
}

static void update_decode(struct pci_dev *dev)
{
	bool mem = cfg_get16(dev, PCI_COMMAND) & PCI_COMMAND_MEMORY;
	unsigned int i;

	for (i = 0; i < PCI_NR_BARS; i++)
		dev->decode[i] = mem && dev->bar_size[i] ?
				 pci_bar_address(dev, i) : 0;
}

static void cfg_read(struct pci_dev *dev, unsigned int off, void *data,
		     unsigned int len)
{
	if (dev->cfg_read)
		dev->cfg_read(dev, off, len);
	memcpy(data, dev->cfg + off, len);
}

static void cfg_write(struct pci_dev *dev, unsigned int off,
		      const void *data, unsigned int len)
{
	const u8 *v = data;
	unsigned int i;

	for (i = 0; i < len; i++) {
		u8 m = dev->wmask[off + i];

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | (v[i] & m);
	}
	update_decode(dev);
	/* Command and MSI-X control decide where interrupts go. */
	pci_update_intx(dev);
	msix_deliver_pending(dev);
	if (dev->cfg_write)
		dev->cfg_write(dev, off, len);
}

static void conf1_data(unsigned int port_off, void *data, unsigned int len,
		       bool is_write)
{
	u32 addr = pci_bus.config_address;
	unsigned int off = CONF1_REG(addr) + port_off;
	struct pci_dev *dev = NULL;

	/* Single-function devices on bus 0 only. */
	if ((addr & CONF1_ENABLE) && !CONF1_BUS(addr) && !CONF1_FN(addr))
		dev = pci_bus.slots[CONF1_SLOT(addr)];
	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	if (is_write)
		cfg_write(dev, off, data, len);
	else
		cfg_read(dev, off, data, len);
	pthread_mutex_unlock(&dev->lock);
}

/*
 * Ports 0xcf8-0xcff.  Only a 32-bit access to 0xcf8 is CONFIG_ADDRESS;
 * narrower ones there (Linux's probe writes a byte to 0xcfb) do nothing.
 */
static void conf1_access(struct bus_dev *bdev, u64 offset, void *data,
			 unsigned int len, bool is_write)
{
	u32 v;

	if (offset >= 4) {
		conf1_data(offset - 4, data, len, is_write);
	} else if (offset == 0 && len == 4) {
		if (is_write) {
			memcpy(&v, data, 4);
			pci_bus.config_address = v & CONF1_ADDR_MASK;
		} else {
			v = pci_bus.config_address;
			memcpy(data, &v, 4);
		}
	} else if (!is_write) {
		memset(data, 0xff, len);
	}
}

static bool msix_region(struct pci_dev *dev, unsigned int bar, u64 offset,
			unsigned int len, u32 start, u32 size)
{
	return dev->msix_nr && bar == dev->msix_bar && offset >= start &&
	       offset + len <= (u64)start + size;
}

/* Table entries are plain memory; the PBA is read-only. */
static bool msix_access(struct pci_dev *dev, unsigned int bar, u64 offset,
			void *data, unsigned int len, bool is_write)
{
	u32 table_len = dev->msix_nr * PCI_MSIX_ENTRY_SIZE;
	u32 pba_len = (dev->msix_nr + 63) / 64 * sizeof(u64);
	u64 off;

	if (msix_region(dev, bar, offset, len, dev->msix_table_off,
			table_len)) {
		off = offset - dev->msix_table_off;
		if (!is_write) {
			memcpy(data, dev->msix_table + off, len);
			return true;
		}
		memcpy(dev->msix_table + off, data, len);
		msix_deliver_pending(dev);
		return true;
	}
	if (msix_region(dev, bar, offset, len, dev->msix_pba_off, pba_len)) {
		if (!is_write)
			memcpy(data, (u8 *)dev->msix_pba +
			       (offset - dev->msix_pba_off), len);
		return true;
	}
	return false;
}

/* The BAR of @dev that decodes [addr, addr+len), or -1. */
static int bar_at(struct pci_dev *dev, u64 addr, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < PCI_NR_BARS; i++) {
		u64 base = dev->decode[i];

		if (base && addr >= base &&
		    addr + len <= base + dev->bar_size[i])
			return i;
	}
	return -1;
}

/* True if @dev took the access. */
static bool dev_mmio(struct pci_dev *dev, u64 addr, void *data,
		     unsigned int len, bool is_write)
{
	int bar;

	if (bar_at(dev, addr, len) < 0)
		return false;
	pthread_mutex_lock(&dev->lock);
	/* Look again: the guest may have moved the BAR meanwhile. */
	bar = bar_at(dev, addr, len);
	if (bar >= 0) {
		u64 off = addr - dev->decode[bar];

		if (!msix_access(dev, bar, off, data, len, is_write))
			dev->bar_access(dev, bar, off, data, len, is_write);
	}
	pthread_mutex_unlock(&dev->lock);
	return bar >= 0;
}

static void window_access(struct bus_dev *bdev, u64 offset, void *data,
			  unsigned int len, bool is_write)
{
	u64 addr = bdev->base + offset;
	unsigned int i;

	for (i = 0; i < PCI_MAX_SLOTS; i++)
		if (pci_bus.slots[i] &&
		    dev_mmio(pci_bus.slots[i], addr, data, len, is_write))
			return;
	if (!is_write)
		memset(data, 0xff, len);
}

static struct bus_dev conf1_dev = {
	.name = "pci-conf1",
	.base = CONF1_PORT,
	.len = 8,
	.access = conf1_access,
};

static struct bus_dev window_dev = {
	.name = "pci-mmio",
	.access = window_access,
};

static struct pci_dev host_bridge;

int pci_register(struct vm *vm, struct pci_dev *dev)
{
	unsigned int i;

	if (pci_bus.nr_slots == PCI_MAX_SLOTS) {
		pr_err("%s: no free PCI slot (at most %d devices)", dev->name,
		       PCI_MAX_SLOTS - 1);
		return -ENOSPC;
	}
	for (i = 0; i < PCI_NR_BARS; i++) {
		u64 size = dev->bar_size[i];
		u64 base = ALIGN_UP(pci_bus.next_mmio, size);

		if (!size)
			continue;
		if (base + size > PCI_MMIO_ASSIGN_END) {
			pr_err("%s: the PCI MMIO window is full", dev->name);
			return -ENOSPC;
		}
		cfg_put(dev->cfg, PCI_BASE_ADDRESS_0 + 4 * i,
			base | cfg_get32(dev, PCI_BASE_ADDRESS_0 + 4 * i), 4);
		pci_bus.next_mmio = base + size;
	}
	dev->vm = vm;
	dev->slot = pci_bus.nr_slots;
	if (dev->cfg[PCI_INTERRUPT_PIN])
		dev->cfg[PCI_INTERRUPT_LINE] = intx_gsi(dev->slot);
	/* As firmware would: BARs assigned and decoded. */
	dev->cfg[PCI_COMMAND] |= PCI_COMMAND_MEMORY;
	update_decode(dev);
	pci_bus.slots[pci_bus.nr_slots++] = dev;
	return 0;
}

int pci_init(struct vm *vm)
{
	u64 ram_end = vm->nr_banks ? vm->banks[0].gpa + vm->banks[0].size : 0;
	int ret;

	pci_bus.vm = vm;
	pci_bus.next_mmio = PCI_MMIO_ASSIGN_BASE;
	window_dev.base = ALIGN_UP(ram_end, MiB);
	window_dev.len = PCI_MMIO_WINDOW_END - window_dev.base;
	pci_dev_init(&host_bridge, "host-bridge", HOST_BRIDGE_VENDOR,
		     HOST_BRIDGE_DEVICE, CLASS_BRIDGE_HOST, 0, 0, 0);
	host_bridge.cfg[PCI_INTERRUPT_PIN] = 0;
	ret = pci_register(vm, &host_bridge) ?:
	      bus_register(BUS_PIO, &conf1_dev) ?:
	      bus_register(BUS_MMIO, &window_dev);
	if (ret)
		pr_err("cannot register the PCI host bridge: %s",
		       strerror(-ret));
	return ret;
}
