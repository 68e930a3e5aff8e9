// SPDX-License-Identifier: GPL-2.0
/*
 * vmlinux: the kernel's own ELF image, as the build leaves it.  It is linked
 * at the kernel map (__START_KERNEL_map + physical address) with p_paddr
 * giving where each segment belongs in physical memory, and x86-64 kernels
 * link e_entry as phys_startup_64: the physical address of startup_64.
 * There is no setup header, so lkvm makes up the fields the kernel reads.
 */
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "boot.h"
#include "linux-boot.h"
#include "vm.h"

/* What a bzImage of the same era would say: protocol 2.15, 16 MiB aligned. */
#define VMLINUX_PROTO		0x020f
#define VMLINUX_ALIGN		0x1000000
#define VMLINUX_CMDLINE_SIZE	2047		/* COMMAND_LINE_SIZE - 1 */
#define VMLINUX_INITRD_MAX	0x7fffffff

static Elf *open_elf64(const void *buf, size_t size, GElf_Ehdr *eh)
{
	Elf *elf;

	if (size < 4 || memcmp(buf, ELFMAG, SELFMAG))
		return NULL;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)buf, size);
	if (!elf)
		return NULL;
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
	    !gelf_getehdr(elf, eh) || eh->e_machine != EM_X86_64 ||
	    eh->e_type != ET_EXEC) {
		elf_end(elf);
		return NULL;
	}
	return elf;
}

/*
 * Calls @fn for each PT_LOAD header; stops at the first non-zero return.
 * A malformed table reads as having no more segments.
 */
static int for_each_load(Elf *elf, int (*fn)(const GElf_Phdr *, void *),
			 void *arg)
{
	size_t i, n;
	GElf_Phdr ph;
	int ret;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		ret = fn(&ph, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int in_kernel_map(const GElf_Phdr *ph, void *arg)
{
	return ph->p_vaddr >= KERNEL_MAP_BASE;
}

/* A payload is linked where it runs; a vmlinux is linked at the kernel map. */
bool is_vmlinux(const void *buf, size_t size)
{
	GElf_Ehdr eh;
	Elf *elf = open_elf64(buf, size, &eh);
	bool ret;

	if (!elf)
		return false;
	ret = for_each_load(elf, in_kernel_map, NULL);
	elf_end(elf);
	return ret;
}

/* The physical span of all segments: what the kernel occupies. */
static int extend_span(const GElf_Phdr *ph, void *arg)
{
	struct linux_kernel *k = arg;

	if (ph->p_paddr < k->load_addr)
		k->load_addr = ph->p_paddr;
	if (ph->p_paddr + ph->p_memsz > k->end)
		k->end = ph->p_paddr + ph->p_memsz;
	return 0;
}

static void fake_header(struct linux_kernel *k)
{
	struct setup_header *h = &k->hdr;

	memset(h, 0, sizeof(*h));
	k->hdr_len = sizeof(*h);
	h->boot_flag = 0xaa55;
	memcpy(&h->header, "HdrS", 4);
	h->version = VMLINUX_PROTO;
	h->loadflags = LOADED_HIGH;
	h->kernel_alignment = VMLINUX_ALIGN;
	h->relocatable_kernel = 0;
	h->xloadflags = XLF_KERNEL_64;
	h->cmdline_size = VMLINUX_CMDLINE_SIZE;
	h->initrd_addr_max = VMLINUX_INITRD_MAX;
	h->pref_address = k->load_addr;
	h->init_size = k->end - k->load_addr;
}

int load_vmlinux_image(struct vm *vm, const char *path, const void *buf,
		       size_t size, struct linux_kernel *k)
{
	struct boot_entry entry = { 0 };
	GElf_Ehdr eh;
	Elf *elf = open_elf64(buf, size, &eh);

	if (!elf) {
		pr_err("%s: malformed vmlinux ELF header: %s", path,
		       elf_errmsg(-1));
		return -1;
	}
	k->load_addr = UINT64_MAX;
	k->end = 0;
	for_each_load(elf, extend_span, k);
	elf_end(elf);
	if (eh.e_entry >= KERNEL_MAP_BASE) {
		pr_err("%s: vmlinux entry point %#llx is virtual; lkvm needs the physical one (phys_startup_64)",
		       path, (unsigned long long)eh.e_entry);
		return -1;
	}
	/* Segments load as a payload's do, at p_paddr, all checked. */
	if (load_payload_elf(vm, path, buf, size, &entry))
		return -1;
	k->entry = entry.rip;
	return 0;
}

int load_vmlinux(struct vm *vm, const char *path, const void *buf,
		 size_t size, struct linux_kernel *k)
{
	if (load_vmlinux_image(vm, path, buf, size, k))
		return -1;
	fake_header(k);
	return 0;
}
