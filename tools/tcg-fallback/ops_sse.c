// SPDX-License-Identifier: GPL-2.0
/*
 * SSE and SSE2 (the baseline of x86-64), FXSAVE/FXRSTOR, LDMXCSR/STMXCSR.
 *
 * The host is an x86-64 CPU, so each guest operation runs as the same host
 * instruction through compiler intrinsics: results, NaN propagation and
 * MXCSR status flags are bit-exact by construction.  While tcg_vcpu_run()
 * executes, the host MXCSR holds the guest's rounding control and status
 * flags (with exceptions masked), see vm.c.
 */
#include <emmintrin.h>

#include "ops.h"

typedef union {
	uint8_t b[16];
	uint16_t w[8];
	uint32_t d[4];
	uint64_t q[2];
	int16_t sw[8];
	float f[4];
	double g[2];
	__m128i i;
	__m128 ps;
	__m128d pd;
} xmm_t;

enum { P_NONE, P_66, P_F3, P_F2 };

static inline xmm_t *xr(struct tcg_vcpu *c, int n)
{
	return (xmm_t *)c->xmm[n & 15];
}

static void sse_check(struct tcg_vcpu *c)
{
	if ((c->cr0 & CR0_EM) || !(c->cr4 & CR4_OSFXSR))
		raise_exc_noerr(c, EXC_UD);
	if (c->cr0 & CR0_TS)
		raise_exc_noerr(c, EXC_NM);
}

/* The r/m operand as 128 bits; @align: the instruction needs 16-byte alignment. */
static xmm_t src128(struct tcg_vcpu *c, const struct insn *i, bool align)
{
	xmm_t v;
	uint64_t lin;

	if (i->is_reg)
		return *xr(c, i->rm);
	lin = ea_lin(c, i);
	if (align && (lin & 15))
		raise_exc(c, EXC_GP, 0);
	v.q[0] = mem_read(c, lin, 8);
	v.q[1] = mem_read(c, lin + 8, 8);
	return v;
}

/* Scalar source of @sz bytes (4 or 8) in the low lane, the rest zero. */
static xmm_t src_scalar(struct tcg_vcpu *c, const struct insn *i, int sz)
{
	xmm_t v;

	if (i->is_reg)
		return *xr(c, i->rm);
	v.q[1] = 0;
	v.q[0] = mem_read(c, ea_lin(c, i), sz);
	return v;
}

static void store128(struct tcg_vcpu *c, const struct insn *i, const xmm_t *v, bool align)
{
	uint64_t lin;

	if (i->is_reg) {
		*xr(c, i->rm) = *v;
		return;
	}
	lin = ea_lin(c, i);
	if (align && (lin & 15))
		raise_exc(c, EXC_GP, 0);
	mem_probe_write(c, lin, 16);
	mem_write(c, lin, 8, v->q[0]);
	mem_write(c, lin + 8, 8, v->q[1]);
}

static void store_scalar(struct tcg_vcpu *c, const struct insn *i, uint64_t v, int sz)
{
	if (i->is_reg)
		memcpy(xr(c, i->rm)->b, &v, sz);
	else
		mem_write(c, ea_lin(c, i), sz, v);
}

/* Packed integer operations of the 66-prefixed SSE2 map, by opcode. */
#define I2(name, expr) \
	static __m128i name(__m128i a, __m128i b) { return expr; }

