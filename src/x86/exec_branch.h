/* Near control transfers: JMP CALL RET (relative and indirect, RET imm16)
 * Jcc JCXZ/JECXZ/JRCXZ LOOP LOOPE LOOPNE (SDM Vol. 2, each instruction's
 * page). Targets are truncated to the operand size and checked against the
 * CS limit, or for canonical form in 64-bit mode (#GP(0)). */
#ifndef VMON_X86_EXEC_BRANCH_H
#define VMON_X86_EXEC_BRANCH_H

#include "x86/exec_table.h"

#define X86_EXEC_BRANCH_OPS(H)                                                   \
    H(JMP, x86_exec_jmp) H(CALL, x86_exec_call) H(RET, x86_exec_ret)             \
    H(JCC, x86_exec_jcc) H(JCXZ, x86_exec_jcxz) H(LOOP, x86_exec_loop)           \
    H(LOOPE, x86_exec_loop) H(LOOPNE, x86_exec_loop)

int x86_exec_jmp(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_call(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_ret(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_jcc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_jcxz(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_loop(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
