// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults.  With its own GDT/TSS/IDT installed, the payload takes five
 * #PFs; the handler prints vector, error code and CR2, then repairs the
 * mapping (the access is retried) or skips the access:
 *   1. read at 4 GiB + 8, above lkvm's identity map: mapped to scratch
 *      physical 2 MiB, error 0;
 *   2. write to a 2 MiB page whose present bit the payload cleared: error 2;
 *   3. write to the same page made read-only, with CR0.WP set: error 3;
 *   4. call into a page made no-execute, with EFER.NXE set: error 0x11;
 *   5. read at 512 GiB (no PML4 entry): skipped, error 0.
 * The payload needs 12 MiB of RAM.  Exit status 0 after all five.
 */
#include "guest.h"

#define HIGH_VA		0x100000000ULL	/* 4 GiB */
#define SCRATCH_PA	0x200000ULL
#define TEST_VA		0x600000ULL
#define CODE_VA		0x800000ULL
#define FAR_VA		0x8000000000ULL	/* 512 GiB */
#define EXPECTED_FAULTS	5

static u64 high_pd[512] __attribute__((aligned(4096)));

/* What the #PF handler does: restore *entry to good, and/or resume elsewhere. */
static struct {
	u64 *entry;
	u64 good;
	u64 resume;
} fix;
static int faults;

static void pf_handler(struct trap_frame *f)
{
	u64 cr2 = read_cr2();

	faults++;
	print("#PF: vector %lu, error %lx, cr2 %lx\n", f->vector, f->error, cr2);
	if (fix.entry) {
		*fix.entry = fix.good;
		invlpg(cr2);
	}
	if (fix.resume)
		f->rip = fix.resume;
	fix.entry = NULL;
	fix.resume = 0;
}

/* Changes the 2 MiB leaf mapping va and arms the handler to undo it. */
static void break_page(u64 va, u64 set, u64 clear)
{
	u64 size, *e = pte_lookup(va, &size);

	fix.entry = e;
	fix.good = *e;
	*e = (*e | set) & ~clear;
	invlpg(va);
}

static void read_above_4g(void)
{
	u64 size, *e = pte_lookup(HIGH_VA, &size);

	if (*e & PTE_P) {
		print("4 GiB is mapped: FAIL\n");
		return;
	}
	high_pd[0] = SCRATCH_PA | PTE_P | PTE_RW | PTE_PS;
	*(volatile u64 *)(SCRATCH_PA + 8) = 0x1122334455667788ULL;
	fix.entry = e;
	fix.good = (u64)high_pd | PTE_P | PTE_RW;
	print("read above 4 GiB: %lx\n", *(volatile u64 *)(HIGH_VA + 8));
}

static void write_unmapped(void)
{
	break_page(TEST_VA, 0, PTE_P);
	*(volatile u32 *)(TEST_VA + 0x40) = 0xcafe;
	print("write to unmapped page: %x\n", *(volatile u32 *)(TEST_VA + 0x40));
}

static void write_read_only(void)
{
	write_cr0(read_cr0() | CR0_WP);
	break_page(TEST_VA, 0, PTE_RW);
	*(volatile u32 *)(TEST_VA + 0x80) = 0xbeef;
	print("write to read-only page: %x\n", *(volatile u32 *)(TEST_VA + 0x80));
}

static void call_no_execute(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	*(volatile u8 *)CODE_VA = 0xc3;	/* ret */
	break_page(CODE_VA, PTE_NX, 0);
	((void (*)(void))CODE_VA)();
	print("call into no-execute page: returned\n");
}

static void read_far(void)
{
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %0\n\t"
		     "movq (%1), %%rax\n"
		     "1:"
		     : "=m"(fix.resume) : "r"(FAR_VA) : "rax", "memory");
	print("read at 512 GiB: skipped\n");
}

int payload_main(void)
{
	traps_init();
	set_trap_handler(14, pf_handler);
	read_above_4g();
	write_unmapped();
	write_read_only();
	call_no_execute();
	read_far();
	print("page faults: %d\n", faults);
	return faults != EXPECTED_FAULTS;
}
