/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instruction forms for the differential test: kinds tell the operand
 * generator what to constrain and which flags/results the architecture
 * leaves undefined (TESTING.md has the table).  Shared by insn_forms.S.
 */
#ifndef INSN_FORMS_H
#define INSN_FORMS_H

/* Kind: class in bits 0-7 */
#define K_PLAIN		0	/* everything defined */
#define K_LOGIC		1	/* AF undefined */
#define K_MUL		2	/* SF ZF AF PF undefined */
#define K_DIV		3	/* all six flags undefined; no #DE inputs */
#define K_IDIV		4
#define K_SHIFT		5	/* SHL SHR SAL: count-dependent */
#define K_SAR		6
#define K_ROT		7	/* ROL ROR RCL RCR */
#define K_SHXD		8	/* SHLD SHRD */
#define K_BT		9	/* OF SF AF PF undefined */
#define K_BSX		10	/* BSF BSR */
#define K_STR		11	/* string ops: RSI/RDI/RCX/DF constrained */
#define K_CMPXCHG	12	/* RAX often equal to the destination */
#define K_CMPXCHGB	13	/* CMPXCHG8B/16B: RDX:RAX often equal */
#define K_SSE_INT	14	/* random bytes */
#define K_SSE_PS	15	/* float lanes with edge values */
#define K_SSE_PD	16	/* double lanes with edge values */
#define K_SSE_SHIFT	17	/* shift by XMM2: small counts */

/* Bits 8-15: operand size in bits */
#define SZ(bits)	((bits) << 8)
/* Where the operand the kind cares about is, and the shift count */
#define F_MEM		(1 << 16)	/* in memory at mem + 8 (RBX = mem) */
#define F_CL		(1 << 17)	/* count in CL */
#define F_IMM		(1 << 18)	/* count in the last instruction byte */
#define F_ONE		(1 << 19)	/* count 1 */
/* KVM's instruction emulator lacks it: left out of the KVM self-check */
#define F_NOKVM		(1 << 20)

#define KIND_CLASS(k)	((k) & 0xff)
#define KIND_BITS(k)	(((k) >> 8) & 0xff)

#endif
