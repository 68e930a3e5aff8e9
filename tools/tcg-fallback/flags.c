// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy RFLAGS: ALU instructions store their operands and result, and the
 * arithmetic flags are computed only when something reads them.
 */
#include "cpu.h"

static uint64_t parity(uint64_t v)
{
	return __builtin_parity(v & 0xff) ? 0 : F_PF;
}

static uint64_t lazy_arith(struct tcg_vcpu *c)
{
	int sz = 1 << (c->cc_op & 3);
	uint64_t m = size_mask(sz), sign = 1ull << (sz * 8 - 1);
	uint64_t res = c->cc_res & m, a = c->cc_a & m, b = c->cc_b & m;
	uint64_t f = 0;

	switch (c->cc_op >> 2) {
	case CC_ADD:
		f |= res < a ? F_CF : 0;
		f |= ((a ^ ~b) & (a ^ res) & sign) ? F_OF : 0;
		f |= (a ^ b ^ res) & F_AF;
		break;
	case CC_ADC:
		f |= (c->cc_c ? res <= a : res < a) ? F_CF : 0;
		f |= ((a ^ ~b) & (a ^ res) & sign) ? F_OF : 0;
		f |= (a ^ b ^ res) & F_AF;
		break;
	case CC_SUB:
		f |= a < b ? F_CF : 0;
		f |= ((a ^ b) & (a ^ res) & sign) ? F_OF : 0;
		f |= (a ^ b ^ res) & F_AF;
		break;
	case CC_SBB:
		f |= (c->cc_c ? a <= b : a < b) ? F_CF : 0;
		f |= ((a ^ b) & (a ^ res) & sign) ? F_OF : 0;
		f |= (a ^ b ^ res) & F_AF;
		break;
	case CC_LOGIC:
		break;
	case CC_INC:
		f |= c->cc_c ? F_CF : 0;
		f |= res == sign ? F_OF : 0;
		f |= (res & 0xf) == 0 ? F_AF : 0;
		break;
	case CC_DEC:
		f |= c->cc_c ? F_CF : 0;
		f |= res == sign - 1 ? F_OF : 0;
		f |= (res & 0xf) == 0xf ? F_AF : 0;
		break;
	}
	f |= res == 0 ? F_ZF : 0;
	f |= res & sign ? F_SF : 0;
	f |= parity(res);
	return f;
}

uint64_t get_flags(struct tcg_vcpu *c)
{
	if (c->cc_op != CC_EAGER) {
		c->flags = (c->flags & ~(uint64_t)F_ARITH) | lazy_arith(c);
		c->cc_op = CC_EAGER;
	}
	return c->flags | 2;
}

void set_flags(struct tcg_vcpu *c, uint64_t f)
{
	c->flags = f | 2;
	c->cc_op = CC_EAGER;
}

/* Condition codes 0-15 as in Jcc/SETcc/CMOVcc. */
bool test_cc(struct tcg_vcpu *c, int cc)
{
	uint64_t f;
	bool r;

	/* Fast paths for the flags that only depend on the result. */
	if (c->cc_op != CC_EAGER && (cc >> 1) == 2) {
		int sz = 1 << (c->cc_op & 3);

		r = (c->cc_res & size_mask(sz)) == 0;
		return r ^ (cc & 1);
	}
	if ((c->cc_op >> 2) == CC_SUB && (cc >> 1) != 5 && (cc >> 1) != 0) {
		int sz = 1 << (c->cc_op & 3);
		uint64_t a = c->cc_a & size_mask(sz), b = c->cc_b & size_mask(sz);
		int64_t sa = sext(a, sz), sb = sext(b, sz);

		switch (cc >> 1) {
		case 1: r = a < b; break;
		case 3: r = a <= b; break;
		case 4: r = (c->cc_res >> (sz * 8 - 1)) & 1; break;
		case 6: r = sa < sb; break;
		default: r = sa <= sb; break;
		}
		return r ^ (cc & 1);
	}
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
