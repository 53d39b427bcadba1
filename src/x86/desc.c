/* Descriptor tables for the system instructions and event delivery (see
 * desc.h). */
#include "x86/desc.h"

#include "x86/exec_seg.h"
#include "x86/mem.h"

/* System accesses (GDT, LDT, IDT, TSS) are supervisor accesses whatever
 * the CPL (SDM Vol. 3A, 4.6.1). */
#define SYS_READ (X86_ACC_READ | X86_ACC_IMPLICIT)
#define SYS_WRITE (X86_ACC_WRITE | X86_ACC_IMPLICIT)

/* Linear addresses wrap at 4 GiB outside IA-32e mode. */
static uint64_t sys_la(const struct x86_cpu *cpu, uint64_t la)
{
    return (cpu->s.efer & X86_EFER_LMA) ? la : (la & 0xffffffffu);
}

uint64_t x86_gate_offset(const struct x86_desc *d, bool wide)
{
    uint64_t off = (d->lo & 0xffff) | ((d->lo >> 32) & 0xffff0000u);
    if (wide)
        off |= (d->hi & 0xffffffffu) << 32;
    return off;
}

int x86_desc_read(struct x86_cpu *cpu, uint16_t sel, bool wide, unsigned vector, uint32_t ext,
                  struct x86_desc *d)
{
    uint64_t base, limit;
    uint32_t err = (sel & 0xfffcu) | ext;
    if (sel & 4) {
        const struct x86_seg *ldt = &cpu->s.seg[X86_LDTR];
        if (ldt->attr & X86_SEG_UNUSABLE)
            return x86_raise_err(cpu, vector, err);
        base = ldt->base;
        limit = ldt->limit;
    } else {
        base = cpu->s.gdt.base;
        limit = cpu->s.gdt.limit;
    }
    uint64_t off = sel & 0xfff8u, len = wide ? 16 : 8;
    if (off + len - 1 > limit)
        return x86_raise_err(cpu, vector, err);
    /* GUEST: the index was checked against the table limit; the read goes
     * through the memory callbacks, which check the address. */
    uint8_t buf[16];
    d->la = sys_la(cpu, base + off);
    int rc = x86_mem_read_la(cpu, d->la, buf, (unsigned)len, SYS_READ);
    if (rc)
        return rc;
    d->lo = get_le64(buf);
    d->hi = wide ? get_le64(buf + 8) : 0;
    return X86_EXEC_OK;
}

int x86_desc_set_type_bits(struct x86_cpu *cpu, struct x86_desc *d, unsigned bits)
{
    uint64_t mask = (uint64_t)bits << 40;
    if ((d->lo & mask) == mask)
        return X86_EXEC_OK;
    uint8_t type_byte = (uint8_t)((d->lo | mask) >> 40);
    int rc = x86_mem_write_la(cpu, sys_la(cpu, d->la + 5), &type_byte, 1, SYS_WRITE);
    if (rc)
        return rc;
    d->lo |= mask;
    return X86_EXEC_OK;
}

void x86_desc_to_seg(struct x86_seg *sg, uint16_t sel, const struct x86_desc *d)
{
    x86_seg_from_desc(sg, sel, d->lo);
}

void x86_desc_to_sys_seg(struct x86_seg *sg, uint16_t sel, const struct x86_desc *d, bool wide)
{
    x86_seg_from_desc(sg, sel, d->lo);
    if (wide)
        sg->base |= (d->hi & 0xffffffffu) << 32;
}

void x86_seg_set_null(struct x86_seg *sg, uint16_t sel)
{
    sg->sel = sel;
    sg->base = 0;
    sg->limit = 0;
    sg->attr = X86_SEG_UNUSABLE;
}

bool x86_seg_range_ok(const struct x86_seg *sg, uint64_t off, unsigned len)
{
    uint64_t last = off + len - 1;
    unsigned type = X86_SEG_TYPE(sg->attr);
    if (last < off)
        return false;
    if ((sg->attr & X86_SEG_S) && !(type & 8) && (type & 4)) {
        uint64_t upper = (sg->attr & X86_SEG_DB) ? 0xffffffffu : 0xffffu;
        return off > sg->limit && last <= upper;
    }
    return last <= sg->limit;
}

/* ---- TSS ------------------------------------------------------------------ */

/* Reads len bytes at offset off of the current TSS, or raises
 * #TS(TR | ext) when they are not all within its limit. */
