// SPDX-License-Identifier: GPL-2.0
/*
 * System instructions: segmentation, interrupt and exception delivery,
 * control registers, far transfers, SYSCALL/SYSRET, port I/O, HLT.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ops.h"
#include "intc.h"

__attribute__((noreturn)) void raise_exc(struct tcg_vcpu *c, int vec, int err)
{
	c->exc_vec = vec;
	c->exc_err = err;
	c->exc_has_err = true;
	longjmp(c->jmp, 1);
}

__attribute__((noreturn)) void raise_exc_noerr(struct tcg_vcpu *c, int vec)
{
	c->exc_vec = vec;
	c->exc_err = 0;
	c->exc_has_err = false;
	longjmp(c->jmp, 1);
}

__attribute__((noreturn)) void internal_error(struct tcg_vcpu *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->error, sizeof(c->error), "rip %#llx: ",
		     (unsigned long long)c->rip);
	va_start(ap, fmt);
	vsnprintf(c->error + n, sizeof(c->error) - n, fmt, ap);
	va_end(ap);
	c->exc_vec = EXC_INTERNAL;
	longjmp(c->jmp, 1);
}

void op_ud(struct tcg_vcpu *c, const struct insn *i)
{
	if (i->sub)
		raise_exc(c, EXC_GP, 0);
	raise_exc_noerr(c, EXC_UD);
}

static bool real_mode(struct tcg_vcpu *c)
{
	return !(c->cr0 & CR0_PE);
}

static bool vm86(struct tcg_vcpu *c)
{
	return c->flags & F_VM;
}

static void need_cpl0(struct tcg_vcpu *c)
{
	if (c->cpl)
		raise_exc(c, EXC_GP, 0);
}

/* Recomputes everything that depends on CR0/EFER/CS: code size, bases. */
void update_mode(struct tcg_vcpu *c)
{
	bool lma = c->efer & EFER_LMA;
	int s;

	if (lma && c->seg[S_CS].l)
		c->code_mode = 8;
	else if (c->seg[S_CS].db && !real_mode(c) && !vm86(c))
		c->code_mode = 4;
	else
		c->code_mode = 2;
	for (s = 0; s < 6; s++)
		c->sbase[s] = (c->code_mode == 8 && s < S_FS) ? 0 : c->seg[s].base;
}

void load_seg_raw(struct tcg_vcpu *c, int s, const struct kvm_segment *k)
{
	c->seg[s] = *k;
	update_mode(c);
}

static void desc_to_seg(uint64_t d, uint16_t sel, struct kvm_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
	s->limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
	s->type = (d >> 40) & 0xf;
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	if (s->g)
		s->limit = (s->limit << 12) | 0xfff;
}

/* Linear address of a descriptor; #GP(sel) if outside the table. */
static uint64_t desc_addr(struct tcg_vcpu *c, uint16_t sel, int size)
{
	uint64_t base, limit;

	if (sel & 4) {
		if (c->ldt.unusable || !c->ldt.present)
			raise_exc(c, EXC_GP, sel & ~3);
		base = c->ldt.base;
		limit = c->ldt.limit;
	} else {
		base = c->gdt.base;
		limit = c->gdt.limit;
	}
	if ((sel & ~7u) + size - 1 > limit)
		raise_exc(c, EXC_GP, sel & ~3);
	return base + (sel & ~7u);
}

static uint64_t read_desc(struct tcg_vcpu *c, uint16_t sel, uint64_t *addr)
{
	*addr = desc_addr(c, sel, 8);
	return mem_read_sup(c, *addr, 8);
}

/* Sets the accessed bit of a segment descriptor, as loading it does. */
static void set_accessed(struct tcg_vcpu *c, uint64_t addr, uint64_t d)
{
	if (!(d & (1ull << 40)))
		mem_write_sup(c, addr + 5, 1, ((d >> 40) & 0xff) | 1);
}

static void null_seg(struct kvm_segment *s, uint16_t sel)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->unusable = 1;
}

/* MOV/POP/LxS to a data segment register, with the protection checks. */
static void load_data_seg(struct tcg_vcpu *c, int s, uint16_t sel)
{
	struct kvm_segment k;
	uint64_t d, addr;
	int rpl = sel & 3;

	if (real_mode(c) || vm86(c)) {
		k = c->seg[s];
		k.selector = sel;
		k.base = (uint64_t)sel << 4;
		k.unusable = 0;
		k.present = 1;
		load_seg_raw(c, s, &k);
		return;
	}
	if (!(sel & ~3u)) {
		if (s == S_SS && !(c->code_mode == 8 && c->cpl < 3 && rpl == c->cpl))
			raise_exc(c, EXC_GP, 0);
		null_seg(&k, sel);
		if (s == S_SS)
			k.dpl = c->cpl;
		load_seg_raw(c, s, &k);
		return;
	}
	d = read_desc(c, sel, &addr);
	desc_to_seg(d, sel, &k);
	if (s == S_SS) {
		if (rpl != c->cpl || k.dpl != c->cpl || !k.s || (k.type & 0xa) != 2)
			raise_exc(c, EXC_GP, sel & ~3);
		if (!k.present)
			raise_exc(c, EXC_SS, sel & ~3);
	} else {
		bool code = k.type & 8, readable = k.type & 2, conforming = k.type & 4;

		if (!k.s || (code && !readable))
			raise_exc(c, EXC_GP, sel & ~3);
		if ((!code || !conforming) && (k.dpl < c->cpl || k.dpl < rpl))
			raise_exc(c, EXC_GP, sel & ~3);
		if (!k.present)
			raise_exc(c, EXC_NP, sel & ~3);
	}
	set_accessed(c, addr, d);
	k.type |= 1;
	load_seg_raw(c, s, &k);
}

