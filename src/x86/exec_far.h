/* Far control transfers: JMP far, CALL far (direct, indirect, through call
 * gates) and RET far (SDM Vol. 2, "JMP", "CALL", "RET"; Vol. 3A, 5.8).
 *
 * Real and virtual-8086 mode load CS as sel << 4. Protected and IA-32e
 * modes check the target descriptor: code segments (conforming or not, a
 * 64-bit or compatibility one in IA-32e mode) and call gates (16/32-bit, or
 * 64-bit in IA-32e mode), including CALL through a gate to a more
 * privileged non-conforming segment with the stack switch from the TSS and
 * the parameter copy of legacy gates. RET far returns to the same or an
 * outer privilege level.
 *
 * Not supported (X86_EXEC_UNSUPPORTED, nothing changed): JMP/CALL to a TSS
 * or through a task gate (task switches) outside IA-32e mode, where they are
 * #GP(sel) anyway. */
#ifndef VMON_X86_EXEC_FAR_H
#define VMON_X86_EXEC_FAR_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/exec_table.h"

#define X86_EXEC_FAR_OPS(H)                                                      \
    H(JMPF, x86_exec_jmpf) H(CALLF, x86_exec_callf) H(RETF, x86_exec_retf)

X86_EXEC_FAR_OPS(X86_EXEC_DECLARE)

struct x86_desc;

/* Shared with IRET (exec_int.c). */

/* A new RIP against the target code segment: canonical for a 64-bit
 * segment in IA-32e mode, else within its limit. #GP(0). */
int x86_far_check_rip(struct x86_cpu *cpu, const struct x86_desc *cs, uint64_t rip);

/* The return code segment of RET far and IRET: not null (#GP(0)), a
 * present code segment with RPL >= CPL and DPL == RPL (or DPL <= RPL when
 * conforming), not L and D together. #GP(sel), #NP(sel). */
int x86_far_check_return_cs(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d);

/* The stack segment of a return to an outer privilege level (rpl: the
 * return CS's RPL; l64: it is a 64-bit code segment). A null selector is
 * allowed only in IA-32e mode back to 64-bit code at CPL < 3 (*null_ss). */
int x86_far_check_outer_ss(struct x86_cpu *cpu, uint16_t ss, unsigned rpl, bool l64,
                           struct x86_desc *d, bool *null_ss);

/* Loads SS (from d, or null) and the stack pointer at the new stack's
 * width; call after CS holds the return code segment. */
void x86_far_load_outer_stack(struct x86_cpu *cpu, uint16_t ss, const struct x86_desc *d,
                              bool null_ss, uint64_t sp);

#endif
