// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction differential test: every form in insn_forms.S runs on random
 * and edge-value operands natively on the host CPU and in a bare VM on the
 * emulator (or KVM, "-b kvm", to check the harness itself), and the
 * registers, flags, MXCSR and memory operand must agree, apart from what the
 * architecture leaves undefined (see TESTING.md).
 *
 * Both sides run the very same bytes at the very same virtual addresses: a
 * batch of cases, each "load all state from a slot, the instruction, store
 * all state to the slot".  Natively the batch sits in a fixed mapping and is
 * called; in the guest the same range is identity-mapped guest memory and the
 * batch ends in HLT.  Every form gets its own code range, so that stale
 * translations could not hide even if a host write went unreported.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "kselftest.h"
#include "bare_vm.h"
#include "insn_forms.h"

#define REGION		0x20000000ULL
#define REGION_SIZE	0x8000000ULL		/* 128 MiB */
#define CODE_STRIDE	0x10000ULL		/* per form */
#define MAX_FORMS	1400
#define STACK_TOP	(REGION + 0x7c00000ULL)
#define HOST_SAVE	(REGION + 0x7c00000ULL)
#define SLOTS		(REGION + 0x7d00000ULL)
#define MAX_CASES	64
#define CASE_OFFSET	64	/* the native entry code comes first */

#define FLAGS_CHECKED	0xcd5ULL	/* CF PF AF ZF SF DF OF */
#define CF 0x1ULL
#define PF 0x4ULL
#define AF 0x10ULL
#define ZF 0x40ULL
#define SF 0x80ULL
#define DF 0x400ULL
#define OF 0x800ULL
#define ARITH_FLAGS (CF | PF | AF | ZF | SF | OF)

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

struct form {
	const char *name;
	const uint8_t *code;
	uint32_t len;
	uint32_t kind;
};

/* Bounds of the table, from the linker; hidden to keep the PIE text clean. */
extern const struct form __start_insn_forms[] __attribute__((visibility("hidden")));
extern const struct form __stop_insn_forms[] __attribute__((visibility("hidden")));

struct ctx {
	uint64_t gpr[16];
	uint64_t rflags;
	uint32_t mxcsr;
	uint32_t pad;
	uint8_t xmm[16][16];
} __attribute__((aligned(16)));

struct slot {
	struct ctx in, out;
	uint8_t mem[256] __attribute__((aligned(16)));
};

/* What the architecture leaves undefined for one case. */
struct undef {
	uint64_t flags;
	uint64_t gprs[16];	/* undefined bits per register */
	uint8_t mem_off, mem_len;
};

struct tcase {
	struct slot in;		/* the inputs, kept for reports */
	struct undef undef;
	uint32_t start, end;	/* offsets of its code in the form's range */
	char guest_err[240];
};

