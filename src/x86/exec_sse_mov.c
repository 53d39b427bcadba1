/* MMX/SSE data movement (see exec_sse_mov.h). */
#include "x86/exec_sse_mov.h"

#include "x86/exec_opnd.h"
#include "x86/exec_sse_opnd.h"

/* Whole-operand moves: the destination gets the source (16 bytes, or 8 for
 * MOVNTQ); the aligned forms fault on misaligned memory (x86_simd_read/
 * x86_simd_write know which). */
int x86_exec_simd_mov(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_simd_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec v;
    rc = x86_simd_read(cpu, in, 1, &v);
    if (unlikely(rc))
        return rc;
    return x86_simd_write(cpu, in, 0, &v);
}

/* MOVD/MOVQ in every form, MOVQ2DQ, MOVDQ2Q: the low 32/64 bits move, a
 * register destination is zero-extended (XMM bits 127:64 cleared). */
int x86_exec_simd_movq(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_simd_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec v;
    rc = x86_simd_read(cpu, in, 1, &v);
    if (unlikely(rc))
        return rc;
    v.q[1] = 0;
    return x86_simd_write(cpu, in, 0, &v);
}

/* MOVSS/MOVSD: a load from memory zeroes the rest of the register, a
 * register-to-register move replaces only the low lane, a store writes
 * the low lane. */
int x86_exec_sse_movs(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    x86_vec s, r;
    rc = x86_simd_read(cpu, in, 1, &s);
    if (unlikely(rc))
        return rc;
    if (in->opnd[0].kind == X86_OPND_MEM || in->opnd[1].kind == X86_OPND_MEM)
        return x86_simd_write(cpu, in, 0, &s);
    x86_xmm_get(cpu, in->opnd[0].reg, &r);
    if (in->op == X86_OP_MOVSS)
        r.d[0] = s.d[0];
    else
        r.q[0] = s.q[0];
    return x86_simd_write(cpu, in, 0, &r);
}

/* MOVLPS/MOVLPD/MOVHPS/MOVHPD (64-bit loads into one half, stores from one
 * half) and MOVHLPS/MOVLHPS (half to half between registers). */
int x86_exec_sse_movhl(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    x86_vec s, r = { 0 };
    rc = x86_simd_read(cpu, in, 1, &s);
    if (unlikely(rc))
        return rc;
    bool high = in->op == X86_OP_MOVHPS || in->op == X86_OP_MOVHPD;
    if (in->opnd[0].kind == X86_OPND_MEM) {
        r.q[0] = s.q[high];
        return x86_simd_write(cpu, in, 0, &r);
    }
    x86_xmm_get(cpu, in->opnd[0].reg, &r);
    switch (in->op) {
    case X86_OP_MOVHLPS: r.q[0] = s.q[1]; break;
    case X86_OP_MOVLHPS: r.q[1] = s.q[0]; break;
    default: r.q[high] = s.q[0]; break;
    }
    x86_xmm_set(cpu, in->opnd[0].reg, &r);
    return X86_EXEC_OK;
}

/* MOVSLDUP {s0 s0 s2 s2}, MOVSHDUP {s1 s1 s3 s3}, MOVDDUP {q0 q0}. */
int x86_exec_sse_movdup(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    x86_vec s, r;
    rc = x86_simd_read(cpu, in, 1, &s);
    if (unlikely(rc))
        return rc;
    switch (in->op) {
    case X86_OP_MOVSLDUP:
        r.d[0] = r.d[1] = s.d[0];
        r.d[2] = r.d[3] = s.d[2];
        break;
    case X86_OP_MOVSHDUP:
        r.d[0] = r.d[1] = s.d[1];
        r.d[2] = r.d[3] = s.d[3];
        break;
    default:
        r.q[0] = r.q[1] = s.q[0];
        break;
    }
    x86_xmm_set(cpu, in->opnd[0].reg, &r);
    return X86_EXEC_OK;
}

/* MOVMSKPS/MOVMSKPD/PMOVMSKB: the sign bits of the lanes into a general
 * register, zero-extended. */
int x86_exec_simd_movmsk(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_simd_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec s;
    rc = x86_simd_read(cpu, in, 1, &s);
    if (unlikely(rc))
        return rc;
    uint32_t m = 0;
    switch (in->op) {
    case X86_OP_MOVMSKPS:
        for (unsigned i = 0; i < 4; i++)
            m |= (s.d[i] >> 31) << i;
        break;
    case X86_OP_MOVMSKPD:
        for (unsigned i = 0; i < 2; i++)
            m |= (uint32_t)(s.q[i] >> 63) << i;
        break;
    default: {
        unsigned n = in->opnd[1].kind == X86_OPND_MMX ? 8 : 16;
        for (unsigned i = 0; i < n; i++)
            m |= (uint32_t)(s.b[i] >> 7) << i;
        break;
    }
    }
    x86_vec r = { .q = { m, 0 } };
    return x86_simd_write(cpu, in, 0, &r);
}

