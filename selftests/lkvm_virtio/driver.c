// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "accel.h"
#include "bus.h"
#include "driver.h"

struct vm test_vm;
struct msi_record msis[MAX_RECORDS];
unsigned int nr_msis;
struct irq_record irqs[MAX_RECORDS];
unsigned int nr_irqs;

static u64 next_gpa = 1 << 20;

static int fake_set_memory(struct vm *vm, unsigned int slot,
			   struct mem_bank *b)
{
	return 0;
}

static int fake_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	if (nr_irqs < MAX_RECORDS)
		irqs[nr_irqs++] = (struct irq_record) { gsi, level };
	return 0;
}

static int fake_signal_msi(struct vm *vm, u64 address, u32 data)
{
	if (nr_msis < MAX_RECORDS)
		msis[nr_msis++] = (struct msi_record) { address, data };
	return 0;
}

static const struct accel_ops fake_accel = {
	.name = "fake",
	.set_memory = fake_set_memory,
	.irq_line = fake_irq_line,
	.signal_msi = fake_signal_msi,
};

int test_vm_init(void)
{
	test_vm.accel_ops = &fake_accel;
	return vm_init_memory(&test_vm, TEST_RAM_SIZE);
}

u64 galloc(u64 size, u64 align)
{
	u64 gpa = (next_gpa + align - 1) & ~(align - 1);

	next_gpa = gpa + size;
	memset(ghva(gpa), 0, size);
	return gpa;
}

void *ghva(u64 gpa)
{
	return gpa_to_hva(&test_vm, gpa, 1);
}

static void conf1_select(unsigned int slot, unsigned int off)
{
	u32 addr = 0x80000000u | slot << 11 | (off & 0xfc);

	bus_access(BUS_PIO, 0xcf8, &addr, 4, true);
}

u32 cfg_read(unsigned int slot, unsigned int off, unsigned int len)
{
	u32 v = 0;

	conf1_select(slot, off);
	bus_access(BUS_PIO, 0xcfc + (off & 3), &v, len, false);
	return v;
}

void cfg_write(unsigned int slot, unsigned int off, u32 val, unsigned int len)
{
	conf1_select(slot, off);
	bus_access(BUS_PIO, 0xcfc + (off & 3), &val, len, true);
}

u64 mmio_read(u64 addr, unsigned int len)
{
	u64 v = 0;

	bus_access(BUS_MMIO, addr, &v, len, false);
	return v;
}

void mmio_write(u64 addr, u64 val, unsigned int len)
{
	bus_access(BUS_MMIO, addr, &val, len, true);
}

int pci_find(u16 vendor, u16 device)
{
	unsigned int slot;

	for (slot = 0; slot < 32; slot++)
		if (cfg_read(slot, PCI_VENDOR_ID, 2) == vendor &&
		    cfg_read(slot, PCI_DEVICE_ID, 2) == device)
			return slot;
	return -1;
}

