// SPDX-License-Identifier: GPL-2.0
/*
 * User-mode networking (Documentation/network.rst): a small NAT in lkvm's
 * own process that needs no privilege.  The guest's Ethernet is a socket
 * pair; on it this thread plays a gateway (host_ip, 192.168.33.1 by
 * default) that answers ARP for every address but the guest's, answers
 * ICMP echo to itself, and terminates the guest's UDP and TCP flows on
 * ordinary host sockets: a flow to the gateway goes to the host's
 * loopback, any other to its destination.
 *
 * TCP is terminated, not forwarded: the guest talks to our minimal TCP
 * (no options but MSS, no window scaling, no SACK) and the host kernel's
 * socket does the rest.  Each direction has a 64 KiB buffer.  Data towards
 * the guest stays in its buffer until the guest acknowledges it and is
 * sent again, from the first unacknowledged byte, when no acknowledgement
 * comes in time (the socket pair drops a frame when the guest's receive
 * ring is full).  Data from the guest is acknowledged once it is in the
 * other buffer, whose free space is the window we advertise, so a slow
 * host peer closes the guest's window instead of making it retransmit.
 *
 * The guest may send TCP segments of up to 64 KiB (TSO) with checksums left
 * undone: we never look at the guest's checksums, the socket pair cannot
 * corrupt a frame.  Every frame from the guest is hostile input: each
 * length is checked against what was received before a header is read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "net.h"
#include "sandbox.h"

#define USER_MAX_FLOWS	256
#define FRAME_MAX	(NET_MTU + ETH_HLEN)
#define IP_HLEN		20
#define UDP_HLEN	8
#define TCP_HLEN	20
#define TCP_MSS		(NET_MTU - IP_HLEN - TCP_HLEN)
/* Per direction of a TCP flow: what the other side has not taken yet. */
#define TCP_BUF		(64 * 1024)
#define TCP_MAX_WINDOW	65535		/* without window scaling */
/* Timeouts in a row after which the guest is taken to be gone. */
#define TCP_MAX_RETRIES	8
#define TCP_RTO_MS	500
#define TCP_RTO_MAX_MS	8000
#define UDP_IDLE_MS	60000
#define IDLE_POLL_MS	1000

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10

enum flow_kind { FLOW_FREE, FLOW_UDP, FLOW_TCP };

enum tcp_state {
	TCP_CONNECTING,		/* host connect() in progress */
	TCP_SYN_RECEIVED,	/* SYN-ACK sent, waiting for the guest's ACK */
	TCP_ESTABLISHED,
};

struct flow {
	enum flow_kind kind;
	int sock;
	u32 raddr;		/* the remote as the guest sees it */
	u16 rport, gport;	/* network byte order */
	u64 last_used;		/* ms */

	enum tcp_state state;
	u32 snd_una, snd_nxt;	/* our sequence space */
	u32 rcv_nxt;		/* the guest's */
	u32 snd_wnd;		/* the guest's window */
	u16 mss;		/* the guest's */
	bool host_eof, fin_sent, guest_fin;
	u64 rto_at;		/* 0: no timer */
	unsigned int rto_ms, retries;
	u8 *buf;		/* to the guest; buf[0] is at snd_una */
	u32 buf_len;
	u8 *hbuf;		/* from the guest, to the host socket */
	u32 hbuf_len;
	u32 wnd_sent;		/* the window our last segment advertised */
};

struct user_net {
	int fd;			/* frames to and from virtio-net */
	u32 gw, guest;		/* network byte order */
	u8 gw_mac[ETH_ALEN], guest_mac[ETH_ALEN];
	u16 ip_id;
	struct flow flows[USER_MAX_FLOWS];
	struct pollfd pfd[USER_MAX_FLOWS + 1];
	u8 in[NET_MAX_TSO_FRAME];
	u8 out[FRAME_MAX];
};

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static u16 get16(const u8 *p)
{
	return p[0] << 8 | p[1];
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* RFC 1071: the one's complement sum, folded and complemented at the end. */
static u32 csum_add(u32 sum, const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static u16 csum_fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* The TCP/UDP pseudo-header (RFC 793, 768) for a segment to the guest. */
static u32 pseudo_sum(struct user_net *u, u32 src, u8 proto, size_t len)
{
	u8 ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &u->guest, 4);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, len);
	return csum_add(0, ph, sizeof(ph));
}

