/* Privileged and system instructions: MOV to/from CR0/CR2/CR3/CR4/CR8 and
 * DR0-DR7, LMSW, SMSW, CLTS, INVLPG, INVPCID, INVD, WBINVD, CLFLUSH,
 * CLFLUSHOPT, CLWB, MONITOR, MWAIT, CLAC, STAC, RDMSR, WRMSR, RDPID,
 * RDPKRU/WRPKRU and RSM (SDM Vol. 2, each instruction's page).
 *
 * Control-register writes go through x86/ctrl.h (checks, IA-32e
 * activation, TLB flushes), MSRs through x86/msr.h.
 *
 * Model choices:
 *  - MWAIT returns at once (an architecturally allowed wake-up): the
 *    emulated CPU does not sleep in it, so a backend should not advertise
 *    MONITOR/MWAIT in CPUID if it wants idle guests to use HLT. MONITOR
 *    checks its address (segmentation, and paging through mem_ptr when the
 *    backend provides it) and arms nothing.
 *  - CLFLUSH/CLFLUSHOPT/CLWB check their address like a byte read and
 *    order memory; caches are not modelled. INVD and WBINVD do nothing.
 *  - Protection keys are not supported (CR4.PKE cannot be set): RDPKRU and
 *    WRPKRU raise #UD. There is no SMM: RSM raises #UD.
 *  - Debug registers are stored (DR4/DR5 alias DR6/DR7 unless CR4.DE) and
 *    DR7.GD is honoured; breakpoints themselves are the backend's job. */
#ifndef VMON_X86_EXEC_SYSTEM_H
#define VMON_X86_EXEC_SYSTEM_H

#include "x86/exec_table.h"

#define X86_EXEC_SYSTEM_OPS(H)                                                   \
    H(MOV_TO_CR, x86_exec_mov_to_cr) H(MOV_FROM_CR, x86_exec_mov_from_cr)        \
    H(MOV_TO_DR, x86_exec_mov_to_dr) H(MOV_FROM_DR, x86_exec_mov_from_dr)        \
    H(LMSW, x86_exec_lmsw) H(SMSW, x86_exec_smsw) H(CLTS, x86_exec_clts)         \
    H(INVLPG, x86_exec_invlpg) H(INVPCID, x86_exec_invpcid)                      \
    H(INVD, x86_exec_wbinvd) H(WBINVD, x86_exec_wbinvd)                          \
    H(CLFLUSH, x86_exec_clflush) H(CLFLUSHOPT, x86_exec_clflush)                 \
    H(CLWB, x86_exec_clflush) H(MONITOR, x86_exec_monitor)                       \
    H(MWAIT, x86_exec_mwait) H(CLAC, x86_exec_clac) H(STAC, x86_exec_clac)       \
    H(RDMSR, x86_exec_rdmsr) H(WRMSR, x86_exec_wrmsr) H(RDPID, x86_exec_rdpid)   \
    H(RDPKRU, x86_exec_sys_ud) H(WRPKRU, x86_exec_sys_ud) H(RSM, x86_exec_sys_ud)

X86_EXEC_SYSTEM_OPS(X86_EXEC_DECLARE)

#endif
