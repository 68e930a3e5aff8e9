// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket server of lkvm run: one thread of its own serves one
 * request per connection with a deadline, so that no client, however slow
 * or malformed its request, can hold up the guest or the main loop.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "control.h"

#define REQUEST_TIMEOUT_MS	1000	/* to receive a whole request */
#define REPLY_TIMEOUT_MS	2000	/* to send a whole response */
#define PAUSE_TIMEOUT_MS	2000	/* for every vCPU to park */
#define LISTEN_BACKLOG		8

#define EFER_LMA		(1ULL << 10)
#define CR4_LA57		(1ULL << 12)
#define PTE_PRESENT		(1ULL << 0)
#define PTE_LARGE		(1ULL << 7)
#define PTE_ADDR		0x000ffffffffff000ULL

struct control {
	int listen_fd;
	int wake_fd;		/* eventfd: control_exit() ends the thread */
	pthread_t thread;
	bool started;
	char name[LKVM_CTL_NAME_MAX];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;		/* of our socket file: never unlink another's */
	ino_t ino;
	struct timespec start;

	pthread_mutex_t lock;	/* parked, and the wait on it */
	pthread_cond_t cond;
	unsigned int parked;	/* vCPU threads inside control_park() */
};

static struct control ctl = {
	.listen_fd = -1,
	.wake_fd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline; false on timeout or error. */
static bool wait_fd(int fd, short events, u64 deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	u64 now;
	int n;

	for (;;) {
		now = now_ms();
		if (now >= deadline)
			return false;
		n = poll(&pfd, 1, deadline - now);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* Reads up to @len bytes before @deadline; returns how many arrived. */
static size_t read_until(int fd, u8 *buf, size_t len, u64 deadline)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = recv(fd, buf + done, len - done, MSG_DONTWAIT);
		if (n > 0) {
			done += n;
			continue;
		}
		if (!n || (errno != EAGAIN && errno != EINTR) ||
		    !wait_fd(fd, POLLIN, deadline))
			break;
	}
	return done;
}

static void send_until(int fd, struct iovec *iov, int iovcnt, u64 deadline)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = iovcnt };
	ssize_t n;

	while (msg.msg_iovlen) {
		n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if ((errno != EAGAIN && errno != EINTR) ||
			    !wait_fd(fd, POLLOUT, deadline))
				return;
			continue;
		}
		while (msg.msg_iovlen && (size_t)n >= msg.msg_iov->iov_len) {
			n -= msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (u8 *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= n;
		}
	}
}

static void reply(int fd, u16 command, u32 status, const void *payload,
		  u32 len)
{
	struct lkvm_ctl_hdr h;
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};

	ctl_fill_hdr(&h, command, status, len);
	send_until(fd, iov, len ? 2 : 1, now_ms() + REPLY_TIMEOUT_MS);
}

/* Pause: every vCPU thread leaves run() and waits in control_park(). */

bool control_park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&ctl.lock);
	ctl.parked++;
	pthread_cond_broadcast(&ctl.cond);
	while (atomic_load(&vm->pause_req) && !vm_stopped(vm))
		pthread_cond_wait(&ctl.cond, &ctl.lock);
	ctl.parked--;
	pthread_mutex_unlock(&ctl.lock);
	return !vm_stopped(vm);
}

static void resume_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&ctl.lock);
	atomic_store(&vm->pause_req, false);
	pthread_cond_broadcast(&ctl.cond);
	pthread_mutex_unlock(&ctl.lock);
}

/* Waits in short slices: a stop must end the wait without a wakeup. */
static bool wait_all_parked(struct vm *vm, u64 deadline)
{
	bool done;

	pthread_mutex_lock(&ctl.lock);
	while (!(done = ctl.parked == vm->nr_vcpus) && !vm_stopped(vm) &&
	       now_ms() < deadline) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&ctl.cond, &ctl.lock, &ts);
	}
	pthread_mutex_unlock(&ctl.lock);
	return done;
}

