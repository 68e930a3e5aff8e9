// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-pci transport (virtio 1.2, 4.1), non-transitional:
 * every virtio structure lives in one 32-bit memory BAR, MSI-X included.
 *
 *   BAR0 0x0000  common configuration (4.1.4.3)
 *        0x1000  ISR status (4.1.4.5)
 *        0x2000  device-specific configuration (4.1.4.6)
 *        0x3000  notifications, one register for all queues (4.1.4.4)
 *        0x4000  MSI-X table, 0x5000 MSI-X PBA
 *
 * Every access arrives with the PCI function's lock held (pci.c), and so
 * does the device model's notify(): one device is one critical section.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio.h"

#define VPCI_BAR		0
#define VPCI_BAR_SIZE		0x8000
#define VPCI_COMMON_OFF		0x0000
#define VPCI_COMMON_LEN		(VIRTIO_PCI_COMMON_Q_RESET + 2)
#define VPCI_ISR_OFF		0x1000
#define VPCI_ISR_LEN		4
#define VPCI_DEVCFG_OFF		0x2000
#define VPCI_DEVCFG_MAX		256	/* device configuration at most */
#define VPCI_NOTIFY_OFF		0x3000
#define VPCI_NOTIFY_LEN		4
#define VPCI_MSIX_TABLE_OFF	0x4000
#define VPCI_MSIX_PBA_OFF	0x5000

/* 4.1.2: vendor 0x1af4, device 0x1040 + type, revision >= 1, subsys >= 0x40 */
#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040
#define VIRTIO_PCI_REVISION	1
#define VIRTIO_PCI_SUBSYS_ID	0x40

#define VPCI_MAX_LOGGED_RESETS	5

/* 4.1.4.5: ISR bit 0 is the queue interrupt, bit 1 (ISR_CONFIG) config. */
#define VPCI_ISR_QUEUE		0x1

/* Transport features (6, Reserved Feature Bits) every device offers. */
#define VPCI_FEATURES	(1ULL << VIRTIO_F_VERSION_1 |		\
			 1ULL << VIRTIO_RING_F_INDIRECT_DESC |	\
			 1ULL << VIRTIO_RING_F_EVENT_IDX |	\
			 1ULL << VIRTIO_F_RING_RESET)

static void put_le(u8 *p, unsigned int off, u64 v, unsigned int len)
{
	memcpy(p + off, &v, len);
}

static u64 get_le(const u8 *p, unsigned int off, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, p + off, len);
	return v;
}

static struct virtqueue *selected_vq(struct virtio_dev *vdev)
{
	if (vdev->queue_select >= vdev->ops->nr_queues)
		return NULL;
	return &vdev->vqs[vdev->queue_select];
}

static void signal_config(struct virtio_dev *vdev)
{
	/* 4.1.4.5: the config bit is set before the notification. */
	vdev->isr |= VIRTIO_PCI_ISR_CONFIG;
	if (!pci_msix_enabled(&vdev->pci))
		pci_set_intx(&vdev->pci, true);
	else if (vdev->config_vector != VIRTIO_MSI_NO_VECTOR)
		pci_msix_notify(&vdev->pci, vdev->config_vector);
}

void virtio_signal_used(struct virtio_dev *vdev, struct virtqueue *vq)
{
	if (vq_need_interrupt(vq))
		virtio_signal_queue(vdev, vq);
}

void virtio_signal_queue(struct virtio_dev *vdev, struct virtqueue *vq)
{
	/* 4.1.5.4: with MSI-X the queue's vector, else ISR and INTx. */
	if (pci_msix_enabled(&vdev->pci)) {
		if (vq->msix_vector != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&vdev->pci, vq->msix_vector);
		return;
	}
	vdev->isr |= VPCI_ISR_QUEUE;
	pci_set_intx(&vdev->pci, true);
}

void virtio_needs_reset(struct virtio_dev *vdev, const char *why)
{
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	/* A guest that breaks and resets in a loop must not flood stderr. */
	if (vdev->resets_logged < VPCI_MAX_LOGGED_RESETS)
		pr_err("%s: %s; the device needs a reset%s", vdev->name, why,
		       ++vdev->resets_logged == VPCI_MAX_LOGGED_RESETS ?
		       " (further errors not shown)" : "");
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* 2.1.2: with DRIVER_OK set, tell the driver by a config change. */
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		signal_config(vdev);
}