I2(i_punpcklbw, _mm_unpacklo_epi8(a, b))
I2(i_punpcklwd, _mm_unpacklo_epi16(a, b))
I2(i_punpckldq, _mm_unpacklo_epi32(a, b))
I2(i_packsswb, _mm_packs_epi16(a, b))
I2(i_pcmpgtb, _mm_cmpgt_epi8(a, b))
I2(i_pcmpgtw, _mm_cmpgt_epi16(a, b))
I2(i_pcmpgtd, _mm_cmpgt_epi32(a, b))
I2(i_packuswb, _mm_packus_epi16(a, b))
I2(i_punpckhbw, _mm_unpackhi_epi8(a, b))
I2(i_punpckhwd, _mm_unpackhi_epi16(a, b))
I2(i_punpckhdq, _mm_unpackhi_epi32(a, b))
I2(i_packssdw, _mm_packs_epi32(a, b))
I2(i_punpcklqdq, _mm_unpacklo_epi64(a, b))
I2(i_punpckhqdq, _mm_unpackhi_epi64(a, b))
I2(i_pcmpeqb, _mm_cmpeq_epi8(a, b))
I2(i_pcmpeqw, _mm_cmpeq_epi16(a, b))
I2(i_pcmpeqd, _mm_cmpeq_epi32(a, b))
I2(i_psrlw, _mm_srl_epi16(a, b))
I2(i_psrld, _mm_srl_epi32(a, b))
I2(i_psrlq, _mm_srl_epi64(a, b))
I2(i_paddq, _mm_add_epi64(a, b))
I2(i_pmullw, _mm_mullo_epi16(a, b))
I2(i_psubusb, _mm_subs_epu8(a, b))
I2(i_psubusw, _mm_subs_epu16(a, b))
I2(i_pminub, _mm_min_epu8(a, b))
I2(i_pand, _mm_and_si128(a, b))
I2(i_paddusb, _mm_adds_epu8(a, b))
I2(i_paddusw, _mm_adds_epu16(a, b))
I2(i_pmaxub, _mm_max_epu8(a, b))
I2(i_pandn, _mm_andnot_si128(a, b))
I2(i_pavgb, _mm_avg_epu8(a, b))
I2(i_psraw, _mm_sra_epi16(a, b))
I2(i_psrad, _mm_sra_epi32(a, b))
I2(i_pavgw, _mm_avg_epu16(a, b))
I2(i_pmulhuw, _mm_mulhi_epu16(a, b))
I2(i_pmulhw, _mm_mulhi_epi16(a, b))
I2(i_psubsb, _mm_subs_epi8(a, b))
I2(i_psubsw, _mm_subs_epi16(a, b))
I2(i_pminsw, _mm_min_epi16(a, b))
I2(i_por, _mm_or_si128(a, b))
I2(i_paddsb, _mm_adds_epi8(a, b))
I2(i_paddsw, _mm_adds_epi16(a, b))
I2(i_pmaxsw, _mm_max_epi16(a, b))
I2(i_pxor, _mm_xor_si128(a, b))
I2(i_psllw, _mm_sll_epi16(a, b))
I2(i_pslld, _mm_sll_epi32(a, b))
I2(i_psllq, _mm_sll_epi64(a, b))
I2(i_pmuludq, _mm_mul_epu32(a, b))
I2(i_pmaddwd, _mm_madd_epi16(a, b))
I2(i_psadbw, _mm_sad_epu8(a, b))
I2(i_psubb, _mm_sub_epi8(a, b))
I2(i_psubw, _mm_sub_epi16(a, b))
I2(i_psubd, _mm_sub_epi32(a, b))
I2(i_psubq, _mm_sub_epi64(a, b))
I2(i_paddb, _mm_add_epi8(a, b))
I2(i_paddw, _mm_add_epi16(a, b))
I2(i_paddd, _mm_add_epi32(a, b))

typedef __m128i (*int_op)(__m128i, __m128i);

static const int_op int_ops[256] = {
	[0x60] = i_punpcklbw, [0x61] = i_punpcklwd, [0x62] = i_punpckldq,
	[0x63] = i_packsswb, [0x64] = i_pcmpgtb, [0x65] = i_pcmpgtw,
	[0x66] = i_pcmpgtd, [0x67] = i_packuswb, [0x68] = i_punpckhbw,
	[0x69] = i_punpckhwd, [0x6a] = i_punpckhdq, [0x6b] = i_packssdw,
	[0x6c] = i_punpcklqdq, [0x6d] = i_punpckhqdq,
	[0x74] = i_pcmpeqb, [0x75] = i_pcmpeqw, [0x76] = i_pcmpeqd,
	[0xd1] = i_psrlw, [0xd2] = i_psrld, [0xd3] = i_psrlq, [0xd4] = i_paddq,
	[0xd5] = i_pmullw, [0xd8] = i_psubusb, [0xd9] = i_psubusw,
	[0xda] = i_pminub, [0xdb] = i_pand, [0xdc] = i_paddusb,
	[0xdd] = i_paddusw, [0xde] = i_pmaxub, [0xdf] = i_pandn,
	[0xe0] = i_pavgb, [0xe1] = i_psraw, [0xe2] = i_psrad, [0xe3] = i_pavgw,
	[0xe4] = i_pmulhuw, [0xe5] = i_pmulhw, [0xe8] = i_psubsb,
	[0xe9] = i_psubsw, [0xea] = i_pminsw, [0xeb] = i_por, [0xec] = i_paddsb,
	[0xed] = i_paddsw, [0xee] = i_pmaxsw, [0xef] = i_pxor,
	[0xf1] = i_psllw, [0xf2] = i_pslld, [0xf3] = i_psllq,
	[0xf4] = i_pmuludq, [0xf5] = i_pmaddwd, [0xf6] = i_psadbw,
	[0xf8] = i_psubb, [0xf9] = i_psubw, [0xfa] = i_psubd, [0xfb] = i_psubq,
	[0xfc] = i_paddb, [0xfd] = i_paddw, [0xfe] = i_paddd,
};

