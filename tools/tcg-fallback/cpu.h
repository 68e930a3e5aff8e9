/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal state of the tcg-fallback CPU core: one struct per vCPU holding
 * all guest-visible state, the software TLB and the translation cache.
 */
#ifndef TCG_CPU_H
#define TCG_CPU_H

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "include/tcg.h"
#include "jit.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
/* Accessors used by every handler: always inlined so sizes fold. */
#define hot_inline	inline __attribute__((always_inline))

/* General registers; r[16] is the address of the next instruction and
 * r[17] is always zero, so that an effective address is computed without
 * branches for RIP-relative and base- or index-less forms. */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };
#define R_NEXT_RIP	16
#define R_ZERO		17
#define NREGS		18
/* Byte-register encoding for AH/CH/DH/BH (no REX prefix). */
#define REG_HIGH8	0x20

enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS };

/* RFLAGS bits. */
#define F_CF	0x0001
#define F_PF	0x0004
#define F_AF	0x0010
#define F_ZF	0x0040
#define F_SF	0x0080
#define F_TF	0x0100
#define F_IF	0x0200
#define F_DF	0x0400
#define F_OF	0x0800
#define F_IOPL	0x3000
#define F_NT	0x4000
#define F_RF	0x10000
#define F_VM	0x20000
#define F_AC	0x40000
#define F_VIF	0x80000
#define F_VIP	0x100000
#define F_ID	0x200000
#define F_ARITH	(F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

#define CR0_PE	(1ull << 0)
#define CR0_MP	(1ull << 1)
#define CR0_EM	(1ull << 2)
#define CR0_TS	(1ull << 3)
#define CR0_ET	(1ull << 4)
#define CR0_NE	(1ull << 5)
#define CR0_WP	(1ull << 16)
#define CR0_AM	(1ull << 18)
#define CR0_NW	(1ull << 29)
#define CR0_CD	(1ull << 30)
#define CR0_PG	(1ull << 31)

#define CR4_VME		(1ull << 0)
#define CR4_PVI		(1ull << 1)
#define CR4_TSD		(1ull << 2)
#define CR4_DE		(1ull << 3)
#define CR4_PSE		(1ull << 4)
#define CR4_PAE		(1ull << 5)
#define CR4_MCE		(1ull << 6)
#define CR4_PGE		(1ull << 7)
#define CR4_PCE		(1ull << 8)
#define CR4_OSFXSR	(1ull << 9)
#define CR4_OSXMMEXCPT	(1ull << 10)
#define CR4_UMIP	(1ull << 11)
#define CR4_FSGSBASE	(1ull << 16)

#define EFER_SCE	(1ull << 0)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define EFER_NXE	(1ull << 11)

/* Exception vectors. */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4,
	EXC_BR = 5, EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10,
	EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16,
	EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
	/* Not vectors: reasons to leave the run loop. */
	EXC_INTERNAL = -1,
};

/* Page-fault error code bits. */
#define PF_P	1
#define PF_W	2
#define PF_U	4
#define PF_RSVD	8
#define PF_I	16

/* Memory access kinds for translation. */
enum acc { ACC_R = 0, ACC_W = 1, ACC_X = 2 };

/*
 * Lazy flags: arithmetic instructions record their operands and result;
 * RFLAGS is computed only when read.  cc_op = kind * 4 + log2(size).
 * CC_CO (shifts, multiplications) keeps CF in cc_c and OF in cc_a, with
 * SF/ZF/PF from the result and AF clear.
 */
enum cc_kind { CC_EAGER, CC_ADD, CC_ADC, CC_SUB, CC_SBB, CC_LOGIC, CC_INC, CC_DEC,
	       CC_CO };

struct tcg_vcpu;
struct insn;
typedef void (*exec_fn)(struct tcg_vcpu *c, const struct insn *i);

/*
 * A decoded instruction.  Decoding happens once per translated block; the
 * handler reads only these fields, so a JIT can later consume the same
 * data.
 */
