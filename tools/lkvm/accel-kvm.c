// SPDX-License-Identifier: GPL-2.0
/* The KVM accelerator: the accelerator interface mapped onto /dev/kvm. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "bus.h"

#define KVM_DEV		"/dev/kvm"
#define KICK_SIGNAL	SIGUSR1
/* KVM's private pages for VMX real mode, just below the 4 GiB BIOS area. */
#define KVM_TSS_ADDR	0xfffbd000
/*
 * With the in-kernel irqchip KVM handles HLT itself and never reports it.
 * To tell "halted for good" (HLT with IF=0) from an idle guest, the boot
 * vCPU is interrupted this often and its state looked at.
 */
#define HALT_POLL_NS	(200 * 1000 * 1000)

struct kvm_vm_state {
	int kvm_fd;
	int vm_fd;
	int run_size;
};

struct kvm_vcpu_state {
	int fd;
	struct kvm_run *run;
	timer_t halt_timer;
	bool has_timer;
};

static __thread struct kvm_run *current_run;

static struct kvm_vm_state *kvm_of(struct vm *vm)
{
	return vm->accel;
}

static struct kvm_vcpu_state *kvcpu_of(struct vcpu *vcpu)
{
	return vcpu->accel;
}

/* Runs in the vCPU thread: make KVM_RUN return, or not enter at all. */
static void kick_handler(int sig)
{
	if (current_run)
		current_run->immediate_exit = 1;
}

/*
 * A PVM host (kvm_pvm) runs only PVM-aware guests natively; anything else it
 * emulates instruction by instruction, about a thousand times slower than
 * the TCG fallback.  Auto mode treats that as no KVM at all.
 */
static bool kvm_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

static int kvm_open(struct kvm_vm_state *k, bool quiet)
{
	int version;

	if (quiet && kvm_is_pvm())
		return -EOPNOTSUPP;

	k->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0) {
		int err = errno;

		if (!quiet)
			pr_err("cannot open %s: %s", KVM_DEV, strerror(err));
		return -err;
	}
	version = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		if (!quiet)
			pr_err("%s: KVM API version %d, need %d", KVM_DEV,
			       version, KVM_API_VERSION);
		return -EINVAL;
	}
	if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		if (!quiet)
			pr_err("%s: KVM lacks KVM_CAP_IMMEDIATE_EXIT", KVM_DEV);
		return -EINVAL;
	}
	return 0;
}

static int kvm_vm_setup(struct kvm_vm_state *k)
{
	k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		pr_err("KVM_CREATE_VM: %s", strerror(errno));
		return -errno;
	}
	k->run_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size < (int)sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -EINVAL;
	}
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
	    ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		pr_err("cannot set up the KVM irqchip: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int kvm_vm_create(struct vm *vm, bool quiet)
{
	struct kvm_vm_state *k = calloc(1, sizeof(*k));
	struct sigaction sa = { .sa_handler = kick_handler };
	int ret;

	if (!k)
		return -ENOMEM;
	k->kvm_fd = k->vm_fd = -1;
	ret = kvm_open(k, quiet);
	if (!ret)
		ret = kvm_vm_setup(k);
	if (ret) {
		if (k->kvm_fd >= 0)
			close(k->kvm_fd);
		free(k);
		return ret;
	}
	sigaction(KICK_SIGNAL, &sa, NULL);
	vm->accel = k;
	return 0;
}

static void kvm_vm_destroy(struct vm *vm)
{
	struct kvm_vm_state *k = kvm_of(vm);

	close(k->vm_fd);
	close(k->kvm_fd);
	free(k);
	vm->accel = NULL;
}

static int kvm_set_memory(struct vm *vm, unsigned int slot, struct mem_bank *b)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = b->gpa,
		.memory_size = b->size,
		.userspace_addr = (unsigned long)b->hva,
	};

	if (ioctl(kvm_of(vm)->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		pr_err("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int kvm_vcpu_create(struct vcpu *vcpu)
{
	struct kvm_vm_state *k = kvm_of(vcpu->vm);
	struct kvm_vcpu_state *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, vcpu->id);
	if (v->fd < 0) {
		pr_err("KVM_CREATE_VCPU %u: %s", vcpu->id, strerror(errno));
		free(v);
		return -errno;
	}
	v->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		pr_err("cannot map vCPU %u's kvm_run: %s", vcpu->id,
		       strerror(errno));
		close(v->fd);
		free(v);
		return -errno;
	}
	vcpu->accel = v;
	return 0;
}

/* One helper for every "ioctl on the vCPU, complain on failure" call. */
static int vcpu_ioctl(struct vcpu *vcpu, unsigned long req, const void *arg,
		      const char *what)
{
	if (ioctl(kvcpu_of(vcpu)->fd, req, arg) < 0) {
		pr_err("%s on vCPU %u: %s", what, vcpu->id, strerror(errno));
		return -errno;
	}
	return 0;
}

static int kvm_get_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	return vcpu_ioctl(vcpu, KVM_GET_REGS, regs, "KVM_GET_REGS");
}

static int kvm_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	return vcpu_ioctl(vcpu, KVM_SET_REGS, regs, "KVM_SET_REGS");
}

static int kvm_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	return vcpu_ioctl(vcpu, KVM_GET_SREGS, sregs, "KVM_GET_SREGS");
}

static int kvm_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return vcpu_ioctl(vcpu, KVM_SET_SREGS, sregs, "KVM_SET_SREGS");
}

