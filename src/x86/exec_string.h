/* String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with REP, REPE and
 * REPNE (SDM Vol. 2, each instruction's page and "REP/REPE/REPZ/REPNE/
 * REPNZ"). rSI/rDI/rCX are used at the address size; the rSI side uses
 * insn->seg, the rDI side always ES; DF chooses the direction.
 *
 * Interruptible repetition: one x86_exec() call runs at most X86_REP_BATCH
 * iterations. If the count is not exhausted (and a REPE/REPNE condition has
 * not ended the loop) RIP stays on the instruction, with rCX/rSI/rDI
 * describing the remaining work, exactly as when hardware takes an
 * interrupt between iterations: calling x86_exec() again resumes. A fault
 * in iteration n leaves iterations 0..n-1 done and RIP on the instruction. */
#ifndef VMON_X86_EXEC_STRING_H
#define VMON_X86_EXEC_STRING_H

#include "x86/exec_table.h"

#define X86_EXEC_STRING_OPS(H)                                                   \
    H(MOVS, x86_exec_movs) H(CMPS, x86_exec_cmps) H(STOS, x86_exec_stos)         \
    H(LODS, x86_exec_lods) H(SCAS, x86_exec_scas) H(INS, x86_exec_ins)           \
    H(OUTS, x86_exec_outs)

X86_EXEC_STRING_OPS(X86_EXEC_DECLARE)

#endif
