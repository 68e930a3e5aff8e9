// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 decoder and the translation cache.
 *
 * Guest code is decoded once into blocks of struct insn (straight-line code
 * up to an unconditional control transfer, a page end or BLOCK_MAX_INSNS;
 * a conditional branch that is taken leaves its block early), kept in a hash
 * table keyed by guest-physical address and code size.  A block records the
 * generation word of its page(s); a store to a code page bumps the
 * generation, which retires every block of that page on its next lookup.
 */

#include "ops.h"

/* Decoder flags of an opcode table entry. */
#define D_MODRM	0x0001
#define D_BYTE	0x0002	/* 8-bit operand size */
#define D_I8	0x0004	/* imm8, sign-extended */
#define D_IZ	0x0008	/* imm16/imm32 by operand size, sign-extended */
#define D_IV	0x0010	/* imm of the full operand size (MOV r, imm64) */
#define D_I16	0x0020	/* imm16 (RET n) */
#define D_D64	0x0040	/* operand size defaults to 64 in 64-bit mode */
#define D_F64	0x0080	/* operand size is 64 in 64-bit mode */
#define D_END	0x0100	/* ends the block */
#define D_GRP	0x0200	/* tab[ModRM.reg] */
#define D_MOFFS	0x0400	/* address-size offset */
#define D_FAR	0x0800	/* ptr16:16/32 */
#define D_NO64	0x1000	/* #UD in 64-bit mode */
#define D_ENTER	0x2000	/* imm16, imm8 */
#define D_RO	0x4000	/* register in the opcode's low 3 bits */
#define D_SSE	0x8000	/* SSE: i->sub is the mandatory prefix index */
#define D_GRPM	0x10000	/* tab[reg] for memory, tab[8 + reg] for mod == 3 */
#define D_W16	0x20000	/* operand size 16 (segment register moves to memory) */

struct opdesc {
	exec_fn fn;
	uint32_t f;
	uint8_t sub;
	const struct opdesc *tab;
};

#define E(fn_, f_, sub_)	{ .fn = fn_, .f = f_, .sub = sub_ }
#define G(f_, tab_)		{ .f = (f_) | D_GRP, .tab = tab_ }
#define UD			{ 0 }

#define ALU(b, op) \
	[b + 0] = E(op_alu_rm_r, D_MODRM | D_BYTE, op), \
	[b + 1] = E(op_alu_rm_r, D_MODRM, op), \
	[b + 2] = E(op_alu_r_rm, D_MODRM | D_BYTE, op), \
	[b + 3] = E(op_alu_r_rm, D_MODRM, op), \
	[b + 4] = E(op_alu_acc_imm, D_BYTE | D_I8, op), \
	[b + 5] = E(op_alu_acc_imm, D_IZ, op)

#define X8(b, e) [b] = e, [b + 1] = e, [b + 2] = e, [b + 3] = e, \
	[b + 4] = e, [b + 5] = e, [b + 6] = e, [b + 7] = e

#define CC16(b, fn_, f_) \
	[b + 0] = E(fn_, f_, 0), [b + 1] = E(fn_, f_, 1), [b + 2] = E(fn_, f_, 2), \
	[b + 3] = E(fn_, f_, 3), [b + 4] = E(fn_, f_, 4), [b + 5] = E(fn_, f_, 5), \
	[b + 6] = E(fn_, f_, 6), [b + 7] = E(fn_, f_, 7), [b + 8] = E(fn_, f_, 8), \
	[b + 9] = E(fn_, f_, 9), [b + 10] = E(fn_, f_, 10), [b + 11] = E(fn_, f_, 11), \
	[b + 12] = E(fn_, f_, 12), [b + 13] = E(fn_, f_, 13), [b + 14] = E(fn_, f_, 14), \
	[b + 15] = E(fn_, f_, 15)

static const struct opdesc grp1[8] = {
	E(op_alu_rm_imm, 0, 0), E(op_alu_rm_imm, 0, 1), E(op_alu_rm_imm, 0, 2),
	E(op_alu_rm_imm, 0, 3), E(op_alu_rm_imm, 0, 4), E(op_alu_rm_imm, 0, 5),
	E(op_alu_rm_imm, 0, 6), E(op_alu_rm_imm, 0, 7),
};

static const struct opdesc grp2_1[8] = { X8(0, E(op_shift, 0, 0)) };
static const struct opdesc grp2_cl[8] = { X8(0, E(op_shift, 0, 1)) };
static const struct opdesc grp2_i[8] = { X8(0, E(op_shift, D_I8, 2)) };

static const struct opdesc grp3b[8] = {
	E(op_test_rm_imm, D_I8, 0), E(op_test_rm_imm, D_I8, 0), E(op_not, 0, 0),
	E(op_neg, 0, 0), E(op_mul, 0, 0), E(op_imul1, 0, 0), E(op_div, 0, 0),
	E(op_idiv, 0, 0),
};

static const struct opdesc grp3v[8] = {
	E(op_test_rm_imm, D_IZ, 0), E(op_test_rm_imm, D_IZ, 0), E(op_not, 0, 0),
	E(op_neg, 0, 0), E(op_mul, 0, 0), E(op_imul1, 0, 0), E(op_div, 0, 0),
	E(op_idiv, 0, 0),
};

static const struct opdesc grp4[8] = { E(op_incdec, 0, 0), E(op_incdec, 0, 1) };

static const struct opdesc grp5[8] = {
	E(op_incdec, 0, 0), E(op_incdec, 0, 1), E(op_call_ind, D_F64 | D_END, 0),
	E(op_call_far_ind, D_END, 0), E(op_jmp_ind, D_F64 | D_END, 0),
	E(op_jmp_far_ind, D_END, 0), E(op_push_rm, D_D64, 0),
};

