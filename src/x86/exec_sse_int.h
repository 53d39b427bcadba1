/* MMX, SSE2, SSSE3 and SSE4.1 integer operations on MMX (64-bit) and XMM
 * (128-bit) registers, and the bitwise/shuffle/blend forms of the
 * floating-point types (SDM Vol. 2, each instruction's page): add/subtract
 * with wraparound and saturation, compares, min/max, averages, multiplies,
 * multiply-add, sum of absolute differences, logic, shifts by register,
 * memory or immediate, whole-register byte shifts, unpack/pack, shuffles,
 * SSSE3 (PSHUFB PALIGNR PABS PSIGN PHADD PHSUB PMADDUBSW PMULHRSW), SSE4.1
 * (PMIN/PMAX all types, PMULLD PMULDQ PCMPEQQ PACKUSDW PMOVSX/PMOVZX
 * PBLENDW BLENDPS BLENDPD PBLENDVB BLENDVPS BLENDVPD PTEST PHMINPOSUW
 * MPSADBW) and SSE4.2 PCMPGTQ.
 *
 * One handler serves the MMX and the SSE form of an operation: the lanes
 * are the same, only the width (operand 0 MMX: 8 bytes, XMM: 16) differs.
 * Plain integer code; no flag changes except PTEST. */
#ifndef VMON_X86_EXEC_SSE_INT_H
#define VMON_X86_EXEC_SSE_INT_H

#include "x86/exec_table.h"

/* The operations of x86_exec_simd_int: R(H, OP) rows. */
#define X86_SSE_INT_LANE_OPS(R, H)                                                   \
    R(H, PADDB) R(H, PADDW) R(H, PADDD) R(H, PADDQ) R(H, PADDSB) R(H, PADDSW)      \
    R(H, PADDUSB) R(H, PADDUSW) R(H, PSUBB) R(H, PSUBW) R(H, PSUBD) R(H, PSUBQ)    \
    R(H, PSUBSB) R(H, PSUBSW) R(H, PSUBUSB) R(H, PSUBUSW) R(H, PCMPEQB)            \
    R(H, PCMPEQW) R(H, PCMPEQD) R(H, PCMPEQQ) R(H, PCMPGTB) R(H, PCMPGTW)          \
    R(H, PCMPGTD) R(H, PCMPGTQ) R(H, PMINUB) R(H, PMINUW) R(H, PMINUD)             \
    R(H, PMINSB) R(H, PMINSW) R(H, PMINSD) R(H, PMAXUB) R(H, PMAXUW) R(H, PMAXUD)  \
    R(H, PMAXSB) R(H, PMAXSW) R(H, PMAXSD) R(H, PAVGB) R(H, PAVGW) R(H, PSADBW)    \
    R(H, MPSADBW) R(H, PMULLW) R(H, PMULHW) R(H, PMULHUW) R(H, PMULLD)             \
    R(H, PMULUDQ) R(H, PMULDQ) R(H, PMADDWD) R(H, PMADDUBSW) R(H, PMULHRSW)        \
    R(H, PAND) R(H, PANDN) R(H, POR) R(H, PXOR) R(H, ANDPS) R(H, ANDPD)            \
    R(H, ANDNPS) R(H, ANDNPD) R(H, ORPS) R(H, ORPD) R(H, XORPS) R(H, XORPD)        \
    R(H, PSRLW) R(H, PSRLD) R(H, PSRLQ) R(H, PSRAW) R(H, PSRAD) R(H, PSLLW)        \
    R(H, PSLLD) R(H, PSLLQ) R(H, PSRLDQ) R(H, PSLLDQ) R(H, PUNPCKLBW)              \
    R(H, PUNPCKLWD) R(H, PUNPCKLDQ) R(H, PUNPCKLQDQ) R(H, PUNPCKHBW)               \
    R(H, PUNPCKHWD) R(H, PUNPCKHDQ) R(H, PUNPCKHQDQ) R(H, UNPCKLPS) R(H, UNPCKLPD) \
    R(H, UNPCKHPS) R(H, UNPCKHPD) R(H, PACKSSWB) R(H, PACKSSDW) R(H, PACKUSWB)     \
    R(H, PACKUSDW) R(H, PSHUFW) R(H, PSHUFD) R(H, PSHUFHW) R(H, PSHUFLW)           \
    R(H, SHUFPS) R(H, SHUFPD) R(H, PSHUFB) R(H, PALIGNR) R(H, PABSB) R(H, PABSW)   \
    R(H, PABSD) R(H, PSIGNB) R(H, PSIGNW) R(H, PSIGND) R(H, PHADDW) R(H, PHADDD)   \
    R(H, PHADDSW) R(H, PHSUBW) R(H, PHSUBD) R(H, PHSUBSW) R(H, PMOVSXBW)           \
    R(H, PMOVSXBD) R(H, PMOVSXBQ) R(H, PMOVSXWD) R(H, PMOVSXWQ) R(H, PMOVSXDQ)     \
    R(H, PMOVZXBW) R(H, PMOVZXBD) R(H, PMOVZXBQ) R(H, PMOVZXWD) R(H, PMOVZXWQ)     \
    R(H, PMOVZXDQ) R(H, PBLENDW) R(H, BLENDPS) R(H, BLENDPD) R(H, PBLENDVB)        \
    R(H, BLENDVPS) R(H, BLENDVPD) R(H, PHMINPOSUW)

#define X86_SSE_INT_ROW(H, op) H(op, x86_exec_simd_int)

#define X86_EXEC_SSE_INT_OPS(H)                                                      \
    X86_SSE_INT_LANE_OPS(X86_SSE_INT_ROW, H) H(PTEST, x86_exec_ptest)

int x86_exec_simd_int(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_ptest(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
