/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Booting Linux (Documentation/boot.rst): the bzImage and vmlinux loaders,
 * the zero page they share, and the platform a distribution kernel expects
 * to find (ACPI tables, CMOS RTC, i8042 reset line).
 */
#ifndef LKVM_LINUX_BOOT_H
#define LKVM_LINUX_BOOT_H

#include <asm/bootparam.h>

#include "util.h"

struct vm;
struct boot_config;
struct boot_entry;

/*
 * Guest-physical layout below 1 MiB.  boot64.c's page tables and GDT use
 * 0x1000-0x7fff; the page below the zero page is the entry stack, which the
 * kernel replaces with its own within a few instructions.
 */
#define LINUX_STACK_TOP		0x9000
#define LINUX_ZERO_PAGE		0x9000
#define LINUX_CMDLINE		0xa000
#define LINUX_CMDLINE_MAX	0x1000		/* bytes, with the NUL */
#define LINUX_LOW_RAM_END	0x9fc00		/* as a PC's EBDA leaves it */
#define LINUX_BIOS_AREA	0x100000	/* [LOW_RAM_END, this) is reserved */
#define ACPI_TABLES_ADDR	0xe0000		/* RSDP first, then the tables */
#define ACPI_TABLES_END		0x100000

/* Boot protocol version 2.12: the first with a 64-bit entry point. */
#define BOOT_PROTO_64BIT	0x020c
#define KERNEL_MAP_BASE		0xffffffff80000000ULL	/* __START_KERNEL_map */

/* The default command line; -p appends to it (Documentation/boot.rst). */
#define LINUX_DEFAULT_CMDLINE \
	"console=ttyS0 reboot=k panic=-1 quiet cryptomgr.notests"

/* What a kernel loader found and placed in guest memory. */
struct linux_kernel {
	struct setup_header hdr;	/* from the image, or made up */
	size_t hdr_len;			/* bytes of hdr that the image has */
	u64 load_addr;			/* guest-physical */
	u64 end;			/* end of the memory the kernel claims */
	u64 entry;			/* 64-bit entry, guest-physical */
};

/* A bzImage: boot protocol 2.12+ with a 64-bit entry point. */
bool is_bzimage(const void *buf, size_t size);
/*
 * @kaslr (lkvm run --kaslr): the bzImage decompresses itself in the guest,
 * which also randomizes where the kernel runs.  Without it lkvm decompresses
 * an LZ4 or gzip payload itself and boots the vmlinux inside
 * (Documentation/boot.rst).
 */
int load_bzimage(struct vm *vm, const char *path, const void *buf,
		 size_t size, bool kaslr, struct linux_kernel *k);

/* An ELF vmlinux: linked for the kernel map, loaded at its p_paddr. */
bool is_vmlinux(const void *buf, size_t size);
int load_vmlinux(struct vm *vm, const char *path, const void *buf,
		 size_t size, struct linux_kernel *k);
/*
 * load_vmlinux() without the made-up setup header: sets @k's placement and
 * entry and leaves k->hdr alone, for a bzImage's own vmlinux.
 */
int load_vmlinux_image(struct vm *vm, const char *path, const void *buf,
		       size_t size, struct linux_kernel *k);

/*
 * Writes the zero page, command line, e820 map and initrd for @k and points
 * @entry at the kernel.
 */
int linux_boot_params(struct vm *vm, const struct boot_config *cfg,
		      const struct linux_kernel *k, struct boot_entry *entry);

/*
 * The release of the Linux kernel in @path ("6.1.0-56-cloud-amd64") into
 * @buf, "" if the image does not say.  Returns 1 for a Linux kernel, 0 for
 * anything else (a payload), -1 with a message if it cannot be read.
 */
int linux_kernel_release(const char *path, char *buf, size_t len);

/* The newest /boot/vmlinuz-*, in version order; NULL with a message. */
const char *linux_default_kernel(void);

/*
 * ACPI tables (RSDP, XSDT, FADT, DSDT, MADT) at ACPI_TABLES_ADDR for
 * @nr_cpus processors.
 */
int acpi_build(struct vm *vm, unsigned int nr_cpus);

/* i8042 at 0x60/0x64: command 0xfe resets, which ends the VM. */
int i8042_init(struct vm *vm);
/* MC146818 CMOS RTC at 0x70/0x71 showing the host's time (UTC). */
int rtc_init(struct vm *vm);

#endif
