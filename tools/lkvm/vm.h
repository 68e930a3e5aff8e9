/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine: guest memory, vCPUs and the device bus, independent of the
 * accelerator that runs it.
 */
#ifndef LKVM_VM_H
#define LKVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <linux/kvm.h>

#include "util.h"

struct accel_ops;
struct vm;

#define MAX_VCPUS	64
#define MAX_MEM_MIB	(64 * 1024)

/* Where guest RAM below 4 GiB ends: the rest of that space is MMIO. */
#define MMIO_HOLE_START	0xc0000000ULL

struct vcpu {
	struct vm *vm;
	unsigned int id;
	pthread_t thread;
	void *accel;		/* accelerator's per-vCPU state */
};

/* Why the machine stopped. */
enum vm_stop {
	VM_RUNNING,
	VM_STOP_EXIT_DEV,	/* guest wrote the exit device */
	VM_STOP_HALT,		/* boot vCPU halted with interrupts off */
	VM_STOP_RESET,		/* guest asked for a reset */
	VM_STOP_SHUTDOWN,	/* triple fault */
	VM_STOP_SIGNAL,		/* SIGINT/SIGTERM to lkvm */
	VM_STOP_ERROR,		/* accelerator or device failure */
	VM_STOP_CONTROL,	/* lkvm stop (control socket) */
};

struct mem_bank {
	u64 gpa;
	u64 size;
	u8 *hva;
};

struct vm {
	const struct accel_ops *accel_ops;
	void *accel;		/* accelerator's per-VM state */

	struct mem_bank banks[2];	/* below and above the MMIO hole */
	unsigned int nr_banks;
	u64 ram_size;

	unsigned int nr_vcpus;
	struct vcpu vcpus[MAX_VCPUS];

	atomic_int stop_reason;		/* enum vm_stop, first one wins */
	int exit_status;
	int stop_fd;			/* eventfd: readable once stopped */
	atomic_bool pause_req;		/* control.c: vCPUs leave run() and park */
};

/* Guest-physical to host address; NULL unless [gpa, gpa+len) is RAM. */
void *gpa_to_hva(struct vm *vm, u64 gpa, u64 len);

int vm_init_memory(struct vm *vm, u64 ram_size);

/* Devices call this before writing guest memory behind the guest's back. */
void vm_host_write(struct vm *vm, u64 gpa, u64 len);

/*
 * Ends the machine: the first caller's reason and status stick; every vCPU
 * is kicked out of the accelerator.  Safe from any thread.
 */
void vm_stop(struct vm *vm, enum vm_stop reason, int status);

/* vm_stop() was called: the machine is ending. */
static inline bool vm_stopped(struct vm *vm)
{
	return atomic_load_explicit(&vm->stop_reason, memory_order_relaxed) !=
	       VM_RUNNING;
}

/*
 * vCPUs must leave accel_ops->run() (VCPU_EXIT_STOP): the machine is ending,
 * or pausing (control.c), after which control_park() tells them apart.
 */
static inline bool vm_stopping(struct vm *vm)
{
	return vm_stopped(vm) ||
	       atomic_load_explicit(&vm->pause_req, memory_order_relaxed);
}

#endif
