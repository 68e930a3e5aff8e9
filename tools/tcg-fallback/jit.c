// SPDX-License-Identifier: GPL-2.0
/*
 * The JIT: host x86-64 code for hot blocks.
 *
 * A block about to run for the jit.threshold-th time is compiled into one
 * host function.  The function does what the interpreter's loop does, with
 * the loop and the constants folded away: for each instruction it either
 * stores RIP and the next RIP and calls the instruction's handler directly
 * (with a constant struct insn pointer), testing c->stop afterwards, or it
 * performs a common form inline: the register forms of MOV, LEA,
 * MOVZX/MOVSX/MOVSXD, NOT, the ALU operations without carry, TEST, INC/DEC,
 * shifts and rotates whose flags are dead, Jcc, JMP and the fused
 * CMP/TEST+Jcc; with 64-bit addressing, loads, CMP/TEST with memory and
 * MOV to memory; PUSH/POP/CALL/RET of 64-bit values.  Memory accesses take
 * the TLB hit path inline and call the handler for everything else.  Inline
 * forms record the lazy flags exactly as their handlers do, so the state
 * at the end of a block, and at any handler call, is the interpreter's.
 *
 * Register use: rbx holds the vCPU, r12 the guest RIP at block entry (a
 * block is keyed by its physical address and may run at several linear
 * addresses, so every RIP is r12 plus a constant), r13 the TLB set of the
 * current privilege, rax/rcx/rdx are scratch.
 * Host flags: after an inline ALU operation the host's arithmetic flags
 * equal the guest's (the same operation on the same operand size), so a
 * Jcc that follows with only flag-preserving inline code in between tests
 * them with the same host Jcc instead of evaluating the lazy flags.
 *
 * The code lives in a per-vCPU arena, one memfd mapped twice: writable and
 * executable, never both (W^X), mapped when the vCPU is created so that a
 * seccomp sandbox entered later needs no mmap/mprotect with PROT_EXEC.  The
 * arena is reset with the translation cache (tc_flush()), and a block's code
 * is reachable only through its struct block, so the code of a retired
 * block (self-modifying code, generation words) is never entered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ops.h"
#include "profile.h"

/* Code bytes per instruction, per exit stub and per block, at most. */
#define INSN_MAX	256
#define STUB_MAX	128
#define MAX_EXITS	(BLOCK_MAX_INSNS + 1)
#define BLOCK_CODE_MAX	(64 + BLOCK_MAX_INSNS * (INSN_MAX + STUB_MAX))
/* push rbx; push r12; push r13 (calls stay 16-byte aligned); mov rbx, rdi.
 * A chained transition enters a block right after it. */
#define PROLOGUE	"\x53\x41\x54\x41\x55\x48\x89\xfb"
#define CHAIN_ENTRY	(sizeof(PROLOGUE) - 1)
#define EPILOGUE	"\x41\x5d\x41\x5c\x5b\xc3"	/* pop r13; pop r12; pop rbx; ret */
/* A non-canonical RIP: no successor yet. */
#define EXIT_NONE	(1ull << 63)

/* ModRM.reg of the ALU operations, as in the opcode map. */
enum { A_ADD = 0, A_OR = 1, A_AND = 4, A_SUB = 5, A_XOR = 6, A_CMP = 7 };

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

/* What the host's arithmetic flags hold between inline instructions. */
enum {
	HF_NONE,
	HF_FULL,	/* the guest's CF, PF, ZF, SF and OF */
	HF_NOCF,	/* the guest's PF, ZF, SF and OF (after INC/DEC) */
};

#define VOFF(f)		((int32_t)offsetof(struct tcg_vcpu, f))
#define BOTH_DEAD	(FLAGS_DEAD_CO | FLAGS_DEAD_SZAP)

/*
 * Code out of the block body: the exit of a taken Jcc or of a handler that
 * set stop, or the slow path of an inline memory access (a TLB miss, a
 * page-crossing access, a store to a code page), which calls the handler
 * and resumes after the instruction.
 */
enum { STUB_TAKEN, STUB_STOP, STUB_SLOW, STUB_BRANCH };

struct stub {
	uint8_t *patch[2];	/* rel32 of the jumps to the stub */
	int type;
	int64_t target;		/* taken: RIP offset of the target */
	uint8_t icount;
	const struct insn *i;	/* slow: the instruction, */
	int32_t off;		/* its RIP offset, */
	bool last;		/* whether it ends the block */
	uint8_t *resume;	/* and where its inline code ends */
};

struct emit {
	uint8_t *p, *start;	/* writable mapping */
	uint8_t *xstart;	/* executable address of start */
	struct stub stub[BLOCK_MAX_INSNS];
	int nstub;
	int hf;
	bool chain;		/* exits try the successor's code directly */
	bool open_end;		/* the block's last instruction may fall through */
	uint8_t *chain_x;	/* the shared chaining code (executable) */
	uint8_t *exit[MAX_EXITS];	/* imm64s that address jit_exits */
	int nexit;
};

static size_t emit_chain_code(struct jit_arena *a);

unsigned int jit_threshold_from_env(void)
{
	const char *on = getenv("TCG_JIT"), *th = getenv("TCG_JIT_THRESHOLD");
	unsigned long n = JIT_THRESHOLD;
	char *end;

	if (on && !strcmp(on, "0"))
		return 0;
	if (on && strcmp(on, "1"))
		fprintf(stderr, "tcg: TCG_JIT=%s: expected 0 or 1; the JIT stays on\n", on);
	if (th) {
		n = strtoul(th, &end, 10);
		if (*th < '0' || *th > '9' || *end || n < 1 || n > 1000000) {
			fprintf(stderr, "tcg: TCG_JIT_THRESHOLD=%s: expected 1 to 1000000; using %d\n",
				th, JIT_THRESHOLD);
			n = JIT_THRESHOLD;
		}
	}
	return n;
}

/* An address below the library's code, so that calls reach handlers with
 * a rel32; mmap() treats it as a hint only. */
static void *near_text(void)
{
	uintptr_t t = (uintptr_t)jit_compile & ~(uintptr_t)0xfffff;

	return t > (1ull << 30) ? (void *)(t - (512ull << 20)) : NULL;
}

