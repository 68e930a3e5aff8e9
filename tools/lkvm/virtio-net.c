// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1): one receive and one transmit queue, no
 * offloads, on a backend descriptor that carries whole frames (net.h).
 *
 * Transmit runs on the vCPU thread that notifies, as virtio-blk does: a
 * frame is one writev() to the backend, which never blocks; a backend that
 * cannot take it drops it, as a wire would.
 *
 * Receive has a thread of its own, since frames arrive when they like.  It
 * reads a frame into a host buffer, then copies it into the guest's next
 * receive buffer.  When the guest has none posted (or its driver is not
 * running), the thread keeps that one frame, stops polling the backend and
 * sleeps until the guest notifies the receive queue; meanwhile frames wait
 * in the backend (a tap's queue drops past its length).  Nothing spins,
 * and no guest buffer is held while the lock is dropped, so a device or
 * queue reset never finds one in our hands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>

#include "devices.h"
#include "net.h"
#include "virtio.h"
#include "vm.h"

#define NET_QUEUE_SIZE	256
#define NET_CLASS	0x020000	/* network controller, Ethernet */
/* 5.1.2: queue 0 is receiveq1, queue 1 transmitq1. */
#define NET_RX		0
#define NET_TX		1
/*
 * 5.1.6: with VIRTIO_F_VERSION_1 every buffer starts with the 12-byte
 * header, num_buffers included, whether MRG_RXBUF is negotiated or not.
 */
#define NET_HDR_LEN	sizeof(struct virtio_net_hdr_v1)
/* The largest frame either way: no GSO is offered, so an MTU's worth. */
#define NET_MAX_FRAME	(NET_MTU + ETH_HLEN + 4)	/* 4: a VLAN tag */
/* Frames delivered per lock hold, so that the vCPUs get the device too. */
#define NET_RX_BATCH	32
/* Backend errors reported before going quiet. */
#define NET_MAX_LOGGED	3

struct net_dev {
	struct virtio_dev vdev;
	struct virtio_dev_ops ops;
	int fd;			/* the backend */
	u32 max_tx;		/* longest frame the backend takes */
	u8 mac[ETH_ALEN];
	int wake_fd;		/* eventfd: the guest posted receive buffers */
	pthread_t rx_thread;
	bool backend_dead;	/* read failed for good: receive is over */
	unsigned int logged;
	/* The frame the receive thread holds; under the device lock. */
	u8 frame[NET_MAX_FRAME + 1];	/* + 1: to see a frame too long */
	u32 frame_len;		/* 0: none held */
	struct iovec tx_iov[NET_QUEUE_SIZE];
};

static void net_log(struct net_dev *n, const char *what, int err)
{
	if (n->logged >= NET_MAX_LOGGED || vm_stopped(n->vdev.pci.vm))
		return;
	pr_err("virtio-net: %s: %s%s", what, strerror(err),
	       ++n->logged == NET_MAX_LOGGED ? " (further errors not shown)" :
	       "");
}

static void net_get_config(struct virtio_dev *vdev, void *config)
{
	struct net_dev *n = vdev->priv;
	struct virtio_net_config c = {
		.status = VIRTIO_NET_S_LINK_UP,
		.mtu = NET_MTU,
	};

	memcpy(c.mac, n->mac, ETH_ALEN);
	memcpy(config, &c, sizeof(c));
}

/*
 * 5.1.6.2: the driver's header, then the frame.  Only the header's length
 * matters: without offloads it asks for nothing, and a backend that takes
 * TSO frames takes them as they are, checksums undone included.
 */
static u32 net_tx(struct virtio_dev *vdev, const struct vq_chain *c)
{
	struct net_dev *n = vdev->priv;
	u64 len = c->out_len - NET_HDR_LEN;
	int cnt;

	if (c->out_len < NET_HDR_LEN + ETH_HLEN || len > n->max_tx)
		return 0;	/* not a frame: dropped */
	cnt = vq_chain_iov(c, false, NET_HDR_LEN, len, n->tx_iov,
			   ARRAY_SIZE(n->tx_iov));
	if (cnt > 0 && writev(n->fd, n->tx_iov, cnt) < 0 &&
	    errno != EAGAIN && errno != ENOBUFS)
		net_log(n, "cannot send a frame", errno);
	return 0;
}

static bool rx_running(struct virtio_dev *vdev)
{
	return (vdev->status & (VIRTIO_CONFIG_S_DRIVER_OK |
				VIRTIO_CONFIG_S_NEEDS_RESET)) ==
	       VIRTIO_CONFIG_S_DRIVER_OK && vdev->vqs[NET_RX].enabled;
}

/* Reads the next frame into n->frame; false if there is none now. */
static bool rx_read(struct net_dev *n)
{
	ssize_t len;

	if (n->frame_len)
		return true;
	len = read(n->fd, n->frame, sizeof(n->frame));
	if (len < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (len <= 0) {
		/* A tap whose link is gone, a socket whose peer closed. */
		net_log(n, "receive stops", len ? errno : EPIPE);
		n->backend_dead = true;
		return false;
	}
	/*
	 * Shorter than an Ethernet header, nothing a driver could use; longer
	 * than the MTU allows (a tap someone gave a larger MTU), cut short by
	 * read(): both are dropped.
	 */
	if (len >= ETH_HLEN && len <= NET_MAX_FRAME)
		n->frame_len = len;
	return true;
}

/*
 * Puts the held frame into the next receive buffer.  Returns false if the
 * guest has none.  A buffer too small for the frame (5.1.6.3.1 asks for
 * 1526 bytes) goes back empty, the frame is dropped, and the driver counts
 * a length error.
 */
static bool rx_deliver(struct net_dev *n, struct virtqueue *vq)
{
	struct virtio_net_hdr_v1 hdr = {
		.gso_type = VIRTIO_NET_HDR_GSO_NONE,
		.num_buffers = 1,	/* 5.1.6.4: 1 without MRG_RXBUF */
	};
	struct vq_chain c;
	u32 written = 0;
	char why[128];
	int ret;

	ret = vq_pop(vq, &c);
	if (ret < 0) {
		snprintf(why, sizeof(why), "queue %d: %s", NET_RX, vq->error);
		virtio_needs_reset(&n->vdev, why);
	}
	if (ret <= 0)
		return false;
	if (c.in_len >= NET_HDR_LEN + n->frame_len) {
		vq_chain_write(&c, 0, &hdr, NET_HDR_LEN);
		vq_chain_write(&c, NET_HDR_LEN, n->frame, n->frame_len);
		written = NET_HDR_LEN + n->frame_len;
	}
	vq_push(vq, c.head, written);
	n->frame_len = 0;
	return true;
}

/*
 * Moves frames from the backend into the guest, with the device lock held.
 * Returns true when the thread should wait for the guest's notification
 * rather than for the backend.
 */
static bool rx_fill(struct net_dev *n)
{
	struct virtqueue *vq = &n->vdev.vqs[NET_RX];
	bool starved = false;
	unsigned int i;

	if (!rx_running(&n->vdev))
		return true;
	for (i = 0; i < NET_RX_BATCH && rx_read(n); i++) {
		if (!n->frame_len)
			continue;
		if (!rx_deliver(n, vq)) {
			starved = true;
			break;
		}
	}
	virtio_signal_used(&n->vdev, vq);
	return starved;
}

static void *rx_thread(void *arg)
{
	struct net_dev *n = arg;
	bool starved = true;	/* nothing before the driver says so */
	eventfd_t v;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = n->wake_fd, .events = POLLIN },
			{ .fd = starved || n->backend_dead ? -1 : n->fd,
			  .events = POLLIN },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			net_log(n, "receive stops", errno);
			return NULL;
		}
		if (fds[0].revents & POLLIN)
			eventfd_read(n->wake_fd, &v);
		pthread_mutex_lock(&n->vdev.pci.lock);
		starved = rx_fill(n);
		pthread_mutex_unlock(&n->vdev.pci.lock);
	}
	return NULL;
}