unsigned int pci_next_cap(unsigned int slot, unsigned int from, u8 id)
{
	unsigned int off, n;

	off = from ? cfg_read(slot, from + PCI_CAP_LIST_NEXT, 1) :
		     cfg_read(slot, PCI_CAPABILITY_LIST, 1);
	/* 48 is as many capabilities as fit: a loop ends here too. */
	for (n = 0; off && n < 48; n++) {
		off &= ~3;
		if (cfg_read(slot, off + PCI_CAP_LIST_ID, 1) == id)
			return off;
		off = cfg_read(slot, off + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

u32 bar_size(unsigned int slot, unsigned int bar)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	u32 old = cfg_read(slot, off, 4), mask;

	cfg_write(slot, off, 0xffffffff, 4);
	mask = cfg_read(slot, off, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	cfg_write(slot, off, old, 4);
	return ~mask + 1;
}

static u64 cap_address(unsigned int slot, unsigned int cap, u64 bar)
{
	return bar + cfg_read(slot, cap + VIRTIO_PCI_CAP_OFFSET, 4);
}

static void find_msix(struct vdev *v, u64 bar)
{
	u32 table, pba;

	v->msix_cap = pci_next_cap(v->slot, 0, PCI_CAP_ID_MSIX);
	if (!v->msix_cap)
		return;
	v->msix_nr = (cfg_read(v->slot, v->msix_cap + PCI_MSIX_FLAGS, 2) &
		      PCI_MSIX_FLAGS_QSIZE) + 1;
	table = cfg_read(v->slot, v->msix_cap + PCI_MSIX_TABLE, 4);
	pba = cfg_read(v->slot, v->msix_cap + PCI_MSIX_PBA, 4);
	/* Our BAR is BAR0: the BIR fields must say so. */
	v->msix_table = (table & PCI_MSIX_TABLE_BIR) ? 0 :
			bar + (table & PCI_MSIX_TABLE_OFFSET);
	v->msix_pba = (pba & PCI_MSIX_PBA_BIR) ? 0 :
		      bar + (pba & PCI_MSIX_PBA_OFFSET);
}

int vdev_open(struct vdev *v, u16 type, u64 bar)
{
	unsigned int cap = 0;
	int slot = pci_find(0x1af4, 0x1040 + type);

	memset(v, 0, sizeof(*v));
	if (slot < 0)
		return -1;
	v->slot = slot;
	cfg_write(slot, PCI_BASE_ADDRESS_0, bar, 4);
	cfg_write(slot, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  2);
	while ((cap = pci_next_cap(slot, cap, PCI_CAP_ID_VNDR))) {
		u8 type = cfg_read(slot, cap + VIRTIO_PCI_CAP_CFG_TYPE, 1);
		u64 *where = NULL;

		if (cfg_read(slot, cap + VIRTIO_PCI_CAP_BAR, 1) != 0)
			continue;
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			where = &v->common;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			where = &v->notify;
			v->notify_mult = cfg_read(slot, cap +
					VIRTIO_PCI_NOTIFY_CAP_MULT, 4);
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			where = &v->isr;
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			where = &v->devcfg;
			break;
		case VIRTIO_PCI_CAP_PCI_CFG:
			v->pci_cfg_cap = cap;
			break;
		}
		/* 4.1.4.1: the driver uses the first of each type. */
		if (where && !*where)
			*where = cap_address(slot, cap, bar);
	}
	find_msix(v, bar);
	return v->common && v->notify && v->isr ? 0 : -1;
}

u64 common_read(struct vdev *v, unsigned int off, unsigned int len)
{
	return mmio_read(v->common + off, len);
}

void common_write(struct vdev *v, unsigned int off, u64 val, unsigned int len)
{
	mmio_write(v->common + off, val, len);
}

u8 vdev_status(struct vdev *v)
{
	return common_read(v, VIRTIO_PCI_COMMON_STATUS, 1);
}

u64 vdev_device_features(struct vdev *v)
{
	u64 f;

	common_write(v, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	f = common_read(v, VIRTIO_PCI_COMMON_DF, 4);
	common_write(v, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	return f | common_read(v, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

u8 vdev_negotiate(struct vdev *v, u64 features)
{
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	common_write(v, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	common_write(v, VIRTIO_PCI_COMMON_STATUS,
		     VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	common_write(v, VIRTIO_PCI_COMMON_STATUS, s, 1);
	common_write(v, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	common_write(v, VIRTIO_PCI_COMMON_GF, (u32)features, 4);
	common_write(v, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	common_write(v, VIRTIO_PCI_COMMON_GF, features >> 32, 4);
	common_write(v, VIRTIO_PCI_COMMON_STATUS,
		     s | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	return vdev_status(v);
}

void msix_mask(struct vdev *v, unsigned int vector, bool masked)
{
	mmio_write(v->msix_table + vector * PCI_MSIX_ENTRY_SIZE +
		   PCI_MSIX_ENTRY_VECTOR_CTRL, masked, 4);
}

void vdev_enable_msix(struct vdev *v)
{
	unsigned int i;
	u16 ctl = cfg_read(v->slot, v->msix_cap + PCI_MSIX_FLAGS, 2);

	/* As Linux does: mask the function while the table is written. */
	cfg_write(v->slot, v->msix_cap + PCI_MSIX_FLAGS,
		  ctl | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	for (i = 0; i < v->msix_nr; i++) {
		u64 e = v->msix_table + i * PCI_MSIX_ENTRY_SIZE;

		mmio_write(e + PCI_MSIX_ENTRY_LOWER_ADDR, MSI_ADDR, 4);
		mmio_write(e + PCI_MSIX_ENTRY_UPPER_ADDR, 0, 4);
		mmio_write(e + PCI_MSIX_ENTRY_DATA, MSI_DATA(i), 4);
		msix_mask(v, i, false);
	}
	cfg_write(v->slot, v->msix_cap + PCI_MSIX_FLAGS,
		  ctl | PCI_MSIX_FLAGS_ENABLE, 2);
}

void gq_setup(struct gq *q, struct vdev *v, unsigned int index, u16 size,
	      u16 vector)
{
	memset(q, 0, sizeof(*q));
	q->v = v;
	q->index = index;
	q->size = size;
	/* 2.7: alignment 16, 2 and 4; sizes 16n, 6+2n and 6+8n. */
	q->desc_gpa = galloc(16 * size, 16);
	q->avail_gpa = galloc(6 + 2 * size, 2);
	q->used_gpa = galloc(6 + 8 * size, 4);
	q->desc = ghva(q->desc_gpa);
	q->avail = ghva(q->avail_gpa);
	q->used = ghva(q->used_gpa);
	common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, index, 2);
	common_write(v, VIRTIO_PCI_COMMON_Q_SIZE, size, 2);
	common_write(v, VIRTIO_PCI_COMMON_Q_MSIX, vector, 2);
	common_write(v, VIRTIO_PCI_COMMON_Q_DESCLO, q->desc_gpa, 4);
	common_write(v, VIRTIO_PCI_COMMON_Q_DESCHI, q->desc_gpa >> 32, 4);
	common_write(v, VIRTIO_PCI_COMMON_Q_AVAILLO, q->avail_gpa, 4);
	common_write(v, VIRTIO_PCI_COMMON_Q_AVAILHI, q->avail_gpa >> 32, 4);
	common_write(v, VIRTIO_PCI_COMMON_Q_USEDLO, q->used_gpa, 4);
	common_write(v, VIRTIO_PCI_COMMON_Q_USEDHI, q->used_gpa >> 32, 4);
	common_write(v, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

void gq_desc(struct gq *q, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	q->desc[i] = (struct vring_desc) {
		.addr = addr, .len = len, .flags = flags, .next = next,
	};
}

void gq_kick(struct gq *q, u16 head, u16 bump)
{
	u16 idx = q->avail->idx;

	q->avail->ring[idx % q->size] = head;
	__atomic_store_n(&q->avail->idx, (u16)(idx + bump), __ATOMIC_RELEASE);
	/* Notify: 4.1.4.4, the queue's address; the value is its index. */
	common_write(q->v, VIRTIO_PCI_COMMON_Q_SELECT, q->index, 2);
	mmio_write(q->v->notify + q->v->notify_mult *
		   common_read(q->v, VIRTIO_PCI_COMMON_Q_NOFF, 2),
		   q->index, 2);
}

bool gq_used(struct gq *q, u32 *id, u32 *len)
{
	struct vring_used_elem *e;

	if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->last_used)
		return false;
	e = &q->used->ring[q->last_used++ % q->size];
	*id = e->id;
	*len = e->len;
	return true;
}

void gq_chain(struct gq *q, const struct gbuf *bufs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		gq_desc(q, i, bufs[i].gpa, bufs[i].len,
			(bufs[i].write ? VRING_DESC_F_WRITE : 0) |
			(i + 1 < n ? VRING_DESC_F_NEXT : 0), i + 1);
}

unsigned int msis_with(unsigned int from, u32 data)
{
	unsigned int i, n = 0;

	for (i = from; i < nr_msis; i++)
		n += msis[i].data == data;
	return n;
}