/* Loads CS for a far transfer to privilege @cpl (no gates). */
static void load_cs(struct tcg_vcpu *c, uint16_t sel, int cpl, struct kvm_segment *out)
{
	uint64_t d, addr;

	if (!(sel & ~3u))
		raise_exc(c, EXC_GP, 0);
	d = read_desc(c, sel, &addr);
	desc_to_seg(d, sel, out);
	if (!out->s || !(out->type & 8))
		raise_exc(c, EXC_GP, sel & ~3);
	if (!out->present)
		raise_exc(c, EXC_NP, sel & ~3);
	set_accessed(c, addr, d);
	out->type |= 1;
	out->selector = (sel & ~3) | cpl;
}

static void commit_cs(struct tcg_vcpu *c, const struct kvm_segment *k, int cpl)
{
	c->seg[S_CS] = *k;
	c->cpl = cpl;
	update_mode(c);
}

void op_push_seg(struct tcg_vcpu *c, const struct insn *i)
{
	push(c, i->opsz, c->seg[i->sub].selector);
}

void op_pop_seg(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t sp = c->r[R_SP];
	uint16_t sel = pop(c, i->opsz);

	c->r[R_SP] = sp;	/* commit only after the load succeeded */
	load_data_seg(c, i->sub, sel);
	pop(c, i->opsz);
	if (i->sub == S_SS)
		c->intr_shadow = true;
}

void op_mov_rm_sreg(struct tcg_vcpu *c, const struct insn *i)
{
	int s = i->reg & 7;

	if (s > S_GS)
		raise_exc_noerr(c, EXC_UD);
	wr_rm(c, i, i->is_reg ? i->opsz : 2, c->seg[s].selector);
}

void op_mov_sreg_rm(struct tcg_vcpu *c, const struct insn *i)
{
	int s = i->reg & 7;

	if (s > S_GS || s == S_CS)
		raise_exc_noerr(c, EXC_UD);
	load_data_seg(c, s, rd_rm(c, i, 2));
	if (s == S_SS)
		c->intr_shadow = true;
}

void op_lseg(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t lin = ea_lin(c, i);
	int osz = i->opsz;
	uint64_t off;
	uint16_t sel;

	if (i->is_reg)
		raise_exc_noerr(c, EXC_UD);
	off = mem_read(c, lin, osz);
	sel = mem_read(c, lin + osz, 2);
	load_data_seg(c, i->sub, sel);
	set_reg(c, i->reg, osz, off);
}

/* Event classes for the double-fault rules (SDM 6.15, table 6-5). */
static int exc_class(int vec)
{
	switch (vec) {
	case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
		return 1;
	case EXC_PF:
		return 2;
	case EXC_DF:
		return 3;
	default:
		return 0;
	}
}

static void deliver_real(struct tcg_vcpu *c, int vec)
{
	uint64_t ent, f = get_flags(c);
	uint16_t sp = c->r[R_SP];

	if (vec * 4 + 3 > c->idt.limit)
		raise_exc(c, EXC_GP, vec * 8 + 2);
	ent = mem_read_sup(c, c->idt.base + vec * 4, 4);
	mem_write_sup(c, seg_lin(c, S_SS, (uint16_t)(sp - 2)), 2, f);
	mem_write_sup(c, seg_lin(c, S_SS, (uint16_t)(sp - 4)), 2, c->seg[S_CS].selector);
	mem_write_sup(c, seg_lin(c, S_SS, (uint16_t)(sp - 6)), 2, c->rip);
	set_reg(c, R_SP, 2, sp - 6);
	set_flags(c, f & ~(uint64_t)(F_IF | F_TF | F_AC));
	c->seg[S_CS].selector = ent >> 16;
	c->seg[S_CS].base = (ent >> 16) << 4;
	update_mode(c);
	c->rip = ent & 0xffff;
}

/* Reads RSPn or ISTn from the 64-bit TSS. */
static uint64_t tss_rsp(struct tcg_vcpu *c, int off)
{
	if (off + 7 > (int)c->tr.limit)
		raise_exc(c, EXC_TS, c->tr.selector & ~3);
	return mem_read_sup(c, c->tr.base + off, 8);
}

static void deliver_long(struct tcg_vcpu *c, int vec, int kind, int err, bool has_err)
{
	uint64_t lo, hi, off, rsp, f = get_flags(c), frame[6];
	int ext = kind != INT_SOFT, ist, new_cpl, n = 0, k;
	struct kvm_segment cs;
	uint16_t sel;

	if (vec * 16 + 15 > (int)c->idt.limit)
		raise_exc(c, EXC_GP, vec * 8 + 2 + ext);
	lo = mem_read_sup(c, c->idt.base + vec * 16, 8);
	hi = mem_read_sup(c, c->idt.base + vec * 16 + 8, 8);
	if (((lo >> 40) & 0x1e) != 0xe)
		raise_exc(c, EXC_GP, vec * 8 + 2 + ext);
	if (kind == INT_SOFT && (int)((lo >> 45) & 3) < c->cpl)
		raise_exc(c, EXC_GP, vec * 8 + 2);
	if (!((lo >> 47) & 1))
		raise_exc(c, EXC_NP, vec * 8 + 2 + ext);
	sel = lo >> 16;
	off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (hi << 32);
	ist = (lo >> 32) & 7;
	load_cs(c, sel, 0, &cs);
	if (!cs.l || cs.db)
		raise_exc(c, EXC_GP, (sel & ~3) + ext);
	new_cpl = (cs.type & 4) ? c->cpl : cs.dpl;
	if (new_cpl > c->cpl)
		raise_exc(c, EXC_GP, (sel & ~3) + ext);
	cs.selector = (sel & ~3) | new_cpl;
	rsp = c->r[R_SP];
	if (new_cpl < c->cpl)
		rsp = tss_rsp(c, 4 + 8 * new_cpl);
	if (ist)
		rsp = tss_rsp(c, 0x24 + 8 * (ist - 1));
	rsp &= ~0xfull;
	frame[n++] = c->seg[S_SS].selector;
	frame[n++] = c->r[R_SP];
	frame[n++] = f;
	frame[n++] = c->seg[S_CS].selector;
	frame[n++] = c->rip;
	if (has_err)
		frame[n++] = err;
	for (k = 0; k < n; k++)
		mem_write_sup(c, rsp - 8 * (k + 1), 8, frame[k]);
	if (new_cpl < c->cpl) {
		struct kvm_segment ss;

		null_seg(&ss, new_cpl);
		ss.dpl = new_cpl;
		c->seg[S_SS] = ss;
	}
	c->r[R_SP] = rsp - 8 * n;
	commit_cs(c, &cs, new_cpl);
	f &= ~(uint64_t)(F_TF | F_NT | F_RF | F_VM);
	if (!((lo >> 40) & 1))
		f &= ~(uint64_t)F_IF;
	set_flags(c, f);
	c->rip = off;
}

