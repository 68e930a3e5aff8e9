/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JIT: host x86-64 code for hot translated blocks.  The interpreter
 * (run_block() looping over struct insn) stays the reference and the
 * fallback; a compiled block runs its instructions in the same order with
 * the same effects, inlining the common register forms and calling the
 * interpreter's handler for everything else.
 */
#ifndef TCG_JIT_H
#define TCG_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcg_vcpu;
struct block;
struct insn;

/* A compiled block: runs it from c->rip, returns the guest instructions
 * it retired (the icount_to of the last one executed). */
typedef uint32_t (*jit_fn)(struct tcg_vcpu *c);

/* The run of a block that compiles it first (TCG_JIT_THRESHOLD overrides). */
#define JIT_THRESHOLD	16
/* Per-vCPU code arena; flushed together with the translation cache. */
#define JIT_ARENA	(32u << 20)

struct jit_arena {
	uint8_t *rw, *rx;	/* one memfd mapped writable and executable */
	size_t base;		/* bytes of the shared chaining code at rx */
	size_t used;
	bool full;		/* the next translation flushes the cache */
	unsigned int threshold;	/* 0: interpreter only */
	uint64_t blocks;	/* blocks compiled so far */
};

/* Per-instruction JIT kind, chosen by the decoder (insn.jit). */
enum jit_kind {
	JK_CALL,	/* call the handler */
	JK_NOP,
	JK_ALU_RM_R, JK_ALU_R_RM, JK_ALU_RM_IMM, JK_ALU_ACC_IMM,
	JK_TEST_RM_R, JK_TEST_RM_IMM, JK_TEST_ACC_IMM,
	JK_MOV_RM_R, JK_MOV_R_RM, JK_MOV_R_IMM, JK_MOV_RM_IMM, JK_LEA,
	JK_MOVZX, JK_MOVSX, JK_MOVSXD, JK_NOT, JK_INCDEC, JK_SHIFT_DEAD,
	JK_JCC, JK_JMP, JK_CMP_JCC, JK_TEST_JCC,
	/* 64-bit stack operations in 64-bit code, always with JK_MEM */
	JK_PUSH, JK_PUSH_IMM, JK_POP, JK_CALL_REL, JK_RET,
};
/* Or'ed to a kind: the instruction accesses memory through the TLB
 * (the r/m operand with 64-bit addressing, or the stack). */
#define JK_MEM	0x80

/*
 * An exit of a compiled 64-bit block to a successor that is known only at
 * run time (the target of a JMP or Jcc at the block's linear address, the
 * fall-through, a RET): the successor linked there, entered directly
 * while the vCPU's RIP, chain epoch and CPL are the ones it was linked
 * with, the successor is valid and no event is pending.  Lives in the
 * translation cache's arena, which is reset together with the code (and
 * the cache below is cleared then), so a reset leaves nothing that points
 * into either.
 */
struct jit_exit {
	uint64_t rip;		/* the successor's RIP; non-canonical: none */
	struct block *b;
	uint32_t epoch;
	int32_t cpl;
};

/* Exits whose successor varies (RET, indirect jumps) also look here, by
 * RIP: one jit_exit per slot, for the transitions of any block. */
#define JIT_CACHE_BITS	10
#define JIT_CACHE_SIZE	(1 << JIT_CACHE_BITS)

/* TCG_JIT=0 turns the JIT off; read when a VM is created. */
unsigned int jit_threshold_from_env(void);
int jit_init(struct jit_arena *a, unsigned int threshold);
void jit_destroy(struct jit_arena *a);
void jit_reset(struct jit_arena *a);
/* The kind of @i, before the decoder specialises its handler. */
uint8_t jit_kind(const struct insn *i);
/* Compiles @b (sets b->jit) unless the arena is full. */
void jit_compile(struct tcg_vcpu *c, struct block *b);
/* The exit c->jit_exit, which found no successor, now leads to @b (the
 * block at c->rip), if @b is compiled; clears c->jit_exit. */
void jit_link(struct tcg_vcpu *c, struct block *b);
/* Unlinks the vCPU's jit_cache (its blocks are going away). */
void jit_cache_reset(struct tcg_vcpu *c);

#endif /* TCG_JIT_H */