struct insn {
	exec_fn fn;
	int64_t imm;
	int32_t disp;
	uint16_t imm2;		/* ENTER level, far pointer selector */
	uint8_t len;
	uint8_t opsz;		/* operand size in bytes: 1, 2, 4, 8 */
	uint8_t adsz;		/* address size in bytes: 2, 4, 8 */
	uint8_t seg;		/* segment of the memory operand */
	uint8_t reg;		/* ModRM.reg (with REX.R; REG_HIGH8 for AH..BH) */
	uint8_t rm;		/* ModRM.rm register when mod == 3 */
	uint8_t base, index, scale;	/* memory operand: R_ZERO if absent */
	uint8_t is_reg;		/* ModRM.mod == 3 */
	uint8_t sub;		/* handler-specific: ALU op, condition, ... */
	uint8_t pfx;		/* PFX_* bits */
	uint8_t opc;		/* last opcode byte */
	uint8_t modrm;
	uint8_t flags_dead;	/* FLAGS_DEAD_*: flags that later insns of the
				 * block overwrite before anything reads them */
	uint8_t icount_to;	/* guest instructions of the block up to and
				 * including this one (fused pairs count 2) */
	uint8_t jit;		/* enum jit_kind */
};

#define FLAGS_DEAD_CO	1	/* CF and OF */
#define FLAGS_DEAD_SZAP	2	/* SF, ZF, AF and PF */

#define PFX_LOCK	1
#define PFX_REP		2	/* F3 */
#define PFX_REPNE	4	/* F2 */
#define PFX_OPSZ	8	/* 66 */
#define PFX_REX		16
#define PFX_REXW	32
#define PFX_SEG		64	/* explicit segment override */

/* Software TLB: one per privilege class (user/supervisor). */
#define TLB_BITS	11
#define TLB_SIZE	(1 << TLB_BITS)
#define TLB_NONE	(~0ull)
#define TLB_LOG		128

struct tlb_entry {
	uint64_t tag_r, tag_w, tag_x;	/* linear page, or TLB_NONE */
	uintptr_t addend;		/* host address - linear address */
	uint32_t *gen;			/* code generation word of the page */
	uint64_t gpa;			/* guest-physical page */
};

/* Code pages: the per-page generation word has this bit set while any
 * translation of the page exists; a write bumps the generation. */
#define GEN_CODE	0x80000000u

#define BLOCK_MAX_INSNS	32

struct block {
	struct block *hnext;
	uint64_t gpa;
	uint32_t *gen[2];
	uint32_t genv[2];
	uint16_t mode;
	uint16_t n;
	bool open_end;		/* cut by the page end or the size limit: its
				 * last instruction does not end blocks */
	/* Block chaining: the last two blocks that followed this one.  One
	 * is the next block if it starts at the guest-physical address the
	 * instruction TLB gives for the next RIP (so links survive the TLB
	 * flushes of context switches) and is valid. */
	struct block *link[2];
	unsigned int next_link;
	uint32_t runs;		/* counted up to the JIT threshold */
	jit_fn jit;		/* host code of the block, or NULL */
	struct insn insn[];
};

static inline bool block_valid(const struct block *b)
{
	return __atomic_load_n(b->gen[0], __ATOMIC_ACQUIRE) == b->genv[0] &&
	       (!b->gen[1] || __atomic_load_n(b->gen[1], __ATOMIC_ACQUIRE) == b->genv[1]);
}

/* Whether @b, if any, is the current translation of the code at @gpa in
 * code size @mode: a link or cache entry worth following. */
static inline bool block_is(const struct block *b, uint64_t gpa, int mode)
{
	return b && b->gpa == gpa && b->mode == mode && block_valid(b);
}

#define BLOCK_HASH_BITS	16
#define BLOCK_HASH_SIZE	(1 << BLOCK_HASH_BITS)
/* The block cache in front of the hash: small enough to stay in cache. */
#define BLOCK_CACHE_BITS	12
#define BLOCK_CACHE_SIZE	(1 << BLOCK_CACHE_BITS)
#define BLOCK_ARENA	(32u << 20)

struct mem_slot {
	uint64_t gpa, size;
	uint8_t *host;
	uint32_t *gen;		/* one word per page */
	uint32_t slot, flags;
};

#define MAX_SLOTS	32
#define MAX_VCPUS	64