static const struct opdesc grp11b[8] = { E(op_mov_rm_imm, D_I8, 0) };
static const struct opdesc grp11v[8] = { E(op_mov_rm_imm, D_IZ, 0) };
static const struct opdesc grp1a[8] = { E(op_pop_rm, D_D64, 0) };

static const struct opdesc one[256] = {
	ALU(0x00, 0), ALU(0x08, 1), ALU(0x10, 2), ALU(0x18, 3),
	ALU(0x20, 4), ALU(0x28, 5), ALU(0x30, 6), ALU(0x38, 7),
	[0x06] = E(op_push_seg, D_NO64, S_ES), [0x07] = E(op_pop_seg, D_NO64 | D_END, S_ES),
	[0x0e] = E(op_push_seg, D_NO64, S_CS),
	[0x16] = E(op_push_seg, D_NO64, S_SS), [0x17] = E(op_pop_seg, D_NO64 | D_END, S_SS),
	[0x1e] = E(op_push_seg, D_NO64, S_DS), [0x1f] = E(op_pop_seg, D_NO64 | D_END, S_DS),
	X8(0x40, E(op_incdec, D_RO | D_NO64, 0)),
	X8(0x48, E(op_incdec, D_RO | D_NO64, 1)),
	X8(0x50, E(op_push_r, D_RO | D_D64, 0)),
	X8(0x58, E(op_pop_r, D_RO | D_D64, 0)),
	[0x60] = E(op_pusha, D_NO64, 0), [0x61] = E(op_popa, D_NO64, 0),
	[0x63] = E(op_movsxd, D_MODRM, 0),
	[0x68] = E(op_push_imm, D_IZ | D_D64, 0),
	[0x69] = E(op_imul3, D_MODRM | D_IZ, 0),
	[0x6a] = E(op_push_imm, D_I8 | D_D64, 0),
	[0x6b] = E(op_imul3, D_MODRM | D_I8, 0),
	[0x6c] = E(op_ins, D_BYTE, 0), [0x6d] = E(op_ins, 0, 0),
	[0x6e] = E(op_outs, D_BYTE, 0), [0x6f] = E(op_outs, 0, 0),
	CC16(0x70, op_jcc, D_I8 | D_F64),
	[0x80] = G(D_MODRM | D_BYTE | D_I8, grp1),
	[0x81] = G(D_MODRM | D_IZ, grp1),
	[0x82] = G(D_MODRM | D_BYTE | D_I8 | D_NO64, grp1),
	[0x83] = G(D_MODRM | D_I8, grp1),
	[0x84] = E(op_test_rm_r, D_MODRM | D_BYTE, 0), [0x85] = E(op_test_rm_r, D_MODRM, 0),
	[0x86] = E(op_xchg_rm_r, D_MODRM | D_BYTE, 0), [0x87] = E(op_xchg_rm_r, D_MODRM, 0),
	[0x88] = E(op_mov_rm_r, D_MODRM | D_BYTE, 0), [0x89] = E(op_mov_rm_r, D_MODRM, 0),
	[0x8a] = E(op_mov_r_rm, D_MODRM | D_BYTE, 0), [0x8b] = E(op_mov_r_rm, D_MODRM, 0),
	[0x8c] = E(op_mov_rm_sreg, D_MODRM | D_W16, 0), [0x8d] = E(op_lea, D_MODRM, 0),
	[0x8e] = E(op_mov_sreg_rm, D_MODRM | D_END, 0), [0x8f] = G(D_MODRM, grp1a),
	[0x90] = E(op_xchg_acc, D_RO, 0), [0x91] = E(op_xchg_acc, D_RO, 0),
	[0x92] = E(op_xchg_acc, D_RO, 0), [0x93] = E(op_xchg_acc, D_RO, 0),
	[0x94] = E(op_xchg_acc, D_RO, 0), [0x95] = E(op_xchg_acc, D_RO, 0),
	[0x96] = E(op_xchg_acc, D_RO, 0), [0x97] = E(op_xchg_acc, D_RO, 0),
	[0x98] = E(op_cbw, 0, 0), [0x99] = E(op_cwd, 0, 0),
	[0x9a] = E(op_call_far, D_FAR | D_NO64 | D_END, 0),
	[0x9b] = E(op_fwait, 0, 0),
	[0x9c] = E(op_pushf, D_D64, 0), [0x9d] = E(op_popf, D_D64 | D_END, 0),
	[0x9e] = E(op_sahf, 0, 0), [0x9f] = E(op_lahf, 0, 0),
	[0xa0] = E(op_mov_moffs, D_BYTE | D_MOFFS, 0), [0xa1] = E(op_mov_moffs, D_MOFFS, 0),
	[0xa2] = E(op_mov_moffs, D_BYTE | D_MOFFS, 1), [0xa3] = E(op_mov_moffs, D_MOFFS, 1),
	[0xa4] = E(op_movs, D_BYTE, 0), [0xa5] = E(op_movs, 0, 0),
	[0xa6] = E(op_cmps, D_BYTE, 0), [0xa7] = E(op_cmps, 0, 0),
	[0xa8] = E(op_test_acc_imm, D_BYTE | D_I8, 0), [0xa9] = E(op_test_acc_imm, D_IZ, 0),
	[0xaa] = E(op_stos, D_BYTE, 0), [0xab] = E(op_stos, 0, 0),
	[0xac] = E(op_lods, D_BYTE, 0), [0xad] = E(op_lods, 0, 0),
	[0xae] = E(op_scas, D_BYTE, 0), [0xaf] = E(op_scas, 0, 0),
	X8(0xb0, E(op_mov_r_imm, D_RO | D_BYTE | D_I8, 0)),
	X8(0xb8, E(op_mov_r_imm, D_RO | D_IV, 0)),
	[0xc0] = G(D_MODRM | D_BYTE, grp2_i), [0xc1] = G(D_MODRM, grp2_i),
	[0xc2] = E(op_ret, D_I16 | D_F64 | D_END, 0), [0xc3] = E(op_ret, D_F64 | D_END, 0),
	[0xc4] = E(op_lseg, D_MODRM | D_NO64 | D_END, S_ES),
	[0xc5] = E(op_lseg, D_MODRM | D_NO64 | D_END, S_DS),
	[0xc6] = G(D_MODRM | D_BYTE, grp11b), [0xc7] = G(D_MODRM, grp11v),
	[0xc8] = E(op_enter, D_ENTER | D_D64, 0), [0xc9] = E(op_leave, D_D64, 0),
	[0xca] = E(op_ret_far, D_I16 | D_END, 0), [0xcb] = E(op_ret_far, D_END, 0),
	[0xcc] = E(op_int3, D_END, 0), [0xcd] = E(op_int, D_I8 | D_END, 0),
	[0xce] = E(op_into, D_NO64 | D_END, 0), [0xcf] = E(op_iret, D_END, 0),
	[0xd0] = G(D_MODRM | D_BYTE, grp2_1), [0xd1] = G(D_MODRM, grp2_1),
	[0xd2] = G(D_MODRM | D_BYTE, grp2_cl), [0xd3] = G(D_MODRM, grp2_cl),
	[0xd6] = E(op_salc, D_NO64, 0), [0xd7] = E(op_xlat, 0, 0),
	X8(0xd8, E(op_x87, D_MODRM, 0)),
	[0xe0] = E(op_loop, D_I8 | D_F64 | D_END, 0), [0xe1] = E(op_loop, D_I8 | D_F64 | D_END, 1),
	[0xe2] = E(op_loop, D_I8 | D_F64 | D_END, 2), [0xe3] = E(op_loop, D_I8 | D_F64 | D_END, 3),
	[0xe4] = E(op_in, D_BYTE | D_I8, 0), [0xe5] = E(op_in, D_I8, 0),
	[0xe6] = E(op_out, D_BYTE | D_I8, 0), [0xe7] = E(op_out, D_I8, 0),
	[0xe8] = E(op_call_rel, D_IZ | D_F64 | D_END, 0),
	[0xe9] = E(op_jmp_rel, D_IZ | D_F64 | D_END, 0),
	[0xea] = E(op_jmp_far, D_FAR | D_NO64 | D_END, 0),
	[0xeb] = E(op_jmp_rel, D_I8 | D_F64 | D_END, 0),
	[0xec] = E(op_in, D_BYTE, 1), [0xed] = E(op_in, 0, 1),
	[0xee] = E(op_out, D_BYTE, 1), [0xef] = E(op_out, 0, 1),
	[0xf1] = E(op_int1, D_END, 0),
	[0xf4] = E(op_hlt, D_END, 0), [0xf5] = E(op_cmc, 0, 0),
	[0xf6] = G(D_MODRM | D_BYTE, grp3b), [0xf7] = G(D_MODRM, grp3v),
	[0xf8] = E(op_flagop, 0, 0), [0xf9] = E(op_flagop, 0, 1),
	[0xfa] = E(op_cli, 0, 0), [0xfb] = E(op_sti, D_END, 0),
	[0xfc] = E(op_flagop, 0, 2), [0xfd] = E(op_flagop, 0, 3),
	[0xfe] = G(D_MODRM | D_BYTE, grp4), [0xff] = G(D_MODRM, grp5),
};

