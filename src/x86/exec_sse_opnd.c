/* Operand plumbing shared by the SSE, MMX and x87 families (see
 * exec_sse_opnd.h). */
#include "x86/exec_sse_opnd.h"

#include "x86/exec_opnd.h"

void x86_x87_set_top(struct x86_cpu *cpu, unsigned top)
{
    struct x86_fxstate *fx = &cpu->s.fx;
    unsigned old = x86_x87_top(cpu);
    top &= 7;
    if (top != old) {
        /* Physical register p sits in slot (p - TOP) & 7: keep every
         * physical register's contents across the change of TOP. */
        uint8_t slots[8][16];
        for (unsigned i = 0; i < 8; i++)
            memcpy(slots[(i + old - top) & 7], fx->st[i], 16);
        memcpy(fx->st, slots, sizeof(slots));
    }
    fx->fsw = (uint16_t)((fx->fsw & ~X86_FSW_TOP) | top << X86_FSW_TOP_SHIFT);
}

void x86_mmx_enter(struct x86_cpu *cpu)
{
    x86_x87_set_top(cpu, 0);
    cpu->s.fx.ftw = 0xff;
}

/* 16-byte operands of all legacy SSE instructions must be aligned, except
 * for the explicitly unaligned loads and stores. */
static bool needs_alignment(const struct x86_insn *in, unsigned len)
{
    if (len != 16)
        return false;
    switch (in->op) {
    case X86_OP_MOVUPS:
    case X86_OP_MOVUPD:
    case X86_OP_MOVDQU:
    case X86_OP_LDDQU:
    case X86_OP_MASKMOVDQU:
    case X86_OP_PCMPESTRI:
    case X86_OP_PCMPESTRM:
    case X86_OP_PCMPISTRI:
    case X86_OP_PCMPISTRM:
        return false;
    default:
        return true;
    }
}

static int simd_linear(struct x86_cpu *cpu, const struct x86_insn *in, unsigned len,
                       unsigned kind, uint64_t *la)
{
    int rc = x86_mem_linear(cpu, in->seg, x86_ea(cpu, in), len, kind, la);
    if (unlikely(rc))
        return rc;
    if (unlikely(needs_alignment(in, len) && (*la & 15)))
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    return X86_EXEC_OK;
}

int x86_simd_mem_read(struct x86_cpu *cpu, const struct x86_insn *in, void *dst, unsigned len)
{
    uint64_t la;
    int rc = simd_linear(cpu, in, len, X86_ACC_READ, &la);
    if (unlikely(rc))
        return rc;
    return x86_mem_read_la(cpu, la, dst, len, x86_mem_acc(cpu, X86_ACC_READ));
}

int x86_simd_mem_write(struct x86_cpu *cpu, const struct x86_insn *in, const void *src,
                       unsigned len)
{
    uint64_t la;
    int rc = simd_linear(cpu, in, len, X86_ACC_WRITE, &la);
    if (unlikely(rc))
        return rc;
    return x86_mem_write_la(cpu, la, src, len, x86_mem_acc(cpu, X86_ACC_WRITE));
}

int x86_simd_read(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, x86_vec *v)
{
    const struct x86_opnd *o = &in->opnd[i];
    memset(v, 0, sizeof(*v));
    switch (o->kind) {
    case X86_OPND_XMM:
        x86_xmm_get(cpu, o->reg, v);
        return X86_EXEC_OK;
    case X86_OPND_MMX:
        v->q[0] = x86_mmx_get(cpu, o->reg);
        return X86_EXEC_OK;
    case X86_OPND_MEM:
        if (unlikely(o->size == 0 || o->size > 16))
            return X86_EXEC_UNSUPPORTED;
        return x86_simd_mem_read(cpu, in, v, o->size);
    case X86_OPND_GPR:
        v->q[0] = x86_gpr_read(cpu, o->reg, o->size);
        return X86_EXEC_OK;
    case X86_OPND_IMM:
        v->q[0] = in->imm;
        return X86_EXEC_OK;
    default:
        return X86_EXEC_UNSUPPORTED;
    }
}

static int simd_store(struct x86_cpu *cpu, const struct x86_insn *in, const struct x86_opnd *o,
                      const x86_vec *v)
{
    switch (o->kind) {
    case X86_OPND_XMM:
        x86_xmm_set(cpu, o->reg, v);
        return X86_EXEC_OK;
    case X86_OPND_MEM:
        if (unlikely(o->size == 0 || o->size > 16))
            return X86_EXEC_UNSUPPORTED;
        return x86_simd_mem_write(cpu, in, v, o->size);
    case X86_OPND_GPR:
        x86_gpr_write(cpu, o->reg, o->size, v->q[0]);
        return X86_EXEC_OK;
    default:
        return X86_EXEC_UNSUPPORTED;
    }
}

int x86_simd_write(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, const x86_vec *v)
{
    const struct x86_opnd *o = &in->opnd[i];
    if (o->kind == X86_OPND_MMX) {
        x86_mmx_enter(cpu);
        x86_mmx_set(cpu, o->reg, v->q[0]);
        return X86_EXEC_OK;
    }
    int rc = simd_store(cpu, in, o, v);
    if (likely(rc == X86_EXEC_OK) && x86_insn_has_mmx(in))
        x86_mmx_enter(cpu);
    return rc;
}