struct tcg_apic;
struct tcg_irq_fabric;

struct tcg_vm {
	struct mem_slot slots[MAX_SLOTS];
	int nslots;
	uint32_t mem_epoch;	/* bumped when the slot layout changes */
	struct tcg_io_ops io;
	pthread_mutex_t lock;
	struct tcg_vcpu *vcpus[MAX_VCPUS];
	struct tcg_irq_fabric *fabric;
	uint32_t **retired;		/* generation arrays of deleted slots */
	int nretired;
	unsigned int jit_threshold;	/* from TCG_JIT*, 0: interpreter only */
};

/*
 * Bits of tcg_vcpu.events.  Whoever makes one of these conditions true
 * sets its bit afterwards with a release OR; the run loop clears the word
 * (acquire) before it re-checks every condition, so none is lost.  A bit
 * is a hint: the loop looks at the conditions themselves.
 */
#define EV_KICK		1	/* tcg_vcpu_kick() */
#define EV_MEM		2	/* the memory slot layout changed */
#define EV_APIC		4	/* apic_has_event() */

/* vCPU run states. */
/* VCPU_RUNNING is 0: the run loop tests the state together with events. */
enum { VCPU_RUNNING = 0, VCPU_HALTED, VCPU_WAIT_SIPI };

struct x87 {
	long double st[8];
	uint16_t fcw, fsw, ftw;	/* ftw: 1 bit per physical register (valid) */
	uint8_t top;
};

struct tcg_vcpu {
	uint64_t r[NREGS];
	uint64_t rip;
	uint64_t flags;			/* RFLAGS; arithmetic bits if CC_EAGER */
	uint32_t cc_op;
	uint64_t cc_res, cc_a, cc_b, cc_c;
	int cpl;
	int code_mode;			/* 2, 4 or 8: default operand/address size */
	uint64_t sbase[6];		/* effective segment bases (0 in 64-bit mode) */
	uint32_t stop;			/* leave the current block after this insn */
	/* EV_* bits: reasons, set by any thread, to leave straight-line code
	 * and look at the vCPU's state (polled once per block). */
	uint32_t events;
	uint64_t icount;

	struct kvm_segment seg[6], tr, ldt;
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t dr[8];

	/* MSRs kept as plain storage. */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux, pat;
	uint64_t misc_enable, sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t mtrr_def, mtrr_fixed[11], mtrr_var[16], mtrr_cap;
	uint64_t ucode_rev;
	uint64_t spec_ctrl;

	uint8_t xmm[16][16] __attribute__((aligned(16)));
	uint32_t mxcsr;
	struct x87 fpu;

	/* Interrupt state. */
	bool intr_shadow;
	bool nmi_blocked;
	int state;
	int exc_vec, exc_err;		/* pending exception from raise_exc() */
	bool exc_has_err;
	int delivering;			/* class of the event being delivered, -1 if none */
	uint64_t soft_int_rip;		/* RIP of an INT n being delivered, or 0 */

	struct tlb_entry tlb[2][TLB_SIZE];
	/* Entries filled since the last flush, so that a flush (every CR3
	 * write) clears only those; more than TLB_LOG: clear all. */
	uint16_t tlb_log[TLB_LOG];
	unsigned int tlb_nlog;

	/* Translation cache. */
	struct block *hash[BLOCK_HASH_SIZE];
	struct block *bcache[BLOCK_CACHE_SIZE];	/* direct-mapped by address */
	uint8_t *arena;
	size_t arena_used;
	uint32_t mem_epoch;
	uint32_t chain_epoch;		/* bumped by every TLB or cache flush */
	struct block *prev_block;	/* the block that ran last, for chaining */
	const struct block *cur_block;	/* the block being executed, if any */
	uint64_t cur_block_rip;		/* and the RIP of its first instruction */
	struct jit_exit *jit_exit;	/* the exit the last compiled block left
					 * by without a successor, to be linked */
	struct jit_exit jit_cache[JIT_CACHE_SIZE];	/* by RIP */
	struct jit_arena jit;