/* MASKMOVQ/MASKMOVDQU: stores the bytes of operand 0 whose mask byte
 * (operand 1) has bit 7 set, to DS:rDI (segment override allowed). The
 * whole range is checked for writing first, so a fault stores nothing. */
int x86_exec_simd_maskmov(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_simd_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec data, mask;
    rc = x86_simd_read(cpu, in, 0, &data);
    if (likely(!rc))
        rc = x86_simd_read(cpu, in, 1, &mask);
    if (unlikely(rc))
        return rc;
    unsigned n = in->opnd[0].kind == X86_OPND_MMX ? 8 : 16;
    uint64_t off = cpu->s.gpr[X86_RDI] & x86_size_mask(in->addrsize);
    uint64_t la;
    uint8_t old[16];
    unsigned acc = x86_mem_acc(cpu, X86_ACC_WRITE);
    rc = x86_mem_linear(cpu, in->seg, off, n, X86_ACC_WRITE, &la);
    if (likely(!rc))
        rc = x86_mem_read_la(cpu, la, old, n, acc);
    for (unsigned i = 0; i < n && !rc; i++) {
        if (!(mask.b[i] & 0x80))
            continue;
        /* GUEST: la + i lies in the range checked above. */
        uint64_t a = la + i;
        if (cpu->mode != X86_MODE_LONG64)
            a &= 0xffffffffu;
        rc = x86_mem_write_la(cpu, a, &data.b[i], 1, acc);
    }
    if (likely(!rc) && x86_insn_has_mmx(in))
        x86_mmx_enter(cpu);
    return rc;
}

/* PINSRW (MMX and SSE), PINSRB, PINSRD/PINSRQ, INSERTPS. */
int x86_exec_simd_insert(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_simd_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec r, s;
    rc = x86_simd_read(cpu, in, 0, &r);
    if (likely(!rc))
        rc = x86_simd_read(cpu, in, 1, &s);
    if (unlikely(rc))
        return rc;
    unsigned imm = (unsigned)(in->imm & 0xff);
    switch (in->op) {
    case X86_OP_PINSRW:
        r.w[imm & (in->opnd[0].kind == X86_OPND_MMX ? 3 : 7)] = s.w[0];
        break;
    case X86_OP_PINSRB:
        r.b[imm & 15] = s.b[0];
        break;
    case X86_OP_PINSRD:
        if (in->opnd[1].size == 8)
            r.q[imm & 1] = s.q[0];
        else
            r.d[imm & 3] = s.d[0];
        break;
    default: /* INSERTPS: source lane imm[7:6] (register form), target
              * lane imm[5:4], then zero the lanes of imm[3:0] */
        r.d[(imm >> 4) & 3] = in->opnd[1].kind == X86_OPND_XMM ? s.d[(imm >> 6) & 3] : s.d[0];
        for (unsigned i = 0; i < 4; i++) {
            if (imm & (1u << i))
                r.d[i] = 0;
        }
        break;
    }
    return x86_simd_write(cpu, in, 0, &r);
}

/* PEXTRW (MMX and SSE, register or SSE4.1 memory destination), PEXTRB,
 * PEXTRD/PEXTRQ, EXTRACTPS: a lane, zero-extended into a register or
 * stored at its size. */
int x86_exec_simd_extract(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_simd_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec s, r = { 0 };
    rc = x86_simd_read(cpu, in, 1, &s);
    if (unlikely(rc))
        return rc;
    unsigned imm = (unsigned)(in->imm & 0xff);
    switch (in->op) {
    case X86_OP_PEXTRW:
        r.q[0] = s.w[imm & (in->opnd[1].kind == X86_OPND_MMX ? 3 : 7)];
        break;
    case X86_OP_PEXTRB:
        r.q[0] = s.b[imm & 15];
        break;
    case X86_OP_PEXTRD:
        r.q[0] = in->opnd[0].size == 8 ? s.q[imm & 1] : s.d[imm & 3];
        break;
    default: /* EXTRACTPS */
        r.q[0] = s.d[imm & 3];
        break;
    }
    return x86_simd_write(cpu, in, 0, &r);
}

/* LDMXCSR: reserved bits set -> #GP(0). */
int x86_exec_ldmxcsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    uint64_t v;
    rc = x86_opnd_read(cpu, in, 0, &v);
    if (unlikely(rc))
        return rc;
    if (v & ~(uint64_t)X86_MXCSR_VALID)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    cpu->s.fx.mxcsr = (uint32_t)v;
    return X86_EXEC_OK;
}

int x86_exec_stmxcsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    return x86_opnd_write(cpu, in, 0, cpu->s.fx.mxcsr);
}

/* EMMS: all x87 registers empty (SDM Vol. 1, 9.5.3), and TOP = 0 as after
 * any MMX instruction (what the hardware shows when EMMS runs with
 * another TOP). */
int x86_exec_emms(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    int rc = x86_mmx_check(cpu);
    if (unlikely(rc))
        return rc;
    x86_mmx_enter(cpu);
    cpu->s.fx.ftw = 0;
    return X86_EXEC_OK;
}
