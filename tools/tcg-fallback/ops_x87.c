// SPDX-License-Identifier: GPL-2.0
/*
 * The x87 subset user space needs: control/status words, loads and stores
 * of float/double/extended/integers, FXCH, constants, the basic arithmetic
 * and compares.  Registers are host long doubles (the host is x86-64, whose
 * long double is the same 80-bit format), so arithmetic is the host FPU's.
 * Not emulated: precision control, unmasked exceptions, the transcendental
 * instructions, BCD and FSAVE/FRSTOR (see README.md).
 */
#include "ops.h"

#define FSW_C0	0x0100
#define FSW_C1	0x0200
#define FSW_C2	0x0400
#define FSW_C3	0x4000

static void host_fldcw(uint16_t cw)
{
	asm volatile("fldcw %0" : : "m"(cw));
}

/* Guest control word on the host, exceptions masked. */
static void load_guest_cw(struct tcg_vcpu *c)
{
	host_fldcw(c->fpu.fcw | 0x3f);
}

/* Folds the host's sticky exception flags into the guest FSW. */
uint16_t x87_status(struct tcg_vcpu *c)
{
	uint16_t sw;

	asm volatile("fnstsw %0" : "=m"(sw));
	c->fpu.fsw |= sw & 0x3f;
	return (c->fpu.fsw & ~0x3800) | (c->fpu.top << 11);
}

uint16_t x87_enter(struct tcg_vcpu *c)
{
	uint16_t host;

	asm volatile("fnstcw %0" : "=m"(host));
	asm volatile("fnclex");
	load_guest_cw(c);
	return host;
}

/* After FXRSTOR: the restored FSW replaces the host's sticky flags. */
void x87_reload(struct tcg_vcpu *c)
{
	asm volatile("fnclex");
	load_guest_cw(c);
}

void x87_leave(struct tcg_vcpu *c, uint16_t host_cw)
{
	x87_status(c);
	asm volatile("fnclex");
	host_fldcw(host_cw);
}

static long double *st(struct tcg_vcpu *c, int k)
{
	return &c->fpu.st[(c->fpu.top + k) & 7];
}

static void fpush(struct tcg_vcpu *c, long double v)
{
	c->fpu.top = (c->fpu.top - 1) & 7;
	c->fpu.st[c->fpu.top] = v;
	c->fpu.ftw |= 1 << c->fpu.top;
}

static void fpop(struct tcg_vcpu *c)
{
	c->fpu.ftw &= ~(1 << c->fpu.top);
	c->fpu.top = (c->fpu.top + 1) & 7;
}

static long double load_ext(struct tcg_vcpu *c, uint64_t lin)
{
	long double v = 0;
	uint64_t m = mem_read(c, lin, 8);
	uint16_t e = mem_read(c, lin + 8, 2);

	memcpy(&v, &m, 8);
	memcpy((uint8_t *)&v + 8, &e, 2);
	return v;
}

static void store_ext(struct tcg_vcpu *c, uint64_t lin, long double v)
{
	uint64_t m;
	uint16_t e;

	memcpy(&m, &v, 8);
	memcpy(&e, (uint8_t *)&v + 8, 2);
	mem_probe_write(c, lin, 10);
	mem_write(c, lin, 8, m);
	mem_write(c, lin + 8, 2, e);
}

/* Memory operand by ModRM.reg-independent format: 0 f32, 1 i32, 2 f64, 3 i16. */
static long double load_mem(struct tcg_vcpu *c, uint64_t lin, int fmt)
{
	uint32_t u32;
	uint64_t u64;
	float f;
	double d;

	switch (fmt) {
	case 0: u32 = mem_read(c, lin, 4); memcpy(&f, &u32, 4); return f;
	case 1: return (int32_t)mem_read(c, lin, 4);
	case 2: u64 = mem_read(c, lin, 8); memcpy(&d, &u64, 8); return d;
	default: return (int16_t)mem_read(c, lin, 2);
	}
}

/*
 * FRNDINT on the host with rounding control @rc (no libm: the library must
 * not add link dependencies to lkvm).
 */
static long double round_rc(long double v, int rc)
{
	uint16_t old, cw;

	asm volatile("fnstcw %0" : "=m"(old));
	cw = (old & ~0xc00) | (rc << 10);
	asm volatile("fldcw %0" : : "m"(cw));
	asm volatile("frndint" : "+t"(v));
	asm volatile("fldcw %0" : : "m"(old));
	return v;
}

static long double fsqrt(long double v)
{
	asm("fsqrt" : "+t"(v));
	return v;
}

static int64_t to_int(struct tcg_vcpu *c, long double v, int64_t lo, int64_t hi,
		      bool trunc)
{
	long double r = round_rc(v, trunc ? 3 : (c->fpu.fcw >> 10) & 3);

	if (!(r >= lo && r <= hi))
		return lo;	/* integer indefinite */
	return (int64_t)r;
}

