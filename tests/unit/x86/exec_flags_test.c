/* Unit tests of the lazy flags (x86/flags.h): known results per operation
 * kind, the CF-only and condition fast paths against the full computation,
 * INC/DEC keeping CF, and RFLAGS get/set folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "x86/flags.h"

#define CF X86_FLAG_CF
#define PF X86_FLAG_PF
#define AF X86_FLAG_AF
#define ZF X86_FLAG_ZF
#define SF X86_FLAG_SF
#define OF X86_FLAG_OF

static uint32_t eval(enum x86_lazy_op op, unsigned size, uint64_t dst, uint64_t a, uint64_t b)
{
    struct x86_lazy_flags lf = { .op = (uint8_t)op, .size = (uint8_t)size, .dst = dst, .src1 = a,
                                 .src2 = b };
    return x86_flags_eval(&lf);
}

static void test_known_values(void **state)
{
    (void)state;
    /* 0x7f + 1 = 0x80: signed overflow, AF (carry out of bit 3), SF */
    assert_int_equal(eval(X86_LAZY_ADD, 1, 0x80, 0x7f, 1), OF | AF | SF);
    /* 0xff + 1 = 0 (8-bit): CF, ZF, AF, PF (0 has even parity) */
    assert_int_equal(eval(X86_LAZY_ADD, 1, 0, 0xff, 1), CF | ZF | AF | PF);
    /* ADC with carry-in: 0xffff + 0 + 1 = 0 carries; 0x7fff + 0xffff + 1 doesn't overflow */
    assert_int_equal(eval(X86_LAZY_ADC, 2, 0, 0xffff, 0) & (CF | ZF | OF), CF | ZF);
    assert_int_equal(eval(X86_LAZY_ADC, 2, 0x7fff, 0x7fff, 0xffff) & (CF | OF), CF);
    /* 0 - 1 = 0xffffffff: borrow, SF, AF, PF (0xff byte has 8 ones) */
    assert_int_equal(eval(X86_LAZY_SUB, 4, 0xffffffff, 0, 1), CF | SF | AF | PF);
    /* 0x80000000 - 1 = 0x7fffffff: overflow */
    assert_int_equal(eval(X86_LAZY_SUB, 4, 0x7fffffff, 0x80000000, 1) & (OF | CF | SF), OF);
    /* SBB with borrow-in: 5 - 5 - 1 borrows; 0 - 0xff..ff - 1 = 0 borrows too */
    assert_int_equal(eval(X86_LAZY_SBB, 8, ~0ull, 5, 5) & CF, CF);
    assert_int_equal(eval(X86_LAZY_SBB, 8, 0, 0, ~0ull) & (CF | ZF), CF | ZF);
    /* logic: CF = OF = AF = 0 */
    assert_int_equal(eval(X86_LAZY_LOGIC, 8, 0x8000000000000000ull, 0, 0), SF | PF);
    /* INC 0x7f -> 0x80 overflows and keeps CF (src2); DEC 0x80 -> 0x7f overflows */
    assert_int_equal(eval(X86_LAZY_INC, 1, 0x80, 0x7f, 1), OF | AF | SF | CF);
    assert_int_equal(eval(X86_LAZY_DEC, 1, 0x7f, 0x80, 0), OF | AF);
    /* SZP with explicit CF/OF, AF bits */
    assert_int_equal(eval(X86_LAZY_SZP, 2, 0, CF | OF | ZF, 0), CF | OF | ZF | PF);
}

/* A small deterministic PRNG for the randomized checks. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Reference flags of a + b (+ c) and a - b (- c) computed bit by bit on
 * wide integers, independent of flags.c's formulas. */
static uint32_t ref_flags(bool sub, unsigned size, uint64_t a, uint64_t b, unsigned c, uint64_t *res)
{
    unsigned bits = 8 * size;
    uint64_t mask = ~0ull >> (64 - bits);
    unsigned __int128 wide = sub ? (unsigned __int128)a - b - c : (unsigned __int128)a + b + c;
    uint64_t r = (uint64_t)wide & mask;
    uint32_t f = 0;
    if (sub ? ((unsigned __int128)a < (unsigned __int128)b + c) : ((wide >> bits) & 1))
        f |= CF;
    int64_t sa = (int64_t)(a << (64 - bits)) >> (64 - bits);
    int64_t sb = (int64_t)(b << (64 - bits)) >> (64 - bits);
    __int128 sw = sub ? (__int128)sa - sb - c : (__int128)sa + sb + c;
    __int128 lim = (__int128)1 << (bits - 1);
    if (sw >= lim || sw < -lim)
        f |= OF;
    if (r == 0)
        f |= ZF;
    if (r >> (bits - 1))
        f |= SF;
    if (!__builtin_parity((unsigned)(r & 0xff)))
        f |= PF;
    unsigned lo = sub ? (unsigned)((a & 0xf) - (b & 0xf) - c) : (unsigned)((a & 0xf) + (b & 0xf) + c);
    if (lo & 0x10)
        f |= AF;
    *res = r;
    return f;
}

