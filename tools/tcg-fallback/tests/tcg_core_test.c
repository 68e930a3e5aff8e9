// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the CPU core through tcg.h: the same instruction sequences run
 * natively and in the emulator must leave identical results and flags.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "vmh.h"

extern char alu_body[], alu_body_end[];
extern char sse_body[], sse_body_end[];

#define OUT_MAX	(1 << 20)
#define BUF_GPA	0x400000ull
#define FN_GPA	0x200000ull

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		printf("not ok: " __VA_ARGS__); \
		printf("\n"); \
		failures++; \
	} \
} while (0)

/* Stub at VMH_CODE: rdi = BUF_GPA; call FN_GPA; exit(0). */
static size_t call_stub(uint8_t *p)
{
	size_t n = 0;
	int32_t rel;

	p[n++] = 0x48; p[n++] = 0xbf;	/* movabs $BUF_GPA, %rdi */
	memcpy(p + n, &(uint64_t){ BUF_GPA }, 8); n += 8;
	p[n++] = 0xe8;			/* call FN_GPA */
	rel = FN_GPA - (VMH_CODE + n + 4);
	memcpy(p + n, &rel, 4); n += 4;
	p[n++] = 0x31; p[n++] = 0xc0;	/* xor %eax, %eax */
	p[n++] = 0x66; p[n++] = 0xba; p[n++] = 0xf0; p[n++] = 0x05;	/* mov $0x5f0, %dx */
	p[n++] = 0xee;			/* out %al, %dx */
	p[n++] = 0xf4;			/* hlt */
	return n;
}

/* Runs @body natively and in the emulator; both write results to a buffer. */
static void compare_with_native(const char *name, char *body, char *end)
{
	uint64_t *native = calloc(OUT_MAX, 1);
	void (*fn)(uint64_t *) = (void (*)(uint64_t *))body;
	uint64_t *emul;
	uint8_t stub[64];
	struct vmh h;
	size_t len = end - body, k, n;
	struct timespec t0, t1;
	int why;

	if (!getenv("NO_NATIVE"))
		fn(native);
	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	vmh_load(&h, FN_GPA, body, len);
	vmh_load(&h, VMH_CODE, stub, call_stub(stub));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	why = vmh_run(&h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == 0, "%s: exit %d code %d: %s",
	      name, why, h.exit_code, tcg_vcpu_error(h.cpu));
	emul = (uint64_t *)(h.mem + BUF_GPA);
	n = 0;
	for (k = 0; k < OUT_MAX / 8; k++)
		if (native[k] != emul[k] && n++ < 10)
			printf("# %s: word %zu: native %#llx emulated %#llx\n", name, k,
			       (unsigned long long)native[k], (unsigned long long)emul[k]);
	CHECK(n == 0, "%s: %zu words differ from native", name, n);
	for (k = OUT_MAX / 8; k && !native[k - 1]; k--)
		;
	printf("# %s: %zu result words, %llu instructions in %.1f ms\n", name, k,
	       (unsigned long long)tcg_vcpu_insn_count(h.cpu),
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	vmh_destroy(&h);
	free(native);
}

/*
 * Self-modifying code: a store into the running block must be seen by the
 * next instruction (as on the CPU), and a host-side write declared with
 * tcg_vm_host_write() must retire the translation.
 */
static void test_smc(void)
{
	static const uint8_t code[] = {
		0x66, 0xba, 0xf0, 0x05,		/* mov $0x5f0, %dx */
		0x48, 0x8d, 0x1d, 0x04, 0, 0, 0,	/* lea patch(%rip), %rbx */
		0xc6, 0x43, 0x01, 0x07,		/* movb $7, 1(%rbx) */
		0xb0, 0x01,			/* patch: mov $1, %al */
		0xee, 0xf4,			/* out %al, %dx; hlt */
	};
	struct kvm_regs regs;
	struct vmh h;
	int why;

	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	vmh_load(&h, VMH_CODE, code, sizeof(code));
	why = vmh_run(&h);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == 7,
	      "smc: store into the running block: exit %d code %d", why, h.exit_code);
	/* Rerun the patched instruction after the host rewrote it. */
	h.mem[VMH_CODE + 16] = 9;
	tcg_vm_host_write(h.vm, VMH_CODE + 16, 1);
	tcg_get_regs(h.cpu, &regs);
	regs.rip = VMH_CODE + 15;
	tcg_set_regs(h.cpu, &regs);
	h.exit_code = -1;
	why = vmh_run(&h);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == 9,
	      "smc: host write: exit %d code %d", why, h.exit_code);
	vmh_destroy(&h);
}