/*
 * The compiler does not know that floating-point intrinsics change MXCSR
 * and may compute the operations of several switch cases speculatively,
 * raising flags for a form the guest did not execute.  GUARD() launders an
 * operand through a volatile asm in the taken case, so the operation
 * cannot be hoisted above it.
 */
#define GUARD(v)	asm volatile("" : "+x"(v))

/*
 * Floating-point arithmetic 0F 51-5F by prefix: ps, pd, ss, sd.  Written
 * as asm: the compiler treats addition and multiplication as commutative
 * and may swap the operands, which changes which NaN propagates.
 */
#define FA(name, ins) \
	static xmm_t name(int p, xmm_t a, xmm_t b) \
	{ \
		switch (p) { \
		case P_NONE: asm volatile(ins "ps %1, %0" : "+x"(a.ps) : "x"(b.ps)); break; \
		case P_66: asm volatile(ins "pd %1, %0" : "+x"(a.pd) : "x"(b.pd)); break; \
		case P_F3: asm volatile(ins "ss %1, %0" : "+x"(a.ps) : "x"(b.ps)); break; \
		default: asm volatile(ins "sd %1, %0" : "+x"(a.pd) : "x"(b.pd)); break; \
		} \
		return a; \
	}

FA(f_add, "add")
FA(f_mul, "mul")
FA(f_sub, "sub")
FA(f_min, "min")
FA(f_div, "div")
FA(f_max, "max")
FA(f_sqrt, "sqrt")

static xmm_t f_cmp(int p, xmm_t a, xmm_t b, int pred)
{
	xmm_t r;

#define CMP(ps_, pd_, ss_, sd_) do { \
		switch (p) { \
		case P_NONE: GUARD(a.ps); GUARD(b.ps); r.ps = ps_(a.ps, b.ps); break; \
		case P_66: GUARD(a.pd); GUARD(b.pd); r.pd = pd_(a.pd, b.pd); break; \
		case P_F3: GUARD(a.ps); GUARD(b.ps); r.ps = ss_(a.ps, b.ps); break; \
		default: GUARD(a.pd); GUARD(b.pd); r.pd = sd_(a.pd, b.pd); break; \
		} \
	} while (0)
	switch (pred & 7) {
	case 0: CMP(_mm_cmpeq_ps, _mm_cmpeq_pd, _mm_cmpeq_ss, _mm_cmpeq_sd); break;
	case 1: CMP(_mm_cmplt_ps, _mm_cmplt_pd, _mm_cmplt_ss, _mm_cmplt_sd); break;
	case 2: CMP(_mm_cmple_ps, _mm_cmple_pd, _mm_cmple_ss, _mm_cmple_sd); break;
	case 3: CMP(_mm_cmpunord_ps, _mm_cmpunord_pd, _mm_cmpunord_ss, _mm_cmpunord_sd); break;
	case 4: CMP(_mm_cmpneq_ps, _mm_cmpneq_pd, _mm_cmpneq_ss, _mm_cmpneq_sd); break;
	case 5: CMP(_mm_cmpnlt_ps, _mm_cmpnlt_pd, _mm_cmpnlt_ss, _mm_cmpnlt_sd); break;
	case 6: CMP(_mm_cmpnle_ps, _mm_cmpnle_pd, _mm_cmpnle_ss, _mm_cmpnle_sd); break;
	default: CMP(_mm_cmpord_ps, _mm_cmpord_pd, _mm_cmpord_ss, _mm_cmpord_sd); break;
	}
#undef CMP
	return r;
}

