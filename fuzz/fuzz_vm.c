// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel.h"
#include "fuzz_vm.h"

static int stub_vm_create(struct vm *vm, bool quiet)
{
	return 0;
}

static void stub_vm_destroy(struct vm *vm)
{
}

static int stub_set_memory(struct vm *vm, unsigned int slot,
			   struct mem_bank *b)
{
	return 0;
}

static int stub_vcpu(struct vcpu *vcpu)
{
	return 0;
}

static void stub_kick(struct vcpu *vcpu)
{
}

static int stub_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	return 0;
}

static int stub_signal_msi(struct vm *vm, u64 address, u32 data)
{
	return 0;
}

/* Only what loaders and devices call; the rest stays NULL and would crash. */
const struct accel_ops fuzz_accel_ops = {
	.name = "fuzz-stub",
	.vm_create = stub_vm_create,
	.vm_destroy = stub_vm_destroy,
	.set_memory = stub_set_memory,
	.vcpu_create = stub_vcpu,
	.kick = stub_kick,
	.irq_line = stub_irq_line,
	.signal_msi = stub_signal_msi,
};

struct vm *fuzz_vm_create(u64 ram_size)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		abort();
	vm->accel_ops = &fuzz_accel_ops;
	vm->stop_fd = -1;
	if (vm_init_memory(vm, ram_size)) {
		fprintf(stderr, "fuzz: cannot allocate guest memory\n");
		exit(1);
	}
	return vm;
}

void fuzz_vm_clear(struct vm *vm)
{
	unsigned int i;

	/* Anonymous private memory reads as zero again after DONTNEED. */
	for (i = 0; i < vm->nr_banks; i++)
		madvise(vm->banks[i].hva, vm->banks[i].size, MADV_DONTNEED);
}

int fuzz_file(unsigned int slot, const void *buf, size_t len, char *path)
{
	static int fds[4] = { -1, -1, -1, -1 };
	int *fd = &fds[slot % 4];

	if (*fd < 0) {
		*fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (*fd < 0) {
			perror("fuzz: memfd_create");
			exit(1);
		}
	}
	if (ftruncate(*fd, 0) || (len && pwrite(*fd, buf, len, 0) != (ssize_t)len)) {
		perror("fuzz: writing the input file");
		exit(1);
	}
	snprintf(path, 32, "/proc/self/fd/%d", *fd);
	return *fd;
}

void fuzz_take(struct fuzz_input *in, void *dst, size_t len)
{
	size_t n = len < in->left ? len : in->left;

	memcpy(dst, in->p, n);
	memset((u8 *)dst + n, 0, len - n);
	in->p += n;
	in->left -= n;
}

#define FUZZ_TAKE_TYPE(type, name)			\
type name(struct fuzz_input *in)			\
{							\
	type v;						\
							\
	fuzz_take(in, &v, sizeof(v));			\
	return v;					\
}

FUZZ_TAKE_TYPE(u8, fuzz_u8)
FUZZ_TAKE_TYPE(u16, fuzz_u16)
FUZZ_TAKE_TYPE(u32, fuzz_u32)
FUZZ_TAKE_TYPE(u64, fuzz_u64)
