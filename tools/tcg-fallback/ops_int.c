// SPDX-License-Identifier: GPL-2.0
/*
 * Integer instructions.  Every handler performs all accesses that can fault
 * before it changes any register or flag, so that a faulting instruction
 * restarts from its own RIP with the state it started with.
 */
#include "ops.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

static inline __attribute__((always_inline))
uint64_t alu(struct tcg_vcpu *c, int op, int sz, uint64_t a, uint64_t b, uint64_t cf)
{
	uint64_t r;

	switch (op) {
	case ALU_ADD: r = a + b; set_cc(c, CC_ADD, sz, r, a, b); break;
	case ALU_OR: r = a | b; set_cc(c, CC_LOGIC, sz, r, 0, 0); break;
	case ALU_ADC:
		r = a + b + cf;
		set_cc(c, CC_ADC, sz, r, a, b);
		c->cc_c = cf;
		break;
	case ALU_SBB:
		r = a - b - cf;
		set_cc(c, CC_SBB, sz, r, a, b);
		c->cc_c = cf;
		break;
	case ALU_AND: r = a & b; set_cc(c, CC_LOGIC, sz, r, 0, 0); break;
	case ALU_XOR: r = a ^ b; set_cc(c, CC_LOGIC, sz, r, 0, 0); break;
	default: r = a - b; set_cc(c, CC_SUB, sz, r, a, b); break;
	}
	return r & size_mask(sz);
}

static inline uint64_t carry_in(struct tcg_vcpu *c, int op)
{
	return (op == ALU_ADC || op == ALU_SBB) ? get_cf(c) : 0;
}

/*
 * Read-modify-write of a memory operand: the page is translated for writing
 * first, so the write after the computation can no longer fault.
 */
static hot_inline uint64_t rmw_read(struct tcg_vcpu *c, uint64_t lin, int sz, void **h)
{
	struct tlb_entry *e = tlb_of(c, lin);

	/* The store fast path's test: a writable RAM page without code. */
	if (likely(e->tag_w == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000u - sz &&
		   !(*e->gen & GEN_CODE))) {
		*h = (void *)(uintptr_t)(lin + e->addend);
		return host_load(*h, sz);
	}
	*h = mem_host_ptr(c, lin, sz, true);
	if (*h)
		return host_load(*h, sz);
	/* MMIO or page-crossing: probe writability, then read. */
	mem_probe_write(c, lin, sz);
	return mem_read(c, lin, sz);
}

static hot_inline void rmw_write(struct tcg_vcpu *c, uint64_t lin, int sz, void *h,
			     uint64_t v)
{
	if (h)
		host_store(h, sz, v);
	else
		mem_write(c, lin, sz, v);
}

/* Compare-and-swap on host memory, for LOCKed operations. */
#define CAS_N(type) ({ \
	type o_ = *old; \
	bool r_ = __atomic_compare_exchange_n((type *)h, &o_, (type)nv, false, \
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	*old = o_; \
	r_; \
})

static bool cas(void *h, int sz, uint64_t *old, uint64_t nv)
{
	switch (sz) {
	case 1: return CAS_N(uint8_t);
	case 2: return CAS_N(uint16_t);
	case 4: return CAS_N(uint32_t);
	default: return CAS_N(uint64_t);
	}
}

/* r/m = op(r/m, b), atomically if LOCKed. */
static inline __attribute__((always_inline))
void alu_to_rm(struct tcg_vcpu *c, const struct insn *i, int op, int sz, uint64_t b)
{
	uint64_t a, r, cf = carry_in(c, op), lin;
	void *h;

	if (i->is_reg) {
		r = alu(c, op, sz, get_reg(c, i->rm, sz), b, cf);
		if (op != ALU_CMP)
			set_reg(c, i->rm, sz, r);
		return;
	}
	lin = ea_lin(c, i);
	if (op == ALU_CMP) {
		alu(c, op, sz, mem_read(c, lin, sz), b, cf);
		return;
	}
	a = rmw_read(c, lin, sz, &h);
	if (h && (i->pfx & PFX_LOCK)) {
		do
			r = alu(c, op, sz, a, b, cf);
		while (!cas(h, sz, &a, r));
		return;
	}
	r = alu(c, op, sz, a, b, cf);
	rmw_write(c, lin, sz, h, r);
}

/*
 * The ALU forms are templates: the decoder picks an instance for the
 * operation and operand size (see specialize()), so that the switches on
 * both fold away; op_alu_* are the generic entries of the opcode table.
 */
#define T static inline __attribute__((always_inline)) void

T alu_rm_r_t(struct tcg_vcpu *c, const struct insn *i, int op, int sz)
{
	alu_to_rm(c, i, op, sz, get_reg(c, i->reg, sz));
}

T alu_rm_imm_t(struct tcg_vcpu *c, const struct insn *i, int op, int sz)
{
	alu_to_rm(c, i, op, sz, i->imm & size_mask(sz));
}

T alu_r_rm_t(struct tcg_vcpu *c, const struct insn *i, int op, int sz)
{
	uint64_t b = rd_rm(c, i, sz);
	uint64_t r = alu(c, op, sz, get_reg(c, i->reg, sz), b, carry_in(c, op));

	if (op != ALU_CMP)
		set_reg(c, i->reg, sz, r);
}

T alu_acc_imm_t(struct tcg_vcpu *c, const struct insn *i, int op, int sz)
{
	uint64_t r = alu(c, op, sz, get_reg(c, R_AX, sz), i->imm & size_mask(sz),
			 carry_in(c, op));

	if (op != ALU_CMP)
		set_reg(c, R_AX, sz, r);
}

void op_alu_rm_r(struct tcg_vcpu *c, const struct insn *i)
{
	alu_to_rm(c, i, i->sub, i->opsz, get_reg(c, i->reg, i->opsz));
}

void op_alu_rm_imm(struct tcg_vcpu *c, const struct insn *i)
{
	alu_to_rm(c, i, i->sub, i->opsz, i->imm & size_mask(i->opsz));
}

void op_alu_r_rm(struct tcg_vcpu *c, const struct insn *i)
{
	alu_r_rm_t(c, i, i->sub, i->opsz);
}

void op_alu_acc_imm(struct tcg_vcpu *c, const struct insn *i)
{
	alu_acc_imm_t(c, i, i->sub, i->opsz);
}

void op_test_rm_r(struct tcg_vcpu *c, const struct insn *i)
{
	alu(c, ALU_AND, i->opsz, rd_rm(c, i, i->opsz), get_reg(c, i->reg, i->opsz), 0);
}

void op_test_rm_imm(struct tcg_vcpu *c, const struct insn *i)
{
	alu(c, ALU_AND, i->opsz, rd_rm(c, i, i->opsz), i->imm, 0);
}

void op_test_acc_imm(struct tcg_vcpu *c, const struct insn *i)
{
	alu(c, ALU_AND, i->opsz, get_reg(c, R_AX, i->opsz), i->imm, 0);
}

void op_incdec(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	uint64_t cf = get_cf(c), a, r, lin = 0;
	int kind = i->sub ? CC_DEC : CC_INC;
	uint64_t d = i->sub ? -1ull : 1;
	void *h = NULL;

	if (i->is_reg) {
		a = get_reg(c, i->rm, sz);
		set_reg(c, i->rm, sz, a + d);
	} else {
		lin = ea_lin(c, i);
		a = rmw_read(c, lin, sz, &h);
		if (h && (i->pfx & PFX_LOCK)) {
			while (!cas(h, sz, &a, (a + d) & size_mask(sz)))
				;
		} else {
			rmw_write(c, lin, sz, h, (a + d) & size_mask(sz));
		}
	}
	r = a + d;
	set_cc(c, kind, sz, r, a, 1);
	c->cc_c = cf;
}