void virtio_serve_queue(struct virtio_dev *vdev, struct virtqueue *vq,
			u32 (*serve)(struct virtio_dev *vdev,
				     const struct vq_chain *chain))
{
	struct vq_chain chain;
	char why[128];

	while (!(vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET) &&
	       vq_pop(vq, &chain) > 0)
		vq_push(vq, chain.head, serve(vdev, &chain));
	virtio_signal_used(vdev, vq);
	if (vq->broken) {
		snprintf(why, sizeof(why), "queue %td: %s", vq - vdev->vqs,
			 vq->error);
		virtio_needs_reset(vdev, why);
	}
}

static void notify_queue(struct virtio_dev *vdev, unsigned int index)
{
	/* 2.1.2: nothing is served before DRIVER_OK, nor after an error. */
	if (index >= vdev->ops->nr_queues || !vdev->vqs[index].enabled ||
	    (vdev->status & (VIRTIO_CONFIG_S_DRIVER_OK |
			     VIRTIO_CONFIG_S_NEEDS_RESET)) !=
	    VIRTIO_CONFIG_S_DRIVER_OK)
		return;
	vdev->ops->notify(vdev, &vdev->vqs[index]);
}

static void device_reset(struct virtio_dev *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->ops->nr_queues; i++)
		vq_reset(&vdev->vqs[i]);
	vdev->driver_features = 0;
	vdev->device_feature_select = vdev->driver_feature_select = 0;
	vdev->status = 0;
	vdev->isr = 0;
	vdev->queue_select = 0;
	/* 4.1.5.1.2.1: every event is unmapped on reset. */
	vdev->config_vector = VIRTIO_MSI_NO_VECTOR;
	pci_set_intx(&vdev->pci, false);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

/* 3.1.1: FEATURES_OK sticks only for a subset of ours with VERSION_1. */
static bool features_ok(struct virtio_dev *vdev)
{
	return !(vdev->driver_features & ~vdev->device_features) &&
	       (vdev->driver_features & (1ULL << VIRTIO_F_VERSION_1));
}

static void set_status(struct virtio_dev *vdev, u8 v)
{
	u8 old = vdev->status;
	unsigned int i;

	if (!v) {
		device_reset(vdev);
		return;
	}
	/* NEEDS_RESET is the device's to set (2.1). */
	v &= ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) && !features_ok(vdev))
		v &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	vdev->status = v | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Buffers a driver made available before DRIVER_OK are served now. */
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		for (i = 0; i < vdev->ops->nr_queues; i++)
			notify_queue(vdev, i);
}

/* 4.1.5.1.2.1: a vector outside the table reads back as NO_VECTOR. */
static u16 valid_vector(struct virtio_dev *vdev, u16 v)
{
	return v < vdev->pci.msix_nr ? v : VIRTIO_MSI_NO_VECTOR;
}

static void enable_queue(struct virtio_dev *vdev, struct virtqueue *vq)
{
	char why[128];

	if (vq->enabled)
		return;
	if (!vq_enable(vq, vdev->pci.vm, vdev->driver_features))
		return;
	snprintf(why, sizeof(why), "queue %td: %s", vq - vdev->vqs,
		 vq->error);
	virtio_needs_reset(vdev, why);
}

static void reset_queue(struct virtio_dev *vdev, struct virtqueue *vq)
{
	/* 2.6.1: only with VIRTIO_F_RING_RESET; done by the time we return. */
	if (!(vdev->driver_features & (1ULL << VIRTIO_F_RING_RESET)))
		return;
	vq_reset(vq);
	if (vdev->ops->queue_reset)
		vdev->ops->queue_reset(vdev, vq);
}

