/* Differential tests: integer arithmetic and logic against the host CPU.
 *
 * Undefined flags (SDM Vol. 2, "Flags Affected"):
 *   ADD OR ADC SBB AND SUB XOR CMP NEG INC DEC ADCX ADOX: none
 *   AND OR XOR TEST: AF
 *   NOT: none (no flag changes) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 2000

#define AF X86_FLAG_AF
#define AS DIFF_ADDRSZ

/* The eight classic ALU operations in opcode order: op*8 + 0..5, 80-83 /op. */
#define ALU(op, name, undef, lock)                                                         \
    DIFF_T(name " Eb,Gb", "", DIFF_G, DIFF_S1, 0, DIFF_RM_BOTH, lock | AS, undef, (op) * 8 + 0), \
    DIFF_T(name " Ev,Gv", "", DIFF_G, DIFF_SV, 0, DIFF_RM_BOTH, lock | AS, undef, (op) * 8 + 1), \
    DIFF_T(name " Gb,Eb", "", DIFF_G, DIFF_S1, 0, DIFF_RM_BOTH, AS, undef, (op) * 8 + 2),        \
    DIFF_T(name " Gv,Ev", "", DIFF_G, DIFF_SV, 0, DIFF_RM_BOTH, AS, undef, (op) * 8 + 3),        \
    DIFF_T(name " AL,Ib", "", DIFF_NOMODRM, DIFF_S1, DIFF_IMM_B, 0, 0, undef, (op) * 8 + 4),  \
    DIFF_T(name " rAX,Iz", "", DIFF_NOMODRM, DIFF_SV, DIFF_IMM_Z, 0, 0, undef, (op) * 8 + 5), \
    DIFF_T(name " Eb,Ib", "", (op), DIFF_S1, DIFF_IMM_B, DIFF_RM_BOTH, lock, undef, 0x80),    \
    DIFF_T(name " Ev,Iz", "", (op), DIFF_SV, DIFF_IMM_Z, DIFF_RM_BOTH, lock, undef, 0x81),    \
    DIFF_T(name " Ev,Ib", "", (op), DIFF_SV, DIFF_IMM_B, DIFF_RM_BOTH, lock, undef, 0x83)

static const struct diff_tmpl alu[] = {
    ALU(0, "add", 0, DIFF_LOCK),  ALU(1, "or", AF, DIFF_LOCK),  ALU(2, "adc", 0, DIFF_LOCK),
    ALU(3, "sbb", 0, DIFF_LOCK),  ALU(4, "and", AF, DIFF_LOCK), ALU(5, "sub", 0, DIFF_LOCK),
    ALU(6, "xor", AF, DIFF_LOCK), ALU(7, "cmp", 0, 0),
};

#define RMB DIFF_RM_BOTH
static const struct diff_tmpl unary[] = {
    DIFF_T("test Eb,Gb", "", DIFF_G, DIFF_S1, 0, RMB, 0, AF, 0x84),
    DIFF_T("test Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, 0, AF, 0x85),
    DIFF_T("test AL,Ib", "", DIFF_NOMODRM, DIFF_S1, DIFF_IMM_B, 0, 0, AF, 0xa8),
    DIFF_T("test rAX,Iz", "", DIFF_NOMODRM, DIFF_SV, DIFF_IMM_Z, 0, 0, AF, 0xa9),
    DIFF_T("test Eb,Ib", "", 0, DIFF_S1, DIFF_IMM_B, RMB, 0, AF, 0xf6),
    DIFF_T("test Ev,Iz", "", 0, DIFF_SV, DIFF_IMM_Z, RMB, AS, AF, 0xf7),
    DIFF_T("not Eb", "", 2, DIFF_S1, 0, RMB, DIFF_LOCK, 0, 0xf6),
    DIFF_T("not Ev", "", 2, DIFF_SV, 0, RMB, DIFF_LOCK | AS, 0, 0xf7),
    DIFF_T("neg Eb", "", 3, DIFF_S1, 0, RMB, DIFF_LOCK, 0, 0xf6),
    DIFF_T("neg Ev", "", 3, DIFF_SV, 0, RMB, DIFF_LOCK, 0, 0xf7),
    DIFF_T("inc Eb", "", 0, DIFF_S1, 0, RMB, DIFF_LOCK, 0, 0xfe),
    DIFF_T("inc Ev", "", 0, DIFF_SV, 0, RMB, DIFF_LOCK | AS, 0, 0xff),
    DIFF_T("dec Eb", "", 1, DIFF_S1, 0, RMB, DIFF_LOCK, 0, 0xfe),
    DIFF_T("dec Ev", "", 1, DIFF_SV, 0, RMB, DIFF_LOCK, 0, 0xff),
    DIFF_T("inc Zv", "", DIFF_NOMODRM, DIFF_S2 | DIFF_S4, 0, 0, DIFF_OPREG | DIFF_ONLY32, 0, 0x40),
    DIFF_T("dec Zv", "", DIFF_NOMODRM, DIFF_S2 | DIFF_S4, 0, 0, DIFF_OPREG | DIFF_ONLY32, 0, 0x48),
};

static const struct diff_tmpl adx[] = {
    DIFF_T("adcx Gy,Ey", "\x66", DIFF_G, DIFF_S4 | DIFF_S8, 0, RMB, 0, 0, 0x0f, 0x38, 0xf6),
    DIFF_T("adox Gy,Ey", "\xf3", DIFF_G, DIFF_S4 | DIFF_S8, 0, RMB, 0, 0, 0x0f, 0x38, 0xf6),
};

static void test_alu(void **state)
{
    (void)state;
    diff_run_templates("alu", alu, sizeof(alu) / sizeof(alu[0]), NSTATES, 0xa1);
}

static void test_unary(void **state)
{
    (void)state;
    diff_run_templates("test/not/neg/inc/dec", unary, sizeof(unary) / sizeof(unary[0]), NSTATES,
                       0xa2);
}

static void test_adx(void **state)
{
    (void)state;
    if (!diff_host_has(7, 1, 19))
        skip();
    diff_run_templates("adcx/adox", adx, sizeof(adx) / sizeof(adx[0]), NSTATES, 0xa3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_adx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
