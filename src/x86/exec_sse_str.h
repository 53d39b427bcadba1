/* SSE4.2 packed string compares: PCMPESTRI PCMPESTRM PCMPISTRI PCMPISTRM
 * (SDM Vol. 2, 4.1 "Imm8 control byte operation for PCMPESTRI /
 * PCMPESTRM / PCMPISTRI / PCMPISTRM" and each instruction's page).
 *
 * imm8[1:0] element format (unsigned/signed bytes/words), imm8[3:2]
 * aggregation (equal any, ranges, equal each, equal ordered), imm8[5:4]
 * polarity, imm8[6] output selection (least/most significant index, bit
 * or element mask). Explicit lengths come from rAX/rDX (absolute value,
 * saturated), implicit ones end at the first zero element. The index goes
 * to ECX, the mask to XMM0; CF ZF SF OF report the result, AF PF are 0.
 * Together with PCMPGTQ (x86/exec_sse_int.h) and CRC32 (x86/exec_bit.h)
 * this completes SSE4.2. */
#ifndef VMON_X86_EXEC_SSE_STR_H
#define VMON_X86_EXEC_SSE_STR_H

#include "x86/exec_table.h"

#define X86_EXEC_SSE_STR_OPS(H)                                                  \
    H(PCMPESTRI, x86_exec_pcmpstr) H(PCMPESTRM, x86_exec_pcmpstr)                \
    H(PCMPISTRI, x86_exec_pcmpstr) H(PCMPISTRM, x86_exec_pcmpstr)

int x86_exec_pcmpstr(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
