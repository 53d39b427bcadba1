/* Data movement: MOV (all integer forms incl. moffs) MOVNTI MOVZX MOVSX
 * MOVSXD MOVBE LEA CBW/CWDE/CDQE CWD/CDQ/CQO CMOVcc SETcc XLAT LAHF SAHF
 * (SDM Vol. 2, each instruction's page). None of them changes a flag except
 * SAHF. */
#ifndef VMON_X86_EXEC_MOV_H
#define VMON_X86_EXEC_MOV_H

#include "x86/exec_table.h"

#define X86_EXEC_MOV_OPS(H)                                                      \
    H(MOV, x86_exec_mov) H(MOVNTI, x86_exec_mov) H(MOVZX, x86_exec_movzx)        \
    H(MOVSX, x86_exec_movsx) H(MOVSXD, x86_exec_movsx) H(MOVBE, x86_exec_movbe)  \
    H(LEA, x86_exec_lea) H(CBW, x86_exec_cbw) H(CWD, x86_exec_cwd)               \
    H(CMOVCC, x86_exec_cmovcc) H(SETCC, x86_exec_setcc) H(XLAT, x86_exec_xlat)   \
    H(LAHF, x86_exec_lahf) H(SAHF, x86_exec_sahf)

int x86_exec_mov(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_movzx(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_movsx(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_movbe(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_lea(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_cbw(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_cwd(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_cmovcc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_setcc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_xlat(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_lahf(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_sahf(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
