/* Differential tests: data movement and exchanges against the host CPU.
 * MOV (all integer forms incl. moffs) MOVZX MOVSX MOVSXD MOVBE MOVNTI LEA
 * CBW/CWDE/CDQE CWD/CDQ/CQO CMOVcc SETcc XLAT LAHF SAHF, MOV from a segment
 * register, XCHG XADD CMPXCHG CMPXCHG8B CMPXCHG16B, flag instructions
 * CLC STC CMC CLD STD, NOP PAUSE, and SALC (legacy modes).
 *
 * Undefined flags: none (these define every flag they change). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff_harness.h"

#define NSTATES 2000

/* CMPXCHG: make the accumulator equal to the destination half the time. */
static void cmpxchg_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    if ((diff_rand(env) & 1) || f->base == X86_RAX || f->index == X86_RAX)
        return;
    uint64_t v = diff_rm_get(env, f, st);
    uint64_t m = ~0ull >> (64 - 8 * f->size);
    st->gpr[X86_RAX] = (st->gpr[X86_RAX] & ~m) | v;
}

/* CMPXCHG8B/16B: EDX:EAX (RDX:RAX) equal to memory half the time; the
 * 16-byte form needs a 16-byte aligned operand (else #GP natively too). */
static void cmpxchg8_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    int off = diff_mem_off(env, f, st);
    if (off < 0)
        return;
    if (f->arg == 16 && (diff_rand_below(env, 8) != 0) && f->base >= 0) {
        int adj = (16 - (off & 15)) & 15;
        st->gpr[f->base] += (uint64_t)adj;
        off += adj;
    }
    bool uses_acc = f->base == X86_RAX || f->base == X86_RDX || f->index == X86_RAX ||
                    f->index == X86_RDX;
    if ((diff_rand(env) & 1) && !uses_acc) {
        uint64_t lo, hi = 0;
        if (f->arg == 16) {
            memcpy(&lo, env->init + off, 8);
            memcpy(&hi, env->init + off + 8, 8);
            st->gpr[X86_RAX] = lo;
            st->gpr[X86_RDX] = hi;
        } else {
            memcpy(&lo, env->init + off, 8);
            st->gpr[X86_RAX] = (st->gpr[X86_RAX] & ~0xffffffffull) | (uint32_t)lo;
            st->gpr[X86_RDX] = (st->gpr[X86_RDX] & ~0xffffffffull) | (lo >> 32);
        }
    }
}

/* XLAT: rBX points into the data area. */
static void xlat_setup(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    (void)f;
    uint64_t p = (uintptr_t)env->arena + DIFF_DATA_LEN / 2 - 128;
    st->gpr[X86_RBX] = f->arg == 4 ? (p | (diff_rand(env) << 32)) : p;
}

#define RMB DIFF_RM_BOTH
#define RM_MEM DIFF_RM_MEM
#define S48 (DIFF_S4 | DIFF_S8)

