/* Port I/O and interrupt-flag control: IN OUT HLT CLI STI, and the I/O
 * permission check INS/OUTS share (SDM Vol. 1, 19.5 "I/O privilege level"
 * and 19.5.2 "I/O permission bit map"; Vol. 2 "CLI", "STI", "HLT"). */
#ifndef VMON_X86_EXEC_IO_H
#define VMON_X86_EXEC_IO_H

#include <stdint.h>

#include "x86/exec_table.h"

#define X86_EXEC_IO_OPS(H)                                                       \
    H(IN, x86_exec_in) H(OUT, x86_exec_out) H(HLT, x86_exec_hlt)                 \
    H(CLI, x86_exec_cli) H(STI, x86_exec_sti)

X86_EXEC_IO_OPS(X86_EXEC_DECLARE)

/* Port access permission: allowed in real mode and when CPL <= IOPL;
 * otherwise (and always in virtual-8086 mode) the TSS bitmap decides
 * through the io_bitmap callback. Raises #GP(0) when denied. */
int x86_io_check(struct x86_cpu *cpu, uint16_t port, unsigned size);

#endif
