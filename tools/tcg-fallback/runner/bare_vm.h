/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A "bare VM" for tests and tools of the TCG fallback: one vCPU in 64-bit
 * mode, identity-mapped memory, no devices.  The same guest runs on KVM or on
 * libtcg, chosen at run time, so that each checks the other.
 *
 * Guest-physical layout of the system area (the first 2 MiB, supervisor
 * only); everything above 2 MiB up to 1 GiB is identity-mapped for CPL 3 too.
 */
#ifndef BARE_VM_H
#define BARE_VM_H

#define BVM_PML4		0x1000
#define BVM_PDPT		0x2000
#define BVM_PD			0x3000	/* 512 x 2 MiB pages: the first 1 GiB */
#define BVM_GDT			0x4000
#define BVM_IDT			0x5000
#define BVM_TSS			0x6000
#define BVM_INFO		0x7000	/* struct bvm_info */
#define BVM_STUBS		0x8000	/* code from bare_vm_stubs.S */
#define BVM_KSTACK_TOP		0x10000
#define BVM_SYS_SIZE		0x200000
#define BVM_MAP_LIMIT		0x40000000

/* Linux's GDT layout (some hypervisors expect it) */
#define BVM_SEL_KCODE		0x10
#define BVM_SEL_KDATA		0x18
#define BVM_SEL_UCODE32		0x23	/* SYSRET base: STAR[63:48] */
#define BVM_SEL_UDATA		0x2b	/* STAR[63:48] + 8 */
#define BVM_SEL_UCODE		0x33	/* STAR[63:48] + 16 */
#define BVM_SEL_TSS		0x40

/* The stubs' syscall entry writes this port after saving the arguments. */
#define BVM_SYSCALL_PORT	0xf8

/* Offsets in struct bvm_info, for the stubs. */
#define BVM_INFO_EXC_VECTOR	0
#define BVM_INFO_EXC_ERROR	8
#define BVM_INFO_EXC_RIP	16
#define BVM_INFO_EXC_CS		24
#define BVM_INFO_EXC_RFLAGS	32
#define BVM_INFO_EXC_RSP	40
#define BVM_INFO_EXC_CR2	48
#define BVM_INFO_SYS_NR		56
#define BVM_INFO_SYS_ARGS	64
#define BVM_INFO_SYS_RET	112
#define BVM_INFO_SYS_RCX	120
#define BVM_INFO_SYS_STOP	128
#define BVM_INFO_SYS_MSR	136
#define BVM_INFO_SYS_MSR_VAL	144

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/*
 * Written by the guest stubs.  An exception stores its frame and halts; a
 * SYSCALL stores its arguments and writes BVM_SYSCALL_PORT, whose handler
 * fills sys_ret (and sys_stop to halt instead of returning, sys_msr/
 * sys_msr_val to have the stub WRMSR before it returns to CPL 3).
 */
struct bvm_info {
	uint64_t exc_vector;	/* vector + 1; 0 while none was taken */
	uint64_t exc_error;
	uint64_t exc_rip;
	uint64_t exc_cs;
	uint64_t exc_rflags;
	uint64_t exc_rsp;
	uint64_t exc_cr2;
	uint64_t sys_nr;
	uint64_t sys_args[6];
	uint64_t sys_ret;
	uint64_t sys_rcx;
	uint64_t sys_stop;
	uint64_t sys_msr;
	uint64_t sys_msr_val;
};

enum bvm_backend { BVM_KVM, BVM_TCG };

enum bvm_exit {
	BVM_EXIT_HLT,
	BVM_EXIT_SHUTDOWN,	/* triple fault */
	BVM_EXIT_TIMEOUT,	/* bvm_run()'s time limit passed */
	BVM_EXIT_ERROR,		/* backend failure; see bvm_error() */
};

typedef void bvm_pio_fn(void *opaque, uint16_t port, void *data,
			unsigned int len, bool is_write);

struct bare_vm;

/*
 * Parses "kvm" or "tcg".  Returns -1 for anything else.
 */
int bvm_parse_backend(const char *name);
const char *bvm_backend_name(enum bvm_backend be);

/*
 * Whether @be can run here; if not, @why says why (e.g. libtcg.a was not
 * linked in, or /dev/kvm cannot be opened).
 */
bool bvm_backend_available(enum bvm_backend be, char *why, size_t len);

/*
 * Creates a VM with the system area at 0 (page tables, GDT, IDT, TSS and
 * stubs written), EFER/CR0/CR4 for long mode with SSE, SYSCALL set up, and
 * the vCPU at CPL 0 with interrupts disabled.  NULL with @why on failure.
 */
struct bare_vm *bvm_create(enum bvm_backend be, char *why, size_t len);
void bvm_destroy(struct bare_vm *vm);

/* Adds zeroed guest RAM at [gpa, gpa + size) (2 MiB aligned, below 1 GiB). */
void *bvm_add_memory(struct bare_vm *vm, uint64_t gpa, uint64_t size);

/* Host address of [gpa, gpa + len) if it is all backed, else NULL. */
void *bvm_gpa(struct bare_vm *vm, uint64_t gpa, uint64_t len);
struct bvm_info *bvm_info(struct bare_vm *vm);

/*
 * Tells the backend the host wrote guest memory [gpa, gpa + len) between
 * runs (or from a port handler), so that no stale translation of it runs.
 */
void bvm_host_write(struct bare_vm *vm, uint64_t gpa, uint64_t len);

void bvm_set_pio(struct bare_vm *vm, bvm_pio_fn *fn, void *opaque);

int bvm_get_regs(struct bare_vm *vm, struct kvm_regs *regs);
int bvm_set_regs(struct bare_vm *vm, const struct kvm_regs *regs);

/*
 * Sets the registers to start at CPL 3 at @rip with stack @rsp (through an
 * IRETQ in the stubs); the other GPRs are zero.
 */
int bvm_enter_user(struct bare_vm *vm, uint64_t rip, uint64_t rsp);

/* Runs until HLT (or a failure); @timeout_ms 0 means no limit. */
enum bvm_exit bvm_run(struct bare_vm *vm, unsigned int timeout_ms);

/* Guest instructions retired (TCG only; 0 on KVM, which cannot count). */
uint64_t bvm_insn_count(struct bare_vm *vm);
const char *bvm_error(struct bare_vm *vm);

/* One line describing the exception the stubs recorded, if any. */
bool bvm_describe_exception(struct bare_vm *vm, char *buf, size_t len);

#endif /* __ASSEMBLER__ */
#endif /* BARE_VM_H */
