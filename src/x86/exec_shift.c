/* Shifts and rotates (see exec_shift.h). */
#include "x86/exec_shift.h"

#include "x86/exec_opnd.h"
#include "x86/shift_calc.h"

/* Shifts that are defined as 0 for counts >= 64 (C leaves them undefined). */
static inline uint64_t shl64(uint64_t v, unsigned n)
{
    return n >= 64 ? 0 : v << n;
}

static inline uint64_t shr64(uint64_t v, unsigned n)
{
    return n >= 64 ? 0 : v >> n;
}

/* The operands every handler here starts from. */
struct shift_opnd {
    unsigned size;    /* of the destination */
    unsigned n;       /* the masked count */
    uint64_t a;       /* the destination's value */
    uint64_t b;       /* SHLD/SHRD: the register shifted in */
    struct x86_dst d; /* the destination, open for the commit */
};

/* Reads the count (operand 1, or 2 for SHLD/SHRD: masked as the SDM says,
 * COUNT & 1FH, or 3FH for 64-bit), SHLD/SHRD's source (operand 1), then
 * opens the destination (operand 0). */
static inline int shift_begin(struct x86_cpu *cpu, const struct x86_insn *in, bool dbl,
                              struct shift_opnd *s)
{
    uint64_t c;
    s->size = in->opnd[0].size;
    int rc = x86_opnd_read(cpu, in, dbl ? 2 : 1, &c);
    if (rc)
        return rc;
    s->n = (unsigned)(c & (s->size == 8 ? 63 : 31));
    if (dbl) {
        rc = x86_opnd_read(cpu, in, 1, &s->b);
        if (rc)
            return rc;
    }
    return x86_dst_begin(cpu, in, 0, &s->d, &s->a);
}

/* ---- SHL / SHR / SAR -------------------------------------------------------- */

static inline int shift(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_op op)
{
    struct shift_opnd s;
    int rc = shift_begin(cpu, in, false, &s);
    if (rc)
        return rc;
    if (s.n == 0)
        return x86_dst_commit(cpu, &s.d, s.a); /* no flag changes */
    uint32_t cf_of;
    uint64_t r = x86_shift_calc(op, s.size, s.a, s.n, &cf_of);
    rc = x86_dst_commit(cpu, &s.d, r);
    if (rc)
        return rc;
    x86_flags_set_szp(cpu, s.size, r, cf_of);
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

static inline int rotate(struct x86_cpu *cpu, const struct x86_insn *in, bool left)
{
    struct shift_opnd s;
    int rc = shift_begin(cpu, in, false, &s);
    if (rc)
        return rc;
    uint64_t r = x86_rotate_calc(left, s.size, s.a, s.n);
    rc = x86_dst_commit(cpu, &s.d, r);
    if (rc || s.n == 0)
        return rc;
    x86_flags_update(cpu, X86_FLAG_CF | X86_FLAG_OF, x86_rotate_cf_of(left, s.size, r));
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
    struct shift_opnd s;
    int rc = shift_begin(cpu, in, false, &s);
    if (rc)
        return rc;
    unsigned size = s.size, bits = 8 * size, n = s.n;
    uint64_t sign = x86_size_sign(size), mask = x86_size_mask(size), a = s.a;
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
    rc = x86_dst_commit(cpu, &s.d, r);
    if (rc || n == 0)
        return rc;
    bool of = left ? !(r & sign) != !cf : !(a & sign) != !cin;
    x86_flags_update(cpu, X86_FLAG_CF | X86_FLAG_OF, x86_shift_cf_of(cf, of));
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
    struct shift_opnd s;
    int rc = shift_begin(cpu, in, true, &s);
    if (rc)
        return rc;
    if (s.n == 0)
        return x86_dst_commit(cpu, &s.d, s.a);
    unsigned size = s.size, bits = 8 * size, n = s.n;
    uint64_t sign = x86_size_sign(size), mask = x86_size_mask(size), a = s.a;
    /* Counts above the width (16-bit operands only) are undefined; they
     * shift the 3-copy pattern dest:src:dest here, which stays in range. */
    unsigned k = n > bits ? n - bits : n;
    uint64_t hi = n > bits ? s.b : a, lo = n > bits ? a : s.b;
    uint64_t r;
    bool cf;
    if (left) {
        r = (shl64(hi, k) | shr64(lo, bits - k)) & mask;
        cf = (hi >> (bits - k)) & 1;
    } else {
        r = (shr64(hi, k) | shl64(lo, bits - k)) & mask;
        cf = (hi >> (k - 1)) & 1;
    }
    rc = x86_dst_commit(cpu, &s.d, r);
    if (rc)
        return rc;
    bool of = !(r & sign) != !(a & sign);
    x86_flags_set_szp(cpu, size, r, x86_shift_cf_of(cf, of));
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
