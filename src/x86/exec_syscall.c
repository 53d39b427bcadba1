/* Fast system calls and segment-base instructions (see exec_syscall.h). */
#include "x86/exec_syscall.h"

#include "x86/exec_opnd.h"

/* RFLAGS bits SYSRET keeps from R11 (SDM Vol. 2, SYSRET: R11 AND 3C7FD7H,
 * i.e. without RF, VM and the reserved bits). */
#define SYSRET_FLAGS 0x3c7fd7ull

static int gp0(struct x86_cpu *cpu)
{
    return x86_raise_err(cpu, X86_EXC_GP, 0);
}

static bool in_ia32e(const struct x86_cpu *cpu)
{
    return cpu->s.efer & X86_EFER_LMA;
}

/* Segment flavours these instructions load (flat, base 0, 4 GiB limit). */
enum flat_kind { FLAT_CODE64, FLAT_CODE32, FLAT_DATA };

static void load_flat(struct x86_seg *sg, uint16_t sel, enum flat_kind kind, unsigned dpl)
{
    uint32_t attr = X86_SEG_P | X86_SEG_S | X86_SEG_G | (dpl << 5);
    switch (kind) {
    case FLAT_CODE64: attr |= 0xb | X86_SEG_L; break;       /* execute/read, accessed */
    case FLAT_CODE32: attr |= 0xb | X86_SEG_DB; break;
    case FLAT_DATA: attr |= 0x3 | X86_SEG_DB; break;        /* read/write, accessed */
    }
    sg->sel = sel;
    sg->base = 0;
    sg->limit = 0xffffffffu;
    sg->attr = attr;
}

/* ---- SYSCALL / SYSRET ------------------------------------------------------- */

