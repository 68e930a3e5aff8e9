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
#include <time.h>

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

int main(int argc, char **argv)
{
	compare_with_native("alu", alu_body, alu_body_end);
	compare_with_native("sse", sse_body, sse_body_end);
	test_smc();
	test_smc_hot_loop();
	test_init_sipi();
	if (failures)
		printf("FAIL: %d\n", failures);
	else
		printf("PASS\n");
	return failures != 0;
}
