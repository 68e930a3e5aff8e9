// SPDX-License-Identifier: GPL-2.0
/*
 * The tap backend in a private network namespace, with the host kernel as
 * the reference at the other end: it reports how lkvm configured the link,
 * resolves the guest's address by ARP and exchanges UDP with it, while the
 * test plays the guest through virtio-net.  Needs root (CAP_NET_ADMIN and
 * CAP_SYS_ADMIN for unshare); skips otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>

#include "devices.h"
#include "net.h"
#include "net_test.h"
#include "kselftest_harness.h"

#define HOST_IP		"192.168.77.1"
#define GUEST_IP	"192.168.77.2"
#define GUEST_PORT	7777

static const u8 guest_mac[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* SIOCGIF* on @name; -1 with errno if the kernel refuses. */
static int ifreq_get(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	memset(ifr, 0, sizeof(*ifr));
	strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
	ret = ioctl(s, req, ifr);
	close(s);
	return ret;
}

static const char *ifaddr(const char *name, unsigned long req, char *buf)
{
	struct ifreq ifr;

	if (ifreq_get(name, req, &ifr))
		return "none";
	return inet_ntop(AF_INET,
			 &((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr, buf,
			 INET_ADDRSTRLEN);
}

/* Opens tap @spec as lkvm would: net_parse(), then net_tap_open(). */
static int open_tap(const char *spec)
{
	struct net_config cfg;

	if (net_parse(spec, 0, &cfg))
		return -1;
	return net_tap_open(&cfg);
}

FIXTURE(tap) {
	struct nic n;
};

FIXTURE_SETUP(tap)
{
	if (geteuid())
		SKIP(return, "needs root for a tap in a private network namespace");
	if (unshare(CLONE_NEWNET))
		SKIP(return, "unshare(CLONE_NEWNET): %s", strerror(errno));
}

FIXTURE_TEARDOWN(tap)
{
}

/* What lkvm sets on a tap it creates, as the kernel reports it. */
TEST_F(tap, host_side_configured)
{
	char buf[INET_ADDRSTRLEN];
	struct ifreq ifr;

	ASSERT_LE(0, open_tap("mode=tap,tapif=lkvmt0,host_ip=" HOST_IP "/24"));
	ASSERT_EQ(0, ifreq_get("lkvmt0", SIOCGIFFLAGS, &ifr));
	EXPECT_TRUE(ifr.ifr_flags & IFF_UP);
	ASSERT_EQ(0, ifreq_get("lkvmt0", SIOCGIFMTU, &ifr));
	EXPECT_EQ(NET_MTU, ifr.ifr_mtu);
	EXPECT_STREQ(HOST_IP, ifaddr("lkvmt0", SIOCGIFADDR, buf));
	EXPECT_STREQ("255.255.255.0", ifaddr("lkvmt0", SIOCGIFNETMASK, buf));
}

/* The default name is a pattern the kernel fills in. */
TEST_F(tap, default_name)
{
	char buf[INET_ADDRSTRLEN];

	ASSERT_LE(0, open_tap("tap"));
	EXPECT_NE(0, if_nametoindex("lkvm0"));
	EXPECT_STREQ("192.168.33.1", ifaddr("lkvm0", SIOCGIFADDR, buf));
	ASSERT_LE(0, open_tap("tap"));
	EXPECT_NE(0, if_nametoindex("lkvm1"));
}

/* Runs @fn in a child; returns its exit status. */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (!pid)
		exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int open_and_exit(void *spec)
{
	return open_tap(spec) < 0;
}

/* A tap lkvm created goes away when lkvm exits. */
TEST_F(tap, deleted_at_exit)
{
	ASSERT_EQ(0, in_child(open_and_exit, "tap,tapif=lkvmt1"));
	EXPECT_EQ(0, if_nametoindex("lkvmt1"));
}

/* A persistent tap of the user's own is used, not reconfigured or deleted. */
TEST_F(tap, existing_tap_left_alone)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	char buf[INET_ADDRSTRLEN];
	int fd = open("/dev/net/tun", O_RDWR);

	ASSERT_LE(0, fd);
	strcpy(ifr.ifr_name, "lkvmp0");
	ASSERT_EQ(0, ioctl(fd, TUNSETIFF, &ifr));
	ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 1));
	close(fd);
	ASSERT_EQ(0, in_child(open_and_exit,
			      "tap,tapif=lkvmp0,host_ip=10.9.8.7/24"));
	EXPECT_NE(0, if_nametoindex("lkvmp0"));
	EXPECT_STREQ("none", ifaddr("lkvmp0", SIOCGIFADDR, buf));
}

