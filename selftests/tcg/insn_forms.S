/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The instruction forms of the differential test, assembled by gas.  Each
 * FORM puts its name, its bytes (data, never executed here) and a table
 * entry { name, bytes, length, kind } into section insn_forms.
 *
 * Conventions the generator in insn_diff.c relies on: RBX points at a
 * 256-byte, 16-byte aligned memory buffer (integer memory operands at
 * 8(%rbx), bit-string ones at 64(%rbx), vector ones at 16(%rbx)); RSP is a
 * valid stack and is not an operand; XMM1 is the usual destination, XMM2 the
 * source.
 */
#include "insn_forms.h"

#define FORM(name, kind, ...) \
	.pushsection .rodata.fname, "a"; 7: .asciz name; .popsection; \
	.pushsection .rodata.fcode, "a"; 9: __VA_ARGS__; 8: .popsection; \
	.pushsection insn_forms, "aw"; .balign 8; .quad 7b, 9b; .long 8b - 9b, kind; \
	.popsection

/* ---- integer ALU ---- */

.macro ALU_SIZE op, kind, sfx, bits, a, c
FORM("\op r/m\bits, r\bits", \kind | SZ(\bits), \op\sfx %\c, %\a)
FORM("\op r\bits, r/m\bits (reg)", \kind | SZ(\bits), {load} \op\sfx %\c, %\a)
FORM("\op r\bits, m\bits", \kind | SZ(\bits), \op\sfx 8(%rbx), %\c)
FORM("\op m\bits, r\bits", \kind | SZ(\bits), \op\sfx %\c, 8(%rbx))
FORM("\op r/m\bits, imm", \kind | SZ(\bits), \op\sfx $0x5a, %\c)
FORM("\op m\bits, imm", \kind | SZ(\bits), \op\sfx $0x71, 8(%rbx))
FORM("\op acc\bits, imm", \kind | SZ(\bits), \op\sfx $0x65, %\a)
.endm

.macro ALU op, kind
ALU_SIZE \op, \kind, b, 8, al, cl
ALU_SIZE \op, \kind, w, 16, ax, cx
ALU_SIZE \op, \kind, l, 32, eax, ecx
ALU_SIZE \op, \kind, q, 64, rax, rcx
FORM("\op r/m8, r8 (high byte regs)", \kind | SZ(8), \op\()b %ah, %ch)
FORM("\op r/m8, r8 (REX byte regs)", \kind | SZ(8), \op\()b %sil, %r9b)
FORM("\op r/m16, imm8", \kind | SZ(16), \op\()w $-3, %dx)
FORM("\op r/m32, imm32", \kind | SZ(32), \op\()l $0x87654321, %edx)
FORM("\op r/m64, imm8", \kind | SZ(64), \op\()q $-2, %r10)
FORM("\op r/m64, imm32", \kind | SZ(64), \op\()q $-0x789abcd, %r11)
FORM("\op m64, imm8", \kind | SZ(64), \op\()q $0x7f, 8(%rbx))
.endm

.irp op, add, adc, sub, sbb, cmp
ALU \op, K_PLAIN
.endr
.irp op, and, or, xor
ALU \op, K_LOGIC
.endr

FORM("test r/m8, r8", K_LOGIC | SZ(8), testb %cl, %al)
FORM("test r/m16, r16", K_LOGIC | SZ(16), testw %cx, %ax)
FORM("test r/m32, r32", K_LOGIC | SZ(32), testl %ecx, %eax)
FORM("test r/m64, r64", K_LOGIC | SZ(64), testq %rcx, %rax)
FORM("test m64, r64", K_LOGIC | SZ(64), testq %rcx, 8(%rbx))
FORM("test al, imm8", K_LOGIC | SZ(8), testb $0x81, %al)
FORM("test eax, imm32", K_LOGIC | SZ(32), testl $0x80000001, %eax)
FORM("test r/m64, imm32", K_LOGIC | SZ(64), testq $-0x10, %rdx)
FORM("test m16, imm16", K_LOGIC | SZ(16), testw $0x8001, 8(%rbx))