static const struct opdesc grp6[8] = {
	E(op_sldt, D_W16, 0), E(op_str, D_W16, 0), E(op_lldt, D_END, 0),
	E(op_ltr, D_END, 0), E(op_verrw, 0, 0), E(op_verrw, 0, 1),
};

/* 0F 01: memory forms by reg, then register forms (decoded in the handler). */
static const struct opdesc grp7[16] = {
	E(op_sgdt, 0, 0), E(op_sidt, 0, 0), E(op_lgdt, D_END, 0), E(op_lidt, D_END, 0),
	E(op_smsw, D_W16, 0), UD, E(op_lmsw, D_END, 0), E(op_invlpg, D_END, 0),
	E(op_0f01_reg, D_END, 0), E(op_0f01_reg, D_END, 0), E(op_0f01_reg, D_END, 0),
	UD, E(op_smsw, 0, 0), UD, E(op_lmsw, D_END, 0), E(op_0f01_reg, D_END, 0),
};

static const struct opdesc grp8[8] = {
	[4] = E(op_bt, D_I8, 4), [5] = E(op_bt, D_I8, 5), [6] = E(op_bt, D_I8, 6),
	[7] = E(op_bt, D_I8, 7),
};

static const struct opdesc grp9[16] = {
	[1] = E(op_cmpxchg8b, 0, 0),
};

/* 0F AE: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR, -, -, -, CLFLUSH; fences. */
static const struct opdesc grp15[16] = {
	E(op_fxsave, 0, 0), E(op_fxrstor, 0, 0), E(op_ldmxcsr, 0, 0),
	E(op_stmxcsr, 0, 0), UD, UD, UD, E(op_clflush, 0, 0),
	UD, UD, UD, UD, UD, E(op_fence, 0, 0), E(op_fence, 0, 0), E(op_fence, 0, 0),
};

static const struct opdesc lzcnt = E(op_lzcnt, D_MODRM, 0);

static const struct opdesc grp16[8] = { X8(0, E(op_nop, 0, 0)) };

#define SSE		E(op_sse, D_MODRM | D_SSE, 0)
#define SSE_I8		E(op_sse, D_MODRM | D_SSE | D_I8, 0)

