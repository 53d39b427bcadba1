/* Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR SHLD SHRD (SDM Vol. 2,
 * "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
 *
 * The count is masked to 5 bits (6 for 64-bit operands); a masked count of
 * 0 changes no flag. OF is defined for 1-bit counts only, AF never, and CF
 * of SHL/SHR is undefined for counts >= the operand width; this code gives
 * them the values the 1-bit formulas produce. RCL/RCR on 8/16-bit operands
 * rotate modulo 9/17. */
#ifndef VMON_X86_EXEC_SHIFT_H
#define VMON_X86_EXEC_SHIFT_H

#include "x86/exec_table.h"

#define X86_EXEC_SHIFT_OPS(H)                                                    \
    H(SHL, x86_exec_shl) H(SHR, x86_exec_shr) H(SAR, x86_exec_sar)               \
    H(ROL, x86_exec_rol) H(ROR, x86_exec_ror) H(RCL, x86_exec_rcl)               \
    H(RCR, x86_exec_rcr) H(SHLD, x86_exec_shld) H(SHRD, x86_exec_shrd)

X86_EXEC_SHIFT_OPS(X86_EXEC_DECLARE)

#endif