/* ---- INC DEC NEG NOT ---- */

.irp op, inc, dec, neg, not
FORM("\op r/m8", K_PLAIN | SZ(8), \op\()b %al)
FORM("\op r/m16", K_PLAIN | SZ(16), \op\()w %ax)
FORM("\op r/m32", K_PLAIN | SZ(32), \op\()l %eax)
FORM("\op r/m64", K_PLAIN | SZ(64), \op\()q %rax)
FORM("\op m32", K_PLAIN | SZ(32), \op\()l 8(%rbx))
FORM("\op m64", K_PLAIN | SZ(64), \op\()q 8(%rbx))
.endr

/* ---- shifts and rotates ---- */

.macro SHIFT_SIZE op, kind, sfx, bits, a
FORM("\op r/m\bits, 1", \kind | SZ(\bits) | F_ONE, \op\sfx %\a)
FORM("\op r/m\bits, cl", \kind | SZ(\bits) | F_CL, \op\sfx %cl, %\a)
FORM("\op r/m\bits, imm8 (0)", \kind | SZ(\bits) | F_IMM, \op\sfx $0, %\a)
FORM("\op r/m\bits, imm8 (7)", \kind | SZ(\bits) | F_IMM, \op\sfx $7, %\a)
FORM("\op r/m\bits, imm8 (\bits)", \kind | SZ(\bits) | F_IMM, \op\sfx $\bits, %\a)
FORM("\op m\bits, cl", \kind | SZ(\bits) | F_CL, \op\sfx %cl, 8(%rbx))
.endm

.macro SHIFT op, kind
SHIFT_SIZE \op, \kind, b, 8, al
SHIFT_SIZE \op, \kind, w, 16, ax
SHIFT_SIZE \op, \kind, l, 32, eax
SHIFT_SIZE \op, \kind, q, 64, rax
FORM("\op r/m64, imm8 (63)", \kind | SZ(64) | F_IMM, \op\()q $63, %r12)
FORM("\op r/m32, imm8 (31)", \kind | SZ(32) | F_IMM, \op\()l $31, %r13d)
.endm

SHIFT shl, K_SHIFT
SHIFT shr, K_SHIFT
SHIFT sar, K_SAR
.irp op, rol, ror, rcl, rcr
SHIFT \op, K_ROT
.endr

.macro SHXD_SIZE op, sfx, bits, a, d
FORM("\op r/m\bits, r\bits, cl", K_SHXD | SZ(\bits) | F_CL, \op\sfx %cl, %\d, %\a)
FORM("\op r/m\bits, r\bits, imm8 (5)", K_SHXD | SZ(\bits) | F_IMM, \op\sfx $5, %\d, %\a)
FORM("\op r/m\bits, r\bits, imm8 (1)", K_SHXD | SZ(\bits) | F_IMM, \op\sfx $1, %\d, %\a)
FORM("\op m\bits, r\bits, cl", K_SHXD | SZ(\bits) | F_CL | F_MEM, \op\sfx %cl, %\d, 8(%rbx))
.endm

.irp op, shld, shrd
SHXD_SIZE \op, w, 16, ax, dx
SHXD_SIZE \op, l, 32, eax, edx
SHXD_SIZE \op, q, 64, rax, rdx
.endr

/* ---- multiply and divide ---- */

.macro MULDIV op, kind
FORM("\op r/m8", \kind | SZ(8), \op\()b %cl)
FORM("\op r/m16", \kind | SZ(16), \op\()w %cx)
FORM("\op r/m32", \kind | SZ(32), \op\()l %ecx)
FORM("\op r/m64", \kind | SZ(64), \op\()q %rcx)
FORM("\op m32", \kind | SZ(32) | F_MEM, \op\()l 8(%rbx))
FORM("\op m64", \kind | SZ(64) | F_MEM, \op\()q 8(%rbx))
.endm