/* Frames to the guest: a full socket pair drops one, as a wire would. */
static void send_frame(struct user_net *u, const u8 *dst, u16 type,
		       size_t len)
{
	memcpy(u->out, dst, ETH_ALEN);
	memcpy(u->out + 6, u->gw_mac, ETH_ALEN);
	put16(u->out + 12, type);
	if (write(u->fd, u->out, ETH_HLEN + len) < 0 && errno != EAGAIN)
		pr_err("user network: cannot pass a frame to the guest: %s",
		       strerror(errno));
}

/* Sends the IPv4 packet whose payload is already at out + 34. */
static void send_ip(struct user_net *u, u32 src, u8 proto, size_t len)
{
	u8 *ip = u->out + ETH_HLEN;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, IP_HLEN + len);
	put16(ip + 4, u->ip_id++);
	put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &u->guest, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
	send_frame(u, u->guest_mac, ETH_P_IP, IP_HLEN + len);
}

static u8 *l4_out(struct user_net *u)
{
	return u->out + ETH_HLEN + IP_HLEN;
}

/* --- ARP and ICMP --- */

/* RFC 826: the gateway answers for every address but the guest's. */
static void arp_in(struct user_net *u, const u8 *a, size_t len)
{
	u8 *r = u->out + ETH_HLEN;

	if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_P_IP ||
	    a[4] != ETH_ALEN || a[5] != 4 || get16(a + 6) != 1 ||
	    !memcmp(a + 24, &u->guest, 4))
		return;
	memcpy(r, a, 8);
	put16(r + 6, 2);			/* reply */
	memcpy(r + 8, u->gw_mac, ETH_ALEN);
	memcpy(r + 14, a + 24, 4);		/* the address asked for */
	memcpy(r + 18, a + 8, 10);		/* the asker's MAC and IP */
	send_frame(u, a + 8, ETH_P_ARP, 28);
}

/* RFC 792 echo to the gateway; other destinations are not reachable. */
static void icmp_in(struct user_net *u, u32 dst, const u8 *p, size_t len)
{
	u8 *r = l4_out(u);

	if (dst != u->gw || len < 8 || p[0] != 8 ||
	    len > FRAME_MAX - ETH_HLEN - IP_HLEN)
		return;
	memcpy(r, p, len);
	r[0] = 0;				/* echo reply */
	put16(r + 2, 0);
	put16(r + 2, csum_fold(csum_add(0, r, len)));
	send_ip(u, dst, IPPROTO_ICMP, len);
}

/* --- flows --- */

/* Where a flow to @raddr goes on the host: the gateway is the host itself. */
static struct sockaddr_in host_addr(struct user_net *u, u32 raddr, u16 rport)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = rport };

	sa.sin_addr.s_addr = raddr == u->gw ? htonl(INADDR_LOOPBACK) : raddr;
	return sa;
}

static struct flow *flow_find(struct user_net *u, enum flow_kind kind,
			      u32 raddr, u16 rport, u16 gport)
{
	unsigned int i;

	for (i = 0; i < USER_MAX_FLOWS; i++) {
		struct flow *f = &u->flows[i];

		if (f->kind == kind && f->raddr == raddr && f->rport == rport &&
		    f->gport == gport)
			return f;
	}
	return NULL;
}

