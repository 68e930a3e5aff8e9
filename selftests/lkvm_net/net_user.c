// SPDX-License-Identifier: GPL-2.0
/*
 * User-mode networking (net-user.c) with the host kernel's own TCP/IP as
 * the guest: in a private network namespace, a tap carries the "guest"
 * address 192.168.33.15, and its frames go to net_user_start() instead of
 * a virtio-net device.  Sockets of this process connecting to the gateway
 * 192.168.33.1 thus go through the NAT and come out of it on loopback, to
 * servers of this process: both ends are Linux, so every byte, window,
 * FIN and RST is checked by a real TCP.  Needs root for the namespace and
 * the tap.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "net.h"
#include "kselftest_harness.h"

#define GW		"192.168.33.1"
#define GUEST		"192.168.33.15"
#define PORT		5070
#define BULK		(4 << 20)

/* Loopback up, the "guest" tap, and the NAT on it. */
static int setup_user_net(void)
{
	struct net_config cfg;
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0), fd;

	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		return -1;
	/* The tap's host side is the guest; its MAC the guest's. */
	if (net_parse("tap,tapif=lkvmu0,host_ip=" GUEST "/24", 0, &cfg))
		return -1;
	fd = net_tap_open(&cfg);
	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lkvmu0");
	if (ioctl(s, SIOCGIFHWADDR, &ifr))
		return -1;
	close(s);
	if (net_parse("user", 0, &cfg))
		return -1;
	memcpy(cfg.guest_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return net_user_start(&cfg, fd);
}

static struct sockaddr_in addr(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sa;
}

static int listener(int type, int port)
{
	struct sockaddr_in sa = addr("127.0.0.1", port);
	int s = socket(AF_INET, type, 0), one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(s, 4)))
		return -1;
	return s;
}

static void set_timeout(int s, int sec)
{
	struct timeval tv = { .tv_sec = sec };

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static u8 pattern(size_t i, int seed)
{
	return (i * 131 + seed) ^ (i >> 12);
}

/* Sends @len bytes of pattern @seed, then half-closes. */
static bool send_bulk(int s, size_t len, int seed)
{
	u8 buf[16384];
	size_t done = 0, i, n;
	ssize_t w;

	while (done < len) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(done + i, seed);
		w = send(s, buf, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		done += w;
	}
	return !shutdown(s, SHUT_WR);
}

/* Receives until EOF; true if it was exactly @len bytes of @seed. */
static bool recv_bulk(int s, size_t len, int seed)
{
	u8 buf[16384];
	size_t done = 0, i;
	ssize_t n;

	while ((n = recv(s, buf, sizeof(buf), 0)) > 0) {
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != pattern(done + i, seed))
				return false;
		done += n;
	}
	return !n && done == len;
}

struct server {
	int listen_fd;
	bool ok;
};

/* The host side: takes the guest's bulk and sends its own back. */
static void *serve_bulk(void *arg)
{
	struct server *sv = arg;
	int c = accept(sv->listen_fd, NULL, NULL);

	if (c < 0)
		return NULL;
	set_timeout(c, 20);
	sv->ok = recv_bulk(c, BULK, 1) && send_bulk(c, BULK, 2);
	close(c);
	return NULL;
}

FIXTURE(user) {
};

FIXTURE_SETUP(user)
{
	if (geteuid())
		SKIP(return, "needs root for a tap in a private network namespace");
	if (unshare(CLONE_NEWNET))
		SKIP(return, "unshare(CLONE_NEWNET): %s", strerror(errno));
	ASSERT_EQ(0, setup_user_net());
}

FIXTURE_TEARDOWN(user)
{
}

/* 4 MiB each way, both half-closes, through the NAT's TCP. */
TEST_F(user, tcp_both_ways)
{
	struct server sv = { .listen_fd = listener(SOCK_STREAM, PORT) };
	struct sockaddr_in gw = addr(GW, PORT);
	struct timespec t0, t1;
	pthread_t thread;
	int c;

	ASSERT_LE(0, sv.listen_fd);
	ASSERT_EQ(0, pthread_create(&thread, NULL, serve_bulk, &sv));
	c = socket(AF_INET, SOCK_STREAM, 0);
	set_timeout(c, 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&gw, sizeof(gw)));
	EXPECT_TRUE(send_bulk(c, BULK, 1));
	EXPECT_TRUE(recv_bulk(c, BULK, 2));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(thread, NULL);
	EXPECT_TRUE(sv.ok);
	close(c);
	TH_LOG("%d MiB each way in %.0f ms", BULK >> 20,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
}

/* Nobody listening on the host: the guest's connect is refused (RST). */
TEST_F(user, tcp_refused)
{
	struct sockaddr_in gw = addr(GW, PORT + 1);
	int c = socket(AF_INET, SOCK_STREAM, 0);

	set_timeout(c, 5);
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&gw, sizeof(gw)));
	EXPECT_EQ(ECONNREFUSED, errno);
}