static const struct opdesc two[256] = {
	[0x00] = G(D_MODRM, grp6), [0x01] = { .f = D_MODRM | D_GRPM, .tab = grp7 },
	[0x02] = E(op_larlsl, D_MODRM, 0), [0x03] = E(op_larlsl, D_MODRM, 1),
	[0x05] = E(op_syscall, D_END, 0), [0x06] = E(op_clts, 0, 0),
	[0x07] = E(op_sysret, D_END, 0), [0x08] = E(op_wbinvd, 0, 0),
	[0x09] = E(op_wbinvd, 0, 0), [0x0b] = E(op_ud, D_END, 0),
	[0x0d] = E(op_nop, D_MODRM, 0),
	[0x10] = SSE, [0x11] = SSE, [0x12] = SSE, [0x13] = SSE, [0x14] = SSE,
	[0x15] = SSE, [0x16] = SSE, [0x17] = SSE,
	[0x18] = G(D_MODRM, grp16), [0x19] = E(op_nop, D_MODRM, 0),
	[0x1a] = E(op_nop, D_MODRM, 0), [0x1b] = E(op_nop, D_MODRM, 0),
	[0x1c] = E(op_nop, D_MODRM, 0), [0x1d] = E(op_nop, D_MODRM, 0),
	[0x1e] = E(op_nop, D_MODRM, 0), [0x1f] = E(op_nop, D_MODRM, 0),
	[0x20] = E(op_mov_from_cr, D_MODRM | D_F64, 0),
	[0x21] = E(op_mov_from_dr, D_MODRM | D_F64, 0),
	[0x22] = E(op_mov_to_cr, D_MODRM | D_F64 | D_END, 0),
	[0x23] = E(op_mov_to_dr, D_MODRM | D_F64, 0),
	[0x28] = SSE, [0x29] = SSE, [0x2a] = SSE, [0x2b] = SSE, [0x2c] = SSE,
	[0x2d] = SSE, [0x2e] = SSE, [0x2f] = SSE,
	[0x30] = E(op_wrmsr, D_END, 0), [0x31] = E(op_rdtsc, 0, 0),
	[0x32] = E(op_rdmsr, 0, 0),
	CC16(0x40, op_cmov, D_MODRM),
	[0x50] = SSE, [0x51] = SSE, [0x52] = SSE, [0x53] = SSE, [0x54] = SSE,
	[0x55] = SSE, [0x56] = SSE, [0x57] = SSE, [0x58] = SSE, [0x59] = SSE,
	[0x5a] = SSE, [0x5b] = SSE, [0x5c] = SSE, [0x5d] = SSE, [0x5e] = SSE,
	[0x5f] = SSE,
	[0x60] = SSE, [0x61] = SSE, [0x62] = SSE, [0x63] = SSE, [0x64] = SSE,
	[0x65] = SSE, [0x66] = SSE, [0x67] = SSE, [0x68] = SSE, [0x69] = SSE,
	[0x6a] = SSE, [0x6b] = SSE, [0x6c] = SSE, [0x6d] = SSE, [0x6e] = SSE,
	[0x6f] = SSE,
	[0x70] = SSE_I8, [0x71] = SSE_I8, [0x72] = SSE_I8, [0x73] = SSE_I8,
	[0x74] = SSE, [0x75] = SSE, [0x76] = SSE, [0x77] = E(op_emms, 0, 0),
	[0x7e] = SSE, [0x7f] = SSE,
	CC16(0x80, op_jcc, D_IZ | D_F64),
	CC16(0x90, op_setcc, D_MODRM | D_BYTE),
	[0xa0] = E(op_push_seg, D_D64, S_FS), [0xa1] = E(op_pop_seg, D_D64 | D_END, S_FS),
	[0xa2] = E(op_cpuid, 0, 0), [0xa3] = E(op_bt, D_MODRM, 0),
	[0xa4] = E(op_shxd, D_MODRM | D_I8, 0), [0xa5] = E(op_shxd, D_MODRM, 2),
	[0xa8] = E(op_push_seg, D_D64, S_GS), [0xa9] = E(op_pop_seg, D_D64 | D_END, S_GS),
	[0xab] = E(op_bt, D_MODRM, 1),
	[0xac] = E(op_shxd, D_MODRM | D_I8, 1), [0xad] = E(op_shxd, D_MODRM, 3),
	[0xae] = { .f = D_MODRM | D_GRPM, .tab = grp15 },
	[0xaf] = E(op_imul2, D_MODRM, 0),
	[0xb0] = E(op_cmpxchg, D_MODRM | D_BYTE, 0), [0xb1] = E(op_cmpxchg, D_MODRM, 0),
	[0xb2] = E(op_lseg, D_MODRM | D_END, S_SS), [0xb3] = E(op_bt, D_MODRM, 2),
	[0xb4] = E(op_lseg, D_MODRM | D_END, S_FS), [0xb5] = E(op_lseg, D_MODRM | D_END, S_GS),
	[0xb6] = E(op_movzx, D_MODRM, 1), [0xb7] = E(op_movzx, D_MODRM, 2),
	[0xb8] = E(op_popcnt, D_MODRM, 0),
	[0xba] = G(D_MODRM, grp8), [0xbb] = E(op_bt, D_MODRM, 3),
	[0xbc] = E(op_bsf, D_MODRM, 0), [0xbd] = E(op_bsr, D_MODRM, 0),
	[0xbe] = E(op_movsx, D_MODRM, 1), [0xbf] = E(op_movsx, D_MODRM, 2),
	[0xc0] = E(op_xadd, D_MODRM | D_BYTE, 0), [0xc1] = E(op_xadd, D_MODRM, 0),
	[0xc2] = SSE_I8, [0xc3] = E(op_mov_rm_r, D_MODRM, 0),
	[0xc4] = SSE_I8, [0xc5] = SSE_I8, [0xc6] = SSE_I8,
	[0xc7] = { .f = D_MODRM | D_GRPM, .tab = grp9 },
	X8(0xc8, E(op_bswap, D_RO, 0)),
	[0xd1] = SSE, [0xd2] = SSE, [0xd3] = SSE, [0xd4] = SSE, [0xd5] = SSE,
	[0xd6] = SSE, [0xd7] = SSE, [0xd8] = SSE, [0xd9] = SSE, [0xda] = SSE,
	[0xdb] = SSE, [0xdc] = SSE, [0xdd] = SSE, [0xde] = SSE, [0xdf] = SSE,
	[0xe0] = SSE, [0xe1] = SSE, [0xe2] = SSE, [0xe3] = SSE, [0xe4] = SSE,
	[0xe5] = SSE, [0xe6] = SSE, [0xe7] = SSE, [0xe8] = SSE, [0xe9] = SSE,
	[0xea] = SSE, [0xeb] = SSE, [0xec] = SSE, [0xed] = SSE, [0xee] = SSE,
	[0xef] = SSE,
	[0xf1] = SSE, [0xf2] = SSE, [0xf3] = SSE, [0xf4] = SSE, [0xf5] = SSE,
	[0xf6] = SSE, [0xf7] = SSE, [0xf8] = SSE, [0xf9] = SSE, [0xfa] = SSE,
	[0xfb] = SSE, [0xfc] = SSE, [0xfd] = SSE, [0xfe] = SSE,
};