static int kvm_set_msrs(struct vcpu *vcpu, const struct kvm_msrs *msrs)
{
	int n = ioctl(kvcpu_of(vcpu)->fd, KVM_SET_MSRS, msrs);

	if (n != (int)msrs->nmsrs) {
		pr_err("KVM_SET_MSRS on vCPU %u: MSR %#x refused", vcpu->id,
		       n >= 0 ? msrs->entries[n].index : 0);
		return -EINVAL;
	}
	return 0;
}

static int kvm_get_supported_cpuid(struct vm *vm, struct kvm_cpuid2 *cpuid)
{
	if (ioctl(kvm_of(vm)->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int kvm_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	return vcpu_ioctl(vcpu, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2");
}

static int kvm_start_halt_timer(struct kvm_vcpu_state *v)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = KICK_SIGNAL,
	};
	struct itimerspec its = {
		.it_value.tv_nsec = HALT_POLL_NS,
		.it_interval.tv_nsec = HALT_POLL_NS,
	};

	sev._sigev_un._tid = syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &v->halt_timer) < 0)
		return -errno;
	v->has_timer = true;
	return timer_settime(v->halt_timer, 0, &its, NULL);
}

/* Interrupted while halted with IF=0: nothing but an NMI could wake it. */
static bool halted_for_good(struct vcpu *vcpu)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(kvcpu_of(vcpu)->fd, KVM_GET_MP_STATE, &mp) < 0 ||
	    mp.mp_state != KVM_MP_STATE_HALTED)
		return false;
	return !kvm_get_regs(vcpu, &regs) && !(regs.rflags & (1 << 9));
}

static void kvm_handle_io(struct kvm_run *run)
{
	u8 *data = (u8 *)run + run->io.data_offset;
	u32 i;

	for (i = 0; i < run->io.count; i++, data += run->io.size)
		bus_access(BUS_PIO, run->io.port, data, run->io.size,
			   run->io.direction == KVM_EXIT_IO_OUT);
}

static enum vcpu_exit kvm_report_failure(struct vcpu *vcpu,
					 struct kvm_run *run)
{
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		pr_err("vCPU %u: KVM entry failed, hardware reason %#llx",
		       vcpu->id, (unsigned long long)
		       run->fail_entry.hardware_entry_failure_reason);
	else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		pr_err("vCPU %u: KVM internal error, suberror %u", vcpu->id,
		       run->internal.suberror);
	else
		pr_err("vCPU %u: unexpected KVM exit reason %u", vcpu->id,
		       run->exit_reason);
	return VCPU_EXIT_ERROR;
}

/* Returns true when the exit ends run(), with *exit set. */
static bool kvm_dispatch_exit(struct vcpu *vcpu, struct kvm_run *run,
			      enum vcpu_exit *exit)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		kvm_handle_io(run);
		return false;
	case KVM_EXIT_MMIO:
		bus_access(BUS_MMIO, run->mmio.phys_addr, run->mmio.data,
			   run->mmio.len, run->mmio.is_write);
		return false;
	case KVM_EXIT_HLT:
		*exit = VCPU_EXIT_HLT;
		return true;
	case KVM_EXIT_SHUTDOWN:
		*exit = VCPU_EXIT_SHUTDOWN;
		return true;
	case KVM_EXIT_INTR:
		return false;
	default:
		*exit = kvm_report_failure(vcpu, run);
		return true;
	}
}

static enum vcpu_exit kvm_run(struct vcpu *vcpu)
{
	struct kvm_vcpu_state *v = kvcpu_of(vcpu);
	struct kvm_run *run = v->run;
	enum vcpu_exit exit;
	sigset_t set;

	current_run = run;
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (vcpu->id == 0 && !v->has_timer && kvm_start_halt_timer(v))
		pr_err("vCPU 0: no halt detection timer: %s", strerror(errno));

	for (;;) {
		if (vm_stopping(vcpu->vm))
			return VCPU_EXIT_STOP;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				pr_err("KVM_RUN on vCPU %u: %s", vcpu->id,
				       strerror(errno));
				return VCPU_EXIT_ERROR;
			}
			run->immediate_exit = 0;
			if (vcpu->id == 0 && halted_for_good(vcpu))
				return VCPU_EXIT_HLT;
			continue;
		}
		if (kvm_dispatch_exit(vcpu, run, &exit))
			return exit;
	}
}

static void kvm_kick(struct vcpu *vcpu)
{
	if (vcpu->thread)
		pthread_kill(vcpu->thread, KICK_SIGNAL);
}

static int kvm_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(kvm_of(vm)->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

static int kvm_signal_msi(struct vm *vm, u64 address, u32 data)
{
	struct kvm_msi msi = {
		.address_lo = (u32)address,
		.address_hi = address >> 32,
		.data = data,
	};

	if (ioctl(kvm_of(vm)->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		return -errno;
	return 0;
}

const struct accel_ops kvm_accel_ops = {
	.name = "kvm",
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.set_memory = kvm_set_memory,
	.vcpu_create = kvm_vcpu_create,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.set_msrs = kvm_set_msrs,
	.get_supported_cpuid = kvm_get_supported_cpuid,
	.set_cpuid = kvm_set_cpuid,
	.run = kvm_run,
	.kick = kvm_kick,
	.irq_line = kvm_irq_line,
	.signal_msi = kvm_signal_msi,
};