/* Whether this run compiles a block that runs @runs times (TCG_JIT*). */
static bool jit_expected(unsigned int runs)
{
	const char *on = getenv("TCG_JIT"), *th = getenv("TCG_JIT_THRESHOLD");

	if (on && !strcmp(on, "0"))
		return false;
	return (th ? strtoul(th, NULL, 10) : 16) <= runs;
}

/*
 * Self-modifying code in a hot loop: after 51 iterations another block
 * rewrites the immediate of an ADD in the loop, which by then the JIT has
 * compiled; the following iterations must add the new value, and its new
 * translation gets compiled in turn.  1 * 51 + 3 * 49 = 198.  A store to
 * the page before the loop gives it a writable TLB entry, so that the
 * rewrite takes the store fast path, which must notice the code.
 */
static void test_smc_hot_loop(void)
{
	static const uint8_t code[] = {
		0x66, 0xba, 0xf0, 0x05,			/* mov $0x5f0, %dx */
		0x48, 0x8d, 0x1d, 0x0b, 0, 0, 0,	/* lea top(%rip), %rbx */
		0xc6, 0x43, 0x1c, 0x00,			/* movb $0, 28(%rbx) */
		0xb9, 100, 0, 0, 0,			/* mov $100, %ecx */
		0x31, 0xc0,				/* xor %eax, %eax */
		0x83, 0xc0, 0x01,			/* top: add $1, %eax */
		0x83, 0xf9, 0x32,			/* cmp $50, %ecx */
		0x74, 0x06,				/* je patch */
		0xff, 0xc9,				/* next: dec %ecx */
		0x75, 0xf4,				/* jne top */
		0xee, 0xf4,				/* out %al, %dx; hlt */
		0xc6, 0x43, 0x02, 0x03,			/* patch: movb $3, 2(%rbx) */
		0xeb, 0xf4,				/* jmp next */
	};
	struct vmh h;
	uint64_t n;
	int why;

	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	vmh_load(&h, VMH_CODE, code, sizeof(code));
	why = vmh_run(&h);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == 198,
	      "smc in a hot loop: exit %d code %d (expected 198)", why, h.exit_code);
	/* 5 before the loop, 5 per iteration, MOVB and JMP once, the OUT */
	n = tcg_vcpu_insn_count(h.cpu);
	CHECK(n == 508, "smc in a hot loop: %llu instructions, expected 508",
	      (unsigned long long)n);
	n = tcg_vcpu_jit_blocks(h.cpu);
	CHECK(!n == !jit_expected(49), "smc in a hot loop: %llu blocks compiled, %s expected",
	      (unsigned long long)n, jit_expected(49) ? "some" : "none");
	printf("# smc in a hot loop: %llu blocks compiled\n", (unsigned long long)n);
	vmh_destroy(&h);
}

/*
 * A loop of two blocks that jump to each other (compiled and chained
 * directly in the JIT modes): A = "add $1, %rax; jmp B", B = "add $1, %rcx;
 * stc; jc A", forever (the JIT inlines the JMP and calls the handler of the
 * JC, whose host flags it does not know: both exits are chained).  Anything
 * that ends it (an interrupt, a kick) arrives at a block boundary, so RAX -
 * RCX is 0 or 1 and every instruction is counted: before the loop, 2 per A,
 * 3 per B, and what follows.
 */
#define LOOP_OFF	0x40
static const uint8_t chained_loop[] = {
	0x48, 0x83, 0xc0, 0x01,		/* A: add $1, %rax */
	0xeb, 0x00,			/* jmp B */
	0x48, 0x83, 0xc1, 0x01,		/* B: add $1, %rcx */
	0xf9,				/* stc */
	0x72, 0xf3,			/* jc A */
};

/* The loop stopped at @rip with RAX = @rax (RCX is left alone): were all
 * @before + loop + @after instructions counted? */
