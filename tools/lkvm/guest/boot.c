// SPDX-License-Identifier: GPL-2.0
/*
 * Checks the machine state at entry against the payload boot protocol of
 * include/uapi/linux/lkvm.h.  Exit status: the number of failed checks.
 * The RSP check assumes that all of RAM lies below the MMIO hole under
 * 4 GiB (the tests run it with 16 MiB).
 */
#include "guest.h"

#define RFLAGS_IF	(1ULL << 9)
#define CR0_PE		(1ULL << 0)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

static int failures;

static void check(const char *what, bool ok, u64 value)
{
	print("%s: ", what);
	if (ok) {
		print("ok\n");
		return;
	}
	print("FAIL (%lx)\n", value);
	failures++;
}

/* Identity-mapped by a 2 MiB page: the protocol's promise for va. */
static bool mapped_2m_identity(u64 va)
{
	u64 size, *e = pte_lookup(va, &size);

	return (*e & PTE_P) && size == 2ULL << 20 &&
	       (*e & PTE_ADDR & ~(size - 1)) == (va & ~(size - 1));
}

int payload_main(void)
{
	static const u64 probes[] = {
		0, LKVM_PAYLOAD_MIN_LOAD, LKVM_EXIT_MMIO, 0xfee00000, 0xffffffff,
	};
	u16 cs, ds, es, ss;
	u64 efer = rdmsr(MSR_EFER);
	bool identity = mapped_2m_identity(boot_rdi - 1);

	asm("mov %%cs, %0; mov %%ds, %1; mov %%es, %2; mov %%ss, %3"
	    : "=r"(cs), "=r"(ds), "=r"(es), "=r"(ss));
	for (unsigned int i = 0; i < ARRAY_SIZE(probes); i++)
		identity &= mapped_2m_identity(probes[i]);

	print("ram size: %lu MiB\n", boot_rdi >> 20);
	check("rsp at top of ram", boot_rsp == boot_rdi, boot_rsp);
	check("interrupts off", !(boot_rflags & RFLAGS_IF), boot_rflags);
	check("cs", cs == LKVM_PAYLOAD_CS, cs);
	check("ds es ss", ds == LKVM_PAYLOAD_DS && es == LKVM_PAYLOAD_DS &&
	      ss == LKVM_PAYLOAD_DS, (u64)ds << 32 | es << 16 | ss);
	check("long mode", (efer & (EFER_LME | EFER_LMA)) ==
	      (EFER_LME | EFER_LMA), efer);
	check("paging", (read_cr0() & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG) &&
	      (read_cr4() & CR4_PAE), read_cr0());
	check("page tables", (read_cr3() & PTE_ADDR) == LKVM_PAYLOAD_PT,
	      read_cr3());
	check("identity map", identity, 0);
	return failures;
}
