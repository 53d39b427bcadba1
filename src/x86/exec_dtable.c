/* Descriptor-table instructions (see exec_dtable.h). */
#include "x86/exec_dtable.h"

#include "x86/desc.h"
#include "x86/exec_opnd.h"

static int gp0(struct x86_cpu *cpu)
{
    return x86_raise_err(cpu, X86_EXC_GP, 0);
}

static bool in_ia32e(const struct x86_cpu *cpu)
{
    return cpu->s.efer & X86_EFER_LMA;
}

/* ---- GDTR / IDTR ------------------------------------------------------------ */

/* LGDT/LIDT m16&32 (m16&64 in 64-bit mode): CPL 0. */
int x86_exec_lgdt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl != 0)
        return gp0(cpu);
    if (in->opnd[0].kind != X86_OPND_MEM)
        return x86_raise(cpu, X86_EXC_UD);
    bool wide = cpu->mode == X86_MODE_LONG64;
    uint64_t ea = x86_ea(cpu, in), limit, base;
    int rc = x86_mem_read(cpu, in->seg, ea, 2, &limit);
    if (!rc)
        rc = x86_mem_read(cpu, in->seg, (ea + 2) & x86_size_mask(in->addrsize), wide ? 8 : 4,
                          &base);
    if (rc)
        return rc;
    if (wide && !x86_canonical(cpu, base))
        return gp0(cpu);
    if (!wide && in->opsize == 2)
        base &= 0xffffff;
    struct x86_dtable *t = in->op == X86_OP_LGDT ? &cpu->s.gdt : &cpu->s.idt;
    t->base = base;
    t->limit = (uint16_t)limit;
    return X86_EXEC_OK;
}

/* SGDT/SIDT: limit, then a 32-bit base (64-bit in 64-bit mode) whatever the
 * operand size. */
int x86_exec_sgdt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl > 0 && (cpu->s.cr4 & X86_CR4_UMIP))
        return gp0(cpu);
    if (in->opnd[0].kind != X86_OPND_MEM)
        return x86_raise(cpu, X86_EXC_UD);
    const struct x86_dtable *t = in->op == X86_OP_SGDT ? &cpu->s.gdt : &cpu->s.idt;
    unsigned n = cpu->mode == X86_MODE_LONG64 ? 10 : 6;
    uint8_t buf[10];
    put_le16(buf, t->limit);
    put_le64(buf + 2, t->base);
    return x86_mem_write_buf(cpu, in->seg, x86_ea(cpu, in), buf, n);
}

/* ---- LDTR / TR -------------------------------------------------------------- */

/* The selector operand of LLDT, LTR, VERR, VERW (16 bits). */
static int read_sel(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, uint16_t *sel)
{
    uint64_t v;
    int rc = x86_opnd_read(cpu, in, i, &v);
    *sel = (uint16_t)v;
    return rc;
}

/* A system descriptor for LLDT/LTR: from the GDT, 16 bytes in IA-32e mode
 * with a zero upper type field and a canonical base, of type t1 or t2. */
static int read_sys_desc(struct x86_cpu *cpu, uint16_t sel, unsigned t1, unsigned t2,
                         struct x86_desc *d)
{
    uint32_t err = sel & 0xfffcu;
    bool lm = in_ia32e(cpu);
    if (sel & 4)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    int rc = x86_desc_read(cpu, sel, lm, X86_EXC_GP, 0, d);
    if (rc)
        return rc;
    unsigned type = x86_desc_type(d);
    if (x86_desc_s(d) || (type != t1 && type != t2))
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (lm) {
        struct x86_seg sg;
        x86_desc_to_sys_seg(&sg, sel, d, true);
        if (((d->hi >> 40) & 0x1f) != 0 || !x86_canonical(cpu, sg.base))
            return x86_raise_err(cpu, X86_EXC_GP, err);
    }
    if (!x86_desc_present(d))
        return x86_raise_err(cpu, X86_EXC_NP, err);
    return X86_EXEC_OK;
}

int x86_exec_lldt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint16_t sel;
    struct x86_desc d;
    if (cpu->cpl != 0)
        return gp0(cpu);
    int rc = read_sel(cpu, in, 0, &sel);
    if (rc)
        return rc;
    if ((sel & 0xfffc) == 0) { /* a null selector leaves LDTR unusable */
        x86_seg_set_null(&cpu->s.seg[X86_LDTR], sel);
        return X86_EXEC_OK;
    }
    if ((rc = read_sys_desc(cpu, sel, X86_SYS_LDT, X86_SYS_LDT, &d)))
        return rc;
    x86_desc_to_sys_seg(&cpu->s.seg[X86_LDTR], sel, &d, in_ia32e(cpu));
    return X86_EXEC_OK;
}

/* LTR: an available TSS (32/64-bit, or 16-bit outside IA-32e mode), which
 * becomes busy. */
int x86_exec_ltr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint16_t sel;
    struct x86_desc d;
    if (cpu->cpl != 0)
        return gp0(cpu);
    int rc = read_sel(cpu, in, 0, &sel);
    if (rc)
        return rc;
    if ((sel & 0xfffc) == 0)
        return gp0(cpu);
    unsigned t16 = in_ia32e(cpu) ? X86_SYS_TSS : X86_SYS_TSS16;
    if ((rc = read_sys_desc(cpu, sel, X86_SYS_TSS, t16, &d)) ||
        (rc = x86_desc_set_type_bits(cpu, &d, X86_DESC_TSS_BUSY)))
        return rc;
    x86_desc_to_sys_seg(&cpu->s.seg[X86_TR], sel, &d, in_ia32e(cpu));
    return X86_EXEC_OK;
}

