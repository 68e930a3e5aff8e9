/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkvm run's sandbox (Documentation/sandbox.rst): once the machine is set
 * up, every thread loses its capabilities and may make only the system
 * calls that running a guest needs; anything else fails with EPERM and one
 * "lkvm: sandbox refused ..." line on stderr.
 */
#ifndef LKVM_SANDBOX_H
#define LKVM_SANDBOX_H

/*
 * System calls beyond the base set, asked for during set-up by the devices
 * that need them.
 */
enum sandbox_group {
	/* Host TCP/UDP sockets: --network mode=user (net-user.c). */
	SANDBOX_NET_USER	= 1 << 0,
	/* Read-only opens and directory reads: a shared directory (virtio-fs). */
	SANDBOX_FS		= 1 << 1,
	/* Handing virtio-blk queues to lkvm.ko (virtio-blk-kernel.c). */
	SANDBOX_BLK_KERNEL	= 1 << 2,
};

/* Adds @groups (enum sandbox_group) to the filter sandbox_enter() installs. */
void sandbox_allow(unsigned int groups);

/*
 * Drops every capability in every thread, sets no_new_privs and installs
 * the system call filter on every thread of the process.  Called once,
 * when all files are open and before the vCPU threads start.  Returns 0,
 * or -errno with a message printed.
 */
int sandbox_enter(void);

#endif