/* Instruction bytes of the block being translated. */
struct fetch {
	struct tcg_vcpu *c;
	const uint8_t *p;	/* host bytes of the first page */
	uint64_t lin;		/* linear address of p[0] */
	int avail;		/* bytes left in the first page from p[0] */
	const uint8_t *p2;	/* host bytes of the following page, if mapped */
	uint32_t *gen2;
	int pos, start;
	bool first;		/* first instruction of the block */
	bool cross;		/* the instruction would need the next page */
};

static void map_next_page(struct fetch *f)
{
	struct tcg_vcpu *c = f->c;
	uint64_t lin = f->lin + f->avail, gpa;
	struct mem_slot *s;
	int err;

	if (!translate(c, lin, ACC_X, c->cpl == 3, &gpa, &err, NULL)) {
		if (err < 0)
			raise_exc(c, EXC_GP, 0);
		c->cr2 = lin;
		raise_exc(c, EXC_PF, err);
	}
	s = find_slot(c->vm, gpa);
	if (!s)
		internal_error(c, "instruction fetch from MMIO at %#llx",
			       (unsigned long long)gpa);
	f->p2 = s->host + (gpa - s->gpa);
	f->gen2 = &s->gen[(gpa - s->gpa) >> 12];
	__atomic_fetch_or(f->gen2, GEN_CODE, __ATOMIC_ACQ_REL);
}

static uint8_t next(struct fetch *f)
{
	int k = f->pos++;

	if (k < f->avail)
		return f->p[k];
	f->cross = true;
	if (!f->first)
		return 0;	/* the caller ends the block before this insn */
	if (!f->p2)
		map_next_page(f);
	return f->p2[k - f->avail];
}

static int64_t next_imm(struct fetch *f, int n)
{
	uint64_t v = 0;
	int k;

	for (k = 0; k < n; k++)
		v |= (uint64_t)next(f) << (8 * k);
	switch (n) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return v;
	}
}

static const uint8_t modrm16_base[8] = { R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX };
static const uint8_t modrm16_index[8] = { R_SI, R_DI, R_SI, R_DI, R_ZERO, R_ZERO, R_ZERO, R_ZERO };

static void decode_modrm(struct fetch *f, struct insn *i, int rex, bool seg_override)
{
	int mod = i->modrm >> 6, rm = i->modrm & 7;
	bool ss = false;

	i->base = i->index = R_ZERO;
	i->scale = 0;
	i->disp = 0;
	if (mod == 3) {
		i->is_reg = 1;
		i->rm = rm | ((rex & 1) << 3);
		return;
	}
	if (i->adsz == 2) {
		if (mod == 0 && rm == 6) {
			i->disp = (uint16_t)next_imm(f, 2);
		} else {
			i->base = modrm16_base[rm];
			i->index = modrm16_index[rm];
			ss = rm == 2 || rm == 3 || rm == 6;
		}
		if (mod == 1)
			i->disp = next_imm(f, 1);
		else if (mod == 2)
			i->disp = next_imm(f, 2);
	} else {
		if (rm == 4) {
			uint8_t sib = next(f);
			int idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
			int base = sib & 7;

			i->scale = sib >> 6;
			if (idx != 4)
				i->index = idx;
			if (base == 5 && mod == 0) {
				i->disp = next_imm(f, 4);
			} else {
				i->base = base | ((rex & 1) << 3);
				ss = base == 4 || base == 5;
			}
		} else if (rm == 5 && mod == 0) {
			i->disp = next_imm(f, 4);
			if (f->c->code_mode == 8)
				i->base = R_NEXT_RIP;
		} else {
			i->base = rm | ((rex & 1) << 3);
			ss = rm == 5;
		}
		if (mod == 1)
			i->disp = next_imm(f, 1);
		else if (mod == 2)
			i->disp = next_imm(f, 4);
	}
	if (!seg_override && ss)
		i->seg = S_SS;
}

/* Byte register number: AH..BH without REX, SPL..DIL with it. */
static int reg8(int r, bool any_rex)
{
	if (!any_rex && r >= 4 && r < 8)
		return REG_HIGH8 | (r - 4);
	return r;
}