static void check_loop_state(const char *name, uint64_t rip, uint64_t rax,
			     uint64_t before, uint64_t after, struct vmh *h)
{
	uint64_t a = VMH_CODE + LOOP_OFF, n = tcg_vcpu_insn_count(h->cpu);
	struct kvm_regs r;

	tcg_get_regs(h->cpu, &r);
	r.rax = rax;
	CHECK(rip == a || rip == a + 6, "%s: stopped at %#llx, not at a block of the loop",
	      name, (unsigned long long)rip);
	CHECK(r.rax - r.rcx <= 1 && (r.rax - r.rcx == 1) == (rip == a + 6),
	      "%s: rax %llu rcx %llu at %#llx", name, (unsigned long long)r.rax,
	      (unsigned long long)r.rcx, (unsigned long long)rip);
	CHECK(n == before + 2 * r.rax + 3 * r.rcx + after,
	      "%s: %llu instructions counted, %llu executed", name, (unsigned long long)n,
	      (unsigned long long)(before + 2 * r.rax + 3 * r.rcx + after));
	CHECK(r.rax > 1000, "%s: only %llu iterations", name, (unsigned long long)r.rax);
	printf("# %s: %llu iterations, %llu blocks compiled\n", name,
	       (unsigned long long)r.rax, (unsigned long long)tcg_vcpu_jit_blocks(h->cpu));
}

static void *kick_later(void *arg)
{
	usleep(20000);
	tcg_vcpu_kick(arg);
	return NULL;
}

/* A kick from another thread stops the loop (TCG_EXIT_INTR). */
static void test_chained_kick(void)
{
	struct kvm_regs r;
	enum tcg_exit why;
	struct vmh h;
	pthread_t t;

	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	vmh_load(&h, VMH_CODE + LOOP_OFF, chained_loop, sizeof(chained_loop));
	tcg_get_regs(h.cpu, &r);
	r.rip = VMH_CODE + LOOP_OFF;
	tcg_set_regs(h.cpu, &r);
	pthread_create(&t, NULL, kick_later, h.cpu);
	tcg_vcpu_run(h.cpu, &why);
	pthread_join(t, NULL);
	tcg_get_regs(h.cpu, &r);
	CHECK(why == TCG_EXIT_INTR, "chained loop, kick: exit %d", why);
	check_loop_state("chained loop, kick", r.rip, r.rax, 0, 0, &h);
	CHECK(!tcg_vcpu_jit_blocks(h.cpu) == !jit_expected(16),
	      "chained loop, kick: %llu blocks compiled",
	      (unsigned long long)tcg_vcpu_jit_blocks(h.cpu));
	vmh_destroy(&h);
}

/*
 * The LAPIC timer (one-shot, 1 ms) interrupts the loop: the handler at
 * VMH_CODE + 0x100 saves RAX in R8 and exits with code 0x42, and the interrupt frame on the
 * stack holds the RIP of a block of the loop.
 */
static void test_chained_timer(void)
{
	static const uint8_t setup[] = {
		0xbb, 0x00, 0x00, 0xe0, 0xfe,			/* mov $0xfee00000, %ebx */
		0xc7, 0x83, 0xf0, 0, 0, 0, 0xff, 0x01, 0, 0,	/* SVR: enabled */
		0xc7, 0x83, 0xe0, 0x03, 0, 0, 0x0b, 0, 0, 0,	/* TDCR: divide by 1 */
		0xc7, 0x83, 0x20, 0x03, 0, 0, 0x30, 0, 0, 0,	/* LVT timer: one-shot, 0x30 */
		0xc7, 0x83, 0x80, 0x03, 0, 0, 0x40, 0x42, 0x0f, 0, /* TMICT: 10^6 */
		0xfb,						/* sti */
		0xeb, LOOP_OFF - 48,				/* jmp A */
	};
	static const uint8_t handler[] = {
		0x49, 0x89, 0xc0,				/* mov %rax, %r8 */
		0xb0, 0x42, 0x66, 0xba, 0xf0, 0x05, 0xee, 0xf4,	/* exit(0x42) */
	};
	uint64_t handler_gpa = VMH_CODE + 0x100, idt = 0x9000, gate[2], frame[5];
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct vmh h;
	int why;

	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	vmh_load(&h, VMH_CODE, setup, sizeof(setup));
	vmh_load(&h, VMH_CODE + LOOP_OFF, chained_loop, sizeof(chained_loop));
	vmh_load(&h, handler_gpa, handler, sizeof(handler));
	/* 64-bit interrupt gate 0x30 -> CS 8:handler */
	gate[0] = (handler_gpa & 0xffff) | 8 << 16 | 0x8eull << 40 |
		  (handler_gpa >> 16 & 0xffff) << 48;
	gate[1] = handler_gpa >> 32;
	memcpy(h.mem + idt + 0x30 * 16, gate, sizeof(gate));
	tcg_get_sregs(h.cpu, &sr);
	sr.idt.base = idt;
	sr.idt.limit = 0x31 * 16 - 1;
	tcg_set_sregs(h.cpu, &sr);
	why = vmh_run(&h);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == 0x42,
	      "chained loop, timer: exit %d code %d", why, h.exit_code);
	memcpy(frame, h.mem + VMH_STACK - sizeof(frame), sizeof(frame));
	/* 7 instructions before the loop; MOV, MOV, MOV, OUT in the handler */
	tcg_get_regs(h.cpu, &r);
	check_loop_state("chained loop, timer", frame[0], r.r8, 7, 4, &h);
	vmh_destroy(&h);
}