MULDIV mul, K_MUL
MULDIV imul, K_MUL
MULDIV div, K_DIV
MULDIV idiv, K_IDIV
FORM("imul r16, r/m16", K_MUL | SZ(16), imulw %cx, %dx)
FORM("imul r32, r/m32", K_MUL | SZ(32), imull %ecx, %edx)
FORM("imul r64, r/m64", K_MUL | SZ(64), imulq %rcx, %rdx)
FORM("imul r64, m64", K_MUL | SZ(64), imulq 8(%rbx), %r8)
FORM("imul r16, r/m16, imm8", K_MUL | SZ(16), imulw $-7, %cx, %dx)
FORM("imul r32, r/m32, imm32", K_MUL | SZ(32), imull $0x12345, %ecx, %edx)
FORM("imul r64, r/m64, imm8", K_MUL | SZ(64), imulq $7, %rcx, %rdx)
FORM("imul r64, r/m64, imm32", K_MUL | SZ(64), imulq $-0x76543, %rcx, %rdx)

/* ---- bit operations ---- */

.macro BITOPS op
FORM("\op r/m16, r16", K_BT | SZ(16), \op\()w %cx, %ax)
FORM("\op r/m32, r32", K_BT | SZ(32), \op\()l %ecx, %eax)
FORM("\op r/m64, r64", K_BT | SZ(64), \op\()q %rcx, %rax)
FORM("\op r/m32, imm8", K_BT | SZ(32), \op\()l $35, %eax)
FORM("\op r/m64, imm8", K_BT | SZ(64), \op\()q $45, %rax)
FORM("\op m16, r16", K_BT | SZ(16) | F_MEM | F_CL, \op\()w %cx, 64(%rbx))
FORM("\op m32, r32", K_BT | SZ(32) | F_MEM | F_CL, \op\()l %ecx, 64(%rbx))
FORM("\op m64, r64", K_BT | SZ(64) | F_MEM | F_CL, \op\()q %rcx, 64(%rbx))
FORM("\op m32, imm8", K_BT | SZ(32), \op\()l $13, 64(%rbx))
.endm

.irp op, bt, bts, btr, btc
BITOPS \op
.endr

.irp op, bsf, bsr
FORM("\op r16, r/m16", K_BSX | SZ(16), \op\()w %cx, %ax)
FORM("\op r32, r/m32", K_BSX | SZ(32), \op\()l %ecx, %eax)
FORM("\op r64, r/m64", K_BSX | SZ(64), \op\()q %rcx, %rax)
FORM("\op r64, m64", K_BSX | SZ(64) | F_MEM, \op\()q 8(%rbx), %rax)
.endr

FORM("bswap r32", K_PLAIN, bswap %eax)
FORM("bswap r64", K_PLAIN, bswap %rax)
FORM("bswap r64 (r9)", K_PLAIN, bswap %r9)

/* ---- condition codes ---- */

.irp cc, o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
FORM("cmov\cc r64, r/m64", K_PLAIN, cmov\cc %rcx, %rax)
FORM("cmov\cc r32, m32", K_PLAIN, cmov\cc\()l 8(%rbx), %edx)
FORM("set\cc r/m8", K_PLAIN, set\cc %al)
FORM("j\cc rel8", K_PLAIN, j\cc 1f; incq %rax; 1:)
FORM("j\cc rel32", K_PLAIN, {disp32} j\cc 1f; incq %rax; 1:)
.endr
FORM("cmovne r16, r/m16", K_PLAIN, cmovnew %cx, %ax)
FORM("setg m8", K_PLAIN, setg 8(%rbx))
FORM("jrcxz rel8", K_PLAIN, jrcxz 1f; incq %rax; 1:)
FORM("jecxz rel8", K_PLAIN, jecxz 1f; incq %rax; 1:)
FORM("loop rel8", K_PLAIN, loop 1f; incq %rax; 1:)
FORM("loope rel8", K_PLAIN, loope 1f; incq %rax; 1:)
FORM("loopne rel8", K_PLAIN, loopne 1f; incq %rax; 1:)
FORM("clc", K_PLAIN, clc)
FORM("stc", K_PLAIN, stc)
FORM("cmc", K_PLAIN, cmc)
FORM("lahf", K_PLAIN, lahf)
FORM("sahf", K_PLAIN, sahf)
FORM("pushf; pop", K_PLAIN, pushfq; popq %rax; andq $0xcd5, %rax)
FORM("push; popf", K_PLAIN, andq $0xcd5, %rax; pushq %rax; popfq)

