/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Networking (Documentation/network.rst): the virtio-net device and its
 * backends.  A backend is a file descriptor that carries one Ethernet frame
 * per read() and per write(), without any header in front: a tap device
 * opened with IFF_NO_PI, or one end of a datagram socket pair in the tests.
 */
#ifndef LKVM_NET_H
#define LKVM_NET_H

#include <net/if.h>
#include <netinet/in.h>

#include "util.h"

struct vm;

#define NET_MAX_NICS	4
/* The link MTU lkvm gives a tap it creates; the guest learns it too. */
#define NET_MTU		1500

enum net_mode {
	NET_MODE_NONE,
	NET_MODE_USER,
	NET_MODE_TAP,
};

/* One --network option. */
struct net_config {
	enum net_mode mode;
	char tapif[IFNAMSIZ];	/* a name, or a pattern with %d */
	struct in_addr host_ip;	/* the tap's host side, or user's gateway */
	unsigned int prefix_len;
	struct in_addr guest_ip;
	u8 guest_mac[6];
};

/* Parses "mode=tap,tapif=...,..." for NIC number @index; -1 with a message. */
int net_parse(const char *arg, unsigned int index, struct net_config *cfg);

/*
 * Opens or creates the tap @cfg names.  A tap lkvm creates is brought up
 * with host_ip on it and deleted when lkvm exits; an existing (persistent)
 * one is used as its owner configured it.  Returns the non-blocking file
 * descriptor, or -1 with a message.
 */
int net_tap_open(const struct net_config *cfg);

/*
 * User-mode networking on @fd, the other end of virtio-net's backend: a
 * thread that plays the gateway at host_ip for the guest at guest_ip.
 */
int net_user_start(const struct net_config *cfg, int fd);

/* The largest TSO frame: an IPv4 packet of 64 KiB with a VLAN tag. */
#define NET_MAX_TSO_FRAME	(14 + 4 + 65535)

/*
 * A virtio-net device on the backend @fd, with the MAC address @mac.
 * With @tso the backend takes TCP segments of up to NET_MAX_TSO_FRAME
 * bytes whose checksums may be left undone (user mode, which does not look
 * at them), and the guest is offered checksum and TCP segmentation offload
 * to send them.
 */
int virtio_net_create(struct vm *vm, int fd, const u8 mac[6], bool tso);

#endif