/* Protected mode without long mode: 32-bit interrupt and trap gates. */
static void deliver_prot32(struct tcg_vcpu *c, int vec, int kind, int err, bool has_err)
{
	uint64_t g, off, rsp, f = get_flags(c), ss_base;
	int ext = kind != INT_SOFT, new_cpl, n = 0, k, type;
	struct kvm_segment cs, ss = c->seg[S_SS];
	uint32_t frame[6];
	uint16_t sel;

	if (vec * 8 + 7 > (int)c->idt.limit)
		raise_exc(c, EXC_GP, vec * 8 + 2 + ext);
	g = mem_read_sup(c, c->idt.base + vec * 8, 8);
	type = (g >> 40) & 0x1f;
	if (type != 0xe && type != 0xf)
		internal_error(c, "IDT gate type %#x not supported", type);
	if (kind == INT_SOFT && (int)((g >> 45) & 3) < c->cpl)
		raise_exc(c, EXC_GP, vec * 8 + 2);
	if (!((g >> 47) & 1))
		raise_exc(c, EXC_NP, vec * 8 + 2 + ext);
	sel = g >> 16;
	off = (g & 0xffff) | ((g >> 32) & 0xffff0000ull);
	load_cs(c, sel, 0, &cs);
	new_cpl = (cs.type & 4) ? c->cpl : cs.dpl;
	cs.selector = (sel & ~3) | new_cpl;
	rsp = c->r[R_SP] & sp_mask(c);
	ss_base = c->sbase[S_SS];
	if (new_cpl < c->cpl) {
		uint16_t nss = mem_read_sup(c, c->tr.base + 8 + 8 * new_cpl, 2);
		uint64_t d, addr;

		rsp = mem_read_sup(c, c->tr.base + 4 + 8 * new_cpl, 4);
		d = read_desc(c, nss, &addr);
		desc_to_seg(d, nss, &ss);
		ss_base = ss.base;
		frame[n++] = c->seg[S_SS].selector;
		frame[n++] = c->r[R_SP];
	}
	frame[n++] = f;
	frame[n++] = c->seg[S_CS].selector;
	frame[n++] = c->rip;
	if (has_err)
		frame[n++] = err;
	for (k = 0; k < n; k++)
		mem_write_sup(c, (uint32_t)(ss_base + rsp - 4 * (k + 1)), 4, frame[k]);
	c->seg[S_SS] = ss;
	c->r[R_SP] = (uint32_t)(rsp - 4 * n);
	commit_cs(c, &cs, new_cpl);
	f &= ~(uint64_t)(F_TF | F_NT | F_RF | F_VM);
	if (type == 0xe)
		f &= ~(uint64_t)F_IF;
	set_flags(c, f);
	c->rip = off;
}

/*
 * Delivers an event through the IDT.  c->rip is the return address the
 * frame gets (the faulting instruction for faults, the next one for traps
 * and interrupts).  A fault during delivery comes back through raise_exc()
 * and is combined by deliver_exception().
 */
void deliver_interrupt(struct tcg_vcpu *c, int vec, int kind, int err, bool has_err)
{
	c->intr_shadow = false;
	c->prev_block = NULL;	/* do not chain the interrupted block to the handler */
	/* The image of a fault has RF set, so that IRET can restart the
	 * instruction without a repeated instruction breakpoint. */
	if (kind == INT_EXC && vec != EXC_DB)
		c->flags |= F_RF;
	if (real_mode(c))
		deliver_real(c, vec);
	else if (c->efer & EFER_LMA)
		deliver_long(c, vec, kind, err, has_err);
	else
		deliver_prot32(c, vec, kind, err, has_err);
	if (vec == EXC_NMI && kind == INT_HW)
		c->nmi_blocked = true;
}

/* Returns false on a triple fault. */
bool deliver_exception(struct tcg_vcpu *c)
{
	int vec = c->exc_vec, cls = exc_class(vec), prev = c->delivering;
	int err = c->exc_err;
	bool has_err = c->exc_has_err;

	if (c->soft_int_rip) {
		c->rip = c->soft_int_rip;
		c->soft_int_rip = 0;
	}
	if (prev == 3) {
		c->flags |= F_RF;	/* what the shutdown state shows on KVM */
		return false;
	}
	if ((prev == 1 && cls == 1) || (prev == 2 && (cls == 1 || cls == 2))) {
		vec = EXC_DF;
		err = 0;
		has_err = true;
		cls = 3;
	}
	if (real_mode(c))
		has_err = false;
	c->delivering = cls;
	deliver_interrupt(c, vec, INT_EXC, err, has_err);
	c->delivering = -1;
	return true;
}

