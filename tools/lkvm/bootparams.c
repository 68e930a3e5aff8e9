// SPDX-License-Identifier: GPL-2.0
/*
 * The zero page (struct boot_params) a 64-bit Linux entry gets in RSI: the
 * image's own setup header with the loader's fields filled in, the command
 * line, the initrd and the e820 memory map.  Documentation/boot.rst has the
 * layout; the kernel's Documentation/x86/boot.rst the protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "linux-boot.h"
#include "vm.h"

#define LOADER_UNDEFINED	0xff	/* type_of_loader: no assigned ID */
#define E820_RAM		1
#define E820_RESERVED		2
#define PAGE_SIZE		4096ULL

static int write_cmdline(struct vm *vm, const struct boot_config *cfg,
			 const struct linux_kernel *k, struct boot_params *bp)
{
	char *dst = gpa_to_hva(vm, LINUX_CMDLINE, LINUX_CMDLINE_MAX);
	const char *extra = cfg->cmdline ? cfg->cmdline : "";
	size_t max = k->hdr.cmdline_size;
	int n;

	if (!dst) {
		pr_err("guest memory too small for the kernel command line");
		return -1;
	}
	if (max > LINUX_CMDLINE_MAX - 1)
		max = LINUX_CMDLINE_MAX - 1;
	n = snprintf(dst, LINUX_CMDLINE_MAX, "%s%s%s", LINUX_DEFAULT_CMDLINE,
		     *extra ? " " : "", extra);
	if (n < 0 || (size_t)n > max) {
		pr_err("kernel command line is %d bytes with -p; the kernel takes at most %zu",
		       n, max);
		return -1;
	}
	bp->hdr.cmd_line_ptr = LINUX_CMDLINE;
	return 0;
}

/*
 * The initrd goes at the top of RAM below 4 GiB and below the kernel's
 * initrd_addr_max, page-aligned, as a boot loader puts it: out of the way of
 * the kernel, which may decompress and relocate itself above its load
 * address.
 */
static int place_initrd(struct vm *vm, const struct linux_kernel *k,
			const char *path, const u8 *buf, size_t size,
			struct boot_params *bp)
{
	u64 top = vm->banks[0].size, addr;

	if (!size) {
		pr_err("%s: the initrd is empty", path);
		return -1;
	}
	if (top > (u64)k->hdr.initrd_addr_max + 1)
		top = (u64)k->hdr.initrd_addr_max + 1;
	top &= ~(PAGE_SIZE - 1);
	addr = (top - size) & ~(PAGE_SIZE - 1);
	if (size > top || addr < k->end) {
		pr_err("%s: %zu-byte initrd does not fit between the kernel's end (%#llx) and %#llx; give more memory with -m",
		       path, size, (unsigned long long)k->end,
		       (unsigned long long)top);
		return -1;
	}
	memcpy(gpa_to_hva(vm, addr, size), buf, size);
	bp->hdr.ramdisk_image = (u32)addr;
	bp->ext_ramdisk_image = addr >> 32;
	bp->hdr.ramdisk_size = (u32)size;
	bp->ext_ramdisk_size = (u64)size >> 32;
	return 0;
}

static int load_initrd(struct vm *vm, const struct boot_config *cfg,
		       const struct linux_kernel *k, struct boot_params *bp)
{
	size_t size;
	u8 *buf;
	int ret;

	if (!cfg->initrd)
		return 0;
	buf = read_file(cfg->initrd, &size);
	if (!buf)
		return -1;
	ret = place_initrd(vm, k, cfg->initrd, buf, size, bp);
	free(buf);
	return ret;
}

static void add_e820(struct boot_params *bp, u64 addr, u64 size, u32 type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

/*
 * A PC's map: RAM below the EBDA, the legacy area (where the ACPI tables
 * live) reserved, RAM from 1 MiB to the MMIO hole, the rest above 4 GiB.
 */
static void build_e820(struct vm *vm, struct boot_params *bp)
{
	u64 low = vm->banks[0].size;

	add_e820(bp, 0, LINUX_LOW_RAM_END, E820_RAM);
	add_e820(bp, LINUX_LOW_RAM_END, LINUX_BIOS_AREA - LINUX_LOW_RAM_END,
		 E820_RESERVED);
	add_e820(bp, LINUX_BIOS_AREA, low - LINUX_BIOS_AREA, E820_RAM);
	if (vm->nr_banks > 1)
		add_e820(bp, vm->banks[1].gpa, vm->banks[1].size, E820_RAM);
}

int linux_boot_params(struct vm *vm, const struct boot_config *cfg,
		      const struct linux_kernel *k, struct boot_entry *entry)
{
	struct boot_params *bp = gpa_to_hva(vm, LINUX_ZERO_PAGE, sizeof(*bp));

	/* The loaders have put a kernel above 16 MiB, so this holds. */
	if (!bp || vm->banks[0].size <= LINUX_BIOS_AREA) {
		pr_err("guest memory too small for a Linux kernel");
		return -1;
	}
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &k->hdr, k->hdr_len);
	bp->hdr.type_of_loader = LOADER_UNDEFINED;
	bp->acpi_rsdp_addr = ACPI_TABLES_ADDR;
	build_e820(vm, bp);
	if (write_cmdline(vm, cfg, k, bp) || load_initrd(vm, cfg, k, bp))
		return -1;
	entry->rip = k->entry;
	entry->rsi = LINUX_ZERO_PAGE;
	entry->rsp = LINUX_STACK_TOP;
	return 0;
}