static void test_against_reference(void **state)
{
    (void)state;
    uint64_t s = 0x1234567;
    for (unsigned i = 0; i < 200000; i++) {
        unsigned size = 1u << (next(&s) & 3);
        uint64_t mask = ~0ull >> (64 - 8 * size);
        uint64_t a = next(&s) & mask, b = next(&s) & mask;
        if (i & 1)
            b = (i & 2) ? a : (a ^ (1ull << (8 * size - 1)));
        bool sub = next(&s) & 1;
        unsigned c = next(&s) & 1;
        uint64_t r;
        uint32_t want = ref_flags(sub, size, a, b, c, &r);
        enum x86_lazy_op op = sub ? (c ? X86_LAZY_SBB : X86_LAZY_SUB)
                                  : (c ? X86_LAZY_ADC : X86_LAZY_ADD);
        assert_int_equal(eval(op, size, r, a, b), want);
    }
}

/* x86_flags_cf() and x86_cond() take shortcuts; they must agree with the
 * full computation for every operation kind and condition. */
static void test_fast_paths(void **state)
{
    (void)state;
    struct x86_cpu cpu;
    memset(&cpu, 0, sizeof(cpu));
    uint64_t s = 99;
    for (unsigned i = 0; i < 100000; i++) {
        unsigned size = 1u << (next(&s) & 3);
        uint64_t mask = ~0ull >> (64 - 8 * size);
        uint64_t a = next(&s) & mask, b = (i & 1) ? a : next(&s) & mask;
        enum x86_lazy_op op = (enum x86_lazy_op)(next(&s) % (X86_LAZY_SZP + 1));
        uint64_t r = (a + b) & mask;
        if (op == X86_LAZY_SUB || op == X86_LAZY_SBB)
            r = (a - b - (op == X86_LAZY_SBB)) & mask;
        if (op == X86_LAZY_ADC)
            r = (a + b + 1) & mask;
        if (op == X86_LAZY_INC || op == X86_LAZY_DEC)
            b &= 1;
        if (op == X86_LAZY_SZP)
            a &= CF | AF | OF;
        cpu.s.rflags = next(&s) & 0xfff;
        x86_flags_record(&cpu, op, size, r, a, b);
        uint32_t full = x86_flags_compute(&cpu);
        assert_int_equal(x86_flags_cf(&cpu), !!(full & CF));
        for (unsigned cc = 0; cc < 16; cc++) {
            struct x86_cpu ref = cpu;
            x86_flags_materialize(&ref);
            assert_int_equal(ref.lf.op, X86_LAZY_NONE);
            assert_int_equal(x86_cond(&cpu, cc), x86_cond(&ref, cc));
        }
    }
}

static void test_rflags_fold(void **state)
{
    (void)state;
    struct x86_cpu cpu;
    memset(&cpu, 0, sizeof(cpu));
    x86_set_rflags(&cpu, X86_FLAG_DF | X86_FLAG_IF | CF);
    assert_int_equal(cpu.lf.op, X86_LAZY_NONE);
    assert_int_equal(x86_get_rflags(&cpu), X86_FLAG_DF | X86_FLAG_IF | CF | X86_FLAG_FIXED);
    /* A lazy SUB 1 - 2 replaces the arithmetic bits only. */
    x86_flags_record(&cpu, X86_LAZY_SUB, 4, 0xffffffff, 1, 2);
    uint64_t f = x86_get_rflags(&cpu);
    assert_int_equal(f & (X86_FLAG_DF | X86_FLAG_IF), X86_FLAG_DF | X86_FLAG_IF);
    assert_int_equal(f & X86_FLAGS_ARITH, CF | SF | PF | AF);
    assert_int_equal(cpu.lf.op, X86_LAZY_NONE); /* materialised */
    /* INC after it keeps the computed CF. */
    x86_flags_record(&cpu, X86_LAZY_INC, 4, 1, 0, x86_flags_cf(&cpu));
    assert_int_equal(x86_flags_compute(&cpu) & CF, CF);
    /* x86_flags_update changes only the named bits. */
    x86_flags_update(&cpu, ZF | CF, ZF);
    assert_int_equal(x86_get_rflags(&cpu) & (ZF | CF | SF), ZF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_fast_paths),
        cmocka_unit_test(test_rflags_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