/* INT n and friends: traps, the frame gets the next RIP; a fault while
 * delivering is reported at the INT itself (see deliver_exception()). */
static void soft_int(struct tcg_vcpu *c, int vec, int kind)
{
	c->soft_int_rip = c->rip;
	c->rip = c->r[R_NEXT_RIP];
	c->delivering = 0;
	deliver_interrupt(c, vec, kind, 0, false);
	c->delivering = -1;
	c->soft_int_rip = 0;
	c->r[R_NEXT_RIP] = c->rip;
}

void op_int3(struct tcg_vcpu *c, const struct insn *i)
{
	soft_int(c, EXC_BP, INT_SOFT);
}

void op_int(struct tcg_vcpu *c, const struct insn *i)
{
	if (vm86(c) && ((c->flags & F_IOPL) >> 12) < 3)
		raise_exc(c, EXC_GP, 0);
	soft_int(c, i->imm & 0xff, INT_SOFT);
}

void op_into(struct tcg_vcpu *c, const struct insn *i)
{
	if (get_flags(c) & F_OF)
		soft_int(c, EXC_OF, INT_SOFT);
}

void op_int1(struct tcg_vcpu *c, const struct insn *i)
{
	soft_int(c, EXC_DB, INT_EXC);
}

/* New RFLAGS from IRET/POPF-like loads at the current privilege. */
static uint64_t merge_flags(struct tcg_vcpu *c, uint64_t old, uint64_t v, int osz)
{
	uint64_t mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID | F_RF;
	int iopl = (old & F_IOPL) >> 12;

	if (c->cpl == 0)
		mask |= F_IOPL | F_VIF | F_VIP;
	if (c->cpl <= iopl)
		mask |= F_IF;
	if (osz == 2)
		mask &= 0xffff;
	return (old & ~mask) | (v & mask);
}

void op_iret(struct tcg_vcpu *c, const struct insn *i)
{
	int osz = i->opsz, new_cpl;
	uint64_t sp = c->r[R_SP] & sp_mask(c), v[5], f;
	struct kvm_segment cs, ss;
	int k, n;

	c->nmi_blocked = false;
	if (real_mode(c) || vm86(c)) {
		if (vm86(c) && ((c->flags & F_IOPL) >> 12) < 3)
			raise_exc(c, EXC_GP, 0);
		for (k = 0; k < 3; k++)
			v[k] = mem_read(c, seg_lin(c, S_SS, (sp + k * osz) & sp_mask(c)), osz);
		c->r[R_SP] = (c->r[R_SP] & ~sp_mask(c)) | ((sp + 3 * osz) & sp_mask(c));
		c->seg[S_CS].selector = v[1];
		c->seg[S_CS].base = (v[1] & 0xffff) << 4;
		set_flags(c, merge_flags(c, get_flags(c), v[2], osz));
		update_mode(c);
		c->r[R_NEXT_RIP] = v[0] & size_mask(osz);
		return;
	}
	if (c->flags & F_NT)
		internal_error(c, "IRET with NT (task return) is not supported");
	for (k = 0; k < 3; k++)
		v[k] = mem_read(c, seg_lin(c, S_SS, (sp + k * osz) & sp_mask(c)), osz);
	new_cpl = v[1] & 3;
	if (new_cpl < c->cpl)
		raise_exc(c, EXC_GP, v[1] & 0xfffc);
	n = 3;
	if (c->code_mode == 8 || new_cpl > c->cpl) {
		v[3] = mem_read(c, seg_lin(c, S_SS, (sp + 3 * osz) & sp_mask(c)), osz);
		v[4] = mem_read(c, seg_lin(c, S_SS, (sp + 4 * osz) & sp_mask(c)), osz);
		n = 5;
	}
	load_cs(c, v[1], new_cpl, &cs);
	if ((cs.type & 4) ? cs.dpl > new_cpl : cs.dpl != new_cpl)
		raise_exc(c, EXC_GP, v[1] & 0xfffc);
	f = merge_flags(c, get_flags(c), v[2], osz);
	if (n == 5) {
		int saved = c->cpl;
		uint16_t ssel = v[4];

		/* The stack segment is checked at the new privilege level. */
		c->cpl = new_cpl;
		if (!(ssel & ~3u) && (c->efer & EFER_LMA) && cs.l && new_cpl < 3) {
			null_seg(&ss, ssel);
			ss.dpl = new_cpl;
		} else {
			uint64_t d, addr;

			if ((ssel & 3) != new_cpl) {
				c->cpl = saved;
				raise_exc(c, EXC_GP, ssel & 0xfffc);
			}
			d = read_desc(c, ssel, &addr);
			desc_to_seg(d, ssel, &ss);
			if (!ss.s || (ss.type & 0xa) != 2 || ss.dpl != new_cpl) {
				c->cpl = saved;
				raise_exc(c, EXC_GP, ssel & 0xfffc);
			}
		}
		c->cpl = saved;
		c->seg[S_SS] = ss;
		c->r[R_SP] = v[3];
	} else {
		c->r[R_SP] = (c->r[R_SP] & ~sp_mask(c)) | ((sp + 3 * osz) & sp_mask(c));
	}
	set_flags(c, f);
	commit_cs(c, &cs, new_cpl);
	if (new_cpl > 0) {
		/* Data segments the new privilege may not use become null. */
		for (k = 0; k < 6; k++) {
			struct kvm_segment *s = &c->seg[k];

			if ((k == S_ES || k == S_DS || k == S_FS || k == S_GS) &&
			    !s->unusable && s->dpl < new_cpl &&
			    !((s->type & 8) && (s->type & 4)))
				null_seg(s, 0);
		}
		update_mode(c);
	}
	c->r[R_NEXT_RIP] = v[0] & (c->code_mode == 8 ? ~0ull : size_mask(osz));
}

