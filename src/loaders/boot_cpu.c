#include "loaders/boot_cpu.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "machine/layout.h"

/* Segment attributes in x86_state encoding (descriptor bits 40-47, 52-55). */
#define ATTR_CODE_RX_ACC  0xbu /* execute/read, accessed */
#define ATTR_DATA_RW_ACC  0x3u /* read/write, accessed */
#define ATTR_LDT          0x2u
#define ATTR_TSS_BUSY     0xbu /* 32/64-bit busy TSS */

#define SEG_CODE64  (ATTR_CODE_RX_ACC | X86_SEG_S | X86_SEG_P | X86_SEG_L | X86_SEG_G)
#define SEG_CODE32  (ATTR_CODE_RX_ACC | X86_SEG_S | X86_SEG_P | X86_SEG_DB | X86_SEG_G)
#define SEG_DATA32  (ATTR_DATA_RW_ACC | X86_SEG_S | X86_SEG_P | X86_SEG_DB | X86_SEG_G)

/* Page-table entry bits (SDM Vol. 3A, 4.5 "4-Level Paging"). */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_PS  (1ull << 7)

#define PAT_DEFAULT            0x0007040600070406ull
#define MISC_ENABLE_FAST_STRING (1ull << 0)
#define APIC_BASE_BSP          (1ull << 8)
#define APIC_BASE_ENABLE       (1ull << 11)
#define XCR0_X87               (1ull << 0)

/* A GDT descriptor (SDM Vol. 3A, 3.4.5 "Segment Descriptors") from a base, a
 * raw 20-bit limit and x86_state-style attributes. */
static uint64_t gdt_entry(uint32_t base, uint32_t limit20, uint32_t attr)
{
    return (uint64_t)(limit20 & 0xffff) |
           ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)(attr & 0xff) << 40) |
           ((uint64_t)((limit20 >> 16) & 0xf) << 48) |
           ((uint64_t)((attr >> 8) & 0xf) << 52) |
           ((uint64_t)(base >> 24) << 56);
}

static struct x86_seg flat_seg(uint16_t sel, uint32_t attr)
{
    return (struct x86_seg){ .base = 0, .limit = 0xffffffff, .sel = sel, .attr = attr };
}

static int write_gdt(struct guest_mem *m, struct x86_state *s, uint32_t code_attr)
{
    uint64_t gdt[BOOT_CPU_GDT_ENTRIES] = {
        [BOOT_CPU_SEL_CS / 8] = gdt_entry(0, 0xfffff, code_attr),
        [BOOT_CPU_SEL_DS / 8] = gdt_entry(0, 0xfffff, SEG_DATA32),
    };
    int r = gmem_write(m, LAYOUT_GDT, gdt, sizeof(gdt));
    if (r)
        return r;
    s->gdt = (struct x86_dtable){ .base = LAYOUT_GDT, .limit = sizeof(gdt) - 1 };
    s->idt = (struct x86_dtable){ .base = 0, .limit = 0 };
    return 0;
}

/* PML4[0] -> PDPT; PDPT[0..3] -> the four PDs; PD entries map 2 MiB each. */
static int write_identity_tables(struct guest_mem *m)
{
    uint64_t pml4[512] = { LAYOUT_PDPT | PTE_P | PTE_RW };
    uint64_t pdpt[512] = { 0 };
    for (unsigned i = 0; i < 4; i++)
        pdpt[i] = (LAYOUT_PD + i * 4096ull) | PTE_P | PTE_RW;
    int r = gmem_write(m, LAYOUT_PML4, pml4, sizeof(pml4));
    if (!r)
        r = gmem_write(m, LAYOUT_PDPT, pdpt, sizeof(pdpt));
    uint64_t pd[512];
    for (unsigned t = 0; t < 4 && !r; t++) {
        for (unsigned i = 0; i < 512; i++)
            pd[i] = ((uint64_t)(t * 512 + i) << 21) | PTE_P | PTE_RW | PTE_PS;
        r = gmem_write(m, LAYOUT_PD + t * 4096ull, pd, sizeof(pd));
    }
    return r;
}