/* NOT and NEG share the read-modify-write shape. */
static void unary(struct tcg_vcpu *c, const struct insn *i, bool neg)
{
	int sz = i->opsz;
	uint64_t a, lin;
	void *h;

	if (i->is_reg) {
		a = get_reg(c, i->rm, sz);
		set_reg(c, i->rm, sz, neg ? -a : ~a);
	} else {
		lin = ea_lin(c, i);
		a = rmw_read(c, lin, sz, &h);
		if (h && (i->pfx & PFX_LOCK))
			while (!cas(h, sz, &a, (neg ? -a : ~a) & size_mask(sz)))
				;
		else
			rmw_write(c, lin, sz, h, (neg ? -a : ~a) & size_mask(sz));
	}
	if (neg)
		set_cc(c, CC_SUB, sz, -a, 0, a);
}

void op_not(struct tcg_vcpu *c, const struct insn *i)
{
	unary(c, i, false);
}

void op_neg(struct tcg_vcpu *c, const struct insn *i)
{
	unary(c, i, true);
}

/* Flags of MUL/IMUL: CF=OF=overflow; SF/ZF/PF from the low half, AF=0. */
static void mul_flags(struct tcg_vcpu *c, int sz, uint64_t lo, bool ovf)
{
	set_cc(c, CC_CO, sz, lo, ovf, 0);
	c->cc_c = ovf;
}

void op_mul(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	unsigned __int128 p = (unsigned __int128)rd_rm(c, i, sz) * get_reg(c, R_AX, sz);
	uint64_t lo = (uint64_t)p & size_mask(sz);
	uint64_t hi = sz == 8 ? (uint64_t)(p >> 64) : (uint64_t)p >> (sz * 8);

	if (sz == 1)
		set_reg(c, R_AX, 2, (uint16_t)p);
	else {
		set_reg(c, R_AX, sz, lo);
		set_reg(c, R_DX, sz, hi);
	}
	mul_flags(c, sz, lo, hi != 0);
}

static uint64_t imul(struct tcg_vcpu *c, int sz, uint64_t a, uint64_t b, uint64_t *hi)
{
	__int128 p = (__int128)(int64_t)sext(a, sz) * (int64_t)sext(b, sz);
	uint64_t lo = (uint64_t)p & size_mask(sz);

	*hi = sz == 8 ? (uint64_t)(p >> 64) : (uint64_t)(p >> (sz * 8)) & size_mask(sz);
	mul_flags(c, sz, lo, p != (__int128)(int64_t)sext(lo, sz));
	return lo;
}

void op_imul1(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	uint64_t hi, lo = imul(c, sz, get_reg(c, R_AX, sz), rd_rm(c, i, sz), &hi);

	if (sz == 1) {
		set_reg(c, R_AX, 2, (hi << 8) | lo);
	} else {
		set_reg(c, R_AX, sz, lo);
		set_reg(c, R_DX, sz, hi);
	}
}

void op_imul2(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t hi;
	uint64_t b = rd_rm(c, i, i->opsz);

	set_reg(c, i->reg, i->opsz, imul(c, i->opsz, get_reg(c, i->reg, i->opsz), b, &hi));
}

void op_imul3(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t hi;
	uint64_t b = rd_rm(c, i, i->opsz);

	set_reg(c, i->reg, i->opsz, imul(c, i->opsz, b, i->imm, &hi));
}

void op_div(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	uint64_t d = rd_rm(c, i, sz);
	unsigned __int128 n, q;

	if (!d)
		raise_exc_noerr(c, EXC_DE);
	if (sz == 1)
		n = get_reg(c, R_AX, 2);
	else
		n = ((unsigned __int128)get_reg(c, R_DX, sz) << (sz * 8)) | get_reg(c, R_AX, sz);
	q = n / d;
	if (q > size_mask(sz))
		raise_exc_noerr(c, EXC_DE);
	if (sz == 1) {
		set_reg(c, R_AX, 2, ((uint64_t)(n % d) << 8) | (uint64_t)q);
	} else {
		set_reg(c, R_AX, sz, (uint64_t)q);
		set_reg(c, R_DX, sz, (uint64_t)(n % d));
	}
}

void op_idiv(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	int64_t d = sext(rd_rm(c, i, sz), sz);
	__int128 n, q, lim = (__int128)1 << (sz * 8 - 1);

	if (!d)
		raise_exc_noerr(c, EXC_DE);
	if (sz == 1)
		n = (int16_t)get_reg(c, R_AX, 2);
	else
		/* Shift unsigned, then sign-extend: a signed left shift of a
		 * negative value is undefined in C. */
		n = (__int128)((((unsigned __int128)get_reg(c, R_DX, sz) << (sz * 8)) |
				get_reg(c, R_AX, sz)) << (128 - sz * 16)) >> (128 - sz * 16);
	/*
	 * By -1 the quotient -n overflows exactly when n <= -lim (#DE below
	 * too); catching it here also keeps C from dividing INT128_MIN by -1.
	 */
	if (d == -1 && n <= -lim)
		raise_exc_noerr(c, EXC_DE);
	q = n / d;
	if (q >= lim || q < -lim)
		raise_exc_noerr(c, EXC_DE);
	if (sz == 1) {
		set_reg(c, R_AX, 2, (((uint64_t)(n % d) & 0xff) << 8) | ((uint64_t)q & 0xff));
	} else {
		set_reg(c, R_AX, sz, (uint64_t)q);
		set_reg(c, R_DX, sz, (uint64_t)(n % d));
	}
}

void push(struct tcg_vcpu *c, int sz, uint64_t v)
{
	uint64_t sp = (c->r[R_SP] - sz) & sp_mask(c);

	mem_write(c, seg_lin(c, S_SS, sp), sz, v);
	c->r[R_SP] = (c->r[R_SP] & ~sp_mask(c)) | sp;
}

uint64_t pop(struct tcg_vcpu *c, int sz)
{
	uint64_t sp = c->r[R_SP] & sp_mask(c);
	uint64_t v = mem_read(c, seg_lin(c, S_SS, sp), sz);

	c->r[R_SP] = (c->r[R_SP] & ~sp_mask(c)) | ((sp + sz) & sp_mask(c));
	return v;
}

/*
 * PUSH and POP of 64-bit values in 64-bit code, the common case: a flat
 * stack (no size mask, no segment base), so the TLB hit path is inline.
 * As in push()/pop(), RSP changes only after the access succeeded.
 */
static hot_inline void push_fast(struct tcg_vcpu *c, int sz, uint64_t v)
{
	uint64_t sp = c->r[R_SP] - 8;

	if (sz != 8 || c->code_mode != 8) {
		push(c, sz, v);
		return;
	}
	mem_write(c, sp, 8, v);
	c->r[R_SP] = sp;
}

static hot_inline uint64_t pop_fast(struct tcg_vcpu *c, int sz)
{
	uint64_t v;

	if (sz != 8 || c->code_mode != 8)
		return pop(c, sz);
	v = mem_read(c, c->r[R_SP], 8);
	c->r[R_SP] += 8;
	return v;
}

