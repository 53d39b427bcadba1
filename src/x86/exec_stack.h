/* The stack: PUSH POP (registers, memory, immediates, segment registers)
 * PUSHA POPA PUSHF POPF ENTER LEAVE (SDM Vol. 2, each instruction's page).
 * The stack-slot size is the instruction's operand size; SP arithmetic
 * wraps at the stack width (SS.B, or 64 bits in 64-bit mode). */
#ifndef VMON_X86_EXEC_STACK_H
#define VMON_X86_EXEC_STACK_H

#include "x86/exec_table.h"

#define X86_EXEC_STACK_OPS(H)                                                    \
    H(PUSH, x86_exec_push) H(POP, x86_exec_pop) H(PUSHA, x86_exec_pusha)         \
    H(POPA, x86_exec_popa) H(PUSHF, x86_exec_pushf) H(POPF, x86_exec_popf)       \
    H(ENTER, x86_exec_enter) H(LEAVE, x86_exec_leave)

X86_EXEC_STACK_OPS(X86_EXEC_DECLARE)

#endif