/* A new flow with a non-blocking socket connecting to its remote. */
static struct flow *flow_new(struct user_net *u, enum flow_kind kind,
			     u32 raddr, u16 rport, u16 gport)
{
	struct sockaddr_in sa = host_addr(u, raddr, rport);
	struct flow *f = flow_find(u, FLOW_FREE, 0, 0, 0);
	int type = kind == FLOW_TCP ? SOCK_STREAM : SOCK_DGRAM;

	if (!f)
		return NULL;
	f->sock = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->sock < 0)
		return NULL;
	if (connect(f->sock, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS) {
		close(f->sock);
		return NULL;
	}
	f->kind = kind;
	f->raddr = raddr;
	f->rport = rport;
	f->gport = gport;
	f->last_used = now_ms();
	return f;
}

static void flow_free(struct flow *f)
{
	close(f->sock);
	free(f->buf);
	free(f->hbuf);
	memset(f, 0, sizeof(*f));
}

/* --- UDP --- */

static void udp_in(struct user_net *u, u32 dst, const u8 *p, size_t len)
{
	struct flow *f;
	u16 gport, rport;
	size_t ulen;

	if (len < UDP_HLEN)
		return;
	ulen = get16(p + 4);
	if (ulen < UDP_HLEN || ulen > len)
		return;
	memcpy(&gport, p, 2);
	memcpy(&rport, p + 2, 2);
	f = flow_find(u, FLOW_UDP, dst, rport, gport);
	if (!f)
		f = flow_new(u, FLOW_UDP, dst, rport, gport);
	if (!f)
		return;
	f->last_used = now_ms();
	send(f->sock, p + UDP_HLEN, ulen - UDP_HLEN, MSG_DONTWAIT);
}

/* A datagram from the host side of @f, to the guest. */
static void udp_out(struct user_net *u, struct flow *f)
{
	u8 *p = l4_out(u);
	size_t max = FRAME_MAX - ETH_HLEN - IP_HLEN - UDP_HLEN;
	ssize_t n = recv(f->sock, p + UDP_HLEN, max, MSG_DONTWAIT | MSG_TRUNC);

	/* No fragments: a datagram larger than the MTU is dropped. */
	if (n < 0 || (size_t)n > max)
		return;
	f->last_used = now_ms();
	memcpy(p, &f->rport, 2);
	memcpy(p + 2, &f->gport, 2);
	put16(p + 4, UDP_HLEN + n);
	put16(p + 6, 0);
	put16(p + 6, csum_fold(csum_add(pseudo_sum(u, f->raddr, IPPROTO_UDP,
						   UDP_HLEN + n),
					p, UDP_HLEN + n)) ?: 0xffff);
	send_ip(u, f->raddr, IPPROTO_UDP, UDP_HLEN + n);
}

/* --- TCP --- */

/* A segment to the guest with @len bytes of data already in place. */
static void tcp_send(struct user_net *u, struct flow *f, u32 seq, u8 flags,
		     size_t len)
{
	u8 *t = l4_out(u);
	size_t hlen = TCP_HLEN + (flags & TCP_SYN ? 4 : 0);

	memmove(t + hlen, t + TCP_HLEN, len);
	memcpy(t, &f->rport, 2);
	memcpy(t + 2, &f->gport, 2);
	put32(t + 4, seq);
	put32(t + 8, flags & TCP_ACK ? f->rcv_nxt : 0);
	t[12] = hlen / 4 << 4;
	t[13] = flags;
	f->wnd_sent = TCP_BUF - f->hbuf_len;
	if (f->wnd_sent > TCP_MAX_WINDOW)
		f->wnd_sent = TCP_MAX_WINDOW;
	put16(t + 14, f->wnd_sent);
	put32(t + 16, 0);		/* checksum, urgent pointer */
	if (flags & TCP_SYN) {		/* RFC 879: our MSS */
		t[20] = 2;
		t[21] = 4;
		put16(t + 22, TCP_MSS);
	}
	put16(t + 16, csum_fold(csum_add(pseudo_sum(u, f->raddr, IPPROTO_TCP,
						    hlen + len),
					 t, hlen + len)));
	send_ip(u, f->raddr, IPPROTO_TCP, hlen + len);
}