	struct tcg_vm *vm;
	struct tcg_apic *apic;
	unsigned int id;
	jmp_buf jmp;
	volatile bool kick;
	struct kvm_cpuid_entry2 *cpuid;
	int ncpuid;
	char error[160];
	struct prof_table *prof;		/* TCG_PROFILE counts (profile.c) */
};

/* ops_sys.c, sysregs.c */
__attribute__((noreturn)) void raise_exc(struct tcg_vcpu *c, int vec, int err);
__attribute__((noreturn)) void raise_exc_noerr(struct tcg_vcpu *c, int vec);
__attribute__((noreturn)) void internal_error(struct tcg_vcpu *c, const char *fmt, ...);
void deliver_interrupt(struct tcg_vcpu *c, int vec, int kind, int err, bool has_err);
bool deliver_exception(struct tcg_vcpu *c);
enum { INT_HW, INT_SOFT, INT_EXC };
void update_mode(struct tcg_vcpu *c);
void load_seg_raw(struct tcg_vcpu *c, int s, const struct kvm_segment *k);
uint64_t read_msr_value(struct tcg_vcpu *c, uint32_t msr, bool *ok);
bool write_msr_value(struct tcg_vcpu *c, uint32_t msr, uint64_t v);
void do_cpuid(struct tcg_vcpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);
void set_cr0(struct tcg_vcpu *c, uint64_t v);
void set_cr4(struct tcg_vcpu *c, uint64_t v);
void set_cr3(struct tcg_vcpu *c, uint64_t v);
void set_efer(struct tcg_vcpu *c, uint64_t v);
void io_access(struct tcg_vcpu *c, uint16_t port, void *data, int len, bool write);
void io_check(struct tcg_vcpu *c, uint16_t port, int len);

/* flags.c */
uint64_t get_flags(struct tcg_vcpu *c);
void set_flags(struct tcg_vcpu *c, uint64_t f);
uint64_t lazy_arith(struct tcg_vcpu *c);

static hot_inline uint64_t size_mask(int sz)
{
	return sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1;
}

/* Operands and result are stored masked to the operand size. */
static hot_inline void set_cc(struct tcg_vcpu *c, int kind, int sz, uint64_t res,
			  uint64_t a, uint64_t b)
{
	c->cc_op = kind * 4 + (sz == 8 ? 3 : sz == 4 ? 2 : sz == 2 ? 1 : 0);
	c->cc_res = res & size_mask(sz);
	c->cc_a = a & size_mask(sz);
	c->cc_b = b & size_mask(sz);
}

/* Shift that moves the sign bit of the lazy operand size to bit 63. */
static hot_inline int cc_shift(const struct tcg_vcpu *c)
{
	return 64 - (8 << (c->cc_op & 3));
}

/* CF alone, without computing the other flags. */
static hot_inline uint64_t get_cf(struct tcg_vcpu *c)
{
	switch (c->cc_op >> 2) {
	case CC_EAGER: return c->flags & F_CF;
	case CC_ADD: return c->cc_res < c->cc_a;
	case CC_SUB: return c->cc_a < c->cc_b;
	case CC_LOGIC: return 0;
	case CC_INC: case CC_DEC: case CC_CO: return c->cc_c;
	default: return get_flags(c) & F_CF;
	}
}

