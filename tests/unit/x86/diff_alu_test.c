/* Differential tests: integer arithmetic and logic against the host CPU.
 *
 * Undefined flags (SDM Vol. 2): AND OR XOR TEST leave AF undefined; the
 * others define all six. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 600
#define MAX_FORMS 1200

static const char *const alu_names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };

static uint32_t alu_undef(unsigned op)
{
    return (op == 1 || op == 4 || op == 6) ? X86_FLAG_AF : 0;
}

struct forms {
    struct diff_form f[MAX_FORMS];
    unsigned n;
};

static struct diff_form *next_form(struct forms *fs)
{
    assert_true(fs->n < MAX_FORMS);
    return &fs->f[fs->n++];
}

/* A byte register: any of 0-7 without REX (AH..BH for 4-7), else not SPL. */
static int byte_reg(struct diff_env *env, enum diff_mode mode, bool rex)
{
    if (!rex || mode != DIFF_M64)
        return (int)diff_rand_below(env, 8);
    return diff_pick_gpr(env, mode, 0);
}

static unsigned imm_len(unsigned size)
{
    return size == 1 ? 1 : size == 2 ? 2 : 4;
}

/* One encoding, register and memory variants of r/m. */
static void add_rm_forms(struct diff_env *env, struct forms *fs, struct diff_enc *e, unsigned size,
                         bool lockable)
{
    char name[64];
    const char *base = e->name;
    for (unsigned v = 0; v < 3; v++) {
        struct diff_enc x = *e;
        bool mem = v > 0;
        bool rex = e->mode == DIFF_M64 && (diff_rand(env) & 1);
        x.rex_force = rex;
        if (size == 1)
            x.rm = mem ? -1 : byte_reg(env, e->mode, rex || x.rex_w);
        else
            x.rm = mem ? -1 : diff_pick_gpr(env, e->mode, 0);
        if (mem)
            x.mem = diff_pick_mem(env, e->mode);
        if (mem && lockable && v == 2)
            diff_enc_prefix(&x, 0xf0);
        snprintf(name, sizeof(name), "%s%s%s", base, mem ? " mem" : " reg",
                 mem && lockable && v == 2 ? " lock" : "");
        x.name = name;
        diff_encode(env, next_form(fs), &x);
    }
}

static void build_alu(struct diff_env *env, struct forms *fs, enum diff_mode mode)
{
    const unsigned sizes64[] = { 1, 2, 4, 8 }, sizes32[] = { 1, 2, 4 };
    const unsigned *sizes = mode == DIFF_M64 ? sizes64 : sizes32;
    unsigned nsizes = mode == DIFF_M64 ? 4 : 3;
    char name[64];

    for (unsigned op = 0; op < 8; op++) {
        bool lockable = op != 7;
        for (unsigned si = 0; si < nsizes; si++) {
            unsigned size = sizes[si];
            unsigned w = size > 1;
            /* op Eb,Gb / Ev,Gv and op Gb,Eb / Gv,Ev */
            for (unsigned dir = 0; dir < 2; dir++) {
                struct diff_enc e = { .mode = mode, .undef = alu_undef(op), .nopcode = 1,
                                      .opreg = -1 };
                diff_enc_opsize(&e, size);
                e.opcode[0] = (uint8_t)(op * 8 + dir * 2 + w);
                e.reg = size == 1 ? byte_reg(env, mode, true) : diff_pick_gpr(env, mode, 0);
                snprintf(name, sizeof(name), "%s %s%u", alu_names[op], dir ? "G,E" : "E,G",
                         size * 8);
                e.name = name;
                add_rm_forms(env, fs, &e, size, lockable && dir == 0);
            }
            /* op AL/eAX, imm */
            {
                struct diff_enc e = { .mode = mode, .undef = alu_undef(op), .nopcode = 1,
                                      .opreg = -1, .reg = -1 };
                diff_enc_opsize(&e, size);
                e.opcode[0] = (uint8_t)(op * 8 + 4 + w);
                e.imm = diff_rand_value(env);
                e.nimm = imm_len(size);
                snprintf(name, sizeof(name), "%s acc%u,imm", alu_names[op], size * 8);
                e.name = name;
                diff_encode(env, next_form(fs), &e);
            }
            /* 80/81 /op Eb,Ib / Ev,Iz and 83 /op Ev,Ib */
            for (unsigned form = 0; form < (size == 1 ? 1u : 2u); form++) {
                struct diff_enc e = { .mode = mode, .undef = alu_undef(op), .nopcode = 1,
                                      .opreg = -1, .reg = (int)op };
                diff_enc_opsize(&e, size);
                e.opcode[0] = size == 1 ? 0x80 : form == 0 ? 0x81 : 0x83;
                e.imm = diff_rand_value(env);
                e.nimm = form == 1 ? 1 : imm_len(size);
                snprintf(name, sizeof(name), "%s E%u,%s", alu_names[op], size * 8,
                         form == 1 ? "Ib" : "Iz");
                e.name = name;
                add_rm_forms(env, fs, &e, size, lockable);
            }
        }
    }
}