static u32 pause_vcpus(struct vm *vm)
{
	unsigned int i;

	if (vm_stopped(vm))
		return LKVM_CTL_E_STATE;
	atomic_store(&vm->pause_req, true);
	for (i = 0; i < vm->nr_vcpus; i++)
		vm->accel_ops->kick(&vm->vcpus[i]);
	if (wait_all_parked(vm, now_ms() + PAUSE_TIMEOUT_MS))
		return LKVM_CTL_OK;
	resume_vcpus(vm);
	return vm_stopped(vm) ? LKVM_CTL_E_STATE : LKVM_CTL_E_TIMEOUT;
}

static bool is_paused(struct vm *vm)
{
	return atomic_load(&vm->pause_req);
}

/* Debug: registers and a frame-pointer walk of each vCPU's stack. */

static bool read_guest_u64(struct vm *vm, u64 gpa, u64 *val)
{
	void *p = gpa_to_hva(vm, gpa, sizeof(*val));

	if (!p)
		return false;
	/* The guest may be writing it; any value is as good as another. */
	memcpy(val, p, sizeof(*val));
	return true;
}

/*
 * Guest-virtual to guest-physical through the guest's 4- or 5-level page
 * tables.  The walk has a fixed number of steps, so tables that point at
 * themselves cannot loop it.
 */
static bool gva_to_gpa(struct vm *vm, const struct kvm_sregs *s, u64 gva,
		       u64 *gpa)
{
	int level = (s->cr4 & CR4_LA57) ? 5 : 4;
	u64 table = s->cr3 & PTE_ADDR;
	u64 pte, mask;

	for (; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);

		if (!read_guest_u64(vm, table + ((gva >> shift) & 511) * 8,
				    &pte) || !(pte & PTE_PRESENT))
			return false;
		if (level == 1 || (level <= 3 && (pte & PTE_LARGE))) {
			mask = (1ULL << shift) - 1;
			*gpa = ((pte & PTE_ADDR) & ~mask) | (gva & mask);
			return true;
		}
		table = pte & PTE_ADDR;
	}
	return false;
}

static bool read_gva_u64(struct vm *vm, const struct kvm_sregs *s, u64 gva,
			 u64 *val)
{
	u64 gpa;

	return gva_to_gpa(vm, s, gva, &gpa) && read_guest_u64(vm, gpa, val);
}

/*
 * frames[0] is rip; each frame record at rbp holds the caller's rbp and the
 * return address.  Frame pointers must rise strictly, which ends any loop.
 */
static u32 walk_stack(struct vm *vm, const struct kvm_regs *r,
		      const struct kvm_sregs *s, u32 max, __le64 *frames,
		      u32 *nr)
{
	u64 fp = r->rbp, next, ret;

	*nr = 0;
	if (!max)
		return LKVM_CTL_WALK_LIMIT;
	frames[(*nr)++] = htole64(r->rip);
	if (!(s->efer & EFER_LMA))
		return LKVM_CTL_WALK_NO_PAGING;
	for (;;) {
		if (!fp)
			return LKVM_CTL_WALK_DONE;
		if (*nr >= max)
			return LKVM_CTL_WALK_LIMIT;
		if ((fp & 7) || fp > UINT64_MAX - 16)
			return LKVM_CTL_WALK_BAD_FP;
		if (!read_gva_u64(vm, s, fp, &next) ||
		    !read_gva_u64(vm, s, fp + 8, &ret))
			return LKVM_CTL_WALK_UNMAPPED;
		frames[(*nr)++] = htole64(ret);
		if (next && next <= fp)
			return LKVM_CTL_WALK_BAD_FP;
		fp = next;
	}
}

static struct lkvm_ctl_seg seg_out(const struct kvm_segment *k)
{
	return (struct lkvm_ctl_seg) {
		.base = htole64(k->base),
		.limit = htole32(k->limit),
		.selector = htole16(k->selector),
		.attrib = htole16(k->type | k->s << 4 | k->dpl << 5 |
				  k->present << 7 | k->avl << 12 | k->l << 13 |
				  k->db << 14 | k->g << 15),
	};
}

