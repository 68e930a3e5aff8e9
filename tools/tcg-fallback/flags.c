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

uint64_t lazy_arith(struct tcg_vcpu *c)
{
	int sh = cc_shift(c);
	uint64_t sign = 1ull << (63 - sh);
	uint64_t res = c->cc_res, a = c->cc_a, b = c->cc_b;
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
	case CC_CO:
		f |= c->cc_c ? F_CF : 0;
		f |= a ? F_OF : 0;
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