/* (U)COMISS/SD: ZF, PF, CF from the host instruction itself. */
static void comis(struct tcg_vcpu *c, bool dbl, bool signal, xmm_t a, xmm_t b)
{
	uint8_t z, p, cf;
	uint64_t f = get_flags(c) & ~(uint64_t)F_ARITH;

	if (dbl && signal)
		asm volatile("comisd %3, %4; setz %0; setp %1; setc %2"
			     : "=r"(z), "=r"(p), "=r"(cf) : "x"(b.pd), "x"(a.pd) : "cc");
	else if (dbl)
		asm volatile("ucomisd %3, %4; setz %0; setp %1; setc %2"
			     : "=r"(z), "=r"(p), "=r"(cf) : "x"(b.pd), "x"(a.pd) : "cc");
	else if (signal)
		asm volatile("comiss %3, %4; setz %0; setp %1; setc %2"
			     : "=r"(z), "=r"(p), "=r"(cf) : "x"(b.ps), "x"(a.ps) : "cc");
	else
		asm volatile("ucomiss %3, %4; setz %0; setp %1; setc %2"
			     : "=r"(z), "=r"(p), "=r"(cf) : "x"(b.ps), "x"(a.ps) : "cc");
	set_flags(c, f | (z ? F_ZF : 0) | (p ? F_PF : 0) | (cf ? F_CF : 0));
}

/* CVT* between floating point and integers (2A, 2C, 2D). */
static void cvt_int(struct tcg_vcpu *c, const struct insn *i, int p)
{
	bool w = i->pfx & PFX_REXW;
	xmm_t *d = xr(c, i->reg), s;
	uint64_t v;

	switch (i->opc) {
	case 0x2a:	/* CVTSI2SS/SD */
		v = i->is_reg ? get_reg(c, i->rm, w ? 8 : 4) :
				mem_read(c, ea_lin(c, i), w ? 8 : 4);
		s = *d;
		switch ((p == P_F3) * 2 + w) {
		case 0: GUARD(s.pd); d->pd = _mm_cvtsi32_sd(s.pd, v); break;
		case 1: GUARD(s.pd); d->pd = _mm_cvtsi64_sd(s.pd, v); break;
		case 2: GUARD(s.ps); d->ps = _mm_cvtsi32_ss(s.ps, v); break;
		default: GUARD(s.ps); d->ps = _mm_cvtsi64_ss(s.ps, v); break;
		}
		return;
	case 0x2c:	/* CVTTSS2SI/CVTTSD2SI */
	case 0x2d:	/* CVTSS2SI/CVTSD2SI */
		s = src_scalar(c, i, p == P_F3 ? 4 : 8);
		switch ((i->opc & 1) * 8 + (p == P_F3) * 4 + w) {
		case 0: GUARD(s.i); v = (uint32_t)_mm_cvttsd_si32(s.pd); break;
		case 1: GUARD(s.i); v = _mm_cvttsd_si64(s.pd); break;
		case 4: GUARD(s.i); v = (uint32_t)_mm_cvttss_si32(s.ps); break;
		case 5: GUARD(s.i); v = _mm_cvttss_si64(s.ps); break;
		case 8: GUARD(s.i); v = (uint32_t)_mm_cvtsd_si32(s.pd); break;
		case 9: GUARD(s.i); v = _mm_cvtsd_si64(s.pd); break;
		case 12: GUARD(s.i); v = (uint32_t)_mm_cvtss_si32(s.ps); break;
		default: GUARD(s.i); v = _mm_cvtss_si64(s.ps); break;
		}
		set_reg(c, i->reg, w ? 8 : 4, v);
		return;
	}
}

static xmm_t shift_imm(int opc, int op, xmm_t a, int n)
{
	xmm_t r;
	__m128i cnt = _mm_cvtsi32_si128(n);

	r = a;
	switch (opc * 8 + op) {
	case 0x71 * 8 + 2: r.i = _mm_srl_epi16(a.i, cnt); break;
	case 0x71 * 8 + 4: r.i = _mm_sra_epi16(a.i, cnt); break;
	case 0x71 * 8 + 6: r.i = _mm_sll_epi16(a.i, cnt); break;
	case 0x72 * 8 + 2: r.i = _mm_srl_epi32(a.i, cnt); break;
	case 0x72 * 8 + 4: r.i = _mm_sra_epi32(a.i, cnt); break;
	case 0x72 * 8 + 6: r.i = _mm_sll_epi32(a.i, cnt); break;
	case 0x73 * 8 + 2: r.i = _mm_srl_epi64(a.i, cnt); break;
	case 0x73 * 8 + 6: r.i = _mm_sll_epi64(a.i, cnt); break;
	case 0x73 * 8 + 3:	/* PSRLDQ */
		memset(r.b, 0, 16);
		if (n < 16)
			memcpy(r.b, a.b + n, 16 - n);
		break;
	case 0x73 * 8 + 7:	/* PSLLDQ */
		memset(r.b, 0, 16);
		if (n < 16)
			memcpy(r.b + n, a.b, 16 - n);
		break;
	}
	return r;
}

