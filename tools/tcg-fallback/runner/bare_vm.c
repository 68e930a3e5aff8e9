// SPDX-License-Identifier: GPL-2.0
/*
 * The bare VM: long mode set up by hand, on KVM or libtcg behind one small
 * table of operations.  See bare_vm.h for the layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "bare_vm.h"

#ifndef HAVE_TCG
#define HAVE_TCG 0
#endif
#if HAVE_TCG
#include "tcg.h"
#endif

#define MAX_SLOTS	8
#define MAX_CPUID	128

#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_SFMASK	0xc0000084

#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_US		0x4ULL
#define PTE_PS		0x80ULL

extern const unsigned char bvm_stubs_start[], bvm_stubs_end[];
extern const unsigned char bvm_exc_stubs[], bvm_syscall_entry[];
extern const unsigned char bvm_user_entry[];

struct bvm_slot {
	uint64_t gpa, size;
	void *host;
};

struct bare_vm;

struct bvm_ops {
	int (*create)(struct bare_vm *vm);
	void (*destroy)(struct bare_vm *vm);
	int (*add_slot)(struct bare_vm *vm, unsigned int idx);
	int (*get_regs)(struct bare_vm *vm, struct kvm_regs *regs);
	int (*set_regs)(struct bare_vm *vm, const struct kvm_regs *regs);
	int (*set_sregs)(struct bare_vm *vm, const struct kvm_sregs *sregs);
	int (*set_msrs)(struct bare_vm *vm, const struct kvm_msrs *msrs);
	int (*set_fpu)(struct bare_vm *vm, const struct kvm_fpu *fpu);
	/* Gives the vCPU all the CPUID leaves the backend supports. */
	int (*set_cpuid)(struct bare_vm *vm, struct kvm_cpuid2 *cpuid);
	enum bvm_exit (*run)(struct bare_vm *vm);
	void (*kick)(struct bare_vm *vm);
	uint64_t (*insn_count)(struct bare_vm *vm);
	/* The host wrote guest memory: drop translations of it. */
	void (*host_write)(struct bare_vm *vm, uint64_t gpa, uint64_t len);
};

struct bare_vm {
	const struct bvm_ops *ops;
	struct bvm_slot slots[MAX_SLOTS];
	unsigned int nr_slots;
	bvm_pio_fn *pio;
	void *pio_opaque;
	char err[256];
	volatile sig_atomic_t timed_out;
	/*
	 * The PVM flavour of KVM (found on some clouds) leaves SYSCALL at
	 * CPL 3; the stubs then need the system area, the port (TSS I/O
	 * bitmap) and WRFSBASE at CPL 3.  Only set for KVM.
	 */
	bool cpl3_syscall;
	/* KVM */
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	/* TCG */
	struct tcg_vm *tvm;
	struct tcg_vcpu *tvcpu;
};

static void set_err(struct bare_vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm->err, sizeof(vm->err), fmt, ap);
	va_end(ap);
}

/* Port I/O other than through the handler, and all MMIO, are guest bugs. */
static void bad_access(struct bare_vm *vm, const char *what, uint64_t addr,
		       unsigned int len, bool is_write)
{
	if (!vm->err[0])
		set_err(vm, "unexpected %s %s of %u bytes at 0x%llx", what,
			is_write ? "write" : "read", len,
			(unsigned long long)addr);
}