static void far_jump(struct tcg_vcpu *c, uint16_t sel, uint64_t off, int osz)
{
	struct kvm_segment cs;

	if (real_mode(c) || vm86(c)) {
		c->seg[S_CS].selector = sel;
		c->seg[S_CS].base = (uint64_t)sel << 4;
		update_mode(c);
		c->r[R_NEXT_RIP] = off & size_mask(osz);
		return;
	}
	load_cs(c, sel, c->cpl, &cs);
	if (!(cs.type & 4) && cs.dpl != c->cpl)
		internal_error(c, "far transfer through a gate or to another privilege level");
	commit_cs(c, &cs, c->cpl);
	c->r[R_NEXT_RIP] = c->code_mode == 8 ? off : off & size_mask(osz);
}

void op_jmp_far(struct tcg_vcpu *c, const struct insn *i)
{
	far_jump(c, i->imm2, i->imm, i->opsz);
}

void op_jmp_far_ind(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t lin = ea_lin(c, i);
	uint64_t off = mem_read(c, lin, i->opsz);
	uint16_t sel = mem_read(c, lin + i->opsz, 2);

	if (i->is_reg)
		raise_exc_noerr(c, EXC_UD);
	far_jump(c, sel, off, i->opsz);
}

static void far_call(struct tcg_vcpu *c, uint16_t sel, uint64_t off, int osz)
{
	uint64_t m = sp_mask(c), sp = c->r[R_SP] & m, ret = c->r[R_NEXT_RIP];
	uint64_t lin_cs = seg_lin(c, S_SS, (sp - osz) & m);
	uint64_t lin_ip = seg_lin(c, S_SS, (sp - 2 * osz) & m);
	uint16_t old_cs = c->seg[S_CS].selector;

	/* Check the stack first: nothing may change if the pushes fault. */
	mem_probe_write(c, lin_cs, osz);
	mem_probe_write(c, lin_ip, osz);
	far_jump(c, sel, off, osz);
	mem_write(c, lin_cs, osz, old_cs);
	mem_write(c, lin_ip, osz, ret);
	c->r[R_SP] = (c->r[R_SP] & ~m) | ((sp - 2 * osz) & m);
}

void op_call_far(struct tcg_vcpu *c, const struct insn *i)
{
	far_call(c, i->imm2, i->imm, i->opsz);
}

void op_call_far_ind(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t lin = ea_lin(c, i);
	uint64_t off, sel;

	if (i->is_reg)
		raise_exc_noerr(c, EXC_UD);
	off = mem_read(c, lin, i->opsz);
	sel = mem_read(c, lin + i->opsz, 2);
	far_call(c, sel, off, i->opsz);
}

void op_ret_far(struct tcg_vcpu *c, const struct insn *i)
{
	int osz = i->opsz;
	uint64_t sp = c->r[R_SP] & sp_mask(c);
	uint64_t off = mem_read(c, seg_lin(c, S_SS, sp), osz);
	uint16_t sel = mem_read(c, seg_lin(c, S_SS, (sp + osz) & sp_mask(c)), osz);

	if (!real_mode(c) && !vm86(c) && (sel & 3) != c->cpl)
		internal_error(c, "far return to another privilege level");
	far_jump(c, sel, off, osz);
	c->r[R_SP] = (c->r[R_SP] & ~sp_mask(c)) |
		     ((sp + 2 * osz + (i->imm & 0xffff)) & sp_mask(c));
}

/* Port I/O permission: CPL <= IOPL, or VM86/TSS bitmap (not emulated). */
void io_check(struct tcg_vcpu *c, uint16_t port, int len)
{
	if (!real_mode(c) && (vm86(c) || c->cpl > (int)((c->flags & F_IOPL) >> 12)))
		raise_exc(c, EXC_GP, 0);
}

void io_access(struct tcg_vcpu *c, uint16_t port, void *data, int len, bool write)
{
	if (!write)
		memset(data, 0xff, len);
	if (c->vm->io.pio)
		c->vm->io.pio(c->vm->io.opaque, port, data, len, write);
	/* A device that kicks its own vCPU (an exit port) sees the exit
	 * right after this instruction, as with KVM's I/O exits. */
	if (c->kick)
		c->stop = 1;
}

void op_in(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t port = i->sub ? c->r[R_DX] : (i->imm & 0xff);
	uint64_t v = 0;
	int sz = i->opsz == 8 ? 4 : i->opsz;

	io_check(c, port, sz);
	io_access(c, port, &v, sz, false);
	set_reg(c, R_AX, sz, v);
}

void op_out(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t port = i->sub ? c->r[R_DX] : (i->imm & 0xff);
	int sz = i->opsz == 8 ? 4 : i->opsz;
	uint64_t v = get_reg(c, R_AX, sz);

	io_check(c, port, sz);
	io_access(c, port, &v, sz, true);
}

void op_hlt(struct tcg_vcpu *c, const struct insn *i)
{
	need_cpl0(c);
	c->state = VCPU_HALTED;
	c->stop = 1;
}

static void iopl_check(struct tcg_vcpu *c)
{
	if (!real_mode(c) && c->cpl > (int)((c->flags & F_IOPL) >> 12))
		raise_exc(c, EXC_GP, 0);
}

