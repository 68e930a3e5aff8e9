/* SPDX-License-Identifier: GPL-2.0 */
/* Loading what -k names, and the CPU state it is entered with. */
#ifndef LKVM_BOOT_H
#define LKVM_BOOT_H

#include "util.h"

struct vm;
struct vcpu;

struct boot_entry {
	u64 rip;
	u64 rsi;		/* Linux: boot_params */
	u64 rdi;		/* payloads: RAM size */
	u64 rsp;
	bool real_mode;
};

struct boot_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	bool flat;		/* -k is a flat 64-bit binary */
	bool real_mode;		/* -k is a flat real-mode binary */
	bool kaslr;		/* a bzImage decompresses itself (--kaslr) */
};

/* Loads the kernel or payload into guest memory and says how to enter it. */
int boot_load(struct vm *vm, const struct boot_config *cfg,
	      struct boot_entry *entry);

/*
 * Loaders, one file each.  @buf/@size hold the whole file; each checks
 * everything it reads and names @path in its message on failure.
 */
int load_payload_elf(struct vm *vm, const char *path, const void *buf,
		     size_t size, struct boot_entry *entry);
int load_flat(struct vm *vm, const char *path, const void *buf, size_t size,
	      u64 load_addr, struct boot_entry *entry);

/* Builds the identity page tables and GDT of a direct 64-bit entry. */
int boot_build_long_mode(struct vm *vm);
/* Puts @vcpu at @entry (long or real mode). */
int boot_enter(struct vcpu *vcpu, const struct boot_entry *entry);

#endif