static void do_pio(struct bare_vm *vm, uint16_t port, void *data,
		   unsigned int len, bool is_write)
{
	if (vm->pio) {
		vm->pio(vm->pio_opaque, port, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0xff, len);
	bad_access(vm, "port", port, len, is_write);
	vm->ops->kick(vm);
}

/* ---- KVM ---- */

static int kvm_create(struct bare_vm *vm)
{
	int mmap_size;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		set_err(vm, "cannot open /dev/kvm: %s", strerror(errno));
		return -errno;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		set_err(vm, "KVM_CREATE_VM: %s", strerror(errno));
		return -errno;
	}
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		set_err(vm, "KVM_CREATE_VCPU: %s", strerror(errno));
		return -errno;
	}
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		set_err(vm, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -EINVAL;
	}
	vm->run_size = mmap_size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		set_err(vm, "mmap of kvm_run: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void kvm_destroy(struct bare_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}

static int kvm_ioctl(struct bare_vm *vm, int fd, unsigned long req,
		     const void *arg, const char *name)
{
	if (ioctl(fd, req, arg) < 0) {
		set_err(vm, "%s: %s", name, strerror(errno));
		return -errno;
	}
	return 0;
}

static int kvm_add_slot(struct bare_vm *vm, unsigned int idx)
{
	struct kvm_userspace_memory_region r = {
		.slot = idx,
		.guest_phys_addr = vm->slots[idx].gpa,
		.memory_size = vm->slots[idx].size,
		.userspace_addr = (uintptr_t)vm->slots[idx].host,
	};

	return kvm_ioctl(vm, vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r,
			 "KVM_SET_USER_MEMORY_REGION");
}

static int kvm_get_regs(struct bare_vm *vm, struct kvm_regs *regs)
{
	return kvm_ioctl(vm, vm->vcpu_fd, KVM_GET_REGS, regs, "KVM_GET_REGS");
}

static int kvm_set_regs(struct bare_vm *vm, const struct kvm_regs *regs)
{
	return kvm_ioctl(vm, vm->vcpu_fd, KVM_SET_REGS, regs, "KVM_SET_REGS");
}

static int kvm_set_sregs(struct bare_vm *vm, const struct kvm_sregs *sregs)
{
	return kvm_ioctl(vm, vm->vcpu_fd, KVM_SET_SREGS, sregs,
			 "KVM_SET_SREGS");
}

static int kvm_set_msrs(struct bare_vm *vm, const struct kvm_msrs *msrs)
{
	int n = ioctl(vm->vcpu_fd, KVM_SET_MSRS, msrs);

	if (n != (int)msrs->nmsrs) {
		set_err(vm, "KVM_SET_MSRS: set %d of %u", n, msrs->nmsrs);
		return -EINVAL;
	}
	return 0;
}

static int kvm_set_fpu(struct bare_vm *vm, const struct kvm_fpu *fpu)
{
	return kvm_ioctl(vm, vm->vcpu_fd, KVM_SET_FPU, fpu, "KVM_SET_FPU");
}

static int kvm_set_cpuid(struct bare_vm *vm, struct kvm_cpuid2 *cpuid)
{
	int ret = kvm_ioctl(vm, vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid,
			    "KVM_GET_SUPPORTED_CPUID");

	if (ret)
		return ret;
	return kvm_ioctl(vm, vm->vcpu_fd, KVM_SET_CPUID2, cpuid,
			 "KVM_SET_CPUID2");
}

static void kvm_do_io(struct bare_vm *vm)
{
	unsigned char *data = (unsigned char *)vm->run + vm->run->io.data_offset;
	unsigned int i;

	for (i = 0; i < vm->run->io.count; i++) {
		do_pio(vm, vm->run->io.port, data, vm->run->io.size,
		       vm->run->io.direction == KVM_EXIT_IO_OUT);
		data += vm->run->io.size;
	}
}

static enum bvm_exit kvm_run(struct bare_vm *vm)
{
	struct kvm_run *run = vm->run;

	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			run->immediate_exit = 0;
			if (errno == EINTR && vm->timed_out)
				return BVM_EXIT_TIMEOUT;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			set_err(vm, "KVM_RUN: %s", strerror(errno));
			return BVM_EXIT_ERROR;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			return BVM_EXIT_HLT;
		case KVM_EXIT_SHUTDOWN:
			return BVM_EXIT_SHUTDOWN;
		case KVM_EXIT_IO:
			kvm_do_io(vm);
			if (vm->err[0])
				return BVM_EXIT_ERROR;
			break;
		case KVM_EXIT_MMIO:
			bad_access(vm, "memory", run->mmio.phys_addr,
				   run->mmio.len, run->mmio.is_write);
			return BVM_EXIT_ERROR;
		case KVM_EXIT_INTR:
			if (vm->timed_out)
				return BVM_EXIT_TIMEOUT;
			break;
		case KVM_EXIT_FAIL_ENTRY:
			set_err(vm, "KVM entry failed, reason 0x%llx",
				(unsigned long long)
				run->fail_entry.hardware_entry_failure_reason);
			return BVM_EXIT_ERROR;
		case KVM_EXIT_INTERNAL_ERROR:
			set_err(vm, "KVM internal error, suberror %u",
				run->internal.suberror);
			return BVM_EXIT_ERROR;
		default:
			set_err(vm, "unexpected KVM exit reason %u",
				run->exit_reason);
			return BVM_EXIT_ERROR;
		}
	}
}

