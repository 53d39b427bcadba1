/* Initial processor state: power-on reset, the Linux 64-bit boot entry and
 * the PVH 32-bit entry.
 *
 * The 64-bit entry (boot.rst, "64-bit Boot Protocol") needs long mode with
 * paging on, a GDT with flat __BOOT_CS (0x10) and __BOOT_DS (0x18), and
 * identity-mapped page tables covering the kernel, zero page and command
 * line; vmon maps all of 0-4 GiB with 2 MiB pages (1 GiB pages are not on
 * every CPU). The PVH entry (Xen docs/misc/pvh.pandoc) is 32-bit flat
 * protected mode with paging off. */
#ifndef VMON_LOADERS_BOOT_CPU_H
#define VMON_LOADERS_BOOT_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "x86/state.h"

#define BOOT_CPU_SEL_CS 0x10   /* Linux __BOOT_CS */
#define BOOT_CPU_SEL_DS 0x18   /* Linux __BOOT_DS */
#define BOOT_CPU_GDT_ENTRIES 4 /* null, unused, code, data */

/* Power-up state (SDM Vol. 3A, "Processor State After Reset", table "IA-32
 * and Intel 64 Processor States Following Power-up, Reset, or INIT"): real mode at CS.sel 0xf000, CS.base 0xffff0000, RIP 0xfff0, plus
 * the MSRs every vCPU starts with: IA32_APIC_BASE (0xfee00000, enabled, BSP
 * flag when bsp), PAT, MISC_ENABLE (fast strings), XCR0 = x87, FCW 0x37f,
 * MXCSR 0x1f80. Used for application processors and firmware boot. */
void boot_cpu_reset_state(struct x86_state *s, bool bsp);

/* Writes the GDT and the 0-4 GiB identity page tables (LAYOUT_GDT,
 * LAYOUT_PML4/PDPT/PD) and sets s to the 64-bit entry: CR0 PE|ET|NE|PG,
 * CR4 PAE, EFER LME|LMA, CS 0x10 (L=1), DS/ES/FS/GS/SS 0x18, RIP = entry,
 * RSI = zero_page, RSP = LAYOUT_BOOT_STACK, RFLAGS 0x2. Returns 0 or
 * -EFAULT when the tables' pages are not RAM. */
int boot_cpu_setup_linux64(struct guest_mem *m, struct x86_state *s, uint64_t entry,
                           uint64_t zero_page);

/* Writes a GDT with a flat 32-bit code segment at 0x10 and data at 0x18 and
 * sets s to the PVH entry: CR0 PE|ET, paging off, EBX = start_info,
 * ESI = 0, TR a 32-bit busy TSS (base 0, limit 0x67), RIP = entry. */
int boot_cpu_setup_pvh(struct guest_mem *m, struct x86_state *s, uint32_t entry,
                       uint32_t start_info);

#endif
