// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "net_test.h"

#define TX_SLOT_LEN	2048

u8 nic_start(struct nic *n, bool msix)
{
	u16 none = VIRTIO_MSI_NO_VECTOR;
	u8 s;

	memset(n, 0, sizeof(*n));
	if (vdev_open(&n->v, VIRTIO_ID_NET, TEST_BAR_BASE))
		return 0;
	if (msix)
		vdev_enable_msix(&n->v);
	s = vdev_negotiate(&n->v, NIC_FEATURES);
	common_write(&n->v, VIRTIO_PCI_COMMON_MSIX, msix ? CONFIG_VECTOR : none,
		     2);
	gq_setup(&n->rx, &n->v, 0, NIC_QSIZE, msix ? RX_VECTOR : none);
	gq_setup(&n->tx, &n->v, 1, NIC_QSIZE, msix ? TX_VECTOR : none);
	n->rx_bufs = galloc(NIC_QSIZE * RX_BUF_LEN, 64);
	n->tx_bufs = galloc(NIC_QSIZE / 2 * TX_SLOT_LEN, 64);
	common_write(&n->v, VIRTIO_PCI_COMMON_STATUS,
		     s | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	return vdev_status(&n->v);
}

u8 *nic_rx_buf(struct nic *n, u16 slot)
{
	return ghva(n->rx_bufs + slot * RX_BUF_LEN);
}

void nic_post_rx(struct nic *n, u16 slot, u32 len)
{
	gq_desc(&n->rx, slot, n->rx_bufs + slot * RX_BUF_LEN, len,
		VRING_DESC_F_WRITE, 0);
	gq_kick(&n->rx, slot, 1);
}

void nic_send(struct nic *n, const void *frame, u32 len)
{
	u16 d = 2 * (n->tx_next++ % (NIC_QSIZE / 2));
	u64 slot = n->tx_bufs + d / 2 * TX_SLOT_LEN;
	struct virtio_net_hdr_v1 hdr = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };

	memcpy(ghva(slot), &hdr, HDR_LEN);
	memcpy(ghva(slot + HDR_LEN), frame, len);
	gq_desc(&n->tx, d, slot, HDR_LEN, VRING_DESC_F_NEXT, d + 1);
	gq_desc(&n->tx, d + 1, slot + HDR_LEN, len, 0, 0);
	gq_kick(&n->tx, d, 1);
}

bool nic_wait_used(struct gq *q, u32 *id, u32 *len, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i <= ms; i++) {
		if (gq_used(q, id, len))
			return true;
		usleep(1000);
	}
	return false;
}

unsigned int nic_msis(unsigned int vector)
{
	unsigned int i, n = 0, nr = __atomic_load_n(&nr_msis, __ATOMIC_ACQUIRE);

	for (i = 0; i < nr; i++)
		n += msis[i].data == MSI_DATA(vector);
	return n;
}

bool nic_wait_msis(unsigned int vector, unsigned int n, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i <= ms; i++) {
		if (nic_msis(vector) >= n)
			return true;
		usleep(1000);
	}
	return false;
}

unsigned long cpu_usec(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000UL +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}