/* Interrupts a KVM_RUN in progress (the signal does) or the next one. */
static void kvm_kick(struct bare_vm *vm)
{
	vm->run->immediate_exit = 1;
}

static uint64_t kvm_insn_count(struct bare_vm *vm)
{
	return 0;
}

/* KVM sees host writes as they happen. */
static void kvm_host_write(struct bare_vm *vm, uint64_t gpa, uint64_t len)
{
}

static const struct bvm_ops kvm_ops = {
	.create = kvm_create,
	.destroy = kvm_destroy,
	.add_slot = kvm_add_slot,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.set_sregs = kvm_set_sregs,
	.set_msrs = kvm_set_msrs,
	.set_fpu = kvm_set_fpu,
	.set_cpuid = kvm_set_cpuid,
	.run = kvm_run,
	.kick = kvm_kick,
	.insn_count = kvm_insn_count,
	.host_write = kvm_host_write,
};

/* ---- TCG ---- */

#if HAVE_TCG
static void tcg_pio_cb(void *opaque, uint16_t port, void *data,
		       unsigned int len, bool is_write)
{
	do_pio(opaque, port, data, len, is_write);
}

static void tcg_mmio_cb(void *opaque, uint64_t gpa, void *data,
			unsigned int len, bool is_write)
{
	struct bare_vm *vm = opaque;

	if (!is_write)
		memset(data, 0xff, len);
	bad_access(vm, "memory", gpa, len, is_write);
	tcg_vcpu_kick(vm->tvcpu);
}

