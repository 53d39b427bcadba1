/* Differential tests: near control transfers against the host CPU: JMP
 * (rel8, rel32, r/m), Jcc (rel8, rel32), CALL (rel32, r/m), RET, RET imm16,
 * JCXZ/JECXZ/JRCXZ, LOOP LOOPE LOOPNE (also with a 67 prefix).
 *
 * Targets are landing pads the harness places at next-RIP + 16k, so the
 * final RIP compared is the branch outcome. 66-prefixed near branches are
 * not tested: Intel ignores the prefix in 64-bit mode, AMD does not, and
 * the emulator follows Intel. Undefined flags: none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 2000

/* A random landing address (a pad exists there). */
static uint64_t landing(struct diff_env *env)
{
    for (;;) {
        uint64_t a = env->landing[diff_rand_below(env, DIFF_NLAND)];
        if (a)
            return a;
    }
}

/* Indirect JMP/CALL: the r/m operand holds a landing address. */
static void indirect_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    diff_rm_set(env, f, st, landing(env));
}

/* RET: the return address on the stack is a landing address. */
static void ret_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    uint64_t a = landing(env);
    unsigned off = (unsigned)(st->gpr[X86_RSP] - (uintptr_t)env->arena);
    memcpy(env->init + off, &a, f->mode == DIFF_M64 ? 8 : 4);
}

/* LOOP/JrCXZ: counts of 0, 1 and 2 are the interesting ones. */
static void count_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    (void)f;
    if (diff_rand(env) & 1) {
        uint64_t hi = st->gpr[X86_RCX] & ~0xffffull;
        st->gpr[X86_RCX] = hi | diff_rand_below(env, 3);
        if (diff_rand(env) & 1)
            st->gpr[X86_RCX] &= 0xffffffffull;
    }
}

/* A relative branch: opcode bytes + displacement to pad k. */
static void add_rel(struct diff_form *forms, unsigned *n, const char *name, enum diff_mode mode,
                    const uint8_t *op, unsigned nop, unsigned dsize, int k, diff_setup_fn setup)
{
    uint8_t b[16];
    memcpy(b, op, nop);
    int32_t disp = 16 * k;
    memcpy(b + nop, &disp, dsize);
    char label[64];
    snprintf(label, sizeof(label), "%s %+d", name, disp);
    diff_form_raw(&forms[*n], label, mode, 0, b, nop + dsize);
    forms[(*n)++].setup = setup;
}

#define RMB DIFF_RM_BOTH
static const struct diff_tmpl indirect[] = {
    DIFF_TX("jmp Ev", "", 4, DIFF_S8, 0, RMB, DIFF_D64 | DIFF_ONLY64, 0, NULL, indirect_setup, 0,
            0xff),
    DIFF_TX("call Ev", "", 2, DIFF_S8, 0, RMB, DIFF_D64 | DIFF_ONLY64, 0, NULL, indirect_setup,
            0, 0xff),
    DIFF_TX("jmp Ev", "", 4, DIFF_S4, 0, RMB, DIFF_ONLY32, 0, NULL, indirect_setup, 0, 0xff),
    DIFF_TX("call Ev", "", 2, DIFF_S4, 0, RMB, DIFF_ONLY32, 0, NULL, indirect_setup, 0, 0xff),
    DIFF_TX("ret", "", DIFF_NOMODRM, DIFF_S8, 0, 0, DIFF_D64 | DIFF_ONLY64, 0, NULL, ret_setup, 0,
            0xc3),
    DIFF_TX("ret Iw", "", DIFF_NOMODRM, DIFF_S8, DIFF_IMM_W, 0, DIFF_D64 | DIFF_ONLY64, 0, NULL,
            ret_setup, 0, 0xc2),
    DIFF_TX("ret", "", DIFF_NOMODRM, DIFF_S4, 0, 0, DIFF_ONLY32, 0, NULL, ret_setup, 0, 0xc3),
    DIFF_TX("ret Iw", "", DIFF_NOMODRM, DIFF_S4, DIFF_IMM_W, 0, DIFF_ONLY32, 0, NULL, ret_setup, 0,
            0xc2),
};

static unsigned build(struct diff_env *env, struct diff_form *forms, unsigned max,
                      enum diff_mode mode)
{
    unsigned n = 0;
    for (int k = -3; k <= 3; k++) {
        uint8_t op[3];
        for (unsigned cc = 0; cc < 16; cc++) {
            op[0] = (uint8_t)(0x70 + cc);
            add_rel(forms, &n, "jcc rel8", mode, op, 1, 1, k, NULL);
            op[0] = 0x0f;
            op[1] = (uint8_t)(0x80 + cc);
            add_rel(forms, &n, "jcc rel32", mode, op, 2, 4, k, NULL);
        }
        op[0] = 0xeb;
        add_rel(forms, &n, "jmp rel8", mode, op, 1, 1, k, NULL);
        op[0] = 0xe9;
        add_rel(forms, &n, "jmp rel32", mode, op, 1, 4, k, NULL);
        op[0] = 0xe8;
        add_rel(forms, &n, "call rel32", mode, op, 1, 4, k, NULL);
        for (uint8_t o = 0xe0; o <= 0xe3; o++) {
            static const char *const names[] = { "loopne", "loope", "loop", "jrcxz" };
            op[0] = o;
            add_rel(forms, &n, names[o - 0xe0], mode, op, 1, 1, k, count_setup);
            op[0] = 0x67; /* the other address size: ECX in 64-bit mode, CX in 32-bit */
            op[1] = o;
            add_rel(forms, &n, names[o - 0xe0], mode, op, 2, 1, k, count_setup);
        }
    }
    for (unsigned rep = 0; rep < 4; rep++)
        for (unsigned i = 0; i < sizeof(indirect) / sizeof(indirect[0]); i++)
            diff_build(env, &indirect[i], mode, forms, &n, max);
    assert_true(n <= max);
    return n;
}

static void test_branches(void **state)
{
    (void)state;
    enum { MAX = 1024 };
    struct diff_env env;
    assert_int_equal(diff_env_init(&env, 0x101), 0);
    struct diff_form *forms = calloc(MAX, sizeof(*forms));
    assert_non_null(forms);
    unsigned n = build(&env, forms, MAX, DIFF_M64);
    diff_run_all(&env, "branches 64-bit", forms, n, NSTATES);
    n = build(&env, forms, MAX, DIFF_M32);
    diff_run_all(&env, "branches 32-bit", forms, n, NSTATES);
    free(forms);
    diff_env_fini(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_branches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
