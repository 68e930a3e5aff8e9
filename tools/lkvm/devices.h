/* SPDX-License-Identifier: GPL-2.0 */
/* Set-up entry points of lkvm's devices, one file each. */
#ifndef LKVM_DEVICES_H
#define LKVM_DEVICES_H

#include "util.h"

struct vm;

/* 16550A UART at 0x3f8, IRQ 4: output to @out_fd, input via serial_input(). */
int serial_init(struct vm *vm, int out_fd);
/* Queues bytes typed on the host for the guest; returns how many fit. */
size_t serial_input(const u8 *buf, size_t len);
/* True while the guest can take more input. */
bool serial_input_room(void);

/* lkvm's paravirt exit device (include/uapi/linux/lkvm.h). */
int exit_dev_init(struct vm *vm);

/* PCI host bridge (pci.h); before any PCI device. */
int pci_init(struct vm *vm);
/* virtio-blk on "PATH[,ro]" (a file or block device); once per -d. */
int virtio_blk_init(struct vm *vm, const char *arg);
/*
 * At the end of lkvm run, with the vCPUs gone: fsyncs and closes every
 * disk.  Returns 0, or -EIO with a message for each disk that failed.
 */
int virtio_blk_exit(void);
/* virtio-console: the guest's hvc0, output to @out_fd. */
int virtio_console_init(struct vm *vm, int out_fd);
/* virtio-rng fed by getrandom(2). */
int virtio_rng_init(struct vm *vm);
/* virtio-fs sharing "DIR[,tag=TAG]" read-only; once per --share. */
int virtio_fs_init(struct vm *vm, const char *arg);

/*
 * Networking (net.h, Documentation/network.rst).  net_add_option() checks
 * and records one --network argument.  net_finish_options() ends them:
 * without any, the guest gets user-mode networking (kvmtool's default); it
 * returns @cmdline with the guest's address (ip=) in front.  net_init()
 * opens the backends and adds a virtio-net device for each, after pci_init().
 */
int net_add_option(const char *arg);
const char *net_finish_options(const char *cmdline);
int net_init(struct vm *vm);

#endif