static void shuffle(struct tcg_vcpu *c, const struct insn *i, int p)
{
	xmm_t s = src128(c, i, p != P_NONE || i->opc == 0xc6), *d = xr(c, i->reg), r;
	int imm = i->imm & 0xff, k;

	switch (i->opc * 4 + p) {
	case 0x70 * 4 + P_66:	/* PSHUFD */
		for (k = 0; k < 4; k++)
			r.d[k] = s.d[(imm >> (2 * k)) & 3];
		break;
	case 0x70 * 4 + P_F3:	/* PSHUFHW */
		r = s;
		for (k = 0; k < 4; k++)
			r.w[4 + k] = s.w[4 + ((imm >> (2 * k)) & 3)];
		break;
	case 0x70 * 4 + P_F2:	/* PSHUFLW */
		r = s;
		for (k = 0; k < 4; k++)
			r.w[k] = s.w[(imm >> (2 * k)) & 3];
		break;
	case 0xc6 * 4 + P_NONE:	/* SHUFPS */
		r.d[0] = d->d[imm & 3];
		r.d[1] = d->d[(imm >> 2) & 3];
		r.d[2] = s.d[(imm >> 4) & 3];
		r.d[3] = s.d[(imm >> 6) & 3];
		break;
	case 0xc6 * 4 + P_66:	/* SHUFPD */
		r.q[0] = d->q[imm & 1];
		r.q[1] = s.q[(imm >> 1) & 1];
		break;
	default:
		raise_exc_noerr(c, EXC_UD);
	}
	*d = r;
}

/* Moves: 10-17, 28/29, 2B, 6E/6F, 7E/7F, D6, E7.  Returns false if not one. */
static bool sse_move(struct tcg_vcpu *c, const struct insn *i, int p)
{
	xmm_t *d = xr(c, i->reg), v;
	bool w = i->pfx & PFX_REXW;

	switch (i->opc * 4 + p) {
	case 0x10 * 4 + P_NONE: case 0x10 * 4 + P_66:	/* MOVUPS/PD load */
		*d = src128(c, i, false);
		return true;
	case 0x28 * 4 + P_NONE: case 0x28 * 4 + P_66:	/* MOVAPS/PD load */
	case 0x6f * 4 + P_66:				/* MOVDQA load */
		*d = src128(c, i, true);
		return true;
	case 0x6f * 4 + P_F3:				/* MOVDQU load */
		*d = src128(c, i, false);
		return true;
	case 0x11 * 4 + P_NONE: case 0x11 * 4 + P_66:	/* MOVUPS/PD store */
	case 0x7f * 4 + P_F3:				/* MOVDQU store */
		store128(c, i, d, false);
		return true;
	case 0x29 * 4 + P_NONE: case 0x29 * 4 + P_66:	/* MOVAPS/PD store */
	case 0x7f * 4 + P_66:				/* MOVDQA store */
	case 0x2b * 4 + P_NONE: case 0x2b * 4 + P_66:	/* MOVNTPS/PD */
	case 0xe7 * 4 + P_66:				/* MOVNTDQ */
		if ((i->opc == 0x2b || i->opc == 0xe7) && i->is_reg)
			raise_exc_noerr(c, EXC_UD);
		store128(c, i, d, true);
		return true;
	case 0x10 * 4 + P_F3:				/* MOVSS load */
		if (i->is_reg)
			d->d[0] = xr(c, i->rm)->d[0];
		else
			*d = src_scalar(c, i, 4);
		return true;
	case 0x10 * 4 + P_F2:				/* MOVSD load */
		if (i->is_reg)
			d->q[0] = xr(c, i->rm)->q[0];
		else
			*d = src_scalar(c, i, 8);
		return true;
	case 0x11 * 4 + P_F3:				/* MOVSS store */
		store_scalar(c, i, d->d[0], 4);
		return true;
	case 0x11 * 4 + P_F2:				/* MOVSD store */
		store_scalar(c, i, d->q[0], 8);
		return true;
	case 0x12 * 4 + P_NONE: case 0x12 * 4 + P_66:	/* MOVLPS/PD, MOVHLPS */
		if (i->is_reg && p == P_66)
			raise_exc_noerr(c, EXC_UD);
		d->q[0] = i->is_reg ? xr(c, i->rm)->q[1] : mem_read(c, ea_lin(c, i), 8);
		return true;
	case 0x13 * 4 + P_NONE: case 0x13 * 4 + P_66:	/* MOVLPS/PD store */
		if (i->is_reg)
			raise_exc_noerr(c, EXC_UD);
		mem_write(c, ea_lin(c, i), 8, d->q[0]);
		return true;
	case 0x16 * 4 + P_NONE: case 0x16 * 4 + P_66:	/* MOVHPS/PD, MOVLHPS */
		if (i->is_reg && p == P_66)
			raise_exc_noerr(c, EXC_UD);
		d->q[1] = i->is_reg ? xr(c, i->rm)->q[0] : mem_read(c, ea_lin(c, i), 8);
		return true;
	case 0x17 * 4 + P_NONE: case 0x17 * 4 + P_66:	/* MOVHPS/PD store */
		if (i->is_reg)
			raise_exc_noerr(c, EXC_UD);
		mem_write(c, ea_lin(c, i), 8, d->q[1]);
		return true;
	case 0x6e * 4 + P_66:				/* MOVD/MOVQ xmm, r/m */
		v.q[0] = i->is_reg ? get_reg(c, i->rm, w ? 8 : 4) :
				     mem_read(c, ea_lin(c, i), w ? 8 : 4);
		v.q[1] = 0;
		*d = v;
		return true;
	case 0x7e * 4 + P_66:				/* MOVD/MOVQ r/m, xmm */
		if (i->is_reg)
			set_reg(c, i->rm, w ? 8 : 4, d->q[0]);
		else
			mem_write(c, ea_lin(c, i), w ? 8 : 4, d->q[0]);
		return true;
	case 0x7e * 4 + P_F3:				/* MOVQ xmm, xmm/m64 */
		v = src_scalar(c, i, 8);
		v.q[1] = 0;
		*d = v;
		return true;
	case 0xd6 * 4 + P_66:				/* MOVQ xmm/m64, xmm */
		if (i->is_reg) {
			xr(c, i->rm)->q[0] = d->q[0];
			xr(c, i->rm)->q[1] = 0;
		} else {
			mem_write(c, ea_lin(c, i), 8, d->q[0]);
		}
		return true;
	}
	return false;
}