/* RFC 793: a reset for a segment that belongs to no connection. */
static void tcp_reset(struct user_net *u, u32 raddr, const u8 *t,
		      size_t dlen)
{
	struct flow tmp = { .raddr = raddr };
	u8 flags = t[13];

	if (flags & TCP_RST)
		return;
	memcpy(&tmp.rport, t + 2, 2);
	memcpy(&tmp.gport, t, 2);
	tmp.rcv_nxt = get32(t + 4) + dlen + !!(flags & TCP_SYN) +
		      !!(flags & TCP_FIN);
	if (flags & TCP_ACK)
		tcp_send(u, &tmp, get32(t + 8), TCP_RST, 0);
	else
		tcp_send(u, &tmp, 0, TCP_RST | TCP_ACK, 0);
}

static void tcp_abort(struct user_net *u, struct flow *f)
{
	tcp_send(u, f, f->snd_nxt, TCP_RST | TCP_ACK, 0);
	flow_free(f);
}

static void arm_rto(struct flow *f)
{
	if (!f->rto_ms)
		f->rto_ms = TCP_RTO_MS;
	f->rto_at = now_ms() + f->rto_ms;
}

/* Sends what the guest's window allows, then our FIN once all is sent. */
static void tcp_push(struct user_net *u, struct flow *f)
{
	u32 inflight, off, seg;

	if (f->state != TCP_ESTABLISHED)
		return;
	for (;;) {
		inflight = f->snd_nxt - f->snd_una;
		off = inflight - f->fin_sent;
		if (f->fin_sent || off >= f->buf_len || inflight >= f->snd_wnd)
			break;
		seg = f->buf_len - off;
		if (seg > f->mss)
			seg = f->mss;
		if (seg > f->snd_wnd - inflight)
			seg = f->snd_wnd - inflight;
		memcpy(l4_out(u) + TCP_HLEN, f->buf + off, seg);
		tcp_send(u, f, f->snd_nxt, TCP_ACK | TCP_PSH, seg);
		f->snd_nxt += seg;
		if (!f->rto_at)
			arm_rto(f);
	}
	if (f->host_eof && !f->fin_sent && f->snd_nxt - f->snd_una == f->buf_len) {
		tcp_send(u, f, f->snd_nxt, TCP_FIN | TCP_ACK, 0);
		f->snd_nxt++;
		f->fin_sent = true;
		if (!f->rto_at)
			arm_rto(f);
	}
}

/* The guest acknowledged up to @ack. */
static void tcp_acked(struct flow *f, u32 ack)
{
	u32 acked = ack - f->snd_una, data;

	if (!acked || acked > f->snd_nxt - f->snd_una)
		return;
	if (f->state == TCP_SYN_RECEIVED) {
		f->state = TCP_ESTABLISHED;
		f->snd_una++;
		acked--;
	}
	data = acked < f->buf_len ? acked : f->buf_len;
	memmove(f->buf, f->buf + data, f->buf_len - data);
	f->buf_len -= data;
	f->snd_una += acked;
	f->rto_ms = TCP_RTO_MS;
	f->retries = 0;
	f->rto_at = f->snd_nxt == f->snd_una ? 0 : now_ms() + f->rto_ms;
}

/*
 * Writes what the guest sent to the host socket; once all of it is out
 * after the guest's FIN, so is ours.  Returns false if the flow died.
 */
static bool tcp_flush(struct user_net *u, struct flow *f)
{
	ssize_t n = 0;

	if (f->hbuf_len) {
		n = send(f->sock, f->hbuf, f->hbuf_len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			tcp_abort(u, f);
			return false;
		}
		n = n > 0 ? n : 0;
		memmove(f->hbuf, f->hbuf + n, f->hbuf_len - n);
		f->hbuf_len -= n;
	}
	if (!f->hbuf_len && f->guest_fin)
		shutdown(f->sock, SHUT_WR);
	/* A window that had shrunk below a segment is open again: say so. */
	if (n && f->wnd_sent < f->mss)
		tcp_send(u, f, f->snd_nxt, TCP_ACK, 0);
	return true;
}