/* LOCK is only valid on read-modify-write instructions with a memory destination. */
static bool lockable(const struct insn *i)
{
	exec_fn f = i->fn;

	if (i->is_reg)
		return false;
	if (f == op_alu_rm_r || f == op_alu_rm_imm)
		return i->sub != 7;	/* not CMP */
	if (f == op_bt)
		return (i->sub & 3) != 0;	/* not BT */
	return f == op_incdec || f == op_not || f == op_neg || f == op_cmpxchg ||
	       f == op_cmpxchg8b || f == op_xadd || f == op_xchg_rm_r;
}

/*
 * Decodes one instruction at f->pos.  Returns false if it needs bytes of
 * the next page and is not the first of its block.
 */
static bool decode_one(struct fetch *f, struct insn *i, uint32_t *flags)
{
	struct tcg_vcpu *c = f->c;
	int mode = c->code_mode, rex = 0, pfx = 0, seg = S_DS, mand = 0;
	bool opsz16 = false, adsz_ovr = false, seg_ovr = false, two_byte = false;
	const struct opdesc *d;
	uint8_t b;
	uint32_t fl;

	memset(i, 0, sizeof(*i));
	f->start = f->pos;
	f->cross = false;
	for (;;) {
		b = next(f);
		switch (b) {
		case 0x26: seg = S_ES; seg_ovr = true; rex = 0; continue;
		case 0x2e: seg = S_CS; seg_ovr = true; rex = 0; continue;
		case 0x36: seg = S_SS; seg_ovr = true; rex = 0; continue;
		case 0x3e: seg = S_DS; seg_ovr = true; rex = 0; continue;
		case 0x64: seg = S_FS; seg_ovr = true; rex = 0; continue;
		case 0x65: seg = S_GS; seg_ovr = true; rex = 0; continue;
		case 0x66: opsz16 = true; if (!mand) mand = 1; rex = 0; continue;
		case 0x67: adsz_ovr = true; rex = 0; continue;
		case 0xf0: pfx |= PFX_LOCK; rex = 0; continue;
		case 0xf2: pfx = (pfx & ~PFX_REP) | PFX_REPNE; mand = 3; rex = 0; continue;
		case 0xf3: pfx = (pfx & ~PFX_REPNE) | PFX_REP; mand = 2; rex = 0; continue;
		}
		if (mode == 8 && (b & 0xf0) == 0x40) {
			rex = b;
			continue;
		}
		break;
	}
	if (f->pos - f->start > 14)
		goto bad;
	if (b == 0x0f) {
		two_byte = true;
		b = next(f);
		d = &two[b];
	} else {
		d = &one[b];
	}
	i->opc = b;
	fl = d->f;
	if ((fl & D_NO64) && mode == 8)
		goto bad;
	if (!two_byte && b == 0x63 && mode != 8)
		goto bad;	/* ARPL */
	/* Two-byte forms whose meaning depends on a mandatory prefix. */
	if (two_byte && b == 0xb8 && !(pfx & PFX_REP))
		goto bad;
	if (two_byte && b == 0xbd && (pfx & PFX_REP))
		d = &lzcnt;
	if (fl & D_MODRM) {
		i->modrm = next(f);
		if (fl & (D_GRP | D_GRPM)) {
			int r = (i->modrm >> 3) & 7;

			if ((fl & D_GRPM) && (i->modrm >> 6) == 3)
				r += 8;
			d = &d->tab[r];
			fl |= d->f;
		}
	}
	if (!d->fn)
		goto bad;
	i->fn = d->fn;
	i->sub = d->sub;

	/* Operand and address sizes. */
	if (fl & D_BYTE)
		i->opsz = 1;
	else if (mode == 8 && (rex & 8))
		i->opsz = 8;
	else if (mode == 8 && (fl & D_F64))
		i->opsz = 8;
	else if (mode == 8 && (fl & D_D64))
		i->opsz = opsz16 ? 2 : 8;
	else
		i->opsz = (mode == 2) ^ opsz16 ? 2 : 4;
	if (fl & D_W16)
		i->opsz = i->is_reg ? i->opsz : 2;
	if (mode == 8)
		i->adsz = adsz_ovr ? 4 : 8;
	else
		i->adsz = (mode == 2) ^ adsz_ovr ? 2 : 4;
	if (rex) {
		pfx |= PFX_REX;
		if (rex & 8)
			pfx |= PFX_REXW;
	}
	if (opsz16)
		pfx |= PFX_OPSZ;
	if (seg_ovr)
		pfx |= PFX_SEG;
	i->pfx = pfx;
	i->seg = seg;

	if (fl & D_MODRM) {
		int reg = ((i->modrm >> 3) & 7) | ((rex & 4) << 1);

		/* in a group, reg selects the operation and stays a number */
		if ((fl & D_BYTE) && !(fl & D_GRP))
			reg = reg8(reg, rex != 0);
		i->reg = reg;
		decode_modrm(f, i, rex, seg_ovr);
		if (i->is_reg && (fl & D_BYTE))
			i->rm = reg8(i->rm, rex != 0);
		if (two_byte && (b == 0xb6 || b == 0xbe) && i->is_reg)
			i->rm = reg8(i->rm, rex != 0);
		if (two_byte && (b >= 0x20 && b <= 0x23))
			i->is_reg = 1;	/* MOV CR/DR ignore mod */
	}
	if (fl & D_RO) {
		int r = (b & 7) | ((rex & 1) << 3);

		i->reg = (fl & D_BYTE) ? reg8(r, rex != 0) : r;
		if (b == 0x90 && !(rex & 1))
			i->fn = op_nop;	/* NOP and PAUSE, not XCHG EAX, EAX */
	}
	if (fl & D_SSE)
		i->sub = mand;

	/* Immediates. */
	if (fl & D_I8)
		i->imm = next_imm(f, 1);
	else if (fl & D_IZ)
		i->imm = next_imm(f, i->opsz == 2 ? 2 : 4);
	else if (fl & D_IV)
		i->imm = next_imm(f, i->opsz);
	else if (fl & D_I16)
		i->imm = (uint16_t)next_imm(f, 2);
	else if (fl & D_MOFFS)
		i->imm = next_imm(f, i->adsz);
	else if (fl & D_FAR) {
		i->imm = next_imm(f, i->opsz == 2 ? 2 : 4);
		if (i->opsz == 2)
			i->imm &= 0xffff;
		else
			i->imm &= 0xffffffff;
		i->imm2 = next_imm(f, 2);
	} else if (fl & D_ENTER) {
		i->imm = (uint16_t)next_imm(f, 2);
		i->imm2 = (uint8_t)next_imm(f, 1);
	}
	if (f->cross && !f->first)
		return false;
	if (f->pos - f->start > 15)
		goto bad_len;
	i->len = f->pos - f->start;
	if ((pfx & PFX_LOCK) && !lockable(i)) {
		i->fn = op_ud;
		i->sub = 0;
		*flags = D_END;
		return true;
	}
	*flags = fl;
	return true;
bad:
	if (f->cross && !f->first)
		return false;
	memset(i, 0, sizeof(*i));
	i->fn = op_ud;
	i->len = 1;
	*flags = D_END;
	return true;
bad_len:
	memset(i, 0, sizeof(*i));
	i->fn = op_ud;
	i->sub = 1;	/* #GP: instruction longer than 15 bytes */
	i->len = 15;
	*flags = D_END;
	return true;
}

