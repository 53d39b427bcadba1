/* Differential tests: MUL, IMUL (one, two, three operands), DIV, IDIV
 * against the host CPU, including #DE (SIGFPE natively).
 *
 * Undefined flags (SDM Vol. 2): MUL/IMUL: SF ZF AF PF; DIV/IDIV: all six. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 2000

#define MUL_UNDEF (X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF)
#define DIV_UNDEF (MUL_UNDEF | X86_FLAG_CF | X86_FLAG_OF)

static uint64_t mask(unsigned size)
{
    return ~0ull >> (64 - 8 * size);
}

/* Half of the states get a dividend whose quotient fits (no #DE): the high
 * half below the divisor (DIV) or the sign extension of the low half
 * (IDIV); the other half stay random (mostly #DE). */
static void div_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    /* Leave registers that address the memory operand alone. */
    bool addressing = f->base == X86_RAX || f->base == X86_RDX || f->index == X86_RAX ||
                      f->index == X86_RDX;
    if ((diff_rand(env) & 1) || addressing)
        return;
    bool sign = f->arg;
    unsigned size = f->size;
    uint64_t d = diff_rm_get(env, f, st);
    uint64_t *hi = size == 1 ? NULL : &st->gpr[X86_RDX];
    uint64_t lo = st->gpr[X86_RAX] & mask(size);
    uint64_t h;
    if (sign)
        h = (lo & (1ull << (8 * size - 1))) ? mask(size) : 0;
    else
        h = d ? diff_rand(env) % d : 0;
    if (size == 1)
        st->gpr[X86_RAX] = (st->gpr[X86_RAX] & ~0xff00ull) | (h << 8);
    else
        *hi = (*hi & ~mask(size)) | h;
}

#define RMB DIFF_RM_BOTH
static const struct diff_tmpl muldiv[] = {
    DIFF_T("mul Eb", "", 4, DIFF_S1, 0, RMB, 0, MUL_UNDEF, 0xf6),
    DIFF_T("mul Ev", "", 4, DIFF_SV, 0, RMB, 0, MUL_UNDEF, 0xf7),
    DIFF_T("imul Eb", "", 5, DIFF_S1, 0, RMB, 0, MUL_UNDEF, 0xf6),
    DIFF_T("imul Ev", "", 5, DIFF_SV, 0, RMB, 0, MUL_UNDEF, 0xf7),
    DIFF_T("imul Gv,Ev", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, MUL_UNDEF, 0x0f, 0xaf),
    DIFF_T("imul Gv,Ev,Iz", "", DIFF_G, DIFF_SV, DIFF_IMM_Z, RMB, 0, MUL_UNDEF, 0x69),
    DIFF_T("imul Gv,Ev,Ib", "", DIFF_G, DIFF_SV, DIFF_IMM_B, RMB, 0, MUL_UNDEF, 0x6b),
    DIFF_TX("div Eb", "", 6, DIFF_S1, 0, RMB, 0, DIV_UNDEF, NULL, div_setup, 0, 0xf6),
    DIFF_TX("div Ev", "", 6, DIFF_SV, 0, RMB, DIFF_ADDRSZ, DIV_UNDEF, NULL, div_setup, 0, 0xf7),
    DIFF_TX("idiv Eb", "", 7, DIFF_S1, 0, RMB, 0, DIV_UNDEF, NULL, div_setup, 1, 0xf6),
    DIFF_TX("idiv Ev", "", 7, DIFF_SV, 0, RMB, 0, DIV_UNDEF, NULL, div_setup, 1, 0xf7),
};

static void test_muldiv(void **state)
{
    (void)state;
    diff_run_templates("mul/imul/div/idiv", muldiv, sizeof(muldiv) / sizeof(muldiv[0]), NSTATES,
                       0xc1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_muldiv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