/*
 * In-order data and FIN from the guest, as far as the buffer takes them;
 * anything else gets a duplicate ACK that says what we expect.
 */
static bool tcp_data(struct user_net *u, struct flow *f, u32 seq,
		     const u8 *data, size_t dlen, bool fin)
{
	size_t take = TCP_BUF - f->hbuf_len;

	if (!dlen && !fin)
		return true;
	if (seq == f->rcv_nxt && !f->guest_fin) {
		take = dlen < take ? dlen : take;
		memcpy(f->hbuf + f->hbuf_len, data, take);
		f->hbuf_len += take;
		f->rcv_nxt += take;
		if (fin && take == dlen) {
			f->guest_fin = true;
			f->rcv_nxt++;
		}
		if (!tcp_flush(u, f))
			return false;
	}
	tcp_send(u, f, f->snd_nxt, TCP_ACK, 0);
	return true;
}

/* RFC 879: the guest's MSS option, if any; 536 otherwise. */
static u16 tcp_mss_option(const u8 *t, size_t hlen)
{
	size_t i = TCP_HLEN;

	while (i < hlen && t[i] != 0) {
		if (t[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || t[i + 1] < 2 || i + t[i + 1] > hlen)
			break;
		if (t[i] == 2 && t[i + 1] == 4 && get16(t + i + 2) >= 64)
			return get16(t + i + 2) < TCP_MSS ? get16(t + i + 2) :
							    TCP_MSS;
		i += t[i + 1];
	}
	return 536;
}

static void tcp_syn(struct user_net *u, u32 dst, const u8 *t, size_t hlen)
{
	struct flow *f;
	u16 rport, gport;

	memcpy(&gport, t, 2);
	memcpy(&rport, t + 2, 2);
	f = flow_new(u, FLOW_TCP, dst, rport, gport);
	if (!f) {
		tcp_reset(u, dst, t, 0);
		return;
	}
	f->buf = malloc(TCP_BUF);
	f->hbuf = malloc(TCP_BUF);
	if (!f->buf || !f->hbuf) {
		flow_free(f);
		tcp_reset(u, dst, t, 0);
		return;
	}
	f->state = TCP_CONNECTING;
	f->rcv_nxt = get32(t + 4) + 1;
	getrandom(&f->snd_una, sizeof(f->snd_una), 0);
	f->snd_nxt = f->snd_una;
	f->snd_wnd = get16(t + 14);
	f->mss = tcp_mss_option(t, hlen);
}

static void tcp_in(struct user_net *u, u32 dst, const u8 *t, size_t len)
{
	size_t hlen;
	struct flow *f;
	u16 rport, gport;
	u8 flags;

	if (len < TCP_HLEN)
		return;
	hlen = (t[12] >> 4) * 4;
	if (hlen < TCP_HLEN || hlen > len)
		return;
	flags = t[13];
	memcpy(&gport, t, 2);
	memcpy(&rport, t + 2, 2);
	f = flow_find(u, FLOW_TCP, dst, rport, gport);
	if (!f) {
		if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN)
			tcp_syn(u, dst, t, hlen);
		else
			tcp_reset(u, dst, t, len - hlen);
		return;
	}
	if (flags & TCP_RST) {
		flow_free(f);
		return;
	}
	/*
	 * A repeated SYN while connecting is answered once connected, and
	 * one after our SYN-ACK by the retransmission timer.  A SYN on an
	 * established flow is a new connection from a port the guest
	 * reused, whose end of the old one we missed: the old one goes.
	 */
	if ((flags & TCP_SYN) && !(flags & TCP_ACK) &&
	    f->state == TCP_ESTABLISHED) {
		flow_free(f);
		tcp_syn(u, dst, t, hlen);
		return;
	}
	if (f->state == TCP_CONNECTING || (flags & TCP_SYN))
		return;
	f->last_used = now_ms();
	f->snd_wnd = get16(t + 14);
	if (flags & TCP_ACK)
		tcp_acked(f, get32(t + 8));
	if (f->state == TCP_ESTABLISHED &&
	    !tcp_data(u, f, get32(t + 4), t + hlen, len - hlen,
		      flags & TCP_FIN))
		return;
	if (f->guest_fin && !f->hbuf_len && f->fin_sent &&
	    f->snd_una == f->snd_nxt) {
		flow_free(f);
		return;
	}
	tcp_push(u, f);
}