static struct tcase cases[MAX_CASES];
static unsigned int nr_cases = MAX_CASES;
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static bool verbose;
static bool kvm_only;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t bits_mask(unsigned int bits)
{
	return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

/* ---- operand generation ---- */

static const uint64_t int_edges[] = {
	0, 1, 2, ~0ULL, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffffffeULL,
};

static uint64_t rand_int(void)
{
	uint64_t r = rnd();

	switch (r % 8) {
	case 0:
	case 1:
		return int_edges[(r >> 8) % (sizeof(int_edges) / 8)];
	case 2:		/* an edge value in the low bits, garbage above */
		return (rnd() & ~0xffffULL) |
		       (int_edges[(r >> 8) % 10] & 0xffff);
	case 3:		/* small, maybe negative */
		return (int64_t)(int8_t)(r >> 8);
	default:
		return rnd();
	}
}

static uint32_t rand_float(void)
{
	static const uint32_t edges[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000,
		0x3fc00000, 0x40200000, 0xc0200000, 0x7f800000, 0xff800000,
		0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00005, 0x7f7fffff,
		0x00800000, 0x00000001, 0x807fffff, 0x4f000000, 0xcf000000,
		0x4effffff, 0x5f000000, 0xdf000000, 0x40400000, 0x4b800001,
	};
	uint64_t r = rnd();
	uint32_t bits;
	float f;

	switch (r % 10) {
	case 0: case 1: case 2: case 3:
		return edges[(r >> 8) % (sizeof(edges) / 4)];
	case 4: case 5: case 6:
		f = (float)((int64_t)(r >> 8) % 2000001 - 1000000) / 1000.0f;
		memcpy(&bits, &f, 4);
		return bits;
	default:
		return rnd();
	}
}

static uint64_t rand_double(void)
{
	static const uint64_t edges[] = {
		0, 0x8000000000000000ULL, 0x3ff0000000000000ULL,
		0xbff0000000000000ULL, 0x3fe0000000000000ULL,
		0x4004000000000000ULL, 0xc004000000000000ULL,
		0x7ff0000000000000ULL, 0xfff0000000000000ULL,
		0x7ff8000000000000ULL, 0xfff8000000000000ULL,
		0x7ff0000000000001ULL, 0x7ff4000000000123ULL,
		0x7fefffffffffffffULL, 0x0010000000000000ULL, 1,
		0x800fffffffffffffULL, 0x41e0000000000000ULL,
		0xc1e0000000000000ULL, 0x41dfffffffffffffULL,
		0x43e0000000000000ULL, 0xc3e0000000000000ULL,
		0x47efffffe0000000ULL, 0x36a0000000000000ULL,
		0x3ff0000000000001ULL,
	};
	uint64_t r = rnd(), bits;
	double d;

	switch (r % 10) {
	case 0: case 1: case 2: case 3:
		return edges[(r >> 8) % (sizeof(edges) / 8)];
	case 4: case 5: case 6:
		d = (double)((int64_t)(r >> 8) % 20000001 - 10000000) / 1000.0;
		memcpy(&bits, &d, 8);
		return bits;
	default:
		return rnd();
	}
}

/* Fills @len bytes with lanes of the kind's element type. */
static void fill_lanes(uint8_t *p, size_t len, unsigned int cls)
{
	size_t i;

	for (i = 0; i < len; i += cls == K_SSE_PD ? 8 : 4) {
		if (cls == K_SSE_PD) {
			uint64_t v = rand_double();

			memcpy(p + i, &v, 8);
		} else if (cls == K_SSE_PS) {
			uint32_t v = rand_float();

			memcpy(p + i, &v, 4);
		} else {
			uint32_t v = rnd();

			memcpy(p + i, &v, 4);
		}
	}
}

static void set_low(uint64_t *reg, uint64_t val, unsigned int bits)
{
	*reg = (*reg & ~bits_mask(bits)) | (val & bits_mask(bits));
}

static uint64_t get_low(uint64_t reg, unsigned int bits)
{
	return reg & bits_mask(bits);
}

/* A divisor/dividend pair whose quotient fits: DIV and IDIV never #DE. */
static void gen_div(struct slot *s, unsigned int bits, bool is_signed,
		    bool in_mem)
{
	uint64_t m = bits_mask(bits);
	__int128 q, d, r, n;
	unsigned __int128 un;

	do {
		d = (int64_t)(rand_int() >> (rnd() % bits));
	} while (!(d & m));
	q = (int64_t)(rand_int() >> (rnd() % bits));
	if (is_signed) {
		int shift = 64 - bits;
		unsigned __int128 ad;

		d = (int64_t)((uint64_t)d << shift) >> shift;
		q = (int64_t)((uint64_t)q << shift) >> shift;
		ad = d < 0 ? -d : d;
		r = (unsigned __int128)rnd() % ad;
		if (q * d < 0 || (q == 0 && rnd() & 1))
			r = -r;
		n = q * d + r;
		un = (unsigned __int128)n;
	} else {
		d &= m;
		q &= m;
		r = (unsigned __int128)rnd() % (unsigned __int128)d;
		un = (unsigned __int128)q * (unsigned __int128)d +
		     (unsigned __int128)r;
	}
	if (in_mem)
		memcpy(s->mem + 8, &d, bits / 8);
	else
		set_low(&s->in.gpr[RCX], d, bits);
	if (bits == 8) {
		set_low(&s->in.gpr[RAX], (uint64_t)un, 16);
	} else {
		set_low(&s->in.gpr[RAX], (uint64_t)un, bits);
		set_low(&s->in.gpr[RDX], (uint64_t)(un >> bits), bits);
	}
}

static unsigned int pick_count(unsigned int bits)
{
	const unsigned int c[] = { 0, 1, 2, bits - 1, bits, bits + 1, 31, 32,
				   33, 63, 64, 65 };
	uint64_t r = rnd();

	return r & 1 ? c[(r >> 8) % 12] : (r >> 8) & 0xff;
}

static unsigned int shift_count(const struct form *f, struct slot *s)
{
	unsigned int bits = KIND_BITS(f->kind);

	if (f->kind & F_ONE)
		return 1;
	if (f->kind & F_IMM)
		return f->code[f->len - 1];
	set_low(&s->in.gpr[RCX], pick_count(bits), 8);
	return s->in.gpr[RCX] & 0xff;
}

/* Undefined flags (and results) of shifts and rotates, by masked count. */
static void shift_undef(const struct form *f, struct slot *s, struct undef *u)
{
	unsigned int bits = KIND_BITS(f->kind), cls = KIND_CLASS(f->kind);
	unsigned int n = shift_count(f, s) & (bits == 64 ? 63 : 31);

	if (!n)
		return;			/* flags unchanged: all defined */
	if (n != 1)
		u->flags |= OF;
	if (cls == K_ROT)
		return;
	u->flags |= AF;
	if (cls == K_SHIFT && n >= bits)
		u->flags |= CF;
	if (cls == K_SHXD && n > bits) {
		u->flags |= ARITH_FLAGS;
		if (f->kind & F_MEM) {
			u->mem_off = 8;
			u->mem_len = bits / 8;
		} else {
			u->gprs[RAX] = ~0ULL;
		}
	}
}

static void gen_string(const struct form *f, struct slot *s)
{
	unsigned int size = KIND_BITS(f->kind) / 8, k = rnd() % 8;
	bool down = rnd() & 1;

	s->in.rflags |= down ? DF : 0;
	s->in.gpr[RCX] = rnd() % 8;
	s->in.gpr[RSI] = s->in.gpr[RBX] + 64;
	s->in.gpr[RDI] = s->in.gpr[RBX] + 192;
	if (rnd() & 1) {	/* mostly equal strings, for REPE/REPNE */
		memcpy(s->mem + 128, s->mem, 128);
		s->mem[128 + rnd() % 128] ^= 1 << (rnd() % 8);
	}
	if (rnd() & 1)		/* an element SCAS can find */
		memcpy(&s->in.gpr[RAX],
		       s->mem + 192 + (down ? -(int)(k * size) : (int)(k * size)),
		       size);
}

static void gen_case(const struct form *f, struct tcase *c, uint64_t slot_va)
{
	unsigned int cls = KIND_CLASS(f->kind), bits = KIND_BITS(f->kind);
	struct slot *s = &c->in;
	struct undef *u = &c->undef;
	uint64_t v;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < 16; i++)
		s->in.gpr[i] = rand_int();
	s->in.gpr[RSP] = STACK_TOP;
	s->in.gpr[RBX] = slot_va + offsetof(struct slot, mem);
	s->in.rflags = 2 | (rnd() & ARITH_FLAGS);
	s->in.mxcsr = 0x1f80 | (rnd() & 1 ? (rnd() & 3) << 13 : 0);
	fill_lanes(&s->in.xmm[0][0], sizeof(s->in.xmm), cls);
	fill_lanes(s->mem, sizeof(s->mem), cls);
	if (cls >= K_SSE_INT && rnd() % 4 == 0) {	/* equal lanes */
		memcpy(s->in.xmm[2], s->in.xmm[1], 8);
		memcpy(s->mem + 16, s->in.xmm[9], 8);
	}
	for (i = 0; i < 2 && cls < K_SSE_INT; i++)	/* integer edges in memory */
		if (rnd() & 1) {
			v = rand_int();
			memcpy(s->mem + 8 + 8 * i, &v, 8);
		}

	switch (cls) {
	case K_LOGIC:
		u->flags = AF;
		break;
	case K_MUL:
		u->flags = SF | ZF | AF | PF;
		break;
	case K_DIV:
	case K_IDIV:
		u->flags = ARITH_FLAGS;
		gen_div(s, bits, cls == K_IDIV, f->kind & F_MEM);
		break;
	case K_SHIFT:
	case K_SAR:
	case K_ROT:
	case K_SHXD:
		shift_undef(f, s, u);
		break;
	case K_BT:
		u->flags = OF | SF | AF | PF;
		if (f->kind & F_MEM)	/* bit offset within the buffer */
			s->in.gpr[RCX] = (uint64_t)((int64_t)(rnd() % 768) - 256);
		break;
	case K_BSX:
		u->flags = CF | OF | SF | AF | PF;
		v = rnd() % 4 ? rand_int() : 0;
		if (f->kind & F_MEM)
			memcpy(s->mem + 8, &v, 8);
		else
			s->in.gpr[RCX] = v;
		if (!get_low(v, bits))
			u->gprs[RAX] = ~0ULL;	/* destination undefined */
		break;
	case K_STR:
		gen_string(f, s);
		break;
	case K_CMPXCHG:
		if (f->kind & F_MEM)
			memcpy(&v, s->mem + 8, 8);
		else
			v = s->in.gpr[RDX];
		if (rnd() & 1)
			set_low(&s->in.gpr[RAX], v, bits);
		/*
		 * A failed compare writes a 32-bit register destination back
		 * on Intel (clearing bits 63:32) but not on AMD.
		 */
		if (bits == 32 && !(f->kind & F_MEM) &&
		    get_low(s->in.gpr[RAX] ^ v, 32))
			u->gprs[RDX] = ~0ULL << 32;
		break;
	case K_CMPXCHGB:
		if (rnd() & 1) {
			unsigned int off = bits == 64 ? 16 : 8;
			uint64_t lo = 0, hi = 0;

			memcpy(&lo, s->mem + off, bits / 8);
			memcpy(&hi, s->mem + off + bits / 8, bits / 8);
			set_low(&s->in.gpr[RAX], lo, bits);
			set_low(&s->in.gpr[RDX], hi, bits);
		}
		break;
	case K_SSE_SHIFT:
		v = rnd() % 4 ? rnd() % 70 : rand_int();
		memcpy(s->in.xmm[2], &v, 8);
		break;
	}
}