struct rewrite {
	struct vmh *h;
	uint64_t gpa;
};

static void *rewrite_later(void *arg)
{
	struct rewrite *w = arg;

	usleep(20000);
	w->h->mem[w->gpa] = 7;
	tcg_vm_host_write(w->h->vm, w->gpa, 1);
	return NULL;
}

/*
 * Code rewritten while its blocks run chained: A = "mov $0, %eax; jmp B",
 * B = "cmp $7, %eax; jne A; exit(al)" loop until another thread changes
 * the immediate of A's MOV to 7 (a host write, which retires the blocks
 * of the page as a store from another vCPU does).
 */
static void test_chained_rewrite(void)
{
	static const uint8_t code[] = {
		0xb8, 0, 0, 0, 0,			/* A: mov $0, %eax */
		0xeb, 0x00,				/* jmp B */
		0x83, 0xf8, 0x07,			/* B: cmp $7, %eax */
		0x75, 0xf4,				/* jne A */
		0x66, 0xba, 0xf0, 0x05, 0xee, 0xf4,	/* exit(al) */
	};
	struct rewrite w;
	struct vmh h;
	pthread_t t;
	int why;

	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	vmh_load(&h, VMH_CODE, code, sizeof(code));
	w.h = &h;
	w.gpa = VMH_CODE + 1;
	pthread_create(&t, NULL, rewrite_later, &w);
	why = vmh_run(&h);
	pthread_join(t, NULL);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == 7,
	      "chained loop, rewritten: exit %d code %d", why, h.exit_code);
	printf("# chained loop, rewritten: %llu instructions, %llu blocks compiled\n",
	       (unsigned long long)tcg_vcpu_insn_count(h.cpu),
	       (unsigned long long)tcg_vcpu_jit_blocks(h.cpu));
	vmh_destroy(&h);
}

/* Stores @len bytes and, if @rel_at >= 0, a rel32 to @target there. */
static void put_code(struct vmh *h, uint64_t gpa, const uint8_t *code, size_t len,
		     int rel_at, uint64_t target)
{
	int32_t rel = target - (gpa + rel_at + 4);

	vmh_load(h, gpa, code, len);
	if (rel_at >= 0)
		memcpy(h->mem + gpa + rel_at, &rel, 4);
}

/*
 * A function called from three places in a loop: its RET goes to a
 * different block each time, so that (chained) the exit's own link serves
 * the first and the JIT's cache by RIP the others, whose RIPs are 1 MiB
 * apart and share a slot of that cache.  F adds RDI to RAX; 100000
 * iterations add 1, 2 and 4; 15 instructions per iteration, 2 before,
 * MOV and OUT after.
 */
static void test_chained_ret(void)
{
	static const uint8_t start[] = {
		0xb9, 0xa0, 0x86, 0x01, 0x00,	/* mov $100000, %ecx */
		0x31, 0xc0,			/* xor %eax, %eax */
	};
	static const uint8_t call1[] = { 0xbf, 1, 0, 0, 0, 0xe8, 0, 0, 0, 0 };
	static const uint8_t call2[] = { 0xbf, 2, 0, 0, 0, 0xe8, 0, 0, 0, 0 };
	static const uint8_t call4[] = { 0xbf, 4, 0, 0, 0, 0xe8, 0, 0, 0, 0 };
	static const uint8_t jmp[] = { 0xe9, 0, 0, 0, 0 };
	static const uint8_t loop[] = { 0xff, 0xc9, 0x0f, 0x85, 0, 0, 0, 0 };	/* dec; jnz */
	static const uint8_t out[] = { 0x66, 0xba, 0xf0, 0x05, 0xee, 0xf4 };	/* exit(al) */
	static const uint8_t f[] = { 0x48, 0x01, 0xf8, 0xc3 };	/* add %rdi, %rax; ret */
	uint64_t a = VMH_CODE + 7, fn = VMH_CODE + 0x40, c = VMH_CODE + 27;
	uint64_t d = c + 0x100000 - sizeof(call4), n;
	struct kvm_regs r;
	struct vmh h;
	int why;

	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	put_code(&h, VMH_CODE, start, sizeof(start), -1, 0);
	put_code(&h, a, call1, sizeof(call1), 6, fn);		/* A */
	put_code(&h, a + 10, call2, sizeof(call2), 6, fn);	/* B */
	put_code(&h, c, jmp, sizeof(jmp), 1, d);		/* C */
	put_code(&h, fn, f, sizeof(f), -1, 0);
	put_code(&h, d, call4, sizeof(call4), 6, fn);		/* D */
	put_code(&h, d + 10, loop, sizeof(loop), 4, a);		/* E, at C + 1 MiB */
	put_code(&h, d + 18, out, sizeof(out), -1, 0);
	why = vmh_run(&h);
	tcg_get_regs(h.cpu, &r);
	n = tcg_vcpu_insn_count(h.cpu);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == (700000 & 0xff) && r.rax == 700000 &&
	      r.rsp == VMH_STACK, "chained RETs: exit %d code %d rax %llu rsp %#llx", why,
	      h.exit_code, (unsigned long long)r.rax, (unsigned long long)r.rsp);
	CHECK(n == 2 + 15 * 100000 + 2, "chained RETs: %llu instructions, expected %d",
	      (unsigned long long)n, 2 + 15 * 100000 + 2);
	vmh_destroy(&h);
}