static void cvt_fp(struct tcg_vcpu *c, const struct insn *i, int p)
{
	xmm_t *d = xr(c, i->reg), s, r = *d;
	bool scalar_src = (i->opc == 0x5a && p != P_66) || (i->opc == 0xe6 && p == P_F3);

	/* Fetch the source first, then convert behind a guard. */
	s = scalar_src ? src_scalar(c, i, (i->opc == 0x5a && p == P_F3) ? 4 : 8) :
			 src128(c, i, true);
	switch (i->opc * 4 + p) {
	case 0x5a * 4 + P_NONE:	/* CVTPS2PD */
		GUARD(s.i);
		r.pd = _mm_cvtps_pd(s.ps);
		break;
	case 0x5a * 4 + P_66:	/* CVTPD2PS */
		GUARD(s.i);
		r.ps = _mm_cvtpd_ps(s.pd);
		break;
	case 0x5a * 4 + P_F3:	/* CVTSS2SD */
		GUARD(s.i);
		r.pd = _mm_cvtss_sd(r.pd, s.ps);
		break;
	case 0x5a * 4 + P_F2:	/* CVTSD2SS */
		GUARD(s.i);
		r.ps = _mm_cvtsd_ss(r.ps, s.pd);
		break;
	case 0x5b * 4 + P_NONE:	/* CVTDQ2PS */
		GUARD(s.i);
		r.ps = _mm_cvtepi32_ps(s.i);
		break;
	case 0x5b * 4 + P_66:	/* CVTPS2DQ */
		GUARD(s.i);
		r.i = _mm_cvtps_epi32(s.ps);
		break;
	case 0x5b * 4 + P_F3:	/* CVTTPS2DQ */
		GUARD(s.i);
		r.i = _mm_cvttps_epi32(s.ps);
		break;
	case 0xe6 * 4 + P_66:	/* CVTTPD2DQ */
		GUARD(s.i);
		r.i = _mm_cvttpd_epi32(s.pd);
		break;
	case 0xe6 * 4 + P_F3:	/* CVTDQ2PD */
		GUARD(s.i);
		r.pd = _mm_cvtepi32_pd(s.i);
		break;
	case 0xe6 * 4 + P_F2:	/* CVTPD2DQ */
		GUARD(s.i);
		r.i = _mm_cvtpd_epi32(s.pd);
		break;
	default:
		raise_exc_noerr(c, EXC_UD);
	}
	*d = r;
}