static struct lkvm_ctl_dtable dtable_out(const struct kvm_dtable *k)
{
	return (struct lkvm_ctl_dtable) {
		.base = htole64(k->base),
		.limit = htole16(k->limit),
	};
}

static void regs_out(struct lkvm_ctl_vcpu *o, const struct kvm_regs *r,
		     const struct kvm_sregs *s)
{
	const u64 gpr[16] = {
		r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
	};
	const struct kvm_segment *segs[LKVM_CTL_NR_SEGS] = {
		[LKVM_CTL_CS] = &s->cs, [LKVM_CTL_DS] = &s->ds,
		[LKVM_CTL_ES] = &s->es, [LKVM_CTL_FS] = &s->fs,
		[LKVM_CTL_GS] = &s->gs, [LKVM_CTL_SS] = &s->ss,
		[LKVM_CTL_TR] = &s->tr, [LKVM_CTL_LDT] = &s->ldt,
	};
	unsigned int i;

	for (i = 0; i < 16; i++)
		o->gpr[i] = htole64(gpr[i]);
	for (i = 0; i < LKVM_CTL_NR_SEGS; i++)
		o->seg[i] = seg_out(segs[i]);
	o->rip = htole64(r->rip);
	o->rflags = htole64(r->rflags);
	o->cr0 = htole64(s->cr0);
	o->cr2 = htole64(s->cr2);
	o->cr3 = htole64(s->cr3);
	o->cr4 = htole64(s->cr4);
	o->cr8 = htole64(s->cr8);
	o->efer = htole64(s->efer);
	o->apic_base = htole64(s->apic_base);
	o->gdt = dtable_out(&s->gdt);
	o->idt = dtable_out(&s->idt);
}

static u32 debug_vcpu(struct vcpu *vcpu, u32 max_frames,
		      struct lkvm_ctl_vcpu *o)
{
	const struct accel_ops *ops = vcpu->vm->accel_ops;
	struct kvm_sregs s;
	struct kvm_regs r;
	u32 nr;

	if (ops->get_regs(vcpu, &r) || ops->get_sregs(vcpu, &s))
		return LKVM_CTL_E_INTERNAL;
	regs_out(o, &r, &s);
	o->id = htole32(vcpu->id);
	o->walk_end = htole32(walk_stack(vcpu->vm, &r, &s, max_frames,
					 o->frames, &nr));
	o->nr_frames = htole32(nr);
	return LKVM_CTL_OK;
}

/* Pauses for the moment it takes, unless the guest is paused already. */
static void do_debug(int fd, struct vm *vm, u32 max_frames)
{
	struct lkvm_ctl_debug *d;
	struct lkvm_ctl_vcpu *v;
	bool paused = is_paused(vm);
	size_t size = sizeof(*d) + vm->nr_vcpus * sizeof(*v);
	u32 status = LKVM_CTL_OK;
	unsigned int i;

	d = calloc(1, size);
	if (!d) {
		reply(fd, LKVM_CTL_DEBUG, LKVM_CTL_E_INTERNAL, NULL, 0);
		return;
	}
	if (!paused)
		status = pause_vcpus(vm);
	v = (struct lkvm_ctl_vcpu *)(d + 1);
	for (i = 0; i < vm->nr_vcpus && status == LKVM_CTL_OK; i++)
		status = debug_vcpu(&vm->vcpus[i], max_frames, &v[i]);
	if (!paused)
		resume_vcpus(vm);
	d->nr_vcpus = htole32(vm->nr_vcpus);
	d->vcpu_size = htole32(sizeof(*v));
	if (status == LKVM_CTL_OK)
		reply(fd, LKVM_CTL_DEBUG, status, d, size);
	else
		reply(fd, LKVM_CTL_DEBUG, status, NULL, 0);
	free(d);
}