/* Condition codes 0-15 of Jcc/SETcc/CMOVcc. */
static inline bool test_cc(struct tcg_vcpu *c, int cc)
{
	int kind = c->cc_op >> 2, sh;
	uint64_t f;
	bool r;

	if ((cc >> 1) == 1)					/* B */
		return !!get_cf(c) ^ (cc & 1);
	if (kind != CC_EAGER && (cc >> 1) == 2)			/* Z */
		return (c->cc_res == 0) ^ (cc & 1);
	if (kind == CC_ADD && (cc >> 1) == 3)			/* BE */
		return (c->cc_res < c->cc_a || c->cc_res == 0) ^ (cc & 1);
	if (kind != CC_EAGER && (cc >> 1) == 4)			/* S */
		return ((int64_t)(c->cc_res << cc_shift(c)) < 0) ^ (cc & 1);
	if (kind == CC_SUB || kind == CC_LOGIC) {
		uint64_t a = c->cc_a, b = c->cc_b;

		sh = cc_shift(c);
		if (kind == CC_LOGIC) {
			/* CF = OF = 0 */
			switch (cc >> 1) {
			case 0: case 1: r = false; break;
			case 3: r = c->cc_res == 0; break;
			case 6: r = (int64_t)(c->cc_res << sh) < 0; break;
			case 7: r = c->cc_res == 0 || (int64_t)(c->cc_res << sh) < 0; break;
			default: goto slow;
			}
			return r ^ (cc & 1);
		}
		switch (cc >> 1) {
		case 1: r = a < b; break;
		case 3: r = a <= b; break;
		case 6: r = (int64_t)(a << sh) < (int64_t)(b << sh); break;
		case 7: r = (int64_t)(a << sh) <= (int64_t)(b << sh); break;
		default: goto slow;
		}
		return r ^ (cc & 1);
	}
slow:
	f = get_flags(c);
	switch (cc >> 1) {
	case 0: r = f & F_OF; break;
	case 1: r = f & F_CF; break;
	case 2: r = f & F_ZF; break;
	case 3: r = f & (F_CF | F_ZF); break;
	case 4: r = f & F_SF; break;
	case 5: r = f & F_PF; break;
	case 6: r = !(f & F_SF) != !(f & F_OF); break;
	default: r = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
	}
	return r ^ (cc & 1);
}

/* mem.c */
void tlb_flush(struct tcg_vcpu *c);
void tlb_flush_page(struct tcg_vcpu *c, uint64_t lin);
uint64_t mem_read_slow(struct tcg_vcpu *c, uint64_t lin, int sz);
void mem_write_slow(struct tcg_vcpu *c, uint64_t lin, int sz, uint64_t v);
void *mem_host_ptr(struct tcg_vcpu *c, uint64_t lin, int sz, bool write);
void mem_probe_write(struct tcg_vcpu *c, uint64_t lin, int sz);
void mem_read_buf(struct tcg_vcpu *c, uint64_t lin, void *buf, int len);
void mem_write_buf(struct tcg_vcpu *c, uint64_t lin, const void *buf, int len);
uint64_t mem_read_sup(struct tcg_vcpu *c, uint64_t lin, int sz);
void mem_write_sup(struct tcg_vcpu *c, uint64_t lin, int sz, uint64_t v);
bool translate(struct tcg_vcpu *c, uint64_t lin, enum acc acc, bool user,
	       uint64_t *gpa, int *err, struct tlb_entry *fill);
struct mem_slot *find_slot(struct tcg_vm *vm, uint64_t gpa);
void code_write(struct tcg_vcpu *c, uint32_t *gen);
void phys_access(struct tcg_vcpu *c, uint64_t gpa, void *data, int len, bool write);

static hot_inline struct tlb_entry *tlb_of(struct tcg_vcpu *c, uint64_t lin)
{
	return &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
}