/* ---- moves and conversions ---- */

FORM("movzx r32, r/m8", K_PLAIN, movzbl %cl, %eax)
FORM("movzx r16, r/m8", K_PLAIN, movzbw %cl, %ax)
FORM("movzx r64, r/m8", K_PLAIN, movzbq %cl, %rax)
FORM("movzx r32, r/m16", K_PLAIN, movzwl %cx, %eax)
FORM("movzx r64, r/m16", K_PLAIN, movzwq %cx, %rax)
FORM("movzx r32, m8", K_PLAIN, movzbl 8(%rbx), %eax)
FORM("movzx r64, m16", K_PLAIN, movzwq 8(%rbx), %rax)
FORM("movzx r32, r/m8 (high byte)", K_PLAIN, movzbl %ah, %ecx)
FORM("movsx r16, r/m8", K_PLAIN, movsbw %cl, %ax)
FORM("movsx r32, r/m8", K_PLAIN, movsbl %cl, %eax)
FORM("movsx r64, r/m8", K_PLAIN, movsbq %cl, %rax)
FORM("movsx r32, r/m16", K_PLAIN, movswl %cx, %eax)
FORM("movsx r64, r/m16", K_PLAIN, movswq %cx, %rax)
FORM("movsxd r64, r/m32", K_PLAIN, movslq %ecx, %rax)
FORM("movsx r64, m8", K_PLAIN, movsbq 8(%rbx), %rax)
FORM("movsxd r64, m32", K_PLAIN, movslq 8(%rbx), %rax)
FORM("mov r8, r8", K_PLAIN, movb %cl, %al)
FORM("mov r16, r16", K_PLAIN, movw %cx, %ax)
FORM("mov r32, r32", K_PLAIN, movl %ecx, %eax)
FORM("mov r64, imm64", K_PLAIN, movabsq $0x123456789abcdef0, %rax)
FORM("mov r32, imm32", K_PLAIN, movl $0xfedcba98, %r14d)
FORM("mov r/m64, imm32", K_PLAIN, movq $-5, %rax)
FORM("mov m16, imm16", K_PLAIN, movw $0x1234, 8(%rbx))
FORM("mov m64, r64", K_PLAIN, movq %rcx, 8(%rbx))
FORM("mov r8, m8", K_PLAIN, movb 9(%rbx), %dh)
FORM("cbw", K_PLAIN, cbtw)
FORM("cwde", K_PLAIN, cwtl)
FORM("cdqe", K_PLAIN, cltq)
FORM("cwd", K_PLAIN, cwtd)
FORM("cdq", K_PLAIN, cltd)
FORM("cqo", K_PLAIN, cqto)
FORM("xchg r64, r64", K_PLAIN, xchgq %rcx, %rdx)
FORM("xchg rax, r64", K_PLAIN, xchgq %rax, %r8)
FORM("xchg r32, r32", K_PLAIN, xchgl %ecx, %edx)
FORM("xchg r16, r16", K_PLAIN, xchgw %cx, %dx)
FORM("xchg r8, r8", K_PLAIN, xchgb %cl, %dh)
FORM("xchg m64, r64", K_PLAIN, xchgq %rcx, 8(%rbx))
FORM("xchg m8, r8", K_PLAIN, xchgb %cl, 8(%rbx))