static int tcg_check(struct bare_vm *vm, int ret, const char *name)
{
	if (ret < 0)
		set_err(vm, "%s: %s", name, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int tcg_create(struct bare_vm *vm)
{
	static const struct tcg_io_ops io = {
		.pio = tcg_pio_cb,
		.mmio = tcg_mmio_cb,
	};
	struct tcg_io_ops ops = io;

	vm->tvm = tcg_vm_create();
	if (!vm->tvm) {
		set_err(vm, "tcg_vm_create failed");
		return -ENOMEM;
	}
	ops.opaque = vm;
	tcg_vm_set_io_ops(vm->tvm, &ops);
	vm->tvcpu = tcg_vcpu_create(vm->tvm, 0);
	if (!vm->tvcpu) {
		set_err(vm, "tcg_vcpu_create failed");
		return -ENOMEM;
	}
	return 0;
}

static void tcg_destroy(struct bare_vm *vm)
{
	if (vm->tvcpu)
		tcg_vcpu_destroy(vm->tvcpu);
	if (vm->tvm)
		tcg_vm_destroy(vm->tvm);
}

static int tcg_add_slot(struct bare_vm *vm, unsigned int idx)
{
	struct kvm_userspace_memory_region r = {
		.slot = idx,
		.guest_phys_addr = vm->slots[idx].gpa,
		.memory_size = vm->slots[idx].size,
		.userspace_addr = (uintptr_t)vm->slots[idx].host,
	};

	return tcg_check(vm, tcg_set_user_memory_region(vm->tvm, &r),
			 "tcg_set_user_memory_region");
}

static int tcg_get_regs_op(struct bare_vm *vm, struct kvm_regs *regs)
{
	return tcg_check(vm, tcg_get_regs(vm->tvcpu, regs), "tcg_get_regs");
}

static int tcg_set_regs_op(struct bare_vm *vm, const struct kvm_regs *regs)
{
	return tcg_check(vm, tcg_set_regs(vm->tvcpu, regs), "tcg_set_regs");
}

static int tcg_set_sregs_op(struct bare_vm *vm, const struct kvm_sregs *s)
{
	return tcg_check(vm, tcg_set_sregs(vm->tvcpu, s), "tcg_set_sregs");
}

static int tcg_set_msrs_op(struct bare_vm *vm, const struct kvm_msrs *msrs)
{
	int n = tcg_set_msrs(vm->tvcpu, msrs);

	if (n != (int)msrs->nmsrs) {
		set_err(vm, "tcg_set_msrs: set %d of %u", n, msrs->nmsrs);
		return -EINVAL;
	}
	return 0;
}

static int tcg_set_fpu_op(struct bare_vm *vm, const struct kvm_fpu *fpu)
{
	return tcg_check(vm, tcg_set_fpu(vm->tvcpu, fpu), "tcg_set_fpu");
}

static int tcg_set_cpuid_op(struct bare_vm *vm, struct kvm_cpuid2 *cpuid)
{
	int ret = tcg_check(vm, tcg_get_supported_cpuid(cpuid),
			    "tcg_get_supported_cpuid");

	if (ret)
		return ret;
	return tcg_check(vm, tcg_set_cpuid2(vm->tvcpu, cpuid),
			 "tcg_set_cpuid2");
}

static enum bvm_exit tcg_run_op(struct bare_vm *vm)
{
	enum tcg_exit reason;
	int ret;

	for (;;) {
		ret = tcg_vcpu_run(vm->tvcpu, &reason);
		if (ret < 0) {
			set_err(vm, "tcg_vcpu_run: %s", strerror(-ret));
			return BVM_EXIT_ERROR;
		}
		if (vm->err[0])
			return BVM_EXIT_ERROR;
		switch (reason) {
		case TCG_EXIT_HLT:
			return BVM_EXIT_HLT;
		case TCG_EXIT_SHUTDOWN:
			return BVM_EXIT_SHUTDOWN;
		case TCG_EXIT_INTR:
			if (vm->timed_out)
				return BVM_EXIT_TIMEOUT;
			break;
		case TCG_EXIT_INTERNAL_ERROR:
			set_err(vm, "emulator: %s", tcg_vcpu_error(vm->tvcpu));
			return BVM_EXIT_ERROR;
		default:
			set_err(vm, "unexpected tcg exit %d", reason);
			return BVM_EXIT_ERROR;
		}
	}
}

static void tcg_kick_op(struct bare_vm *vm)
{
	tcg_vcpu_kick(vm->tvcpu);
}

static uint64_t tcg_insn_count_op(struct bare_vm *vm)
{
	return tcg_vcpu_insn_count(vm->tvcpu);
}

static void tcg_host_write_op(struct bare_vm *vm, uint64_t gpa, uint64_t len)
{
	tcg_vm_host_write(vm->tvm, gpa, len);
}

static const struct bvm_ops tcg_ops = {
	.create = tcg_create,
	.destroy = tcg_destroy,
	.add_slot = tcg_add_slot,
	.get_regs = tcg_get_regs_op,
	.set_regs = tcg_set_regs_op,
	.set_sregs = tcg_set_sregs_op,
	.set_msrs = tcg_set_msrs_op,
	.set_fpu = tcg_set_fpu_op,
	.set_cpuid = tcg_set_cpuid_op,
	.run = tcg_run_op,
	.kick = tcg_kick_op,
	.insn_count = tcg_insn_count_op,
	.host_write = tcg_host_write_op,
};
#endif /* HAVE_TCG */

/* ---- common ---- */

int bvm_parse_backend(const char *name)
{
	if (!strcmp(name, "kvm"))
		return BVM_KVM;
	if (!strcmp(name, "tcg"))
		return BVM_TCG;
	return -1;
}

const char *bvm_backend_name(enum bvm_backend be)
{
	return be == BVM_KVM ? "kvm" : "tcg";
}

bool bvm_backend_available(enum bvm_backend be, char *why, size_t len)
{
	int fd;

	if (be == BVM_TCG) {
		if (!HAVE_TCG)
			snprintf(why, len, "libtcg.a did not build or link when this program was built");
		return HAVE_TCG;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "cannot open /dev/kvm: %s", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static const struct bvm_ops *backend_ops(enum bvm_backend be)
{
#if HAVE_TCG
	if (be == BVM_TCG)
		return &tcg_ops;
#endif
	return be == BVM_KVM ? &kvm_ops : NULL;
}

void *bvm_add_memory(struct bare_vm *vm, uint64_t gpa, uint64_t size)
{
	struct bvm_slot *s;
	void *host;

	if (vm->nr_slots == MAX_SLOTS || (gpa | size) & (BVM_SYS_SIZE - 1) ||
	    !size || gpa + size > BVM_MAP_LIMIT) {
		set_err(vm, "bad guest memory range 0x%llx+0x%llx",
			(unsigned long long)gpa, (unsigned long long)size);
		return NULL;
	}
	host = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED) {
		set_err(vm, "cannot allocate %llu bytes of guest memory",
			(unsigned long long)size);
		return NULL;
	}
	s = &vm->slots[vm->nr_slots];
	s->gpa = gpa;
	s->size = size;
	s->host = host;
	if (vm->ops->add_slot(vm, vm->nr_slots)) {
		munmap(host, size);
		return NULL;
	}
	vm->nr_slots++;
	return host;
}

void *bvm_gpa(struct bare_vm *vm, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_slots; i++) {
		struct bvm_slot *s = &vm->slots[i];

		if (gpa >= s->gpa && len <= s->size && gpa - s->gpa <= s->size - len)
			return (char *)s->host + (gpa - s->gpa);
	}
	return NULL;
}

struct bvm_info *bvm_info(struct bare_vm *vm)
{
	return bvm_gpa(vm, BVM_INFO, sizeof(struct bvm_info));
}

static uint64_t *sys_u64(struct bare_vm *vm, uint64_t gpa)
{
	return bvm_gpa(vm, gpa, 8);
}

/*
 * Identity map of the first 1 GiB with 2 MiB pages; the first page (the
 * system area) is supervisor-only so that a stray user access faults.
 */
static void build_page_tables(struct bare_vm *vm)
{
	uint64_t *pd = sys_u64(vm, BVM_PD);
	unsigned int i;

	*sys_u64(vm, BVM_PML4) = BVM_PDPT | PTE_P | PTE_RW | PTE_US;
	*sys_u64(vm, BVM_PDPT) = BVM_PD | PTE_P | PTE_RW | PTE_US;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS |
			(i || vm->cpl3_syscall ? PTE_US : 0);
}

static uint64_t seg_desc(unsigned int type, unsigned int dpl, bool code64)
{
	/* base 0, limit 0xfffff pages, present, S=1, G=1; L or D/B */
	uint64_t d = 0xffffULL | (0xfULL << 48) | (1ULL << 55) | (1ULL << 47) |
		     (1ULL << 44);

	d |= (uint64_t)type << 40 | (uint64_t)dpl << 45;
	d |= code64 ? 1ULL << 53 : 1ULL << 54;
	return d;
}

/*
 * The I/O bitmap follows the 0x68-byte TSS.  Normally it lies beyond the
 * limit (no port at CPL 3); for CPL 3 stubs it allows the syscall port only
 * (33 bytes: ports 0-263, the last byte all ones as required).
 */
#define IOMAP_LEN	33

static uint64_t tss_limit(struct bare_vm *vm)
{
	return 0x67 + (vm->cpl3_syscall ? IOMAP_LEN : 0);
}

static void build_gdt_idt_tss(struct bare_vm *vm)
{
	uint64_t *gdt = sys_u64(vm, BVM_GDT);
	uint64_t *idt = sys_u64(vm, BVM_IDT);
	uint8_t *iomap = bvm_gpa(vm, BVM_TSS + 0x68, IOMAP_LEN);
	uint64_t tss = BVM_TSS, limit = tss_limit(vm), off, dpl;
	unsigned int v;

	if (vm->cpl3_syscall) {
		memset(iomap, 0xff, IOMAP_LEN);
		iomap[BVM_SYSCALL_PORT / 8] &= ~(1 << (BVM_SYSCALL_PORT % 8));
	}

	gdt[BVM_SEL_KCODE / 8] = seg_desc(0xb, 0, true);
	gdt[BVM_SEL_KDATA / 8] = seg_desc(0x3, 0, false);
	gdt[BVM_SEL_UCODE32 / 8] = seg_desc(0xb, 3, false);
	gdt[BVM_SEL_UDATA / 8] = seg_desc(0x3, 3, false);
	gdt[BVM_SEL_UCODE / 8] = seg_desc(0xb, 3, true);
	/* busy 64-bit TSS */
	gdt[BVM_SEL_TSS / 8] = limit | (tss & 0xffffff) << 16 | 0x8bULL << 40 |
			       ((tss >> 24) & 0xff) << 56;
	gdt[BVM_SEL_TSS / 8 + 1] = tss >> 32;
	/* TSS.RSP0: the stack for exceptions taken at CPL 3. */
	/* RSP0 sits at offset 4: not 8-byte aligned, so no u64 store. */
	memcpy(bvm_gpa(vm, BVM_TSS + 4, 8), &(uint64_t){ BVM_KSTACK_TOP }, 8);
	*(uint16_t *)bvm_gpa(vm, BVM_TSS + 102, 2) = 0x68;	/* I/O map base */

	for (v = 0; v < 32; v++) {
		off = BVM_STUBS + (bvm_exc_stubs - bvm_stubs_start) + 16 * v;
		/* INT3 and INTO may be used at CPL 3, as under Linux. */
		dpl = v == 3 || v == 4 ? 3 : 0;
		idt[2 * v] = (off & 0xffff) | (uint64_t)BVM_SEL_KCODE << 16 |
			     (0x8eULL | dpl << 5) << 40 |
			     (off >> 16 & 0xffff) << 48;
		idt[2 * v + 1] = off >> 32;
	}
}

static void set_seg(struct kvm_segment *s, uint16_t sel, unsigned int type,
		    bool code64)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = sel & 3, .db = !code64, .s = 1,
		.l = code64, .g = 1,
	};
}