void op_push_r(struct tcg_vcpu *c, const struct insn *i)
{
	push(c, i->opsz, get_reg(c, i->reg, i->opsz));
}

void op_pop_r(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, i->reg, i->opsz, pop(c, i->opsz));
}

void op_push_imm(struct tcg_vcpu *c, const struct insn *i)
{
	push_fast(c, i->opsz, i->imm);
}

void op_push_rm(struct tcg_vcpu *c, const struct insn *i)
{
	push_fast(c, i->opsz, rd_rm(c, i, i->opsz));
}

void op_pop_rm(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t sp = c->r[R_SP], v;

	v = mem_read(c, seg_lin(c, S_SS, sp & sp_mask(c)), i->opsz);
	/* The destination address is computed with the incremented RSP. */
	c->r[R_SP] = (sp & ~sp_mask(c)) | ((sp + i->opsz) & sp_mask(c));
	if (!i->is_reg) {
		uint64_t lin = ea_lin(c, i);

		c->r[R_SP] = sp;
		mem_write(c, lin, i->opsz, v);
		c->r[R_SP] = (sp & ~sp_mask(c)) | ((sp + i->opsz) & sp_mask(c));
		return;
	}
	set_reg(c, i->rm, i->opsz, v);
}

void op_pusha(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t sp = c->r[R_SP];
	int r, sz = i->opsz;

	for (r = 0; r < 8; r++) {
		uint64_t v = r == R_SP ? sp : c->r[r];

		mem_write(c, seg_lin(c, S_SS, (sp - (r + 1) * sz) & sp_mask(c)), sz, v);
	}
	c->r[R_SP] = (sp & ~sp_mask(c)) | ((sp - 8 * sz) & sp_mask(c));
}

void op_popa(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t sp = c->r[R_SP], v[8];
	int r, sz = i->opsz;

	for (r = 0; r < 8; r++)
		v[7 - r] = mem_read(c, seg_lin(c, S_SS, (sp + r * sz) & sp_mask(c)), sz);
	for (r = 0; r < 8; r++)
		if (r != R_SP)
			set_reg(c, r, sz, v[r]);
	c->r[R_SP] = (sp & ~sp_mask(c)) | ((sp + 8 * sz) & sp_mask(c));
}

void op_movsxd(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, i->reg, i->opsz, (int64_t)(int32_t)rd_rm(c, i, 4));
}

void op_movzx(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, i->reg, i->opsz, rd_rm(c, i, i->sub));
}

void op_movsx(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, i->reg, i->opsz, sext(rd_rm(c, i, i->sub), i->sub));
}

static uint64_t branch_target(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t t = c->r[R_NEXT_RIP] + i->imm;

	return i->opsz == 8 ? t : t & size_mask(i->opsz);
}

void op_jcc(struct tcg_vcpu *c, const struct insn *i)
{
	if (test_cc(c, i->sub)) {
		c->r[R_NEXT_RIP] = branch_target(c, i);
		c->stop = 1;
	}
}

void op_jmp_rel(struct tcg_vcpu *c, const struct insn *i)
{
	c->r[R_NEXT_RIP] = branch_target(c, i);
}

void op_call_rel(struct tcg_vcpu *c, const struct insn *i)
{
	push_fast(c, i->opsz, c->r[R_NEXT_RIP]);
	c->r[R_NEXT_RIP] = branch_target(c, i);
}

void op_jmp_ind(struct tcg_vcpu *c, const struct insn *i)
{
	branch_to(c, rd_rm(c, i, i->opsz));
}

void op_call_ind(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t t = rd_rm(c, i, i->opsz), sp = c->r[R_SP];

	push_fast(c, i->opsz, c->r[R_NEXT_RIP]);
	if (c->code_mode == 8 && (uint64_t)((int64_t)(t << 16) >> 16) != t) {
		c->r[R_SP] = sp;
		raise_exc(c, EXC_GP, 0);
	}
	c->r[R_NEXT_RIP] = t;
}

void op_ret(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t sp = c->r[R_SP];
	uint64_t t = pop_fast(c, i->opsz);

	if (c->code_mode == 8 && (uint64_t)((int64_t)(t << 16) >> 16) != t) {
		c->r[R_SP] = sp;
		raise_exc(c, EXC_GP, 0);
	}
	if (i->imm)
		c->r[R_SP] = (c->r[R_SP] & ~sp_mask(c)) |
			     ((c->r[R_SP] + (i->imm & 0xffff)) & sp_mask(c));
	c->r[R_NEXT_RIP] = t;
}

void op_loop(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t m = size_mask(i->adsz);
	uint64_t cx = (c->r[R_CX] - (i->sub != 3)) & m;
	bool take;

	switch (i->sub) {
	case 0: take = cx && !(get_flags(c) & F_ZF); break;	/* LOOPNE */
	case 1: take = cx && (get_flags(c) & F_ZF); break;	/* LOOPE */
	case 2: take = cx; break;				/* LOOP */
	default: take = !cx; break;				/* JrCXZ */
	}
	if (i->sub != 3)
		c->r[R_CX] = (c->r[R_CX] & ~m) | cx;
	if (take)
		c->r[R_NEXT_RIP] = branch_target(c, i);
}

void op_enter(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz, level = i->imm2 & 31, k;
	uint64_t m = sp_mask(c), sp = c->r[R_SP] & m, bp = c->r[R_BP];
	uint64_t frame;

	sp = (sp - sz) & m;
	mem_write(c, seg_lin(c, S_SS, sp), sz, bp);
	frame = sp;
	for (k = 1; k < level; k++) {
		uint64_t v = mem_read(c, seg_lin(c, S_SS, (bp - k * sz) & m), sz);

		sp = (sp - sz) & m;
		mem_write(c, seg_lin(c, S_SS, sp), sz, v);
	}
	if (level) {
		sp = (sp - sz) & m;
		mem_write(c, seg_lin(c, S_SS, sp), sz, frame);
	}
	sp = (sp - (i->imm & 0xffff)) & m;
	/* Probe the lowest byte of the new frame, as the CPU does. */
	mem_probe_write(c, seg_lin(c, S_SS, sp), 1);
	set_reg(c, R_BP, sz, frame);
	c->r[R_SP] = (c->r[R_SP] & ~m) | sp;
}

void op_leave(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t m = sp_mask(c), bp = c->r[R_BP] & m;
	uint64_t v = mem_read(c, seg_lin(c, S_SS, bp), i->opsz);

	c->r[R_SP] = (c->r[R_SP] & ~m) | ((bp + i->opsz) & m);
	set_reg(c, R_BP, i->opsz, v);
}

void op_mov_rm_r(struct tcg_vcpu *c, const struct insn *i)
{
	wr_rm(c, i, i->opsz, get_reg(c, i->reg, i->opsz));
}

void op_mov_r_rm(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, i->reg, i->opsz, rd_rm(c, i, i->opsz));
}

void op_mov_r_imm(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, i->reg, i->opsz, i->imm);
}

void op_mov_rm_imm(struct tcg_vcpu *c, const struct insn *i)
{
	wr_rm(c, i, i->opsz, i->imm);
}

void op_lea(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t a = (uint64_t)(int64_t)i->disp + c->r[i->base] +
		     (c->r[i->index] << i->scale);

	set_reg(c, i->reg, i->opsz, a & size_mask(i->adsz));
}

void op_nop(struct tcg_vcpu *c, const struct insn *i)
{
}

