/* Decimal arithmetic, legacy modes only (the decoder rejects it in 64-bit
 * mode): DAA DAS AAA AAS AAM AAD (SDM Vol. 2, each instruction's page). */
#ifndef VMON_X86_EXEC_BCD_H
#define VMON_X86_EXEC_BCD_H

#include "x86/exec_table.h"

#define X86_EXEC_BCD_OPS(H)                                                      \
    H(DAA, x86_exec_daa) H(DAS, x86_exec_das) H(AAA, x86_exec_aaa)               \
    H(AAS, x86_exec_aas) H(AAM, x86_exec_aam) H(AAD, x86_exec_aad)

X86_EXEC_BCD_OPS(X86_EXEC_DECLARE)

#endif
