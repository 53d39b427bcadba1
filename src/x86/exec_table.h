/* Dispatch: one handler per enum x86_op.
 *
 * Each instruction family (exec_alu.c, exec_shift.c, ...) lists its
 * operations in its header as an X-macro, X86_EXEC_<FAMILY>_OPS(H), with
 * H(OP, handler) rows; the same list declares the handlers (through
 * X86_EXEC_DECLARE) and fills the table in exec_table.c. A new family (the
 * system instructions, x87, SSE...) adds its file and header and two lines
 * to exec_table.c; the core (exec.c) does not change. Operations without a
 * handler make x86_exec() return X86_EXEC_UNSUPPORTED.
 *
 * A handler runs with cpu->next_rip = the address of the next instruction;
 * branches change it. It returns X86_EXEC_OK (the core then moves RIP to
 * next_rip), X86_EXEC_HALT (likewise), or any other status with no
 * architectural change (see x86/emu.h). */
#ifndef VMON_X86_EXEC_TABLE_H
#define VMON_X86_EXEC_TABLE_H

#include "x86/emu.h"

typedef int (*x86_exec_fn)(struct x86_cpu *cpu, const struct x86_insn *insn);

#define X86_EXEC_DECLARE(op, fn) int fn(struct x86_cpu *cpu, const struct x86_insn *insn);

/* Indexed by enum x86_op; NULL = unsupported. */
extern const x86_exec_fn x86_exec_handlers[X86_OP_COUNT];

#endif