.macro XCHGOPS bits, sfx, c, d
FORM("cmpxchg r/m\bits, r\bits", K_CMPXCHG | SZ(\bits), cmpxchg\sfx %\c, %\d)
FORM("cmpxchg m\bits, r\bits", K_CMPXCHG | SZ(\bits) | F_MEM, cmpxchg\sfx %\c, 8(%rbx))
FORM("xadd r/m\bits, r\bits", K_PLAIN | SZ(\bits), xadd\sfx %\c, %\d)
FORM("xadd m\bits, r\bits", K_PLAIN | SZ(\bits), xadd\sfx %\c, 8(%rbx))
.endm
XCHGOPS 8, b, cl, dl
XCHGOPS 16, w, cx, dx
XCHGOPS 32, l, ecx, edx
XCHGOPS 64, q, rcx, rdx
FORM("lock cmpxchg m64, r64", K_CMPXCHG | SZ(64) | F_MEM, lock cmpxchgq %rcx, 8(%rbx))
FORM("lock xadd m32, r32", K_PLAIN, lock xaddl %ecx, 8(%rbx))
FORM("lock add m64, r64", K_PLAIN, lock addq %rcx, 8(%rbx))
FORM("cmpxchg8b m64", K_CMPXCHGB | SZ(32), cmpxchg8b 8(%rbx))
FORM("cmpxchg16b m128", K_CMPXCHGB | SZ(64) | F_NOKVM, cmpxchg16b 16(%rbx))

FORM("lea r64, [base+index*4+disp8]", K_PLAIN, leaq 0x12(%rax,%rcx,4), %rdx)
FORM("lea r64, [base+disp32]", K_PLAIN, leaq -0x12345678(%rsi), %rdx)
FORM("lea r64, [index*8+disp32]", K_PLAIN, leaq 0x1000(,%rdi,8), %rdx)
FORM("lea r64, [r12+r13*2]", K_PLAIN, leaq (%r12,%r13,2), %r14)
FORM("lea r64, [r13]", K_PLAIN, leaq (%r13), %r15)
FORM("lea r32, [base+index]", K_PLAIN, leal (%rax,%rcx), %edx)
FORM("lea r16, [base+disp8]", K_PLAIN, leaw 7(%rax), %dx)
FORM("lea r32, addr32 [base+index*2]", K_PLAIN, leal (%eax,%ecx,2), %edx)
FORM("lea r64, addr32 [base+disp32]", K_PLAIN, leaq 0x7fffffff(%esi), %rdx)
FORM("lea r64, [rip+disp32]", K_PLAIN, leaq 1f(%rip), %rdx; 1:)

/* ---- string operations ---- */

.macro STRING op
FORM("\op\()b", K_STR | SZ(8), \op\()b)
FORM("\op\()w", K_STR | SZ(16), \op\()w)
FORM("\op\()l", K_STR | SZ(32), \op\()l)
FORM("\op\()q", K_STR | SZ(64), \op\()q)
.endm

.irp op, movs, stos, lods, cmps, scas
STRING \op
.endr
FORM("rep movsb", K_STR | SZ(8), rep movsb)
FORM("rep movsw", K_STR | SZ(16), rep movsw)
FORM("rep movsl", K_STR | SZ(32), rep movsl)
FORM("rep movsq", K_STR | SZ(64), rep movsq)
FORM("rep stosb", K_STR | SZ(8), rep stosb)
FORM("rep stosl", K_STR | SZ(32), rep stosl)
FORM("rep stosq", K_STR | SZ(64), rep stosq)
FORM("rep lodsb", K_STR | SZ(8), rep lodsb)
FORM("repe cmpsb", K_STR | SZ(8), repe cmpsb)
FORM("repe cmpsq", K_STR | SZ(64), repe cmpsq)
FORM("repne cmpsb", K_STR | SZ(8), repne cmpsb)
FORM("repe scasb", K_STR | SZ(8), repe scasb)
FORM("repne scasb", K_STR | SZ(8), repne scasb)
FORM("repne scasl", K_STR | SZ(32), repne scasl)

