/* Differential tests: PUSH POP (registers incl. rSP, memory incl. rSP-based,
 * immediates, FS/GS/CS/DS/ES/SS), PUSHF POPF, PUSHA POPA (32-bit), ENTER
 * LEAVE against the host CPU. Memory comparison covers the stack.
 *
 * Undefined flags: none. POPF at CPL 3 with IOPL 0 must leave IF and IOPL
 * alone; the values popped never set TF, AC or NT (they would trap or
 * change how this test process runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 2000

static unsigned stack_off(const struct diff_env *env, const struct diff_state *st)
{
    return (unsigned)(st->gpr[X86_RSP] - (uintptr_t)env->arena);
}

/* POPF: a random image at the top of the stack, without TF AC NT. */
static void popf_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    (void)f;
    uint64_t v = diff_rand(env) & ~(uint64_t)(X86_FLAG_TF | X86_FLAG_AC | X86_FLAG_NT);
    if (diff_rand(env) & 1)
        v &= 0x3fffff;
    memcpy(env->init + stack_off(env, st), &v, 8);
}

/* ENTER/LEAVE: rBP points into the stack area (above rSP). */
static void frame_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    uint64_t bp = st->gpr[X86_RSP] + 8 * diff_rand_below(env, 64);
    if (f->mode == DIFF_M32)
        bp = (uint32_t)bp | (st->gpr[X86_RBP] & 0xffffffff00000000ull);
    st->gpr[X86_RBP] = bp;
}

#define RMB DIFF_RM_BOTH
#define D64 DIFF_D64
#define O64 DIFF_ONLY64
#define O32 DIFF_ONLY32
#define NOM DIFF_NOMODRM

static const struct diff_tmpl stack64[] = {
    DIFF_T("push Zv", "", NOM, DIFF_S2 | DIFF_S8, 0, 0, DIFF_OPREG | D64 | O64, 0, 0x50),
    DIFF_T("pop Zv", "", NOM, DIFF_S2 | DIFF_S8, 0, 0, DIFF_OPREG | D64 | O64, 0, 0x58),
    DIFF_T("push Ib", "", NOM, DIFF_S2 | DIFF_S8, DIFF_IMM_B, 0, D64 | O64, 0, 0x6a),
    DIFF_T("push Iz", "", NOM, DIFF_S2 | DIFF_S8, DIFF_IMM_Z, 0, D64 | O64, 0, 0x68),
    DIFF_T("push Ev", "", 6, DIFF_S2 | DIFF_S8, 0, RMB, D64 | O64 | DIFF_ADDRSZ, 0, 0xff),
    DIFF_T("pop Ev", "", 0, DIFF_S2 | DIFF_S8, 0, RMB, D64 | O64 | DIFF_ADDRSZ, 0, 0x8f),
    DIFF_T("push fs", "", NOM, DIFF_S2 | DIFF_S8, 0, 0, D64 | O64, 0, 0x0f, 0xa0),
    DIFF_T("push gs", "", NOM, DIFF_S2 | DIFF_S8, 0, 0, D64 | O64, 0, 0x0f, 0xa8),
    DIFF_T("pushf", "", NOM, DIFF_S2 | DIFF_S8, 0, 0, D64 | O64, 0, 0x9c),
    DIFF_TX("popf", "", NOM, DIFF_S2 | DIFF_S8, 0, 0, D64 | O64, 0, NULL, popf_setup, 0, 0x9d),
    DIFF_TX("enter", "", NOM, DIFF_S8, DIFF_IMM_W, 0, D64 | O64, 0, NULL, frame_setup, 0, 0xc8),
    DIFF_TX("leave", "", NOM, DIFF_S2 | DIFF_S8, 0, 0, D64 | O64, 0, NULL, frame_setup, 0, 0xc9),

    DIFF_T("push Zv", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, DIFF_OPREG | O32, 0, 0x50),
    DIFF_T("pop Zv", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, DIFF_OPREG | O32, 0, 0x58),
    DIFF_T("push Ib", "", NOM, DIFF_S2 | DIFF_S4, DIFF_IMM_B, 0, O32, 0, 0x6a),
    DIFF_T("push Iz", "", NOM, DIFF_S2 | DIFF_S4, DIFF_IMM_Z, 0, O32, 0, 0x68),
    DIFF_T("push Ev", "", 6, DIFF_S2 | DIFF_S4, 0, RMB, O32 | DIFF_ADDRSZ, 0, 0xff),
    DIFF_T("pop Ev", "", 0, DIFF_S2 | DIFF_S4, 0, RMB, O32 | DIFF_ADDRSZ, 0, 0x8f),
    DIFF_T("push es", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, 0x06),
    DIFF_T("push cs", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, 0x0e),
    DIFF_T("push ss", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, 0x16),
    DIFF_T("push ds", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, 0x1e),
    DIFF_T("pusha", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, 0x60),
    DIFF_T("popa", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, 0x61),
    DIFF_T("pushf", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, 0x9c),
    DIFF_TX("popf", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, NULL, popf_setup, 0, 0x9d),
    DIFF_TX("enter", "", NOM, DIFF_S2 | DIFF_S4, DIFF_IMM_W, 0, O32, 0, NULL, frame_setup, 0,
            0xc8),
    DIFF_TX("leave", "", NOM, DIFF_S2 | DIFF_S4, 0, 0, O32, 0, NULL, frame_setup, 0, 0xc9),
};

