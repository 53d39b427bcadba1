/* Differential tests: BT BTS BTR BTC (incl. bit-string addressing with a
 * register offset), BSF BSR TZCNT LZCNT POPCNT BSWAP CRC32 against the host.
 *
 * Undefined flags (SDM Vol. 2; the AMD APM also leaves ZF undefined for BTx):
 *   BT BTS BTR BTC:   OF SF ZF AF PF
 *   BSF BSR:          CF OF SF AF PF
 *   TZCNT LZCNT:      OF SF AF PF
 *   POPCNT, CRC32, BSWAP: none (CRC32 and BSWAP change no flag)
 * BSWAP with a 16-bit operand is undefined and not tested. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 2000

#define BT_UNDEF (X86_FLAG_OF | X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF)
#define BS_UNDEF (X86_FLAG_CF | X86_FLAG_OF | X86_FLAG_SF | X86_FLAG_AF | X86_FLAG_PF)
#define CNT_UNDEF (X86_FLAG_OF | X86_FLAG_SF | X86_FLAG_AF | X86_FLAG_PF)

/* A register bit offset with a memory operand addresses a bit string: keep
 * it within +-2048 bits (256 bytes) so it stays in the arena. */
static void bt_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    if (f->rmreg >= 0 || f->greg < 0 || f->greg == f->base || f->greg == f->index)
        return;
    int64_t off = (int64_t)diff_rand_below(env, 4096) - 2048;
    unsigned r = (unsigned)f->greg;
    uint64_t m = ~0ull >> (64 - 8 * f->size);
    st->gpr[r] = (st->gpr[r] & ~m) | ((uint64_t)off & m);
}

/* Scans and counts: zero sources need to be common. */
static void scan_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    if (diff_rand_below(env, 4) == 0)
        diff_rm_set(env, f, st, 0);
}

#define RMB DIFF_RM_BOTH
static const struct diff_tmpl bits[] = {
    DIFF_TX("bt Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, BT_UNDEF, NULL, bt_setup, 0,
            0x0f, 0xa3),
    DIFF_TX("bts Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_LOCK | DIFF_ADDRSZ, BT_UNDEF, NULL,
            bt_setup, 0,
            0x0f, 0xab),
    DIFF_TX("btr Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_LOCK, BT_UNDEF, NULL, bt_setup, 0,
            0x0f, 0xb3),
    DIFF_TX("btc Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_LOCK, BT_UNDEF, NULL, bt_setup, 0,
            0x0f, 0xbb),
    DIFF_T("bt Ev,Ib", "", 4, DIFF_SV, DIFF_IMM_B, RMB, 0, BT_UNDEF, 0x0f, 0xba),
    DIFF_T("bts Ev,Ib", "", 5, DIFF_SV, DIFF_IMM_B, RMB, DIFF_LOCK, BT_UNDEF, 0x0f, 0xba),
    DIFF_T("btr Ev,Ib", "", 6, DIFF_SV, DIFF_IMM_B, RMB, DIFF_LOCK, BT_UNDEF, 0x0f, 0xba),
    DIFF_T("btc Ev,Ib", "", 7, DIFF_SV, DIFF_IMM_B, RMB, DIFF_LOCK, BT_UNDEF, 0x0f, 0xba),
    DIFF_TX("bsf Gv,Ev", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, BS_UNDEF, NULL, scan_setup, 0,
            0x0f,
            0xbc),
    DIFF_TX("bsr Gv,Ev", "", DIFF_G, DIFF_SV, 0, RMB, 0, BS_UNDEF, NULL, scan_setup, 0, 0x0f,
            0xbd),
    DIFF_TX("tzcnt Gv,Ev", "\xf3", DIFF_G, DIFF_SV, 0, RMB, 0, CNT_UNDEF, NULL, scan_setup, 0,
            0x0f, 0xbc),
    DIFF_TX("lzcnt Gv,Ev", "\xf3", DIFF_G, DIFF_SV, 0, RMB, 0, CNT_UNDEF, NULL, scan_setup, 0,
            0x0f, 0xbd),
    DIFF_TX("popcnt Gv,Ev", "\xf3", DIFF_G, DIFF_SV, 0, RMB, 0, 0, NULL, scan_setup, 0, 0x0f,
            0xb8),
    DIFF_T("bswap Zy", "", DIFF_NOMODRM, DIFF_S4 | DIFF_S8, 0, 0, DIFF_OPREG, 0, 0x0f, 0xc8),
    DIFF_T("crc32 Gd,Eb", "\xf2", DIFF_G, DIFF_S1, 0, RMB, 0, 0, 0x0f, 0x38, 0xf0),
    DIFF_T("crc32 Gy,Ev", "\xf2", DIFF_G, DIFF_SV, 0, RMB, 0, 0, 0x0f, 0x38, 0xf1),
};

static void test_bits(void **state)
{
    (void)state;
    diff_run_templates("bit ops", bits, sizeof(bits) / sizeof(bits[0]), NSTATES, 0xd1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
