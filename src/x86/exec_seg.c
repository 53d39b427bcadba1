/* Segment register loads for data and stack segments (see exec_seg.h). */
#include "x86/exec_seg.h"

#include "x86/exec_opnd.h"

#define DESC_ACCESSED (1ull << 40)

static bool mode_is_real(const struct x86_cpu *cpu)
{
    return cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_VM86;
}

void x86_seg_from_desc(struct x86_seg *sg, uint16_t sel, uint64_t desc)
{
    uint32_t limit = (uint32_t)(desc & 0xffff) | (uint32_t)((desc >> 32) & 0xf0000);
    sg->sel = sel;
    sg->base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000u);
    sg->attr = (uint32_t)((desc >> 40) & 0xff) | (uint32_t)(((desc >> 52) & 0xf) << 8);
    sg->limit = (sg->attr & X86_SEG_G) ? (limit << 12) | 0xfff : limit;
}

int x86_seg_read_desc(struct x86_cpu *cpu, uint16_t sel, uint64_t *desc, uint64_t *la)
{
    uint64_t base, limit;
    if (sel & 4) {
        const struct x86_seg *ldt = &cpu->s.seg[X86_LDTR];
        if (ldt->attr & X86_SEG_UNUSABLE)
            return x86_raise_err(cpu, X86_EXC_GP, sel & 0xfffc);
        base = ldt->base;
        limit = ldt->limit;
    } else {
        base = cpu->s.gdt.base;
        limit = cpu->s.gdt.limit;
    }
    uint64_t off = sel & 0xfff8;
    if (off + 7 > limit)
        return x86_raise_err(cpu, X86_EXC_GP, sel & 0xfffc);
    *la = base + off;
    if (cpu->mode != X86_MODE_LONG64)
        *la &= 0xffffffffu;
    uint8_t buf[8];
    int rc = x86_mem_read_la(cpu, *la, buf, 8, X86_ACC_READ | X86_ACC_IMPLICIT);
    *desc = get_le64(buf);
    return rc;
}

/* Null selector: SS only in 64-bit mode at CPL < 3 with RPL = CPL; data
 * registers become unusable (base cleared, as Intel processors do). */
static int load_null(struct x86_cpu *cpu, unsigned sreg, uint16_t sel)
{
    struct x86_seg *sg = &cpu->s.seg[sreg];
    if (sreg == X86_SS &&
        !(cpu->mode == X86_MODE_LONG64 && cpu->cpl < 3 && (sel & 3) == cpu->cpl))
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    sg->sel = sel;
    sg->base = 0;
    sg->limit = 0;
    sg->attr = X86_SEG_UNUSABLE | (sreg == X86_SS ? (uint32_t)cpu->cpl << 5 : 0);
    return X86_EXEC_OK;
}

/* Descriptor checks (SDM Vol. 2, MOV, "Protected Mode Exceptions"). */
static int check_desc(struct x86_cpu *cpu, unsigned sreg, uint16_t sel, uint64_t desc)
{
    unsigned type = (desc >> 40) & 0xf, dpl = (desc >> 45) & 3, rpl = sel & 3;
    bool s = desc & (1ull << 44), present = desc & (1ull << 47);
    bool code = type & 8, writable = !code && (type & 2), readable = !code || (type & 2);
    uint32_t err = sel & 0xfffc;

    if (sreg == X86_SS) {
        if (!s || !writable || rpl != cpu->cpl || dpl != cpu->cpl)
            return x86_raise_err(cpu, X86_EXC_GP, err);
        if (!present)
            return x86_raise_err(cpu, X86_EXC_SS, err);
        return X86_EXEC_OK;
    }
    if (!s || !readable)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    bool conforming_code = code && (type & 4);
    if (!conforming_code && (rpl > dpl || cpu->cpl > dpl))
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (!present)
        return x86_raise_err(cpu, X86_EXC_NP, err);
    return X86_EXEC_OK;
}

int x86_seg_load(struct x86_cpu *cpu, unsigned sreg, uint16_t sel)
{
    struct x86_seg *sg = &cpu->s.seg[sreg];
    if (sreg == X86_CS || sreg > X86_GS)
        return x86_raise(cpu, X86_EXC_UD);

    if (mode_is_real(cpu)) {
        sg->sel = sel;
        sg->base = (uint64_t)sel << 4;
        if (cpu->mode == X86_MODE_VM86) {
            sg->limit = 0xffff;
            sg->attr = X86_SEG_P | X86_SEG_S | (3u << 5) | 0x3;
        }
    } else if ((sel & 0xfffc) == 0) {
        int rc = load_null(cpu, sreg, sel);
        if (rc)
            return rc;
    } else {
        uint64_t desc, la;
        int rc = x86_seg_read_desc(cpu, sel, &desc, &la);
        if (rc)
            return rc;
        rc = check_desc(cpu, sreg, sel, desc);
        if (rc)
            return rc;
        if (!(desc & DESC_ACCESSED)) {
            uint8_t type_byte = (uint8_t)((desc | DESC_ACCESSED) >> 40);
            rc = x86_mem_write_la(cpu, la + 5, &type_byte, 1, X86_ACC_WRITE | X86_ACC_IMPLICIT);
            if (rc)
                return rc;
            desc |= DESC_ACCESSED;
        }
        x86_seg_from_desc(sg, sel, desc);
    }
    if (sreg == X86_SS) {
        x86_cpu_refresh(cpu);
        cpu->intr_shadow = true;
    }
    return X86_EXEC_OK;
}

int x86_exec_mov_to_sreg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t sel;
    int rc = x86_opnd_read(cpu, in, 1, &sel);
    if (rc)
        return rc;
    return x86_seg_load(cpu, in->opnd[0].reg, (uint16_t)sel);
}

/* A register destination receives the selector zero-extended; memory gets
 * 16 bits. */
int x86_exec_mov_from_sreg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned sreg = in->opnd[1].reg;
    if (sreg > X86_GS)
        return x86_raise(cpu, X86_EXC_UD);
    return x86_opnd_write(cpu, in, 0, cpu->s.seg[sreg].sel);
}

/* LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset first, then the selector. */
static unsigned lxs_sreg(enum x86_op op)
{
    switch (op) {
    case X86_OP_LES: return X86_ES;
    case X86_OP_LFS: return X86_FS;
    case X86_OP_LGS: return X86_GS;
    case X86_OP_LSS: return X86_SS;
    default: return X86_DS;
    }
}

int x86_exec_lxs(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t ea = x86_ea(cpu, in), off, sel;
    if (in->opnd[1].kind != X86_OPND_MEM)
        return x86_raise(cpu, X86_EXC_UD);
    int rc = x86_mem_read(cpu, in->seg, ea, size, &off);
    if (rc)
        return rc;
    rc = x86_mem_read(cpu, in->seg, (ea + size) & x86_size_mask(in->addrsize), 2, &sel);
    if (rc)
        return rc;
    rc = x86_seg_load(cpu, lxs_sreg(in->op), (uint16_t)sel);
    if (rc)
        return rc;
    x86_gpr_write(cpu, in->opnd[0].reg, size, off);
    return X86_EXEC_OK;
}
