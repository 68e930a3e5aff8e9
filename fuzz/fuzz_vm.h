/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lkvm harnesses share: a machine with guest memory behind an
 * accelerator that does nothing (loaders and devices need memory and the
 * bus, never a vCPU), and files made from fuzz input for code that takes a
 * path.
 */
#ifndef FUZZ_VM_H
#define FUZZ_VM_H

#include <stddef.h>
#include <stdint.h>

#include "vm.h"

extern const struct accel_ops fuzz_accel_ops;

/* A machine with @ram_size bytes of RAM; exits on failure (harness setup). */
struct vm *fuzz_vm_create(u64 ram_size);

/* Zeroes all guest RAM and gives the pages back: one input's state is gone. */
void fuzz_vm_clear(struct vm *vm);

/*
 * A memfd whose contents are @len bytes of @buf, and its /proc/self/fd path
 * in @path (at least 32 bytes).  The fd is reused by the next call with the
 * same @slot, so at most a few stay open.
 */
int fuzz_file(unsigned int slot, const void *buf, size_t len, char *path);

/* Consumes bytes from the front of an input, zeroes past its end. */
struct fuzz_input {
	const u8 *p;
	size_t left;
};

void fuzz_take(struct fuzz_input *in, void *dst, size_t len);
u8 fuzz_u8(struct fuzz_input *in);
u16 fuzz_u16(struct fuzz_input *in);
u32 fuzz_u32(struct fuzz_input *in);
u64 fuzz_u64(struct fuzz_input *in);

#endif
