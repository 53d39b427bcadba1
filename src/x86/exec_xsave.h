/* x87/SSE state save and restore: FXSAVE FXRSTOR (and their 64-bit forms),
 * XSAVE XSAVEOPT XSAVEC XRSTOR, XGETBV XSETBV (SDM Vol. 1, 10.5 and chapter
 * 13; Vol. 2, each instruction's page). They operate on cpu->s.fx, whose
 * x87/SSE arithmetic lives elsewhere.
 *
 * Image layout (Vol. 1, Tables 10-2 and 13-1): FCW FSW FTW(abridged) FOP
 * at 0-7, FPU IP at 8, FPU DP at 16, MXCSR and MXCSR_MASK at 24, ST0-7 in
 * 16-byte slots from 32, XMM0-15 from 160 (XMM8-15 only in 64-bit mode).
 * cpu->s.fx.fip/fdp hold the 64-bit (REX.W) form; the 32-bit form stores
 * their bits 47:0 (offset plus FCS/FDS in bits 47:32) and zeroes bytes
 * 14-15 and 22-23. MXCSR_MASK is written as X86_MXCSR_VALID (x86/
 * exec_sse_opnd.h: the bits LDMXCSR accepts; others make FXRSTOR and
 * XRSTOR #GP(0)); bytes 464-511 are never written.
 *
 * XSAVE covers state components 0 (x87) and 1 (SSE); XCR0 accepts only
 * those. Every component is treated as in use (XINUSE = 1): XSAVE sets the
 * XSTATE_BV bits of the requested components, XSAVEOPT behaves as XSAVE,
 * XSAVEC writes the compacted header (XCOMP_BV = RFBM | bit 63). XRSTOR
 * handles the standard and compacted forms with the header checks of Vol.
 * 1, 13.8 (#GP) and initialises components whose XSTATE_BV bit is 0.
 * Requests for other components (a guest whose XCR0 was set outside the
 * emulator, e.g. with AVX) return X86_EXEC_UNSUPPORTED; XSAVES/XRSTORS are
 * not implemented. */
#ifndef VMON_X86_EXEC_XSAVE_H
#define VMON_X86_EXEC_XSAVE_H

#include "x86/exec_table.h"

#define X86_EXEC_XSAVE_OPS(H)                                                    \
    H(FXSAVE, x86_exec_fxsave) H(FXRSTOR, x86_exec_fxrstor)                      \
    H(XSAVE, x86_exec_xsave) H(XSAVEOPT, x86_exec_xsave) H(XSAVEC, x86_exec_xsave)\
    H(XRSTOR, x86_exec_xrstor) H(XGETBV, x86_exec_xgetbv) H(XSETBV, x86_exec_xsetbv)

X86_EXEC_XSAVE_OPS(X86_EXEC_DECLARE)

#endif