static void do_stat(int fd, struct vm *vm)
{
	struct lkvm_ctl_stat st = { 0 };
	struct timespec now;
	u64 ns;
	u32 state = vm_stopped(vm) ? LKVM_CTL_STOPPING :
		    is_paused(vm) ? LKVM_CTL_PAUSED : LKVM_CTL_RUNNING;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (now.tv_sec - ctl.start.tv_sec) * 1000000000ULL +
	     now.tv_nsec - ctl.start.tv_nsec;
	st.pid = htole32(getpid());
	st.state = htole32(state);
	st.nr_vcpus = htole32(vm->nr_vcpus);
	st.ram_bytes = htole64(vm->ram_size);
	st.uptime_ns = htole64(ns);
	strcpy(st.name, ctl.name);
	snprintf(st.accel, sizeof(st.accel), "%s", vm->accel_ops->name);
	reply(fd, LKVM_CTL_STAT, LKVM_CTL_OK, &st, sizeof(st));
}

static void do_stop(int fd, struct vm *vm)
{
	vm_stop(vm, VM_STOP_CONTROL, 0);
	/* Only when this stop came first: a guest exit has its own say. */
	if (atomic_load(&vm->stop_reason) == VM_STOP_CONTROL)
		pr_err("stopped by lkvm stop");
	reply(fd, LKVM_CTL_STOP, LKVM_CTL_OK, NULL, 0);
}

static void dispatch(int fd, struct vm *vm, const struct ctl_request *req)
{
	u32 status;

	switch (req->command) {
	case LKVM_CTL_STAT:
		do_stat(fd, vm);
		return;
	case LKVM_CTL_STOP:
		do_stop(fd, vm);
		return;
	case LKVM_CTL_DEBUG:
		do_debug(fd, vm, req->max_frames);
		return;
	case LKVM_CTL_PAUSE:
		status = is_paused(vm) ? LKVM_CTL_OK : pause_vcpus(vm);
		break;
	default:	/* LKVM_CTL_RESUME */
		status = vm_stopped(vm) ? LKVM_CTL_E_STATE : LKVM_CTL_OK;
		if (status == LKVM_CTL_OK)
			resume_vcpus(vm);
		break;
	}
	reply(fd, req->command, status, NULL, 0);
}

/* Root and lkvm's own user may drive it; the directory is 0700 anyway. */
static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void serve_one(struct vm *vm, int fd)
{
	u8 buf[CTL_HDR_SIZE + LKVM_CTL_MAX_REQ];
	u64 deadline = now_ms() + REQUEST_TIMEOUT_MS;
	struct ctl_request req;
	struct lkvm_ctl_hdr h;
	size_t len;
	u32 status;

	if (!peer_allowed(fd)) {
		reply(fd, 0, LKVM_CTL_E_PERM, NULL, 0);
		return;
	}
	len = read_until(fd, buf, CTL_HDR_SIZE, deadline);
	if (len == CTL_HDR_SIZE)
		len += read_until(fd, buf + len, ctl_payload_wanted(buf),
				  deadline);
	status = ctl_parse_request(buf, len, &req);
	if (status == LKVM_CTL_OK) {
		dispatch(fd, vm, &req);
		return;
	}
	/* Echo the command field when there is one, as for any response. */
	memset(&h, 0, sizeof(h));
	memcpy(&h, buf, len < sizeof(h) ? len : sizeof(h));
	reply(fd, len >= sizeof(h) ? le16toh(h.command) : 0, status, NULL, 0);
}