/* The common configuration as the driver would read it now. */
static void common_snapshot(struct virtio_dev *vdev, u8 *cc)
{
	struct virtqueue *vq = selected_vq(vdev);
	u32 fsel = vdev->device_feature_select;
	u32 gsel = vdev->driver_feature_select;

	memset(cc, 0, VPCI_COMMON_LEN);
	put_le(cc, VIRTIO_PCI_COMMON_DFSELECT, fsel, 4);
	if (fsel < 2)
		put_le(cc, VIRTIO_PCI_COMMON_DF,
		       vdev->device_features >> (32 * fsel), 4);
	put_le(cc, VIRTIO_PCI_COMMON_GFSELECT, gsel, 4);
	if (gsel < 2)
		put_le(cc, VIRTIO_PCI_COMMON_GF,
		       vdev->driver_features >> (32 * gsel), 4);
	put_le(cc, VIRTIO_PCI_COMMON_MSIX, vdev->config_vector, 2);
	put_le(cc, VIRTIO_PCI_COMMON_NUMQ, vdev->ops->nr_queues, 2);
	cc[VIRTIO_PCI_COMMON_STATUS] = vdev->status;
	cc[VIRTIO_PCI_COMMON_CFGGENERATION] = vdev->config_generation;
	put_le(cc, VIRTIO_PCI_COMMON_Q_SELECT, vdev->queue_select, 2);
	if (!vq)
		return;		/* queue_size 0: no such queue */
	put_le(cc, VIRTIO_PCI_COMMON_Q_SIZE, vq->size, 2);
	put_le(cc, VIRTIO_PCI_COMMON_Q_MSIX, vq->msix_vector, 2);
	put_le(cc, VIRTIO_PCI_COMMON_Q_ENABLE, vq->enabled, 2);
	put_le(cc, VIRTIO_PCI_COMMON_Q_DESCLO, vq->desc_gpa, 8);
	put_le(cc, VIRTIO_PCI_COMMON_Q_AVAILLO, vq->avail_gpa, 8);
	put_le(cc, VIRTIO_PCI_COMMON_Q_USEDLO, vq->used_gpa, 8);
}

static void set_half(u64 *v, unsigned int half, u32 val)
{
	*v = (*v & ~(0xffffffffULL << (32 * half))) | (u64)val << (32 * half);
}