static int open_unprivileged(void *spec)
{
	int err[2];
	char msg[512] = "";
	ssize_t n;

	if (pipe(err) || setuid(65534))
		return 2;
	dup2(err[1], STDERR_FILENO);
	if (open_tap(spec) >= 0)
		return 3;
	n = read(err[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	/* One line that says what to do. */
	return !strstr(msg, "CAP_NET_ADMIN") || strchr(msg, '\n') !=
	       msg + strlen(msg) - 1;
}

TEST_F(tap, unprivileged_gets_a_clear_error)
{
	EXPECT_EQ(0, in_child(open_unprivileged, "tap,tapif=lkvmt2"));
	EXPECT_EQ(0, if_nametoindex("lkvmt2"));
}

/* --- frames between the host kernel and the test's "guest" --- */

struct arp_ipv4 {
	u8 dst[ETH_ALEN], src[ETH_ALEN];
	u16 ethertype;
	u16 htype, ptype;
	u8 hlen, plen;
	u16 oper;
	u8 sha[ETH_ALEN];
	u8 spa[4];
	u8 tha[ETH_ALEN];
	u8 tpa[4];
} __attribute__((packed));

struct udp_ipv4 {
	u8 dst[ETH_ALEN], src[ETH_ALEN];
	u16 ethertype;
	u8 ver_ihl, tos;
	u16 tot_len, id, frag;
	u8 ttl, proto;
	u16 check;
	u32 saddr, daddr;
	u16 sport, dport, ulen, ucheck;
	char payload[32];
} __attribute__((packed));

/* RFC 1071 over the IPv4 header. */
static u16 ip_checksum(const void *p, unsigned int len)
{
	const u8 *b = p;
	u32 sum = 0;
	unsigned int i;

	for (i = 0; i < len; i += 2)
		sum += b[i] << 8 | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum);
}

/*
 * The next received frame of @ethertype into @out, giving every buffer
 * back to the device; other traffic (IPv6 neighbour discovery of a fresh
 * link) is skipped.  Returns the frame's length, 0 on timeout.
 */
static u32 recv_frame(struct nic *n, u16 ethertype, void *out, u32 max)
{
	u32 id, len, flen;
	u8 *b;

	while (nic_wait_used(&n->rx, &id, &len, 3000)) {
		b = nic_rx_buf(n, id) + HDR_LEN;
		flen = len - HDR_LEN;
		memcpy(out, b, flen < max ? flen : max);
		nic_post_rx(n, id, RX_BUF_LEN);
		if (len >= HDR_LEN + ETH_HLEN && (b[12] << 8 | b[13]) == ethertype)
			return flen;
	}
	return 0;
}

static void send_arp_reply(struct nic *n, const struct arp_ipv4 *req)
{
	struct arp_ipv4 r = {
		.ethertype = htons(ETH_P_ARP),
		.htype = htons(1), .ptype = htons(ETH_P_IP),
		.hlen = ETH_ALEN, .plen = 4, .oper = htons(2),
	};

	memcpy(r.dst, req->sha, ETH_ALEN);
	memcpy(r.src, guest_mac, ETH_ALEN);
	memcpy(r.sha, guest_mac, ETH_ALEN);
	memcpy(r.spa, req->tpa, 4);
	memcpy(r.tha, req->sha, ETH_ALEN);
	memcpy(r.tpa, req->spa, 4);
	nic_send(n, &r, sizeof(r));
}

static void send_udp(struct nic *n, const u8 *dst_mac, u16 dport,
		     const char *msg)
{
	struct udp_ipv4 u = {
		.ethertype = htons(ETH_P_IP),
		.ver_ihl = 0x45, .ttl = 64, .proto = IPPROTO_UDP,
		.tot_len = htons(20 + 8 + strlen(msg)),
		.sport = htons(GUEST_PORT), .dport = dport,
		.ulen = htons(8 + strlen(msg)),
	};

	memcpy(u.dst, dst_mac, ETH_ALEN);
	memcpy(u.src, guest_mac, ETH_ALEN);
	inet_pton(AF_INET, GUEST_IP, &u.saddr);
	inet_pton(AF_INET, HOST_IP, &u.daddr);
	u.check = ip_checksum(&u.ver_ihl, 20);
	memcpy(u.payload, msg, strlen(msg));	/* UDP checksum 0: none */
	nic_send(n, &u, ETH_HLEN + 28 + strlen(msg));
}

/*
 * The host sends UDP to the guest: the kernel asks for the guest's MAC by
 * ARP, the guest answers, the datagram follows; the guest's reply reaches
 * the host's socket.
 */
TEST_F(tap, arp_and_udp_with_the_host)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(GUEST_PORT) }, from;
	socklen_t from_len = sizeof(from);
	struct arp_ipv4 arp;
	struct udp_ipv4 udp;
	struct ifreq hw;
	char got[64] = "";
	u32 ip;
	int fd, s;

	fd = open_tap("mode=tap,tapif=lkvmt3,host_ip=" HOST_IP "/24");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ifreq_get("lkvmt3", SIOCGIFHWADDR, &hw));
	ASSERT_EQ(0, test_vm_init());
	ASSERT_EQ(0, pci_init(&test_vm));
	ASSERT_EQ(0, virtio_net_create(&test_vm, fd, guest_mac, false));
	ASSERT_TRUE(nic_start(&self->n, true) & VIRTIO_CONFIG_S_DRIVER_OK);
	for (int i = 0; i < NIC_QSIZE; i++)
		nic_post_rx(&self->n, i, RX_BUF_LEN);

	s = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	inet_pton(AF_INET, GUEST_IP, &to.sin_addr);
	ASSERT_EQ(5, sendto(s, "hello", 5, 0, (struct sockaddr *)&to,
			    sizeof(to)));

	ASSERT_EQ(sizeof(arp), recv_frame(&self->n, ETH_P_ARP, &arp,
					  sizeof(arp)));
	EXPECT_EQ(0, memcmp(arp.dst, "\xff\xff\xff\xff\xff\xff", ETH_ALEN));
	EXPECT_EQ(1, ntohs(arp.oper));
	EXPECT_EQ(0, memcmp(arp.sha, hw.ifr_hwaddr.sa_data, ETH_ALEN));
	inet_pton(AF_INET, GUEST_IP, &ip);
	EXPECT_EQ(0, memcmp(arp.tpa, &ip, 4));
	inet_pton(AF_INET, HOST_IP, &ip);
	EXPECT_EQ(0, memcmp(arp.spa, &ip, 4));
	send_arp_reply(&self->n, &arp);

	ASSERT_EQ(ETH_HLEN + 28 + 5, recv_frame(&self->n, ETH_P_IP, &udp,
						sizeof(udp)));
	EXPECT_EQ(0, memcmp(udp.dst, guest_mac, ETH_ALEN));
	EXPECT_EQ(IPPROTO_UDP, udp.proto);
	EXPECT_EQ(ip, udp.saddr);
	EXPECT_EQ(GUEST_PORT, ntohs(udp.dport));
	EXPECT_EQ(0, memcmp("hello", udp.payload, 5));

	send_udp(&self->n, (const u8 *)hw.ifr_hwaddr.sa_data, udp.sport,
		 "hi host");
	ASSERT_LE(0, fcntl(s, F_SETFL, 0));
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_RCVTIMEO,
				&(struct timeval){ .tv_sec = 3 },
				sizeof(struct timeval)));
	ASSERT_EQ(7, recvfrom(s, got, sizeof(got) - 1, 0,
			      (struct sockaddr *)&from, &from_len));
	EXPECT_STREQ("hi host", got);
	EXPECT_EQ(GUEST_PORT, ntohs(from.sin_port));
	close(s);
}

TEST_HARNESS_MAIN
