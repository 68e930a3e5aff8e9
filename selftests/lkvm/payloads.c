// SPDX-License-Identifier: GPL-2.0
/*
 * Runs each guest payload of tools/lkvm/guest on lkvm and checks stdout
 * (the serial port), the exit status and stderr against what the payload's
 * source specifies.  The expected text comes from the architecture (vectors,
 * error codes, CR2, reset values), from include/uapi/linux/lkvm.h, or from a
 * reference computed here natively (zlib, the host CPU).
 *
 * "kvm" runs on --accel kvm.  "tcg" runs on --accel tcg, checks the same
 * expectations, and then compares the final registers (--dump-regs) with
 * those of a KVM run of the same payload: a differential test of the
 * emulator against KVM.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "kselftest_harness.h"
#include "lkvm_run.h"

#define RAM_MIB		"16"
#define RUN_TIMEOUT_MS	25000
#define TCG_MISSING	"accelerator tcg is not available"
#define KVM_EMULATION	"KVM internal error, suberror 1"

struct expected {
	char out[4096];
	int status;
	const char *err;	/* the one stderr line besides the regs, or "" */
	bool err_is_prefix;
};

FIXTURE(payload) {
	struct expected want;
};

FIXTURE_VARIANT(payload) {
	const char *file;
	bool real_mode;
	const char *out;	/* NULL: computed by make_out */
	void (*make_out)(char *buf, size_t size);
	int status;
	const char *err;
	bool err_is_prefix;
	/*
	 * Uses instructions that a KVM which runs guests by instruction
	 * emulation (this project's CI host) cannot emulate: KVM's emulator
	 * does INT n in real mode only.  Such a KVM fails with an internal
	 * error, which is a host limit and not lkvm's: the KVM run skips.
	 */
	bool kvm_cannot_emulate;
};

/* loop.c's buffer: LCG x = x * 1103515245 + 12345 from 1, bits 16..23. */
static void loop_out(char *buf, size_t size)
{
	unsigned char data[4096];
	uint64_t fnv = 0xcbf29ce484222325ULL;
	uint32_t x = 1;

	for (size_t i = 0; i < sizeof(data); i++) {
		x = x * 1103515245U + 12345U;
		data[i] = x >> 16;
		fnv = (fnv ^ data[i]) * 0x100000001b3ULL;
	}
	snprintf(buf, size, "crc32 %08lx\nadler32 %08lx\nfnv1a64 %016llx\n",
		 crc32(0, data, sizeof(data)), adler32(1, data, sizeof(data)),
		 (unsigned long long)fnv);
}

static void realmode_out(char *buf, size_t size)
{
	static const char greeting[] = "hello from real mode\n";
	unsigned int sum = 0;

	for (const char *p = greeting; *p; p++)
		sum += (unsigned char)*p;
	snprintf(buf, size, "%ssum %04x\n", greeting, sum & 0xffff);
}

FIXTURE_VARIANT_ADD(payload, hello) {
	.file = "hello.elf", .out = "hello, world\n",
};

FIXTURE_VARIANT_ADD(payload, exit42) {
	.file = "exit42.elf", .out = "", .status = 42,
};

FIXTURE_VARIANT_ADD(payload, boot) {
	.file = "boot.elf",
	.out = "ram size: " RAM_MIB " MiB\n"
	       "rsp at top of ram: ok\n"
	       "interrupts off: ok\n"
	       "cs: ok\n"
	       "ds es ss: ok\n"
	       "long mode: ok\n"
	       "paging: ok\n"
	       "page tables: ok\n"
	       "identity map: ok\n",
};

FIXTURE_VARIANT_ADD(payload, loop) {
	.file = "loop.elf", .make_out = loop_out,
};

/*
 * LKVM_EXIT_MAGIC at every width; 16550 registers; all ones from nothing
 * (port 0x1234, the first byte past RAM); exit 0x12345633 & 0xff.
 */
FIXTURE_VARIANT_ADD(payload, io) {
	.file = "io.elf",
	.out = "exit port inb: 4b\n"
	       "exit port inw: 4c4b\n"
	       "exit port inl: 4c4b\n"
	       "exit mmio read16: 4c4b\n"
	       "exit mmio read32: 4c4b\n"
	       "uart scratch a5: a5\n"
	       "uart scratch 5a: 5a\n"
	       "uart lsr thre temt: 60\n"
	       "uart divisor: c\n"
	       "unassigned port inl: ffffffff\n"
	       "past ram read32: ffffffff\n"
	       "exit via mmio\n",
	.status = 0x33,
};

