/* SSE floating-point arithmetic (see exec_sse_fp.h). */
#include "x86/exec_sse_fp.h"

#include "x86/exec_opnd.h"
#include "x86/exec_sse_host.h"
#include "x86/exec_sse_opnd.h"

/* ---- Host-executed arithmetic ------------------------------------------- */

/* Runs stub on h and applies what it raised (x86_sse_fp_commit; the
 * result is h->d, which the caller writes back if it wants it). */
static int fp_step(struct x86_cpu *cpu, enum x86_sse_stub stub, struct x86_sse_host *h,
                   enum x86_sse_lanes lanes)
{
    unsigned raised = x86_sse_host_run(stub, h, cpu->s.fx.mxcsr);
    return x86_sse_fp_commit(cpu, raised, &h->d, lanes);
}

#define ARITH_CASE(name, lanes)                                                  \
    case X86_OP_##name:                                                          \
        *stub = X86_SSE_STUB_##name;                                             \
        return X86_SSE_LANES_##lanes;
#define ARITH_CASE4(name, lanes_p)                                               \
    ARITH_CASE(name##PS, lanes_p) ARITH_CASE(name##PD, lanes_p)                  \
    ARITH_CASE(name##SS, lanes_p) ARITH_CASE(name##SD, lanes_p)

/* The stub of an arithmetic operation and its result lanes (for the
 * unmasked-underflow rule; MIN/MAX return an operand and RCP/RSQRT raise
 * nothing, so they have none). */
static enum x86_sse_lanes arith_desc(unsigned op, enum x86_sse_stub *stub)
{
    switch (op) {
    ARITH_CASE(ADDPS, PS) ARITH_CASE(ADDPD, PD) ARITH_CASE(ADDSS, SS) ARITH_CASE(ADDSD, SD)
    ARITH_CASE(SUBPS, PS) ARITH_CASE(SUBPD, PD) ARITH_CASE(SUBSS, SS) ARITH_CASE(SUBSD, SD)
    ARITH_CASE(MULPS, PS) ARITH_CASE(MULPD, PD) ARITH_CASE(MULSS, SS) ARITH_CASE(MULSD, SD)
    ARITH_CASE(DIVPS, PS) ARITH_CASE(DIVPD, PD) ARITH_CASE(DIVSS, SS) ARITH_CASE(DIVSD, SD)
    ARITH_CASE4(MIN, NONE)
    ARITH_CASE4(MAX, NONE)
    ARITH_CASE4(SQRT, NONE)
    ARITH_CASE(RCPPS, NONE) ARITH_CASE(RCPSS, NONE)
    ARITH_CASE(RSQRTPS, NONE)
    default: /* RSQRTSS */
        *stub = X86_SSE_STUB_RSQRTSS;
        return X86_SSE_LANES_NONE;
    }
}

int x86_exec_sse_arith(struct x86_cpu *cpu, const struct x86_insn *in)
{
    enum x86_sse_stub stub;
    enum x86_sse_lanes lanes = arith_desc(in->op, &stub);
    return x86_sse_host_op(cpu, in, stub, lanes);
}

/* CMPPS/CMPPD/CMPSS/CMPSD: the legacy encodings use predicates 0-7
 * (imm8[2:0]; EQ LT LE UNORD NEQ NLT NLE ORD). */
int x86_exec_sse_cmp(struct x86_cpu *cpu, const struct x86_insn *in)
{
    enum x86_sse_stub base;
    switch (in->op) {
    case X86_OP_CMPPS: base = X86_SSE_STUB_CMPPS_0; break;
    case X86_OP_CMPPD: base = X86_SSE_STUB_CMPPD_0; break;
    case X86_OP_CMPSS: base = X86_SSE_STUB_CMPSS_0; break;
    default: base = X86_SSE_STUB_CMPSD_0; break;
    }
    return x86_sse_host_op(cpu, in, (enum x86_sse_stub)(base + (in->imm & 7)),
                           X86_SSE_LANES_NONE);
}

/* COMISS/COMISD/UCOMISS/UCOMISD: ZF PF CF from the comparison, OF SF AF
 * cleared; nothing changes when the comparison faults. */
int x86_exec_sse_comis(struct x86_cpu *cpu, const struct x86_insn *in)
{
    struct x86_sse_host h = { 0 };
    int rc = x86_sse_operands(cpu, in, &h.d, &h.s);
    if (unlikely(rc))
        return rc;
    enum x86_sse_stub stub;
    switch (in->op) {
    case X86_OP_COMISS: stub = X86_SSE_STUB_COMISS; break;
    case X86_OP_COMISD: stub = X86_SSE_STUB_COMISD; break;
    case X86_OP_UCOMISS: stub = X86_SSE_STUB_UCOMISS; break;
    default: stub = X86_SSE_STUB_UCOMISD; break;
    }
    rc = fp_step(cpu, stub, &h, X86_SSE_LANES_NONE);
    if (unlikely(rc))
        return rc;
    const uint32_t zpc = X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
    x86_flags_update(cpu, X86_FLAGS_ARITH, h.rflags & zpc);
    return X86_EXEC_OK;
}

/* ---- SSE3: horizontal and alternating operations ------------------------- */

/* HADDPS/HSUBPS: dest = {d0 op d1, d2 op d3, s0 op s1, s2 op s3};
 * HADDPD/HSUBPD: dest = {d0 op d1, s0 op s1}. Each lane is one IEEE
 * operation, so one packed SSE2 operation on regrouped lanes computes all
 * of them with the same results and flags. */
int x86_exec_sse_hadd(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_vec d, s;
    int rc = x86_sse_operands(cpu, in, &d, &s);
    if (unlikely(rc))
        return rc;
    struct x86_sse_host h = { 0 };
    enum x86_sse_stub stub;
    enum x86_sse_lanes lanes;
    bool dbl = in->op == X86_OP_HADDPD || in->op == X86_OP_HSUBPD;
    bool add = in->op == X86_OP_HADDPS || in->op == X86_OP_HADDPD;
    if (dbl) {
        h.d.q[0] = d.q[0], h.s.q[0] = d.q[1];
        h.d.q[1] = s.q[0], h.s.q[1] = s.q[1];
        stub = add ? X86_SSE_STUB_ADDPD : X86_SSE_STUB_SUBPD;
        lanes = X86_SSE_LANES_PD;
    } else {
        h.d.d[0] = d.d[0], h.s.d[0] = d.d[1];
        h.d.d[1] = d.d[2], h.s.d[1] = d.d[3];
        h.d.d[2] = s.d[0], h.s.d[2] = s.d[1];
        h.d.d[3] = s.d[2], h.s.d[3] = s.d[3];
        stub = add ? X86_SSE_STUB_ADDPS : X86_SSE_STUB_SUBPS;
        lanes = X86_SSE_LANES_PS;
    }
    unsigned raised = x86_sse_host_run(stub, &h, cpu->s.fx.mxcsr);
    return x86_sse_fp_result(cpu, in, raised, &h.d, lanes);
}

/* ADDSUBPS/ADDSUBPD: even lanes subtract, odd lanes add. Two packed runs,
 * each with the other lanes zeroed (0 +/- 0 raises nothing). */
int x86_exec_sse_addsub(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_vec d, s;
    int rc = x86_sse_operands(cpu, in, &d, &s);
    if (unlikely(rc))
        return rc;
    bool dbl = in->op == X86_OP_ADDSUBPD;
    struct x86_sse_host sub = { 0 }, add = { 0 };
    x86_vec r;
    if (dbl) {
        sub.d.q[0] = d.q[0], sub.s.q[0] = s.q[0];
        add.d.q[1] = d.q[1], add.s.q[1] = s.q[1];
    } else {
        for (unsigned i = 0; i < 4; i += 2) {
            sub.d.d[i] = d.d[i], sub.s.d[i] = s.d[i];
            add.d.d[i + 1] = d.d[i + 1], add.s.d[i + 1] = s.d[i + 1];
        }
    }
    uint32_t mxcsr = cpu->s.fx.mxcsr;
    unsigned raised = x86_sse_host_run(dbl ? X86_SSE_STUB_SUBPD : X86_SSE_STUB_SUBPS, &sub, mxcsr);
    raised |= x86_sse_host_run(dbl ? X86_SSE_STUB_ADDPD : X86_SSE_STUB_ADDPS, &add, mxcsr);
    if (dbl) {
        r.q[0] = sub.d.q[0];
        r.q[1] = add.d.q[1];
    } else {
        for (unsigned i = 0; i < 4; i += 2) {
            r.d[i] = sub.d.d[i];
            r.d[i + 1] = add.d.d[i + 1];
        }
    }
    return x86_sse_fp_result(cpu, in, raised, &r, dbl ? X86_SSE_LANES_PD : X86_SSE_LANES_PS);
}

/* ---- SSE4.1 ROUNDxx -------------------------------------------------------- */

/* IEEE binary format parameters. */
struct fp_format {
    unsigned mbits; /* fraction bits */
    unsigned ebits; /* exponent bits */
};

static const struct fp_format fmt_single = { 23, 8 }, fmt_double = { 52, 11 };

/* Rounds x to an integral value in mode (0 nearest-even, 1 down, 2 up,
 * 3 toward zero), SDM ROUNDPD: an SNaN becomes quiet with IE, QNaN and
 * infinities pass, inexact results raise PE (the caller may suppress it),
 * DAZ turns a denormal into a zero of its sign. */
static uint64_t round_integral(uint64_t x, const struct fp_format *f, unsigned mode, bool daz,
                               unsigned *raised)
{
    const uint64_t emax = (1ull << f->ebits) - 1, bias = emax >> 1;
    const uint64_t sign = x & (1ull << (f->mbits + f->ebits));
    const uint64_t exp = (x >> f->mbits) & emax;
    const uint64_t frac = x & ((1ull << f->mbits) - 1);
    const uint64_t quiet = 1ull << (f->mbits - 1);

    if (exp == emax) {
        if (frac && !(frac & quiet)) {
            *raised |= X86_MXCSR_IE;
            return x | quiet;
        }
        return x;
    }
    if (exp == 0 && frac == 0)
        return x;
    if (exp == 0 && daz)
        return sign;
    if (exp >= bias + f->mbits)
        return x; /* no fraction bits left */
    if (exp < bias) {
        /* 0 < |x| < 1: the result is 0 or 1 with x's sign. */
        bool one;
        switch (mode) {
        case 0: one = exp == bias - 1 && frac != 0; break; /* above one half */
        case 1: one = sign != 0; break;
        case 2: one = sign == 0; break;
        default: one = false; break;
        }
        *raised |= X86_MXCSR_PE;
        return sign | (one ? bias << f->mbits : 0);
    }
    unsigned drop = (unsigned)(bias + f->mbits - exp); /* 1 .. mbits */
    uint64_t mask = (1ull << drop) - 1;
    uint64_t rem = x & mask, t = x & ~mask;
    if (!rem)
        return x;
    *raised |= X86_MXCSR_PE;
    bool inc;
    switch (mode) {
    case 0: {
        uint64_t half = 1ull << (drop - 1);
        inc = rem > half || (rem == half && ((t >> drop) & 1));
        break;
    }
    case 1: inc = sign != 0; break;
    case 2: inc = sign == 0; break;
    default: inc = false; break;
    }
    /* Adding one unit at the integer position carries into the exponent
     * when the fraction overflows: the encoding stays right. */
    return inc ? t + (1ull << drop) : t;
}

/* ROUNDPS/ROUNDPD/ROUNDSS/ROUNDSD: imm8[1:0] rounding mode, imm8[2] use
 * MXCSR.RC instead, imm8[3] suppress the precision exception. */
int x86_exec_sse_round(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_vec d, s;
    int rc = x86_sse_operands(cpu, in, &d, &s);
    if (unlikely(rc))
        return rc;
    uint32_t mxcsr = cpu->s.fx.mxcsr;
    unsigned imm = (unsigned)in->imm;
    unsigned mode = (imm & 4) ? (mxcsr & X86_MXCSR_RC) >> 13 : imm & 3;
    bool daz = mxcsr & X86_MXCSR_DAZ;
    unsigned raised = 0;
    switch (in->op) {
    case X86_OP_ROUNDPS:
        for (unsigned i = 0; i < 4; i++)
            d.d[i] = (uint32_t)round_integral(s.d[i], &fmt_single, mode, daz, &raised);
        break;
    case X86_OP_ROUNDSS:
        d.d[0] = (uint32_t)round_integral(s.d[0], &fmt_single, mode, daz, &raised);
        break;
    case X86_OP_ROUNDPD:
        for (unsigned i = 0; i < 2; i++)
            d.q[i] = round_integral(s.q[i], &fmt_double, mode, daz, &raised);
        break;
    default: /* ROUNDSD */
        d.q[0] = round_integral(s.q[0], &fmt_double, mode, daz, &raised);
        break;
    }
    if (imm & 8)
        raised &= ~(unsigned)X86_MXCSR_PE;
    return x86_sse_fp_result(cpu, in, raised, &d, X86_SSE_LANES_NONE);
}

/* ---- SSE4.1 DPPS/DPPD ------------------------------------------------------- */

/* The dot products, as the SDM's pseudo-code orders them: products of the
 * lanes imm8[7:4] selects (+0.0 for the others), the sums pairwise, the
 * total broadcast to the lanes imm8[3:0] selects (+0.0 elsewhere). The
 * hardware runs the steps as separate operations: each one's flags are
 * recorded, and the first step with an unmasked exception faults. */
int x86_exec_sse_dp(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_vec d, s, r = { 0 };
    int rc = x86_sse_operands(cpu, in, &d, &s);
    if (unlikely(rc))
        return rc;
    unsigned imm = (unsigned)in->imm;
    struct x86_sse_host mul = { 0 }, sum = { 0 };
    if (in->op == X86_OP_DPPS) {
        for (unsigned i = 0; i < 4; i++) {
            if (imm & (0x10u << i))
                mul.d.d[i] = d.d[i], mul.s.d[i] = s.d[i];
        }
        rc = fp_step(cpu, X86_SSE_STUB_MULPS, &mul, X86_SSE_LANES_PS);
        if (unlikely(rc))
            return rc;
        sum.d.d[0] = mul.d.d[0], sum.s.d[0] = mul.d.d[1];
        sum.d.d[1] = mul.d.d[2], sum.s.d[1] = mul.d.d[3];
        rc = fp_step(cpu, X86_SSE_STUB_ADDPS, &sum, X86_SSE_LANES_PS2);
        if (unlikely(rc))
            return rc;
        sum.s.d[0] = sum.d.d[1];
        rc = fp_step(cpu, X86_SSE_STUB_ADDSS, &sum, X86_SSE_LANES_SS);
        if (unlikely(rc))
            return rc;
        for (unsigned i = 0; i < 4; i++)
            r.d[i] = (imm & (1u << i)) ? sum.d.d[0] : 0;
    } else {
        for (unsigned i = 0; i < 2; i++) {
            if (imm & (0x10u << i))
                mul.d.q[i] = d.q[i], mul.s.q[i] = s.q[i];
        }
        rc = fp_step(cpu, X86_SSE_STUB_MULPD, &mul, X86_SSE_LANES_PD);
        if (unlikely(rc))
            return rc;
        sum.d.q[0] = mul.d.q[0], sum.s.q[0] = mul.d.q[1];
        rc = fp_step(cpu, X86_SSE_STUB_ADDSD, &sum, X86_SSE_LANES_SD);
        if (unlikely(rc))
            return rc;
        for (unsigned i = 0; i < 2; i++)
            r.q[i] = (imm & (1u << i)) ? sum.d.q[0] : 0;
    }
    x86_xmm_set(cpu, in->opnd[0].reg, &r);
    return X86_EXEC_OK;
}