static void set_cc_compare(struct tcg_vcpu *c, long double a, long double b)
{
	c->fpu.fsw &= ~(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3);
	if (__builtin_isnan(a) || __builtin_isnan(b))
		c->fpu.fsw |= FSW_C0 | FSW_C2 | FSW_C3;
	else if (a < b)
		c->fpu.fsw |= FSW_C0;
	else if (a == b)
		c->fpu.fsw |= FSW_C3;
}

static void set_eflags_compare(struct tcg_vcpu *c, long double a, long double b)
{
	uint64_t f = get_flags(c) & ~(uint64_t)F_ARITH;

	if (__builtin_isnan(a) || __builtin_isnan(b))
		f |= F_ZF | F_PF | F_CF;
	else if (a < b)
		f |= F_CF;
	else if (a == b)
		f |= F_ZF;
	set_flags(c, f);
}

static long double arith(int op, long double a, long double b)
{
	switch (op) {
	case 0: return a + b;
	case 1: return a * b;
	case 4: return a - b;
	case 5: return b - a;
	case 6: return a / b;
	default: return b / a;
	}
}

/* D8 and DC with a memory operand, D8 register forms. */
static void x87_arith_mem_or_st0(struct tcg_vcpu *c, const struct insn *i, int op)
{
	long double src;

	if (i->is_reg)
		src = *st(c, i->modrm & 7);
	else
		src = load_mem(c, ea_lin(c, i), (i->opc & 4) ? 2 : 0);
	if (op == 2 || op == 3) {
		set_cc_compare(c, *st(c, 0), src);
		if (op == 3)
			fpop(c);
		return;
	}
	*st(c, 0) = arith(op, *st(c, 0), src);
}

static void x87_reg(struct tcg_vcpu *c, const struct insn *i)
{
	int k = i->modrm & 7, op = (i->modrm >> 3) & 7;
	long double t;

	switch (i->opc) {
	case 0xd8:
		x87_arith_mem_or_st0(c, i, op);
		return;
	case 0xd9:
		switch (i->modrm) {
		case 0xc0 ... 0xc7: t = *st(c, k); fpush(c, t); return;	/* FLD ST(i) */
		case 0xc8 ... 0xcf: t = *st(c, 0); *st(c, 0) = *st(c, k); *st(c, k) = t; return;
		case 0xd0: return;					/* FNOP */
		case 0xe0: *st(c, 0) = -*st(c, 0); return;		/* FCHS */
		case 0xe1: *st(c, 0) = __builtin_fabsl(*st(c, 0)); return;	/* FABS */
		case 0xe4: set_cc_compare(c, *st(c, 0), 0); return;	/* FTST */
		case 0xe8: fpush(c, 1.0L); return;			/* FLD1 */
		case 0xee: fpush(c, 0.0L); return;			/* FLDZ */
		case 0xfa: *st(c, 0) = fsqrt(*st(c, 0)); return;	/* FSQRT */
		case 0xfc: *st(c, 0) = round_rc(*st(c, 0), (c->fpu.fcw >> 10) & 3); return;
		}
		break;
	case 0xda:
		if (i->modrm == 0xe9) {					/* FUCOMPP */
			set_cc_compare(c, *st(c, 0), *st(c, 1));
			fpop(c);
			fpop(c);
			return;
		}
		break;
	case 0xdb:
		switch (i->modrm) {
		case 0xe2:						/* FNCLEX */
			asm volatile("fnclex");
			c->fpu.fsw &= 0x7f00;
			return;
		case 0xe3:						/* FNINIT */
			asm volatile("fnclex");
			c->fpu.fcw = 0x37f;
			c->fpu.fsw = 0;
			c->fpu.ftw = 0;
			c->fpu.top = 0;
			load_guest_cw(c);
			return;
		case 0xe8 ... 0xf7:					/* FUCOMI, FCOMI */
			set_eflags_compare(c, *st(c, 0), *st(c, k));
			return;
		}
		break;
	case 0xdc:							/* op ST(i), ST(0) */
		if (op == 2 || op == 3)
			break;
		*st(c, k) = arith(op ^ (op >= 4 ? 1 : 0), *st(c, k), *st(c, 0));
		return;
	case 0xdd:
		switch (op) {
		case 2: *st(c, k) = *st(c, 0); return;			/* FST ST(i) */
		case 3: *st(c, k) = *st(c, 0); fpop(c); return;		/* FSTP ST(i) */
		case 4: set_cc_compare(c, *st(c, 0), *st(c, k)); return;	/* FUCOM */
		case 5: set_cc_compare(c, *st(c, 0), *st(c, k)); fpop(c); return;
		case 0: c->fpu.ftw &= ~(1 << ((c->fpu.top + k) & 7)); return;	/* FFREE */
		}
		break;
	case 0xde:							/* op ST(i), ST(0); pop */
		if (op == 3 && k == 1) {				/* FCOMPP */
			set_cc_compare(c, *st(c, 0), *st(c, 1));
			fpop(c);
			fpop(c);
			return;
		}
		if (op == 2 || op == 3)
			break;
		*st(c, k) = arith(op ^ (op >= 4 ? 1 : 0), *st(c, k), *st(c, 0));
		fpop(c);
		return;
	case 0xdf:
		if (i->modrm == 0xe0) {					/* FNSTSW AX */
			set_reg(c, R_AX, 2, x87_status(c));
			return;
		}
		if (i->modrm >= 0xe8 && i->modrm <= 0xf7) {		/* FUCOMIP, FCOMIP */
			set_eflags_compare(c, *st(c, 0), *st(c, k));
			fpop(c);
			return;
		}
		break;
	}
	raise_exc_noerr(c, EXC_UD);
}

