/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio-net driver for the tests (virtio 1.2, 5.1), on top of
 * lkvm_virtio's driver.h: it brings the device up, posts receive buffers,
 * sends frames, and waits for the receive thread's completions.
 */
#ifndef LKVM_NET_TEST_H
#define LKVM_NET_TEST_H

#include <linux/virtio_net.h>

#include "driver.h"

#define NIC_QSIZE	16
/* 5.1.6.3.1: 1526 bytes take the header and a 1514-byte frame. */
#define RX_BUF_LEN	1526
#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)
#define CONFIG_VECTOR	0
#define RX_VECTOR	1
#define TX_VECTOR	2
#define NIC_FEATURES	(1ULL << VIRTIO_F_VERSION_1 |		\
			 1ULL << VIRTIO_NET_F_MAC |		\
			 1ULL << VIRTIO_NET_F_STATUS |		\
			 1ULL << VIRTIO_NET_F_MTU)

struct nic {
	struct vdev v;
	struct gq rx, tx;
	u64 rx_bufs;		/* NIC_QSIZE buffers of RX_BUF_LEN */
	u64 tx_bufs;		/* NIC_QSIZE / 2 slots of 2 KiB */
	unsigned int tx_next;
};

/*
 * Finds the device, negotiates NIC_FEATURES, sets up both queues (with
 * MSI-X vectors if @msix, else none) and sets DRIVER_OK.  Returns the
 * status read back.
 */
u8 nic_start(struct nic *n, bool msix);
/* Posts receive buffer @slot, @len bytes, as descriptor @slot. */
void nic_post_rx(struct nic *n, u16 slot, u32 len);
u8 *nic_rx_buf(struct nic *n, u16 slot);
/* The header and @frame as two descriptors on the transmit queue. */
void nic_send(struct nic *n, const void *frame, u32 len);
/* The next used element of @q within @ms milliseconds. */
bool nic_wait_used(struct gq *q, u32 *id, u32 *len, unsigned int ms);
/* MSIs with data MSI_DATA(@vector) recorded so far. */
unsigned int nic_msis(unsigned int vector);
/* Waits up to @ms for nic_msis(@vector) to reach @n. */
bool nic_wait_msis(unsigned int vector, unsigned int n, unsigned int ms);

/* CPU time this process used so far, in microseconds. */
unsigned long cpu_usec(void);

#endif
