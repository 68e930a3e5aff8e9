// SPDX-License-Identifier: GPL-2.0
/* Recognises what -k names and hands it to the right loader. */
#include <stdlib.h>
#include <string.h>
#include <linux/lkvm.h>

#include "boot.h"
#include "linux-boot.h"
#include "vm.h"

int load_flat(struct vm *vm, const char *path, const void *buf, size_t size,
	      u64 load_addr, struct boot_entry *entry)
{
	void *dst;

	if (!size) {
		pr_err("%s: empty file", path);
		return -1;
	}
	dst = gpa_to_hva(vm, load_addr, size);
	if (!dst) {
		pr_err("%s: %zu bytes do not fit in guest memory at %#llx",
		       path, size, (unsigned long long)load_addr);
		return -1;
	}
	memcpy(dst, buf, size);
	entry->rip = load_addr;
	return 0;
}

static bool is_elf(const u8 *buf, size_t size)
{
	return size >= 4 && !memcmp(buf, "\177ELF", 4);
}

static int load_linux(struct vm *vm, const struct boot_config *cfg,
		      const u8 *buf, size_t size, struct boot_entry *entry)
{
	struct linux_kernel k;
	int ret;

	if (is_bzimage(buf, size))
		ret = load_bzimage(vm, cfg->kernel, buf, size, cfg->kaslr, &k);
	else
		ret = load_vmlinux(vm, cfg->kernel, buf, size, &k);
	return ret ?: linux_boot_params(vm, cfg, &k, entry);
}

/* Payloads get the stack at the top of RAM below the MMIO hole. */
static int load_payload(struct vm *vm, const struct boot_config *cfg,
			const u8 *buf, size_t size, struct boot_entry *entry)
{
	int ret;

	if (cfg->initrd) {
		pr_err("%s: -i needs a Linux kernel; this is a payload",
		       cfg->kernel);
		return -1;
	}
	if (cfg->real_mode) {
		entry->real_mode = true;
		return load_flat(vm, cfg->kernel, buf, size,
				 LKVM_REAL_MODE_LOAD, entry);
	}
	if (cfg->flat)
		ret = load_flat(vm, cfg->kernel, buf, size,
				LKVM_PAYLOAD_MIN_LOAD, entry);
	else
		ret = load_payload_elf(vm, cfg->kernel, buf, size, entry);
	entry->rdi = vm->ram_size;
	entry->rsp = vm->banks[0].size;
	return ret;
}

static int load_image(struct vm *vm, const struct boot_config *cfg,
		      const u8 *buf, size_t size, struct boot_entry *entry)
{
	if (cfg->real_mode || cfg->flat)
		return load_payload(vm, cfg, buf, size, entry);
	if (is_bzimage(buf, size) || is_vmlinux(buf, size))
		return load_linux(vm, cfg, buf, size, entry);
	if (is_elf(buf, size))
		return load_payload(vm, cfg, buf, size, entry);
	pr_err("%s: not a kernel: neither an ELF file nor a bzImage (no \"HdrS\" signature)",
	       cfg->kernel);
	return -1;
}

int boot_load(struct vm *vm, const struct boot_config *cfg,
	      struct boot_entry *entry)
{
	size_t size;
	u8 *buf;
	int ret;

	buf = read_file(cfg->kernel, &size);
	if (!buf)
		return -1;
	memset(entry, 0, sizeof(*entry));
	ret = load_image(vm, cfg, buf, size, entry);
	free(buf);
	if (ret || entry->real_mode)
		return ret;
	return boot_build_long_mode(vm);
}