/* ---- SSE/SSE2 ---- */

.macro XMM op, kind
FORM("\op xmm, xmm", \kind, \op %xmm2, %xmm1)
FORM("\op xmm, m128", \kind, \op 16(%rbx), %xmm9)
.endm

/* moves */
.irp op, movaps, movups, movapd, movupd, movdqa, movdqu
XMM \op, K_SSE_INT
FORM("\op m128, xmm", K_SSE_INT, \op %xmm3, 16(%rbx))
.endr
FORM("movd xmm, r32", K_SSE_INT, movd %eax, %xmm1)
FORM("movd r32, xmm", K_SSE_INT, movd %xmm1, %eax)
FORM("movq xmm, r64", K_SSE_INT, movq %rax, %xmm1)
FORM("movq r64, xmm", K_SSE_INT, movq %xmm1, %rax)
FORM("movd xmm, m32", K_SSE_INT, movd 8(%rbx), %xmm1)
FORM("movq xmm, xmm", K_SSE_INT, movq %xmm2, %xmm1)
FORM("movq xmm, m64", K_SSE_INT, movq 8(%rbx), %xmm12)
FORM("movq m64, xmm", K_SSE_INT, movq %xmm12, 8(%rbx))
FORM("movss xmm, xmm", K_SSE_INT, movss %xmm2, %xmm1)
FORM("movss xmm, m32", K_SSE_INT, movss 8(%rbx), %xmm1)
FORM("movss m32, xmm", K_SSE_INT, movss %xmm1, 8(%rbx))
FORM("movsd xmm, xmm", K_SSE_INT, movsd %xmm2, %xmm1)
FORM("movsd xmm, m64", K_SSE_INT, movsd 8(%rbx), %xmm1)
FORM("movsd m64, xmm", K_SSE_INT, movsd %xmm1, 8(%rbx))
FORM("movhps xmm, m64", K_SSE_INT, movhps 8(%rbx), %xmm1)
FORM("movhps m64, xmm", K_SSE_INT, movhps %xmm1, 8(%rbx))
FORM("movlps xmm, m64", K_SSE_INT, movlps 8(%rbx), %xmm1)
FORM("movlpd m64, xmm", K_SSE_INT, movlpd %xmm1, 8(%rbx))
FORM("movhpd xmm, m64", K_SSE_INT, movhpd 8(%rbx), %xmm1)
FORM("movhlps xmm, xmm", K_SSE_INT, movhlps %xmm2, %xmm1)
FORM("movlhps xmm, xmm", K_SSE_INT, movlhps %xmm2, %xmm1)
FORM("movmskps r32, xmm", K_SSE_INT, movmskps %xmm1, %eax)
FORM("movmskpd r32, xmm", K_SSE_INT, movmskpd %xmm1, %eax)
FORM("pmovmskb r32, xmm", K_SSE_INT, pmovmskb %xmm1, %eax)
FORM("pmovmskb r32, xmm15", K_SSE_INT, pmovmskb %xmm15, %r10d)
FORM("pinsrw xmm, r32, imm8", K_SSE_INT, pinsrw $3, %eax, %xmm1)
FORM("pinsrw xmm, m16, imm8", K_SSE_INT, pinsrw $6, 8(%rbx), %xmm1)
FORM("pextrw r32, xmm, imm8", K_SSE_INT, pextrw $5, %xmm1, %eax)