/* Error codes: bit 0 present, bit 1 write, bit 4 instruction fetch. */
FIXTURE_VARIANT_ADD(payload, pf) {
	.file = "pf.elf",
	.out = "#PF: vector 14, error 0, cr2 100000008\n"
	       "read above 4 GiB: 1122334455667788\n"
	       "#PF: vector 14, error 2, cr2 600040\n"
	       "write to unmapped page: cafe\n"
	       "#PF: vector 14, error 3, cr2 600080\n"
	       "write to read-only page: beef\n"
	       "#PF: vector 14, error 11, cr2 800000\n"
	       "call into no-execute page: returned\n"
	       "#PF: vector 14, error 0, cr2 8000000000\n"
	       "read at 512 GiB: skipped\n"
	       "page faults: 5\n",
};

/* IA32_APIC_BASE after reset on the BSP: 0xfee00000 | EN | BSP. */
FIXTURE_VARIANT_ADD(payload, timer) {
	.file = "timer.elf",
	.out = "apic base msr: fee00900\n"
	       "one-shot: 1 interrupt, current count 0\n"
	       "periodic: 5 interrupts, current count 0\n"
	       "in service after eoi: no\n",
};

/* Faults save the faulting RIP; #UD goes to IST1 as exc.c's IDT says. */
FIXTURE_VARIANT_ADD(payload, exc) {
	.file = "exc.elf",
	.out = "#DE divide by zero: vector 0, rip at insn\n"
	       "#DE quotient overflow: vector 0, rip at insn\n"
	       "#UD ud2: vector 6, rip at insn, ist1 stack\n"
	       "#GP non-canonical: vector 13, error 0, rip at insn\n"
	       "exceptions: done\n",
};

/* Traps and INT n save the next RIP. */
FIXTURE_VARIANT_ADD(payload, softint) {
	.file = "softint.elf",
	.out = "#BP int3: vector 3, rip after insn, ist1 stack\n"
	       "int 0x80: vector 128, rip after insn\n"
	       "software interrupts: done\n",
	.kvm_cannot_emulate = true,
};

FIXTURE_VARIANT_ADD(payload, halt) {
	.file = "halt.elf", .out = "halting\n", .err = "lkvm: guest halted\n",
};

FIXTURE_VARIANT_ADD(payload, triple) {
	.file = "triple.elf", .out = "triple fault\n", .status = 1,
	.err = "lkvm: ", .err_is_prefix = true,
};

FIXTURE_VARIANT_ADD(payload, realmode) {
	.file = "realmode.bin", .real_mode = true, .make_out = realmode_out,
	.status = 22,
};

FIXTURE_SETUP(payload)
{
	if (variant->make_out)
		variant->make_out(self->want.out, sizeof(self->want.out));
	else
		snprintf(self->want.out, sizeof(self->want.out), "%s",
			 variant->out);
	self->want.status = variant->status;
	self->want.err = variant->err ? variant->err : "";
	self->want.err_is_prefix = variant->err_is_prefix;
}

FIXTURE_TEARDOWN(payload)
{
}

/* The first of lkvm and the payload that is not built, or NULL. */
static const char *not_built(const FIXTURE_VARIANT(payload) *variant)
{
	if (access(lkvm_binary(), X_OK))
		return lkvm_binary();
	if (access(guest_file(variant->file), R_OK))
		return guest_file(variant->file);
	return NULL;
}

static int run_payload(const FIXTURE_VARIANT(payload) *variant,
		       const char *accel, struct lkvm_result *r)
{
	static const struct lkvm_opts opts = { .timeout_ms = RUN_TIMEOUT_MS };

	return lkvm_run(&opts, r, "run", "-k", guest_file(variant->file),
			"--accel", accel, "-m", RAM_MIB, "--dump-regs",
			variant->real_mode ? "--real-mode" : NULL, NULL);
}

static bool kvm_emulation_gap(const FIXTURE_VARIANT(payload) *variant,
			      const struct lkvm_result *r)
{
	return variant->kvm_cannot_emulate && strstr(r->err, KVM_EMULATION);
}