/* The host connect() finished: SYN-ACK, or a reset if it failed. */
static void tcp_connected(struct user_net *u, struct flow *f)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(f->sock, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		tcp_send(u, f, 0, TCP_RST | TCP_ACK, 0);
		flow_free(f);
		return;
	}
	f->state = TCP_SYN_RECEIVED;
	tcp_send(u, f, f->snd_nxt, TCP_SYN | TCP_ACK, 0);
	f->snd_nxt++;
	arm_rto(f);
}

static void tcp_readable(struct user_net *u, struct flow *f)
{
	ssize_t n = recv(f->sock, f->buf + f->buf_len, TCP_BUF - f->buf_len,
			 MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) {
		tcp_abort(u, f);
		return;
	}
	if (!n)
		f->host_eof = true;
	f->buf_len += n;
	tcp_push(u, f);
}

/* RFC 6298 in spirit: go back to the first unacknowledged byte. */
static void tcp_timeout(struct user_net *u, struct flow *f)
{
	if (++f->retries > TCP_MAX_RETRIES) {
		tcp_abort(u, f);
		return;
	}
	f->rto_ms = f->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS :
						    f->rto_ms * 2;
	f->rto_at = now_ms() + f->rto_ms;
	if (f->state == TCP_SYN_RECEIVED) {
		tcp_send(u, f, f->snd_una, TCP_SYN | TCP_ACK, 0);
		return;
	}
	f->snd_nxt = f->snd_una;
	f->fin_sent = false;
	tcp_push(u, f);
}

/* --- the thread --- */

static void ip_in(struct user_net *u, const u8 *ip, size_t len)
{
	size_t hlen, tot;
	u32 dst;

	if (len < IP_HLEN || ip[0] >> 4 != 4)
		return;
	hlen = (ip[0] & 0xf) * 4;
	tot = get16(ip + 2);
	/* No fragments, and only from the guest's own address. */
	if (hlen < IP_HLEN || tot < hlen || tot > len ||
	    (get16(ip + 6) & 0x3fff) || memcmp(ip + 12, &u->guest, 4))
		return;
	memcpy(&dst, ip + 16, 4);
	/* Multicast and broadcast stay on the guest's side. */
	if (ip[16] >= 224)
		return;
	switch (ip[9]) {
	case IPPROTO_ICMP:
		icmp_in(u, dst, ip + hlen, tot - hlen);
		break;
	case IPPROTO_UDP:
		udp_in(u, dst, ip + hlen, tot - hlen);
		break;
	case IPPROTO_TCP:
		tcp_in(u, dst, ip + hlen, tot - hlen);
		break;
	}
}