void op_cli(struct tcg_vcpu *c, const struct insn *i)
{
	iopl_check(c);
	c->flags &= ~(uint64_t)F_IF;
}

void op_sti(struct tcg_vcpu *c, const struct insn *i)
{
	iopl_check(c);
	if (!(c->flags & F_IF))
		c->intr_shadow = true;
	c->flags |= F_IF;
}

static void need_prot(struct tcg_vcpu *c)
{
	if (real_mode(c) || vm86(c))
		raise_exc_noerr(c, EXC_UD);
}

void op_sldt(struct tcg_vcpu *c, const struct insn *i)
{
	need_prot(c);
	wr_rm(c, i, i->opsz, c->ldt.selector);
}

void op_str(struct tcg_vcpu *c, const struct insn *i)
{
	need_prot(c);
	wr_rm(c, i, i->opsz, c->tr.selector);
}

/* Reads a system descriptor (16 bytes in long mode) for LLDT/LTR. */
static void sys_desc(struct tcg_vcpu *c, uint16_t sel, struct kvm_segment *k,
		     uint64_t *addr)
{
	uint64_t d;

	if (sel & 4)
		raise_exc(c, EXC_GP, sel & ~3);
	*addr = desc_addr(c, sel, (c->efer & EFER_LMA) ? 16 : 8);
	d = mem_read_sup(c, *addr, 8);
	desc_to_seg(d, sel, k);
	if (c->efer & EFER_LMA)
		k->base |= mem_read_sup(c, *addr + 8, 4) << 32;
	if (k->s)
		raise_exc(c, EXC_GP, sel & ~3);
}

/*
 * The descriptor of @sel if it is visible at the current privilege for
 * LAR/LSL/VERR/VERW, else false (those set ZF = 0 instead of faulting).
 */
static bool visible_desc(struct tcg_vcpu *c, uint16_t sel, uint64_t *d)
{
	uint64_t base, limit;
	int dpl, type;
	bool conforming_code;

	if (!(sel & ~3u))
		return false;
	base = (sel & 4) ? c->ldt.base : c->gdt.base;
	limit = (sel & 4) ? c->ldt.limit : c->gdt.limit;
	if ((sel & 4) && (c->ldt.unusable || !c->ldt.present))
		return false;
	if ((sel & ~7u) + 7 > limit)
		return false;
	*d = mem_read_sup(c, base + (sel & ~7u), 8);
	dpl = (*d >> 45) & 3;
	type = (*d >> 40) & 0x1f;
	conforming_code = (type & 0x1c) == 0x1c;
	if (!conforming_code && (dpl < c->cpl || dpl < (sel & 3)))
		return false;
	return true;
}

static void set_zf(struct tcg_vcpu *c, bool z)
{
	uint64_t f = get_flags(c) & ~(uint64_t)F_ZF;

	set_flags(c, f | (z ? F_ZF : 0));
}

/* VERR (sub 0) and VERW (sub 1). */
void op_verrw(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t sel;
	uint64_t d;
	int type;
	bool ok;

	need_prot(c);
	sel = rd_rm(c, i, 2);
	if (!visible_desc(c, sel, &d) || !((d >> 44) & 1)) {
		set_zf(c, false);
		return;
	}
	type = (d >> 40) & 0xf;
	if (i->sub)
		ok = !(type & 8) && (type & 2);
	else
		ok = !(type & 8) || (type & 2);
	set_zf(c, ok);
}

/* System descriptor types LAR/LSL accept (16-byte forms in long mode). */
static bool lar_type_ok(struct tcg_vcpu *c, uint64_t d, bool lsl)
{
	int type = (d >> 40) & 0xf;

	if ((d >> 44) & 1)
		return true;
	if (c->efer & EFER_LMA)
		return type == 2 || type == 9 || type == 11 || (!lsl && type == 12);
	return type != 0 && type != 8 && type != 10 && type != 13 &&
	       (!lsl || (type != 4 && type != 5 && type != 12 && type != 14 && type != 15));
}

/* LAR (sub 0) and LSL (sub 1). */
void op_larlsl(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t sel;
	uint64_t d, v;

	need_prot(c);
	sel = rd_rm(c, i, 2);
	if (!visible_desc(c, sel, &d) || !lar_type_ok(c, d, i->sub)) {
		set_zf(c, false);
		return;
	}
	if (i->sub) {
		v = (d & 0xffff) | ((d >> 32) & 0xf0000);
		if ((d >> 55) & 1)
			v = (v << 12) | 0xfff;
	} else {
		v = (d >> 32) & 0x00f0ff00;
	}
	set_reg(c, i->reg, i->opsz == 2 ? 2 : 4, v);
	if (i->opsz == 8)
		c->r[i->reg] = (uint32_t)v;
	set_zf(c, true);
}

void op_lldt(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t sel;
	struct kvm_segment k;
	uint64_t addr;

	need_prot(c);
	need_cpl0(c);
	sel = rd_rm(c, i, 2);
	if (!(sel & ~3u)) {
		null_seg(&c->ldt, sel);
		return;
	}
	sys_desc(c, sel, &k, &addr);
	if (k.type != 2)
		raise_exc(c, EXC_GP, sel & ~3);
	if (!k.present)
		raise_exc(c, EXC_NP, sel & ~3);
	c->ldt = k;
}