static void net_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct net_dev *n = vdev->priv;

	if (vq == &vdev->vqs[NET_TX])
		virtio_serve_queue(vdev, vq, net_tx);
	else
		eventfd_write(n->wake_fd, 1);
}

/* A reset empties the receive path as it would a NIC's FIFO. */
static void net_reset(struct virtio_dev *vdev)
{
	struct net_dev *n = vdev->priv;

	n->frame_len = 0;
}

static const struct virtio_dev_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.pci_class = NET_CLASS,
	.nr_queues = 2,
	.queue_size = NET_QUEUE_SIZE,
	.features = 1ULL << VIRTIO_NET_F_MTU |
		    1ULL << VIRTIO_NET_F_MAC |
		    1ULL << VIRTIO_NET_F_STATUS,
	.config_len = sizeof(struct virtio_net_config),
	.get_config = net_get_config,
	.notify = net_notify,
	.reset = net_reset,
};

int virtio_net_create(struct vm *vm, int fd, const u8 mac[6], bool tso)
{
	struct net_dev *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	n->fd = fd;
	memcpy(n->mac, mac, ETH_ALEN);
	n->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (n->wake_fd < 0)
		return -errno;
	/* A socket backend whose peer is gone fails a send, not lkvm. */
	signal(SIGPIPE, SIG_IGN);
	n->ops = net_ops;
	n->max_tx = NET_MAX_FRAME;
	/* 5.1.3.1: HOST_TSO4 requires CSUM. */
	if (tso) {
		n->ops.features |= 1ULL << VIRTIO_NET_F_CSUM |
				   1ULL << VIRTIO_NET_F_HOST_TSO4;
		n->max_tx = NET_MAX_TSO_FRAME;
	}
	ret = virtio_pci_register(vm, &n->vdev, "virtio-net", &n->ops, n);
	if (ret)
		return ret;
	ret = pthread_create(&n->rx_thread, NULL, rx_thread, n);
	if (ret)
		pr_err("virtio-net: cannot start the receive thread: %s",
		       strerror(ret));
	return -ret;
}