/* Applies the driver's write of field @field (new value @v). */
static void common_field_write(struct virtio_dev *vdev, unsigned int field,
			       u32 v)
{
	struct virtqueue *vq = selected_vq(vdev);
	/* Queue addresses are frozen while the queue is enabled (4.1.4.3.2). */
	bool ring_writable = vq && !vq->enabled;

	switch (field) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vdev->device_feature_select = v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vdev->driver_feature_select = v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (vdev->driver_feature_select < 2 &&
		    !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&vdev->driver_features,
				 vdev->driver_feature_select, v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vdev->config_vector = valid_vector(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		set_status(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vdev->queue_select = v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (ring_writable)
			vq->size = v;	/* validated by vq_enable() */
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (vq)
			vq->msix_vector = valid_vector(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		/* 4.1.4.3.2: the driver never writes 0; ignore it. */
		if (vq && v == 1)
			enable_queue(vdev, vq);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (ring_writable)
			set_half(&vq->desc_gpa, field & 4 ? 1 : 0, v);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (ring_writable)
			set_half(&vq->avail_gpa, field & 4 ? 1 : 0, v);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (ring_writable)
			set_half(&vq->used_gpa, field & 4 ? 1 : 0, v);
		break;
	case VIRTIO_PCI_COMMON_Q_RESET:
		if (vq && v == 1)
			reset_queue(vdev, vq);
		break;
	}
}

/* The fields the driver may write, in layout order, with their widths. */
static const struct { u8 off, len; } common_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4 },
	{ VIRTIO_PCI_COMMON_GF, 4 },
	{ VIRTIO_PCI_COMMON_MSIX, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2 },
	{ VIRTIO_PCI_COMMON_Q_SIZE, 2 },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2 },
	{ VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
	{ VIRTIO_PCI_COMMON_Q_DESCLO, 4 },
	{ VIRTIO_PCI_COMMON_Q_DESCHI, 4 },
	{ VIRTIO_PCI_COMMON_Q_AVAILLO, 4 },
	{ VIRTIO_PCI_COMMON_Q_AVAILHI, 4 },
	{ VIRTIO_PCI_COMMON_Q_USEDLO, 4 },
	{ VIRTIO_PCI_COMMON_Q_USEDHI, 4 },
	{ VIRTIO_PCI_COMMON_Q_RESET, 2 },
};

/*
 * Reads return the snapshot's bytes, whatever the width.  A write is
 * merged into the snapshot and every writable field it touches takes its
 * merged value, in layout order (so queue_select goes before queue_size).
 */
static void common_access(struct virtio_dev *vdev, unsigned int off,
			  void *data, unsigned int len, bool is_write)
{
	u8 cc[VPCI_COMMON_LEN];
	unsigned int i;

	common_snapshot(vdev, cc);
	if (!is_write) {
		memcpy(data, cc + off, len);
		return;
	}
	memcpy(cc + off, data, len);
	for (i = 0; i < ARRAY_SIZE(common_fields); i++) {
		unsigned int f = common_fields[i].off, flen = common_fields[i].len;

		if (f < off + len && off < f + flen)
			common_field_write(vdev, f, get_le(cc, f, flen));
	}
}

static void isr_read(struct virtio_dev *vdev, unsigned int off, void *data,
		     unsigned int len)
{
	memset(data, 0, len);
	if (off)
		return;
	/* 4.1.4.5: reading clears ISR status and de-asserts INTx. */
	*(u8 *)data = vdev->isr;
	vdev->isr = 0;
	pci_set_intx(&vdev->pci, false);
}

static void devcfg_read(struct virtio_dev *vdev, unsigned int off,
			void *data, unsigned int len)
{
	u8 cfg[VPCI_DEVCFG_MAX] = { 0 };

	memset(data, 0, len);
	if (!vdev->ops->config_len || off >= vdev->ops->config_len)
		return;
	vdev->ops->get_config(vdev, cfg);
	if (len > vdev->ops->config_len - off)
		len = vdev->ops->config_len - off;
	memcpy(data, cfg + off, len);
}

static bool in_region(u64 off, unsigned int len, u64 start, u64 size)
{
	return off >= start && off + len <= start + size;
}

static void vpci_bar_access(struct pci_dev *pdev, unsigned int bar,
			    u64 off, void *data, unsigned int len,
			    bool is_write)
{
	struct virtio_dev *vdev = pdev->priv;

	if (in_region(off, len, VPCI_COMMON_OFF, VPCI_COMMON_LEN)) {
		common_access(vdev, off - VPCI_COMMON_OFF, data, len, is_write);
	} else if (in_region(off, len, VPCI_ISR_OFF, VPCI_ISR_LEN)) {
		if (!is_write)
			isr_read(vdev, off - VPCI_ISR_OFF, data, len);
	} else if (in_region(off, len, VPCI_DEVCFG_OFF, VPCI_DEVCFG_MAX)) {
		/* Device configuration is read-only for our devices. */
		if (!is_write)
			devcfg_read(vdev, off - VPCI_DEVCFG_OFF, data, len);
	} else if (in_region(off, len, VPCI_NOTIFY_OFF, VPCI_NOTIFY_LEN)) {
		/* 4.1.5.2: the driver writes the 16-bit queue index. */
		if (is_write && len >= 2)
			notify_queue(vdev, get_le(data, 0, 2));
		else if (!is_write)
			memset(data, 0, len);
	} else if (!is_write) {
		memset(data, 0, len);
	}
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (4.1.4, "PCI configuration access capability"):
 * pci_cfg_data is a window of cap.length bytes at cap.offset of BAR
 * cap.bar.  Only aligned 1-, 2- and 4-byte windows into our BAR do anything.
 */
static bool pci_cfg_window(struct virtio_dev *vdev, unsigned int off,
			   unsigned int len, u32 *bar_off, u32 *wlen)
{
	const u8 *cap = vdev->pci.cfg + vdev->pci_cfg_cap;
	unsigned int data = vdev->pci_cfg_cap +
			    offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	if (!vdev->pci_cfg_cap || off >= data + 4 || off + len <= data)
		return false;
	*bar_off = get_le(cap, VIRTIO_PCI_CAP_OFFSET, 4);
	*wlen = get_le(cap, VIRTIO_PCI_CAP_LENGTH, 4);
	return cap[VIRTIO_PCI_CAP_BAR] == VPCI_BAR &&
	       (*wlen == 1 || *wlen == 2 || *wlen == 4) &&
	       !(*bar_off % *wlen) && *bar_off < VPCI_BAR_SIZE;
}

/* Forwards an access that hits the window to the BAR, in either direction. */
static void pci_cfg_window_access(struct pci_dev *pdev, unsigned int off,
				  unsigned int len, bool is_write)
{
	struct virtio_dev *vdev = pdev->priv;
	u32 bar_off, wlen;

	if (pci_cfg_window(vdev, off, len, &bar_off, &wlen))
		vpci_bar_access(pdev, VPCI_BAR, bar_off, pdev->cfg +
				vdev->pci_cfg_cap +
				offsetof(struct virtio_pci_cfg_cap,
					 pci_cfg_data), wlen, is_write);
}

static void vpci_cfg_read(struct pci_dev *pdev, unsigned int off,
			  unsigned int len)
{
	pci_cfg_window_access(pdev, off, len, false);
}

static void vpci_cfg_write(struct pci_dev *pdev, unsigned int off,
			   unsigned int len)
{
	pci_cfg_window_access(pdev, off, len, true);
}

static u8 add_virtio_cap(struct virtio_dev *vdev, u8 type, u32 off,
			 u32 len, const void *extra, unsigned int extra_len)
{
	u8 buf[sizeof(struct virtio_pci_cap) + 8] = { 0 };
	struct virtio_pci_cap cap = {
		.cap_vndr = PCI_CAP_ID_VNDR,
		.cap_len = sizeof(cap) + extra_len,
		.cfg_type = type,
		.bar = VPCI_BAR,
		.offset = off,
		.length = len,
	};

	memcpy(buf, &cap, sizeof(cap));
	if (extra_len)	/* memcpy from NULL is undefined even for 0 bytes */
		memcpy(buf + sizeof(cap), extra, extra_len);
	return pci_add_cap(&vdev->pci, buf, cap.cap_len);
}

/* 4.1.4: the four structures, then the config access window. */
static int add_virtio_caps(struct virtio_dev *vdev)
{
	const u32 zero = 0;	/* notify_off_multiplier: one register */
	u8 pci_cfg;

	if (!add_virtio_cap(vdev, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF,
			    VPCI_COMMON_LEN, NULL, 0) ||
	    !add_virtio_cap(vdev, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
			    VPCI_NOTIFY_LEN, &zero, sizeof(zero)) ||
	    !add_virtio_cap(vdev, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF,
			    VPCI_ISR_LEN, NULL, 0))
		return -ENOSPC;
	if (vdev->ops->config_len &&
	    !add_virtio_cap(vdev, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVCFG_OFF,
			    vdev->ops->config_len, NULL, 0))
		return -ENOSPC;
	pci_cfg = add_virtio_cap(vdev, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, &zero,
				 sizeof(zero));
	if (!pci_cfg)
		return -ENOSPC;
	/* cap.bar, cap.offset, cap.length and pci_cfg_data are writable. */
	vdev->pci.wmask[pci_cfg + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(vdev->pci.wmask + pci_cfg + VIRTIO_PCI_CAP_OFFSET, 0xff, 12);
	vdev->pci_cfg_cap = pci_cfg;
	return 0;
}

int virtio_pci_register(struct vm *vm, struct virtio_dev *vdev,
			const char *name, const struct virtio_dev_ops *ops,
			void *priv)
{
	struct pci_dev *pdev = &vdev->pci;
	unsigned int i;
	int ret;

	if (ops->config_len > VPCI_DEVCFG_MAX)
		return -EINVAL;
	vdev->name = name;
	vdev->ops = ops;
	vdev->priv = priv;
	vdev->device_features = ops->features | VPCI_FEATURES;
	vdev->config_vector = VIRTIO_MSI_NO_VECTOR;
	vdev->vqs = calloc(ops->nr_queues, sizeof(*vdev->vqs));
	if (!vdev->vqs)
		return -ENOMEM;
	for (i = 0; i < ops->nr_queues; i++)
		if (vq_init(&vdev->vqs[i], ops->queue_size))
			return -ENOMEM;
	pci_dev_init(pdev, name, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_DEVICE_BASE + ops->device_id, ops->pci_class,
		     VIRTIO_PCI_REVISION, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_SUBSYS_ID);
	pci_add_bar(pdev, VPCI_BAR, VPCI_BAR_SIZE);
	/* One vector per queue and one for configuration changes. */
	ret = pci_add_msix(pdev, VPCI_BAR, VPCI_MSIX_TABLE_OFF,
			   VPCI_MSIX_PBA_OFF, ops->nr_queues + 1) ?:
	      add_virtio_caps(vdev);
	if (ret)
		return ret;
	pdev->bar_access = vpci_bar_access;
	pdev->cfg_read = vpci_cfg_read;
	pdev->cfg_write = vpci_cfg_write;
	pdev->priv = vdev;
	return pci_register(vm, pdev);
}
