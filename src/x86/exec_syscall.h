/* Fast system calls and segment-base instructions: SYSCALL SYSRET SYSENTER
 * SYSEXIT SWAPGS RDFSBASE RDGSBASE WRFSBASE WRGSBASE (SDM Vol. 2, each
 * instruction's page; AMD APM Vol. 2, 6.1.1 for legacy-mode SYSCALL).
 *
 * These load CS and SS with fixed flat descriptors derived from the MSRs
 * (STAR, SYSENTER_CS), never reading the GDT, and refresh the CPU mode.
 *
 * The emulated CPU offers the union of Intel's and AMD's forms, so guests
 * that pick their entry path from the CPUID vendor work either way:
 * SYSCALL/SYSRET also in compatibility and legacy protected mode (AMD:
 * CSTAR, STAR[31:0]); SYSENTER/SYSEXIT also in IA-32e mode (Intel). SYSRET
 * to 64-bit code with a non-canonical RCX raises #GP(0) at CPL 0, as on
 * Intel processors. */
#ifndef VMON_X86_EXEC_SYSCALL_H
#define VMON_X86_EXEC_SYSCALL_H

#include "x86/exec_table.h"

#define X86_EXEC_SYSCALL_OPS(H)                                                  \
    H(SYSCALL, x86_exec_syscall) H(SYSRET, x86_exec_sysret)                      \
    H(SYSENTER, x86_exec_sysenter) H(SYSEXIT, x86_exec_sysexit)                  \
    H(SWAPGS, x86_exec_swapgs) H(RDFSBASE, x86_exec_rdbase)                      \
    H(RDGSBASE, x86_exec_rdbase) H(WRFSBASE, x86_exec_wrbase)                    \
    H(WRGSBASE, x86_exec_wrbase)

X86_EXEC_SYSCALL_OPS(X86_EXEC_DECLARE)

#endif