/* ---- code generation ---- */

/*
 * Only SSE forms load and store XMM registers and MXCSR: the integer forms
 * then also run on a KVM whose instruction emulator knows no SSE.
 */
static bool is_sse(const struct form *f)
{
	return KIND_CLASS(f->kind) >= K_SSE_INT;
}

struct buf {
	uint8_t *p;
	size_t n;
};

static void emit(struct buf *b, const void *bytes, size_t n)
{
	memcpy(b->p + b->n, bytes, n);
	b->n += n;
}

static void emit1(struct buf *b, uint8_t byte)
{
	emit(b, &byte, 1);
}

/*
 * An instruction with a [disp32] absolute memory operand: optional
 * mandatory prefix, REX (W, R) if needed, one or two opcode bytes, ModRM
 * with SIB "no base, no index".
 */
static void emit_abs(struct buf *b, uint8_t prefix, bool w, uint16_t opcode,
		     unsigned int reg, uint64_t addr)
{
	uint32_t disp = addr;

	if (prefix)
		emit1(b, prefix);
	if (w || reg >= 8)
		emit1(b, 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0));
	if (opcode > 0xff)
		emit1(b, opcode >> 8);
	emit1(b, opcode & 0xff);
	emit1(b, (reg & 7) << 3 | 4);
	emit1(b, 0x25);
	emit(b, &disp, 4);
}

