/* MMX/SSE data movement and MXCSR access (SDM Vol. 2, each instruction's
 * page): whole-register moves (MOVAPS MOVUPS MOVAPD MOVUPD MOVDQA MOVDQU
 * LDDQU MOVNTPS MOVNTPD MOVNTDQ MOVNTDQA MOVNTQ), MOVD/MOVQ in all forms,
 * MOVQ2DQ MOVDQ2Q, scalar moves (MOVSS MOVSD), half moves (MOVLPS MOVLPD
 * MOVHPS MOVHPD MOVHLPS MOVLHPS), duplicates (MOVSLDUP MOVSHDUP MOVDDUP),
 * sign masks (MOVMSKPS MOVMSKPD PMOVMSKB), masked stores (MASKMOVQ
 * MASKMOVDQU), lane inserts/extracts (PINSRB/W/D/Q PEXTRB/W/D/Q EXTRACTPS
 * INSERTPS), LDMXCSR STMXCSR and EMMS. No flags change. */
#ifndef VMON_X86_EXEC_SSE_MOV_H
#define VMON_X86_EXEC_SSE_MOV_H

#include "x86/exec_table.h"

#define X86_EXEC_SSE_MOV_OPS(H)                                                  \
    H(MOVUPS, x86_exec_simd_mov) H(MOVUPD, x86_exec_simd_mov)                    \
    H(MOVAPS, x86_exec_simd_mov) H(MOVAPD, x86_exec_simd_mov)                    \
    H(MOVDQA, x86_exec_simd_mov) H(MOVDQU, x86_exec_simd_mov)                    \
    H(LDDQU, x86_exec_simd_mov) H(MOVNTPS, x86_exec_simd_mov)                    \
    H(MOVNTPD, x86_exec_simd_mov) H(MOVNTDQ, x86_exec_simd_mov)                  \
    H(MOVNTDQA, x86_exec_simd_mov) H(MOVNTQ, x86_exec_simd_mov)                  \
    H(MOVD, x86_exec_simd_movq) H(MOVQ, x86_exec_simd_movq)                      \
    H(MOVQ2DQ, x86_exec_simd_movq) H(MOVDQ2Q, x86_exec_simd_movq)                \
    H(MOVSS, x86_exec_sse_movs) H(MOVSD, x86_exec_sse_movs)                      \
    H(MOVLPS, x86_exec_sse_movhl) H(MOVLPD, x86_exec_sse_movhl)                  \
    H(MOVHPS, x86_exec_sse_movhl) H(MOVHPD, x86_exec_sse_movhl)                  \
    H(MOVHLPS, x86_exec_sse_movhl) H(MOVLHPS, x86_exec_sse_movhl)                \
    H(MOVSLDUP, x86_exec_sse_movdup) H(MOVSHDUP, x86_exec_sse_movdup)            \
    H(MOVDDUP, x86_exec_sse_movdup)                                              \
    H(MOVMSKPS, x86_exec_simd_movmsk) H(MOVMSKPD, x86_exec_simd_movmsk)          \
    H(PMOVMSKB, x86_exec_simd_movmsk)                                            \
    H(MASKMOVQ, x86_exec_simd_maskmov) H(MASKMOVDQU, x86_exec_simd_maskmov)      \
    H(PINSRB, x86_exec_simd_insert) H(PINSRW, x86_exec_simd_insert)              \
    H(PINSRD, x86_exec_simd_insert) H(INSERTPS, x86_exec_simd_insert)            \
    H(PEXTRB, x86_exec_simd_extract) H(PEXTRW, x86_exec_simd_extract)            \
    H(PEXTRD, x86_exec_simd_extract) H(EXTRACTPS, x86_exec_simd_extract)         \
    H(LDMXCSR, x86_exec_ldmxcsr) H(STMXCSR, x86_exec_stmxcsr)                    \
    H(EMMS, x86_exec_emms)

int x86_exec_simd_mov(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_simd_movq(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_movs(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_movhl(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_movdup(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_simd_movmsk(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_simd_maskmov(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_simd_insert(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_simd_extract(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_ldmxcsr(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_stmxcsr(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_emms(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
