/* Differential tests: MOVS CMPS STOS LODS SCAS with no prefix, REP/REPE and
 * REPNE, both directions (DF), 64- and 32-bit address sizes, against the
 * host CPU; and the user-mode #GP of the privileged and I/O instructions
 * (IN OUT INS OUTS CLI STI HLT at CPL 3 with IOPL 0), #UD of UD2, and
 * CPUID leaf 0.
 *
 * Undefined flags: none. */
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

/* rSI/rDI point into the data area with room for the count in either
 * direction; rCX is small (sometimes 0); CMPS/SCAS get matching runs so
 * REPE/REPNE stop at varied places; MOVS sometimes overlaps. */
static void string_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    /* 16-bit address forms use offsets in the arena segment */
    uint64_t base = f->mode == DIFF_M16A ? 0 : (uintptr_t)env->arena;
    unsigned count = (unsigned)diff_rand_below(env, 48);
    if (diff_rand_below(env, 8) == 0)
        count = 0;
    unsigned si = 1024 + (unsigned)diff_rand_below(env, 1024);
    unsigned di = diff_rand_below(env, 4) == 0 ? si + (unsigned)diff_rand_below(env, 24) - 12
                                               : 4096 + (unsigned)diff_rand_below(env, 1024);
    diff_randomize(env, si - 512, 1024);
    diff_randomize(env, di - 512, 1024);
    /* Equal runs for CMPS (memory) and SCAS (the accumulator's pattern). */
    unsigned run = (unsigned)diff_rand_below(env, 64) * f->size;
    bool down = st->rflags & X86_FLAG_DF;
    if (f->arg == 1 && run) {
        if (down)
            memmove(env->init + di - run + f->size, env->init + si - run + f->size, run);
        else
            memmove(env->init + di, env->init + si, run);
    }
    if (f->arg == 2 && run) {
        uint64_t a = st->gpr[X86_RAX];
        for (unsigned i = 0; i < run; i += f->size)
            memcpy(env->init + (down ? di - i : di + i), &a, f->size);
    }
    /* bits above the address size must be ignored (and kept) */
    uint64_t hi = f->addrsize == 8 ? 0 : diff_rand(env) << (8 * f->addrsize);
    st->gpr[X86_RSI] = (base + si) | hi;
    st->gpr[X86_RDI] = (base + di) | hi;
    st->gpr[X86_RCX] = count | (f->addrsize == 8 ? 0 : diff_rand(env) << (8 * f->addrsize));
}

/* CPUID: leaf 0 (the same on every host CPU core). */
static void cpuid_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    (void)env;
    (void)f;
    st->gpr[X86_RAX] = 0;
    st->gpr[X86_RCX] = 0;
}

static void add_strings(struct diff_env *env, struct diff_form *forms, unsigned *n,
                        enum diff_mode mode)
{
    static const struct { const char *name; uint8_t op; uint8_t kind; } ops[] = {
        { "movs", 0xa4, 0 }, { "cmps", 0xa6, 1 }, { "stos", 0xaa, 0 },
        { "lods", 0xac, 0 }, { "scas", 0xae, 2 },
    };
    static const char *const reps[] = { "", "rep ", "repne " };
    for (unsigned o = 0; o < 5; o++) {
        for (unsigned size = 1; size <= (mode == DIFF_M64 ? 8u : 4u); size *= 2) {
            for (unsigned r = 0; r < 3; r++) {
                /* 64-bit: 64- and 32-bit addresses; DIFF_M16A: 16-bit ones */
                unsigned first = mode == DIFF_M16A ? 1 : 0;
                unsigned last = mode == DIFF_M32 ? 0 : 1;
                for (unsigned a32 = first; a32 <= last; a32++) {
                    uint8_t b[8];
                    unsigned len = 0;
                    if (r)
                        b[len++] = r == 1 ? 0xf3 : 0xf2;
                    if (a32)
                        b[len++] = 0x67;
                    if (size == 2)
                        b[len++] = 0x66;
                    if (size == 8)
                        b[len++] = 0x48;
                    b[len++] = (uint8_t)(ops[o].op + (size > 1));
                    char name[64];
                    snprintf(name, sizeof(name), "%s%s%u%s", reps[r], ops[o].name, size * 8,
                             !a32 ? "" : mode == DIFF_M16A ? " a16" : " a32");
                    struct diff_form *f = &forms[(*n)++];
                    diff_form_raw(f, name, mode, 0, b, len);
                    f->size = (uint8_t)size;
                    f->addrsize = mode == DIFF_M16A ? 2 : a32 ? 4 : (mode == DIFF_M64 ? 8 : 4);
                    f->arg = ops[o].kind;
                    f->setup = string_setup;
                }
            }
        }
    }
    (void)env;
}

/* Raw forms that must fault at CPL 3 (or run CPUID). */
static const struct {
    const char *name;
    uint8_t len;
    uint8_t b[4];
} priv[] = {
    { "in al,imm8", 2, { 0xe4, 0x80 } }, { "in eax,dx", 1, { 0xed } },
    { "out imm8,al", 2, { 0xe6, 0x80 } }, { "out dx,ax", 2, { 0x66, 0xef } },
    { "insb", 1, { 0x6c } },              { "rep outsd", 2, { 0xf3, 0x6f } },
    { "cli", 1, { 0xfa } },               { "sti", 1, { 0xfb } },
    { "hlt", 1, { 0xf4 } },               { "ud2", 2, { 0x0f, 0x0b } },
    { "cpuid", 2, { 0x0f, 0xa2 } },
};

static void test_strings(void **state)
{
    (void)state;
    enum { MAX = 512 };
    struct diff_env env;
    assert_int_equal(diff_env_init(&env, 0x111), 0);
    struct diff_form *forms = calloc(MAX, sizeof(*forms));
    assert_non_null(forms);
    static const char *const names[] = { "strings 64-bit", "strings 32-bit",
                                         "strings 16-bit address" };
    for (int m = DIFF_M64; m <= DIFF_M16A; m++) {
        unsigned n = 0;
        add_strings(&env, forms, &n, (enum diff_mode)m);
        diff_run_all(&env, names[m], forms, n, NSTATES);
    }
    free(forms);
    diff_env_fini(&env);
}

static void test_privileged(void **state)
{
    (void)state;
    enum { MAX = 32 };
    struct diff_env env;
    assert_int_equal(diff_env_init(&env, 0x112), 0);
    struct diff_form *forms = calloc(MAX, sizeof(*forms));
    assert_non_null(forms);
    for (int m = 0; m < 2; m++) {
        unsigned n = 0;
        for (unsigned i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
            diff_form_raw(&forms[n], priv[i].name, m == 0 ? DIFF_M64 : DIFF_M32, 0, priv[i].b,
                          priv[i].len);
            if (priv[i].b[0] == 0x0f && priv[i].b[1] == 0xa2)
                forms[n].setup = cpuid_setup;
            n++;
        }
        diff_run_all(&env, m == 0 ? "privileged/cpuid 64-bit" : "privileged/cpuid 32-bit", forms,
                     n, NSTATES / 4);
    }
    free(forms);
    diff_env_fini(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_privileged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