/*
 * Whether @i sets all six arithmetic flags without reading any and without
 * a chance to fault first: then the flags that the instruction before it
 * computes can never be observed.
 */
static bool overwrites_flags(const struct insn *i)
{
	exec_fn f = i->fn;
	int op = i->reg & 7;

	if (f == op_alu_acc_imm)
		return i->sub != 2 && i->sub != 3;	/* not ADC/SBB */
	if (f == op_test_acc_imm)
		return true;
	if (!i->is_reg)
		return false;
	if (f == op_alu_rm_r || f == op_alu_r_rm || f == op_alu_rm_imm)
		return i->sub != 2 && i->sub != 3;
	if (f == op_test_rm_r || f == op_test_rm_imm)
		return true;
	/* SHL/SHR/SAR by a constant that is not 0 after masking */
	if (f == op_shift && op >= 4 && i->sub != 1)
		return i->sub == 0 || (i->imm & (i->opsz == 8 ? 63 : 31));
	return false;
}

/* Whether @i neither reads nor writes the flags and cannot fault or end
 * the block: register moves, LEA and the like. */
static bool ignores_flags(const struct insn *i)
{
	exec_fn f = i->fn;

	if (f == op_mov_r_imm || f == op_bswap || f == op_xchg_acc || f == op_nop)
		return true;
	if (f == op_lea)
		return !i->is_reg;
	return i->is_reg && (f == op_mov_rm_r || f == op_mov_r_rm || f == op_movzx ||
			     f == op_movsx || f == op_movsxd || f == op_not ||
			     f == op_xchg_rm_r);
}

/* Whether @i is a register rotate that sets CF and OF (count not 0). */
static bool rotates_co(const struct insn *i)
{
	int op = i->reg & 7;

	if (i->fn != op_shift || !i->is_reg || op > 1 || i->sub == 1)
		return false;
	return i->sub == 0 || (i->imm & (i->opsz == 8 ? 63 : 31));
}

/*
 * The register operands of a CMP or TEST without a memory operand, as
 * op_cmp_jcc()/op_test_jcc() take them: A in @i->rm, B as r[@i->base] +
 * @i->imm.  False for other instructions and for AH..BH.
 */
static bool cc_operands(struct insn *i, bool *test)
{
	exec_fn f = i->fn;
	int a, b = R_ZERO;
	bool imm = false;

	*test = f == op_test_rm_r || f == op_test_rm_imm || f == op_test_acc_imm;
	if (f == op_alu_acc_imm || f == op_test_acc_imm) {
		if (f == op_alu_acc_imm && i->sub != 7)
			return false;
		a = R_AX;
		imm = true;
	} else if ((f == op_alu_rm_r || f == op_alu_rm_imm || f == op_alu_r_rm) &&
		   i->sub == 7 && i->is_reg) {
		a = f == op_alu_r_rm ? i->reg : i->rm;
		if (f == op_alu_rm_imm)
			imm = true;
		else
			b = f == op_alu_r_rm ? i->rm : i->reg;
	} else if ((f == op_test_rm_r || f == op_test_rm_imm) && i->is_reg) {
		a = i->rm;
		if (f == op_test_rm_imm)
			imm = true;
		else
			b = i->reg;
	} else {
		return false;
	}
	if ((a | b) & REG_HIGH8)
		return false;
	if (!imm)
		i->imm = 0;
	i->rm = a;
	i->base = b;
	return true;
}

/*
 * Fuses CMP/TEST (register or immediate operands) with a following Jcc in
 * 64-bit code into one instruction, saving a dispatch on the most common
 * pair; the Jcc's displacement goes to disp, its condition to sub.
 */
static void fuse_cc_jcc(struct block *b)
{
	int k;

	if (b->mode != 8)
		return;
	for (k = 0; k + 1 < b->n; k++) {
		struct insn *i = &b->insn[k], *j = i + 1;
		bool test;

		if (j->fn != op_jcc || j->opsz != 8 || !cc_operands(i, &test))
			continue;
		i->fn = test ? op_test_jcc : op_cmp_jcc;
		i->sub = j->sub;
		i->disp = j->imm;
		i->len += j->len;
		memmove(j, j + 1, (b->n - k - 2) * sizeof(*j));
		b->n--;
	}
}

