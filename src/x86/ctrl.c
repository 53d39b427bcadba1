/* Control-register state transitions (see ctrl.h). */
#include "x86/ctrl.h"

/* CR0 bits software can change; ET is fixed to 1 (SDM Vol. 3A, 2.5). */
#define CR0_WRITABLE                                                                      \
    (X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_NE | X86_CR0_WP |       \
     X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)

/* CR0 bits whose change invalidates translations. */
#define CR0_PAGING_BITS (X86_CR0_PE | X86_CR0_WP | X86_CR0_PG)

/* CR4 bits whose change invalidates all translations, global ones too
 * (Vol. 3A, 4.10.4.1). */
#define CR4_PAGING_BITS                                                                   \
    (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP)

/* CR3 bits reserved in IA-32e mode: 62:52 (bit 63 is the PCID no-flush
 * hint when CR4.PCIDE = 1, reserved otherwise). */
#define CR3_RESERVED_LM 0x7ff0000000000000ull
#define CR3_NOFLUSH (1ull << 63)

void x86_flush_tlb(struct x86_cpu *cpu, bool global)
{
    x86_tlb_flush(cpu);
    if (cpu->ops->tlb_flush)
        cpu->ops->tlb_flush(cpu, 0, true, global);
}

void x86_flush_tlb_page(struct x86_cpu *cpu, uint64_t la)
{
    x86_tlb_flush_page(cpu, la);
    if (cpu->ops->tlb_flush)
        cpu->ops->tlb_flush(cpu, la, false, true);
}

static int gp0(struct x86_cpu *cpu)
{
    return x86_raise_err(cpu, X86_EXC_GP, 0);
}

int x86_set_cr0(struct x86_cpu *cpu, uint64_t val)
{
    struct x86_state *s = &cpu->s;
    uint64_t old = s->cr0;
    if (val >> 32)
        return gp0(cpu);
    val = (val & CR0_WRITABLE) | X86_CR0_ET;
    if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
        return gp0(cpu);
    if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
        return gp0(cpu);

    bool pg_on = (val & X86_CR0_PG) && !(old & X86_CR0_PG);
    bool pg_off = !(val & X86_CR0_PG) && (old & X86_CR0_PG);
    uint64_t efer = s->efer;
    if (pg_on && (efer & X86_EFER_LME)) {
        /* IA-32e activation needs PAE, and must not start in 64-bit code
         * or with a 16-bit TSS loaded (Vol. 3A, 10.8.5). */
        unsigned tr_type = X86_SEG_TYPE(s->seg[X86_TR].attr);
        if (!(s->cr4 & X86_CR4_PAE) || (s->seg[X86_CS].attr & X86_SEG_L) ||
            tr_type == 1 || tr_type == 3)
            return gp0(cpu);
        efer |= X86_EFER_LMA;
    }
    if (pg_off) {
        /* Leaving IA-32e mode works only from compatibility mode. */
        if (cpu->mode == X86_MODE_LONG64 || (s->cr4 & X86_CR4_PCIDE))
            return gp0(cpu);
        efer &= ~X86_EFER_LMA;
    }
    s->cr0 = val;
    s->efer = efer;
    x86_cpu_refresh(cpu);
    if ((old ^ val) & CR0_PAGING_BITS)
        x86_flush_tlb(cpu, true);
    return X86_EXEC_OK;
}

int x86_set_cr3(struct x86_cpu *cpu, uint64_t val)
{
    struct x86_state *s = &cpu->s;
    if (s->efer & X86_EFER_LMA) {
        uint64_t reserved = CR3_RESERVED_LM;
        if (!(s->cr4 & X86_CR4_PCIDE))
            reserved |= CR3_NOFLUSH;
        if (val & reserved)
            return gp0(cpu);
        val &= ~CR3_NOFLUSH;
    } else {
        val &= 0xffffffffu;
    }
    s->cr3 = val;
    /* The TLB is not tagged by PCID, so even a no-flush load drops the
     * non-global entries: they belong to another address space. */
    x86_flush_tlb(cpu, false);
    return X86_EXEC_OK;
}

int x86_set_cr4(struct x86_cpu *cpu, uint64_t val)
{
    struct x86_state *s = &cpu->s;
    uint64_t old = s->cr4;
    bool lma = s->efer & X86_EFER_LMA;
    if (val & ~(uint64_t)X86_CR4_SUPPORTED)
        return gp0(cpu);
    if (lma && !(val & X86_CR4_PAE))
        return gp0(cpu);
    /* PCIDE may be set only in IA-32e mode with CR3[11:0] = 0 (Vol. 3A, 4.10.1). */
    if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) && (!lma || (s->cr3 & 0xfff)))
        return gp0(cpu);
    s->cr4 = val;
    if ((old ^ val) & CR4_PAGING_BITS)
        x86_flush_tlb(cpu, true);
    return X86_EXEC_OK;
}

int x86_set_cr8(struct x86_cpu *cpu, uint64_t val)
{
    if (val >> 4)
        return gp0(cpu);
    cpu->s.cr8 = val;
    return X86_EXEC_OK;
}

int x86_set_efer(struct x86_cpu *cpu, uint64_t val)
{
    struct x86_state *s = &cpu->s;
    uint64_t old = s->efer;
    if (val & ~(uint64_t)X86_EFER_SUPPORTED)
        return gp0(cpu);
    /* LME cannot change while paging is on (Vol. 3A, 10.8.5). */
    if (((val ^ old) & X86_EFER_LME) && (s->cr0 & X86_CR0_PG))
        return gp0(cpu);
    s->efer = (val & ~(uint64_t)X86_EFER_LMA) | (old & X86_EFER_LMA);
    if ((old ^ s->efer) & X86_EFER_NXE)
        x86_flush_tlb(cpu, true);
    return X86_EXEC_OK;
}

int x86_set_xcr0(struct x86_cpu *cpu, uint64_t val)
{
    /* x87 state cannot be disabled; only supported components (Vol. 1, 13.3). */
    if (!(val & X86_XCR0_X87) || (val & ~(uint64_t)X86_XCR0_SUPPORTED))
        return gp0(cpu);
    cpu->s.xcr0 = val;
    return X86_EXEC_OK;
}