/* The --network options, kept until net_init() makes the devices. */
static struct net_config nets[NET_MAX_NICS];
static unsigned int nr_nets;
static bool net_chosen;		/* any --network, "none" included */

/* "A.B.C.D[/N]", N from 1 to 30; @prefix_len NULL: no "/N" allowed. */
static bool parse_ipv4(const char *s, struct in_addr *ip,
		       unsigned int *prefix_len)
{
	char buf[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long n;

	if (len >= sizeof(buf) || (slash && !prefix_len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, ip) != 1)
		return false;
	if (!slash)
		return true;
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || n < 1 || n > 30)
		return false;
	*prefix_len = n;
	return true;
}

static bool parse_mac(const char *s, u8 mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN], i;
	int end = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &end) != ETH_ALEN || s[end])
		return false;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = b[i];
	/* A group address cannot be a station's. */
	return !(mac[0] & 1);
}

static bool parse_mode(const char *s, struct net_config *cfg)
{
	if (!strcmp(s, "user"))
		cfg->mode = NET_MODE_USER;
	else if (!strcmp(s, "tap"))
		cfg->mode = NET_MODE_TAP;
	else if (!strcmp(s, "none"))
		cfg->mode = NET_MODE_NONE;
	else
		return false;
	return true;
}

static bool parse_tapif(const char *s, struct net_config *cfg)
{
	/* What the kernel's dev_valid_name() takes, minus ':' (aliases). */
	if (!*s || strlen(s) >= IFNAMSIZ || !strcmp(s, ".") ||
	    !strcmp(s, "..") || strpbrk(s, "/: \t\n"))
		return false;
	strcpy(cfg->tapif, s);
	return true;
}

static bool parse_host_ip(const char *s, struct net_config *cfg)
{
	return parse_ipv4(s, &cfg->host_ip, &cfg->prefix_len);
}

static bool parse_guest_ip(const char *s, struct net_config *cfg)
{
	return parse_ipv4(s, &cfg->guest_ip, NULL);
}

static bool parse_guest_mac(const char *s, struct net_config *cfg)
{
	return parse_mac(s, cfg->guest_mac);
}

static const struct {
	const char *key;
	bool (*parse)(const char *val, struct net_config *cfg);
	const char *expected;
} net_keys[] = {
	{ "mode", parse_mode, "user, tap or none" },
	{ "tapif", parse_tapif, "an interface name of 1 to 15 characters" },
	{ "host_ip", parse_host_ip, "A.B.C.D or A.B.C.D/N, N from 1 to 30" },
	{ "guest_ip", parse_guest_ip, "A.B.C.D" },
	{ "guest_mac", parse_guest_mac, "a unicast MAC, xx:xx:xx:xx:xx:xx" },
};

