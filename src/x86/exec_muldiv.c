/* Multiplication and division (see exec_muldiv.h). */
#include "x86/exec_muldiv.h"

#include "x86/exec_opnd.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* The implicit accumulator pair: AX for byte operands (AL, AH), else
 * rDX:rAX. */
static void acc_write(struct x86_cpu *cpu, unsigned size, uint64_t lo, uint64_t hi)
{
    if (size == 1) {
        x86_gpr_write(cpu, X86_RAX, 2, (lo & 0xff) | ((hi & 0xff) << 8));
        return;
    }
    x86_gpr_write(cpu, X86_RAX, size, lo);
    x86_gpr_write(cpu, X86_RDX, size, hi);
}

static u128 acc_read(const struct x86_cpu *cpu, unsigned size)
{
    if (size == 1)
        return x86_gpr_read(cpu, X86_RAX, 2);
    return ((u128)x86_gpr_read(cpu, X86_RDX, size) << (8 * size)) |
           x86_gpr_read(cpu, X86_RAX, size);
}

static void mul_flags(struct x86_cpu *cpu, unsigned size, uint64_t lo, bool overflow)
{
    x86_flags_set_szp(cpu, size, lo, overflow ? X86_FLAG_CF | X86_FLAG_OF : 0);
}

int x86_exec_mul(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size, bits = 8 * size;
    uint64_t src;
    int rc = x86_opnd_read(cpu, in, 0, &src);
    if (rc)
        return rc;
    u128 p = (u128)x86_gpr_read(cpu, X86_RAX, size) * src;
    uint64_t lo = (uint64_t)p & x86_size_mask(size);
    uint64_t hi = (uint64_t)(p >> bits) & x86_size_mask(size);
    acc_write(cpu, size, lo, hi);
    mul_flags(cpu, size, lo, hi != 0);
    return X86_EXEC_OK;
}

/* Signed product of two size-byte values; *overflow when it does not fit
 * in size bytes. Returns the full 128-bit product. */
static s128 smul(uint64_t a, uint64_t b, unsigned size, bool *overflow)
{
    s128 p = (s128)x86_sext(a, size) * (s128)x86_sext(b, size);
    uint64_t lo = (uint64_t)p;
    *overflow = (s128)x86_sext(lo, size) != p;
    return p;
}

int x86_exec_imul(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t mask = x86_size_mask(size);
    uint64_t a, b;
    bool ovf;
    int rc;

    if (in->nopnd <= 1) {
        rc = x86_opnd_read(cpu, in, 0, &b);
        if (rc)
            return rc;
        s128 p = smul(x86_gpr_read(cpu, X86_RAX, size), b, size, &ovf);
        uint64_t lo = (uint64_t)p & mask;
        uint64_t hi = (uint64_t)(p >> (8 * size)) & mask;
        acc_write(cpu, size, lo, hi);
        mul_flags(cpu, size, lo, ovf);
        return X86_EXEC_OK;
    }
    /* IMUL r, r/m (dest *= src) and IMUL r, r/m, imm (dest = src * imm) */
    unsigned first = in->nopnd == 2 ? 0 : 1;
    rc = x86_opnd_read(cpu, in, first, &a);
    if (rc)
        return rc;
    rc = x86_opnd_read(cpu, in, first + 1, &b);
    if (rc)
        return rc;
    uint64_t lo = (uint64_t)smul(a, b & mask, size, &ovf) & mask;
    x86_gpr_write(cpu, in->opnd[0].reg, size, lo);
    mul_flags(cpu, size, lo, ovf);
    return X86_EXEC_OK;
}

int x86_exec_div(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t d;
    int rc = x86_opnd_read(cpu, in, 0, &d);
    if (rc)
        return rc;
    if (d == 0)
        return x86_raise(cpu, X86_EXC_DE);
    u128 n = acc_read(cpu, size);
    /* The quotient fits iff the high half of the dividend is below the
     * divisor. */
    if ((n >> (8 * size)) >= d)
        return x86_raise(cpu, X86_EXC_DE);
    uint64_t q, r;
    if (size == 8) {
        q = (uint64_t)(n / d);
        r = (uint64_t)(n % d);
    } else {
        q = (uint64_t)n / d;
        r = (uint64_t)n % d;
    }
    acc_write(cpu, size, q, r);
    return X86_EXEC_OK;
}

int x86_exec_idiv(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size, bits = 8 * size;
    uint64_t dv;
    int rc = x86_opnd_read(cpu, in, 0, &dv);
    if (rc)
        return rc;
    int64_t d = x86_sext(dv, size);
    if (d == 0)
        return x86_raise(cpu, X86_EXC_DE);
    /* Sign-extend the 2*bits-wide dividend. */
    u128 raw = acc_read(cpu, size);
    s128 n = (s128)(raw << (128 - 2 * bits)) >> (128 - 2 * bits);
    s128 q, r;
    if (d == -1) {
        /* -n overflows only for the most negative dividend. */
        if (bits == 64 && n == (s128)((u128)1 << 127))
            return x86_raise(cpu, X86_EXC_DE);
        q = -n;
        r = 0;
    } else {
        q = n / d;
        r = n % d;
    }
    s128 qmax = ((s128)1 << (bits - 1)) - 1, qmin = -((s128)1 << (bits - 1));
    if (q > qmax || q < qmin)
        return x86_raise(cpu, X86_EXC_DE);
    acc_write(cpu, size, (uint64_t)q, (uint64_t)r);
    return X86_EXEC_OK;
}