static void fp_arith(struct tcg_vcpu *c, const struct insn *i, int p)
{
	xmm_t *d = xr(c, i->reg), s;

	if (p >= P_F3)
		s = src_scalar(c, i, p == P_F3 ? 4 : 8);
	else
		s = src128(c, i, true);
	switch (i->opc) {
	case 0x51: *d = f_sqrt(p, *d, s); break;
	case 0x58: *d = f_add(p, *d, s); break;
	case 0x59: *d = f_mul(p, *d, s); break;
	case 0x5c: *d = f_sub(p, *d, s); break;
	case 0x5d: *d = f_min(p, *d, s); break;
	case 0x5e: *d = f_div(p, *d, s); break;
	case 0x5f: *d = f_max(p, *d, s); break;
	case 0xc2: *d = f_cmp(p, *d, s, i->imm); break;
	}
}

/* Bitwise 54-57 (ps/pd forms are the same bits) and unpacks 14/15. */
static void fp_logic(struct tcg_vcpu *c, const struct insn *i, int p)
{
	xmm_t *d = xr(c, i->reg), s = src128(c, i, true), r;

	switch (i->opc * 4 + p) {
	case 0x14 * 4 + P_NONE: r.ps = _mm_unpacklo_ps(d->ps, s.ps); break;
	case 0x14 * 4 + P_66: r.pd = _mm_unpacklo_pd(d->pd, s.pd); break;
	case 0x15 * 4 + P_NONE: r.ps = _mm_unpackhi_ps(d->ps, s.ps); break;
	case 0x15 * 4 + P_66: r.pd = _mm_unpackhi_pd(d->pd, s.pd); break;
	case 0x54 * 4 + P_NONE: case 0x54 * 4 + P_66: r.i = _mm_and_si128(d->i, s.i); break;
	case 0x55 * 4 + P_NONE: case 0x55 * 4 + P_66: r.i = _mm_andnot_si128(d->i, s.i); break;
	case 0x56 * 4 + P_NONE: case 0x56 * 4 + P_66: r.i = _mm_or_si128(d->i, s.i); break;
	case 0x57 * 4 + P_NONE: case 0x57 * 4 + P_66: r.i = _mm_xor_si128(d->i, s.i); break;
	default: raise_exc_noerr(c, EXC_UD);
	}
	*d = r;
}

void op_sse(struct tcg_vcpu *c, const struct insn *i)
{
	int p = i->sub, opc = i->opc;
	xmm_t *d, s;

	sse_check(c);
	if (sse_move(c, i, p))
		return;
	d = xr(c, i->reg);
	if (p == P_66 && int_ops[opc]) {
		s = src128(c, i, true);
		d->i = int_ops[opc](d->i, s.i);
		return;
	}
	switch (opc) {
	case 0x14: case 0x15: case 0x54: case 0x55: case 0x56: case 0x57:
		fp_logic(c, i, p);
		return;
	case 0x51: case 0x58: case 0x59: case 0x5c: case 0x5d: case 0x5e:
	case 0x5f: case 0xc2:
		fp_arith(c, i, p);
		return;
	case 0x5a: case 0x5b: case 0xe6:
		cvt_fp(c, i, p);
		return;
	case 0x2a: case 0x2c: case 0x2d:
		if (p < P_F3)
			break;	/* MMX forms */
		cvt_int(c, i, p);
		return;
	case 0x2e: case 0x2f:
		if (p > P_66)
			break;
		s = src_scalar(c, i, p == P_66 ? 8 : 4);
		comis(c, p == P_66, opc == 0x2f, *d, s);
		return;
	case 0x50:	/* MOVMSKPS/PD */
		if (!i->is_reg || p > P_66)
			break;
		set_reg(c, i->reg, 4, p == P_66 ? _mm_movemask_pd(xr(c, i->rm)->pd) :
						  _mm_movemask_ps(xr(c, i->rm)->ps));
		return;
	case 0xd7:	/* PMOVMSKB */
		if (!i->is_reg || p != P_66)
			break;
		set_reg(c, i->reg, 4, _mm_movemask_epi8(xr(c, i->rm)->i));
		return;
	case 0x70: case 0xc6:
		shuffle(c, i, p);
		return;
	case 0x71: case 0x72: case 0x73:
		if (!i->is_reg || p != P_66)
			break;
		*xr(c, i->rm) = shift_imm(opc, i->reg & 7, *xr(c, i->rm), i->imm & 0xff);
		return;
	case 0xc4:	/* PINSRW */
		if (p != P_66)
			break;
		d->w[i->imm & 7] = i->is_reg ? get_reg(c, i->rm, 2) :
					       mem_read(c, ea_lin(c, i), 2);
		return;
	case 0xc5:	/* PEXTRW */
		if (p != P_66 || !i->is_reg)
			break;
		set_reg(c, i->reg, 4, xr(c, i->rm)->w[i->imm & 7]);
		return;
	case 0xf7:	/* MASKMOVDQU */
		if (p != P_66 || !i->is_reg) {
			break;
		} else {
			xmm_t *m = xr(c, i->rm);
			uint64_t base = seg_lin(c, i->seg, c->r[R_DI] & size_mask(i->adsz));
			int k;

			for (k = 0; k < 16; k++)
				if (m->b[k] & 0x80)
					mem_write(c, base + k, 1, d->b[k]);
		}
		return;
	}
	raise_exc_noerr(c, EXC_UD);
}