/* logic and integer arithmetic */
.irp op, pand, pandn, por, pxor, andps, andnps, orps, xorps, andpd, andnpd, orpd, xorpd
XMM \op, K_SSE_INT
.endr
.irp op, paddb, paddw, paddd, paddq, psubb, psubw, psubd, psubq
XMM \op, K_SSE_INT
.endr
.irp op, paddsb, paddsw, paddusb, paddusw, psubsb, psubsw, psubusb, psubusw
XMM \op, K_SSE_INT
.endr
.irp op, pmullw, pmulhw, pmulhuw, pmuludq, pmaddwd, psadbw, pavgb, pavgw
XMM \op, K_SSE_INT
.endr
.irp op, pmaxub, pminub, pmaxsw, pminsw
XMM \op, K_SSE_INT
.endr
.irp op, pcmpeqb, pcmpeqw, pcmpeqd, pcmpgtb, pcmpgtw, pcmpgtd
XMM \op, K_SSE_INT
.endr
.irp op, packsswb, packssdw, packuswb
XMM \op, K_SSE_INT
.endr
.irp op, punpcklbw, punpcklwd, punpckldq, punpcklqdq, punpckhbw, punpckhwd, punpckhdq, punpckhqdq
XMM \op, K_SSE_INT
.endr
.irp op, unpcklps, unpckhps, unpcklpd, unpckhpd
XMM \op, K_SSE_INT
.endr

/* shifts */
.irp op, psllw, pslld, psllq, psrlw, psrld, psrlq, psraw, psrad
FORM("\op xmm, imm8 (3)", K_SSE_INT, \op $3, %xmm1)
FORM("\op xmm, imm8 (33)", K_SSE_INT, \op $33, %xmm1)
FORM("\op xmm, xmm", K_SSE_SHIFT, \op %xmm2, %xmm1)
.endr
FORM("pslldq xmm, imm8", K_SSE_INT, pslldq $5, %xmm1)
FORM("psrldq xmm, imm8", K_SSE_INT, psrldq $11, %xmm1)
FORM("psrldq xmm, imm8 (16)", K_SSE_INT, psrldq $16, %xmm1)

/* shuffles */
FORM("pshufd xmm, xmm, imm8", K_SSE_INT, pshufd $0x1b, %xmm2, %xmm1)
FORM("pshufd xmm, m128, imm8", K_SSE_INT, pshufd $0xe4, 16(%rbx), %xmm1)
FORM("pshufhw xmm, xmm, imm8", K_SSE_INT, pshufhw $0x4e, %xmm2, %xmm1)
FORM("pshuflw xmm, xmm, imm8", K_SSE_INT, pshuflw $0xb1, %xmm2, %xmm1)
FORM("shufps xmm, xmm, imm8", K_SSE_INT, shufps $0x8d, %xmm2, %xmm1)
FORM("shufps xmm, m128, imm8", K_SSE_INT, shufps $0x72, 16(%rbx), %xmm1)
FORM("shufpd xmm, xmm, imm8", K_SSE_INT, shufpd $1, %xmm2, %xmm1)
FORM("shufpd xmm, xmm, imm8 (2)", K_SSE_INT, shufpd $2, %xmm2, %xmm1)