static int tss_read(struct x86_cpu *cpu, uint32_t off, unsigned len, uint32_t ext, uint64_t *val)
{
    const struct x86_seg *tr = &cpu->s.seg[X86_TR];
    if ((tr->attr & X86_SEG_UNUSABLE) || (uint64_t)off + len - 1 > tr->limit)
        return x86_raise_err(cpu, X86_EXC_TS, (tr->sel & 0xfffcu) | ext);
    /* GUEST: within the TSS limit; the callbacks check the address. */
    uint8_t buf[8] = { 0 };
    int rc = x86_mem_read_la(cpu, sys_la(cpu, tr->base + off), buf, len, SYS_READ);
    *val = get_le64(buf);
    return rc;
}

int x86_tss_stack(struct x86_cpu *cpu, unsigned dpl, unsigned ist, uint32_t ext, uint16_t *ss,
                  uint64_t *sp)
{
    uint64_t v = 0;
    int rc;
    if (cpu->s.efer & X86_EFER_LMA) {
        /* 64-bit TSS: RSP0-2 at 4, IST1-7 at 0x24 (SDM Vol. 3A, Figure 8-11). */
        uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;
        rc = tss_read(cpu, off, 8, ext, sp);
        *ss = 0;
        return rc;
    }
    if ((X86_SEG_TYPE(cpu->s.seg[X86_TR].attr) & 8) == 0) {
        /* 16-bit TSS: SP at 2 + 4 * dpl, SS after it (Figure 7-11). */
        if ((rc = tss_read(cpu, 2 + 4 * dpl, 4, ext, &v)))
            return rc;
        *sp = v & 0xffff;
        *ss = (uint16_t)(v >> 16);
        return X86_EXEC_OK;
    }
    /* 32-bit TSS: ESP at 4 + 8 * dpl, SS at 8 + 8 * dpl (Figure 7-2). */
    if ((rc = tss_read(cpu, 4 + 8 * dpl, 6, ext, &v)))
        return rc;
    *sp = v & 0xffffffffu;
    *ss = (uint16_t)(v >> 32);
    return X86_EXEC_OK;
}

int x86_desc_check_new_ss(struct x86_cpu *cpu, uint16_t ss, unsigned new_cpl, uint32_t ext,
                          struct x86_desc *d)
{
    uint32_t err = (ss & 0xfffcu) | ext;
    if ((ss & 0xfffc) == 0)
        return x86_raise_err(cpu, X86_EXC_TS, ext);
    int rc = x86_desc_read(cpu, ss, false, X86_EXC_TS, ext, d);
    if (rc)
        return rc;
    if ((ss & 3) != new_cpl || x86_desc_dpl(d) != new_cpl || !x86_desc_is_writable_data(d))
        return x86_raise_err(cpu, X86_EXC_TS, err);
    if (!x86_desc_present(d))
        return x86_raise_err(cpu, X86_EXC_SS, err);
    return X86_EXEC_OK;
}

int x86_stack_linear(struct x86_cpu *cpu, const struct x86_seg *sg, uint64_t off, unsigned len,
                     bool is64, uint32_t err, uint64_t *la)
{
    if (is64) {
        if (!x86_canonical(cpu, off) || !x86_canonical(cpu, off + len - 1))
            return x86_raise_err(cpu, X86_EXC_SS, err);
        *la = off;
        return X86_EXEC_OK;
    }
    if (!x86_seg_range_ok(sg, off, len))
        return x86_raise_err(cpu, X86_EXC_SS, err);
    *la = (sg->base + off) & 0xffffffffu;
    return X86_EXEC_OK;
}

void x86_seg_drop_inaccessible(struct x86_cpu *cpu, unsigned new_cpl)
{
    static const uint8_t regs[] = { X86_ES, X86_DS, X86_FS, X86_GS };
    for (unsigned i = 0; i < sizeof(regs); i++) {
        struct x86_seg *sg = &cpu->s.seg[regs[i]];
        unsigned type = X86_SEG_TYPE(sg->attr);
        bool conforming_code = (type & 0xc) == 0xc;
        if (sg->attr & X86_SEG_UNUSABLE)
            continue;
        if (!conforming_code && X86_SEG_DPL(sg->attr) < new_cpl) {
            /* The base stays: FS/GS bases matter in 64-bit mode. */
            sg->sel = 0;
            sg->attr = X86_SEG_UNUSABLE;
        }
    }
}