int jit_init(struct jit_arena *a, unsigned int threshold)
{
	int fd, err;

	memset(a, 0, sizeof(*a));
	if (!threshold)
		return 0;
	fd = memfd_create("tcg-jit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, JIT_ARENA))
		goto fail;
	a->rx = mmap(near_text(), JIT_ARENA, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (a->rx == MAP_FAILED)
		goto fail;
	a->rw = mmap(NULL, JIT_ARENA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a->rw == MAP_FAILED) {
		err = errno;
		munmap(a->rx, JIT_ARENA);
		errno = err;
		goto fail;
	}
	close(fd);
	a->threshold = threshold;
	a->base = emit_chain_code(a);
	a->used = a->base;
	return 0;
fail:
	err = errno;
	fprintf(stderr, "tcg: cannot map the JIT's code arena (%s); interpreting only\n",
		strerror(err));
	if (fd >= 0)
		close(fd);
	memset(a, 0, sizeof(*a));
	return -err;
}

void jit_destroy(struct jit_arena *a)
{
	if (!a->threshold)
		return;
	munmap(a->rx, JIT_ARENA);
	munmap(a->rw, JIT_ARENA);
	a->threshold = 0;
}

void jit_reset(struct jit_arena *a)
{
	a->used = a->base;
	a->full = false;
}

void jit_cache_reset(struct tcg_vcpu *c)
{
	int k;

	for (k = 0; k < JIT_CACHE_SIZE; k++)
		c->jit_cache[k] = (struct jit_exit){ .rip = EXIT_NONE, .cpl = -1 };
}

void jit_link(struct tcg_vcpu *c, struct block *b)
{
	struct jit_exit *x = c->jit_exit;

	c->jit_exit = NULL;
	if (!b->jit || c->code_mode != 8)
		return;
	x->rip = c->rip;
	x->b = b;
	x->epoch = c->chain_epoch;
	x->cpl = c->cpl;
}

/* Handlers whose instructions are inline whatever their operation. */
static const struct {
	exec_fn fn;
	uint8_t kind;
} plain_kinds[] = {
	{ op_test_rm_r, JK_TEST_RM_R }, { op_test_rm_imm, JK_TEST_RM_IMM },
	{ op_mov_rm_r, JK_MOV_RM_R }, { op_mov_r_rm, JK_MOV_R_RM },
	{ op_mov_rm_imm, JK_MOV_RM_IMM }, { op_movzx, JK_MOVZX },
	{ op_movsx, JK_MOVSX }, { op_movsxd, JK_MOVSXD }, { op_not, JK_NOT },
	{ op_incdec, JK_INCDEC },
};

/* The kind of an instruction with a ModRM operand, as if it were a register. */
static uint8_t modrm_kind(const struct insn *i)
{
	exec_fn f = i->fn;
	bool no_carry = i->sub != 2 && i->sub != 3;	/* not ADC/SBB */
	int op = i->reg & 7, need;
	unsigned int k;

	if (f == op_alu_rm_r)
		return no_carry ? JK_ALU_RM_R : JK_CALL;
	if (f == op_alu_r_rm)
		return no_carry ? JK_ALU_R_RM : JK_CALL;
	if (f == op_alu_rm_imm)
		return no_carry ? JK_ALU_RM_IMM : JK_CALL;
	for (k = 0; k < sizeof(plain_kinds) / sizeof(plain_kinds[0]); k++)
		if (f == plain_kinds[k].fn)
			return plain_kinds[k].kind;
	if (f == op_shift && op != 2 && op != 3) {
		/* as specialize(): rotates write CF/OF only, shifts all six */
		need = op < 2 ? FLAGS_DEAD_CO : BOTH_DEAD;
		return (i->flags_dead & need) == need ? JK_SHIFT_DEAD : JK_CALL;
	}
	return JK_CALL;
}

/*
 * Memory forms done inline: loads, compares and plain stores with 64-bit
 * addressing (flat segments but FS/GS, whose bases are added); a
 * read-modify-write stays with its handler.
 */
static bool mem_inline(const struct insn *i)
{
	exec_fn f = i->fn;

	if (i->adsz != 8)
		return false;
	if (f == op_alu_rm_r || f == op_alu_rm_imm)
		return i->sub == 7;	/* CMP */
	if (f == op_alu_r_rm)
		return i->sub != 2 && i->sub != 3;
	return f == op_mov_rm_r || f == op_mov_r_rm || f == op_mov_rm_imm ||
	       f == op_movzx || f == op_movsx || f == op_movsxd ||
	       f == op_test_rm_r || f == op_test_rm_imm;
}

uint8_t jit_kind(const struct insn *i)
{
	exec_fn f = i->fn;

	if (f == op_nop)
		return JK_NOP;
	if (f == op_cmp_jcc || f == op_test_jcc) {
		/* B is a register or an immediate, never both */
		if (i->base != R_ZERO && i->imm)
			return JK_CALL;
		return f == op_cmp_jcc ? JK_CMP_JCC : JK_TEST_JCC;
	}
	/* Branches of other sizes wrap their target: left to the handlers. */
	if (f == op_jcc)
		return i->opsz == 8 ? JK_JCC : JK_CALL;
	if (f == op_jmp_rel)
		return i->opsz == 8 ? JK_JMP : JK_CALL;
	if (f == op_alu_acc_imm)
		return i->sub != 2 && i->sub != 3 ? JK_ALU_ACC_IMM : JK_CALL;
	if (f == op_test_acc_imm)
		return JK_TEST_ACC_IMM;
	if (f == op_mov_r_imm)
		return JK_MOV_R_IMM;
	/* a 64-bit operand size implies 64-bit code and a flat stack */
	if (i->opsz == 8 && (f == op_push_r || f == op_push_imm || f == op_pop_r ||
			     f == op_call_rel || (f == op_ret && !i->imm)))
		return JK_MEM | (f == op_push_r ? JK_PUSH : f == op_push_imm ? JK_PUSH_IMM :
				 f == op_pop_r ? JK_POP : f == op_call_rel ? JK_CALL_REL : JK_RET);
	if (f == op_lea)
		return i->is_reg ? JK_CALL : JK_LEA;
	if (i->is_reg)
		return modrm_kind(i);
	return mem_inline(i) ? modrm_kind(i) | JK_MEM : JK_CALL;
}

/* Encoding. */
static void b1(struct emit *e, unsigned int v)
{
	*e->p++ = v;
}

static void b4(struct emit *e, uint32_t v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
}

static void b8(struct emit *e, uint64_t v)
{
	memcpy(e->p, &v, 8);
	e->p += 8;
}

/* Copies a string literal of machine code. */
#define CODE(e, str)	code(e, str, sizeof(str) - 1)

static void code(struct emit *e, const char *bytes, size_t n)
{
	memcpy(e->p, bytes, n);
	e->p += n;
}

static uintptr_t xpos(const struct emit *e)
{
	return (uintptr_t)e->xstart + (e->p - e->start);
}

static bool fits32(int64_t v)
{
	return v == (int32_t)v;
}

/* Offset in struct tcg_vcpu of a guest register as the decoder names it. */
static int32_t reg_off(int r)
{
	if (r & REG_HIGH8)
		return VOFF(r[0]) + (r & 3) * 8 + 1;
	return VOFF(r[0]) + r * 8;
}

/* op reg, [base + d] (base not rsp or r12) */
static void rm_disp(struct emit *e, int reg, int base, int32_t d)
{
	b1(e, 0x80 | reg << 3 | base);
	b4(e, d);
}

/* jcc rel32 to be patched; returns the rel32's address */
static uint8_t *jcc_fwd(struct emit *e, int cc)
{
	b1(e, 0x0f);
	b1(e, 0x80 | cc);
	b4(e, 0);
	return e->p - 4;
}

static void patch_here(struct emit *e, uint8_t *rel32)
{
	int32_t rel = e->p - (rel32 + 4);

	memcpy(rel32, &rel, 4);
}

/* ModRM (and displacement) of [rbx + d] with @reg in the reg field. */
static void mem(struct emit *e, int reg, int32_t d)
{
	rm_disp(e, reg, RBX, d);
}

/* Operand size prefix and opcode; @op8 is the opcode of the 8-bit form. */
static void sized(struct emit *e, int sz, unsigned int op8)
{
	if (sz == 2)
		b1(e, 0x66);
	else if (sz == 8)
		b1(e, 0x48);
	b1(e, sz == 1 ? op8 : op8 + 1);
}

/* Opcode of a load of @sz bytes into a 64-bit register, zero- or
 * sign-extended; the ModRM follows. */
static void load_op(struct emit *e, int sz, bool sign)
{
	if (sign || sz == 8)
		b1(e, 0x48);
	switch (sz) {
	case 1:
		b1(e, 0x0f);
		b1(e, sign ? 0xbe : 0xb6);
		break;
	case 2:
		b1(e, 0x0f);
		b1(e, sign ? 0xbf : 0xb7);
		break;
	case 4:
		b1(e, sign ? 0x63 : 0x8b);
		break;
	default:
		b1(e, 0x8b);
		break;
	}
}

/* reg = @sz bytes at c + d, zero- or sign-extended to 64 bits. */
static void load(struct emit *e, int reg, int32_t d, int sz, bool sign)
{
	load_op(e, sz, sign);
	mem(e, reg, d);
}

/*
 * c + d = the low @sz bytes of @reg.  A 4-byte value is stored as all of
 * @reg, which must be zero-extended: set_reg()'s rule for 32-bit operands.
 */
static void store(struct emit *e, int reg, int32_t d, int sz)
{
	if (sz == 2)
		b1(e, 0x66);
	else if (sz != 1)
		b1(e, 0x48);
	b1(e, sz == 1 ? 0x88 : 0x89);
	mem(e, reg, d);
}

/* c + d = v, a 32-bit field or (@q) a 64-bit one from a sign-extended v. */
static void store_imm(struct emit *e, int32_t d, int32_t v, bool q)
{
	if (q)
		b1(e, 0x48);
	b1(e, 0xc7);
	mem(e, 0, d);
	b4(e, v);
}

static void mov_imm(struct emit *e, int reg, uint64_t v)
{
	if (v <= 0xffffffffull) {
		b1(e, 0xb8 + reg);
		b4(e, v);
	} else if (fits32(v)) {
		b1(e, 0x48);
		b1(e, 0xc7);
		b1(e, 0xc0 | reg);
		b4(e, v);
	} else {
		b1(e, 0x48);
		b1(e, 0xb8 + reg);
		b8(e, v);
	}
}

/* mov reg32, reg32: clears bits 63:32 without touching the flags. */
static void zext32(struct emit *e, int reg)
{
	b1(e, 0x89);
	b1(e, 0xc0 | reg << 3 | reg);
}

/* reg = r12 + d: the guest RIP at block entry plus a constant. */
static void lea_rip(struct emit *e, int reg, int32_t d)
{
	b1(e, 0x49);
	b1(e, 0x8d);
	b1(e, 0x84 | reg << 3);
	b1(e, 0x24);
	b4(e, d);
}

static void call(struct emit *e, const void *fn)
{
	int64_t rel = (intptr_t)fn - (intptr_t)(xpos(e) + 5);

	if (fits32(rel)) {
		b1(e, 0xe8);
		b4(e, rel);
		return;
	}
	mov_imm(e, RAX, (uintptr_t)fn);
	b1(e, 0xff);
	b1(e, 0xd0);
}

/* mov rdi, rbx: the vCPU as the first argument. */
static void arg_vcpu(struct emit *e)
{
	b1(e, 0x48);
	b1(e, 0x89);
	b1(e, 0xdf);
}

static struct stub *new_stub(struct emit *e, int type, uint8_t icount)
{
	struct stub *s = &e->stub[e->nstub++];

	memset(s, 0, sizeof(*s));
	s->type = type;
	s->icount = icount;
	return s;
}

/* Jcc rel32 to stub @s, patched when the stub is emitted. */
static void jcc_stub(struct emit *e, int cc, struct stub *s)
{
	s->patch[!!s->patch[0]] = jcc_fwd(e, cc);
}

/* Jcc to the exit of a taken branch to RIP offset @target. */
static void jcc_taken(struct emit *e, int cc, int64_t target, uint8_t icount)
{
	struct stub *s = new_stub(e, STUB_TAKEN, icount);

	s->target = target;
	jcc_stub(e, cc, s);
}

static void jmp_to(struct emit *e, const uint8_t *to)
{
	b1(e, 0xe9);
	b4(e, to - (e->p + 4));
}

/* jmp to an executable address (in the arena: rel32 reaches it). */
static void jmp_x(struct emit *e, const uint8_t *x)
{
	b1(e, 0xe9);
	b4(e, (intptr_t)x - (intptr_t)(xpos(e) + 4));
}

/*
 * Leaves the block with rax = the next RIP (already stored): in a 64-bit
 * block through a jit_exit of its own to the shared chaining code, which
 * enters the successor or returns @icount; else it returns @icount
 * itself, at @epilogue or (NULL) at the epilogue that follows.
 */
static void block_exit(struct emit *e, uint8_t icount, const uint8_t *epilogue)
{
	if (e->chain) {
		CODE(e, "\x48\xba");		/* movabs rdx, exit */
		b8(e, 0);
		e->exit[e->nexit++] = e->p - 8;
		b1(e, 0xbe);				/* mov esi, icount */
		b4(e, icount);
		jmp_x(e, e->chain_x);
		return;
	}
	mov_imm(e, RAX, icount);
	if (epilogue)
		jmp_to(e, epilogue);
}

/* The block ends with @target_off as its next RIP (see block_exit()). */
static void emit_end(struct emit *e, int32_t target_off, uint8_t icount,
		     const uint8_t *epilogue)
{
	lea_rip(e, RAX, target_off);
	store(e, RAX, reg_off(R_NEXT_RIP), 8);
	store(e, RAX, VOFF(rip), 8);
	block_exit(e, icount, epilogue);
}

/* c->rip = the next RIP a handler left (through rax). */
static void rip_from_handler(struct emit *e)
{
	load(e, RAX, reg_off(R_NEXT_RIP), 8, false);
	store(e, RAX, VOFF(rip), 8);
}

/* Stores RIP and the next RIP of @i and calls its handler. */
static void call_handler(struct emit *e, const struct insn *i, int32_t off)
{
	lea_rip(e, RAX, off + i->len);
	store(e, RAX, reg_off(R_NEXT_RIP), 8);
	if (off) {
		lea_rip(e, RAX, off);
		store(e, RAX, VOFF(rip), 8);
	} else {
		b1(e, 0x4c);	/* mov [rbx + rip], r12 */
		b1(e, 0x89);
		mem(e, 4, VOFF(rip));
	}
	arg_vcpu(e);
	b1(e, 0x48);	/* movabs rsi, i */
	b1(e, 0xbe);
	b8(e, (uintptr_t)i);
	call(e, i->fn);
}

/* After a handler: the block's end (@last) takes the next RIP it left. */
static void handler_end(struct emit *e, uint8_t icount)
{
	rip_from_handler(e);
	mov_imm(e, RAX, icount);
}

/* cmp dword [rbx + stop], 0 */
static void test_stop(struct emit *e)
{
	b1(e, 0x83);
	mem(e, 7, VOFF(stop));
	b1(e, 0);
}

/* A handler that only branches: stop means that it took the branch. */
static bool branch_only(const struct insn *i)
{
	return i->jit == JK_JCC || i->jit == JK_CMP_JCC || i->jit == JK_TEST_JCC;
}

/* A handler that ends its block by a near jump, call or return only. */
static bool jumps_only(const struct insn *i)
{
	exec_fn f = i->fn;

	return f == op_jmp_rel || f == op_call_rel || f == op_ret ||
	       f == op_jmp_ind || f == op_call_ind;
}

/*
 * run_block()'s loop body for one instruction, with its constants folded.
 * The block's end continues to the next block as a JMP does, unless the
 * instruction is one that ends blocks for a reason of its own (a change
 * of mode or of the interrupt state, say) or it set stop: then the run
 * loop looks at the vCPU first.
 */
static void emit_call(struct emit *e, const struct insn *i, int32_t off, bool last)
{
	call_handler(e, i, off);
	e->hf = HF_NONE;
	if (last && !e->open_end && !jumps_only(i)) {
		handler_end(e, i->icount_to);
		return;
	}
	test_stop(e);
	jcc_stub(e, 5, new_stub(e, branch_only(i) ? STUB_BRANCH : STUB_STOP,
				i->icount_to));			/* jne */
	if (last) {
		rip_from_handler(e);
		block_exit(e, i->icount_to, NULL);
	}
}

static int log2_size(int sz)
{
	return sz == 8 ? 3 : sz == 4 ? 2 : sz == 2 ? 1 : 0;
}

/* An ALU operand that is neither a register nor an immediate: the value
 * an inline memory access loaded into rdx. */
#define OPND_RDX	(-2)

/* host = the ALU operand @r (a guest register, OPND_RDX, or < 0: @imm). */
static void alu_operand(struct emit *e, int host, int r, int sz, uint64_t imm)
{
	if (r == OPND_RDX) {
		b1(e, 0x48);	/* mov host, rdx */
		b1(e, 0x89);
		b1(e, 0xc0 | RDX << 3 | host);
	} else if (r >= 0) {
		load(e, host, reg_off(r), sz, false);
	} else {
		mov_imm(e, host, imm & size_mask(sz));
	}
}

/*
 * A = op(A, B) for the operands @ra and @rb (see alu_operand()), recording
 * the lazy flags as alu() and set_cc() do unless @rec is false, and writing
 * A back if @write (not for CMP and TEST, which only set flags).
 */
static void emit_alu(struct emit *e, int sz, int op, int ra, int rb, uint64_t imm,
		     bool write, bool rec)
{
	bool logic = op == A_OR || op == A_AND || op == A_XOR;
	int kind = logic ? CC_LOGIC : op == A_ADD ? CC_ADD : CC_SUB;

	alu_operand(e, RAX, ra, sz, imm);
	alu_operand(e, RCX, rb, sz, imm);
	if (rec) {
		if (logic) {
			store_imm(e, VOFF(cc_a), 0, true);
			store_imm(e, VOFF(cc_b), 0, true);
		} else {
			store(e, RAX, VOFF(cc_a), 8);
			store(e, RCX, VOFF(cc_b), 8);
		}
		store_imm(e, VOFF(cc_op), kind * 4 + log2_size(sz), false);
	}
	/* op r/m, r with rax as r/m and rcx as r; CMP computes as SUB */
	sized(e, sz, (op == A_CMP ? A_SUB : op) * 8);
	b1(e, 0xc8);
	if (rec)
		store(e, RAX, VOFF(cc_res), 8);
	if (write && op != A_CMP)
		store(e, RAX, reg_off(ra), sz);
	e->hf = HF_FULL;
}

/* CF of the lazy flags, for INC/DEC when the host flags do not hold it. */
static uint64_t jit_get_cf(struct tcg_vcpu *c)
{
	return get_cf(c);
}

/* INC/DEC r: CF passes through (op_incdec()). */
static void emit_incdec(struct emit *e, const struct insn *i)
{
	int sz = i->opsz;

	if (e->hf == HF_FULL) {
		CODE(e, "\x0f\x92\xc2");		/* setc dl */
		CODE(e, "\x0f\xb6\xd2");		/* movzx edx, dl */
	} else {
		arg_vcpu(e);
		call(e, jit_get_cf);
		CODE(e, "\x48\x89\xc2");		/* mov rdx, rax */
		e->hf = HF_NOCF;
	}
	load(e, RAX, reg_off(i->rm), sz, false);
	store(e, RAX, VOFF(cc_a), 8);
	store(e, RDX, VOFF(cc_c), 8);
	store_imm(e, VOFF(cc_b), 1, true);
	store_imm(e, VOFF(cc_op), (i->sub ? CC_DEC : CC_INC) * 4 + log2_size(sz), false);
	sized(e, sz, 0xfe);
	b1(e, 0xc0 | (i->sub ? 1 : 0) << 3);
	store(e, RAX, VOFF(cc_res), 8);
	store(e, RAX, reg_off(i->rm), sz);
}

/* A shift or rotate of a register whose flags are dead: the result only. */
static void emit_shift(struct emit *e, const struct insn *i)
{
	int sz = i->opsz, op = i->reg & 7;

	if (op == 6)
		op = 4;	/* SAL is SHL */
	load(e, RAX, reg_off(i->rm), sz, false);
	if (i->sub == 1)
		load(e, RCX, reg_off(R_CX), 1, false);
	/* the host masks and reduces the count as the handler does */
	sized(e, sz, i->sub == 0 ? 0xd0 : i->sub == 1 ? 0xd2 : 0xc0);
	b1(e, 0xc0 | op << 3);
	if (i->sub == 2)
		b1(e, i->imm & 0xff);
	store(e, RAX, reg_off(i->rm), sz);
	e->hf = HF_NONE;
}

/*
 * @dst (RAX or RDX) = base + index * scale + disp of @i's memory operand,
 * 64 bits wide; RCX is clobbered.
 */
static void emit_addr(struct emit *e, const struct insn *i, int32_t noff, int dst)
{
	if (i->base == R_NEXT_RIP)
		lea_rip(e, dst, noff);
	else
		load(e, dst, reg_off(i->base), 8, false);	/* R_ZERO reads 0 */
	if (i->index != R_ZERO)
		load(e, RCX, reg_off(i->index), 8, false);
	b1(e, 0x48);
	b1(e, 0x8d);
	if (i->index == R_ZERO) {
		b1(e, 0x80 | dst << 3 | dst);	/* lea dst, [dst + disp32] */
	} else {
		b1(e, 0x84 | dst << 3);		/* lea dst, [dst + rcx * scale + disp32] */
		b1(e, i->scale << 6 | RCX << 3 | dst);
	}
	b4(e, i->disp);
}

static void emit_lea(struct emit *e, const struct insn *i, int32_t noff)
{
	emit_addr(e, i, noff, RAX);
	if (i->adsz == 2)
		CODE(e, "\x0f\xb7\xc0");	/* movzx eax, ax */
	else if (i->adsz == 4 || i->opsz == 4)
		zext32(e, RAX);
	store(e, RAX, reg_off(i->reg), i->opsz);
}

/* r[dst] (@dsz bytes) = r[src] (@ssz bytes), zero- or sign-extended. */
static void emit_mov(struct emit *e, int dst, int dsz, int src, int ssz, bool sign)
{
	load(e, RAX, reg_off(src), ssz, sign);
	if (sign && dsz == 4)
		zext32(e, RAX);
	store(e, RAX, reg_off(dst), dsz);
}

static void emit_mov_imm(struct emit *e, int dst, int sz, uint64_t imm)
{
	mov_imm(e, RAX, imm & size_mask(sz));
	store(e, RAX, reg_off(dst), sz);
}

/* NOT r: no flags, on the host either. */
static void emit_not(struct emit *e, const struct insn *i)
{
	load(e, RAX, reg_off(i->rm), i->opsz, false);
	sized(e, i->opsz, 0xf6);
	b1(e, 0xd0);
	store(e, RAX, reg_off(i->rm), i->opsz);
}

/* Whether the host flags hold what condition @cc reads. */
static bool host_flags_have(const struct emit *e, int cc)
{
	if (e->hf == HF_FULL)
		return true;
	return e->hf == HF_NOCF && (cc >> 1) != 1 && (cc >> 1) != 3;	/* not B, BE */
}

/* A fused CMP/TEST + Jcc: B is the register base or the immediate. */
static void emit_cc_jcc(struct emit *e, const struct insn *i, int32_t noff)
{
	int rb = i->base == R_ZERO ? -1 : i->base;

	emit_alu(e, i->opsz, i->jit == JK_CMP_JCC ? A_CMP : A_AND, i->rm, rb, i->imm,
		 false, true);
	jcc_taken(e, i->sub, (int64_t)noff + i->disp, i->icount_to);
}

/*
 * rdx = the linear address of @i's memory operand (64-bit addressing: the
 * segment base is 0 but for FS and GS).
 */
static void emit_ea(struct emit *e, const struct insn *i, int32_t noff)
{
	emit_addr(e, i, noff, RDX);
	if (i->seg >= S_FS) {
		load(e, RCX, VOFF(sbase[0]) + i->seg * 8, 8, false);
		CODE(e, "\x48\x8d\x14\x0a");	/* lea rdx, [rdx + rcx] */
	}
}

/* rcx = the TLB entry of linear address rdx in the set r13 points to. */
static void emit_tlb_entry(struct emit *e)
{
	/* rcx = r13 + ((lin >> 12) & (TLB_SIZE - 1)) * 48 */
	CODE(e, "\x48\x89\xd1");		/* mov rcx, rdx */
	CODE(e, "\x48\xc1\xe9\x0c");		/* shr rcx, 12 */
	CODE(e, "\x81\xe1");			/* and ecx, TLB_SIZE - 1 */
	b4(e, TLB_SIZE - 1);
	CODE(e, "\x48\x8d\x0c\x49");		/* lea rcx, [rcx + rcx * 2] */
	CODE(e, "\x48\xc1\xe1\x04");		/* shl rcx, 4 */
	CODE(e, "\x4c\x01\xe9");		/* add rcx, r13 */
}

#define TOFF(f)	((int32_t)offsetof(struct tlb_entry, f))
_Static_assert(sizeof(struct tlb_entry) == 48, "emit_tlb_entry() scales by 48");

/*
 * The TLB hit test of mem_read()/mem_write(), jumping to @slow on a miss:
 * the entry's tag is the page of the last byte accessed (which also fails
 * for an access crossing the page, since entry n only holds pages n mod
 * TLB_SIZE), and a store needs a page without translated code.  Then rdx =
 * the host address.
 */
static void emit_tlb(struct emit *e, int sz, bool write, struct stub *slow)
{
	CODE(e, "\x48\x8d\x42");		/* lea rax, [rdx + sz - 1] */
	b1(e, sz - 1);
	CODE(e, "\x48\x25");			/* and rax, ~0xfff */
	b4(e, ~0xfffu);
	CODE(e, "\x48\x3b\x81");		/* cmp rax, [rcx + tag] */
	b4(e, write ? TOFF(tag_w) : TOFF(tag_r));
	jcc_stub(e, 5, slow);			/* jne */
	if (write) {
		CODE(e, "\x48\x8b\x81");	/* mov rax, [rcx + gen] */
		b4(e, TOFF(gen));
		CODE(e, "\xf7\x00");		/* test dword [rax], GEN_CODE */
		b4(e, GEN_CODE);
		jcc_stub(e, 5, slow);		/* jne */
	}
	CODE(e, "\x48\x03\x91");		/* add rdx, [rcx + addend] */
	b4(e, TOFF(addend));
}

/* [rbx + d] += v, a 64-bit field (flags change). */
static void add_imm8(struct emit *e, int32_t d, int8_t v)
{
	b1(e, 0x48);
	b1(e, 0x83);
	mem(e, 0, d);
	b1(e, v);
}

/*
 * PUSH, POP, CALL and RET of 64-bit values in 64-bit code, as push_fast()
 * and pop_fast() do them: the stack is flat, and RSP changes only after
 * the access succeeded; a TLB miss, and a RET to a non-canonical address
 * (#GP), take the slow path.  CALL and RET end the block.
 */
static void emit_stack(struct emit *e, const struct insn *i, int32_t noff, struct stub *slow)
{
	int kind = i->jit & ~JK_MEM;
	bool push = kind != JK_POP && kind != JK_RET;

	load(e, RDX, reg_off(R_SP), 8, false);
	if (push)
		CODE(e, "\x48\x8d\x52\xf8");		/* lea rdx, [rdx - 8] */
	emit_tlb_entry(e);
	emit_tlb(e, 8, push, slow);
	if (push) {
		if (kind == JK_PUSH)
			load(e, RAX, reg_off(i->reg), 8, false);
		else if (kind == JK_PUSH_IMM)
			mov_imm(e, RAX, i->imm);
		else
			lea_rip(e, RAX, noff);
		CODE(e, "\x48\x89\x02");		/* mov [rdx], rax */
		add_imm8(e, reg_off(R_SP), -8);
	} else {
		CODE(e, "\x48\x8b\x12");		/* mov rdx, [rdx] */
		if (kind == JK_RET) {
			/* canonical: sign-extending bit 47 keeps it */
			CODE(e, "\x48\x89\xd0");	/* mov rax, rdx */
			CODE(e, "\x48\xc1\xe0\x10");	/* shl rax, 16 */
			CODE(e, "\x48\xc1\xf8\x10");	/* sar rax, 16 */
			CODE(e, "\x48\x39\xd0");	/* cmp rax, rdx */
			jcc_stub(e, 5, slow);		/* jne */
		}
		add_imm8(e, reg_off(R_SP), 8);
		if (kind == JK_POP)
			store(e, RDX, reg_off(i->reg), 8);
	}
	e->hf = HF_NONE;
	slow->resume = e->p;
	if (kind == JK_RET) {
		store(e, RDX, reg_off(R_NEXT_RIP), 8);
		store(e, RDX, VOFF(rip), 8);
		CODE(e, "\x48\x89\xd0");		/* mov rax, rdx */
		block_exit(e, i->icount_to, NULL);
	} else if (kind == JK_CALL_REL) {
		emit_end(e, noff + i->imm, i->icount_to, NULL);
	} else if (slow->last) {
		emit_end(e, noff, i->icount_to, NULL);
	}
}

/* The memory forms: loads, CMP/TEST with memory, MOV to memory, stack. */
static void emit_mem(struct emit *e, const struct insn *i, int32_t off, bool last)
{
	int kind = i->jit & ~JK_MEM, sz = i->opsz, msz = sz;
	bool write = kind == JK_MOV_RM_R || kind == JK_MOV_RM_IMM;
	bool sign = kind == JK_MOVSX || kind == JK_MOVSXD;
	struct stub *slow = new_stub(e, STUB_SLOW, i->icount_to);

	if (kind == JK_MOVZX || kind == JK_MOVSX)
		msz = i->sub;
	else if (kind == JK_MOVSXD)
		msz = 4;
	slow->i = i;
	slow->off = off;
	slow->last = last;
	if (kind >= JK_PUSH) {
		emit_stack(e, i, off + i->len, slow);
		return;
	}
	emit_ea(e, i, off + i->len);
	emit_tlb_entry(e);
	emit_tlb(e, msz, write, slow);
	if (write) {
		if (kind == JK_MOV_RM_R)
			load(e, RAX, reg_off(i->reg), sz, false);
		else
			mov_imm(e, RAX, i->imm & size_mask(sz));
		if (sz == 2)
			b1(e, 0x66);
		else if (sz == 8)
			b1(e, 0x48);
		b1(e, sz == 1 ? 0x88 : 0x89);
		b1(e, RAX << 3 | RDX);		/* mov [rdx], rax/eax/ax/al */
	} else {
		load_op(e, msz, sign);
		b1(e, RDX << 3 | RDX);		/* rdx = [rdx] */
	}
	switch (kind) {
	case JK_MOV_R_RM:
	case JK_MOVZX:
	case JK_MOVSX:
	case JK_MOVSXD:
		if (sign && sz == 4)
			zext32(e, RDX);
		store(e, RDX, reg_off(i->reg), sz);
		break;
	case JK_ALU_R_RM: emit_alu(e, sz, i->sub, i->reg, OPND_RDX, 0, true, true); break;
	case JK_ALU_RM_R: emit_alu(e, sz, A_CMP, OPND_RDX, i->reg, 0, false, true); break;
	case JK_ALU_RM_IMM: emit_alu(e, sz, A_CMP, OPND_RDX, -1, i->imm, false, true); break;
	case JK_TEST_RM_R: emit_alu(e, sz, A_AND, OPND_RDX, i->reg, 0, false, true); break;
	case JK_TEST_RM_IMM: emit_alu(e, sz, A_AND, OPND_RDX, -1, i->imm, false, true); break;
	}
	/* the slow path joins here with other host flags */
	e->hf = HF_NONE;
	slow->resume = e->p;
	if (last)
		emit_end(e, off + i->len, i->icount_to, NULL);
}

/* Emits @i without its handler; false (and nothing emitted) if it needs one. */
static bool emit_inline(struct emit *e, const struct insn *i, int32_t off, bool last)
{
	int32_t noff = off + i->len;
	int sz = i->opsz;
	bool rec = (i->flags_dead & BOTH_DEAD) != BOTH_DEAD;

	if (i->jit == (JK_MEM | JK_CALL_REL) || i->jit == (JK_MEM | JK_RET)) {
		/* they end their block (D_END) with their own exit */
		if (!last || !fits32((int64_t)noff + i->imm))
			return false;
	}
	if (i->jit & JK_MEM) {
		emit_mem(e, i, off, last);
		return true;
	}
	switch (i->jit) {
	case JK_NOP: break;
	case JK_ALU_RM_R: emit_alu(e, sz, i->sub, i->rm, i->reg, 0, true, rec); break;
	case JK_ALU_R_RM: emit_alu(e, sz, i->sub, i->reg, i->rm, 0, true, rec); break;
	case JK_ALU_RM_IMM: emit_alu(e, sz, i->sub, i->rm, -1, i->imm, true, rec); break;
	case JK_ALU_ACC_IMM: emit_alu(e, sz, i->sub, R_AX, -1, i->imm, true, rec); break;
	case JK_TEST_RM_R: emit_alu(e, sz, A_AND, i->rm, i->reg, 0, false, rec); break;
	case JK_TEST_RM_IMM: emit_alu(e, sz, A_AND, i->rm, -1, i->imm, false, rec); break;
	case JK_TEST_ACC_IMM: emit_alu(e, sz, A_AND, R_AX, -1, i->imm, false, rec); break;
	case JK_MOV_RM_R: emit_mov(e, i->rm, sz, i->reg, sz, false); break;
	case JK_MOV_R_RM: emit_mov(e, i->reg, sz, i->rm, sz, false); break;
	case JK_MOV_R_IMM: emit_mov_imm(e, i->reg, sz, i->imm); break;
	case JK_MOV_RM_IMM: emit_mov_imm(e, i->rm, sz, i->imm); break;
	case JK_LEA: emit_lea(e, i, noff); break;
	case JK_MOVZX: emit_mov(e, i->reg, sz, i->rm, i->sub, false); break;
	case JK_MOVSX: emit_mov(e, i->reg, sz, i->rm, i->sub, true); break;
	case JK_MOVSXD: emit_mov(e, i->reg, sz, i->rm, 4, true); break;
	case JK_NOT: emit_not(e, i); break;
	case JK_INCDEC: emit_incdec(e, i); break;
	case JK_SHIFT_DEAD: emit_shift(e, i); break;
	case JK_CMP_JCC:
	case JK_TEST_JCC:
		if (!fits32((int64_t)noff + i->disp))
			return false;
		emit_cc_jcc(e, i, noff);
		break;
	case JK_JCC:
		if (!host_flags_have(e, i->sub) || !fits32(noff + i->imm))
			return false;
		jcc_taken(e, i->sub, noff + i->imm, i->icount_to);
		break;
	case JK_JMP:
		if (!last || !fits32(noff + i->imm))
			return false;
		emit_end(e, noff + i->imm, i->icount_to, NULL);
		return true;
	default:
		return false;
	}
	if (last)
		emit_end(e, noff, i->icount_to, NULL);
	return true;
}

/* The block's exit after a handler that set stop or ended the block. */
static void stop_exit(struct emit *e, uint8_t icount, const uint8_t *epilogue)
{
	handler_end(e, icount);
	jmp_to(e, epilogue);
}

/* The slow path of an inline memory access: the handler does it all. */
static void slow_path(struct emit *e, const struct stub *s, const uint8_t *epilogue)
{
	call_handler(e, s->i, s->off);
	if (s->last) {
		stop_exit(e, s->icount, epilogue);
		return;
	}
	test_stop(e);
	b1(e, 0x0f);	/* je resume */
	b1(e, 0x84);
	b4(e, s->resume - (e->p + 4));
	stop_exit(e, s->icount, epilogue);
}

static void emit_stubs(struct emit *e, const uint8_t *epilogue)
{
	int k, n;

	for (k = 0; k < e->nstub; k++) {
		struct stub *s = &e->stub[k];

		for (n = 0; n < 2 && s->patch[n]; n++)
			patch_here(e, s->patch[n]);
		switch (s->type) {
		case STUB_TAKEN:
			emit_end(e, s->target, s->icount, epilogue);
			break;
		case STUB_STOP:
			stop_exit(e, s->icount, epilogue);
			break;
		case STUB_BRANCH:	/* a taken branch, as STUB_TAKEN */
			rip_from_handler(e);
			store_imm(e, VOFF(stop), 0, false);
			block_exit(e, s->icount, epilogue);
			break;
		default:
			slow_path(e, s, epilogue);
			break;
		}
	}
}

/* r13 = the TLB set of the current privilege, which no instruction inside
 * a block changes (those that change CPL end it). */
static void emit_tlb_base(struct emit *e)
{
	CODE(e, "\x31\xc0");			/* xor eax, eax */
	b1(e, 0x83);				/* cmp dword [rbx + cpl], 3 */
	mem(e, 7, VOFF(cpl));
	b1(e, 3);
	CODE(e, "\x0f\x94\xc0");		/* sete al */
	CODE(e, "\x69\xc0");			/* imul eax, eax, sizeof(tlb[0]) */
	b4(e, sizeof(((struct tcg_vcpu *)0)->tlb[0]));
	CODE(e, "\x4c\x8d\xac\x03");		/* lea r13, [rbx + rax + tlb] */
	b4(e, VOFF(tlb));
}

#define XOFF(f)		((int32_t)offsetof(struct jit_exit, f))
#define BOFF(f)		((int32_t)offsetof(struct block, f))

/*
 * The transition between blocks, shared by all exits of 64-bit blocks (at
 * the start of the arena): with rax = the next RIP (stored in c->rip),
 * rdx = the exit, esi = the instructions the block retired.  An exit
 * linked to another RIP (a RET to another caller) is replaced by the
 * jit_cache slot of the RIP, and that is what gets linked on a miss.
 * Does what
 * tcg_vcpu_run() and run_block() do between two blocks: the event poll,
 * the checks of a chain link (RIP, chain epoch, CPL, code size, the
 * successor's generation words: self-modifying code from any vCPU), the
 * instruction count, the bookkeeping for faults and links, RF; then jumps
 * into the successor after its prologue.  Otherwise it records the exit
 * in c->jit_exit for jit_link() and returns the count.
 */
static size_t emit_chain_code(struct jit_arena *a)
{
	struct emit e = { .p = a->rw, .start = a->rw, .xstart = a->rx };
	uint8_t *miss[9], *valid, *found;
	int n = 0, k;

	CODE(&e, "\x48\x3b");  rm_disp(&e, RAX, RDX, XOFF(rip));	/* cmp rax, [rdx + rip] */
	found = jcc_fwd(&e, 4);						/* je */
	CODE(&e, "\x48\xb9"); b8(&e, EXIT_NONE);			/* movabs rcx, none */
	CODE(&e, "\x48\x3b");  rm_disp(&e, RCX, RDX, XOFF(rip));	/* unlinked: link it */
	miss[n++] = jcc_fwd(&e, 4);					/* je */
	CODE(&e, "\x48\x89\xc1");					/* mov rcx, rax */
	CODE(&e, "\x48\xc1\xe9"); b1(&e, JIT_CACHE_BITS);		/* shr rcx, bits */
	CODE(&e, "\x31\xc1");						/* xor ecx, eax */
	CODE(&e, "\x81\xe1"); b4(&e, JIT_CACHE_SIZE - 1);		/* and ecx, mask */
	CODE(&e, "\x6b\xc9"); b1(&e, sizeof(struct jit_exit));	/* imul ecx, size */
	CODE(&e, "\x48\x8d\x94\x0b"); b4(&e, VOFF(jit_cache));	/* lea rdx, [rbx+rcx+] */
	CODE(&e, "\x48\x3b");  rm_disp(&e, RAX, RDX, XOFF(rip));
	miss[n++] = jcc_fwd(&e, 5);
	patch_here(&e, found);
	CODE(&e, "\x8b");      mem(&e, RCX, VOFF(chain_epoch));	/* mov ecx, epoch */
	CODE(&e, "\x3b");      rm_disp(&e, RCX, RDX, XOFF(epoch));
	miss[n++] = jcc_fwd(&e, 5);
	CODE(&e, "\x8b");      mem(&e, RCX, VOFF(cpl));
	CODE(&e, "\x3b");      rm_disp(&e, RCX, RDX, XOFF(cpl));
	miss[n++] = jcc_fwd(&e, 5);
	CODE(&e, "\x8b");      mem(&e, RCX, VOFF(events));		/* events | state */
	CODE(&e, "\x0b");      mem(&e, RCX, VOFF(state));
	miss[n++] = jcc_fwd(&e, 5);
	CODE(&e, "\x48\x8b"); rm_disp(&e, RCX, RDX, XOFF(b));	/* rcx = successor */
	CODE(&e, "\x0f\xb7"); rm_disp(&e, RDI, RCX, BOFF(mode));	/* movzx edi, mode */
	CODE(&e, "\x3b");      mem(&e, RDI, VOFF(code_mode));
	miss[n++] = jcc_fwd(&e, 5);
	CODE(&e, "\x48\x8b"); rm_disp(&e, RDI, RCX, BOFF(gen[0]));
	CODE(&e, "\x8b\x3f");						/* mov edi, [rdi] */
	CODE(&e, "\x3b");      rm_disp(&e, RDI, RCX, BOFF(genv[0]));
	miss[n++] = jcc_fwd(&e, 5);
	CODE(&e, "\x48\x8b"); rm_disp(&e, RDI, RCX, BOFF(gen[1]));
	CODE(&e, "\x48\x85\xff");					/* test rdi, rdi */
	valid = jcc_fwd(&e, 4);						/* je */
	CODE(&e, "\x8b\x3f");
	CODE(&e, "\x3b");      rm_disp(&e, RDI, RCX, BOFF(genv[1]));
	miss[n++] = jcc_fwd(&e, 5);
	patch_here(&e, valid);
	CODE(&e, "\x48\x01"); mem(&e, RSI, VOFF(icount));		/* add [icount], rsi */
	CODE(&e, "\x48\x89"); mem(&e, RCX, VOFF(prev_block));
	CODE(&e, "\x48\x89"); mem(&e, RCX, VOFF(cur_block));
	CODE(&e, "\x48\x89"); mem(&e, RAX, VOFF(cur_block_rip));
	CODE(&e, "\x48\x81"); mem(&e, 4, VOFF(flags));		/* and: RF lasts */
	b4(&e, ~(uint32_t)F_RF);					/* one insn */
	CODE(&e, "\x49\x89\xc4");					/* mov r12, rax */
	CODE(&e, "\x48\x8b"); rm_disp(&e, RCX, RCX, BOFF(jit));
	CODE(&e, "\x48\x83\xc1"); b1(&e, CHAIN_ENTRY);		/* add rcx, entry */
	CODE(&e, "\xff\xe1");						/* jmp rcx */
	for (k = 0; k < n; k++)
		patch_here(&e, miss[k]);
	CODE(&e, "\x48\x89"); mem(&e, RDX, VOFF(jit_exit));
	CODE(&e, "\x89\xf0");						/* mov eax, esi */
	CODE(&e, EPILOGUE);
	return (e.p - e.start + 15) & ~(size_t)15;
}

/*
 * The block's jit_exits, each unlinked, in the translation cache's arena
 * (reset with the code's): apart from the code, so that linking one is
 * not a store to a line of code, which costs a pipeline flush.
 */
static void alloc_exits(struct tcg_vcpu *c, struct emit *e)
{
	struct jit_exit *x = (struct jit_exit *)(c->arena + c->arena_used);
	int k;

	for (k = 0; k < e->nexit; k++) {
		x[k] = (struct jit_exit){ .rip = EXIT_NONE, .cpl = -1 };
		memcpy(e->exit[k], &(uint64_t){ (uintptr_t)&x[k] }, 8);
	}
	c->arena_used += (e->nexit * sizeof(*x) + 15) & ~(size_t)15;
}

void jit_compile(struct tcg_vcpu *c, struct block *b)
{
	struct jit_arena *a = &c->jit;
	struct emit e;
	uint8_t *epilogue;
	int32_t off = 0;
	int k;

	if (!a->threshold)
		return;	/* JIT off (the run count wrapped) */
	if (a->used + BLOCK_CODE_MAX > JIT_ARENA) {
		a->full = true;
		return;
	}
	e.start = e.p = a->rw + a->used;
	e.xstart = a->rx + a->used;
	e.nstub = 0;
	e.hf = HF_NONE;
	/* TCG_PROFILE counts blocks in run_block(): no chaining there */
	e.chain = b->mode == 8 && !profile_enabled &&
		  c->arena_used + MAX_EXITS * sizeof(struct jit_exit) <= BLOCK_ARENA;
	e.chain_x = a->rx;
	e.nexit = 0;
	e.open_end = b->open_end;
	CODE(&e, PROLOGUE);
	CODE(&e, "\x4c\x8b");			/* mov r12, [rbx + rip] */
	mem(&e, 4, VOFF(rip));
	for (k = 0; k < b->n; k++)
		if (b->insn[k].jit & JK_MEM) {
			emit_tlb_base(&e);
			break;
		}
	for (k = 0; k < b->n; k++) {
		const struct insn *i = &b->insn[k];
		bool last = k == b->n - 1;

		if (!emit_inline(&e, i, off, last))
			emit_call(&e, i, off, last);
		off += i->len;
	}
	epilogue = e.p;
	CODE(&e, EPILOGUE);
	emit_stubs(&e, epilogue);
	alloc_exits(c, &e);
	a->used += (e.p - e.start + 15) & ~(size_t)15;
	a->blocks++;
	b->jit = (jit_fn)(void *)e.xstart;
}
