/* Operand plumbing shared by the instruction families (see exec_opnd.h). */
#include "x86/exec_opnd.h"

int x86_opnd_read_slow(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, uint64_t *val)
{
    const struct x86_opnd *o = &in->opnd[i];
    switch (o->kind) {
    case X86_OPND_GPR:
        *val = x86_gpr_read(cpu, o->reg, o->size);
        return X86_EXEC_OK;
    case X86_OPND_MEM:
        return x86_mem_read(cpu, in->seg, x86_ea(cpu, in), o->size, val);
    case X86_OPND_MOFFS:
        return x86_mem_read(cpu, in->seg, in->imm & x86_size_mask(in->addrsize), o->size, val);
    case X86_OPND_IMM:
        *val = (i == 0 || in->opnd[0].kind != X86_OPND_IMM ? in->imm : in->imm2) &
               x86_size_mask(o->size ? o->size : 8);
        return X86_EXEC_OK;
    case X86_OPND_SREG:
        *val = o->reg < X86_LDTR ? cpu->s.seg[o->reg].sel : 0;
        return X86_EXEC_OK;
    default:
        return X86_EXEC_UNSUPPORTED;
    }
}

int x86_opnd_write_slow(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, uint64_t val)
{
    const struct x86_opnd *o = &in->opnd[i];
    switch (o->kind) {
    case X86_OPND_GPR:
        x86_gpr_write(cpu, o->reg, o->size, val);
        return X86_EXEC_OK;
    case X86_OPND_MEM:
        return x86_mem_write(cpu, in->seg, x86_ea(cpu, in), o->size, val);
    case X86_OPND_MOFFS:
        return x86_mem_write(cpu, in->seg, in->imm & x86_size_mask(in->addrsize), o->size, val);
    default:
        return X86_EXEC_UNSUPPORTED;
    }
}

int x86_dst_begin_mem(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i,
                      struct x86_dst *d, uint64_t *old)
{
    const struct x86_opnd *o = &in->opnd[i];
    if (o->kind != X86_OPND_MEM)
        return X86_EXEC_UNSUPPORTED;
    d->mem = true;
    return x86_mem_rmw_begin(cpu, in->seg, x86_ea(cpu, in), o->size,
                             in->flags & X86_PFX_LOCK, &d->m, old);
}

int x86_branch(struct x86_cpu *cpu, uint64_t target, unsigned size)
{
    target &= x86_size_mask(size);
    if (cpu->mode == X86_MODE_LONG64) {
        if (!x86_canonical(cpu, target))
            return x86_raise_err(cpu, X86_EXC_GP, 0);
    } else if (target > cpu->s.seg[X86_CS].limit) {
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    }
    cpu->next_rip = target;
    return X86_EXEC_OK;
}