#define SLOT_VA(i)	(SLOTS + (uint64_t)(i) * sizeof(struct slot))
#define IN(i, field)	(SLOT_VA(i) + offsetof(struct slot, in.field))
#define OUT(i, field)	(SLOT_VA(i) + offsetof(struct slot, out.field))

static void emit_case(struct buf *b, const struct form *f, unsigned int i)
{
	static const uint8_t mov_rsp[] = { 0x48, 0xc7, 0xc4 };
	uint32_t stack = STACK_TOP;
	bool sse = is_sse(f);
	unsigned int r;

	emit(b, mov_rsp, sizeof(mov_rsp));
	emit(b, &stack, 4);
	for (r = 0; r < 16 && sse; r++)				/* movdqu */
		emit_abs(b, 0xf3, false, 0x0f6f, r, IN(i, xmm[r]));
	if (sse)						/* ldmxcsr */
		emit_abs(b, 0, false, 0x0fae, 2, IN(i, mxcsr));
	emit_abs(b, 0, false, 0xff, 6, IN(i, rflags));		/* push */
	emit1(b, 0x9d);						/* popfq */
	for (r = 0; r < 16; r++)
		if (r != RSP)
			emit_abs(b, 0, true, 0x8b, r, IN(i, gpr[r]));
	emit(b, f->code, f->len);
	emit1(b, 0x9c);						/* pushfq */
	emit_abs(b, 0, false, 0x8f, 0, OUT(i, rflags));		/* pop */
	for (r = 0; r < 16; r++)
		emit_abs(b, 0, true, 0x89, r, OUT(i, gpr[r]));
	for (r = 0; r < 16 && sse; r++)
		emit_abs(b, 0xf3, false, 0x0f7f, r, OUT(i, xmm[r]));
	if (sse)
		emit_abs(b, 0, false, 0x0fae, 3, OUT(i, mxcsr));	/* stmxcsr */
}