/* A datagram out to the host and the answer back, from the gateway. */
TEST_F(user, udp_both_ways)
{
	struct sockaddr_in gw = addr(GW, PORT), from;
	socklen_t from_len = sizeof(from);
	int srv = listener(SOCK_DGRAM, PORT), c;
	char buf[64] = "";

	ASSERT_LE(0, srv);
	c = socket(AF_INET, SOCK_DGRAM, 0);
	set_timeout(c, 5);
	set_timeout(srv, 5);
	ASSERT_EQ(4, sendto(c, "ping", 4, 0, (struct sockaddr *)&gw,
			    sizeof(gw)));
	ASSERT_EQ(4, recvfrom(srv, buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &from_len));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	ASSERT_EQ(4, sendto(srv, "pong", 4, 0, (struct sockaddr *)&from,
			    from_len));
	from_len = sizeof(from);
	ASSERT_EQ(4, recvfrom(c, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			      &from_len));
	EXPECT_EQ(0, memcmp(buf, "pong", 4));
	EXPECT_EQ(gw.sin_addr.s_addr, from.sin_addr.s_addr);
	EXPECT_EQ(htons(PORT), from.sin_port);
}

/* ICMP echo to the gateway, through the kernel's ping socket. */
TEST_F(user, ping_gateway)
{
	struct sockaddr_in gw = addr(GW, 0);
	u8 echo[16] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'l', 'k', 'v', 'm' };
	u8 reply[64];
	int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	if (s < 0)
		s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	ASSERT_LE(0, s);
	set_timeout(s, 5);
	ASSERT_EQ(sizeof(echo), sendto(s, echo, sizeof(echo), 0,
				       (struct sockaddr *)&gw, sizeof(gw)));
	for (;;) {
		ssize_t n = recv(s, reply, sizeof(reply), 0);
		u8 *icmp = reply;

		ASSERT_LT(0, n);
		/* A raw socket hands over the IP header too. */
		if (n >= 20 && reply[0] == 0x45) {
			icmp += 20;
			n -= 20;
		}
		if (n >= 16 && icmp[0] == 0) {
			EXPECT_EQ(0, memcmp(echo + 8, icmp + 8, 8));
			break;
		}
	}
}

/*
 * Malformed frames straight into the NAT: truncated and lying headers of
 * every protocol it parses.  It must survive them all and still answer ARP.
 * (In the namespace: the flows they open reach only its loopback.)
 */
TEST_F(user, hostile_frames)
{
	static const u8 arp_req[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 1, 2, 3, 4, 5, 0x08, 0x06,
		0, 1, 8, 0, 6, 4, 0, 1, 2, 1, 2, 3, 4, 5, 192, 168, 33, 15,
		0, 0, 0, 0, 0, 0, 192, 168, 33, 1,
	};
	static const u8 ip_hdr[34] = {
		2, 'l', 'k', 'v', 'm', 0xfe, 2, 1, 2, 3, 4, 5, 0x08, 0x00,
		0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 168, 33, 15,
		192, 168, 33, 1,
	};
	static const u8 protocols[] = { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP };
	struct net_config cfg;
	u8 f[1600], r[1600];
	int sv[2], i, j;
	ssize_t n;

	srand(1);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0,
				sv));
	ASSERT_EQ(0, net_parse("user", 0, &cfg));
	ASSERT_EQ(0, net_user_start(&cfg, sv[1]));
	for (i = 0; i < 20000; i++) {
		size_t len = 14 + rand() % 120;

		memcpy(f, ip_hdr, sizeof(ip_hdr));
		for (j = 14; j < (int)len; j++)
			if (j >= 34 || rand() % 8 == 0)
				f[j] = rand();
		f[23] = protocols[rand() % 3];
		if (rand() % 4 == 0)
			memcpy(f, arp_req, 14);
		while (send(sv[0], f, len, 0) < 0 && errno == EAGAIN) {
			while (recv(sv[0], r, sizeof(r), 0) > 0)
				;
			usleep(100);
		}
	}
	usleep(200000);
	while (recv(sv[0], r, sizeof(r), 0) > 0)
		;
	ASSERT_EQ(sizeof(arp_req), send(sv[0], arp_req, sizeof(arp_req), 0));
	for (i = 0; i < 2000; i++) {
		n = recv(sv[0], r, sizeof(r), 0);
		if (n == 42 && r[21] == 2)
			break;
		usleep(1000);
	}
	ASSERT_EQ(42, n);
	/* RFC 826 reply: the gateway's address, to the asker. */
	EXPECT_EQ(0, memcmp(r + 28, arp_req + 38, 4));
	EXPECT_EQ(0, memcmp(r + 32, arp_req + 22, 10));
}

TEST_HARNESS_MAIN
