// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1) through the virtio-pci transport, with a
 * SOCK_SEQPACKET socket pair as the backend: what the guest transmits
 * comes out of the test's end one frame per message, and what the test
 * sends arrives in the guest's receive buffers.  Also the --network
 * option's parsing and the kernel command line it produces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "devices.h"
#include "net.h"
#include "net_test.h"
#include "kselftest_harness.h"

static const u8 guest_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* A frame to the guest, ethertype 0x88b5 (local experimental), @len bytes. */
static void make_frame(u8 *f, u32 len, u8 seed)
{
	u32 i;

	memcpy(f, guest_mac, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (i = 14; i < len; i++)
		f[i] = seed + i * 7;
}

FIXTURE(net) {
	int sock[2];		/* [0] the device's backend, [1] the test's */
	struct nic n;
};

FIXTURE_SETUP(net)
{
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, self->sock));
	ASSERT_EQ(0, fcntl(self->sock[0], F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, fcntl(self->sock[1], F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_net_create(&test_vm, self->sock[0], guest_mac, false));
}

FIXTURE_TEARDOWN(net)
{
}

static void start(struct __test_metadata *_metadata, struct nic *n,
		  bool msix)
{
	u8 s = nic_start(n, msix);

	ASSERT_TRUE(s & VIRTIO_CONFIG_S_FEATURES_OK);
	ASSERT_TRUE(s & VIRTIO_CONFIG_S_DRIVER_OK);
	ASSERT_FALSE(s & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* 5.1.3, 5.1.4: what a driver learns before it starts the device. */
TEST_F(net, features_and_config)
{
	struct vdev *v = &self->n.v;
	u64 f;
	int i;

	ASSERT_EQ(0, vdev_open(v, VIRTIO_ID_NET, TEST_BAR_BASE));
	/* 4.1.2.1: device ID 0x1040 + 1; class: network controller. */
	EXPECT_EQ(0x1041, cfg_read(v->slot, PCI_DEVICE_ID, 2));
	EXPECT_EQ(0x02, cfg_read(v->slot, PCI_CLASS_DEVICE + 1, 1));
	EXPECT_EQ(2, common_read(v, VIRTIO_PCI_COMMON_NUMQ, 2));
	f = vdev_device_features(v);
	EXPECT_TRUE(f & (1ULL << VIRTIO_NET_F_MAC));
	EXPECT_TRUE(f & (1ULL << VIRTIO_NET_F_STATUS));
	EXPECT_TRUE(f & (1ULL << VIRTIO_NET_F_MTU));
	/*
	 * Offloads and merged buffers are not implemented: offering them
	 * would let the driver send GSO frames or post buffers we mishandle.
	 */
	EXPECT_FALSE(f & (1ULL << VIRTIO_NET_F_CSUM));
	EXPECT_FALSE(f & (1ULL << VIRTIO_NET_F_GUEST_CSUM));
	EXPECT_FALSE(f & (1ULL << VIRTIO_NET_F_HOST_TSO4));
	EXPECT_FALSE(f & (1ULL << VIRTIO_NET_F_GUEST_TSO4));
	EXPECT_FALSE(f & (1ULL << VIRTIO_NET_F_MRG_RXBUF));
	EXPECT_FALSE(f & (1ULL << VIRTIO_NET_F_CTRL_VQ));
	EXPECT_FALSE(f & (1ULL << VIRTIO_NET_F_MQ));
	ASSERT_NE(0, v->devcfg);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(guest_mac[i], mmio_read(v->devcfg + i, 1));
	EXPECT_EQ(VIRTIO_NET_S_LINK_UP, mmio_read(v->devcfg + 6, 2));
	/* 5.1.4.1: 68 <= mtu <= 65535; ours is Ethernet's. */
	EXPECT_EQ(1500, mmio_read(v->devcfg + 10, 2));
}

/* 5.1.6.2: header then frame; the backend gets the frame alone. */
TEST_F(net, transmit)
{
	u8 frame[1514], got[2048];
	unsigned int before;
	u32 id, len;

	start(_metadata, &self->n, true);
	make_frame(frame, sizeof(frame), 1);
	before = nic_msis(TX_VECTOR);
	nic_send(&self->n, frame, sizeof(frame));
	ASSERT_TRUE(nic_wait_used(&self->n.tx, &id, &len, 1000));
	EXPECT_EQ(0, id);
	EXPECT_EQ(0, len);	/* the device writes nothing into a tx chain */
	ASSERT_EQ(sizeof(frame), recv(self->sock[1], got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(frame, got, sizeof(frame)));
	EXPECT_EQ(before + 1, nic_msis(TX_VECTOR));

	make_frame(frame, 60, 2);
	nic_send(&self->n, frame, 60);
	ASSERT_TRUE(nic_wait_used(&self->n.tx, &id, &len, 1000));
	EXPECT_EQ(2, id);
	ASSERT_EQ(60, recv(self->sock[1], got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(frame, got, 60));
}

/* Sends one frame of @len bytes as a header and one data descriptor. */
static void send_big(struct nic *n, u64 gpa, u32 len)
{
	struct gbuf b[2] = { { gpa, HDR_LEN, false }, { gpa + HDR_LEN, len } };

	gq_chain(&n->tx, b, 2);
	gq_kick(&n->tx, 0, 1);
}

/* Without TSO, a frame longer than the MTU allows is not sent. */
TEST_F(net, transmit_oversized_dropped)
{
	u64 gpa = galloc(HDR_LEN + 1519, 16);
	u8 got[2048];
	u32 id, len;

	start(_metadata, &self->n, true);
	make_frame(ghva(gpa + HDR_LEN), 1519, 1);
	send_big(&self->n, gpa, 1519);
	ASSERT_TRUE(nic_wait_used(&self->n.tx, &id, &len, 1000));
	EXPECT_EQ(-1, recv(self->sock[1], got, sizeof(got), 0));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * A backend that takes TSO frames (user mode) gets checksum and TCP
 * segmentation offload offered (5.1.3.1: HOST_TSO4 needs CSUM), and a
 * 64 KiB frame goes through whole.
 */
TEST(transmit_tso)
{
	u64 f = NIC_FEATURES | 1ULL << VIRTIO_NET_F_CSUM |
		1ULL << VIRTIO_NET_F_HOST_TSO4;
	static u8 got[70000];
	struct nic n = { 0 };
	int sock[2];
	u32 id, len, big = 14 + 65535;
	u64 gpa;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sock));
	ASSERT_EQ(0, fcntl(sock[0], F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_net_create(&test_vm, sock[0], guest_mac, true));
	ASSERT_EQ(0, vdev_open(&n.v, VIRTIO_ID_NET, TEST_BAR_BASE));
	EXPECT_EQ(f & ~NIC_FEATURES, vdev_device_features(&n.v) &
		  (1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4 |
		   1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_HOST_UFO |
		   1ULL << VIRTIO_NET_F_GUEST_CSUM));
	ASSERT_TRUE(vdev_negotiate(&n.v, f) & VIRTIO_CONFIG_S_FEATURES_OK);
	gq_setup(&n.tx, &n.v, 1, NIC_QSIZE, VIRTIO_MSI_NO_VECTOR);
	common_write(&n.v, VIRTIO_PCI_COMMON_STATUS,
		     vdev_status(&n.v) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	gpa = galloc(HDR_LEN + big, 16);
	make_frame(ghva(gpa + HDR_LEN), big, 3);
	send_big(&n, gpa, big);
	ASSERT_TRUE(nic_wait_used(&n.tx, &id, &len, 1000));
	ASSERT_EQ(big, recv(sock[1], got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(ghva(gpa + HDR_LEN), got, big));
}

/* A chain shorter than header + Ethernet header is no frame: dropped. */
TEST_F(net, transmit_runt_is_dropped)
{
	u64 gpa = galloc(64, 16);
	struct gbuf b = { gpa, HDR_LEN + 13, false };
	u8 got[64];
	u32 id, len;

	start(_metadata, &self->n, true);
	gq_chain(&self->n.tx, &b, 1);
	gq_kick(&self->n.tx, 0, 1);
	ASSERT_TRUE(nic_wait_used(&self->n.tx, &id, &len, 1000));
	EXPECT_EQ(-1, recv(self->sock[1], got, sizeof(got), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_FALSE(vdev_status(&self->n.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* 5.1.6.4: header (num_buffers 1, nothing else asked), then the frame. */
TEST_F(net, receive)
{
	struct virtio_net_hdr_v1 hdr, want = {
		.gso_type = VIRTIO_NET_HDR_GSO_NONE, .num_buffers = 1,
	};
	u8 frame[1514];
	u32 id, len, sizes[] = { 60, 1514, 14 };
	unsigned int i;

	start(_metadata, &self->n, true);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		nic_post_rx(&self->n, i, RX_BUF_LEN);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		make_frame(frame, sizes[i], i);
		ASSERT_EQ(sizes[i], send(self->sock[1], frame, sizes[i], 0));
		ASSERT_TRUE(nic_wait_used(&self->n.rx, &id, &len, 2000));
		EXPECT_EQ(i, id);
		EXPECT_EQ(HDR_LEN + sizes[i], len);
		memcpy(&hdr, nic_rx_buf(&self->n, i), HDR_LEN);
		EXPECT_EQ(0, memcmp(&want, &hdr, HDR_LEN));
		EXPECT_EQ(0, memcmp(frame, nic_rx_buf(&self->n, i) + HDR_LEN,
				    sizes[i]));
	}
	EXPECT_TRUE(nic_wait_msis(RX_VECTOR, 1, 1000));
}

/*
 * Frames that arrive before the guest posts buffers wait, in order, and
 * the receive thread sleeps meanwhile instead of polling.
 */
TEST_F(net, receive_waits_for_buffers)
{
	u8 frame[100];
	unsigned long cpu;
	u32 id, len;
	unsigned int i;

	start(_metadata, &self->n, true);
	for (i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), i);
		ASSERT_EQ(sizeof(frame), send(self->sock[1], frame,
					      sizeof(frame), 0));
	}
	usleep(50000);
	cpu = cpu_usec();
	usleep(300000);
	/* A spinning thread would burn the whole 300 ms. */
	EXPECT_LT(cpu_usec() - cpu, 30000);
	EXPECT_FALSE(gq_used(&self->n.rx, &id, &len));
	for (i = 0; i < 3; i++)
		nic_post_rx(&self->n, i, RX_BUF_LEN);
	for (i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), i);
		ASSERT_TRUE(nic_wait_used(&self->n.rx, &id, &len, 2000));
		EXPECT_EQ(i, id);
		EXPECT_EQ(HDR_LEN + sizeof(frame), len);
		EXPECT_EQ(0, memcmp(frame, nic_rx_buf(&self->n, id) + HDR_LEN,
				    sizeof(frame)));
	}
}

/* A buffer too small for the frame comes back empty; the next one works. */
TEST_F(net, receive_buffer_too_small)
{
	u8 frame[200];
	u32 id, len;

	start(_metadata, &self->n, true);
	nic_post_rx(&self->n, 0, 100);
	nic_post_rx(&self->n, 1, RX_BUF_LEN);
	make_frame(frame, sizeof(frame), 1);
	ASSERT_EQ(sizeof(frame), send(self->sock[1], frame, sizeof(frame), 0));
	ASSERT_TRUE(nic_wait_used(&self->n.rx, &id, &len, 2000));
	EXPECT_EQ(0, id);
	EXPECT_EQ(0, len);
	make_frame(frame, sizeof(frame), 2);
	ASSERT_EQ(sizeof(frame), send(self->sock[1], frame, sizeof(frame), 0));
	ASSERT_TRUE(nic_wait_used(&self->n.rx, &id, &len, 2000));
	EXPECT_EQ(1, id);
	EXPECT_EQ(HDR_LEN + sizeof(frame), len);
	EXPECT_EQ(0, memcmp(frame, nic_rx_buf(&self->n, 1) + HDR_LEN,
			    sizeof(frame)));
}

/* A frame longer than the MTU allows never reaches the guest, cut short. */
TEST_F(net, receive_oversized_frame_dropped)
{
	u8 frame[1519];
	u32 id, len;

	start(_metadata, &self->n, true);
	nic_post_rx(&self->n, 0, RX_BUF_LEN + 100);
	make_frame(frame, sizeof(frame), 1);
	ASSERT_EQ(sizeof(frame), send(self->sock[1], frame, sizeof(frame), 0));
	make_frame(frame, 1518, 2);	/* the largest: MTU, VLAN tag */
	ASSERT_EQ(1518, send(self->sock[1], frame, 1518, 0));
	ASSERT_TRUE(nic_wait_used(&self->n.rx, &id, &len, 2000));
	EXPECT_EQ(HDR_LEN + 1518, len);
	EXPECT_EQ(0, memcmp(frame, nic_rx_buf(&self->n, 0) + HDR_LEN, 1518));
}

/*
 * A receive buffer outside guest RAM breaks the queue: DEVICE_NEEDS_RESET
 * and a configuration interrupt (2.1.2), and after a reset the device
 * works again.
 */
TEST_F(net, receive_ring_malformed)
{
	u8 frame[100];
	u32 id, len;
	unsigned int i;

	start(_metadata, &self->n, true);
	gq_desc(&self->n.rx, 0, TEST_RAM_SIZE + 0x1000, RX_BUF_LEN,
		VRING_DESC_F_WRITE, 0);
	gq_kick(&self->n.rx, 0, 1);
	make_frame(frame, sizeof(frame), 1);
	ASSERT_EQ(sizeof(frame), send(self->sock[1], frame, sizeof(frame), 0));
	for (i = 0; i < 2000 && !(vdev_status(&self->n.v) &
				  VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	EXPECT_TRUE(vdev_status(&self->n.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_TRUE(nic_wait_msis(CONFIG_VECTOR, 1, 1000));
	EXPECT_FALSE(gq_used(&self->n.rx, &id, &len));

	start(_metadata, &self->n, true);
	nic_post_rx(&self->n, 0, RX_BUF_LEN);
	make_frame(frame, sizeof(frame), 2);
	ASSERT_EQ(sizeof(frame), send(self->sock[1], frame, sizeof(frame), 0));
	ASSERT_TRUE(nic_wait_used(&self->n.rx, &id, &len, 2000));
	EXPECT_EQ(HDR_LEN + sizeof(frame), len);
	EXPECT_EQ(0, memcmp(frame, nic_rx_buf(&self->n, 0) + HDR_LEN,
			    sizeof(frame)));
}

/* 2.1.2, 4.1.4.3.2: after a reset the device leaves guest memory alone. */
TEST_F(net, reset_stops_receive)
{
	u8 frame[100], zero[RX_BUF_LEN] = { 0 };

	start(_metadata, &self->n, true);
	nic_post_rx(&self->n, 0, RX_BUF_LEN);
	common_write(&self->n.v, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	ASSERT_EQ(0, vdev_status(&self->n.v));
	make_frame(frame, sizeof(frame), 1);
	ASSERT_EQ(sizeof(frame), send(self->sock[1], frame, sizeof(frame), 0));
	usleep(200000);
	EXPECT_EQ(0, memcmp(zero, nic_rx_buf(&self->n, 0), RX_BUF_LEN));
	EXPECT_EQ(0, self->n.rx.used->idx);
}

/* Without MSI-X: ISR bit 0 and the INTx line (4.1.4.5, 4.1.5.4). */
TEST_F(net, receive_intx)
{
	u8 frame[100];
	u32 id, len;
	unsigned int i;

	start(_metadata, &self->n, false);
	nic_post_rx(&self->n, 0, RX_BUF_LEN);
	make_frame(frame, sizeof(frame), 1);
	ASSERT_EQ(sizeof(frame), send(self->sock[1], frame, sizeof(frame), 0));
	ASSERT_TRUE(nic_wait_used(&self->n.rx, &id, &len, 2000));
	for (i = 0; i < 1000 && !__atomic_load_n(&nr_irqs, __ATOMIC_ACQUIRE);
	     i++)
		usleep(1000);
	ASSERT_LT(0, nr_irqs);
	EXPECT_EQ(1, irqs[nr_irqs - 1].level);
	EXPECT_EQ(1, mmio_read(self->n.v.isr, 1) & 1);
	/* Reading ISR status de-asserts the line. */
	EXPECT_EQ(0, irqs[nr_irqs - 1].level);
	EXPECT_EQ(0, nr_msis);
}

/* A backend that goes away ends receive quietly: no spinning, no crash. */
TEST_F(net, backend_closed)
{
	u8 frame[100];
	unsigned long cpu;
	u32 id, len;

	start(_metadata, &self->n, true);
	nic_post_rx(&self->n, 0, RX_BUF_LEN);
	close(self->sock[1]);
	usleep(50000);
	cpu = cpu_usec();
	usleep(300000);
	EXPECT_LT(cpu_usec() - cpu, 30000);
	/* Transmit into the void: dropped, and the chain comes back. */
	make_frame(frame, sizeof(frame), 1);
	nic_send(&self->n, frame, sizeof(frame));
	ASSERT_TRUE(nic_wait_used(&self->n.tx, &id, &len, 1000));
	EXPECT_FALSE(vdev_status(&self->n.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* --network: kvmtool's keys and defaults, and every bad value refused. */
TEST(option_parsing)
{
	static const char *const bad[] = {
		"mode=bridge", "mode=", "host_ip=1.2.3", "host_ip=1.2.3.4/31",
		"host_ip=1.2.3.4/0", "host_ip=1.2.3.4/", "guest_ip=1.2.3.4/24",
		"guest_mac=01:00:00:00:00:01", "guest_mac=02:00:00:00:00",
		"guest_mac=02:00:00:00:00:00:00", "tapif=", "tapif=a/b",
		"tapif=0123456789abcdef", "colour=blue",
	};
	struct net_config c;
	char ip[INET_ADDRSTRLEN];
	unsigned int i;

	ASSERT_EQ(0, net_parse("mode=tap,tapif=tap7,host_ip=10.1.2.3/16,"
			       "guest_ip=10.1.9.9,guest_mac=02:aa:bb:cc:dd:ee",
			       0, &c));
	EXPECT_EQ(NET_MODE_TAP, c.mode);
	EXPECT_STREQ("tap7", c.tapif);
	EXPECT_STREQ("10.1.2.3", inet_ntop(AF_INET, &c.host_ip, ip, sizeof(ip)));
	EXPECT_EQ(16, c.prefix_len);
	EXPECT_STREQ("10.1.9.9", inet_ntop(AF_INET, &c.guest_ip, ip, sizeof(ip)));
	EXPECT_EQ(0, memcmp("\x02\xaa\xbb\xcc\xdd\xee", c.guest_mac, 6));
	/* kvmtool's defaults: user mode and its addresses. */
	ASSERT_EQ(0, net_parse("guest_mac=02:00:00:00:00:07", 3, &c));
	EXPECT_EQ(NET_MODE_USER, c.mode);
	ASSERT_EQ(0, net_parse("tap", 3, &c));
	EXPECT_EQ(NET_MODE_TAP, c.mode);
	EXPECT_STREQ("192.168.33.1", inet_ntop(AF_INET, &c.host_ip, ip, sizeof(ip)));
	EXPECT_EQ(24, c.prefix_len);
	EXPECT_STREQ("192.168.33.15", inet_ntop(AF_INET, &c.guest_ip, ip, sizeof(ip)));
	EXPECT_EQ(3, c.guest_mac[5]);
	EXPECT_EQ(0, c.guest_mac[0] & 1);	/* unicast */
	EXPECT_EQ(2, c.guest_mac[0] & 2);	/* locally administered */
	ASSERT_EQ(0, net_parse("mode=none", 0, &c));
	EXPECT_EQ(NET_MODE_NONE, c.mode);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = net_parse(bad[i], 0, &c);

		if (ret != -1)
			TH_LOG("accepted '%s'", bad[i]);
		EXPECT_EQ(-1, ret);
	}
}

/*
 * The guest's address in the kernel's ip= form
 * (Documentation/admin-guide/nfs/nfsroot.rst):
 * client::gateway:netmask::device:autoconf, the user's -p after it.
 */
TEST(kernel_cmdline)
{
	unsigned int i;

	EXPECT_EQ(-1, net_add_option("host_ip=10.0.0.1/33"));
	ASSERT_EQ(0, net_add_option("mode=tap,host_ip=10.0.0.1/20,guest_ip=10.0.0.2"));
	EXPECT_STREQ("ip=10.0.0.2::10.0.0.1:255.255.240.0::eth0:off console=hvc0",
		     net_finish_options("console=hvc0"));
	/* Only the first NIC is configured through ip=. */
	for (i = 1; i < NET_MAX_NICS; i++)
		ASSERT_EQ(0, net_add_option("tap,guest_ip=10.9.9.9"));
	EXPECT_EQ(-1, net_add_option("tap"));
	EXPECT_STREQ("ip=10.0.0.2::10.0.0.1:255.255.240.0::eth0:off",
		     net_finish_options(NULL));
}

/* Without --network, kvmtool's default: user mode at 192.168.33.15. */
TEST(default_is_user_mode)
{
	EXPECT_STREQ("ip=192.168.33.15::192.168.33.1:255.255.255.0::eth0:off quiet",
		     net_finish_options("quiet"));
}

/* "none" is a choice: no NIC, nothing on the command line. */
TEST(none_means_none)
{
	ASSERT_EQ(0, net_add_option("none"));
	EXPECT_STREQ("quiet", net_finish_options("quiet"));
	EXPECT_EQ(NULL, net_finish_options(NULL));
}

TEST_HARNESS_MAIN