static const struct diff_tmpl movs[] = {
    DIFF_T("mov Eb,Gb", "", DIFF_G, DIFF_S1, 0, RMB, DIFF_ADDRSZ, 0, 0x88),
    DIFF_T("mov Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, 0, 0x89),
    DIFF_T("mov Gb,Eb", "", DIFF_G, DIFF_S1, 0, RMB, 0, 0, 0x8a),
    DIFF_T("mov Gv,Ev", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, 0, 0x8b),
    DIFF_T("mov Eb,Ib", "", 0, DIFF_S1, DIFF_IMM_B, RMB, 0, 0, 0xc6),
    DIFF_T("mov Ev,Iz", "", 0, DIFF_SV, DIFF_IMM_Z, RMB, DIFF_ADDRSZ, 0, 0xc7),
    DIFF_T("mov Zb,Ib", "", DIFF_NOMODRM, DIFF_S1, DIFF_IMM_B, 0, DIFF_OPREG, 0, 0xb0),
    DIFF_T("mov Zv,Iv", "", DIFF_NOMODRM, DIFF_SV, DIFF_IMM_V, 0, DIFF_OPREG, 0, 0xb8),
    DIFF_T("mov Ev,Sw", "", 3, DIFF_SV, 0, RMB, 0, 0, 0x8c), /* DS */
    DIFF_T("movzx Gv,Eb", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, 0, 0x0f, 0xb6),
    DIFF_T("movzx Gv,Ew", "", DIFF_G, DIFF_SV, 0, RMB, 0, 0, 0x0f, 0xb7),
    DIFF_T("movsx Gv,Eb", "", DIFF_G, DIFF_SV, 0, RMB, 0, 0, 0x0f, 0xbe),
    DIFF_T("movsx Gv,Ew", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, 0, 0x0f, 0xbf),
    DIFF_T("movsxd Gv,Ed", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ONLY64, 0, 0x63),
    DIFF_T("movbe Gv,Mv", "", DIFF_G, DIFF_SV, 0, RM_MEM, 0, 0, 0x0f, 0x38, 0xf0),
    DIFF_T("movbe Mv,Gv", "", DIFF_G, DIFF_SV, 0, RM_MEM, 0, 0, 0x0f, 0x38, 0xf1),
    DIFF_T("movnti My,Gy", "", DIFF_G, S48, 0, RM_MEM, 0, 0, 0x0f, 0xc3),
    DIFF_T("lea Gv,M", "", DIFF_G, DIFF_SV, 0, RM_MEM, DIFF_ADDRSZ, 0, 0x8d),
    DIFF_T("cbw/cwde/cdqe", "", DIFF_NOMODRM, DIFF_SV, 0, 0, 0, 0, 0x98),
    DIFF_T("cwd/cdq/cqo", "", DIFF_NOMODRM, DIFF_SV, 0, 0, 0, 0, 0x99),
    DIFF_TX("xlat", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, NULL, xlat_setup, 0, 0xd7),
    DIFF_TX("xlat a32", "\x67", DIFF_NOMODRM, DIFF_S1, 0, 0, DIFF_ONLY64, 0, NULL, xlat_setup, 4,
            0xd7),
    DIFF_T("lahf", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0x9f),
    DIFF_T("sahf", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0x9e),
    DIFF_T("clc", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0xf8),
    DIFF_T("stc", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0xf9),
    DIFF_T("cmc", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0xf5),
    DIFF_T("cld", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0xfc),
    DIFF_T("std", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0xfd),
    DIFF_T("nop", "", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0x90),
    DIFF_T("pause", "\xf3", DIFF_NOMODRM, DIFF_S1, 0, 0, 0, 0, 0x90),
    DIFF_T("nop Ev", "", 0, DIFF_SV, 0, RMB, 0, 0, 0x0f, 0x1f),
    DIFF_T("salc", "", DIFF_NOMODRM, DIFF_S1, 0, 0, DIFF_ONLY32, 0, 0xd6),
};

/* MOV AL/rAX <-> moffs: the absolute address of the data area. */
static void add_moffs(struct diff_env *env, struct diff_form *forms, unsigned *n)
{
    for (int mode = 0; mode < 2; mode++) {
        unsigned asz = mode == 0 ? 8 : 4;
        for (uint8_t op = 0xa0; op <= 0xa3; op++) {
            for (unsigned size = 1; size <= (mode == 0 ? 8u : 4u); size *= 2) {
                if ((op & 1) != (size > 1))
                    continue;
                uint8_t b[16];
                unsigned len = 0;
                if (size == 2)
                    b[len++] = 0x66;
                if (size == 8)
                    b[len++] = 0x48;
                b[len++] = op;
                uint64_t addr = (uintptr_t)env->arena + DIFF_DATA_LEN / 2 +
                                diff_rand_below(env, 256);
                memcpy(b + len, &addr, asz);
                len += asz;
                diff_form_raw(&forms[(*n)++], op < 0xa2 ? "mov rAX,moffs" : "mov moffs,rAX",
                              mode == 0 ? DIFF_M64 : DIFF_M32, 0, b, len);
            }
        }
    }
}

static const struct diff_tmpl conds[] = {
#define CC(cc)                                                                                 \
    DIFF_T("cmovcc Gv,Ev", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_ADDRSZ, 0, 0x0f, 0x40 + (cc)),   \
    DIFF_T("setcc Eb", "", 0, DIFF_S1, 0, RMB, 0, 0, 0x0f, 0x90 + (cc))
    CC(0), CC(1), CC(2),  CC(3),  CC(4),  CC(5),  CC(6),  CC(7),
    CC(8), CC(9), CC(10), CC(11), CC(12), CC(13), CC(14), CC(15),
#undef CC
};

static const struct diff_tmpl xchgs[] = {
    DIFF_T("xchg Eb,Gb", "", DIFF_G, DIFF_S1, 0, RMB, DIFF_LOCK, 0, 0x86),
    DIFF_T("xchg Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_LOCK | DIFF_ADDRSZ, 0, 0x87),
    DIFF_T("xchg Zv,rAX", "", DIFF_NOMODRM, DIFF_SV, 0, 0, DIFF_OPREG, 0, 0x90),
    DIFF_T("xadd Eb,Gb", "", DIFF_G, DIFF_S1, 0, RMB, DIFF_LOCK, 0, 0x0f, 0xc0),
    DIFF_T("xadd Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_LOCK | DIFF_ADDRSZ, 0, 0x0f, 0xc1),
    DIFF_TX("cmpxchg Eb,Gb", "", DIFF_G, DIFF_S1, 0, RMB, DIFF_LOCK, 0, NULL, cmpxchg_setup, 0,
            0x0f, 0xb0),
    DIFF_TX("cmpxchg Ev,Gv", "", DIFF_G, DIFF_SV, 0, RMB, DIFF_LOCK | DIFF_ADDRSZ, 0, NULL,
            cmpxchg_setup, 0,
            0x0f, 0xb1),
    DIFF_TX("cmpxchg8b Mq", "", 1, DIFF_S4, 0, RM_MEM, DIFF_LOCK, 0, NULL, cmpxchg8_setup, 8,
            0x0f, 0xc7),
    DIFF_TX("cmpxchg16b Mdq", "", 1, DIFF_S8, 0, RM_MEM, DIFF_LOCK | DIFF_ONLY64, 0, NULL,
            cmpxchg8_setup, 16, 0x0f, 0xc7),
};

static void test_mov(void **state)
{
    (void)state;
    diff_run_templates("mov & co", movs, sizeof(movs) / sizeof(movs[0]), NSTATES, 0xe1);
}

static void test_moffs(void **state)
{
    (void)state;
    struct diff_env env;
    assert_int_equal(diff_env_init(&env, 0xe2), 0);
    struct diff_form *forms = calloc(32, sizeof(*forms));
    assert_non_null(forms);
    unsigned n = 0;
    add_moffs(&env, forms, &n);
    diff_run_all(&env, "mov moffs", forms, n, NSTATES);
    free(forms);
    diff_env_fini(&env);
}

static void test_cond(void **state)
{
    (void)state;
    diff_run_templates("cmovcc/setcc", conds, sizeof(conds) / sizeof(conds[0]), NSTATES, 0xe3);
}

static void test_xchg(void **state)
{
    (void)state;
    diff_run_templates("xchg/xadd/cmpxchg", xchgs, sizeof(xchgs) / sizeof(xchgs[0]), NSTATES,
                       0xe4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mov),
        cmocka_unit_test(test_moffs),
        cmocka_unit_test(test_cond),
        cmocka_unit_test(test_xchg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