static int set_long_mode(struct bare_vm *vm)
{
	struct kvm_sregs sregs;

	memset(&sregs, 0, sizeof(sregs));
	set_seg(&sregs.cs, BVM_SEL_KCODE, 0xb, true);
	set_seg(&sregs.ds, BVM_SEL_KDATA, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){
		.base = BVM_TSS, .limit = tss_limit(vm), .selector = BVM_SEL_TSS,
		.type = 0xb, .present = 1,
	};
	sregs.ldt = (struct kvm_segment){ .type = 2, .present = 1,
					  .limit = 0xffff };
	sregs.gdt.base = BVM_GDT;
	sregs.gdt.limit = BVM_SEL_TSS + 16 - 1;
	sregs.idt.base = BVM_IDT;
	sregs.idt.limit = 32 * 16 - 1;
	/* PG, WP, NE, ET, MP, PE; no EM/TS so that SSE runs. */
	sregs.cr0 = 0x80010033;
	sregs.cr3 = BVM_PML4;
	/* PAE, OSFXSR, OSXMMEXCPT; FSGSBASE for a CPL 3 syscall stub */
	sregs.cr4 = 0x620 | (vm->cpl3_syscall ? 0x10000 : 0);
	/* NXE, LMA, LME, SCE */
	sregs.efer = 0xd01;
	sregs.apic_base = 0xfee00900;
	return vm->ops->set_sregs(vm, &sregs);
}