static int parse_key(struct net_config *cfg, const char *key, const char *val)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(net_keys); i++) {
		if (strcmp(key, net_keys[i].key))
			continue;
		if (net_keys[i].parse(val, cfg))
			return 0;
		pr_err("--network %s=%s: expected %s", key, val,
		       net_keys[i].expected);
		return -1;
	}
	pr_err("--network: unknown key '%s' (mode, tapif, host_ip, guest_ip, guest_mac)",
	       key);
	return -1;
}

/*
 * kvmtool's defaults: user mode, the host (or gateway) at 192.168.33.1/24,
 * the guest at .15.  The MAC is locally administered, "lkvm" in ASCII,
 * then the NIC's number.
 */
static void net_defaults(struct net_config *cfg, unsigned int index)
{
	*cfg = (struct net_config) {
		.mode = NET_MODE_USER,
		.host_ip.s_addr = htonl(0xc0a82101),
		.prefix_len = 24,
		.guest_ip.s_addr = htonl(0xc0a8210f),
		.guest_mac = { 0x02, 'l', 'k', 'v', 'm', index },
	};
	strcpy(cfg->tapif, "lkvm%d");
}

int net_parse(const char *arg, unsigned int index, struct net_config *cfg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 0;

	if (!copy) {
		pr_err("out of memory");
		return -1;
	}
	net_defaults(cfg, index);
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		/* A bare word is the mode: "--network tap". */
		if (!eq) {
			ret = parse_key(cfg, "mode", tok);
			continue;
		}
		*eq = '\0';
		ret = parse_key(cfg, tok, eq + 1);
	}
	free(copy);
	return ret;
}

int net_add_option(const char *arg)
{
	struct net_config cfg;

	if (net_parse(arg, nr_nets, &cfg))
		return -1;
	net_chosen = true;
	if (cfg.mode == NET_MODE_NONE)
		return 0;
	if (nr_nets == NET_MAX_NICS) {
		pr_err("--network %s: at most %d network devices", arg,
		       NET_MAX_NICS);
		return -1;
	}
	nets[nr_nets++] = cfg;
	return 0;
}

/* The command line with ip= that net_finish_options() returned. */
static char *ip_cmdline;

/*
 * No --network at all means user mode, as with kvmtool.  The guest learns
 * the first NIC's addresses in the kernel's ip= format
 * (Documentation/admin-guide/nfs/nfsroot.rst), the host as the gateway,
 * before the user's own parameters so that theirs win.
 */
const char *net_finish_options(const char *cmdline)
{
	char guest[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
	struct in_addr m;
	char *out;

	if (!net_chosen)
		net_add_option("user");
	if (!nr_nets)
		return cmdline;
	m.s_addr = htonl(~0U << (32 - nets[0].prefix_len));
	inet_ntop(AF_INET, &nets[0].guest_ip, guest, sizeof(guest));
	inet_ntop(AF_INET, &nets[0].host_ip, host, sizeof(host));
	inet_ntop(AF_INET, &m, mask, sizeof(mask));
	if (asprintf(&out, "ip=%s::%s:%s::eth0:off%s%s", guest, host, mask,
		     cmdline ? " " : "", cmdline ? cmdline : "") < 0)
		die("out of memory");
	/* Lives as long as lkvm: kept here, it is never a leak. */
	free(ip_cmdline);
	ip_cmdline = out;
	return out;
}

/* The backend's descriptor for virtio-net, or -1 with a message. */
static int net_backend(const struct net_config *cfg)
{
	int sv[2];

	if (cfg->mode == NET_MODE_TAP)
		return net_tap_open(cfg);
	/* One frame per message, both ends non-blocking, as a tap is. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, sv)) {
		pr_err("--network mode=user: %s", strerror(errno));
		return -1;
	}
	if (net_user_start(cfg, sv[1])) {
		pr_err("--network mode=user: cannot start its thread");
		return -1;
	}
	return sv[0];
}

int net_init(struct vm *vm)
{
	unsigned int i;
	int fd;

	for (i = 0; i < nr_nets; i++) {
		fd = net_backend(&nets[i]);
		if (fd < 0)
			return -1;
		if (virtio_net_create(vm, fd, nets[i].guest_mac,
				      nets[i].mode == NET_MODE_USER)) {
			pr_err("cannot set up virtio-net");
			return -1;
		}
	}
	return 0;
}