/* floating point */
.irp op, addps, subps, mulps, divps, minps, maxps, sqrtps
XMM \op, K_SSE_PS
.endr
.irp op, addss, subss, mulss, divss, minss, maxss, sqrtss
FORM("\op xmm, xmm", K_SSE_PS, \op %xmm2, %xmm1)
FORM("\op xmm, m32", K_SSE_PS, \op 16(%rbx), %xmm1)
.endr
.irp op, addpd, subpd, mulpd, divpd, minpd, maxpd, sqrtpd
XMM \op, K_SSE_PD
.endr
.irp op, addsd, subsd, mulsd, divsd, minsd, maxsd, sqrtsd
FORM("\op xmm, xmm", K_SSE_PD, \op %xmm2, %xmm1)
FORM("\op xmm, m64", K_SSE_PD, \op 16(%rbx), %xmm1)
.endr
.irp pred, 0, 1, 2, 3, 4, 5, 6, 7
FORM("cmpps xmm, xmm, \pred", K_SSE_PS, cmpps $\pred, %xmm2, %xmm1)
FORM("cmpss xmm, xmm, \pred", K_SSE_PS, cmpss $\pred, %xmm2, %xmm1)
FORM("cmppd xmm, xmm, \pred", K_SSE_PD, cmppd $\pred, %xmm2, %xmm1)
FORM("cmpsd xmm, xmm, \pred", K_SSE_PD, cmpsd $\pred, %xmm2, %xmm1)
.endr
FORM("comiss xmm, xmm", K_SSE_PS, comiss %xmm2, %xmm1)
FORM("ucomiss xmm, xmm", K_SSE_PS, ucomiss %xmm2, %xmm1)
FORM("comisd xmm, xmm", K_SSE_PD, comisd %xmm2, %xmm1)
FORM("ucomisd xmm, xmm", K_SSE_PD, ucomisd %xmm2, %xmm1)
FORM("ucomisd xmm, m64", K_SSE_PD, ucomisd 16(%rbx), %xmm1)

/* conversions */
FORM("cvtsi2ss xmm, r32", K_SSE_PS, cvtsi2ssl %eax, %xmm1)
FORM("cvtsi2ss xmm, r64", K_SSE_PS, cvtsi2ssq %rax, %xmm1)
FORM("cvtsi2sd xmm, r32", K_SSE_PD, cvtsi2sdl %eax, %xmm1)
FORM("cvtsi2sd xmm, r64", K_SSE_PD, cvtsi2sdq %rax, %xmm1)
FORM("cvtsi2sd xmm, m64", K_SSE_PD, cvtsi2sdq 8(%rbx), %xmm1)
FORM("cvtss2si r32, xmm", K_SSE_PS, cvtss2si %xmm1, %eax)
FORM("cvtss2si r64, xmm", K_SSE_PS, cvtss2si %xmm1, %rax)
FORM("cvttss2si r32, xmm", K_SSE_PS, cvttss2si %xmm1, %eax)
FORM("cvttss2si r64, xmm", K_SSE_PS, cvttss2si %xmm1, %rax)
FORM("cvtsd2si r32, xmm", K_SSE_PD, cvtsd2si %xmm1, %eax)
FORM("cvtsd2si r64, xmm", K_SSE_PD, cvtsd2si %xmm1, %rax)
FORM("cvttsd2si r32, xmm", K_SSE_PD, cvttsd2si %xmm1, %eax)
FORM("cvttsd2si r64, xmm", K_SSE_PD, cvttsd2si %xmm1, %rax)
FORM("cvtss2sd xmm, xmm", K_SSE_PS, cvtss2sd %xmm2, %xmm1)
FORM("cvtsd2ss xmm, xmm", K_SSE_PD, cvtsd2ss %xmm2, %xmm1)
FORM("cvtps2pd xmm, xmm", K_SSE_PS, cvtps2pd %xmm2, %xmm1)
FORM("cvtpd2ps xmm, xmm", K_SSE_PD, cvtpd2ps %xmm2, %xmm1)
FORM("cvtdq2ps xmm, xmm", K_SSE_INT, cvtdq2ps %xmm2, %xmm1)
FORM("cvtps2dq xmm, xmm", K_SSE_PS, cvtps2dq %xmm2, %xmm1)
FORM("cvttps2dq xmm, xmm", K_SSE_PS, cvttps2dq %xmm2, %xmm1)
FORM("cvtdq2pd xmm, xmm", K_SSE_INT, cvtdq2pd %xmm2, %xmm1)
FORM("cvtpd2dq xmm, xmm", K_SSE_PD, cvtpd2dq %xmm2, %xmm1)
FORM("cvttpd2dq xmm, xmm", K_SSE_PD, cvttpd2dq %xmm2, %xmm1)

	.section .note.GNU-stack, "", @progbits
