/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the lkvm_boot tests: a machine with guest memory but no vCPUs
 * (a stand-in accelerator), lkvm's stderr captured, the host's kernel, and
 * commands run through the shell for reference tools (readelf, cpio, iasl,
 * modprobe, lz4/xz).
 */
#ifndef BOOT_TEST_H
#define BOOT_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "vm.h"

/* Guest RAM of @mib MiB; false if it cannot be mapped. */
bool test_vm_init(struct vm *vm, u64 mib);
void test_vm_free(struct vm *vm);

/* lkvm's messages go to stderr: collect them. */
struct capture {
	int saved_fd;
	char path[64];
};
void capture_start(struct capture *c);
/* Ends the capture; returns what was written (static buffer). */
const char *capture_end(struct capture *c);
/* Lines in @s; a last line without '\n' counts. */
int count_lines(const char *s);

/* $LKVM_TEST_KERNEL, else the newest /boot/vmlinuz-*; NULL if none. */
const char *test_kernel(void);
/* The release in a Debian kernel's file name, vmlinuz-<release>. */
const char *kernel_release_from_name(const char *path);

/* Runs @cmd with sh -c; returns its exit status, stdout in @out. */
int run_cmd(const char *cmd, char *out, size_t len);

/* Writes @size bytes to a new temporary file; returns its path (static). */
const char *write_temp(const void *buf, size_t size);

/*
 * Unpacks the vmlinux inside bzImage @kernel into @out the way the kernel's
 * scripts/extract-vmlinux does: the compressed payload found by its magic
 * and decompressed with Debian's tool for that format.  false if the tool
 * or format is missing.
 */
bool extract_vmlinux(const char *kernel, const char *out);

u8 *read_whole(const char *path, size_t *size);

#endif