void op_ltr(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t sel;
	struct kvm_segment k;
	uint64_t addr;

	need_prot(c);
	need_cpl0(c);
	sel = rd_rm(c, i, 2);
	if (!(sel & ~3u))
		raise_exc(c, EXC_GP, 0);
	sys_desc(c, sel, &k, &addr);
	if (k.type != 9 && k.type != 1)
		raise_exc(c, EXC_GP, sel & ~3);
	if (!k.present)
		raise_exc(c, EXC_NP, sel & ~3);
	mem_write_sup(c, addr + 5, 1, ((mem_read_sup(c, addr + 5, 1)) | 2));
	k.type |= 2;
	c->tr = k;
}

static void store_dt(struct tcg_vcpu *c, const struct insn *i, const struct kvm_dtable *t)
{
	uint64_t lin = ea_lin(c, i);

	if (i->is_reg)
		raise_exc_noerr(c, EXC_UD);
	mem_probe_write(c, lin, c->code_mode == 8 ? 10 : 6);
	mem_write(c, lin, 2, t->limit);
	mem_write(c, lin + 2, c->code_mode == 8 ? 8 : 4, t->base);
}

static void load_dt(struct tcg_vcpu *c, const struct insn *i, struct kvm_dtable *t)
{
	uint64_t lin = ea_lin(c, i), base;
	uint16_t limit;

	if (i->is_reg)
		raise_exc_noerr(c, EXC_UD);
	need_cpl0(c);
	limit = mem_read(c, lin, 2);
	base = mem_read(c, lin + 2, c->code_mode == 8 ? 8 : 4);
	if (c->code_mode != 8 && i->opsz == 2)
		base &= 0xffffff;
	t->limit = limit;
	t->base = base;
}

void op_sgdt(struct tcg_vcpu *c, const struct insn *i) { store_dt(c, i, &c->gdt); }
void op_sidt(struct tcg_vcpu *c, const struct insn *i) { store_dt(c, i, &c->idt); }
void op_lgdt(struct tcg_vcpu *c, const struct insn *i) { load_dt(c, i, &c->gdt); }
void op_lidt(struct tcg_vcpu *c, const struct insn *i) { load_dt(c, i, &c->idt); }

void op_smsw(struct tcg_vcpu *c, const struct insn *i)
{
	wr_rm(c, i, i->opsz, c->cr0 & size_mask(i->opsz));
}

void op_lmsw(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t v = rd_rm(c, i, 2);

	need_cpl0(c);
	/* LMSW can set PE but not clear it. */
	set_cr0(c, (c->cr0 & ~0xeull) | (v & 0xf) | (c->cr0 & CR0_PE));
}

void op_invlpg(struct tcg_vcpu *c, const struct insn *i)
{
	need_cpl0(c);
	tlb_flush_page(c, ea_lin(c, i));
}

void op_clts(struct tcg_vcpu *c, const struct insn *i)
{
	need_cpl0(c);
	c->cr0 &= ~CR0_TS;
}

void op_wbinvd(struct tcg_vcpu *c, const struct insn *i)
{
	need_cpl0(c);
}

void op_fence(struct tcg_vcpu *c, const struct insn *i)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void op_clflush(struct tcg_vcpu *c, const struct insn *i)
{
	mem_read(c, ea_lin(c, i), 1);	/* faults like a read of the line */
}

static uint64_t read_tsc(struct tcg_vcpu *c)
{
	return intc_read_tsc(c);
}

void op_rdtsc(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t t;

	if ((c->cr4 & CR4_TSD) && c->cpl)
		raise_exc(c, EXC_GP, 0);
	t = read_tsc(c);
	c->r[R_AX] = (uint32_t)t;
	c->r[R_DX] = t >> 32;
}

/* 0F 01 with mod == 3: SWAPGS and RDTSCP; the rest is not offered. */
void op_0f01_reg(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t t;

	switch (i->modrm) {
	case 0xf8:	/* SWAPGS */
		if (c->code_mode != 8)
			raise_exc_noerr(c, EXC_UD);
		need_cpl0(c);
		t = c->seg[S_GS].base;
		c->seg[S_GS].base = c->kernel_gs_base;
		c->kernel_gs_base = t;
		update_mode(c);
		return;
	case 0xf9:	/* RDTSCP */
		if ((c->cr4 & CR4_TSD) && c->cpl)
			raise_exc(c, EXC_GP, 0);
		t = read_tsc(c);
		c->r[R_AX] = (uint32_t)t;
		c->r[R_DX] = t >> 32;
		c->r[R_CX] = (uint32_t)c->tsc_aux;
		return;
	}
	raise_exc_noerr(c, EXC_UD);
}

void set_efer(struct tcg_vcpu *c, uint64_t v)
{
	c->efer = (v & ~EFER_LMA) | (c->efer & EFER_LMA);
	tlb_flush(c);
}

void set_cr0(struct tcg_vcpu *c, uint64_t v)
{
	v |= CR0_ET;
	if ((v & CR0_PG) && !(v & CR0_PE))
		raise_exc(c, EXC_GP, 0);
	if ((v & CR0_PG) && !(c->cr0 & CR0_PG) && (c->efer & EFER_LME)) {
		if (!(c->cr4 & CR4_PAE))
			raise_exc(c, EXC_GP, 0);
		c->efer |= EFER_LMA;
	}
	if (!(v & CR0_PG) && (c->efer & EFER_LMA)) {
		if (c->code_mode == 8)
			raise_exc(c, EXC_GP, 0);
		c->efer &= ~EFER_LMA;
	}
	c->cr0 = v;
	tlb_flush(c);
	update_mode(c);
}

void set_cr3(struct tcg_vcpu *c, uint64_t v)
{
	c->cr3 = v & ~(1ull << 63);
	tlb_flush(c);
}