/* Checks one run against the payload's specification; fills regs. */
static void check_run(struct __test_metadata *_metadata,
		      const struct expected *want, const struct lkvm_result *r,
		      uint64_t regs[LKVM_NR_REGS])
{
	char rest[sizeof(r->err)];
	bool err_ok, regs_ok;

	if (r->timed_out)
		TH_LOG("lkvm timed out after %d ms", RUN_TIMEOUT_MS);
	ASSERT_TRUE(r->exited) {
		TH_LOG("lkvm killed by signal %d; stderr: %.900s", r->signal,
		       r->err);
	}
	EXPECT_STREQ(want->out, r->out);
	EXPECT_EQ(want->status, r->status) {
		TH_LOG("stderr: %.900s", r->err);
	}
	regs_ok = split_stderr(r, rest, sizeof(rest), regs);
	if (want->err_is_prefix)
		err_ok = !strncmp(rest, want->err, strlen(want->err)) &&
			 strchr(rest, '\n') == rest + strlen(rest) - 1;
	else
		err_ok = !strcmp(rest, want->err);
	EXPECT_TRUE(err_ok) {
		TH_LOG("stderr besides regs: \"%s\", expected %s\"%s\"", rest,
		       want->err_is_prefix ? "one line starting with " : "",
		       want->err);
	}
	/* Last: the register comparison that follows needs the regs. */
	ASSERT_TRUE(regs_ok) {
		TH_LOG("missing or malformed regs line in: %.900s", r->err);
	}
}

TEST_F_TIMEOUT(payload, kvm, 60)
{
	uint64_t regs[LKVM_NR_REGS];
	struct lkvm_result r;

	if (not_built(variant))
		SKIP(return, "%s is not built", not_built(variant));
	if (!kvm_usable())
		SKIP(return, "/dev/kvm is not usable");
	ASSERT_EQ(0, run_payload(variant, "kvm", &r));
	if (kvm_emulation_gap(variant, &r))
		SKIP(return, "this KVM cannot emulate the payload (internal error)");
	check_run(_metadata, &self->want, &r, regs);
}

TEST_F_TIMEOUT(payload, tcg, 60)
{
	uint64_t kvm_regs[LKVM_NR_REGS], tcg_regs[LKVM_NR_REGS];
	struct lkvm_result tcg, kvm;

	if (not_built(variant))
		SKIP(return, "%s is not built", not_built(variant));
	ASSERT_EQ(0, run_payload(variant, "tcg", &tcg));
	if (strstr(tcg.err, TCG_MISSING))
		SKIP(return, "lkvm says: %s", TCG_MISSING);
	check_run(_metadata, &self->want, &tcg, tcg_regs);
	/* TCG met the payload's specification; now KVM as the reference. */
	if (!kvm_usable()) {
		TH_LOG("/dev/kvm is not usable: no differential check");
		return;
	}
	ASSERT_EQ(0, run_payload(variant, "kvm", &kvm));
	if (kvm_emulation_gap(variant, &kvm)) {
		TH_LOG("this KVM cannot emulate the payload: no differential check");
		return;
	}
	ASSERT_TRUE(split_stderr(&kvm, NULL, 0, kvm_regs)) {
		TH_LOG("kvm run without a regs line: %.900s", kvm.err);
	}
	EXPECT_STREQ(kvm.out, tcg.out);
	EXPECT_EQ(kvm.status, tcg.status);
	for (int i = 0; i < LKVM_NR_REGS; i++) {
		EXPECT_EQ(kvm_regs[i], tcg_regs[i]) {
			TH_LOG("%s: kvm %016llx, tcg %016llx", lkvm_reg_names[i],
			       (unsigned long long)kvm_regs[i],
			       (unsigned long long)tcg_regs[i]);
		}
	}
}

/* Without --dump-regs a clean exit leaves stderr empty. */
TEST(quiet_without_dump_regs)
{
	static const struct lkvm_opts opts = { .timeout_ms = RUN_TIMEOUT_MS };
	struct lkvm_result r;

	if (access(lkvm_binary(), X_OK))
		SKIP(return, "%s is not built", lkvm_binary());
	ASSERT_EQ(0, lkvm_run(&opts, &r, "run", "-k", guest_file("hello.elf"),
			      "-m", RAM_MIB, "--accel",
			      kvm_usable() ? "kvm" : "tcg", NULL));
	if (strstr(r.err, TCG_MISSING))
		SKIP(return, "lkvm says: %s", TCG_MISSING);
	ASSERT_TRUE(r.exited);
	EXPECT_EQ(0, r.status);
	EXPECT_STREQ("hello, world\n", r.out);
	EXPECT_STREQ("", r.err);
}

TEST_HARNESS_MAIN