void op_xchg_acc(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t a = get_reg(c, R_AX, i->opsz);

	set_reg(c, R_AX, i->opsz, get_reg(c, i->reg, i->opsz));
	set_reg(c, i->reg, i->opsz, a);
}

void op_xchg_rm_r(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	uint64_t r = get_reg(c, i->reg, sz), old, lin;
	void *h;

	if (i->is_reg) {
		old = get_reg(c, i->rm, sz);
		set_reg(c, i->rm, sz, r);
	} else {
		lin = ea_lin(c, i);
		old = rmw_read(c, lin, sz, &h);
		if (h)	/* XCHG with memory is always locked */
			while (!cas(h, sz, &old, r))
				;
		else
			mem_write(c, lin, sz, r);
	}
	set_reg(c, i->reg, sz, old);
}

void op_xadd(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	uint64_t b = get_reg(c, i->reg, sz), a, lin;
	void *h;

	if (i->is_reg) {
		a = get_reg(c, i->rm, sz);
		set_reg(c, i->reg, sz, a);
		set_reg(c, i->rm, sz, a + b);
	} else {
		lin = ea_lin(c, i);
		a = rmw_read(c, lin, sz, &h);
		if (h && (i->pfx & PFX_LOCK))
			while (!cas(h, sz, &a, (a + b) & size_mask(sz)))
				;
		else
			rmw_write(c, lin, sz, h, (a + b) & size_mask(sz));
		set_reg(c, i->reg, sz, a);
	}
	set_cc(c, CC_ADD, sz, a + b, a, b);
}

void op_cmpxchg(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;
	uint64_t acc = get_reg(c, R_AX, sz), src = get_reg(c, i->reg, sz), old, lin;
	void *h;

	if (i->is_reg) {
		old = get_reg(c, i->rm, sz);
		if (old == acc)
			set_reg(c, i->rm, sz, src);
	} else {
		lin = ea_lin(c, i);
		old = rmw_read(c, lin, sz, &h);
		if (h) {
			old = acc;
			cas(h, sz, &old, src);
		} else {
			rmw_write(c, lin, sz, h, old == acc ? src : old);
		}
	}
	set_cc(c, CC_SUB, sz, acc - old, acc, old);
	if (old != acc)
		set_reg(c, R_AX, sz, old);
}

void op_cmpxchg8b(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t lin = ea_lin(c, i), f;
	bool wide = i->opsz == 8, ok;
	void *h;

	if (i->is_reg)
		raise_exc_noerr(c, EXC_UD);
	if (wide && (lin & 15))
		raise_exc(c, EXC_GP, 0);
	h = mem_host_ptr(c, lin, wide ? 16 : 8, true);
	if (!h)
		internal_error(c, "CMPXCHG%s on MMIO or across pages at %#llx",
			       wide ? "16B" : "8B", (unsigned long long)lin);
	if (wide) {
		unsigned __int128 exp = ((unsigned __int128)c->r[R_DX] << 64) | c->r[R_AX];
		unsigned __int128 nv = ((unsigned __int128)c->r[R_CX] << 64) | c->r[R_BX];

		/* __sync, not __atomic: gcc inlines CMPXCHG16B only for it */
		unsigned __int128 old = __sync_val_compare_and_swap(
			(unsigned __int128 *)h, exp, nv);

		ok = old == exp;
		if (!ok) {
			c->r[R_AX] = (uint64_t)old;
			c->r[R_DX] = (uint64_t)(old >> 64);
		}
	} else {
		uint64_t exp = ((c->r[R_DX] & 0xffffffff) << 32) | (c->r[R_AX] & 0xffffffff);
		uint64_t nv = ((c->r[R_CX] & 0xffffffff) << 32) | (c->r[R_BX] & 0xffffffff);

		ok = __atomic_compare_exchange_n((uint64_t *)h, &exp, nv, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		if (!ok) {
			c->r[R_AX] = (uint32_t)exp;
			c->r[R_DX] = exp >> 32;
		}
	}
	f = get_flags(c) & ~(uint64_t)F_ZF;
	set_flags(c, f | (ok ? F_ZF : 0));
}

void op_cbw(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;

	set_reg(c, R_AX, sz, sext(get_reg(c, R_AX, sz / 2), sz / 2));
}

void op_cwd(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz;

	set_reg(c, R_DX, sz, (get_reg(c, R_AX, sz) >> (sz * 8 - 1)) & 1 ? ~0ull : 0);
}

void op_sahf(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t f = get_flags(c) & ~0xd5ull;

	set_flags(c, f | ((c->r[R_AX] >> 8) & 0xd5));
}

void op_lahf(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, R_AX | REG_HIGH8, 1, (get_flags(c) & 0xd5) | 2);
}

void op_salc(struct tcg_vcpu *c, const struct insn *i)
{
	set_reg(c, R_AX, 1, (get_flags(c) & F_CF) ? 0xff : 0);
}

void op_cmc(struct tcg_vcpu *c, const struct insn *i)
{
	set_flags(c, get_flags(c) ^ F_CF);
}

/* CLC STC CLD STD: sub is 0/1 for CF, 2/3 for DF. */
void op_flagop(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t bit = i->sub < 2 ? F_CF : F_DF, f = get_flags(c) & ~bit;

	set_flags(c, f | ((i->sub & 1) ? bit : 0));
}

void op_mov_moffs(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t off = (uint64_t)i->imm & size_mask(i->adsz);
	uint64_t lin = seg_lin(c, i->seg, off);

	if (i->sub)
		mem_write(c, lin, i->opsz, get_reg(c, R_AX, i->opsz));
	else
		set_reg(c, R_AX, i->opsz, mem_read(c, lin, i->opsz));
}

void op_xlat(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t off = (c->r[R_BX] + (c->r[R_AX] & 0xff)) & size_mask(i->adsz);

	set_reg(c, R_AX, 1, mem_read(c, seg_lin(c, i->seg, off), 1));
}

void op_cmov(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t v = rd_rm(c, i, i->opsz);

	if (test_cc(c, i->sub))
		set_reg(c, i->reg, i->opsz, v);
	else if (i->opsz == 4)
		c->r[i->reg] &= 0xffffffff;
}

void op_setcc(struct tcg_vcpu *c, const struct insn *i)
{
	wr_rm(c, i, 1, test_cc(c, i->sub));
}

void op_bswap(struct tcg_vcpu *c, const struct insn *i)
{
	if (i->opsz == 8)
		c->r[i->reg] = __builtin_bswap64(c->r[i->reg]);
	else if (i->opsz == 4)
		c->r[i->reg] = __builtin_bswap32(c->r[i->reg]);
	else	/* 16-bit BSWAP is undefined; the CPU clears the register half */
		set_reg(c, i->reg, 2, 0);
}