/* ENTER's nesting level is its second immediate: append it to the forms
 * the templates built (levels 0, 1 and random up to 31, also >= 32). */
static void fix_enter_levels(struct diff_env *env, struct diff_form *forms, unsigned n)
{
    unsigned seen = 0;
    for (unsigned i = 0; i < n; i++) {
        struct diff_form *f = &forms[i];
        if (strncmp(f->name, "enter", 5) || f->bytes[f->len - 3] != 0xc8 || f->len >= 15)
            continue;
        static const uint8_t levels[] = { 0, 1, 2, 5, 31, 33 };
        /* mostly allocations that fit the stack area; every fourth puts the
         * final rSP in the guard page below the arena (a #PF natively too) */
        uint16_t alloc = (uint16_t)diff_rand_below(env, 512);
        if (seen++ % 4 == 3)
            alloc = DIFF_DATA_LEN + DIFF_STACK_LEN / 2 + 64;
        memcpy(&f->bytes[f->len - 2], &alloc, 2);
        f->bytes[f->len++] = levels[diff_rand_below(env, sizeof(levels))];
    }
}

/* Raw forms touching rSP itself. */
static const struct {
    const char *name;
    uint8_t mode;
    uint8_t len;
    uint8_t b[8];
} raw[] = {
    { "push rsp", DIFF_M64, 1, { 0x54 } },
    { "pop rsp", DIFF_M64, 1, { 0x5c } },
    { "push [rsp+8]", DIFF_M64, 4, { 0xff, 0x74, 0x24, 0x08 } },
    { "pop [rsp+8]", DIFF_M64, 4, { 0x8f, 0x44, 0x24, 0x08 } },
    { "pop [rsp-8]", DIFF_M64, 4, { 0x8f, 0x44, 0x24, 0xf8 } },
    { "push esp", DIFF_M32, 1, { 0x54 } },
    { "pop esp", DIFF_M32, 1, { 0x5c } },
    { "pop [esp+4]", DIFF_M32, 4, { 0x8f, 0x44, 0x24, 0x04 } },
    { "enter 16,3", DIFF_M64, 4, { 0xc8, 0x10, 0x00, 0x03 } },
    { "enter 8,1 (32)", DIFF_M32, 4, { 0xc8, 0x08, 0x00, 0x01 } },
};

static void test_stack(void **state)
{
    (void)state;
    enum { MAX = 512 };
    struct diff_env env;
    assert_int_equal(diff_env_init(&env, 0xf1), 0);
    struct diff_form *forms = calloc(MAX, sizeof(*forms));
    assert_non_null(forms);
    static const char *const names[] = { "stack 64-bit", "stack 32-bit", "stack 16-bit address" };
    for (int m = DIFF_M64; m <= DIFF_M16A; m++) {
        enum diff_mode mode = (enum diff_mode)m;
        unsigned n = 0;
        for (unsigned rep = 0; rep < 4; rep++) /* more random ENTER variants */
            for (unsigned i = 0; i < sizeof(stack64) / sizeof(stack64[0]); i++)
                if (rep == 0 || !strncmp(stack64[i].name, "enter", 5))
                    diff_build(&env, &stack64[i], mode, forms, &n, MAX);
        fix_enter_levels(&env, forms, n);
        for (unsigned i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
            if (raw[i].mode != mode)
                continue;
            diff_form_raw(&forms[n], raw[i].name, mode, 0, raw[i].b, raw[i].len);
            forms[n++].setup = frame_setup;
        }
        diff_run_all(&env, names[m], forms, n, NSTATES);
    }
    free(forms);
    diff_env_fini(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
