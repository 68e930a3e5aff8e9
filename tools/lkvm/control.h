/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket (include/uapi/linux/lkvm.h, Documentation/control.rst).
 * lkvm run serves it (control.c); lkvm list/stop/pause/resume/debug/stat
 * are its clients (cmd-control.c); control-proto.c holds what both share and
 * the request parser, which depends on nothing else so that fuzzers can link
 * it alone.
 */
#ifndef LKVM_CONTROL_H
#define LKVM_CONTROL_H

#include <linux/lkvm.h>

#include "util.h"

struct vm;
struct vcpu;

#define CTL_HDR_SIZE	sizeof(struct lkvm_ctl_hdr)

/* A request that ctl_parse_request() accepted, in host byte order. */
struct ctl_request {
	u16 command;		/* enum lkvm_ctl_cmd */
	u32 max_frames;		/* LKVM_CTL_DEBUG */
};

/*
 * Parses one whole request: @len bytes at @buf are everything the client
 * sent (header and payload).  Returns LKVM_CTL_OK with *req filled in, or
 * the enum lkvm_ctl_status that the response must carry.
 */
u32 ctl_parse_request(const void *buf, size_t len, struct ctl_request *req);

/*
 * How many payload bytes a server reads after the header @hdr: its length
 * field, or 0 when that exceeds LKVM_CTL_MAX_REQ (the parser refuses it).
 */
u32 ctl_payload_wanted(const void *hdr);

void ctl_fill_hdr(struct lkvm_ctl_hdr *h, u16 command, u32 status,
		  u32 length);
const char *ctl_status_str(u32 status);
const char *ctl_state_str(u32 state);

/* [A-Za-z0-9._-], 1 to LKVM_CTL_NAME_MAX - 1 bytes. */
bool ctl_name_valid(const char *name);

/*
 * The socket directory: $XDG_RUNTIME_DIR/lkvm or ~/.lkvm.  With @create it
 * is made (mode 0700) when missing; either way it must be a directory of
 * ours.  Returns 0, or -errno with a message printed (none for a missing
 * directory without @create: there are no guests then).
 */
int ctl_sock_dir(char *buf, size_t size, bool create);
/* dir/name.sock; -ENAMETOOLONG (with a message) if it does not fit. */
int ctl_sock_path(const char *dir, const char *name, char *buf, size_t size);
/*
 * Locks the socket directory (flock) so that checking a socket for
 * staleness and taking it over happen as one step.  Returns the fd to
 * close, or -errno.
 */
int ctl_lock_dir(const char *dir);
/*
 * Is a guest listening on @path?  0: yes (or busy); -ECONNREFUSED: a stale
 * socket of a dead guest; -ENOENT: nothing there; other -errno.
 */
int ctl_probe(const char *path);

/* Server, in lkvm run. */
/* Claims name.sock (default guest-<pid>; name already valid) and serves it. */
int control_init(struct vm *vm, const char *name);
/*
 * Called by a vCPU thread whose accel_ops->run() returned VCPU_EXIT_STOP:
 * waits while the machine is paused.  Returns true when the vCPU is to run
 * again, false when the machine is stopping.
 */
bool control_park(struct vcpu *vcpu);
/* After the machine stopped: ends the server, removes the socket. */
void control_exit(struct vm *vm);

#endif
