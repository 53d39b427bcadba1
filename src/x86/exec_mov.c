/* Data movement (see exec_mov.h). */
#include "x86/exec_mov.h"

#include "x86/exec_opnd.h"

int x86_exec_mov(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v;
    int rc = x86_opnd_read(cpu, in, 1, &v);
    if (unlikely(rc))
        return rc;
    return x86_opnd_write(cpu, in, 0, v);
}

int x86_exec_movzx(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v;
    int rc = x86_opnd_read(cpu, in, 1, &v);
    if (unlikely(rc))
        return rc;
    x86_gpr_write(cpu, in->opnd[0].reg, in->opnd[0].size, v);
    return X86_EXEC_OK;
}

/* MOVSX and MOVSXD: sign-extend the source to the destination size. */
int x86_exec_movsx(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v;
    int rc = x86_opnd_read(cpu, in, 1, &v);
    if (unlikely(rc))
        return rc;
    x86_gpr_write(cpu, in->opnd[0].reg, in->opnd[0].size, (uint64_t)x86_sext(v, in->opnd[1].size));
    return X86_EXEC_OK;
}

static uint64_t byte_swap(uint64_t v, unsigned size)
{
    switch (size) {
    case 2: return __builtin_bswap16((uint16_t)v);
    case 4: return __builtin_bswap32((uint32_t)v);
    default: return __builtin_bswap64(v);
    }
}

/* MOVBE: a load or a store with the bytes reversed. */
int x86_exec_movbe(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v;
    int rc = x86_opnd_read(cpu, in, 1, &v);
    if (rc)
        return rc;
    return x86_opnd_write(cpu, in, 0, byte_swap(v, in->opnd[0].size));
}

/* LEA: the offset, computed at the address size, truncated or zero-extended
 * to the operand size. */
int x86_exec_lea(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (unlikely(in->opnd[1].kind != X86_OPND_MEM))
        return x86_raise(cpu, X86_EXC_UD);
    x86_gpr_write(cpu, in->opnd[0].reg, in->opsize, x86_ea(cpu, in));
    return X86_EXEC_OK;
}

/* CBW / CWDE / CDQE: rAX = sign-extended lower half. */
int x86_exec_cbw(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t v = x86_gpr_read(cpu, X86_RAX, size / 2);
    x86_gpr_write(cpu, X86_RAX, size, (uint64_t)x86_sext(v, size / 2));
    return X86_EXEC_OK;
}

/* CWD / CDQ / CQO: rDX = the sign of rAX, replicated. */
int x86_exec_cwd(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    bool neg = x86_gpr_read(cpu, X86_RAX, size) & x86_size_sign(size);
    x86_gpr_write(cpu, X86_RDX, size, neg ? ~(uint64_t)0 : 0);
    return X86_EXEC_OK;
}

/* CMOVcc: the source is read (and may fault) whatever the condition; a
 * false condition still zero-extends a 32-bit destination in 64-bit mode. */
int x86_exec_cmovcc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size, reg = in->opnd[0].reg;
    uint64_t v;
    int rc = x86_opnd_read(cpu, in, 1, &v);
    if (unlikely(rc))
        return rc;
    if (!x86_cond(cpu, in->opcode & 0xf))
        v = x86_gpr_read(cpu, reg, size);
    x86_gpr_write(cpu, reg, size, v);
    return X86_EXEC_OK;
}

int x86_exec_setcc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return x86_opnd_write(cpu, in, 0, x86_cond(cpu, in->opcode & 0xf));
}

/* XLAT: AL = seg:[rBX + AL] at the address size. */
int x86_exec_xlat(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t off = (cpu->s.gpr[X86_RBX] + (cpu->s.gpr[X86_RAX] & 0xff)) &
                   x86_size_mask(in->addrsize);
    uint64_t v;
    int rc = x86_mem_read(cpu, in->seg, off, 1, &v);
    if (rc)
        return rc;
    x86_gpr_write(cpu, X86_RAX, 1, v);
    return X86_EXEC_OK;
}

#define LAHF_BITS (X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF | X86_FLAG_CF)

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
int x86_exec_lahf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    uint32_t f = (x86_flags_compute(cpu) & LAHF_BITS) | X86_FLAG_FIXED;
    x86_gpr_write(cpu, X86_REG_AH, 1, f);
    return X86_EXEC_OK;
}

/* SAHF: SF ZF AF PF CF = the bits of AH; OF is kept. */
int x86_exec_sahf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    x86_flags_update(cpu, LAHF_BITS, (uint32_t)x86_gpr_read(cpu, X86_REG_AH, 1));
    return X86_EXEC_OK;
}
