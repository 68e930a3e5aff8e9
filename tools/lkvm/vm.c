// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel.h"
#include "vm.h"

void *gpa_to_hva(struct vm *vm, u64 gpa, u64 len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_banks; i++) {
		struct mem_bank *b = &vm->banks[i];

		if (gpa >= b->gpa && len <= b->size &&
		    gpa - b->gpa <= b->size - len)
			return b->hva + (gpa - b->gpa);
	}
	return NULL;
}

static int add_bank(struct vm *vm, u64 gpa, u64 size)
{
	struct mem_bank *b = &vm->banks[vm->nr_banks];
	void *p;

	/* NORESERVE: a guest that touches little costs little. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		pr_err("cannot allocate %llu MiB of guest memory: %s",
		       (unsigned long long)(size / MiB), strerror(errno));
		return -errno;
	}
	madvise(p, size, MADV_MERGEABLE);
	b->gpa = gpa;
	b->size = size;
	b->hva = p;
	return vm->accel_ops->set_memory(vm, vm->nr_banks++, b);
}

/* RAM from 0, with whatever does not fit below the MMIO hole above 4 GiB. */
int vm_init_memory(struct vm *vm, u64 ram_size)
{
	u64 low = ram_size < MMIO_HOLE_START ? ram_size : MMIO_HOLE_START;
	int ret;

	vm->ram_size = ram_size;
	ret = add_bank(vm, 0, low);
	if (ret || low == ram_size)
		return ret;
	return add_bank(vm, 4 * GiB, ram_size - low);
}

void vm_stop(struct vm *vm, enum vm_stop reason, int status)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	bool first = false;
	u64 one = 1;
	unsigned int i;

	pthread_mutex_lock(&lock);
	if (atomic_load(&vm->stop_reason) == VM_RUNNING) {
		vm->exit_status = status;
		atomic_store(&vm->stop_reason, reason);
		first = true;
	}
	pthread_mutex_unlock(&lock);
	if (!first)
		return;
	if (write(vm->stop_fd, &one, sizeof(one)) < 0)
		pr_err("cannot signal the end of the VM: %s", strerror(errno));
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].accel)
			vm->accel_ops->kick(&vm->vcpus[i]);
}

void vm_host_write(struct vm *vm, u64 gpa, u64 len)
{
	if (vm->accel_ops && vm->accel_ops->host_write)
		vm->accel_ops->host_write(vm, gpa, len);
}