static void accept_one(struct vm *vm)
{
	int fd = accept4(ctl.listen_fd, NULL, NULL,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct timespec backoff = { .tv_nsec = 10 * 1000 * 1000 };

	if (fd < 0) {
		/* Out of descriptors: the backlog stays readable, so breathe. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
		    errno == ENOBUFS)
			nanosleep(&backoff, NULL);
		return;
	}
	serve_one(vm, fd);
	close(fd);
}

/* Removes the socket file, unless it is no longer ours. */
static void remove_socket(void)
{
	struct stat st;

	if (ctl.path[0] && !lstat(ctl.path, &st) && st.st_dev == ctl.dev &&
	    st.st_ino == ctl.ino)
		unlink(ctl.path);
	ctl.path[0] = '\0';
}

static void *control_thread(void *arg)
{
	struct vm *vm = arg;
	struct pollfd fds[2] = {
		{ .fd = ctl.listen_fd, .events = POLLIN },
		{ .fd = ctl.wake_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (fds[0].revents & POLLIN)
			accept_one(vm);
	}
	remove_socket();
	return NULL;
}

/*
 * Binds @fd to ctl.path.  A socket there that nobody listens on is the
 * leftover of a guest that died: it is taken over.
 */
static int bind_or_take_over(int fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int tries, ret;

	strcpy(sa.sun_path, ctl.path);
	for (tries = 0; tries < 3; tries++) {
		if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return 0;
		if (errno != EADDRINUSE)
			break;
		if (lstat(ctl.path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			pr_err("%s exists and is not a socket", ctl.path);
			return -EEXIST;
		}
		ret = ctl_probe(ctl.path);
		if (ret == 0) {
			pr_err("name '%s' is in use by a running guest (%s)",
			       ctl.name, ctl.path);
			return -EADDRINUSE;
		}
		if (ret == -ECONNREFUSED)
			unlink(ctl.path);
	}
	pr_err("cannot bind %s: %s", ctl.path, strerror(errno));
	return -errno;
}

/*
 * The directory lock makes the staleness check and the takeover one step,
 * and covers listen() too, so that no other lkvm sees our socket bound but
 * refusing connections, which would look stale.
 */
static int claim_socket(const char *dir)
{
	int lock, fd, ret;
	struct stat st;

	lock = ctl_lock_dir(dir);
	if (lock < 0) {
		pr_err("cannot lock %s: %s", dir, strerror(-lock));
		return lock;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		pr_err("cannot create the control socket: %s", strerror(errno));
		goto out;
	}
	ret = bind_or_take_over(fd);
	if (!ret && (listen(fd, LISTEN_BACKLOG) < 0 ||
		     stat(ctl.path, &st) < 0)) {
		ret = -errno;
		pr_err("cannot listen on %s: %s", ctl.path, strerror(errno));
		unlink(ctl.path);
	}
	if (ret) {
		close(fd);
		ctl.path[0] = '\0';
		goto out;
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	ret = fd;
out:
	close(lock);
	return ret;
}

int control_init(struct vm *vm, const char *name)
{
	char dir[sizeof(ctl.path)];
	int ret;

	if (name)
		snprintf(ctl.name, sizeof(ctl.name), "%s", name);
	else
		snprintf(ctl.name, sizeof(ctl.name), "guest-%d", getpid());
	ret = ctl_sock_dir(dir, sizeof(dir), true) ?:
	      ctl_sock_path(dir, ctl.name, ctl.path, sizeof(ctl.path));
	if (ret)
		return ret;
	ctl.listen_fd = claim_socket(dir);
	if (ctl.listen_fd < 0)
		return ctl.listen_fd;
	/* Error paths of lkvm run end with exit(): the socket goes too. */
	atexit(remove_socket);
	clock_gettime(CLOCK_MONOTONIC, &ctl.start);
	ctl.wake_fd = eventfd(0, EFD_CLOEXEC);
	ret = ctl.wake_fd < 0 ? errno :
	      pthread_create(&ctl.thread, NULL, control_thread, vm);
	if (ret) {
		pr_err("cannot start the control socket server: %s",
		       strerror(ret));
		return -ret;
	}
	ctl.started = true;
	return 0;
}

void control_exit(struct vm *vm)
{
	u64 one = 1;

	if (!ctl.started)
		return;
	if (write(ctl.wake_fd, &one, sizeof(one)) < 0)
		pr_err("cannot stop the control socket server: %s",
		       strerror(errno));
	pthread_join(ctl.thread, NULL);
	ctl.started = false;
	/* Parked vCPUs see the machine stopped and end. */
	pthread_mutex_lock(&ctl.lock);
	pthread_cond_broadcast(&ctl.cond);
	pthread_mutex_unlock(&ctl.lock);
	close(ctl.listen_fd);
	close(ctl.wake_fd);
}