static void frame_in(struct user_net *u, size_t len)
{
	if (len < ETH_HLEN)
		return;
	switch (get16(u->in + 12)) {
	case ETH_P_ARP:
		arp_in(u, u->in + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_P_IP:
		ip_in(u, u->in + ETH_HLEN, len - ETH_HLEN);
		break;
	}
}

/*
 * What each flow's socket waits for.  A full buffer waits for the guest,
 * and a socket with nothing to wait for is not polled at all, so that a
 * hung-up peer does not wake us again and again.
 */
static short flow_events(const struct flow *f)
{
	short ev = 0;

	if (f->kind == FLOW_UDP)
		return POLLIN;
	if (f->state == TCP_CONNECTING)
		return POLLOUT;
	if (f->state == TCP_ESTABLISHED && !f->host_eof && f->buf_len < TCP_BUF)
		ev |= POLLIN;
	if (f->hbuf_len)
		ev |= POLLOUT;
	return ev;
}

/* Fires due timers; returns the poll timeout until the next one. */
static int run_timers(struct user_net *u)
{
	u64 now = now_ms(), next = now + IDLE_POLL_MS;
	unsigned int i;

	for (i = 0; i < USER_MAX_FLOWS; i++) {
		struct flow *f = &u->flows[i];

		if (f->kind == FLOW_UDP && now - f->last_used > UDP_IDLE_MS)
			flow_free(f);
		if (f->kind != FLOW_TCP || !f->rto_at)
			continue;
		if (f->rto_at <= now)
			tcp_timeout(u, f);
		if (f->rto_at < next)
			next = f->rto_at;
	}
	return next - now;
}

static void serve_flow(struct user_net *u, struct flow *f, short revents)
{
	if (f->kind == FLOW_UDP) {
		udp_out(u, f);
		return;
	}
	if (f->state == TCP_CONNECTING) {
		tcp_connected(u, f);
		return;
	}
	if ((revents & (POLLOUT | POLLERR)) && f->hbuf_len && !tcp_flush(u, f))
		return;
	if ((revents & (POLLIN | POLLHUP | POLLERR)) &&
	    (flow_events(f) & POLLIN))
		tcp_readable(u, f);
}

static void *user_thread(void *arg)
{
	struct user_net *u = arg;
	unsigned int i;
	ssize_t n;
	int timeout;

	for (;;) {
		timeout = run_timers(u);
		u->pfd[0] = (struct pollfd) { .fd = u->fd, .events = POLLIN };
		for (i = 0; i < USER_MAX_FLOWS; i++) {
			struct flow *f = &u->flows[i];
			short ev = f->kind ? flow_events(f) : 0;

			u->pfd[i + 1] = (struct pollfd) {
				.fd = ev ? f->sock : -1, .events = ev,
			};
		}
		if (poll(u->pfd, USER_MAX_FLOWS + 1, timeout) < 0 &&
		    errno != EINTR)
			break;
		if (u->pfd[0].revents & (POLLHUP | POLLERR))
			break;		/* the device is gone */
		if (u->pfd[0].revents & POLLIN) {
			n = read(u->fd, u->in, sizeof(u->in));
			if (n > 0)
				frame_in(u, n);
		}
		for (i = 0; i < USER_MAX_FLOWS; i++)
			if (u->flows[i].kind && u->pfd[i + 1].revents)
				serve_flow(u, &u->flows[i],
					   u->pfd[i + 1].revents);
	}
	return NULL;
}

int net_user_start(const struct net_config *cfg, int fd)
{
	struct user_net *u = calloc(1, sizeof(*u));
	static const u8 gw_mac[ETH_ALEN] = { 0x02, 'l', 'k', 'v', 'm', 0xfe };
	pthread_t thread;
	int ret;

	if (!u)
		return -ENOMEM;
	/* Only user-mode networking opens host sockets after set-up. */
	sandbox_allow(SANDBOX_NET_USER);
	u->fd = fd;
	u->gw = cfg->host_ip.s_addr;
	u->guest = cfg->guest_ip.s_addr;
	memcpy(u->gw_mac, gw_mac, ETH_ALEN);
	memcpy(u->guest_mac, cfg->guest_mac, ETH_ALEN);
	ret = pthread_create(&thread, NULL, user_thread, u);
	if (ret) {
		free(u);
		return -ret;
	}
	pthread_detach(thread);
	return 0;
}
