/* SSE/SSE2 conversions (SDM Vol. 2, each CVT* page): between packed and
 * scalar single, double and 32/64-bit integers, and the MMX forms
 * CVTPI2PS CVTPI2PD CVTPS2PI CVTTPS2PI CVTPD2PI CVTTPD2PI. They run on the
 * host (x86/exec_sse_host.h): rounding under MXCSR.RC, truncation, the
 * integer indefinite value and the exception flags match the hardware. */
#ifndef VMON_X86_EXEC_SSE_CVT_H
#define VMON_X86_EXEC_SSE_CVT_H

#include "x86/exec_table.h"

#define X86_EXEC_SSE_CVT_OPS(H)                                                  \
    H(CVTPS2PD, x86_exec_sse_cvt) H(CVTPD2PS, x86_exec_sse_cvt)                  \
    H(CVTSS2SD, x86_exec_sse_cvt) H(CVTSD2SS, x86_exec_sse_cvt)                  \
    H(CVTDQ2PS, x86_exec_sse_cvt) H(CVTPS2DQ, x86_exec_sse_cvt)                  \
    H(CVTTPS2DQ, x86_exec_sse_cvt) H(CVTDQ2PD, x86_exec_sse_cvt)                 \
    H(CVTPD2DQ, x86_exec_sse_cvt) H(CVTTPD2DQ, x86_exec_sse_cvt)                 \
    H(CVTSI2SS, x86_exec_sse_cvtsi2f) H(CVTSI2SD, x86_exec_sse_cvtsi2f)          \
    H(CVTSS2SI, x86_exec_sse_cvtf2si) H(CVTTSS2SI, x86_exec_sse_cvtf2si)         \
    H(CVTSD2SI, x86_exec_sse_cvtf2si) H(CVTTSD2SI, x86_exec_sse_cvtf2si)         \
    H(CVTPI2PS, x86_exec_sse_cvtpi2f) H(CVTPI2PD, x86_exec_sse_cvtpi2f)          \
    H(CVTPS2PI, x86_exec_sse_cvtf2pi) H(CVTTPS2PI, x86_exec_sse_cvtf2pi)         \
    H(CVTPD2PI, x86_exec_sse_cvtf2pi) H(CVTTPD2PI, x86_exec_sse_cvtf2pi)

int x86_exec_sse_cvt(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_cvtsi2f(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_cvtf2si(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_cvtpi2f(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sse_cvtf2pi(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