static int set_msrs_fpu_cpuid(struct bare_vm *vm)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} msrs = {
		.hdr.nmsrs = 3,
		.e = {
			{ .index = MSR_STAR,
			  .data = (uint64_t)(BVM_SEL_UCODE32 & ~3) << 48 |
				  (uint64_t)BVM_SEL_KCODE << 32 },
			{ .index = MSR_LSTAR,
			  .data = BVM_STUBS +
				  (bvm_syscall_entry - bvm_stubs_start) },
			/* TF, IF, DF, AC cleared on SYSCALL */
			{ .index = MSR_SFMASK, .data = 0x40700 },
		},
	};
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	struct kvm_cpuid2 *cpuid;
	int ret;

	ret = vm->ops->set_msrs(vm, &msrs.hdr);
	if (!ret)
		ret = vm->ops->set_fpu(vm, &fpu);
	if (ret)
		return ret;
	cpuid = calloc(1, sizeof(*cpuid) +
			  MAX_CPUID * sizeof(struct kvm_cpuid_entry2));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = MAX_CPUID;
	ret = vm->ops->set_cpuid(vm, cpuid);
	free(cpuid);
	return ret;
}

struct bare_vm *bvm_create(enum bvm_backend be, char *why, size_t len)
{
	struct bare_vm *vm = calloc(1, sizeof(*vm));
	struct kvm_regs regs = { .rflags = 2, .rsp = BVM_KSTACK_TOP };

