/* Unit tests of REP string instructions: bounded batches that resume
 * (RIP stays until rCX is exhausted), faults in the middle keeping the
 * completed iterations, the TLB fast path agreeing with the callback path
 * (incl. overlapping copies), 16-bit address wrap, REPE/REPNE stops, and
 * INS/OUTS through the port callbacks with their permission check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exec_fixture.h"

#define CODE 0x1000u

/* rep movsb/movsd with count n from src to dst; runs until done, returning
 * the number of x86_exec calls it took. */
static unsigned run_rep(struct fx *f, const char *code, unsigned len, uint64_t src, uint64_t dst,
                        uint64_t n)
{
    f->cpu.s.gpr[X86_RSI] = src;
    f->cpu.s.gpr[X86_RDI] = dst;
    f->cpu.s.gpr[X86_RCX] = n;
    memcpy(f->mem + CODE, code, len);
    f->cpu.s.rip = CODE;
    unsigned calls = 0;
    do {
        assert_int_equal(x86_emulate_one(&f->cpu, NULL), X86_EXEC_OK);
        calls++;
    } while (f->cpu.s.rip == CODE && calls < 1000);
    return calls;
}

static void test_resumable_movs(void **state)
{
    (void)state;
    for (int tlb = 0; tlb < 2; tlb++) {
        struct fx f;
        fx_init(&f, X86_MODE_LONG64);
        f.fill_tlb = tlb;
        const uint64_t n = 3 * X86_REP_BATCH + 123;
        for (uint64_t i = 0; i < n * 4; i++)
            f.mem[0x10000 + i] = (uint8_t)(i * 7 + 1);
        /* one batch: RIP stays, RCX/RSI/RDI tell the remaining work */
        f.cpu.s.gpr[X86_RSI] = 0x10000;
        f.cpu.s.gpr[X86_RDI] = 0x40000;
        f.cpu.s.gpr[X86_RCX] = n;
        memcpy(f.mem + CODE, "\xf3\xa5", 2); /* rep movsd */
        f.cpu.s.rip = CODE;
        assert_int_equal(x86_emulate_one(&f.cpu, NULL), X86_EXEC_OK);
        assert_int_equal(f.cpu.s.rip, CODE);
        assert_int_equal(f.cpu.s.gpr[X86_RCX], n - X86_REP_BATCH);
        assert_int_equal(f.cpu.s.gpr[X86_RSI], 0x10000 + 4 * X86_REP_BATCH);
        assert_int_equal(f.cpu.s.gpr[X86_RDI], 0x40000 + 4 * X86_REP_BATCH);
        /* the rest */
        unsigned calls = 1;
        do {
            assert_int_equal(x86_emulate_one(&f.cpu, NULL), X86_EXEC_OK);
            calls++;
        } while (f.cpu.s.rip == CODE);
        assert_int_equal(calls, 4);
        assert_int_equal(f.cpu.s.rip, CODE + 2);
        assert_int_equal(f.cpu.s.gpr[X86_RCX], 0);
        assert_memory_equal(f.mem + 0x40000, f.mem + 0x10000, n * 4);
        if (tlb) /* the fast path did the bulk without a callback per element */
            assert_true(f.mem_calls < 200);
        fx_fini(&f);
    }
}

static void test_fault_midway(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    f.fill_tlb = true;
    f.hole_lo = 0x21000;
    f.hole_hi = 0x22000;
    memset(f.mem + 0x10000, 0xab, 0x3000);
    /* rep stosb from 0x20800 over the hole: stops at 0x21000 */
    f.cpu.s.gpr[X86_RAX] = 0x5c;
    f.cpu.s.gpr[X86_RDI] = 0x20800;
    f.cpu.s.gpr[X86_RCX] = 0x1000;
    memcpy(f.mem + CODE, "\xf3\xaa", 2);
    f.cpu.s.rip = CODE;
    assert_int_equal(x86_emulate_one(&f.cpu, NULL), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_PF);
    assert_int_equal(f.cpu.exc.cr2, 0x21000);
    assert_int_equal(f.cpu.s.rip, CODE);
    assert_int_equal(f.cpu.s.gpr[X86_RDI], 0x21000);
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 0x800);
    assert_int_equal(f.mem[0x20fff], 0x5c);
    /* "page it in" and resume */
    f.hole_lo = f.hole_hi = 0;
    while (f.cpu.s.rip == CODE)
        assert_int_equal(x86_emulate_one(&f.cpu, NULL), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 0);
    assert_int_equal(f.cpu.s.gpr[X86_RDI], 0x21800);
    for (unsigned i = 0x20800; i < 0x21800; i++)
        assert_int_equal(f.mem[i], 0x5c);
    assert_int_equal(f.mem[0x21800], 0);
    fx_fini(&f);
}

/* Overlapping forward copies replicate a pattern, element by element, on
 * both paths. */