static void *ap_thread(void *arg)
{
	enum tcg_exit why;

	tcg_vcpu_run(arg, &why);
	return NULL;
}

/*
 * INIT/SIPI: vCPU 0 wakes vCPU 1 through the xAPIC ICR; vCPU 1 starts in
 * real mode at the SIPI vector's page and writes a flag the BSP waits for.
 */
static void test_init_sipi(void)
{
	static const uint8_t bsp[] = {
		0xbb, 0x00, 0x00, 0xe0, 0xfe,			/* mov $0xfee00000, %ebx */
		0xc7, 0x83, 0x10, 0x03, 0, 0, 0, 0, 0, 1,	/* movl $1<<24, ICR_HI(%rbx) */
		0xc7, 0x83, 0x00, 0x03, 0, 0, 0x00, 0x45, 0, 0,	/* movl $0x4500, ICR_LO(%rbx) */
		0xc7, 0x83, 0x00, 0x03, 0, 0, 0x08, 0x46, 0, 0,	/* movl $0x4608, ICR_LO(%rbx) */
		0xf3, 0x90,					/* 1: pause */
		0x80, 0x3c, 0x25, 0x00, 0x90, 0, 0, 0x01,	/* cmpb $1, 0x9000 */
		0x75, 0xf6,					/* jne 1b */
		0x31, 0xc0, 0x66, 0xba, 0xf0, 0x05, 0xee, 0xf4,	/* exit(0) */
	};
	static const uint8_t ap[] = {
		0xc6, 0x06, 0x00, 0x90, 0x01,	/* movb $1, 0x9000 */
		0xfa, 0xf4, 0xeb, 0xfc,		/* cli; hlt; jmp . */
	};
	struct tcg_vcpu *cpu1;
	pthread_t t;
	struct vmh h;
	int why;

	CHECK(vmh_create(&h, 1) == 0, "vm setup");
	cpu1 = tcg_vcpu_create(h.vm, 1);
	CHECK(cpu1 != NULL, "second vCPU");
	if (!cpu1)
		return;
	vmh_load(&h, VMH_CODE, bsp, sizeof(bsp));
	vmh_load(&h, 0x8000, ap, sizeof(ap));
	pthread_create(&t, NULL, ap_thread, cpu1);
	why = vmh_run(&h);
	CHECK(why == TCG_EXIT_INTR && h.exit_code == 0 && h.mem[0x9000] == 1,
	      "init/sipi: exit %d code %d flag %d: %s", why, h.exit_code,
	      h.mem[0x9000], tcg_vcpu_error(h.cpu));
	tcg_vcpu_kick(cpu1);
	pthread_join(t, NULL);
	vmh_destroy(&h);
}

static void hung(int sig)
{
	static const char msg[] = "not ok: a chained loop did not stop within 20 s\nFAIL\n";

	write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, hung);
	compare_with_native("alu", alu_body, alu_body_end);
	compare_with_native("sse", sse_body, sse_body_end);
	test_smc();
	test_smc_hot_loop();
	/* A loop that never ends by itself: fail rather than hang. */
	alarm(20);
	test_chained_kick();
	test_chained_timer();
	test_chained_rewrite();
	test_chained_ret();
	alarm(0);
	test_init_sipi();
	if (failures)
		printf("FAIL: %d\n", failures);
	else
		printf("PASS\n");
	return failures != 0;
}