void boot_cpu_reset_state(struct x86_state *s, bool bsp)
{
    memset(s, 0, sizeof(*s));
    s->rip = 0xfff0;
    s->rflags = X86_FLAG_FIXED;
    s->gpr[X86_RDX] = 0x600; /* processor signature: family 6 */
    s->seg[X86_CS] = (struct x86_seg){
        .base = 0xffff0000, .limit = 0xffff, .sel = 0xf000,
        .attr = ATTR_CODE_RX_ACC | X86_SEG_S | X86_SEG_P };
    for (int r = X86_ES; r <= X86_GS; r++)
        if (r != X86_CS)
            s->seg[r] = (struct x86_seg){
                .limit = 0xffff, .attr = ATTR_DATA_RW_ACC | X86_SEG_S | X86_SEG_P };
    s->seg[X86_LDTR] = (struct x86_seg){ .limit = 0xffff, .attr = ATTR_LDT | X86_SEG_P };
    s->seg[X86_TR] = (struct x86_seg){ .limit = 0xffff, .attr = ATTR_TSS_BUSY | X86_SEG_P };
    s->gdt.limit = 0xffff;
    s->idt.limit = 0xffff;
    s->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
    s->dr[6] = 0xffff0ff0;
    s->dr[7] = 0x400;
    s->xcr0 = XCR0_X87;
    s->apic_base = LAYOUT_LAPIC | APIC_BASE_ENABLE | (bsp ? APIC_BASE_BSP : 0);
    s->pat = PAT_DEFAULT;
    s->misc_enable = MISC_ENABLE_FAST_STRING;
    s->fx.fcw = 0x37f;
    s->fx.mxcsr = 0x1f80;
}

int boot_cpu_setup_linux64(struct guest_mem *m, struct x86_state *s, uint64_t entry,
                           uint64_t zero_page)
{
    boot_cpu_reset_state(s, true);
    int r = write_gdt(m, s, SEG_CODE64);
    if (!r)
        r = write_identity_tables(m);
    if (r)
        return r;
    s->seg[X86_CS] = flat_seg(BOOT_CPU_SEL_CS, SEG_CODE64);
    for (int i = X86_ES; i <= X86_GS; i++)
        if (i != X86_CS)
            s->seg[i] = flat_seg(BOOT_CPU_SEL_DS, SEG_DATA32);
    s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
    s->cr3 = LAYOUT_PML4;
    s->cr4 = X86_CR4_PAE;
    s->efer = X86_EFER_LME | X86_EFER_LMA;
    s->rip = entry;
    s->rflags = X86_FLAG_FIXED;
    s->gpr[X86_RDX] = 0;
    s->gpr[X86_RSI] = zero_page;
    s->gpr[X86_RSP] = LAYOUT_BOOT_STACK;
    return 0;
}

int boot_cpu_setup_pvh(struct guest_mem *m, struct x86_state *s, uint32_t entry,
                       uint32_t start_info)
{
    boot_cpu_reset_state(s, true);
    int r = write_gdt(m, s, SEG_CODE32);
    if (r)
        return r;
    s->seg[X86_CS] = flat_seg(BOOT_CPU_SEL_CS, SEG_CODE32);
    for (int i = X86_ES; i <= X86_GS; i++)
        if (i != X86_CS)
            s->seg[i] = flat_seg(BOOT_CPU_SEL_DS, SEG_DATA32);
    /* pvh.pandoc: "tr: must be a 32-bit TSS (active) with a base of '0' and
     * a limit of '0x67'". */
    s->seg[X86_TR] = (struct x86_seg){ .limit = 0x67, .attr = ATTR_TSS_BUSY | X86_SEG_P };
    s->cr0 = X86_CR0_PE | X86_CR0_ET;
    s->rip = entry;
    s->rflags = X86_FLAG_FIXED;
    s->gpr[X86_RDX] = 0;
    s->gpr[X86_RBX] = start_info;
    s->gpr[X86_RSI] = 0;
    return 0;
}
