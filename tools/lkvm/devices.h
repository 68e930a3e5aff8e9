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

#endif