void op_emms(struct tcg_vcpu *c, const struct insn *i)
{
	c->fpu.ftw = 0;
}

/* The guest's MXCSR lives in the host MXCSR while the vCPU runs. */
static uint32_t live_mxcsr(struct tcg_vcpu *c)
{
	return (c->mxcsr & ~0x3fu) | (_mm_getcsr() & 0x3f);
}

static void set_mxcsr(struct tcg_vcpu *c, uint32_t v)
{
	if (v & ~0xffffu)
		raise_exc(c, EXC_GP, 0);
	c->mxcsr = v;
	_mm_setcsr(v | 0x1f80);
}

void op_ldmxcsr(struct tcg_vcpu *c, const struct insn *i)
{
	sse_check(c);
	set_mxcsr(c, mem_read(c, ea_lin(c, i), 4));
}

void op_stmxcsr(struct tcg_vcpu *c, const struct insn *i)
{
	sse_check(c);
	mem_write(c, ea_lin(c, i), 4, live_mxcsr(c));
}

/* x87 tag word: abridged form has one bit per register (1 = valid). */
void op_fxsave(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t lin = ea_lin(c, i);
	uint8_t img[512];
	int k;

	if (lin & 15)
		raise_exc(c, EXC_GP, 0);
	memset(img, 0, sizeof(img));
	memcpy(img, &c->fpu.fcw, 2);
	k = x87_status(c);
	memcpy(img + 2, &k, 2);
	img[4] = c->fpu.ftw;
	k = live_mxcsr(c);
	memcpy(img + 24, &k, 4);
	k = 0xffff;
	memcpy(img + 28, &k, 4);
	for (k = 0; k < 8; k++)
		memcpy(img + 32 + 16 * k, &c->fpu.st[(c->fpu.top + k) & 7], 10);
	memcpy(img + 160, c->xmm, c->code_mode == 8 ? 256 : 128);
	mem_write_buf(c, lin, img, 512);
}

void op_fxrstor(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t lin = ea_lin(c, i);
	uint8_t img[512];
	uint32_t mx;
	uint16_t fsw;
	int k;

	if (lin & 15)
		raise_exc(c, EXC_GP, 0);
	mem_read_buf(c, lin, img, 512);
	memcpy(&mx, img + 24, 4);
	if (mx & ~0xffffu)
		raise_exc(c, EXC_GP, 0);
	memcpy(&c->fpu.fcw, img, 2);
	memcpy(&fsw, img + 2, 2);
	c->fpu.top = (fsw >> 11) & 7;
	c->fpu.fsw = fsw & ~0x3800;
	c->fpu.ftw = img[4];
	for (k = 0; k < 8; k++) {
		long double *st = &c->fpu.st[(c->fpu.top + k) & 7];

		*st = 0;
		memcpy(st, img + 32 + 16 * k, 10);
	}
	memcpy(c->xmm, img + 160, c->code_mode == 8 ? 256 : 128);
	set_mxcsr(c, mx);
	x87_reload(c);
}