/* SLDT/STR: the selector, zero-extended in a register, 16 bits in memory. */
int x86_exec_sldt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl > 0 && (cpu->s.cr4 & X86_CR4_UMIP))
        return gp0(cpu);
    unsigned r = in->op == X86_OP_SLDT ? X86_LDTR : X86_TR;
    return x86_opnd_write(cpu, in, 0, cpu->s.seg[r].sel);
}

/* ---- LAR / LSL / VERR / VERW ---------------------------------------------- */

/* Finds the descriptor of sel for the inspection instructions: *found is
 * false for a null selector or one beyond its table (no fault). */
static int lookup(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d, bool *found)
{
    *found = false;
    if ((sel & 0xfffc) == 0)
        return X86_EXEC_OK;
    uint64_t limit;
    if (sel & 4) {
        const struct x86_seg *ldt = &cpu->s.seg[X86_LDTR];
        if (ldt->attr & X86_SEG_UNUSABLE)
            return X86_EXEC_OK;
        limit = ldt->limit;
    } else {
        limit = cpu->s.gdt.limit;
    }
    if ((uint64_t)(sel & 0xfff8) + 7 > limit)
        return X86_EXEC_OK;
    int rc = x86_desc_read(cpu, sel, false, X86_EXC_GP, 0, d);
    *found = rc == X86_EXEC_OK;
    return rc;
}

/* Non-conforming segments need DPL >= CPL and DPL >= RPL. */
static bool privilege_ok(const struct x86_cpu *cpu, uint16_t sel, const struct x86_desc *d)
{
    if (x86_desc_conforming(d))
        return true;
    unsigned dpl = x86_desc_dpl(d);
    return dpl >= cpu->cpl && dpl >= (sel & 3u);
}

/* System types LAR (lar = true) and LSL accept (SDM Vol. 2, the "valid
 * descriptor types" tables of LAR and LSL): in IA-32e mode only the LDT,
 * 64-bit TSSs and (LAR) 64-bit call gates. */
static bool sys_type_ok(const struct x86_cpu *cpu, unsigned type, bool lar)
{
    switch (type) {
    case X86_SYS_LDT: case X86_SYS_TSS: case X86_SYS_TSS_BUSY:
        return true;
    case X86_SYS_CALL:
        return lar;
    case X86_SYS_TSS16: case X86_SYS_TSS16_BUSY:
        return !in_ia32e(cpu);
    case X86_SYS_CALL16: case X86_SYS_TASK:
        return lar && !in_ia32e(cpu);
    default:
        return false;
    }
}

static void set_zf(struct x86_cpu *cpu, bool zf)
{
    x86_flags_update(cpu, X86_FLAG_ZF, zf ? X86_FLAG_ZF : 0);
}

/* LAR r, r/m16: access rights (descriptor bits 63:32 AND 00FxFF00H, bits
 * 19:16 returned as 0). LSL r, r/m16: the byte-granular segment limit. */
int x86_exec_lar(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint16_t sel;
    struct x86_desc d;
    bool found;
    bool lar = in->op == X86_OP_LAR;
    int rc = read_sel(cpu, in, 1, &sel);
    if (rc || (rc = lookup(cpu, sel, &d, &found)))
        return rc;
    bool ok = found && (x86_desc_s(&d) || sys_type_ok(cpu, x86_desc_type(&d), lar)) &&
              privilege_ok(cpu, sel, &d);
    set_zf(cpu, ok);
    if (!ok)
        return X86_EXEC_OK;
    uint64_t v;
    if (lar) {
        v = (d.lo >> 32) & 0x00f0ff00u;
    } else {
        struct x86_seg sg;
        x86_desc_to_seg(&sg, sel, &d);
        v = sg.limit;
    }
    unsigned size = in->opnd[0].size;
    x86_gpr_write(cpu, in->opnd[0].reg, size, v & x86_size_mask(size < 4 ? size : 4));
    return X86_EXEC_OK;
}

/* VERR / VERW: ZF = 1 when the segment is readable / writable from here. */
int x86_exec_verr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint16_t sel;
    struct x86_desc d;
    bool found;
    int rc = read_sel(cpu, in, 0, &sel);
    if (rc || (rc = lookup(cpu, sel, &d, &found)))
        return rc;
    bool ok = found && x86_desc_s(&d) && privilege_ok(cpu, sel, &d);
    if (ok) {
        unsigned type = x86_desc_type(&d);
        bool code = type & 8;
        ok = in->op == X86_OP_VERR ? (!code || (type & 2)) : (!code && (type & 2));
    }
    set_zf(cpu, ok);
    return X86_EXEC_OK;
}

/* ARPL r/m16, r16: raise the destination's RPL to the source's. */
int x86_exec_arpl(struct x86_cpu *cpu, const struct x86_insn *in)
{
    struct x86_dst dst;
    uint64_t old, src;
    int rc = x86_dst_begin(cpu, in, 0, &dst, &old);
    if (rc || (rc = x86_opnd_read(cpu, in, 1, &src)))
        return rc;
    if ((old & 3) >= (src & 3)) {
        set_zf(cpu, false);
        return X86_EXEC_OK;
    }
    rc = x86_dst_commit(cpu, &dst, (old & ~(uint64_t)3) | (src & 3));
    if (rc)
        return rc;
    set_zf(cpu, true);
    return X86_EXEC_OK;
}
