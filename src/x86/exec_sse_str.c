/* SSE4.2 packed string compares (see exec_sse_str.h). */
#include "x86/exec_sse_str.h"

#include "x86/exec_opnd.h"
#include "x86/exec_sse_opnd.h"

/* One operand as elements: n of them (16 bytes or 8 words), signed or not. */
struct str_operand {
    int32_t e[16];
    unsigned len; /* valid elements */
};

static void str_elements(const x86_vec *v, unsigned fmt, struct str_operand *o)
{
    bool words = fmt & 1, sign = fmt & 2;
    unsigned n = words ? 8 : 16;
    for (unsigned i = 0; i < n; i++) {
        if (words)
            o->e[i] = sign ? v->sw[i] : v->w[i];
        else
            o->e[i] = sign ? v->sb[i] : v->b[i];
    }
}

/* Implicit length: up to the first zero element. */
static unsigned implicit_len(const struct str_operand *o, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (o->e[i] == 0)
            return i;
    }
    return n;
}

/* Explicit length: |reg| saturated to n (SDM 4.1.5). */
static unsigned explicit_len(uint64_t reg, bool w, unsigned n)
{
    int64_t v = w ? (int64_t)reg : (int64_t)(int32_t)reg;
    uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    return a > n ? n : (unsigned)a;
}

/* BoolRes[i][j] for arg1 element i and arg2 element j, with the overrides
 * for invalid elements (SDM Table 4-7). */
static bool bool_res(const struct str_operand *a, const struct str_operand *b, unsigned agg,
                     unsigned i, unsigned j)
{
    bool va = i < a->len, vb = j < b->len;
    if (!va || !vb) {
        switch (agg) {
        case 2: return !va && !vb;  /* equal each */
        case 3: return !va;         /* equal ordered */
        default: return false;      /* equal any, ranges */
        }
    }
    if (agg == 1) /* ranges: arg1 holds [low, high] pairs */
        return (i & 1) ? b->e[j] <= a->e[i] : b->e[j] >= a->e[i];
    return a->e[i] == b->e[j];
}

/* IntRes1 (SDM 4.1.6, "Aggregation Operation"). */
static unsigned aggregate(const struct str_operand *a, const struct str_operand *b, unsigned agg,
                          unsigned n)
{
    unsigned res = 0;
    for (unsigned j = 0; j < n; j++) {
        bool r;
        switch (agg) {
        case 0: /* equal any */
            r = false;
            for (unsigned i = 0; i < n && !r; i++)
                r = bool_res(a, b, agg, i, j);
            break;
        case 1: /* ranges */
            r = false;
            for (unsigned i = 0; i + 1 < n && !r; i += 2)
                r = bool_res(a, b, agg, i, j) && bool_res(a, b, agg, i + 1, j);
            break;
        case 2: /* equal each */
            r = bool_res(a, b, agg, j, j);
            break;
        default: /* equal ordered */
            r = true;
            for (unsigned i = 0; i + j < n && r; i++)
                r = bool_res(a, b, agg, i, j + i);
            break;
        }
        res |= (unsigned)r << j;
    }
    return res;
}

int x86_exec_pcmpstr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    x86_vec v1, v2;
    x86_xmm_get(cpu, in->opnd[0].reg, &v1);
    rc = x86_simd_read(cpu, in, 1, &v2);
    if (unlikely(rc))
        return rc;
    unsigned imm = (unsigned)in->imm, fmt = imm & 3, agg = (imm >> 2) & 3;
    unsigned pol = (imm >> 4) & 3, n = (fmt & 1) ? 8 : 16;
    unsigned all = (1u << n) - 1;
    struct str_operand a, b;
    str_elements(&v1, fmt, &a);
    str_elements(&v2, fmt, &b);
    bool explicit = in->op == X86_OP_PCMPESTRI || in->op == X86_OP_PCMPESTRM;
    if (explicit) {
        bool w = in->flags & X86_PFX_REXW;
        a.len = explicit_len(cpu->s.gpr[X86_RAX], w, n);
        b.len = explicit_len(cpu->s.gpr[X86_RDX], w, n);
    } else {
        a.len = implicit_len(&a, n);
        b.len = implicit_len(&b, n);
    }

    unsigned res = aggregate(&a, &b, agg, n);
    switch (pol) {
    case 1: res ^= all; break;                               /* negative */
    case 3: res ^= (1u << b.len) - 1; break;                 /* masked negative */
    default: break;                                          /* positive */
    }

    if (in->op == X86_OP_PCMPESTRI || in->op == X86_OP_PCMPISTRI) {
        unsigned idx = n;
        if (res)
            idx = (imm & 0x40) ? 31 - (unsigned)__builtin_clz(res) : (unsigned)__builtin_ctz(res);
        x86_gpr_write(cpu, X86_RCX, 4, idx);
    } else {
        x86_vec m = { 0 };
        if (!(imm & 0x40))
            m.w[0] = (uint16_t)res;
        else if (n == 16)
            for (unsigned i = 0; i < 16; i++)
                m.b[i] = (res >> i) & 1 ? 0xff : 0;
        else
            for (unsigned i = 0; i < 8; i++)
                m.w[i] = (res >> i) & 1 ? 0xffff : 0;
        x86_xmm_set(cpu, 0, &m);
    }
    uint32_t fl = 0;
    if (res)
        fl |= X86_FLAG_CF;
    if (b.len < n)
        fl |= X86_FLAG_ZF;
    if (a.len < n)
        fl |= X86_FLAG_SF;
    if (res & 1)
        fl |= X86_FLAG_OF;
    x86_flags_update(cpu, X86_FLAGS_ARITH, fl);
    return X86_EXEC_OK;
}
