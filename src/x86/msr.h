/* Model-specific registers as RDMSR/WRMSR see them (SDM Vol. 4, Table 2-2
 * "IA-32 Architectural MSRs"; Vol. 2, "RDMSR", "WRMSR").
 *
 * The emulator keeps, in struct x86_state, the MSRs its own instructions
 * use, and handles them without the backend:
 *   IA32_EFER (through x86_set_efer), STAR, LSTAR, CSTAR, FMASK
 *   (SYSCALL_MASK), FS_BASE and GS_BASE (the FS/GS segment bases),
 *   KERNEL_GS_BASE (SWAPGS), SYSENTER_CS/ESP/EIP, TSC_AUX (RDTSCP, RDPID)
 *   and PAT.
 * Every other MSR (APIC_BASE, TSC, TSC_DEADLINE, MISC_ENABLE, MTRRs, ...)
 * goes to the rdmsr/wrmsr callbacks; a missing callback or one that does
 * not return X86_EXEC_OK makes the access #GP(0).
 *
 * Writes are checked: canonical addresses for LSTAR, CSTAR, FS/GS bases,
 * KERNEL_GS_BASE and SYSENTER_ESP/EIP; valid memory types in every PAT
 * entry; TSC_AUX bits 63:32 zero. A bad value is #GP(0), nothing changed. */
#ifndef VMON_X86_MSR_H
#define VMON_X86_MSR_H

#include <stdint.h>

#include "x86/emu.h"

int x86_msr_read(struct x86_cpu *cpu, uint32_t msr, uint64_t *val);
int x86_msr_write(struct x86_cpu *cpu, uint32_t msr, uint64_t val);

#endif
