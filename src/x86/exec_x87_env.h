/* The x87 environment and state images: FNSTENV FLDENV FNSAVE FRSTOR
 * (SDM Vol. 1, 8.1.10 and Figures 8-9 to 8-12; Vol. 2, each page). The
 * image format follows the operand size (14/94 bytes with a 16-bit
 * operand size, 28/108 bytes with 32/64) and the mode (the real-mode
 * layout in real and virtual-8086 mode, else the protected-mode layout).
 * The tag word is stored in full (valid/zero/special/empty, from the
 * register contents) and loaded back into the abridged form. */
#ifndef VMON_X86_EXEC_X87_ENV_H
#define VMON_X86_EXEC_X87_ENV_H

#include "x86/exec_table.h"

#define X86_EXEC_X87_ENV_OPS(H)                                                  \
    H(FNSTENV, x86_exec_fnstenv) H(FLDENV, x86_exec_fldenv)                      \
    H(FNSAVE, x86_exec_fnsave) H(FRSTOR, x86_exec_frstor)

int x86_exec_fnstenv(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fldenv(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fnsave(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_frstor(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
