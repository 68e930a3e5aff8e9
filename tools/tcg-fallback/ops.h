/* SPDX-License-Identifier: GPL-2.0 */
/* Instruction handlers, referenced by the decoder's opcode tables. */
#ifndef TCG_OPS_H
#define TCG_OPS_H

#include "cpu.h"

#define OP(name) void name(struct tcg_vcpu *c, const struct insn *i)

/* ops_int.c: integer instructions */
OP(op_alu_rm_r); OP(op_alu_r_rm); OP(op_alu_rm_imm); OP(op_alu_acc_imm);
OP(op_push_r); OP(op_pop_r); OP(op_push_imm); OP(op_pop_rm); OP(op_push_rm);
OP(op_movsxd); OP(op_imul3); OP(op_imul2); OP(op_jcc); OP(op_test_rm_r);
OP(op_test_rm_imm); OP(op_test_acc_imm); OP(op_xchg_rm_r); OP(op_mov_rm_r);
OP(op_mov_r_rm); OP(op_lea); OP(op_nop); OP(op_xchg_acc); OP(op_cbw);
OP(op_cwd); OP(op_sahf); OP(op_lahf); OP(op_mov_moffs); OP(op_mov_r_imm);
OP(op_mov_rm_imm); OP(op_shift); OP(op_ret); OP(op_enter); OP(op_leave);
OP(op_xlat); OP(op_loop); OP(op_call_rel); OP(op_jmp_rel); OP(op_call_ind);
OP(op_jmp_ind); OP(op_cmc); OP(op_flagop); OP(op_not); OP(op_neg);
OP(op_mul); OP(op_imul1); OP(op_div); OP(op_idiv); OP(op_incdec);
OP(op_cmov); OP(op_setcc); OP(op_bt); OP(op_shxd); OP(op_cmpxchg);
OP(op_movzx); OP(op_movsx); OP(op_popcnt); OP(op_bsf); OP(op_bsr);
OP(op_lzcnt); OP(op_xadd); OP(op_cmpxchg8b); OP(op_bswap); OP(op_salc);
OP(op_movs); OP(op_cmps); OP(op_stos); OP(op_lods); OP(op_scas);
OP(op_ins); OP(op_outs); OP(op_pushf); OP(op_popf); OP(op_pusha);
OP(op_popa); OP(op_cmp_jcc); OP(op_test_jcc);

/* ops_sys.c: system instructions */
OP(op_push_seg); OP(op_pop_seg); OP(op_mov_rm_sreg); OP(op_mov_sreg_rm);
OP(op_lseg); OP(op_int3); OP(op_int); OP(op_into); OP(op_int1); OP(op_iret);
OP(op_ret_far); OP(op_jmp_far); OP(op_call_far); OP(op_jmp_far_ind);
OP(op_call_far_ind); OP(op_in); OP(op_out); OP(op_hlt); OP(op_cli);
OP(op_sti); OP(op_sldt); OP(op_str); OP(op_lldt); OP(op_ltr); OP(op_sgdt);
OP(op_sidt); OP(op_lgdt); OP(op_lidt); OP(op_smsw); OP(op_lmsw);
OP(op_invlpg); OP(op_0f01_reg); OP(op_syscall); OP(op_sysret); OP(op_clts);
OP(op_wbinvd); OP(op_mov_from_cr); OP(op_mov_to_cr); OP(op_mov_from_dr);
OP(op_mov_to_dr); OP(op_wrmsr); OP(op_rdmsr); OP(op_rdtsc); OP(op_cpuid);
OP(op_fence); OP(op_clflush); OP(op_verrw); OP(op_larlsl);

/* ops_sse.c: SSE/SSE2, FXSAVE/FXRSTOR, MXCSR */
OP(op_sse); OP(op_fxsave); OP(op_fxrstor); OP(op_ldmxcsr); OP(op_stmxcsr);
OP(op_emms);

/* ops_x87.c */
OP(op_x87); OP(op_fwait);

#endif /* TCG_OPS_H */