static void x87_mem(struct tcg_vcpu *c, const struct insn *i)
{
	int op = (i->modrm >> 3) & 7;
	uint64_t lin = ea_lin(c, i);
	long double v;
	float f;
	double d;
	uint32_t u32;
	uint64_t u64;

	switch (i->opc * 8 + op) {
	case 0xd8 * 8 ... 0xd8 * 8 + 7:
	case 0xdc * 8 ... 0xdc * 8 + 7:
		x87_arith_mem_or_st0(c, i, op);
		return;
	case 0xda * 8 ... 0xda * 8 + 7:					/* FIxxx m32int */
	case 0xde * 8 ... 0xde * 8 + 7:					/* FIxxx m16int */
		v = load_mem(c, lin, i->opc == 0xda ? 1 : 3);
		if (op == 2 || op == 3) {
			set_cc_compare(c, *st(c, 0), v);
			if (op == 3)
				fpop(c);
			return;
		}
		*st(c, 0) = arith(op, *st(c, 0), v);
		return;
	case 0xd9 * 8 + 0: fpush(c, load_mem(c, lin, 0)); return;	/* FLD m32 */
	case 0xdd * 8 + 0: fpush(c, load_mem(c, lin, 2)); return;	/* FLD m64 */
	case 0xdb * 8 + 5: fpush(c, load_ext(c, lin)); return;	/* FLD m80 */
	case 0xdb * 8 + 0: fpush(c, load_mem(c, lin, 1)); return;	/* FILD m32 */
	case 0xdf * 8 + 0: fpush(c, load_mem(c, lin, 3)); return;	/* FILD m16 */
	case 0xdf * 8 + 5: fpush(c, (int64_t)mem_read(c, lin, 8)); return;	/* FILD m64 */
	case 0xd9 * 8 + 2: case 0xd9 * 8 + 3:				/* FST(P) m32 */
		f = *st(c, 0);
		memcpy(&u32, &f, 4);
		mem_write(c, lin, 4, u32);
		break;
	case 0xdd * 8 + 2: case 0xdd * 8 + 3:				/* FST(P) m64 */
		d = *st(c, 0);
		memcpy(&u64, &d, 8);
		mem_write(c, lin, 8, u64);
		break;
	case 0xdb * 8 + 7:						/* FSTP m80 */
		store_ext(c, lin, *st(c, 0));
		break;
	case 0xdb * 8 + 2: case 0xdb * 8 + 3: case 0xdb * 8 + 1:	/* FIST(P)/FISTTP m32 */
		mem_write(c, lin, 4, to_int(c, *st(c, 0), INT32_MIN, INT32_MAX, op == 1));
		break;
	case 0xdf * 8 + 2: case 0xdf * 8 + 3: case 0xdf * 8 + 1:	/* FIST(P)/FISTTP m16 */
		mem_write(c, lin, 2, to_int(c, *st(c, 0), INT16_MIN, INT16_MAX, op == 1));
		break;
	case 0xdf * 8 + 7: case 0xdd * 8 + 1:				/* FISTP/FISTTP m64 */
		mem_write(c, lin, 8, to_int(c, *st(c, 0), INT64_MIN, INT64_MAX, op == 1));
		fpop(c);
		return;
	case 0xd9 * 8 + 5:						/* FLDCW */
		c->fpu.fcw = mem_read(c, lin, 2);
		load_guest_cw(c);
		return;
	case 0xd9 * 8 + 7: mem_write(c, lin, 2, c->fpu.fcw); return;	/* FNSTCW */
	case 0xdd * 8 + 7:						/* FNSTSW m16 */
		mem_write(c, lin, 2, x87_status(c));
		return;
	default:
		raise_exc_noerr(c, EXC_UD);
	}
	/* The stores above: the P forms pop. */
	if (op == 3 || op == 7 || (op == 1 && i->opc != 0xd9))
		fpop(c);
}

void op_x87(struct tcg_vcpu *c, const struct insn *i)
{
	if (c->cr0 & (CR0_EM | CR0_TS))
		raise_exc_noerr(c, EXC_NM);
	if (i->is_reg)
		x87_reg(c, i);
	else
		x87_mem(c, i);
}

void op_fwait(struct tcg_vcpu *c, const struct insn *i)
{
	if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		raise_exc_noerr(c, EXC_NM);
}
