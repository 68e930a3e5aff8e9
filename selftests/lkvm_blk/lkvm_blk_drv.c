// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace virtio-blk driver for /dev/lkvm-blk (see lkvm_blk_drv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include "lkvm_blk_drv.h"

#define DRV_AVAIL_OFF	(16UL << 10)
#define DRV_USED_OFF	(20UL << 10)

uint64_t drv_gpa(const struct drv *d, const void *p)
{
	return DRV_GPA_BASE + ((const uint8_t *)p - d->mem);
}

struct drv_slot *drv_slot(const struct drv *d, unsigned int i)
{
	return (struct drv_slot *)(d->mem + DRV_SLOTS_OFF + i * DRV_SLOT_SIZE);
}

int drv_init(struct drv *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = open("/dev/lkvm-blk", O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return -1;
	d->mem = mmap(NULL, DRV_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	d->kick = eventfd(0, EFD_CLOEXEC);
	d->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->mem == MAP_FAILED || d->kick < 0 || d->call < 0 || d->err < 0)
		return -1;
	if (ioctl(d->fd, LKVM_BLK_GET_ID, &d->id) ||
	    ioctl(d->fd, LKVM_BLK_SET_OWNER))
		return -1;
	return 0;
}

int drv_set_mem(struct drv *d, const struct lkvm_blk_mem_region *r,
		unsigned int n)
{
	size_t sz = sizeof(struct lkvm_blk_mem_table) + n * sizeof(*r);
	struct lkvm_blk_mem_table *t = calloc(1, sz);
	int ret;

	t->nregions = n;
	memcpy(t->regions, r, n * sizeof(*r));
	ret = ioctl(d->fd, LKVM_BLK_SET_MEM_TABLE, t);
	free(t);
	return ret;
}

int drv_config_ring(struct drv *d, unsigned int num)
{
	struct lkvm_blk_vring_state s = { .index = 0, .num = num };
	struct lkvm_blk_vring_addr a = { .index = 0 };
	struct lkvm_blk_vring_file f = { .index = 0 };

	d->num = num;
	d->desc = (struct vring_desc *)d->mem;
	d->avail = (struct vring_avail *)(d->mem + DRV_AVAIL_OFF);
	d->used = (struct vring_used *)(d->mem + DRV_USED_OFF);
	memset(d->mem, 0, DRV_SLOTS_OFF);
	d->avail_idx = 0;
	d->used_idx = 0;
	a.desc_gpa = drv_gpa(d, d->desc);
	a.avail_gpa = drv_gpa(d, d->avail);
	a.used_gpa = drv_gpa(d, d->used);
	if (ioctl(d->fd, LKVM_BLK_SET_VRING_NUM, &s) ||
	    ioctl(d->fd, LKVM_BLK_SET_VRING_ADDR, &a))
		return -1;
	s.num = 0;
	if (ioctl(d->fd, LKVM_BLK_SET_VRING_BASE, &s))
		return -1;
	f.fd = d->kick;
	if (ioctl(d->fd, LKVM_BLK_SET_VRING_KICK, &f))
		return -1;
	f.fd = d->call;
	if (ioctl(d->fd, LKVM_BLK_SET_VRING_CALL, &f))
		return -1;
	f.fd = d->err;
	return ioctl(d->fd, LKVM_BLK_SET_VRING_ERR, &f);
}

int drv_set_backend(struct drv *d, int fd, uint32_t flags)
{
	struct lkvm_blk_backend b = { .fd = fd, .flags = flags };

	memcpy(b.serial, "lkvm-selftest-serial", LKVM_BLK_SERIAL_BYTES);
	if (ioctl(d->fd, LKVM_BLK_SET_BACKEND, &b) ||
	    ioctl(d->fd, LKVM_BLK_GET_FEATURES, &d->features))
		return -1;
	return ioctl(d->fd, LKVM_BLK_SET_FEATURES, &d->features);
}

int drv_start(struct drv *d)
{
	uint32_t index = 0;

	return ioctl(d->fd, LKVM_BLK_START, &index);
}

void drv_close(struct drv *d)
{
	if (d->fd < 0)
		return;
	close(d->fd);
	close(d->kick);
	close(d->call);
	close(d->err);
	munmap(d->mem, DRV_MEM_SIZE);
	d->fd = -1;
}

int drv_open(struct drv *d, int backing_fd, unsigned int num)
{
	struct lkvm_blk_mem_region r = { 0 };

	if (drv_init(d))
		return -1;
	r.guest_phys_addr = DRV_GPA_BASE;
	r.memory_size = DRV_MEM_SIZE;
	r.userspace_addr = (uintptr_t)d->mem;
	if (drv_set_mem(d, &r, 1) || drv_set_backend(d, backing_fd, 0) ||
	    drv_config_ring(d, num))
		return -1;
	return drv_start(d);
}

static bool drv_type_writable(uint32_t type)
{
	return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
}

static struct vring_desc drv_desc(uint64_t gpa, uint32_t len, uint16_t flags)
{
	return (struct vring_desc){ .addr = gpa, .len = len, .flags = flags };
}

void drv_queue(struct drv *d, unsigned int slot, uint32_t type,
	       uint64_t sector, uint32_t len)
{
	struct drv_slot *s = drv_slot(d, slot);
	uint16_t data_flags = VRING_DESC_F_NEXT;
	unsigned int n = 0, first = 0;
	struct vring_desc *t;

	s->hdr.type = type;
	s->hdr.ioprio = 0;
	s->hdr.sector = sector;
	s->status = 0xff;
	if (drv_type_writable(type))
		data_flags |= VRING_DESC_F_WRITE;
	if (d->indirect)
		t = (struct vring_desc *)(d->mem + DRV_INDIRECT_OFF +
					  slot * 4096);
	else
		t = d->desc, first = 3 * slot;
	t[first + n++] = drv_desc(drv_gpa(d, &s->hdr), sizeof(s->hdr),
				  VRING_DESC_F_NEXT);
	if (len)
		t[first + n++] = drv_desc(drv_gpa(d, s->data), len, data_flags);
	t[first + n++] = drv_desc(drv_gpa(d, &s->status), 1,
				  VRING_DESC_F_WRITE);
	for (unsigned int i = 0; i + 1 < n; i++)
		t[first + i].next = first + i + 1;
	if (d->indirect)
		d->desc[slot] = drv_desc(drv_gpa(d, t), n * sizeof(*t),
					 VRING_DESC_F_INDIRECT);
	d->avail->ring[d->avail_idx++ % d->num] = d->indirect ? slot : first;
}

void drv_publish_avail(struct drv *d, uint16_t idx)
{
	__atomic_store_n(&d->avail->idx, idx, __ATOMIC_RELEASE);
}

void drv_kick(struct drv *d)
{
	uint64_t one = 1;

	if (write(d->kick, &one, sizeof(one)) != sizeof(one))
		abort();
}

bool drv_kick_needed(struct drv *d, uint16_t old)
{
	/* avail_event is the word after the used ring. */
	uint16_t *event = (uint16_t *)((uint8_t *)d->used +
				       offsetof(struct vring_used, ring) +
				       d->num * sizeof(struct vring_used_elem));

	/* Order it after our store of avail->idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vring_need_event(__atomic_load_n(event, __ATOMIC_RELAXED),
				d->avail_idx, old);
}

int drv_wait(struct drv *d, struct drv_done *done, int ms)
{
	struct pollfd p = { .fd = d->call, .events = POLLIN };
	uint16_t *used_event = &d->avail->ring[d->num];
	uint64_t cnt;

	for (;;) {
		uint16_t idx = __atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE);

		if (idx == d->used_idx) {
			/* EVENT_IDX: signal the next entry; then look again. */
			__atomic_store_n(used_event, d->used_idx,
					 __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			idx = __atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE);
		}
		if (idx != d->used_idx) {
			struct vring_used_elem *e =
				&d->used->ring[d->used_idx++ % d->num];
			unsigned int slot = d->indirect ? e->id : e->id / 3;

			done->head = e->id;
			done->len = e->len;
			done->status = drv_slot(d, slot)->status;
			return 0;
		}
		if (poll(&p, 1, ms) <= 0)
			return -1;
		if (read(d->call, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			return -1;
	}
}

int drv_io(struct drv *d, uint32_t type, uint64_t sector, void *buf,
	   uint32_t len)
{
	struct drv_slot *s = drv_slot(d, 0);
	struct drv_done done;

	if (buf && !drv_type_writable(type))
		memcpy(s->data, buf, len);
	drv_queue(d, 0, type, sector, len);
	drv_publish_avail(d, d->avail_idx);
	drv_kick(d);
	if (drv_wait(d, &done, 10000))
		return -1;
	if (buf && drv_type_writable(type))
		memcpy(buf, s->data, len);
	return done.status;
}

int drv_wait_err(struct drv *d, int ms)
{
	struct pollfd p = { .fd = d->err, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

struct drv_nl_req {
	uint32_t id;
	struct drv_stats *st;
	int found;
};

static uint64_t drv_nl_u64(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u64(tb[attr]) : 0;
}

static uint32_t drv_nl_u32(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u32(tb[attr]) : 0;
}

static int drv_nl_parse(struct nl_msg *msg, void *arg)
{
	struct drv_nl_req *req = arg;
	struct nlattr *tb[LKVM_ATTR_MAX + 1];
	struct drv_stats *st = req->st;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LKVM_ATTR_MAX, NULL))
		return NL_SKIP;
	req->found++;
	if (!st || drv_nl_u32(tb, LKVM_ATTR_ID) != req->id)
		return NL_OK;
	st->id = drv_nl_u32(tb, LKVM_ATTR_ID);
	st->owner_pid = drv_nl_u32(tb, LKVM_ATTR_OWNER_PID);
	st->state = drv_nl_u32(tb, LKVM_ATTR_QUEUE_STATE);
	st->error = drv_nl_u32(tb, LKVM_ATTR_QUEUE_ERROR);
	st->inflight = drv_nl_u32(tb, LKVM_ATTR_INFLIGHT);
	st->last_avail = drv_nl_u32(tb, LKVM_ATTR_LAST_AVAIL);
	st->capacity = drv_nl_u64(tb, LKVM_ATTR_CAPACITY);
	st->requests = drv_nl_u64(tb, LKVM_ATTR_REQUESTS);
	st->read_bytes = drv_nl_u64(tb, LKVM_ATTR_READ_BYTES);
	st->write_bytes = drv_nl_u64(tb, LKVM_ATTR_WRITE_BYTES);
	st->errors = drv_nl_u64(tb, LKVM_ATTR_ERRORS);
	st->ring_errors = drv_nl_u64(tb, LKVM_ATTR_RING_ERRORS);
	st->flushes = drv_nl_u64(tb, LKVM_ATTR_FLUSHES);
	return NL_OK;
}

/* One GET_INSTANCE request: for @req->id, or a dump when @dump is set. */
static int drv_nl_query(struct drv_nl_req *req, bool dump)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int family, ret;

	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret)
		goto out;
	family = genl_ctrl_resolve(sk, LKVM_GENL_NAME);
	if (family < 0) {
		ret = family;
		goto out;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, drv_nl_parse, req);
	msg = nlmsg_alloc();
	if (!msg) {
		ret = -NLE_NOMEM;
		goto out;
	}
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
		    dump ? NLM_F_DUMP : 0, LKVM_CMD_GET_INSTANCE,
		    LKVM_GENL_VERSION);
	if (!dump)
		nla_put_u32(msg, LKVM_ATTR_ID, req->id);
	ret = nl_send_auto(sk, msg);
	if (ret >= 0)
		ret = nl_recvmsgs_default(sk);
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	if (ret == -NLE_OBJ_NOTFOUND)
		return -ENOENT;
	return ret < 0 ? -EIO : 0;
}

int drv_stats(uint32_t id, struct drv_stats *st)
{
	struct drv_nl_req req = { .id = id, .st = st };
	int ret;

	memset(st, 0, sizeof(*st));
	ret = drv_nl_query(&req, false);
	if (ret)
		return ret;
	return req.found ? 0 : -ENOENT;
}

int drv_count_instances(void)
{
	struct drv_nl_req req = { 0 };
	int ret = drv_nl_query(&req, true);

	return ret ? ret : req.found;
}