/* TEST, NOT, NEG, INC, DEC */
static void build_unary(struct diff_env *env, struct forms *fs, enum diff_mode mode)
{
    const unsigned sizes64[] = { 1, 2, 4, 8 }, sizes32[] = { 1, 2, 4 };
    const unsigned *sizes = mode == DIFF_M64 ? sizes64 : sizes32;
    unsigned nsizes = mode == DIFF_M64 ? 4 : 3;
    char name[64];

    for (unsigned si = 0; si < nsizes; si++) {
        unsigned size = sizes[si], w = size > 1;
        /* TEST E,G */
        struct diff_enc e = { .mode = mode, .undef = X86_FLAG_AF, .nopcode = 1, .opreg = -1 };
        diff_enc_opsize(&e, size);
        e.opcode[0] = (uint8_t)(0x84 + w);
        e.reg = size == 1 ? byte_reg(env, mode, true) : diff_pick_gpr(env, mode, 0);
        snprintf(name, sizeof(name), "test E,G%u", size * 8);
        e.name = name;
        add_rm_forms(env, fs, &e, size, false);
        /* TEST acc, imm */
        struct diff_enc a = { .mode = mode, .undef = X86_FLAG_AF, .nopcode = 1, .opreg = -1,
                              .reg = -1 };
        diff_enc_opsize(&a, size);
        a.opcode[0] = (uint8_t)(0xa8 + w);
        a.imm = diff_rand_value(env);
        a.nimm = imm_len(size);
        snprintf(name, sizeof(name), "test acc%u,imm", size * 8);
        a.name = name;
        diff_encode(env, next_form(fs), &a);
        /* F6/F7 /0 TEST, /2 NOT, /3 NEG; FE/FF /0 INC, /1 DEC */
        static const struct { uint8_t op; uint8_t digit; const char *name; bool imm; bool lock; }
            grp[] = {
                { 0xf6, 0, "test E,I", true, false }, { 0xf6, 2, "not", false, true },
                { 0xf6, 3, "neg", false, true },      { 0xfe, 0, "inc", false, true },
                { 0xfe, 1, "dec", false, true },
            };
        for (unsigned g = 0; g < sizeof(grp) / sizeof(grp[0]); g++) {
            struct diff_enc u = { .mode = mode, .nopcode = 1, .opreg = -1,
                                  .reg = grp[g].digit };
            u.undef = grp[g].imm ? X86_FLAG_AF : 0;
            diff_enc_opsize(&u, size);
            u.opcode[0] = (uint8_t)(grp[g].op + w);
            if (grp[g].imm) {
                u.imm = diff_rand_value(env);
                u.nimm = imm_len(size);
            }
            snprintf(name, sizeof(name), "%s%u", grp[g].name, size * 8);
            u.name = name;
            add_rm_forms(env, fs, &u, size, grp[g].lock);
        }
        /* INC/DEC r16/r32 one-byte forms (40+r, 48+r) outside 64-bit mode */
        if (mode == DIFF_M32 && size > 1) {
            for (unsigned dec = 0; dec < 2; dec++) {
                struct diff_enc r = { .mode = mode, .nopcode = 1, .reg = -1 };
                diff_enc_opsize(&r, size);
                r.opcode[0] = dec ? 0x48 : 0x40;
                r.opreg = diff_pick_gpr(env, mode, 0);
                snprintf(name, sizeof(name), "%s r%u (short)", dec ? "dec" : "inc", size * 8);
                r.name = name;
                diff_encode(env, next_form(fs), &r);
            }
        }
    }
}

/* ADCX / ADOX (66/F3 0F 38 F6) */
static void build_adx(struct diff_env *env, struct forms *fs, enum diff_mode mode)
{
    if (!diff_host_has(7, 1, 19))
        return;
    char name[64];
    for (unsigned ox = 0; ox < 2; ox++) {
        for (unsigned size = 4; size <= (mode == DIFF_M64 ? 8u : 4u); size += 4) {
            struct diff_enc e = { .mode = mode, .nopcode = 3, .opreg = -1,
                                  .opcode = { 0x0f, 0x38, 0xf6 } };
            diff_enc_prefix(&e, ox ? 0xf3 : 0x66);
            e.rex_w = size == 8;
            e.reg = diff_pick_gpr(env, mode, 0);
            snprintf(name, sizeof(name), "%s r%u,E", ox ? "adox" : "adcx", size * 8);
            e.name = name;
            add_rm_forms(env, fs, &e, size, false);
        }
    }
}

static void run_family(void (*build)(struct diff_env *, struct forms *, enum diff_mode),
                       enum diff_mode mode, const char *family, uint64_t seed)
{
    struct diff_env env;
    assert_int_equal(diff_env_init(&env, seed), 0);
    struct forms *fs = calloc(1, sizeof(*fs));
    assert_non_null(fs);
    build(&env, fs, mode);
    diff_run_all(&env, family, fs->f, fs->n, NSTATES);
    free(fs);
    diff_env_fini(&env);
}

static void test_alu64(void **state)
{
    (void)state;
    run_family(build_alu, DIFF_M64, "alu 64-bit", 0xa1u);
}

static void test_alu32(void **state)
{
    (void)state;
    run_family(build_alu, DIFF_M32, "alu 32-bit", 0xa2u);
}

static void test_unary64(void **state)
{
    (void)state;
    run_family(build_unary, DIFF_M64, "test/not/neg/inc/dec 64-bit", 0xa3u);
}

static void test_unary32(void **state)
{
    (void)state;
    run_family(build_unary, DIFF_M32, "test/not/neg/inc/dec 32-bit", 0xa4u);
}

static void test_adx(void **state)
{
    (void)state;
    run_family(build_adx, DIFF_M64, "adcx/adox 64-bit", 0xa5u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu64),   cmocka_unit_test(test_alu32),
        cmocka_unit_test(test_unary64), cmocka_unit_test(test_unary32),
        cmocka_unit_test(test_adx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
