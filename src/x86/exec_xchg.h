/* Exchanges: XCHG XADD CMPXCHG CMPXCHG8B CMPXCHG16B (SDM Vol. 2). With a
 * memory operand XCHG is always locked; the others with a LOCK prefix. On
 * RAM the locked forms are host atomic operations (see x86/emu.h). */
#ifndef VMON_X86_EXEC_XCHG_H
#define VMON_X86_EXEC_XCHG_H

#include "x86/exec_table.h"

#define X86_EXEC_XCHG_OPS(H)                                                     \
    H(XCHG, x86_exec_xchg) H(XADD, x86_exec_xadd) H(CMPXCHG, x86_exec_cmpxchg)   \
    H(CMPXCHG8B, x86_exec_cmpxchg8b) H(CMPXCHG16B, x86_exec_cmpxchg16b)

X86_EXEC_XCHG_OPS(X86_EXEC_DECLARE)

#endif
