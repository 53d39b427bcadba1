/* Software interrupts and interrupt return: INT n, INT3, INTO, INT1
 * (ICEBP), BOUND and IRET/IRETD/IRETQ (SDM Vol. 2, "INT n/INTO/INT3/INT1",
 * "BOUND", "IRET/IRETD/IRETQ"; Vol. 3A, 6.12-6.14).
 *
 * INT n, INT3, INTO and INT1 deliver their event through x86/deliver.h
 * inside x86_exec() (the return address is the next instruction); a fault
 * while doing so is reported as X86_EXEC_EXCEPTION with nothing changed.
 *
 * IRET returns from real mode, virtual-8086 mode (IOPL = 3), protected
 * mode to the same or an outer privilege level or to virtual-8086 mode,
 * and in IA-32e mode (IRETQ; 64-bit mode always pops SS:RSP). It ends NMI
 * blocking. Not supported: IRET with NT = 1 outside IA-32e mode (a task
 * return: X86_EXEC_UNSUPPORTED), IRET in virtual-8086 mode with IOPL < 3
 * under CR4.VME (#GP(0), as without VME). */
#ifndef VMON_X86_EXEC_INT_H
#define VMON_X86_EXEC_INT_H

#include "x86/exec_table.h"

#define X86_EXEC_INT_OPS(H)                                                      \
    H(INT, x86_exec_int) H(INT3, x86_exec_int3) H(INTO, x86_exec_into)           \
    H(INT1, x86_exec_int1) H(BOUND, x86_exec_bound) H(IRET, x86_exec_iret)

X86_EXEC_INT_OPS(X86_EXEC_DECLARE)

#endif