int x86_exec_syscall(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    struct x86_state *s = &cpu->s;
    if (!(s->efer & X86_EFER_SCE) || cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_VM86)
        return x86_raise(cpu, X86_EXC_UD);
    uint16_t sel = (uint16_t)(s->star >> 32) & 0xfffc;
    uint64_t rflags = x86_get_rflags(cpu);
    if (in_ia32e(cpu)) {
        s->gpr[X86_RCX] = cpu->next_rip;
        s->gpr[X86_R11] = rflags;
        rflags &= ~s->fmask;
        cpu->next_rip = cpu->mode == X86_MODE_LONG64 ? s->lstar : s->cstar;
        load_flat(&s->seg[X86_CS], sel, FLAT_CODE64, 0);
    } else {
        /* Legacy mode (AMD): EIP from STAR[31:0], IF and VM cleared. */
        s->gpr[X86_RCX] = (uint32_t)cpu->next_rip;
        rflags &= ~(uint64_t)(X86_FLAG_IF | X86_FLAG_VM);
        cpu->next_rip = (uint32_t)s->star;
        load_flat(&s->seg[X86_CS], sel, FLAT_CODE32, 0);
    }
    load_flat(&s->seg[X86_SS], (uint16_t)(sel + 8), FLAT_DATA, 0);
    s->rflags = (rflags & ~(uint64_t)X86_FLAG_RF) | X86_FLAG_FIXED;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

int x86_exec_sysret(struct x86_cpu *cpu, const struct x86_insn *in)
{
    struct x86_state *s = &cpu->s;
    if (!(s->efer & X86_EFER_SCE))
        return x86_raise(cpu, X86_EXC_UD);
    if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_VM86 || cpu->cpl != 0)
        return gp0(cpu);
    uint16_t base = (uint16_t)(s->star >> 48);
    bool to64 = cpu->mode == X86_MODE_LONG64 && in->opsize == 8;
    uint64_t rip = s->gpr[X86_RCX];
    if (to64 && !x86_canonical(cpu, rip))
        return gp0(cpu);
    x86_flags_materialize(cpu);
    if (in_ia32e(cpu)) {
        s->rflags = (s->gpr[X86_R11] & SYSRET_FLAGS) | X86_FLAG_FIXED;
    } else {
        s->rflags |= X86_FLAG_IF;
    }
    if (to64) {
        load_flat(&s->seg[X86_CS], (uint16_t)((base + 16) | 3), FLAT_CODE64, 3);
    } else {
        load_flat(&s->seg[X86_CS], (uint16_t)(base | 3), FLAT_CODE32, 3);
        rip = (uint32_t)rip;
    }
    load_flat(&s->seg[X86_SS], (uint16_t)((base + 8) | 3), FLAT_DATA, 3);
    cpu->next_rip = rip;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

/* ---- SYSENTER / SYSEXIT ----------------------------------------------------- */

int x86_exec_sysenter(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    struct x86_state *s = &cpu->s;
    uint16_t sel = (uint16_t)s->sysenter_cs & 0xfffc;
    if (cpu->mode == X86_MODE_REAL || sel == 0)
        return gp0(cpu);
    x86_flags_materialize(cpu);
    s->rflags &= ~(uint64_t)(X86_FLAG_VM | X86_FLAG_IF | X86_FLAG_RF);
    if (in_ia32e(cpu)) {
        load_flat(&s->seg[X86_CS], sel, FLAT_CODE64, 0);
        s->gpr[X86_RSP] = s->sysenter_esp;
        cpu->next_rip = s->sysenter_eip;
    } else {
        load_flat(&s->seg[X86_CS], sel, FLAT_CODE32, 0);
        s->gpr[X86_RSP] = (uint32_t)s->sysenter_esp;
        cpu->next_rip = (uint32_t)s->sysenter_eip;
    }
    load_flat(&s->seg[X86_SS], (uint16_t)(sel + 8), FLAT_DATA, 0);
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

int x86_exec_sysexit(struct x86_cpu *cpu, const struct x86_insn *in)
{
    struct x86_state *s = &cpu->s;
    uint16_t base = (uint16_t)s->sysenter_cs & 0xfffc;
    if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_VM86 || cpu->cpl != 0 ||
        base == 0)
        return gp0(cpu);
    bool to64 = cpu->mode == X86_MODE_LONG64 && in->opsize == 8;
    uint64_t rip = s->gpr[X86_RDX], rsp = s->gpr[X86_RCX];
    if (to64) {
        if (!x86_canonical(cpu, rip) || !x86_canonical(cpu, rsp))
            return gp0(cpu);
        load_flat(&s->seg[X86_CS], (uint16_t)((base + 32) | 3), FLAT_CODE64, 3);
        load_flat(&s->seg[X86_SS], (uint16_t)((base + 40) | 3), FLAT_DATA, 3);
    } else {
        rip = (uint32_t)rip;
        rsp = (uint32_t)rsp;
        load_flat(&s->seg[X86_CS], (uint16_t)((base + 16) | 3), FLAT_CODE32, 3);
        load_flat(&s->seg[X86_SS], (uint16_t)((base + 24) | 3), FLAT_DATA, 3);
    }
    s->gpr[X86_RSP] = rsp;
    cpu->next_rip = rip;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

/* ---- SWAPGS, RD/WR FS/GS BASE ---------------------------------------------- */

int x86_exec_swapgs(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (cpu->mode != X86_MODE_LONG64)
        return x86_raise(cpu, X86_EXC_UD);
    if (cpu->cpl != 0)
        return gp0(cpu);
    uint64_t t = cpu->s.seg[X86_GS].base;
    cpu->s.seg[X86_GS].base = cpu->s.kernel_gs_base;
    cpu->s.kernel_gs_base = t;
    return X86_EXEC_OK;
}

/* 64-bit mode with CR4.FSGSBASE only (#UD). */
static int fsgsbase_check(struct x86_cpu *cpu)
{
    if (cpu->mode != X86_MODE_LONG64 || !(cpu->s.cr4 & X86_CR4_FSGSBASE))
        return x86_raise(cpu, X86_EXC_UD);
    return X86_EXEC_OK;
}

int x86_exec_rdbase(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = fsgsbase_check(cpu);
    if (rc)
        return rc;
    unsigned sreg = in->op == X86_OP_RDFSBASE ? X86_FS : X86_GS;
    x86_gpr_write(cpu, in->opnd[0].reg, in->opnd[0].size, cpu->s.seg[sreg].base);
    return X86_EXEC_OK;
}

int x86_exec_wrbase(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = fsgsbase_check(cpu);
    if (rc)
        return rc;
    uint64_t v = x86_gpr_read(cpu, in->opnd[0].reg, in->opnd[0].size);
    if (!x86_canonical(cpu, v))
        return gp0(cpu);
    unsigned sreg = in->op == X86_OP_WRFSBASE ? X86_FS : X86_GS;
    cpu->s.seg[sreg].base = v;
    return X86_EXEC_OK;
}
