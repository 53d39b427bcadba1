/* Lazy arithmetic flags: computing CF PF AF ZF SF OF from the record the last
 * flag-setting instruction left in cpu->lf (see x86/emu.h). */
#include "x86/flags.h"

/* PF: set when the low byte of the result has an even number of 1 bits. */
static inline uint32_t flag_pf(uint64_t res)
{
    return __builtin_parity((unsigned)(res & 0xff)) ? 0 : X86_FLAG_PF;
}

static inline uint32_t flags_szp(uint64_t res, unsigned size)
{
    uint32_t f = flag_pf(res);
    if (res == 0)
        f |= X86_FLAG_ZF;
    if (res & x86_size_sign(size))
        f |= X86_FLAG_SF;
    return f;
}

/* AF is the carry/borrow out of bit 3: bit 4 of a ^ b ^ result. */
static inline uint32_t flag_af(uint64_t a, uint64_t b, uint64_t res)
{
    return ((a ^ b ^ res) & 0x10) ? X86_FLAG_AF : 0;
}

static uint32_t flags_add(const struct x86_lazy_flags *lf, bool carry_in)
{
    uint64_t a = lf->src1, b = lf->src2, r = lf->dst;
    uint32_t f = flags_szp(r, lf->size) | flag_af(a, b, r);
    if (carry_in ? r <= a : r < a)
        f |= X86_FLAG_CF;
    /* Overflow: both operands have the same sign and the result another. */
    if ((a ^ r) & (b ^ r) & x86_size_sign(lf->size))
        f |= X86_FLAG_OF;
    return f;
}

static uint32_t flags_sub(const struct x86_lazy_flags *lf, bool borrow_in)
{
    uint64_t a = lf->src1, b = lf->src2, r = lf->dst;
    uint32_t f = flags_szp(r, lf->size) | flag_af(a, b, r);
    if (borrow_in ? a <= b : a < b)
        f |= X86_FLAG_CF;
    /* Overflow: operands of different signs and the result's sign differs
     * from the minuend's. */
    if ((a ^ b) & (a ^ r) & x86_size_sign(lf->size))
        f |= X86_FLAG_OF;
    return f;
}

uint32_t x86_flags_eval(const struct x86_lazy_flags *lf)
{
    uint64_t r = lf->dst;
    uint64_t sign = x86_size_sign(lf->size);
    uint32_t f;

    switch (lf->op) {
    case X86_LAZY_ADD:
        return flags_add(lf, false);
    case X86_LAZY_ADC:
        return flags_add(lf, true);
    case X86_LAZY_SUB:
        return flags_sub(lf, false);
    case X86_LAZY_SBB:
        return flags_sub(lf, true);
    case X86_LAZY_LOGIC:
        return flags_szp(r, lf->size);
    case X86_LAZY_INC:
        f = flags_szp(r, lf->size) | (lf->src2 ? X86_FLAG_CF : 0);
        if ((r & 0xf) == 0)
            f |= X86_FLAG_AF;
        if (r == sign)
            f |= X86_FLAG_OF;
        return f;
    case X86_LAZY_DEC:
        f = flags_szp(r, lf->size) | (lf->src2 ? X86_FLAG_CF : 0);
        if ((r & 0xf) == 0xf)
            f |= X86_FLAG_AF;
        if (r == sign - 1)
            f |= X86_FLAG_OF;
        return f;
    case X86_LAZY_SZP:
        return flags_szp(r, lf->size) |
               ((uint32_t)lf->src1 & (X86_FLAG_CF | X86_FLAG_AF | X86_FLAG_OF));
    default:
        return 0;
    }
}

uint32_t x86_flags_compute(const struct x86_cpu *cpu)
{
    if (cpu->lf.op == X86_LAZY_NONE)
        return (uint32_t)cpu->s.rflags & X86_FLAGS_ARITH;
    return x86_flags_eval(&cpu->lf);
}

/* Condition codes (SDM Vol. 1, Appendix B): pairs cc, cc ^ 1 are negations. */
static bool cond_from_flags(uint32_t f, unsigned cc)
{
    bool r;
    switch (cc >> 1) {
    case 0: r = f & X86_FLAG_OF; break;                           /* O */
    case 1: r = f & X86_FLAG_CF; break;                           /* B */
    case 2: r = f & X86_FLAG_ZF; break;                           /* E */
    case 3: r = f & (X86_FLAG_CF | X86_FLAG_ZF); break;           /* BE */
    case 4: r = f & X86_FLAG_SF; break;                           /* S */
    case 5: r = f & X86_FLAG_PF; break;                           /* P */
    case 6: r = !(f & X86_FLAG_SF) != !(f & X86_FLAG_OF); break;  /* L */
    default:                                                      /* LE */
        r = (f & X86_FLAG_ZF) || !(f & X86_FLAG_SF) != !(f & X86_FLAG_OF);
        break;
    }
    return r ^ (cc & 1);
}

/* After SUB/CMP the common conditions are plain comparisons of the operands. */
static bool cond_after_sub(const struct x86_lazy_flags *lf, unsigned cc, bool *done)
{
    uint64_t a = lf->src1, b = lf->src2;
    bool r;
    *done = true;
    switch (cc >> 1) {
    case 1: r = a < b; break;
    case 2: r = a == b; break;
    case 3: r = a <= b; break;
    case 6: r = x86_sext(a, lf->size) < x86_sext(b, lf->size); break;
    case 7: r = x86_sext(a, lf->size) <= x86_sext(b, lf->size); break;
    default:
        *done = false;
        return false;
    }
    return r ^ (cc & 1);
}

bool x86_cond(const struct x86_cpu *cpu, unsigned cc)
{
    if (cpu->lf.op == X86_LAZY_SUB) {
        bool done;
        bool r = cond_after_sub(&cpu->lf, cc, &done);
        if (done)
            return r;
    }
    return cond_from_flags(x86_flags_compute(cpu), cc);
}

void x86_flags_materialize(struct x86_cpu *cpu)
{
    if (cpu->lf.op == X86_LAZY_NONE)
        return;
    cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)X86_FLAGS_ARITH) | x86_flags_eval(&cpu->lf);
    cpu->lf.op = X86_LAZY_NONE;
}

void x86_flags_update(struct x86_cpu *cpu, uint32_t mask, uint32_t bits)
{
    x86_flags_materialize(cpu);
    cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)mask) | (bits & mask);
}
