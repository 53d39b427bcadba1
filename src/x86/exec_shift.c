/* Shifts and rotates (see exec_shift.h). */
#include "x86/exec_shift.h"

#include "x86/exec_opnd.h"

/* Shifts that are defined as 0 for counts >= 64 (C leaves them undefined). */
static inline uint64_t shl64(uint64_t v, unsigned n)
{
    return n >= 64 ? 0 : v << n;
}

static inline uint64_t shr64(uint64_t v, unsigned n)
{
    return n >= 64 ? 0 : v >> n;
}

/* The masked count from operand ci (SDM: COUNT & 1FH, or 3FH for 64-bit). */
static int shift_count(struct x86_cpu *cpu, const struct x86_insn *in, unsigned ci,
                       unsigned size, unsigned *count)
{
    uint64_t c;
    int rc = x86_opnd_read(cpu, in, ci, &c);
    *count = (unsigned)(c & (size == 8 ? 63 : 31));
    return rc;
}

static inline uint32_t cf_of(bool cf, bool of)
{
    return (cf ? X86_FLAG_CF : 0) | (of ? X86_FLAG_OF : 0);
}

/* ---- SHL / SHR / SAR -------------------------------------------------------- */

static int shift(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_op op)
{
    unsigned size = in->opnd[0].size, bits = 8 * size, n;
    uint64_t sign = x86_size_sign(size), mask = x86_size_mask(size);
    int rc = shift_count(cpu, in, 1, size, &n);
    if (rc)
        return rc;
    struct x86_dst d;
    uint64_t a, r;
    rc = x86_dst_begin(cpu, in, 0, &d, &a);
    if (rc)
        return rc;
    if (n == 0)
        return x86_dst_commit(cpu, &d, a); /* no flag changes */

    bool cf, of;
    switch (op) {
    case X86_OP_SHL:
        r = shl64(a, n) & mask;
        cf = n <= bits && (shr64(a, bits - n) & 1);
        of = !(r & sign) != !cf;
        break;
    case X86_OP_SHR:
        r = a >> n;
        cf = (a >> (n - 1)) & 1;
        of = a & sign;
        break;
    default: /* SAR */
        r = (uint64_t)(x86_sext(a, size) >> n) & mask;
        cf = (x86_sext(a, size) >> (n - 1)) & 1;
        of = false;
        break;
    }
    rc = x86_dst_commit(cpu, &d, r);
    if (rc)
        return rc;
    x86_flags_set_szp(cpu, size, r, cf_of(cf, of));
    return X86_EXEC_OK;
}

int x86_exec_shl(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return shift(cpu, in, X86_OP_SHL);
}

int x86_exec_shr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return shift(cpu, in, X86_OP_SHR);
}

int x86_exec_sar(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return shift(cpu, in, X86_OP_SAR);
}

/* ---- ROL / ROR: only CF and OF change ---------------------------------------- */

static int rotate(struct x86_cpu *cpu, const struct x86_insn *in, bool left)
{
    unsigned size = in->opnd[0].size, bits = 8 * size, n;
    uint64_t sign = x86_size_sign(size), mask = x86_size_mask(size);
    int rc = shift_count(cpu, in, 1, size, &n);
    if (rc)
        return rc;
    struct x86_dst d;
    uint64_t a;
    rc = x86_dst_begin(cpu, in, 0, &d, &a);
    if (rc)
        return rc;
    unsigned k = n % bits;
    uint64_t r = a;
    if (k)
        r = left ? ((a << k) | (a >> (bits - k))) & mask : ((a >> k) | (a << (bits - k))) & mask;
    rc = x86_dst_commit(cpu, &d, r);
    if (rc || n == 0)
        return rc;
    bool cf, of;
    if (left) {
        cf = r & 1;
        of = !(r & sign) != !cf;
    } else {
        cf = r & sign;
        of = !(r & sign) != !(r & (sign >> 1));
    }
    x86_flags_update(cpu, X86_FLAG_CF | X86_FLAG_OF, cf_of(cf, of));
    return X86_EXEC_OK;
}

int x86_exec_rol(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return rotate(cpu, in, true);
}

int x86_exec_ror(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return rotate(cpu, in, false);
}

/* ---- RCL / RCR: rotate the (width + 1)-bit value CF:dest ------------------- */

static int rotate_carry(struct x86_cpu *cpu, const struct x86_insn *in, bool left)
{
    unsigned size = in->opnd[0].size, bits = 8 * size, n;
    uint64_t sign = x86_size_sign(size), mask = x86_size_mask(size);
    int rc = shift_count(cpu, in, 1, size, &n);
    if (rc)
        return rc;
    struct x86_dst d;
    uint64_t a;
    rc = x86_dst_begin(cpu, in, 0, &d, &a);
    if (rc)
        return rc;
    unsigned k = size <= 2 ? n % (bits + 1) : n;
    bool cin = x86_flags_cf(cpu);
    uint64_t r = a;
    bool cf = cin;
    if (k) {
        if (left) {
            r = (shl64(a, k) | ((uint64_t)cin << (k - 1)) | shr64(a, bits + 1 - k)) & mask;
            cf = (a >> (bits - k)) & 1;
        } else {
            r = (shr64(a, k) | ((uint64_t)cin << (bits - k)) | shl64(a, bits + 1 - k)) & mask;
            cf = (a >> (k - 1)) & 1;
        }
    }
    rc = x86_dst_commit(cpu, &d, r);
    if (rc || n == 0)
        return rc;
    bool of = left ? !(r & sign) != !cf : !(a & sign) != !cin;
    x86_flags_update(cpu, X86_FLAG_CF | X86_FLAG_OF, cf_of(cf, of));
    return X86_EXEC_OK;
}

int x86_exec_rcl(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return rotate_carry(cpu, in, true);
}

int x86_exec_rcr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return rotate_carry(cpu, in, false);
}

/* ---- SHLD / SHRD: shift bits of a second register in ------------------------ */

static int shift_double(struct x86_cpu *cpu, const struct x86_insn *in, bool left)
{
    unsigned size = in->opnd[0].size, bits = 8 * size, n;
    uint64_t sign = x86_size_sign(size), mask = x86_size_mask(size);
    int rc = shift_count(cpu, in, 2, size, &n);
    if (rc)
        return rc;
    uint64_t a, b;
    rc = x86_opnd_read(cpu, in, 1, &b);
    if (rc)
        return rc;
    struct x86_dst d;
    rc = x86_dst_begin(cpu, in, 0, &d, &a);
    if (rc)
        return rc;
    if (n == 0)
        return x86_dst_commit(cpu, &d, a);
    /* Counts above the width (16-bit operands only) are undefined; they
     * shift the 3-copy pattern dest:src:dest here, which stays in range. */
    unsigned k = n > bits ? n - bits : n;
    uint64_t hi = n > bits ? b : a, lo = n > bits ? a : b;
    uint64_t r;
    bool cf;
    if (left) {
        r = (shl64(hi, k) | shr64(lo, bits - k)) & mask;
        cf = (hi >> (bits - k)) & 1;
    } else {
        r = (shr64(hi, k) | shl64(lo, bits - k)) & mask;
        cf = (hi >> (k - 1)) & 1;
    }
    rc = x86_dst_commit(cpu, &d, r);
    if (rc)
        return rc;
    bool of = !(r & sign) != !(a & sign);
    x86_flags_set_szp(cpu, size, r, cf_of(cf, of));
    return X86_EXEC_OK;
}

int x86_exec_shld(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return shift_double(cpu, in, true);
}

int x86_exec_shrd(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return shift_double(cpu, in, false);
}