/* Saves the callee-saved registers, stack and MXCSR of the C caller. */
static void emit_native_entry(struct buf *b)
{
	static const uint8_t push[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55,
					0x41, 0x56, 0x41, 0x57 };

	emit(b, push, sizeof(push));
	emit_abs(b, 0, true, 0x89, RSP, HOST_SAVE);
	emit_abs(b, 0, false, 0x0fae, 3, HOST_SAVE + 8);
}

static void emit_native_exit(struct buf *b)
{
	static const uint8_t pop[] = { 0xfc, 0x41, 0x5f, 0x41, 0x5e, 0x41,
				       0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };

	emit_abs(b, 0, true, 0x8b, RSP, HOST_SAVE);
	emit_abs(b, 0, false, 0x0fae, 2, HOST_SAVE + 8);
	emit(b, pop, sizeof(pop));			/* cld, pops, ret */
}

/* ---- running ---- */

static uint8_t *native;		/* the region, mapped at REGION */
static struct bare_vm *vm;
static uint8_t *guest;		/* the region as guest memory */
static enum bvm_backend backend;
static uint64_t native_case_va;

static void native_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	char msg[200];
	int n;

	/* Not async-signal-safe in theory, but nothing runs after it. */
	n = snprintf(msg, sizeof(msg),
		     "insn_diff: native execution faulted (signal %d) at 0x%llx, form code at 0x%llx\n",
		     sig, (unsigned long long)uc->uc_mcontext.gregs[REG_RIP],
		     (unsigned long long)native_case_va);
	if (write(2, msg, n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1) < 0)
		n = 0;
	_exit(1);
}

