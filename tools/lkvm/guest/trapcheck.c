// SPDX-License-Identifier: GPL-2.0
/*
 * Expected traps: TRIGGER() runs one instruction that should trap, the
 * handler records the trap and resumes after the instruction, and
 * report_trap() prints what happened in terms the tests can compare with
 * the architecture: vector, error code, saved RIP relative to the
 * instruction, and whether the handler ran on the IST1 stack.
 */
#include "guest.h"

u64 trap_insn_at, trap_resume_at;

static struct {
	u64 vector;
	u64 error;
	u64 rip;
	bool ist1;
} seen;

static void record_trap(struct trap_frame *f)
{
	seen.vector = f->vector;
	seen.error = f->error;
	seen.rip = f->rip;
	seen.ist1 = on_ist1_stack(f);
	f->rip = trap_resume_at;
}

void expect_traps(const u8 *vectors, unsigned int n)
{
	while (n--)
		set_trap_handler(vectors[n], record_trap);
	seen.vector = ~0ULL;
}

void report_trap(const char *name, bool has_error)
{
	print("%s: vector %lu", name, seen.vector);
	if (has_error)
		print(", error %lx", seen.error);
	if (seen.rip == trap_insn_at)
		print(", rip at insn");
	else if (seen.rip == trap_resume_at)
		print(", rip after insn");
	else
		print(", rip %lx", seen.rip);
	print(seen.ist1 ? ", ist1 stack\n" : "\n");
	seen.vector = ~0ULL;
}
