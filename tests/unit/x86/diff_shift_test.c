/* Differential tests: shifts and rotates against the host CPU.
 *
 * Undefined flags (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD",
 * "SHRD"), with c = the count masked to 5 bits (6 for 64-bit operands):
 *   c = 0:                    nothing changes, nothing undefined
 *   SHL SHR SAR, c > 0:       AF; OF unless c = 1; CF of SHL/SHR if c >= width
 *   ROL ROR RCL RCR, c > 0:   OF unless c = 1
 *   SHLD SHRD, c > 0:         AF; OF unless c = 1; for 16-bit operands and
 *                             c > 16 the result and all flags (not tested:
 *                             the setup keeps such counts out) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 2000

enum { K_ROL, K_ROR, K_RCL, K_RCR, K_SHL, K_SHR, K_SAL, K_SAR, K_SHLD, K_SHRD };
enum { C_ONE = 0x100, C_CL = 0x200, C_IMM = 0x400 };

static unsigned raw_count(const struct diff_form *f, const struct diff_state *st)
{
    if (f->arg & C_ONE)
        return 1;
    if (f->arg & C_CL)
        return st->gpr[X86_RCX] & 0xff;
    return (unsigned)f->imm & 0xff;
}

static uint32_t shift_undef(const struct diff_form *f, const struct diff_state *st)
{
    unsigned kind = f->arg & 0xff, bits = 8 * f->size;
    unsigned c = raw_count(f, st) & (f->size == 8 ? 63 : 31);
    uint32_t u = 0;
    if (c == 0)
        return 0;
    if (c != 1)
        u |= X86_FLAG_OF;
    if (kind >= K_SHL)
        u |= X86_FLAG_AF;
    if ((kind == K_SHL || kind == K_SHR || kind == K_SAL) && c >= bits)
        u |= X86_FLAG_CF;
    return u;
}

/* Bias CL towards the interesting counts; for 16-bit SHLD/SHRD keep the
 * masked count within the operand width (larger ones are undefined). */
static void shift_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    unsigned kind = f->arg & 0xff;
    if ((f->arg & C_CL) && (diff_rand(env) & 1)) {
        static const uint8_t counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65 };
        st->gpr[X86_RCX] = (st->gpr[X86_RCX] & ~0xffull) | counts[diff_rand_below(env, 15)];
    }
    if ((kind == K_SHLD || kind == K_SHRD) && f->size == 2 && (f->arg & C_CL))
        st->gpr[X86_RCX] = (st->gpr[X86_RCX] & ~0xffull) | diff_rand_below(env, 17);
}

#define RMB DIFF_RM_BOTH
#define SH(name, digit, kind)                                                                    \
    DIFF_TX(name " Eb,1", "", digit, DIFF_S1, 0, RMB, 0, 0, shift_undef, shift_setup,            \
            (kind) | C_ONE, 0xd0),                                                               \
    DIFF_TX(name " Ev,1", "", digit, DIFF_SV, 0, RMB, 0, 0, shift_undef, shift_setup,            \
            (kind) | C_ONE, 0xd1),                                                               \
    DIFF_TX(name " Eb,CL", "", digit, DIFF_S1, 0, RMB, 0, 0, shift_undef, shift_setup,           \
            (kind) | C_CL, 0xd2),                                                                \
    DIFF_TX(name " Ev,CL", "", digit, DIFF_SV, 0, RMB, DIFF_ADDRSZ, 0, shift_undef, shift_setup, \
            (kind) | C_CL, 0xd3),                                                                \
    DIFF_TX(name " Eb,Ib", "", digit, DIFF_S1, DIFF_IMM_COUNT, RMB, 0, 0, shift_undef,           \
            shift_setup, (kind) | C_IMM, 0xc0),                                                  \
    DIFF_TX(name " Ev,Ib", "", digit, DIFF_SV, DIFF_IMM_COUNT, RMB, 0, 0, shift_undef,           \
            shift_setup, (kind) | C_IMM, 0xc1),                                                  \
    DIFF_TX(name " Ev,Ib'", "", digit, DIFF_SV, DIFF_IMM_COUNT, RMB, 0, 0, shift_undef,          \
            shift_setup, (kind) | C_IMM, 0xc1)

static const struct diff_tmpl shifts[] = {
    SH("rol", 0, K_ROL), SH("ror", 1, K_ROR), SH("rcl", 2, K_RCL), SH("rcr", 3, K_RCR),
    SH("shl", 4, K_SHL), SH("shr", 5, K_SHR), SH("sal", 6, K_SAL), SH("sar", 7, K_SAR),
};

/* SHLD/SHRD with an immediate count: 16-bit forms get counts <= 16 only
 * (the template's random immediate is re-drawn by the harness per form, so
 * keep a separate 16-bit row with the count in the argument). */
static const struct diff_tmpl doubles[] = {
    DIFF_TX("shld Ev,Gv,Ib", "", DIFF_G, DIFF_S4 | DIFF_S8, DIFF_IMM_COUNT, RMB, 0, 0,
            shift_undef, shift_setup, K_SHLD | C_IMM, 0x0f, 0xa4),
    DIFF_TX("shld Ev,Gv,CL", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, 0, shift_undef, shift_setup,
            K_SHLD | C_CL, 0x0f, 0xa5),
    DIFF_TX("shrd Ev,Gv,Ib", "", DIFF_G, DIFF_S4 | DIFF_S8, DIFF_IMM_COUNT, RMB, 0, 0,
            shift_undef, shift_setup, K_SHRD | C_IMM, 0x0f, 0xac),
    DIFF_TX("shrd Ev,Gv,CL", "", DIFF_G, DIFF_SV, 0, RMB, 0, 0, shift_undef, shift_setup,
            K_SHRD | C_CL, 0x0f, 0xad),
};

static void test_shifts(void **state)
{
    (void)state;
    diff_run_templates("shift/rotate", shifts, sizeof(shifts) / sizeof(shifts[0]), NSTATES, 0xb1);
}

static void test_double_shifts(void **state)
{
    (void)state;
    diff_run_templates("shld/shrd", doubles, sizeof(doubles) / sizeof(doubles[0]), NSTATES, 0xb2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shifts),
        cmocka_unit_test(test_double_shifts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