void set_cr4(struct tcg_vcpu *c, uint64_t v)
{
	/* The bits of features CPUID offers (VME/PVI/DE/MCE/PCE only as
	 * storage); others, UMIP included, #GP as on a CPU without them. */
	const uint64_t ok = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE |
			    CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |
			    CR4_OSFXSR | CR4_OSXMMEXCPT;

	if (v & ~ok)
		raise_exc(c, EXC_GP, 0);
	if ((c->efer & EFER_LMA) && !(v & CR4_PAE))
		raise_exc(c, EXC_GP, 0);
	c->cr4 = v;
	tlb_flush(c);
}

void op_mov_from_cr(struct tcg_vcpu *c, const struct insn *i)
{
	int cr = i->reg;
	uint64_t v;

	need_cpl0(c);
	switch (cr) {
	case 0: v = c->cr0; break;
	case 2: v = c->cr2; break;
	case 3: v = c->cr3; break;
	case 4: v = c->cr4; break;
	case 8: v = intc_get_cr8(c); break;
	default: raise_exc_noerr(c, EXC_UD);
	}
	set_reg(c, i->rm, c->code_mode == 8 ? 8 : 4, v);
}

void op_mov_to_cr(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t v = get_reg(c, i->rm, c->code_mode == 8 ? 8 : 4);

	need_cpl0(c);
	switch (i->reg) {
	case 0:
		if (v >> 32)
			raise_exc(c, EXC_GP, 0);
		set_cr0(c, v);
		break;
	case 2: c->cr2 = v; break;
	case 3: set_cr3(c, v); break;
	case 4: set_cr4(c, v); break;
	case 8:
		if (v & ~0xfull)
			raise_exc(c, EXC_GP, 0);
		intc_set_cr8(c, v);
		break;
	default: raise_exc_noerr(c, EXC_UD);
	}
}

void op_mov_from_dr(struct tcg_vcpu *c, const struct insn *i)
{
	need_cpl0(c);
	if ((i->reg & 7) == 4 || (i->reg & 7) == 5 || i->reg > 7)
		raise_exc_noerr(c, EXC_UD);
	set_reg(c, i->rm, c->code_mode == 8 ? 8 : 4,
		c->dr[i->reg] | (i->reg == 6 ? 0xffff0ff0ull : i->reg == 7 ? 0x400 : 0));
}

void op_mov_to_dr(struct tcg_vcpu *c, const struct insn *i)
{
	need_cpl0(c);
	if ((i->reg & 7) == 4 || (i->reg & 7) == 5 || i->reg > 7)
		raise_exc_noerr(c, EXC_UD);
	c->dr[i->reg] = get_reg(c, i->rm, c->code_mode == 8 ? 8 : 4);
}

void op_rdmsr(struct tcg_vcpu *c, const struct insn *i)
{
	bool ok;
	uint64_t v;

	need_cpl0(c);
	v = read_msr_value(c, c->r[R_CX], &ok);
	if (!ok)
		raise_exc(c, EXC_GP, 0);
	c->r[R_AX] = (uint32_t)v;
	c->r[R_DX] = v >> 32;
}

void op_wrmsr(struct tcg_vcpu *c, const struct insn *i)
{
	uint64_t v = (c->r[R_DX] << 32) | (uint32_t)c->r[R_AX];

	need_cpl0(c);
	if (!write_msr_value(c, c->r[R_CX], v))
		raise_exc(c, EXC_GP, 0);
}

void op_cpuid(struct tcg_vcpu *c, const struct insn *i)
{
	uint32_t out[4];

	do_cpuid(c, c->r[R_AX], c->r[R_CX], out);
	c->r[R_AX] = out[0];
	c->r[R_BX] = out[1];
	c->r[R_CX] = out[2];
	c->r[R_DX] = out[3];
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, int type, int dpl, bool l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->dpl = dpl;
	s->present = 1;
	s->g = 1;
	s->l = l;
	s->db = !l;
}

void op_syscall(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t sel = c->star >> 32;
	bool from64 = c->code_mode == 8;

	if (!(c->efer & EFER_SCE) || !(c->efer & EFER_LMA))
		raise_exc_noerr(c, EXC_UD);
	c->r[R_CX] = c->r[R_NEXT_RIP];
	c->r[11] = get_flags(c) & ~(uint64_t)F_RF;
	flat_seg(&c->seg[S_CS], sel & ~3, 0xb, 0, true);
	flat_seg(&c->seg[S_SS], (sel + 8) & ~3, 0x3, 0, false);
	c->cpl = 0;
	set_flags(c, c->r[11] & ~c->sfmask & ~(uint64_t)F_RF);
	c->r[R_NEXT_RIP] = from64 ? c->lstar : c->cstar;
	update_mode(c);
}

void op_sysret(struct tcg_vcpu *c, const struct insn *i)
{
	uint16_t sel = c->star >> 48;
	bool to64 = i->pfx & PFX_REXW;

	if (!(c->efer & EFER_SCE) || c->code_mode != 8)
		raise_exc_noerr(c, EXC_UD);
	need_cpl0(c);
	if (to64 && (uint64_t)((int64_t)(c->r[R_CX] << 16) >> 16) != c->r[R_CX])
		raise_exc(c, EXC_GP, 0);
	if (to64)
		flat_seg(&c->seg[S_CS], (sel + 16) | 3, 0xb, 3, true);
	else
		flat_seg(&c->seg[S_CS], sel | 3, 0xb, 3, false);
	c->seg[S_SS].selector = (sel + 8) | 3;
	c->seg[S_SS].dpl = 3;
	c->cpl = 3;
	set_flags(c, (c->r[11] & 0x3c7fd7) | 2);
	c->r[R_NEXT_RIP] = to64 ? c->r[R_CX] : (uint32_t)c->r[R_CX];
	update_mode(c);
}
