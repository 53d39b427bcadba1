/* Differential tests: the x87 FPU against the host CPU (method:
 * diff_sse_harness.h).
 *
 * Every register form D8-DF C0-FF (the #UD ones included, and the
 * undocumented aliases) and every memory form D8-DF /0-/7 with three
 * addressing shapes each (and the 16-bit environment forms with 66) runs on
 * random x87 states: random TOP, tags, register contents (zeros,
 * infinities, quiet and signalling NaNs, denormals, pseudo-denormals,
 * unnormals, huge and tiny numbers, integers, doubles' values), random
 * precision and rounding control, now and then unmasked exceptions
 * (pending ones give #MF before the next waiting instruction) and random
 * condition codes; memory operands hold values of their type (single,
 * double, extended, 16/32/64-bit integers, packed BCD). Compared: all
 * eight registers, FCW, FSW (C0-C3, TOP, flags, ES), the tag word, RFLAGS
 * (FCOMI, FCMOVcc), GPRs (FNSTSW AX) and memory; FOP/FIP/FDP and the
 * pointer fields of stored environments are left out (vendors differ). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff_sse_harness.h"
#include "x86/insn.h"

#define NSTATES 200
#define MAX_FORMS 800

struct forms {
    struct diff_sse_form f[MAX_FORMS];
    unsigned n;
};

static struct diff_sse_form *next_form(struct forms *fs)
{
    assert_true(fs->n < MAX_FORMS);
    return &fs->f[fs->n++];
}

/* Register forms: two bytes each. */
static void add_register_forms(struct forms *fs)
{
    for (unsigned esc = 0xd8; esc <= 0xdf; esc++) {
        for (unsigned m = 0xc0; m <= 0xff; m++) {
            uint8_t b[2] = { (uint8_t)esc, (uint8_t)m };
            char name[32];
            snprintf(name, sizeof(name), "%02x %02x", esc, m);
            struct diff_sse_form *f = next_form(fs);
            memset(f, 0, sizeof(*f));
            diff_form_raw(&f->f, name, DIFF_M64, 0, b, 2);
            f->x87 = true;
        }
    }
}

/* What a memory form's operand holds: type, length, bytes not compared. */
struct mem_kind {
    uint8_t elem;
    uint8_t len;
    uint32_t ignore;
};

static struct mem_kind mem_kind(unsigned esc, unsigned reg, bool small)
{
    /* the environment's pointer fields: FIP, FCS/FOP, FDP, FDS */
    uint32_t env_ptrs = small ? 0x3fc0u : 0x0ffff000u;
    unsigned env = small ? 14 : 28;
    switch (esc) {
    case 0xd8: return (struct mem_kind){ DSSE_F32, 4, 0 };
    case 0xd9:
        switch (reg) {
        case 4: return (struct mem_kind){ DSSE_BITS, (uint8_t)env, 0 };
        case 5: case 7: return (struct mem_kind){ DSSE_I16, 2, 0 };
        case 6: return (struct mem_kind){ DSSE_BITS, (uint8_t)env, env_ptrs };
        default: return (struct mem_kind){ DSSE_F32, 4, 0 };
        }
    case 0xda: return (struct mem_kind){ DSSE_I32, 4, 0 };
    case 0xdb: return reg >= 4 ? (struct mem_kind){ DSSE_F80, 10, 0 }
                               : (struct mem_kind){ DSSE_I32, 4, 0 };
    case 0xdc: return (struct mem_kind){ DSSE_F64, 8, 0 };
    case 0xdd:
        switch (reg) {
        case 1: return (struct mem_kind){ DSSE_I64, 8, 0 };
        case 4: return (struct mem_kind){ DSSE_F80, (uint8_t)(env + 80), 0 };
        case 6: return (struct mem_kind){ DSSE_BITS, (uint8_t)(env + 80), env_ptrs };
        case 7: return (struct mem_kind){ DSSE_I16, 2, 0 };
        default: return (struct mem_kind){ DSSE_F64, 8, 0 };
        }
    case 0xde: return (struct mem_kind){ DSSE_I16, 2, 0 };
    default: /* DF */
        switch (reg) {
        case 4: case 6: return (struct mem_kind){ DSSE_BCD, 10, 0 };
        case 5: case 7: return (struct mem_kind){ DSSE_I64, 8, 0 };
        default: return (struct mem_kind){ DSSE_I16, 2, 0 };
        }
    }
}

static void add_memory_form(struct diff_sse_env *env, struct forms *fs, unsigned esc,
                            unsigned reg, enum diff_mem_kind mk, bool small)
{
    char name[48];
    snprintf(name, sizeof(name), "%s%02x /%u mem%u", small ? "66 " : "", esc, reg, (unsigned)mk);
    struct diff_enc e = { .name = name, .mode = DIFF_M64, .opreg = -1, .reg = (int)reg,
                          .rm = -1, .mem = mk, .nopcode = 1 };
    e.opcode[0] = (uint8_t)esc;
    if (small)
        diff_enc_prefix(&e, 0x66);
    struct mem_kind k = mem_kind(esc, reg, small);
    struct diff_sse_form *f = next_form(fs);
    diff_sse_encode(env, f, &e, DSSE_BITS, (enum diff_sse_elem)k.elem, k.len, 1);
    f->x87 = true;
    f->mem_ignore = k.ignore;
}

static void test_x87(void **state)
{
    (void)state;
    struct diff_sse_env *env = malloc(sizeof(*env));
    struct forms *fs = malloc(sizeof(*fs));
    assert_non_null(env);
    assert_non_null(fs);
    assert_int_equal(diff_sse_env_init(env, 0x87f9a11d), 0);
    fs->n = 0;
    add_register_forms(fs);
    for (unsigned esc = 0xd8; esc <= 0xdf; esc++) {
        for (unsigned reg = 0; reg < 8; reg++) {
            add_memory_form(env, fs, esc, reg, DIFF_MEM_BASE_DISP8, false);
            add_memory_form(env, fs, esc, reg, DIFF_MEM_SIB_DISP32, false);
            add_memory_form(env, fs, esc, reg, DIFF_MEM_RIPREL, false);
        }
    }
    /* 16-bit environment and state images */
    add_memory_form(env, fs, 0xd9, 4, DIFF_MEM_SIB_DISP32, true);
    add_memory_form(env, fs, 0xd9, 6, DIFF_MEM_SIB_DISP32, true);
    add_memory_form(env, fs, 0xdd, 4, DIFF_MEM_SIB_DISP32, true);
    add_memory_form(env, fs, 0xdd, 6, DIFF_MEM_SIB_DISP32, true);
    /* FWAIT */
    struct diff_sse_form *f = next_form(fs);
    memset(f, 0, sizeof(*f));
    diff_form_raw(&f->f, "fwait", DIFF_M64, 0, "\x9b", 1);
    f->x87 = true;
    diff_sse_run_all(env, "x87", fs->f, fs->n, NSTATES);
    diff_sse_env_fini(env);
    free(fs);
    free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x87),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
