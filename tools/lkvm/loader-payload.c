// SPDX-License-Identifier: GPL-2.0
/*
 * ELF payloads: freestanding x86-64 programs entered in long mode
 * (the payload boot protocol of include/uapi/linux/lkvm.h).
 */
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <linux/lkvm.h>

#include "boot.h"
#include "vm.h"

static int check_ehdr(const char *path, Elf *elf, GElf_Ehdr *eh)
{
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, eh)) {
		pr_err("%s: malformed ELF header: %s", path, elf_errmsg(-1));
		return -1;
	}
	if (gelf_getclass(elf) != ELFCLASS64 || eh->e_machine != EM_X86_64) {
		pr_err("%s: not an x86-64 ELF64 file (class %d, machine %d)",
		       path, gelf_getclass(elf), eh->e_machine);
		return -1;
	}
	if (eh->e_type != ET_EXEC) {
		pr_err("%s: ELF type %d is not an executable", path, eh->e_type);
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr)) {
		pr_err("%s: program header size %d, expected %zu", path,
		       eh->e_phentsize, sizeof(Elf64_Phdr));
		return -1;
	}
	return 0;
}

static int load_segment(struct vm *vm, const char *path, const u8 *file,
			size_t size, const GElf_Phdr *ph)
{
	u8 *dst;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
	    ph->p_filesz > size - ph->p_offset) {
		pr_err("%s: segment at offset %#llx runs past the end of the file",
		       path, (unsigned long long)ph->p_offset);
		return -1;
	}
	dst = gpa_to_hva(vm, ph->p_paddr, ph->p_memsz);
	if (ph->p_paddr < LKVM_PAYLOAD_MIN_LOAD || !dst) {
		pr_err("%s: segment [%#llx, +%#llx) lies outside guest RAM above %#x",
		       path, (unsigned long long)ph->p_paddr,
		       (unsigned long long)ph->p_memsz, LKVM_PAYLOAD_MIN_LOAD);
		return -1;
	}
	memcpy(dst, file + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

static bool in_segment(const GElf_Phdr *ph, u64 addr)
{
	return addr >= ph->p_paddr && addr - ph->p_paddr < ph->p_memsz;
}

/*
 * Segments that overlap would silently overwrite each other's code or
 * zero-fill it: refuse the file instead of running what is left.
 */
static bool overlaps_earlier(const char *path, Elf *elf, size_t n,
			     const GElf_Phdr *ph)
{
	GElf_Phdr prev;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &prev) || prev.p_type != PT_LOAD)
			continue;
		if (ph->p_paddr < prev.p_paddr + prev.p_memsz &&
		    prev.p_paddr < ph->p_paddr + ph->p_memsz) {
			pr_err("%s: segments %zu and %zu overlap at %#llx", path,
			       i, n, (unsigned long long)ph->p_paddr);
			return true;
		}
	}
	return false;
}

static int load_segments(struct vm *vm, const char *path, Elf *elf,
			 const u8 *file, size_t size, u64 entry)
{
	bool entry_loaded = false;
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n)) {
		pr_err("%s: malformed program headers: %s", path,
		       elf_errmsg(-1));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph)) {
			pr_err("%s: program header %zu is truncated", path, i);
			return -1;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (overlaps_earlier(path, elf, i, &ph) ||
		    load_segment(vm, path, file, size, &ph))
			return -1;
		entry_loaded |= (ph.p_flags & PF_X) && in_segment(&ph, entry);
	}
	if (!entry_loaded) {
		pr_err("%s: entry point %#llx is not in a loaded executable segment",
		       path, (unsigned long long)entry);
		return -1;
	}
	return 0;
}

int load_payload_elf(struct vm *vm, const char *path, const void *buf,
		     size_t size, struct boot_entry *entry)
{
	GElf_Ehdr eh;
	Elf *elf;
	int ret = -1;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)buf, size);
	if (!elf) {
		pr_err("%s: cannot parse ELF: %s", path, elf_errmsg(-1));
		return -1;
	}
	if (!check_ehdr(path, elf, &eh) &&
	    !load_segments(vm, path, elf, buf, size, eh.e_entry)) {
		entry->rip = eh.e_entry;
		ret = 0;
	}
	elf_end(elf);
	return ret;
}