/* Shifts and rotates: i->reg is the operation, i->sub the count source. */
static uint64_t shift(struct tcg_vcpu *c, int op, int sz, uint64_t a, int n,
		      uint64_t *fl)
{
	int bits = sz * 8;
	uint64_t m = size_mask(sz), r, f = *fl & ~(uint64_t)F_ARITH, cf, of;
	uint64_t sign = 1ull << (bits - 1);
	int k;

	switch (op) {
	case 0:	/* ROL */
		k = n % bits;
		r = k ? ((a << k) | (a >> (bits - k))) & m : a;
		cf = r & 1;
		of = ((r & sign) ? 1 : 0) ^ cf;
		*fl = (*fl & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
		return r;
	case 1:	/* ROR */
		k = n % bits;
		r = k ? ((a >> k) | (a << (bits - k))) & m : a;
		cf = (r & sign) ? 1 : 0;
		of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
		*fl = (*fl & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
		return r;
	case 2:	/* RCL */
	case 3:	/* RCR */
		cf = *fl & F_CF ? 1 : 0;
		r = a;
		for (k = n % (bits + 1); k; k--) {
			uint64_t out;

			if (op == 2) {
				out = (r & sign) ? 1 : 0;
				r = ((r << 1) | cf) & m;
			} else {
				out = r & 1;
				r = (r >> 1) | (cf ? sign : 0);
			}
			cf = out;
		}
		if (op == 2)
			of = ((r & sign) ? 1 : 0) ^ cf;
		else
			of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
		*fl = (*fl & ~(uint64_t)(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
		return r;
	case 4:	/* SHL */
	case 6:
		r = n < 64 ? (a << n) & m : 0;
		cf = n <= bits ? (a >> (bits - n)) & 1 : 0;
		of = ((r & sign) ? 1 : 0) ^ cf;
		break;
	case 5:	/* SHR */
		r = n < 64 ? a >> n : 0;
		cf = (a >> (n - 1)) & 1;
		of = (a & sign) ? 1 : 0;
		break;
	default:	/* SAR */
		r = (uint64_t)((int64_t)sext(a, sz) >> (n < 64 ? n : 63)) & m;
		cf = ((int64_t)sext(a, sz) >> (n - 1 < 63 ? n - 1 : 63)) & 1;
		of = 0;
		break;
	}
	f |= cf ? F_CF : 0;
	f |= of ? F_OF : 0;
	f |= r ? 0 : F_ZF;
	f |= (r & sign) ? F_SF : 0;
	f |= __builtin_parity(r & 0xff) ? 0 : F_PF;
	*fl = f;
	return r;
}

/*
 * The count and operand of a shift or rotate, read before anything changes.
 * False for a count of 0: no flags change, but a 32-bit register is still
 * written (its upper half cleared), and the instruction is done.
 */
static inline bool shift_operands(struct tcg_vcpu *c, const struct insn *i,
				  int sz, int *n, uint64_t *a, uint64_t *lin,
				  void **h)
{
	*n = i->sub == 0 ? 1 : i->sub == 1 ? c->r[R_CX] & 0xff : i->imm & 0xff;
	*n &= sz == 8 ? 63 : 31;
	if (i->is_reg) {
		*a = get_reg(c, i->rm, sz);
	} else {
		*lin = ea_lin(c, i);
		*a = rmw_read(c, *lin, sz, h);
	}
	if (*n)
		return true;
	if (i->is_reg && sz == 4)
		set_reg(c, i->rm, 4, *a);
	return false;
}

void op_shift(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz, n, op = i->reg & 7;
	uint64_t a, r, f, lin = 0;
	void *h = NULL;

	if (!shift_operands(c, i, sz, &n, &a, &lin, &h))
		return;
	f = get_flags(c);
	r = shift(c, op, sz, a, n, &f);
	if (i->is_reg)
		set_reg(c, i->rm, sz, r);
	else
		rmw_write(c, lin, sz, h, r);
	set_flags(c, f);
}

/* SHLD/SHRD: sub bit 0 = right, bit 1 = count in CL. */
void op_shxd(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz, bits = sz * 8, n;
	uint64_t a, b = get_reg(c, i->reg, sz), r, f, lin = 0, m = size_mask(sz);
	unsigned __int128 w;
	void *h = NULL;

	n = (i->sub & 2) ? c->r[R_CX] & 0xff : i->imm & 0xff;
	n &= sz == 8 ? 63 : 31;
	if (i->is_reg) {
		a = get_reg(c, i->rm, sz);
	} else {
		lin = ea_lin(c, i);
		a = rmw_read(c, lin, sz, &h);
	}
	if (!n) {
		if (i->is_reg && sz == 4)
			set_reg(c, i->rm, 4, a);
		return;
	}
	f = get_flags(c) & ~(uint64_t)F_ARITH;
	if (i->sub & 1) {
		w = ((unsigned __int128)b << bits) | a;
		r = (uint64_t)(w >> n) & m;
		f |= (a >> (n - 1)) & 1 ? F_CF : 0;
	} else {
		w = ((unsigned __int128)a << bits) | b;
		r = (uint64_t)((w << n) >> bits) & m;
		f |= (uint64_t)((w << (n - 1)) >> (2 * bits - 1)) & 1 ? F_CF : 0;
	}
	if ((r ^ a) & (1ull << (bits - 1)))
		f |= F_OF;
	f |= r ? 0 : F_ZF;
	f |= (r >> (bits - 1)) & 1 ? F_SF : 0;
	f |= __builtin_parity(r & 0xff) ? 0 : F_PF;
	if (i->is_reg)
		set_reg(c, i->rm, sz, r);
	else
		rmw_write(c, lin, sz, h, r);
	set_flags(c, f);
}

static uint64_t bit_op(int op, uint64_t a, uint64_t bit)
{
	switch (op) {
	case 1: return a | bit;
	case 2: return a & ~bit;
	case 3: return a ^ bit;
	default: return a;
	}
}

/* BT/BTS/BTR/BTC: sub = operation (0-3) | 4 if the offset is immediate. */
void op_bt(struct tcg_vcpu *c, const struct insn *i)
{
	int sz = i->opsz, op = i->sub & 3;
	int64_t off;
	uint64_t a, bit, r, lin = 0, f;
	void *h = NULL;

	if (i->sub & 4)
		off = i->imm & (sz * 8 - 1);
	else
		off = (int64_t)sext(get_reg(c, i->reg, sz), sz);
	if (i->is_reg) {
		off &= sz * 8 - 1;
		a = get_reg(c, i->rm, sz);
	} else {
		lin = ea_lin(c, i);
		if (!(i->sub & 4)) {
			lin += (off >> (sz == 8 ? 6 : sz == 4 ? 5 : 4)) * sz;
			if (c->code_mode != 8)
				lin = (uint32_t)lin;
		}
		off &= sz * 8 - 1;
		a = op ? rmw_read(c, lin, sz, &h) : mem_read(c, lin, sz);
	}
	bit = 1ull << off;
	r = bit_op(op, a, bit);
	if (op) {
		if (i->is_reg) {
			set_reg(c, i->rm, sz, r);
		} else if (h && (i->pfx & PFX_LOCK)) {
			while (!cas(h, sz, &a, bit_op(op, a, bit)))
				;
		} else {
			rmw_write(c, lin, sz, h, r);
		}
	}
	f = get_flags(c) & ~(uint64_t)F_CF;
	set_flags(c, f | ((a & bit) ? F_CF : 0));
}

static void bitscan_flags(struct tcg_vcpu *c, bool zf, bool cf)
{
	uint64_t f = get_flags(c) & ~(uint64_t)(F_ZF | F_CF);

	set_flags(c, f | (zf ? F_ZF : 0) | (cf ? F_CF : 0));
}

void op_bsf(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t v = rd_rm(c, i, i->opsz);

	if (v)
		set_reg(c, i->reg, i->opsz, __builtin_ctzll(v));
	bitscan_flags(c, !v, false);
}

void op_bsr(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t v = rd_rm(c, i, i->opsz);

	if (v)
		set_reg(c, i->reg, i->opsz, 63 - __builtin_clzll(v));
	bitscan_flags(c, !v, false);
}

void op_lzcnt(struct tcg_vcpu *c, const struct insn *i)
{
	int bits = i->opsz * 8;
	uint64_t v = rd_rm(c, i, i->opsz);
	int n = v ? __builtin_clzll(v) - (64 - bits) : bits;

	set_reg(c, i->reg, i->opsz, n);
	bitscan_flags(c, n == 0, n == bits);
}

void op_popcnt(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t v = rd_rm(c, i, i->opsz);

	set_reg(c, i->reg, i->opsz, __builtin_popcountll(v));
	set_flags(c, (get_flags(c) & ~(uint64_t)F_ARITH) | (v ? 0 : F_ZF));
}

/*
 * String instructions.  Registers are updated after each element, so a
 * fault in the middle of REP leaves a restartable state; a REP runs at most
 * a bounded number of iterations per dispatch so that interrupts and kicks
 * are seen.
 */
#define REP_CHUNK	4096

static int str_step(struct tcg_vcpu *c, const struct insn *i)
{
	int d = i->opsz;

	return (c->flags & F_DF) ? -d : d;
}

static void adv(struct tcg_vcpu *c, int r, int adsz, int64_t d)
{
	uint64_t m = size_mask(adsz);

	c->r[r] = (c->r[r] & ~m) | ((c->r[r] + d) & m);
}

/* Returns the iteration count to run, 0 for a REP with RCX = 0. */
static uint64_t rep_count(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n;

	if (!(i->pfx & (PFX_REP | PFX_REPNE)))
		return 1;
	n = c->r[R_CX] & size_mask(i->adsz);
	return n;
}

/* After a chunk: continue the same instruction if RCX is not yet zero. */
static void rep_done(struct tcg_vcpu *c, const struct insn *i)
{
	if ((i->pfx & (PFX_REP | PFX_REPNE)) && (c->r[R_CX] & size_mask(i->adsz))) {
		c->r[R_NEXT_RIP] = c->rip;
		c->stop = 1;
	}
}

static void rep_dec(struct tcg_vcpu *c, const struct insn *i)
{
	if (i->pfx & (PFX_REP | PFX_REPNE))
		adv(c, R_CX, i->adsz, -1);
}

static uint64_t si_lin(struct tcg_vcpu *c, const struct insn *i)
{
	return seg_lin(c, i->seg, c->r[R_SI] & size_mask(i->adsz));
}

static uint64_t di_lin(struct tcg_vcpu *c, const struct insn *i)
{
	return seg_lin(c, S_ES, c->r[R_DI] & size_mask(i->adsz));
}

/* Fast REP STOS/MOVS forward within one page of RAM each. */
static bool rep_fast(struct tcg_vcpu *c, const struct insn *i, bool movs, uint64_t *n)
{
	uint64_t dl = di_lin(c, i), sl = movs ? si_lin(c, i) : 0, k, room;
	int sz = i->opsz;
	uint8_t *d, *s = NULL;

	if ((c->flags & F_DF) || (dl & (sz - 1)))
		return false;
	room = (0x1000 - (dl & 0xfff)) / sz;
	if (movs) {
		if (sl & (sz - 1))
			return false;
		k = (0x1000 - (sl & 0xfff)) / sz;
		room = k < room ? k : room;
	}
	if (room > *n)
		room = *n;
	if (!room)
		return false;
	if (movs) {
		s = mem_host_ptr(c, sl, sz, false);
		if (!s)
			return false;
	}
	d = mem_host_ptr(c, dl, sz, true);
	if (!d)
		return false;
	if (movs) {
		if (s < d && s + room * sz > d)
			return false;	/* overlapping forward copy: element-wise */
		memmove(d, s, room * sz);
		adv(c, R_SI, i->adsz, room * sz);
	} else if (sz == 1) {
		memset(d, c->r[R_AX], room);
	} else {
		for (k = 0; k < room; k++)
			host_store(d + k * sz, sz, c->r[R_AX]);
	}
	adv(c, R_DI, i->adsz, room * sz);
	if (i->pfx & (PFX_REP | PFX_REPNE))
		adv(c, R_CX, i->adsz, -(int64_t)room);
	*n -= room;
	return true;
}

void op_movs(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n = rep_count(c, i), lim = n > REP_CHUNK ? REP_CHUNK : n;
	int sz = i->opsz, d = str_step(c, i);

	while (lim && n > 1 && rep_fast(c, i, true, &lim))
		;
	for (; lim; lim--) {
		uint64_t v = mem_read(c, si_lin(c, i), sz);

		mem_write(c, di_lin(c, i), sz, v);
		adv(c, R_SI, i->adsz, d);
		adv(c, R_DI, i->adsz, d);
		rep_dec(c, i);
	}
	rep_done(c, i);
}

void op_stos(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n = rep_count(c, i), lim = n > REP_CHUNK ? REP_CHUNK : n;
	int sz = i->opsz, d = str_step(c, i);

	while (lim && n > 1 && rep_fast(c, i, false, &lim))
		;
	for (; lim; lim--) {
		mem_write(c, di_lin(c, i), sz, c->r[R_AX]);
		adv(c, R_DI, i->adsz, d);
		rep_dec(c, i);
	}
	rep_done(c, i);
}

void op_lods(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n = rep_count(c, i), lim = n > REP_CHUNK ? REP_CHUNK : n;
	int sz = i->opsz, d = str_step(c, i);

	for (; lim; lim--) {
		set_reg(c, R_AX, sz, mem_read(c, si_lin(c, i), sz));
		adv(c, R_SI, i->adsz, d);
		rep_dec(c, i);
	}
	rep_done(c, i);
}

/* CMPS/SCAS: REPE stops on inequality, REPNE on equality. */
static bool rep_cond_stop(struct tcg_vcpu *c, const struct insn *i, uint64_t a, uint64_t b)
{
	if (i->pfx & PFX_REP)
		return a != b;
	if (i->pfx & PFX_REPNE)
		return a == b;
	return false;
}

static void rep_cond_end(struct tcg_vcpu *c, const struct insn *i, bool stopped)
{
	if (!stopped)
		rep_done(c, i);
}

void op_cmps(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n = rep_count(c, i), lim = n > REP_CHUNK ? REP_CHUNK : n;
	int sz = i->opsz, d = str_step(c, i);
	bool stop = false;

	for (; lim && !stop; lim--) {
		uint64_t a = mem_read(c, si_lin(c, i), sz);
		uint64_t b = mem_read(c, di_lin(c, i), sz);

		set_cc(c, CC_SUB, sz, a - b, a, b);
		adv(c, R_SI, i->adsz, d);
		adv(c, R_DI, i->adsz, d);
		rep_dec(c, i);
		stop = rep_cond_stop(c, i, a, b);
	}
	rep_cond_end(c, i, stop);
}

void op_scas(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n = rep_count(c, i), lim = n > REP_CHUNK ? REP_CHUNK : n;
	int sz = i->opsz, d = str_step(c, i);
	bool stop = false;

	for (; lim && !stop; lim--) {
		uint64_t a = get_reg(c, R_AX, sz);
		uint64_t b = mem_read(c, di_lin(c, i), sz);

		set_cc(c, CC_SUB, sz, a - b, a, b);
		adv(c, R_DI, i->adsz, d);
		rep_dec(c, i);
		stop = rep_cond_stop(c, i, a, b);
	}
	rep_cond_end(c, i, stop);
}

void op_ins(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n = rep_count(c, i), lim = n > REP_CHUNK ? REP_CHUNK : n;
	/* REX.W does not widen port I/O beyond 32 bits */
	int sz = i->opsz == 8 ? 4 : i->opsz;
	int d = (c->flags & F_DF) ? -sz : sz;
	uint16_t port = c->r[R_DX];

	io_check(c, port, sz);
	for (; lim; lim--) {
		uint64_t lin = di_lin(c, i), v = 0;

		mem_probe_write(c, lin, sz);	/* fault before the port read */
		io_access(c, port, &v, sz, false);
		mem_write(c, lin, sz, v);
		adv(c, R_DI, i->adsz, d);
		rep_dec(c, i);
	}
	rep_done(c, i);
}

void op_outs(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t n = rep_count(c, i), lim = n > REP_CHUNK ? REP_CHUNK : n;
	/* REX.W does not widen port I/O beyond 32 bits */
	int sz = i->opsz == 8 ? 4 : i->opsz;
	int d = (c->flags & F_DF) ? -sz : sz;
	uint16_t port = c->r[R_DX];

	io_check(c, port, sz);
	for (; lim; lim--) {
		uint64_t v = mem_read(c, si_lin(c, i), sz);

		io_access(c, port, &v, sz, true);
		adv(c, R_SI, i->adsz, d);
		rep_dec(c, i);
	}
	rep_done(c, i);
}

void op_pushf(struct tcg_vcpu *c, const struct insn *i)
{
	if ((c->flags & F_VM) && ((c->flags & F_IOPL) >> 12) < 3)
		raise_exc(c, EXC_GP, 0);
	push(c, i->opsz, get_flags(c) & ~(uint64_t)(F_VM | F_RF));
}

void op_popf(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t old = get_flags(c), v = pop(c, i->opsz);
	uint64_t mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID;
	int iopl = (old & F_IOPL) >> 12;

	if (c->cpl == 0)
		mask |= F_IOPL;
	if (c->cpl <= iopl)
		mask |= F_IF;
	if (i->opsz == 2)
		mask &= 0xffff;
	set_flags(c, (old & ~mask) | (v & mask));
}

/* Instances of the hot templates, by operation/condition and operand size. */
#define INST_SZ(tmpl, x) \
	static void tmpl##_##x##_1(struct tcg_vcpu *c, const struct insn *i) { tmpl(c, i, x, 1); } \
	static void tmpl##_##x##_2(struct tcg_vcpu *c, const struct insn *i) { tmpl(c, i, x, 2); } \
	static void tmpl##_##x##_4(struct tcg_vcpu *c, const struct insn *i) { tmpl(c, i, x, 4); } \
	static void tmpl##_##x##_8(struct tcg_vcpu *c, const struct insn *i) { tmpl(c, i, x, 8); }
#define INST8(tmpl) INST_SZ(tmpl, 0) INST_SZ(tmpl, 1) INST_SZ(tmpl, 2) INST_SZ(tmpl, 3) \
	INST_SZ(tmpl, 4) INST_SZ(tmpl, 5) INST_SZ(tmpl, 6) INST_SZ(tmpl, 7)
#define INST16(tmpl) INST8(tmpl) INST_SZ(tmpl, 8) INST_SZ(tmpl, 9) INST_SZ(tmpl, 10) \
	INST_SZ(tmpl, 11) INST_SZ(tmpl, 12) INST_SZ(tmpl, 13) INST_SZ(tmpl, 14) INST_SZ(tmpl, 15)
#define ROW(tmpl, x) { tmpl##_##x##_1, tmpl##_##x##_2, tmpl##_##x##_4, tmpl##_##x##_8 }
#define TAB8(tmpl) { ROW(tmpl, 0), ROW(tmpl, 1), ROW(tmpl, 2), ROW(tmpl, 3), \
	ROW(tmpl, 4), ROW(tmpl, 5), ROW(tmpl, 6), ROW(tmpl, 7) }
#define TAB16(tmpl) { ROW(tmpl, 0), ROW(tmpl, 1), ROW(tmpl, 2), ROW(tmpl, 3), \
	ROW(tmpl, 4), ROW(tmpl, 5), ROW(tmpl, 6), ROW(tmpl, 7), ROW(tmpl, 8), \
	ROW(tmpl, 9), ROW(tmpl, 10), ROW(tmpl, 11), ROW(tmpl, 12), ROW(tmpl, 13), \
	ROW(tmpl, 14), ROW(tmpl, 15) }

/* Blocks continue after a Jcc: a taken one leaves the block. */
T jcc_t(struct tcg_vcpu *c, const struct insn *i, int cc, int sz)
{
	if (test_cc(c, cc)) {
		c->r[R_NEXT_RIP] = sz == 8 ? c->r[R_NEXT_RIP] + i->imm :
				   (c->r[R_NEXT_RIP] + i->imm) & size_mask(sz);
		c->stop = 1;
	}
}

T setcc_t(struct tcg_vcpu *c, const struct insn *i, int cc, int sz)
{
	wr_rm(c, i, 1, test_cc(c, cc));
}

T cmov_t(struct tcg_vcpu *c, const struct insn *i, int cc, int sz)
{
	uint64_t v = rd_rm(c, i, sz);

	if (test_cc(c, cc))
		set_reg(c, i->reg, sz, v);
	else if (sz == 4)
		c->r[i->reg] &= 0xffffffff;
}

/* MOV forms; x: 0 r/m <- r, 1 r <- r/m, 2 r <- imm, 3 r/m <- imm, 4 LEA. */
T mov_t(struct tcg_vcpu *c, const struct insn *i, int x, int sz)
{
	switch (x) {
	case 0: wr_rm(c, i, sz, get_reg(c, i->reg, sz)); break;
	case 1: set_reg(c, i->reg, sz, rd_rm(c, i, sz)); break;
	case 2: set_reg(c, i->reg, sz, i->imm); break;
	case 3: wr_rm(c, i, sz, i->imm); break;
	default:
		set_reg(c, i->reg, sz, ((uint64_t)(int64_t)i->disp + c->r[i->base] +
				       (c->r[i->index] << i->scale)) & size_mask(i->adsz));
		break;
	}
}

/* x: 0 PUSH r, 1 POP r, 2 MOVZX r, r/m8, 3 MOVZX r, r/m16, 4 MOVSX r, r/m8,
 * 5 MOVSX r, r/m16, 6 MOVSXD, 7 TEST r/m, r */
T misc_t(struct tcg_vcpu *c, const struct insn *i, int x, int sz)
{
	switch (x) {
	case 0: push_fast(c, sz, get_reg(c, i->reg, sz)); break;
	case 1: set_reg(c, i->reg, sz, pop_fast(c, sz)); break;
	case 2: set_reg(c, i->reg, sz, rd_rm(c, i, 1)); break;
	case 3: set_reg(c, i->reg, sz, rd_rm(c, i, 2)); break;
	case 4: set_reg(c, i->reg, sz, sext(rd_rm(c, i, 1), 1)); break;
	case 5: set_reg(c, i->reg, sz, sext(rd_rm(c, i, 2), 2)); break;
	case 6: set_reg(c, i->reg, sz, (int64_t)(int32_t)rd_rm(c, i, 4)); break;
	default: alu(c, ALU_AND, sz, rd_rm(c, i, sz), get_reg(c, i->reg, sz), 0); break;
	}
}

/*
 * Shifts and rotates other than RCL/RCR; x: the operation (ModRM.reg) plus
 * 8 when the decoder found the flags it writes dead (i->flags_dead).  SHL/SHR/SAR
 * leave lazy flags; rotates change only CF and OF, so they must merge them
 * into the materialised flags, which is what flags_dead saves.
 */
T shift_t(struct tcg_vcpu *c, const struct insn *i, int x, int sz)
{
	int op = x & 7, bits = sz * 8, n;
	uint64_t m = size_mask(sz), sign = 1ull << (bits - 1), a, r, cf, of, lin = 0;
	void *h = NULL;

	if (!shift_operands(c, i, sz, &n, &a, &lin, &h))
		return;
	switch (op) {
	case 0:	/* ROL */
		n %= bits;
		r = n ? ((a << n) | (a >> (bits - n))) & m : a;
		cf = r & 1;
		of = !!(r & sign) ^ cf;
		break;
	case 1:	/* ROR */
		n %= bits;
		r = n ? ((a >> n) | (a << (bits - n))) & m : a;
		cf = !!(r & sign);
		of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
		break;
	case 5:	/* SHR */
		r = a >> n;
		cf = (a >> (n - 1)) & 1;
		of = !!(a & sign);
		break;
	case 7:	/* SAR */
		r = (uint64_t)((int64_t)sext(a, sz) >> n) & m;
		cf = ((int64_t)sext(a, sz) >> (n - 1)) & 1;
		of = 0;
		break;
	default:	/* SHL */
		r = (a << n) & m;
		cf = n <= bits ? (a >> (bits - n)) & 1 : 0;
		of = !!(r & sign) ^ cf;
		break;
	}
	if (i->is_reg)
		set_reg(c, i->rm, sz, r);
	else
		rmw_write(c, lin, sz, h, r);
	if (x & 8)
		return;
	if (op >= 4) {
		set_cc(c, CC_CO, sz, r, of, 0);
		c->cc_c = cf;
	} else {
		uint64_t f = get_flags(c) & ~(uint64_t)(F_CF | F_OF);

		c->flags = f | (cf ? F_CF : 0) | (of ? F_OF : 0);
	}
}

/*
 * CMP or TEST fused with the Jcc after it (see fuse_cc_jcc()): the
 * operands are the register i->rm and r[i->base] + imm (a register or an
 * immediate), i->sub the condition, i->disp the branch displacement; the
 * flags are those of the CMP/TEST, as the Jcc leaves them.
 */
T cmp_jcc_t(struct tcg_vcpu *c, const struct insn *i, int cc, int sz)
{
	uint64_t a = get_reg(c, i->rm, sz), b = (c->r[i->base] + i->imm) & size_mask(sz);

	set_cc(c, CC_SUB, sz, a - b, a, b);
	if (test_cc(c, cc)) {
		c->r[R_NEXT_RIP] += i->disp;
		c->stop = 1;
	}
}

T test_jcc_t(struct tcg_vcpu *c, const struct insn *i, int cc, int sz)
{
	uint64_t a = get_reg(c, i->rm, sz), b = (c->r[i->base] + i->imm) & size_mask(sz);

	set_cc(c, CC_LOGIC, sz, a & b, 0, 0);
	if (test_cc(c, cc)) {
		c->r[R_NEXT_RIP] += i->disp;
		c->stop = 1;
	}
}

INST8(alu_rm_r_t)
INST8(alu_r_rm_t)
INST8(alu_rm_imm_t)
INST8(alu_acc_imm_t)
INST16(jcc_t)
INST16(setcc_t)
INST16(cmov_t)
INST8(mov_t)
INST8(misc_t)
INST16(shift_t)
INST16(cmp_jcc_t)
INST16(test_jcc_t)

static const exec_fn alu_rm_r_tab[8][4] = TAB8(alu_rm_r_t);
static const exec_fn alu_r_rm_tab[8][4] = TAB8(alu_r_rm_t);
static const exec_fn alu_rm_imm_tab[8][4] = TAB8(alu_rm_imm_t);
static const exec_fn alu_acc_imm_tab[8][4] = TAB8(alu_acc_imm_t);
static const exec_fn jcc_tab[16][4] = TAB16(jcc_t);
static const exec_fn setcc_tab[16][4] = TAB16(setcc_t);
static const exec_fn cmov_tab[16][4] = TAB16(cmov_t);
static const exec_fn mov_tab[8][4] = TAB8(mov_t);
static const exec_fn misc_tab[8][4] = TAB8(misc_t);
static const exec_fn shift_tab[16][4] = TAB16(shift_t);
static const exec_fn cmp_jcc_tab[16][4] = TAB16(cmp_jcc_t);
static const exec_fn test_jcc_tab[16][4] = TAB16(test_jcc_t);

static int log2_size(int sz)
{
	return sz == 8 ? 3 : sz == 4 ? 2 : sz == 2 ? 1 : 0;
}

void op_cmp_jcc(struct tcg_vcpu *c, const struct insn *i)
{
	cmp_jcc_tab[i->sub][log2_size(i->opsz)](c, i);
}

void op_test_jcc(struct tcg_vcpu *c, const struct insn *i)
{
	test_jcc_tab[i->sub][log2_size(i->opsz)](c, i);
}

/* The specialised handler for a decoded instruction (or its own). */
exec_fn specialize(const struct insn *i)
{
	int lg = log2_size(i->opsz);
	exec_fn f = i->fn;

	if (f == op_cmp_jcc)
		return cmp_jcc_tab[i->sub][lg];
	if (f == op_test_jcc)
		return test_jcc_tab[i->sub][lg];

	if (f == op_alu_rm_r && !(i->pfx & PFX_LOCK))
		return alu_rm_r_tab[i->sub][lg];
	if (f == op_alu_rm_imm && !(i->pfx & PFX_LOCK))
		return alu_rm_imm_tab[i->sub][lg];
	if (f == op_alu_r_rm)
		return alu_r_rm_tab[i->sub][lg];
	if (f == op_alu_acc_imm)
		return alu_acc_imm_tab[i->sub][lg];
	if (f == op_jcc)
		return jcc_tab[i->sub][lg];
	if (f == op_setcc)
		return setcc_tab[i->sub][lg];
	if (f == op_cmov)
		return cmov_tab[i->sub][lg];
	if (f == op_mov_rm_r)
		return mov_tab[0][lg];
	if (f == op_mov_r_rm)
		return mov_tab[1][lg];
	if (f == op_mov_r_imm)
		return mov_tab[2][lg];
	if (f == op_mov_rm_imm)
		return mov_tab[3][lg];
	if (f == op_lea)
		return mov_tab[4][lg];
	if (f == op_push_r)
		return misc_tab[0][lg];
	if (f == op_pop_r)
		return misc_tab[1][lg];
	if (f == op_movzx)
		return misc_tab[i->sub == 1 ? 2 : 3][lg];
	if (f == op_movsx)
		return misc_tab[i->sub == 1 ? 4 : 5][lg];
	if (f == op_movsxd)
		return misc_tab[6][lg];
	if (f == op_test_rm_r)
		return misc_tab[7][lg];
	if (f == op_shift && (i->reg & 7) != 2 && (i->reg & 7) != 3) {
		/* rotates write only CF and OF, shifts all six flags */
		int need = (i->reg & 7) < 2 ? FLAGS_DEAD_CO :
			   FLAGS_DEAD_CO | FLAGS_DEAD_SZAP;

		return shift_tab[(i->reg & 7) + ((i->flags_dead & need) == need ? 8 : 0)][lg];
	}
	return f;
}
