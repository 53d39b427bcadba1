/* SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic (SDM Vol. 2, each
 * instruction's page; exceptions: Vol. 1, 11.5): ADD SUB MUL DIV MIN MAX
 * SQRT in packed/scalar single/double, RCP RSQRT, CMPxx (predicates 0-7),
 * COMISS COMISD UCOMISS UCOMISD, HADD HSUB ADDSUB, ROUNDxx, DPPS DPPD.
 *
 * Arithmetic runs on the host's SSE2 unit (x86/exec_sse_host.h), so the
 * results match the hardware bit for bit; the SSE3/SSE4.1 operations are
 * composed from SSE2 ones in the order the SDM's pseudo-code gives, and
 * ROUNDxx is integer code. RCPxx/RSQRTxx return the host's approximation
 * (relative error <= 1.5 * 2^-12, as the SDM specifies; vendors differ
 * in the exact bits). */
#ifndef VMON_X86_EXEC_SSE_FP_H
#define VMON_X86_EXEC_SSE_FP_H

#include "x86/exec_table.h"

#define X86_EXEC_SSE_FP4(H, name, fn)                                            \
    H(name##PS, fn) H(name##PD, fn) H(name##SS, fn) H(name##SD, fn)

#define X86_EXEC_SSE_FP_OPS(H)                                                   \
    X86_EXEC_SSE_FP4(H, ADD, x86_exec_sse_arith)                                 \
    X86_EXEC_SSE_FP4(H, SUB, x86_exec_sse_arith)                                 \
    X86_EXEC_SSE_FP4(H, MUL, x86_exec_sse_arith)                                 \
    X86_EXEC_SSE_FP4(H, DIV, x86_exec_sse_arith)                                 \
    X86_EXEC_SSE_FP4(H, MIN, x86_exec_sse_arith)                                 \
    X86_EXEC_SSE_FP4(H, MAX, x86_exec_sse_arith)                                 \
    X86_EXEC_SSE_FP4(H, SQRT, x86_exec_sse_arith)                                \
    H(RCPPS, x86_exec_sse_arith) H(RCPSS, x86_exec_sse_arith)                    \
    H(RSQRTPS, x86_exec_sse_arith) H(RSQRTSS, x86_exec_sse_arith)                \
    X86_EXEC_SSE_FP4(H, CMP, x86_exec_sse_cmp)                                   \
    H(COMISS, x86_exec_sse_comis) H(COMISD, x86_exec_sse_comis)                  \
    H(UCOMISS, x86_exec_sse_comis) H(UCOMISD, x86_exec_sse_comis)                \
    H(HADDPS, x86_exec_sse_hadd) H(HADDPD, x86_exec_sse_hadd)                    \
    H(HSUBPS, x86_exec_sse_hadd) H(HSUBPD, x86_exec_sse_hadd)                    \
    H(ADDSUBPS, x86_exec_sse_addsub) H(ADDSUBPD, x86_exec_sse_addsub)            \
    X86_EXEC_SSE_FP4(H, ROUND, x86_exec_sse_round)                               \
    H(DPPS, x86_exec_sse_dp) H(DPPD, x86_exec_sse_dp)

int x86_exec_sse_arith(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_cmp(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_comis(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_hadd(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_addsub(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_round(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_dp(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
