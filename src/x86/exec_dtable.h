/* Descriptor-table instructions: LGDT LIDT SGDT SIDT, LLDT LTR SLDT STR,
 * LAR LSL VERR VERW and ARPL (SDM Vol. 2, each instruction's page; Vol. 3A,
 * 2.4 "Memory-Management Registers", 3.5.1, 7.2.4 and 8.7).
 *
 * LGDT/LIDT take a 16-bit limit and a 24-bit (16-bit operand size), 32-bit
 * or, in 64-bit mode, 64-bit canonical base; SGDT/SIDT store 32 or 64 bits
 * of base. LTR marks the TSS descriptor busy; LLDT and LTR read 16-byte
 * descriptors in IA-32e mode. SGDT SIDT SLDT STR honour CR4.UMIP. LAR, LSL,
 * VERR and VERW never fault on a bad selector: they clear ZF (they still
 * raise #PF if the descriptor table itself is not mapped). */
#ifndef VMON_X86_EXEC_DTABLE_H
#define VMON_X86_EXEC_DTABLE_H

#include "x86/exec_table.h"

#define X86_EXEC_DTABLE_OPS(H)                                                   \
    H(LGDT, x86_exec_lgdt) H(LIDT, x86_exec_lgdt) H(SGDT, x86_exec_sgdt)         \
    H(SIDT, x86_exec_sgdt) H(LLDT, x86_exec_lldt) H(LTR, x86_exec_ltr)           \
    H(SLDT, x86_exec_sldt) H(STR, x86_exec_sldt) H(LAR, x86_exec_lar)            \
    H(LSL, x86_exec_lar) H(VERR, x86_exec_verr) H(VERW, x86_exec_verr)           \
    H(ARPL, x86_exec_arpl)

X86_EXEC_DTABLE_OPS(X86_EXEC_DECLARE)

#endif