static int setup_native(void)
{
	struct sigaction sa = { .sa_sigaction = native_fault,
				.sa_flags = SA_SIGINFO };
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	unsigned int i;

	native = mmap((void *)REGION, REGION_SIZE,
		      PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		      MAP_FIXED_NOREPLACE, -1, 0);
	if (native == MAP_FAILED || native != (void *)REGION) {
		ksft_print_msg("cannot map the test region at 0x%llx: %s\n",
			       REGION, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	return 0;
}

static int setup_vm(void)
{
	char why[300];

	bvm_destroy(vm);
	vm = bvm_create(backend, why, sizeof(why));
	if (!vm) {
		ksft_print_msg("cannot create a %s VM: %s\n",
			       bvm_backend_name(backend), why);
		return -1;
	}
	guest = bvm_add_memory(vm, REGION, REGION_SIZE);
	if (!guest) {
		ksft_print_msg("%s\n", bvm_error(vm));
		return -1;
	}
	return 0;
}

static int case_at(uint64_t rip, uint64_t code_va)
{
	unsigned int i;

	for (i = 0; i < nr_cases; i++)
		if (rip >= code_va + cases[i].start && rip < code_va + cases[i].end)
			return i;
	return -1;
}

/*
 * Runs the batch in the guest from case @first.  An exception in a case is
 * recorded against it and the batch resumes with the next one.  Returns
 * nonzero if the VM itself failed (recorded against the current case, and
 * all remaining cases are not run).
 */
static int run_guest(uint64_t code_va, char *err, size_t errlen)
{
	struct bvm_info *info = bvm_info(vm);
	struct kvm_regs regs;
	unsigned int first = 0;
	enum bvm_exit e;
	char desc[200];
	int c;

	for (;;) {
		memset(&regs, 0, sizeof(regs));
		regs.rip = code_va + cases[first].start;
		regs.rsp = STACK_TOP;
		regs.rflags = 2;
		if (bvm_set_regs(vm, &regs)) {
			snprintf(err, errlen, "%s", bvm_error(vm));
			return -1;
		}
		memset(info, 0, sizeof(*info));
		e = bvm_run(vm, 20000);
		if (e == BVM_EXIT_HLT && !info->exc_vector)
			return 0;
		if (e == BVM_EXIT_HLT) {
			bvm_describe_exception(vm, desc, sizeof(desc));
			c = case_at(info->exc_rip, code_va);
			if (c < 0) {
				snprintf(err, errlen, "emulator: %s outside the test cases",
					 desc);
				return -1;
			}
			snprintf(cases[c].guest_err, sizeof(cases[c].guest_err),
				 "guest raised %s", desc);
			if ((unsigned int)c + 1 >= nr_cases)
				return 0;
			first = c + 1;
			continue;
		}
		if (bvm_get_regs(vm, &regs))
			regs.rip = 0;
		snprintf(err, errlen, "%s at rip 0x%llx (case %d)",
			 e == BVM_EXIT_SHUTDOWN ? "triple fault" :
			 e == BVM_EXIT_TIMEOUT ? "timeout" : bvm_error(vm),
			 (unsigned long long)regs.rip, case_at(regs.rip, code_va));
		return -1;
	}
}

/* ---- comparing and reporting ---- */

static void hexdump(char *out, size_t len, const uint8_t *p, size_t n)
{
	size_t i, o = 0;

	out[0] = 0;
	for (i = 0; i < n && o + 3 < len; i++)
		o += snprintf(out + o, len - o, "%02x", p[i]);
}

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void print_inputs(const struct form *f, const struct tcase *c)
{
	const struct ctx *in = &c->in.in;
	char hex[80];
	unsigned int i;

	hexdump(hex, sizeof(hex), f->code, f->len);
	ksft_print_msg("  bytes %s, inputs: rflags %#llx mxcsr %#x\n", hex,
		       (unsigned long long)in->rflags, in->mxcsr);
	for (i = 0; i < 16; i += 4)
		ksft_print_msg("    %-3s %016llx %-3s %016llx %-3s %016llx %-3s %016llx\n",
			       gpr_names[i], (unsigned long long)in->gpr[i],
			       gpr_names[i + 1], (unsigned long long)in->gpr[i + 1],
			       gpr_names[i + 2], (unsigned long long)in->gpr[i + 2],
			       gpr_names[i + 3], (unsigned long long)in->gpr[i + 3]);
	for (i = 1; i <= 2; i++) {
		hexdump(hex, sizeof(hex), in->xmm[i], 16);
		ksft_print_msg("    xmm%u %s (bytes, low first)\n", i, hex);
	}
	hexdump(hex, sizeof(hex), c->in.mem, 32);
	ksft_print_msg("    mem[0..32) %s\n", hex);
}

/* Returns the number of differences, printing them if @print. */
static int compare(const struct tcase *c, const struct slot *n,
		   const struct slot *g, bool print)
{
	uint64_t fmask = FLAGS_CHECKED & ~c->undef.flags;
	char a[40], b[40];
	int diffs = 0;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (!((n->out.gpr[i] ^ g->out.gpr[i]) & ~c->undef.gprs[i]))
			continue;
		if (print)
			ksft_print_msg("    %s: native %016llx emulator %016llx\n",
				       gpr_names[i],
				       (unsigned long long)n->out.gpr[i],
				       (unsigned long long)g->out.gpr[i]);
		diffs++;
	}
	if ((n->out.rflags ^ g->out.rflags) & fmask) {
		if (print)
			ksft_print_msg("    rflags (checked %#llx): native %#llx emulator %#llx\n",
				       (unsigned long long)fmask,
				       (unsigned long long)(n->out.rflags & fmask),
				       (unsigned long long)(g->out.rflags & fmask));
		diffs++;
	}
	if (n->out.mxcsr != g->out.mxcsr) {
		if (print)
			ksft_print_msg("    mxcsr: native %#x emulator %#x\n",
				       n->out.mxcsr, g->out.mxcsr);
		diffs++;
	}
	for (i = 0; i < 16; i++) {
		if (!memcmp(n->out.xmm[i], g->out.xmm[i], 16))
			continue;
		hexdump(a, sizeof(a), n->out.xmm[i], 16);
		hexdump(b, sizeof(b), g->out.xmm[i], 16);
		if (print)
			ksft_print_msg("    xmm%u: native %s emulator %s\n", i, a, b);
		diffs++;
	}
	for (i = 0; i < sizeof(n->mem); i += 16) {
		uint8_t x[16], y[16];
		unsigned int j;

		memcpy(x, n->mem + i, 16);
		memcpy(y, g->mem + i, 16);
		for (j = 0; j < 16; j++)
			if (i + j >= c->undef.mem_off &&
			    i + j < c->undef.mem_off + c->undef.mem_len)
				x[j] = y[j] = 0;
		if (!memcmp(x, y, 16))
			continue;
		hexdump(a, sizeof(a), n->mem + i, 16);
		hexdump(b, sizeof(b), g->mem + i, 16);
		if (print)
			ksft_print_msg("    mem[%u..%u): native %s emulator %s\n",
				       i, i + 16, a, b);
		diffs++;
	}
	return diffs;
}

/* Runs one form; returns true if it passed. */
static bool test_form(const struct form *f, unsigned int idx)
{
	uint64_t code_va = REGION + idx * CODE_STRIDE;
	struct buf b = { .p = native + idx * CODE_STRIDE };
	struct slot *nslots = (struct slot *)(native + (SLOTS - REGION));
	struct slot *gslots = (struct slot *)(guest + (SLOTS - REGION));
	char err[300] = "";
	unsigned int i, bad = 0, printed = 0;

	emit_native_entry(&b);
	while (b.n < CASE_OFFSET)
		emit1(&b, 0x90);		/* nop */
	for (i = 0; i < nr_cases; i++) {
		gen_case(f, &cases[i], SLOT_VA(i));
		cases[i].start = b.n;
		emit_case(&b, f, i);
		cases[i].end = b.n;
		nslots[i] = cases[i].in;
	}
	emit1(&b, 0xf4);			/* the guest stops here */
	memcpy(guest + idx * CODE_STRIDE, b.p, b.n);
	memcpy(gslots, nslots, nr_cases * sizeof(struct slot));
	bvm_host_write(vm, code_va, b.n);
	bvm_host_write(vm, SLOTS, nr_cases * sizeof(struct slot));
	b.n--;
	emit_native_exit(&b);

	native_case_va = code_va;
	((void (*)(void))code_va)();

	if (run_guest(code_va, err, sizeof(err))) {
		ksft_print_msg("%s: %s: %s\n", f->name,
			       bvm_backend_name(backend), err);
		if (setup_vm())
			ksft_exit_fail_msg("cannot recreate the VM\n");
		return false;
	}
	for (i = 0; i < nr_cases; i++) {
		const struct tcase *c = &cases[i];
		bool print = printed < 2 || verbose;

		if (c->guest_err[0]) {
			bad++;
			if (print) {
				ksft_print_msg("%s: case %u: %s\n", f->name, i,
					       c->guest_err);
				print_inputs(f, c);
				printed++;
			}
			continue;
		}
		if (!compare(c, &nslots[i], &gslots[i], false))
			continue;
		bad++;
		if (print) {
			ksft_print_msg("%s: case %u differs:\n", f->name, i);
			print_inputs(f, c);
			compare(c, &nslots[i], &gslots[i], true);
			printed++;
		}
	}
	if (bad)
		ksft_print_msg("%s: %u of %u cases differ\n", f->name, bad,
			       nr_cases);
	return !bad;
}

static bool selected_form(const struct form *f, const char *filter)
{
	if (kvm_only && (is_sse(f) || f->kind & F_NOKVM))
		return false;
	return !filter || strstr(f->name, filter);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-b kvm|tcg] [-n cases] [-s seed] [-f substring] [-k] [-v] [-l]\n"
		"  -k: only forms KVM's instruction emulator knows (no SSE, no CMPXCHG16B)\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	unsigned int nforms = __stop_insn_forms - __start_insn_forms;
	unsigned int i, selected = 0, failed = 0;
	bool list = false;
	char why[300];
	int opt, be = BVM_TCG;

	while ((opt = getopt(argc, argv, "b:n:s:f:kvl")) != -1) {
		switch (opt) {
		case 'b':
			be = bvm_parse_backend(optarg);
			if (be < 0)
				usage(argv[0]);
			break;
		case 'n':
			nr_cases = strtoul(optarg, NULL, 0);
			if (!nr_cases || nr_cases > MAX_CASES)
				usage(argv[0]);
			break;
		case 's':
			rng_state = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'k':
			kvm_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'l':
			list = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (nforms > MAX_FORMS)
		ksft_exit_fail_msg("%u forms, more than MAX_FORMS\n", nforms);
	for (i = 0; i < nforms; i++)
		if (selected_form(&__start_insn_forms[i], filter))
			selected++;
	if (list) {
		for (i = 0; i < nforms; i++)
			printf("%s\n", __start_insn_forms[i].name);
		printf("%u forms\n", nforms);
		return 0;
	}
	backend = be;
	ksft_print_header();
	if (!bvm_backend_available(backend, why, sizeof(why)))
		ksft_exit_skip("%s backend unavailable: %s\n",
			       bvm_backend_name(backend), why);
	if (setup_native() || setup_vm())
		ksft_exit_fail_msg("setup failed\n");
	ksft_print_msg("%u instruction forms, %u cases each, backend %s, seed %#llx\n",
		       selected, nr_cases, bvm_backend_name(backend),
		       (unsigned long long)rng_state);
	ksft_set_plan(selected);
	for (i = 0; i < nforms; i++) {
		const struct form *f = &__start_insn_forms[i];

		if (!selected_form(f, filter))
			continue;
		if (test_form(f, i)) {
			ksft_test_result_pass("%s\n", f->name);
		} else {
			ksft_test_result_fail("%s\n", f->name);
			failed++;
		}
	}
	ksft_print_msg("%u of %u forms passed on %s\n", selected - failed,
		       selected, bvm_backend_name(backend));
	bvm_destroy(vm);
	if (failed)
		ksft_exit_fail();
	ksft_exit_pass();
}