	if (!vm) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	vm->ops = backend_ops(be);
	vm->cpl3_syscall = be == BVM_KVM;
	if (!vm->ops) {
		bvm_backend_available(be, why, len);
		free(vm);
		return NULL;
	}
	if (vm->ops->create(vm) || !bvm_add_memory(vm, 0, BVM_SYS_SIZE))
		goto fail;
	build_page_tables(vm);
	build_gdt_idt_tss(vm);
	memcpy(bvm_gpa(vm, BVM_STUBS, bvm_stubs_end - bvm_stubs_start),
	       bvm_stubs_start, bvm_stubs_end - bvm_stubs_start);
	if (set_long_mode(vm) || set_msrs_fpu_cpuid(vm) ||
	    vm->ops->set_regs(vm, &regs))
		goto fail;
	return vm;
fail:
	snprintf(why, len, "%s: %s", bvm_backend_name(be), vm->err);
	bvm_destroy(vm);
	return NULL;
}

void bvm_destroy(struct bare_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	vm->ops->destroy(vm);
	for (i = 0; i < vm->nr_slots; i++)
		munmap(vm->slots[i].host, vm->slots[i].size);
	free(vm);
}

void bvm_set_pio(struct bare_vm *vm, bvm_pio_fn *fn, void *opaque)
{
	vm->pio = fn;
	vm->pio_opaque = opaque;
}

int bvm_get_regs(struct bare_vm *vm, struct kvm_regs *regs)
{
	return vm->ops->get_regs(vm, regs);
}

int bvm_set_regs(struct bare_vm *vm, const struct kvm_regs *regs)
{
	return vm->ops->set_regs(vm, regs);
}

int bvm_enter_user(struct bare_vm *vm, uint64_t rip, uint64_t rsp)
{
	uint64_t *frame = sys_u64(vm, BVM_KSTACK_TOP - 40);
	struct kvm_regs regs = {
		.rip = BVM_STUBS + (bvm_user_entry - bvm_stubs_start),
		.rsp = BVM_KSTACK_TOP - 40,
		.rflags = 2,
	};

	frame[0] = rip;
	frame[1] = BVM_SEL_UCODE;
	frame[2] = 0x202;
	frame[3] = rsp;
	frame[4] = BVM_SEL_UDATA;
	return vm->ops->set_regs(vm, &regs);
}

static struct bare_vm *alarm_vm;

static void alarm_handler(int sig)
{
	if (alarm_vm) {
		alarm_vm->timed_out = 1;
		alarm_vm->ops->kick(alarm_vm);
	}
}

static void arm_timer(struct bare_vm *vm, unsigned int ms)
{
	struct sigaction sa = { .sa_handler = alarm_handler };
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 },
		/* Repeat: a kick that lands between two KVM_RUNs is lost. */
		.it_interval = { .tv_usec = 100000 },
	};

	alarm_vm = vm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
	alarm_vm = NULL;
}

enum bvm_exit bvm_run(struct bare_vm *vm, unsigned int timeout_ms)
{
	enum bvm_exit e;

	vm->err[0] = 0;
	vm->timed_out = 0;
	if (timeout_ms)
		arm_timer(vm, timeout_ms);
	e = vm->ops->run(vm);
	if (timeout_ms)
		disarm_timer();
	return e;
}

void bvm_host_write(struct bare_vm *vm, uint64_t gpa, uint64_t len)
{
	vm->ops->host_write(vm, gpa, len);
}

uint64_t bvm_insn_count(struct bare_vm *vm)
{
	return vm->ops->insn_count(vm);
}

const char *bvm_error(struct bare_vm *vm)
{
	return vm->err;
}

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

bool bvm_describe_exception(struct bare_vm *vm, char *buf, size_t len)
{
	struct bvm_info *info = bvm_info(vm);
	uint64_t v = info->exc_vector;

	if (!v || v > 32)
		return false;
	snprintf(buf, len, "%s (vector %llu) at rip 0x%llx, error code 0x%llx, cr2 0x%llx",
		 exc_names[v - 1] ? exc_names[v - 1] : "exception",
		 (unsigned long long)v - 1,
		 (unsigned long long)info->exc_rip,
		 (unsigned long long)info->exc_error,
		 (unsigned long long)info->exc_cr2);
	return true;
}