static void test_overlap(void **state)
{
    (void)state;
    for (int tlb = 0; tlb < 2; tlb++) {
        struct fx f;
        fx_init(&f, X86_MODE_PROT32);
        f.fill_tlb = tlb;
        memcpy(f.mem + 0x5000, "abc", 3);
        run_rep(&f, "\xf3\xa4", 2, 0x5000, 0x5003, 3000); /* rep movsb, dst = src + 3 */
        for (unsigned i = 0; i < 3003; i++)
            assert_int_equal(f.mem[0x5000 + i], "abc"[i % 3]);
        /* a downward copy (DF = 1) two bytes below its source: from the third
         * element on it reads what it wrote, replicating "89" */
        memcpy(f.mem + 0x9000, "0123456789", 10);
        f.cpu.s.rflags |= X86_FLAG_DF;
        run_rep(&f, "\xf3\xa4", 2, 0x9009, 0x9007, 10);
        f.cpu.s.rflags &= ~(uint64_t)X86_FLAG_DF;
        assert_memory_equal(f.mem + 0x8ffe, "898989898989", 12);
        assert_int_equal(f.cpu.s.gpr[X86_RDI], 0x8ffd);
        fx_fini(&f);
    }
}

static void test_addr16_wrap(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_REAL);
    f.cpu.s.seg[X86_ES].base = 0x20000;
    f.cpu.s.gpr[X86_RAX] = 0x11;
    f.cpu.s.gpr[X86_RDI] = 0x7777fffe; /* DI = 0xfffe, upper bits kept */
    f.cpu.s.gpr[X86_RCX] = 0x5;
    memcpy(f.mem + CODE, "\xf3\xaa", 2); /* rep stosb with 16-bit DI/CX */
    f.cpu.s.rip = CODE;
    assert_int_equal(x86_emulate_one(&f.cpu, NULL), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RDI], 0x77770003);
    assert_int_equal(f.mem[0x2fffe], 0x11);
    assert_int_equal(f.mem[0x2ffff], 0x11);
    assert_int_equal(f.mem[0x20000], 0x11);
    assert_int_equal(f.mem[0x20002], 0x11);
    assert_int_equal(f.mem[0x20003], 0);
    fx_fini(&f);
}

static void test_repe_cmps(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    memcpy(f.mem + 0x3000, "hello world", 11);
    memcpy(f.mem + 0x4000, "hello there", 11);
    run_rep(&f, "\xf3\xa6", 2, 0x3000, 0x4000, 11); /* repe cmpsb */
    /* stops after comparing 'w' with 't' (the 7th byte) */
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 4);
    assert_int_equal(f.cpu.s.gpr[X86_RSI], 0x3007);
    assert_false(x86_get_rflags(&f.cpu) & X86_FLAG_ZF);
    /* repne scasb finds the byte */
    f.cpu.s.gpr[X86_RAX] = 'o';
    f.cpu.s.gpr[X86_RDI] = 0x3000;
    f.cpu.s.gpr[X86_RCX] = 100;
    assert_int_equal(fx_run(&f, CODE, "\xf2\xae", 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RDI], 0x3005);
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 95);
    assert_true(x86_get_rflags(&f.cpu) & X86_FLAG_ZF);
    fx_fini(&f);
}

static void test_ins_outs(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    f.in_value = 0x100;
    f.cpu.s.gpr[X86_RDX] = 0x3f8;
    f.cpu.s.gpr[X86_RDI] = 0x6000;
    f.cpu.s.gpr[X86_RCX] = 4;
    assert_int_equal(fx_run(&f, CODE, "\xf3\x66\x6d", 3), X86_EXEC_OK); /* rep insw */
    assert_int_equal(f.ins, 4);
    assert_memory_equal(f.mem + 0x6000, "\x00\x01\x01\x01\x02\x01\x03\x01", 8);
    f.cpu.s.gpr[X86_RSI] = 0x6000;
    f.cpu.s.gpr[X86_RCX] = 2;
    assert_int_equal(fx_run(&f, CODE, "\xf3\x6f", 2), X86_EXEC_OK); /* rep outsd */
    assert_int_equal(f.outs, 2);
    assert_int_equal(f.last_out, 0x01030102);
    assert_int_equal(f.last_port, 0x3f8);
    /* CPL 3 above IOPL: the bitmap decides */
    fx_set_cpl(&f, 3);
    f.cpu.s.gpr[X86_RCX] = 1;
    f.io_allowed = false;
    assert_int_equal(fx_run(&f, CODE, "\xf3\x6e", 2), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_GP);
    assert_int_equal(f.outs, 2);
    f.io_allowed = true;
    assert_int_equal(fx_run(&f, CODE, "\xf3\x6e", 2), X86_EXEC_OK);
    assert_int_equal(f.outs, 3);
    /* IOPL 3 allows CPL 3 without the bitmap */
    f.io_allowed = false;
    f.cpu.s.rflags |= X86_FLAG_IOPL;
    assert_int_equal(fx_run(&f, CODE, "\xe6\x80", 2), X86_EXEC_OK); /* out 0x80, al */
    assert_int_equal(f.last_port, 0x80);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumable_movs), cmocka_unit_test(test_fault_midway),
        cmocka_unit_test(test_overlap),        cmocka_unit_test(test_addr16_wrap),
        cmocka_unit_test(test_repe_cmps),      cmocka_unit_test(test_ins_outs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
