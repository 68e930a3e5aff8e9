// SPDX-License-Identifier: GPL-2.0
/*
 * Control socket: the request parser and the naming rules shared by the
 * server (control.c) and the clients (cmd-control.c).  Nothing here touches
 * the VM, so a fuzzer links this file with util.c alone.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

/* Exact payload size of each command's request. */
static long request_size(u16 command)
{
	switch (command) {
	case LKVM_CTL_STAT:
	case LKVM_CTL_STOP:
	case LKVM_CTL_PAUSE:
	case LKVM_CTL_RESUME:
		return 0;
	case LKVM_CTL_DEBUG:
		return sizeof(struct lkvm_ctl_debug_req);
	}
	return -1;
}

static u32 parse_payload(const u8 *p, struct ctl_request *req)
{
	struct lkvm_ctl_debug_req d;

	if (req->command != LKVM_CTL_DEBUG)
		return LKVM_CTL_OK;
	memcpy(&d, p, sizeof(d));
	if (le32toh(d.flags) || le32toh(d.max_frames) > LKVM_CTL_MAX_FRAMES)
		return LKVM_CTL_E_INVAL;
	req->max_frames = le32toh(d.max_frames);
	return LKVM_CTL_OK;
}

u32 ctl_parse_request(const void *buf, size_t len, struct ctl_request *req)
{
	struct lkvm_ctl_hdr h;
	u32 length;
	long want;

	if (len < CTL_HDR_SIZE)
		return LKVM_CTL_E_SHORT;
	memcpy(&h, buf, sizeof(h));
	if (le32toh(h.magic) != LKVM_CTL_MAGIC)
		return LKVM_CTL_E_MAGIC;
	if (le16toh(h.version) != LKVM_CTL_VERSION)
		return LKVM_CTL_E_VERSION;
	if (h.status)
		return LKVM_CTL_E_INVAL;
	length = le32toh(h.length);
	if (length > LKVM_CTL_MAX_REQ || len - CTL_HDR_SIZE > length)
		return LKVM_CTL_E_LENGTH;
	if (len - CTL_HDR_SIZE < length)
		return LKVM_CTL_E_SHORT;
	*req = (struct ctl_request) { .command = le16toh(h.command) };
	want = request_size(req->command);
	if (want < 0)
		return LKVM_CTL_E_COMMAND;
	if (length != want)
		return LKVM_CTL_E_LENGTH;
	return parse_payload((const u8 *)buf + CTL_HDR_SIZE, req);
}

u32 ctl_payload_wanted(const void *hdr)
{
	struct lkvm_ctl_hdr h;

	memcpy(&h, hdr, sizeof(h));
	return le32toh(h.length) <= LKVM_CTL_MAX_REQ ? le32toh(h.length) : 0;
}

void ctl_fill_hdr(struct lkvm_ctl_hdr *h, u16 command, u32 status,
		  u32 length)
{
	h->magic = htole32(LKVM_CTL_MAGIC);
	h->version = htole16(LKVM_CTL_VERSION);
	h->command = htole16(command);
	h->status = htole32(status);
	h->length = htole32(length);
}

const char *ctl_status_str(u32 status)
{
	static const char *const str[] = {
		[LKVM_CTL_OK] = "success",
		[LKVM_CTL_E_SHORT] = "truncated request",
		[LKVM_CTL_E_MAGIC] = "not a control request (bad magic)",
		[LKVM_CTL_E_VERSION] = "unsupported protocol version",
		[LKVM_CTL_E_LENGTH] = "bad request length",
		[LKVM_CTL_E_COMMAND] = "unknown command",
		[LKVM_CTL_E_INVAL] = "invalid request field",
		[LKVM_CTL_E_STATE] = "the guest is stopping",
		[LKVM_CTL_E_TIMEOUT] = "the vCPUs did not stop in time",
		[LKVM_CTL_E_PERM] = "permission denied",
		[LKVM_CTL_E_INTERNAL] = "the accelerator failed",
	};

	return status < ARRAY_SIZE(str) ? str[status] : "unknown error";
}

const char *ctl_state_str(u32 state)
{
	switch (state) {
	case LKVM_CTL_RUNNING:
		return "running";
	case LKVM_CTL_PAUSED:
		return "paused";
	case LKVM_CTL_STOPPING:
		return "stopping";
	}
	return "unknown";
}

bool ctl_name_valid(const char *name)
{
	static const char allowed[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t len = strlen(name);

	return len && len < LKVM_CTL_NAME_MAX && strspn(name, allowed) == len;
}

static int base_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	struct passwd *pw;
	int n;

	if (xdg && *xdg) {
		n = snprintf(buf, size, "%s/lkvm", xdg);
	} else {
		if (!home || !*home) {
			pw = getpwuid(geteuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home) {
			pr_err("control socket: neither XDG_RUNTIME_DIR nor a home directory is known");
			return -ENOENT;
		}
		n = snprintf(buf, size, "%s/.lkvm", home);
	}
	if (n < 0 || (size_t)n >= size) {
		pr_err("control socket directory name is too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

int ctl_sock_dir(char *buf, size_t size, bool create)
{
	struct stat st;
	int ret = base_dir(buf, size);

	if (ret)
		return ret;
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST) {
		pr_err("cannot create %s: %s", buf, strerror(errno));
		return -errno;
	}
	if (lstat(buf, &st) < 0) {
		if (errno != ENOENT || create)
			pr_err("%s: %s", buf, strerror(errno));
		return -errno;
	}
	/* Others must not be able to plant or replace our sockets. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		pr_err("%s: not a directory of user %u writable only by it",
		       buf, (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

int ctl_sock_path(const char *dir, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s.sock", dir, name);

	if (n < 0 || (size_t)n >= size) {
		pr_err("control socket path %s/%s.sock is too long (at most %zu bytes)",
		       dir, name, size - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

int ctl_lock_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int ctl_probe(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* EAGAIN: the listen backlog is full, so somebody is there. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EAGAIN)
		ret = -errno;
	close(fd);
	return ret;
}
