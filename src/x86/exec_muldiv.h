/* Multiplication and division: MUL IMUL (one, two and three operands) DIV
 * IDIV (SDM Vol. 2, "MUL", "IMUL", "DIV", "IDIV").
 *
 * MUL/IMUL set CF = OF = "the high half is significant"; SF ZF AF PF are
 * undefined (here: SF ZF PF from the low half, AF 0). DIV/IDIV leave every
 * flag undefined (here: unchanged) and raise #DE for a zero divisor or a
 * quotient that does not fit. */
#ifndef VMON_X86_EXEC_MULDIV_H
#define VMON_X86_EXEC_MULDIV_H

#include "x86/exec_table.h"

#define X86_EXEC_MULDIV_OPS(H)                                                   \
    H(MUL, x86_exec_mul) H(IMUL, x86_exec_imul) H(DIV, x86_exec_div)             \
    H(IDIV, x86_exec_idiv)

X86_EXEC_MULDIV_OPS(X86_EXEC_DECLARE)

#endif
