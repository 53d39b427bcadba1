/* Control-register state transitions: CR0, CR3, CR4, CR8, EFER and XCR0
 * writes with their architectural checks (SDM Vol. 2, "MOV—Move to/from
 * Control Registers", "WRMSR", "XSETBV"; Vol. 3A, 2.5, 4.1.1 and 10.8.5
 * "Initializing IA-32e Mode"), shared by MOV CR, LMSW, CLTS, WRMSR(EFER)
 * and XSETBV.
 *
 * Each setter either raises #GP(0) with nothing changed, or stores the new
 * value and tells the rest of the system: cpu->mode/cpl/stack_size are
 * refreshed (paging on/off, IA-32e activation), the software TLB is flushed
 * and the backend's tlb_flush callback runs when translations may change.
 *
 * Model choices (the emulated CPU's features): CR4 accepts VME PVI TSD DE
 * PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP FSGSBASE PCIDE OSXSAVE SMEP
 * SMAP (not LA57, PKE, VMXE, SMXE, CET: #GP); EFER accepts SCE LME NXE (LMA
 * is read-only); XCR0 accepts the x87 and SSE components only; CR3 bits
 * above the 52-bit physical-address maximum are reserved in IA-32e mode.
 * Reloading the PDPTEs when PAE paging starts is not modelled: the page
 * walker reads them from memory on every walk. */
#ifndef VMON_X86_CTRL_H
#define VMON_X86_CTRL_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/emu.h"

#define X86_CR4_SUPPORTED                                                                 \
    (X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |  \
     X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |     \
     X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_PCIDE | X86_CR4_OSXSAVE | X86_CR4_SMEP |  \
     X86_CR4_SMAP)

#define X86_EFER_SUPPORTED (X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)

/* XSAVE state components the emulator saves and restores (XCR0 bits). */
#define X86_XCR0_X87 (1ull << 0)
#define X86_XCR0_SSE (1ull << 1)
#define X86_XCR0_SUPPORTED (X86_XCR0_X87 | X86_XCR0_SSE)

int x86_set_cr0(struct x86_cpu *cpu, uint64_t val);
int x86_set_cr3(struct x86_cpu *cpu, uint64_t val);
int x86_set_cr4(struct x86_cpu *cpu, uint64_t val);
int x86_set_cr8(struct x86_cpu *cpu, uint64_t val);
int x86_set_efer(struct x86_cpu *cpu, uint64_t val);
int x86_set_xcr0(struct x86_cpu *cpu, uint64_t val);

/* Drops cached translations: all of them (global ones too if global), or
 * the page holding la. Flushes cpu->tlb and calls ops->tlb_flush. */
void x86_flush_tlb(struct x86_cpu *cpu, bool global);
void x86_flush_tlb_page(struct x86_cpu *cpu, uint64_t la);

#endif
