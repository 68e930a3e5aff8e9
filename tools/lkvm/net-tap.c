// SPDX-License-Identifier: GPL-2.0
/*
 * The tap backend (Documentation/network.rst): a tap device from
 * /dev/net/tun with IFF_NO_PI, so that every read and write is one bare
 * Ethernet frame, as virtio-net.c wants its backend.
 *
 * A tap lkvm creates is lkvm's to configure through rtnetlink
 * (libnl-route-3): MTU, the host's address, link up; and to delete at
 * exit (the kernel would also remove it when the last descriptor closes,
 * which covers a lkvm that is killed).  A tap that already exists, such as
 * a persistent one made for an unprivileged user with
 * "ip tuntap add NAME mode tap user USER", is used as its owner set it up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "net.h"

#define TUN_PATH	"/dev/net/tun"

/* Taps lkvm created, deleted at exit. */
static char created[NET_MAX_NICS][IFNAMSIZ];
static unsigned int nr_created;

static void delete_created_taps(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link;
	unsigned int i;

	if (!sk || nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		return;
	}
	for (i = 0; i < nr_created; i++) {
		link = rtnl_link_alloc();
		if (!link)
			break;
		rtnl_link_set_name(link, created[i]);
		rtnl_link_delete(sk, link);
		rtnl_link_put(link);
	}
	nl_socket_free(sk);
}

static int tap_set_up(struct nl_sock *sk, struct rtnl_link *link)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int err;

	if (!change)
		return -NLE_NOMEM;
	rtnl_link_set_mtu(change, NET_MTU);
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	return err;
}

static int tap_add_address(struct nl_sock *sk, struct rtnl_link *link,
			   const struct net_config *cfg)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &cfg->host_ip,
					      sizeof(cfg->host_ip));
	int err = -NLE_NOMEM;

	if (addr && local) {
		nl_addr_set_prefixlen(local, cfg->prefix_len);
		rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
		err = rtnl_addr_set_local(addr, local);
		if (!err)
			err = rtnl_addr_add(sk, addr, 0);
	}
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return err;
}

/* Brings @name up with the host's address; a libnl error code. */
static int tap_configure(const char *name, const struct net_config *cfg)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL;
	int err;

	if (!sk)
		return -NLE_NOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_get_kernel(sk, 0, name, &link);
	if (!err)
		err = tap_set_up(sk, link);
	if (!err)
		err = tap_add_address(sk, link, cfg);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return err;
}

static void tun_error(const char *name, int err)
{
	if (err == ENOENT || err == ENODEV)
		pr_err("--network mode=tap: no %s: load the tun module (modprobe tun)",
		       TUN_PATH);
	else if (err == EPERM || err == EACCES)
		pr_err("--network tapif=%s: %s; creating a tap needs CAP_NET_ADMIN, or use a persistent tap of yours (ip tuntap add NAME mode tap user $USER) with tapif=NAME",
		       name, strerror(err));
	else if (err == EBUSY)
		pr_err("--network tapif=%s: in use by another process", name);
	else
		pr_err("--network tapif=%s: %s (is it a tap device?)", name,
		       strerror(err));
}

/* Remembers @name for deletion at exit. */
static void track_created(const char *name)
{
	if (!nr_created)
		atexit(delete_created_taps);
	strcpy(created[nr_created++], name);
}

int net_tap_open(const struct net_config *cfg)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	bool existed = !strchr(cfg->tapif, '%') && if_nametoindex(cfg->tapif);
	int fd, err;

	strcpy(ifr.ifr_name, cfg->tapif);
	fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		tun_error(cfg->tapif, errno);
		return -1;
	}
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		tun_error(cfg->tapif, errno);
		close(fd);
		return -1;
	}
	if (existed)
		return fd;
	track_created(ifr.ifr_name);
	err = tap_configure(ifr.ifr_name, cfg);
	if (err) {
		pr_err("--network: cannot configure tap %s: %s", ifr.ifr_name,
		       nl_geterror(err));
		close(fd);
		return -1;
	}
	return fd;
}