/*
 * Picks the specialised handlers of a decoded block, telling register
 * instructions which of their flags are dead (i->flags_dead): overwritten
 * later in the block with nothing in between that reads them or can fault.
 * Only register forms are told: a memory operand could end the block after
 * the instruction, exposing its flags.
 */
static void finish_block(struct block *b)
{
	uint8_t dead = 0;
	int k;

	for (k = b->n - 1; k >= 0; k--) {
		struct insn *i = &b->insn[k];

		i->flags_dead = i->is_reg ? dead : 0;
		if (overwrites_flags(i))
			dead = FLAGS_DEAD_CO | FLAGS_DEAD_SZAP;
		else if (rotates_co(i))
			dead |= FLAGS_DEAD_CO;
		else if (i->fn == op_incdec && i->is_reg)
			dead |= FLAGS_DEAD_SZAP;	/* CF passes through */
		else if (!ignores_flags(i))
			dead = 0;
	}
	fuse_cc_jcc(b);
	for (k = 0; k < b->n; k++) {
		struct insn *i = &b->insn[k];
		bool fused = i->fn == op_cmp_jcc || i->fn == op_test_jcc;

		i->icount_to = (k ? i[-1].icount_to : 0) + 1 + fused;
		i->jit = jit_kind(i);
		i->fn = specialize(i);
	}
}

void tc_flush(struct tcg_vcpu *c)
{
	memset(c->hash, 0, sizeof(c->hash));
	memset(c->bcache, 0, sizeof(c->bcache));
	c->arena_used = 0;
	jit_reset(&c->jit);	/* no code of a freed block may run again */
	c->chain_epoch++;
	c->prev_block = NULL;
	c->jit_exit = NULL;	/* it was in the arena */
	jit_cache_reset(c);
}

static uint32_t block_hash(uint64_t gpa, int mode)
{
	uint64_t h = (gpa ^ ((uint64_t)mode << 60)) * 0x9e3779b97f4a7c15ull;

	return h >> (64 - BLOCK_HASH_BITS);
}

/* Decodes a new block at guest-physical @gpa (linear @lin). */
static struct block *translate_block(struct tcg_vcpu *c, uint64_t gpa, uint64_t lin)
{
	size_t max = sizeof(struct block) + BLOCK_MAX_INSNS * sizeof(struct insn);
	struct mem_slot *s = find_slot(c->vm, gpa);
	struct fetch f = { .c = c };
	struct block *b;
	uint32_t fl;
	uint32_t h;

	if (!s)
		internal_error(c, "instruction fetch from MMIO at %#llx",
			       (unsigned long long)gpa);
	if (c->arena_used + max > BLOCK_ARENA || c->jit.full)
		tc_flush(c);
	b = (struct block *)(c->arena + c->arena_used);
	b->gpa = gpa;
	b->mode = c->code_mode;
	b->n = 0;
	b->link[0] = b->link[1] = NULL;
	b->next_link = 0;
	b->runs = 0;
	b->jit = NULL;
	b->open_end = false;
	b->gen[0] = &s->gen[(gpa - s->gpa) >> 12];
	b->gen[1] = NULL;
	/* Mark the page as code before reading it, so that a concurrent
	 * store either lands before we read or retires this block. */
	b->genv[0] = __atomic_or_fetch(b->gen[0], GEN_CODE, __ATOMIC_ACQ_REL);

	f.p = s->host + (gpa - s->gpa);
	f.lin = lin;
	f.avail = 0x1000 - (gpa & 0xfff);
	if (gpa - s->gpa + f.avail > s->size)
		f.avail = s->size - (gpa - s->gpa);
	while (b->n < BLOCK_MAX_INSNS && f.pos < f.avail) {
		struct insn *i = &b->insn[b->n];

		f.first = b->n == 0;
		if (!decode_one(&f, i, &fl))
			break;
		b->n++;
		b->open_end = !(fl & D_END);
		if ((fl & D_END) || f.cross)
			break;
	}
	finish_block(b);
	if (f.gen2) {
		b->gen[1] = f.gen2;
		b->genv[1] = __atomic_load_n(f.gen2, __ATOMIC_ACQUIRE);
	}
	c->arena_used += sizeof(struct block) + b->n * sizeof(struct insn);
	c->arena_used = (c->arena_used + 15) & ~(size_t)15;
	h = block_hash(gpa, c->code_mode);
	b->hnext = c->hash[h];
	c->hash[h] = b;
	return b;
}

static struct block *hash_lookup(struct tcg_vcpu *c, uint64_t gpa, uint64_t lin)
{
	uint32_t h = block_hash(gpa, c->code_mode);
	struct block **pp, *b;

	for (pp = &c->hash[h]; (b = *pp); pp = &b->hnext) {
		if (b->gpa != gpa || b->mode != c->code_mode)
			continue;
		if (block_valid(b))
			return b;
		*pp = b->hnext;	/* stale: unlink, its arena space is reclaimed on flush */
		break;
	}
	return translate_block(c, gpa, lin);
}

/*
 * The block at guest-physical @gpa, translated if needed.  The last block
 * found at a cache slot is tried first: the hash table is large and its
 * chains lead through other blocks, each a cache miss.
 */
struct block *lookup_block(struct tcg_vcpu *c, uint64_t gpa, uint64_t lin)
{
	struct block **bc = &c->bcache[(gpa ^ gpa >> BLOCK_CACHE_BITS) & (BLOCK_CACHE_SIZE - 1)];
	struct block *b = *bc;

	if (block_is(b, gpa, c->code_mode))
		return b;
	b = hash_lookup(c, gpa, lin);
	*bc = b;
	return b;
}
