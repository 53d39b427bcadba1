/* Exchanges (see exec_xchg.h). */
#include "x86/exec_xchg.h"

#include "x86/exec_opnd.h"
#include "x86/mem_atomic.h"

/* XCHG r/m, r (either order): memory operands are implicitly locked. */
int x86_exec_xchg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned m = in->opnd[1].kind == X86_OPND_MEM ? 1 : 0, r = 1 - m;
    unsigned size = in->opnd[0].size, reg = in->opnd[r].reg;
    uint64_t rv = x86_gpr_read(cpu, reg, size), old;

    if (in->opnd[m].kind == X86_OPND_GPR) {
        x86_gpr_write(cpu, reg, size, x86_gpr_read(cpu, in->opnd[m].reg, size));
        x86_gpr_write(cpu, in->opnd[m].reg, size, rv);
        return X86_EXEC_OK;
    }
    struct x86_rmw mw;
    int rc = x86_mem_rmw_begin(cpu, in->seg, x86_ea(cpu, in), size, true, &mw, &old);
    if (rc)
        return rc;
    if (mw.atomic)
        old = x86_atomic_xchg(mw.host, size, rv);
    else if ((rc = x86_mem_rmw_end(cpu, &mw, rv)))
        return rc;
    x86_gpr_write(cpu, reg, size, old);
    return X86_EXEC_OK;
}

/* XADD r/m, r: r/m = r/m + r, r = the old r/m; flags as ADD. */
int x86_exec_xadd(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size, reg = in->opnd[1].reg;
    uint64_t mask = x86_size_mask(size);
    uint64_t b = x86_gpr_read(cpu, reg, size), a;
    struct x86_dst d;
    int rc = x86_dst_begin(cpu, in, 0, &d, &a);
    if (rc)
        return rc;
    uint64_t r = (a + b) & mask;
    if (d.mem && d.m.atomic) {
        while (!x86_mem_rmw_cas(cpu, &d.m, &a, r, &rc))
            r = (a + b) & mask;
    } else {
        rc = x86_dst_commit(cpu, &d, r);
    }
    if (rc)
        return rc;
    /* For XADD r, r with the same register the sum wins: write r first. */
    x86_gpr_write(cpu, reg, size, a);
    if (!d.mem)
        x86_gpr_write(cpu, d.reg, size, r);
    x86_flags_record(cpu, X86_LAZY_ADD, size, r, a, b);
    return X86_EXEC_OK;
}

/* CMPXCHG r/m, r: compares rAX with r/m (flags as CMP rAX, r/m); equal:
 * r/m = r, else rAX = r/m. A memory destination gets a write cycle in both
 * cases (its own value when unequal; write permission is always needed); a
 * register destination is left alone when unequal, so a 32-bit one keeps
 * its upper half, as processors do. */
int x86_exec_cmpxchg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t acc = x86_gpr_read(cpu, X86_RAX, size);
    uint64_t src = x86_gpr_read(cpu, in->opnd[1].reg, size), old;
    struct x86_dst d;
    int rc = x86_dst_begin(cpu, in, 0, &d, &old);
    if (rc)
        return rc;
    bool equal;
    if (d.mem && d.m.atomic) {
        uint64_t cur = acc;
        equal = x86_atomic_cas(d.m.host, size, &cur, src);
        old = equal ? acc : cur;
    } else {
        equal = old == acc;
        if (equal || d.mem) {
            rc = x86_dst_commit(cpu, &d, equal ? src : old);
            if (rc)
                return rc;
        }
    }
    if (!equal)
        x86_gpr_write(cpu, X86_RAX, size, old);
    x86_flags_record(cpu, X86_LAZY_SUB, size, (acc - old) & x86_size_mask(size), acc, old);
    return X86_EXEC_OK;
}

/* CMPXCHG8B m64: compares EDX:EAX with m64; equal: m64 = ECX:EBX, ZF = 1;
 * else EDX:EAX = m64, ZF = 0. Other flags are unchanged. */
int x86_exec_cmpxchg8b(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (in->opnd[0].kind != X86_OPND_MEM)
        return x86_raise(cpu, X86_EXC_UD);
    uint64_t expect = (x86_gpr_read(cpu, X86_RDX, 4) << 32) | x86_gpr_read(cpu, X86_RAX, 4);
    uint64_t desired = (x86_gpr_read(cpu, X86_RCX, 4) << 32) | x86_gpr_read(cpu, X86_RBX, 4);
    struct x86_rmw m;
    uint64_t old;
    int rc = x86_mem_rmw_begin(cpu, in->seg, x86_ea(cpu, in), 8, in->flags & X86_PFX_LOCK, &m,
                               &old);
    if (rc)
        return rc;
    bool equal;
    if (m.atomic) {
        old = expect;
        equal = x86_atomic_cas(m.host, 8, &old, desired);
    } else {
        equal = old == expect;
        rc = x86_mem_rmw_end(cpu, &m, equal ? desired : old);
        if (rc)
            return rc;
    }
    if (!equal) {
        x86_gpr_write(cpu, X86_RAX, 4, old);
        x86_gpr_write(cpu, X86_RDX, 4, old >> 32);
    }
    x86_flags_update(cpu, X86_FLAG_ZF, equal ? X86_FLAG_ZF : 0);
    return X86_EXEC_OK;
}

/* CMPXCHG16B m128: as CMPXCHG8B with RDX:RAX / RCX:RBX; the operand must be
 * 16-byte aligned (#GP(0)). Always atomic on RAM. */
int x86_exec_cmpxchg16b(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (in->opnd[0].kind != X86_OPND_MEM)
        return x86_raise(cpu, X86_EXC_UD);
    uint64_t expect[2] = { cpu->s.gpr[X86_RAX], cpu->s.gpr[X86_RDX] };
    uint64_t desired[2] = { cpu->s.gpr[X86_RBX], cpu->s.gpr[X86_RCX] };
    uint64_t la, old[2];
    unsigned acc = x86_mem_acc(cpu, X86_ACC_WRITE);
    int rc = x86_mem_linear(cpu, in->seg, x86_ea(cpu, in), 16, X86_ACC_WRITE, &la);
    if (rc)
        return rc;
    if (la & 15)
        return x86_raise_err(cpu, X86_EXC_GP, 0);

    /* GUEST: a host pointer only from the TLB or mem_ptr, which map exactly
     * these 16 bytes (16-byte aligned, so within one page) for writing. */
    void *host = x86_tlb_lookup(cpu, la, 16, acc);
    if (!host && cpu->ops->mem_ptr && (rc = cpu->ops->mem_ptr(cpu, la, 16, acc, &host)))
        return rc;
    bool equal;
    if (host) {
        old[0] = expect[0];
        old[1] = expect[1];
        equal = x86_atomic_cas16(host, old, desired);
    } else {
        uint8_t buf[16];
        if ((rc = cpu->ops->mem_read(cpu, la, buf, 16, acc)))
            return rc;
        old[0] = get_le64(buf);
        old[1] = get_le64(buf + 8);
        equal = old[0] == expect[0] && old[1] == expect[1];
        if (equal) {
            put_le64(buf, desired[0]);
            put_le64(buf + 8, desired[1]);
        }
        if ((rc = cpu->ops->mem_write(cpu, la, buf, 16, acc)))
            return rc;
    }
    if (!equal) {
        cpu->s.gpr[X86_RAX] = old[0];
        cpu->s.gpr[X86_RDX] = old[1];
    }
    x86_flags_update(cpu, X86_FLAG_ZF, equal ? X86_FLAG_ZF : 0);
    return X86_EXEC_OK;
}