static hot_inline uint64_t host_load(const void *p, int sz)
{
	switch (sz) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static hot_inline void host_store(void *p, int sz, uint64_t v)
{
	switch (sz) {
	case 1: *(uint8_t *)p = v; break;
	case 2: { uint16_t x = v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

static hot_inline uint64_t mem_read(struct tcg_vcpu *c, uint64_t lin, int sz)
{
	struct tlb_entry *e = tlb_of(c, lin);

	if (likely(e->tag_r == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000u - sz))
		return host_load((void *)(uintptr_t)(lin + e->addend), sz);
	return mem_read_slow(c, lin, sz);
}

static hot_inline void mem_write(struct tcg_vcpu *c, uint64_t lin, int sz, uint64_t v)
{
	struct tlb_entry *e = tlb_of(c, lin);

	if (likely(e->tag_w == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000u - sz &&
		   !(*e->gen & GEN_CODE))) {
		host_store((void *)(uintptr_t)(lin + e->addend), sz, v);
		return;
	}
	mem_write_slow(c, lin, sz, v);
}

/* Register access by operand size. */
static hot_inline uint64_t get_reg(struct tcg_vcpu *c, int r, int sz)
{
	switch (sz) {
	case 1:
		if (r & REG_HIGH8)
			return (c->r[r & 3] >> 8) & 0xff;
		return c->r[r] & 0xff;
	case 2: return c->r[r] & 0xffff;
	case 4: return c->r[r] & 0xffffffff;
	default: return c->r[r];
	}
}

static hot_inline void set_reg(struct tcg_vcpu *c, int r, int sz, uint64_t v)
{
	switch (sz) {
	case 1:
		if (r & REG_HIGH8)
			c->r[r & 3] = (c->r[r & 3] & ~0xff00ull) | ((v & 0xff) << 8);
		else
			c->r[r] = (c->r[r] & ~0xffull) | (v & 0xff);
		break;
	case 2: c->r[r] = (c->r[r] & ~0xffffull) | (v & 0xffff); break;
	case 4: c->r[r] = (uint32_t)v; break;
	default: c->r[r] = v; break;
	}
}

static hot_inline uint64_t sext(uint64_t v, int sz)
{
	switch (sz) {
	case 1: return (int64_t)(int8_t)v;
	case 2: return (int64_t)(int16_t)v;
	case 4: return (int64_t)(int32_t)v;
	default: return v;
	}
}

/* Linear address of the ModRM memory operand. */
static hot_inline uint64_t ea_lin(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t a = (uint64_t)(int64_t)i->disp + c->r[i->base] +
		     (c->r[i->index] << i->scale);

	if (i->adsz == 8)
		return a + c->sbase[i->seg];
	if (i->adsz == 4)
		a = (uint32_t)a;
	else
		a = (uint16_t)a;
	a += c->sbase[i->seg];
	return c->code_mode == 8 ? a : (uint32_t)a;
}

/* Linear address of seg:off, for string instructions and stack accesses. */
static hot_inline uint64_t seg_lin(struct tcg_vcpu *c, int s, uint64_t off)
{
	uint64_t a = off + c->sbase[s];

	return c->code_mode == 8 ? a : (uint32_t)a;
}

static hot_inline uint64_t rd_rm(struct tcg_vcpu *c, const struct insn *i, int sz)
{
	if (i->is_reg)
		return get_reg(c, i->rm, sz);
	return mem_read(c, ea_lin(c, i), sz);
}

static hot_inline void wr_rm(struct tcg_vcpu *c, const struct insn *i, int sz, uint64_t v)
{
	if (i->is_reg)
		set_reg(c, i->rm, sz, v);
	else
		mem_write(c, ea_lin(c, i), sz, v);
}

/* Stack. */
static inline int stack_size(struct tcg_vcpu *c)
{
	if (c->code_mode == 8)
		return 8;
	return c->seg[S_SS].db ? 4 : 2;
}

static inline uint64_t sp_mask(struct tcg_vcpu *c)
{
	return size_mask(stack_size(c));
}

/*
 * Sets the target of a near branch; a non-canonical target faults on the
 * branch itself, as on hardware, not on the fetch that would follow.
 */
static hot_inline void branch_to(struct tcg_vcpu *c, uint64_t t)
{
	if (c->code_mode == 8 && unlikely((uint64_t)((int64_t)(t << 16) >> 16) != t))
		raise_exc(c, EXC_GP, 0);
	c->r[R_NEXT_RIP] = t;
}

void push(struct tcg_vcpu *c, int sz, uint64_t v);
uint64_t pop(struct tcg_vcpu *c, int sz);

/* ops_x87.c: the host x87 unit holds the guest's control and status */
uint16_t x87_enter(struct tcg_vcpu *c);
void x87_leave(struct tcg_vcpu *c, uint16_t host_cw);
uint16_t x87_status(struct tcg_vcpu *c);
void x87_reload(struct tcg_vcpu *c);

/* decode.c */
struct block *lookup_block(struct tcg_vcpu *c, uint64_t gpa, uint64_t lin);
void tc_flush(struct tcg_vcpu *c);

exec_fn specialize(const struct insn *i);

/* Handlers of the undefined opcode and other shared ones. */
void op_ud(struct tcg_vcpu *c, const struct insn *i);

#endif /* TCG_CPU_H */
