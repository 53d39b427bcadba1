/* Differential tests: decimal arithmetic (legacy modes only, run in
 * compatibility mode) against the host CPU: DAA DAS AAA AAS AAM AAD
 * (incl. AAM 0 -> #DE).
 *
 * Undefined flags (SDM Vol. 2): DAA DAS: OF; AAA AAS: OF SF ZF PF;
 * AAM AAD: OF AF CF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 4000

#define DA_UNDEF X86_FLAG_OF
#define AA_UNDEF (X86_FLAG_OF | X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_PF)
#define AM_UNDEF (X86_FLAG_OF | X86_FLAG_AF | X86_FLAG_CF)

/* AL/AH: packed or unpacked BCD digits most of the time, any byte else. */
static void bcd_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    (void)f;
    if (diff_rand(env) & 1) {
        uint64_t al = diff_rand_below(env, 10) * 16 + diff_rand_below(env, 16);
        uint64_t ah = diff_rand_below(env, 10);
        st->gpr[X86_RAX] = (st->gpr[X86_RAX] & ~0xffffull) | (ah << 8) | al;
    }
}

#define NOM DIFF_NOMODRM
#define O32 DIFF_ONLY32
static const struct diff_tmpl bcd[] = {
    DIFF_TX("daa", "", NOM, DIFF_S1, 0, 0, O32, DA_UNDEF, NULL, bcd_setup, 0, 0x27),
    DIFF_TX("das", "", NOM, DIFF_S1, 0, 0, O32, DA_UNDEF, NULL, bcd_setup, 0, 0x2f),
    DIFF_TX("aaa", "", NOM, DIFF_S1, 0, 0, O32, AA_UNDEF, NULL, bcd_setup, 0, 0x37),
    DIFF_TX("aas", "", NOM, DIFF_S1, 0, 0, O32, AA_UNDEF, NULL, bcd_setup, 0, 0x3f),
    DIFF_TX("aam", "", NOM, DIFF_S1, 0, 0, O32, AM_UNDEF, NULL, bcd_setup, 0, 0xd4, 10),
    DIFF_TX("aad", "", NOM, DIFF_S1, 0, 0, O32, AM_UNDEF, NULL, bcd_setup, 0, 0xd5, 10),
    DIFF_TX("aam Ib", "", NOM, DIFF_S1, DIFF_IMM_B, 0, O32, AM_UNDEF, NULL, bcd_setup, 0, 0xd4),
    DIFF_TX("aam Ib", "", NOM, DIFF_S1, DIFF_IMM_B, 0, O32, AM_UNDEF, NULL, bcd_setup, 0, 0xd4),
    DIFF_TX("aad Ib", "", NOM, DIFF_S1, DIFF_IMM_B, 0, O32, AM_UNDEF, NULL, bcd_setup, 0, 0xd5),
    DIFF_TX("aam 0", "", NOM, DIFF_S1, 0, 0, O32, AM_UNDEF, NULL, bcd_setup, 0, 0xd4, 0),
};

static void test_bcd(void **state)
{
    (void)state;
    diff_run_templates("bcd", bcd, sizeof(bcd) / sizeof(bcd[0]), NSTATES, 0x121);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bcd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
