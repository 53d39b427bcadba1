/* Unit tests of segmentation in the executor: limit and type violations
 * (#GP(0) / #SS(0)), expand-down segments, non-canonical addresses in
 * 64-bit mode, the fetch window (CS limit, page crossing), #AC, and the
 * data/stack segment loads (MOV Sreg, POP Sreg, LDS) with their checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exec_fixture.h"

#define CODE 0x1000u

static void expect_exc(struct fx *f, int rc, unsigned vector, uint32_t err)
{
    assert_int_equal(rc, X86_EXEC_EXCEPTION);
    assert_int_equal(f->cpu.exc.vector, vector);
    assert_true(f->cpu.exc.has_error);
    assert_int_equal(f->cpu.exc.error_code, err);
}

static void test_data_limit(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    f.cpu.s.seg[X86_DS].limit = 0xfff;
    f.cpu.s.seg[X86_DS].attr &= ~X86_SEG_G;
    f.cpu.s.gpr[X86_RAX] = 0x1234;
    /* mov eax, [0xffe]: bytes 0xffe..0x1001 cross the limit */
    int rc = fx_run(&f, CODE, "\x8b\x05\xfe\x0f\x00\x00", 6);
    expect_exc(&f, rc, X86_EXC_GP, 0);
    assert_int_equal(f.cpu.s.rip, CODE); /* faults leave RIP on the instruction */
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x1234);
    /* mov eax, [0xffc] is the last dword inside */
    memcpy(f.mem + 0xffc, "\x78\x56\x34\x12", 4);
    assert_int_equal(fx_run(&f, CODE, "\x8b\x05\xfc\x0f\x00\x00", 6), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x12345678);
    assert_int_equal(f.cpu.s.rip, CODE + 6);
    fx_fini(&f);
}

static void test_stack_limit(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    f.cpu.s.seg[X86_SS].limit = 0xfff;
    f.cpu.s.seg[X86_SS].attr &= ~X86_SEG_G;
    f.cpu.s.gpr[X86_RSP] = 0x1000;
    assert_int_equal(fx_run(&f, CODE, "\x50", 1), X86_EXEC_OK); /* push eax at 0xffc */
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0xffc);
    f.cpu.s.gpr[X86_RSP] = 2; /* the push would write at 0xfffffffe */
    expect_exc(&f, fx_run(&f, CODE, "\x50", 1), X86_EXC_SS, 0);
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 2);
    /* an SS-relative data access (ebp base) faults with #SS too */
    f.cpu.s.gpr[X86_RBP] = 0x2000;
    expect_exc(&f, fx_run(&f, CODE, "\x8b\x45\x00", 3), X86_EXC_SS, 0);
    fx_fini(&f);
}

static void test_expand_down(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    /* expand-down stack: valid offsets 0x1000..0xffffffff */
    f.cpu.s.seg[X86_SS].attr = (f.cpu.s.seg[X86_SS].attr & ~0xfu) | 0x7;
    f.cpu.s.seg[X86_SS].limit = 0xfff;
    f.cpu.s.gpr[X86_RSP] = 0x1002;
    expect_exc(&f, fx_run(&f, CODE, "\x50", 1), X86_EXC_SS, 0);
    f.cpu.s.gpr[X86_RSP] = 0x2000;
    assert_int_equal(fx_run(&f, CODE, "\x50", 1), X86_EXEC_OK);
    fx_fini(&f);
}

static void test_segment_types(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    /* read-only data: reads work, writes #GP(0) */
    f.cpu.s.seg[X86_DS].attr = (f.cpu.s.seg[X86_DS].attr & ~0xfu) | 0x1;
    assert_int_equal(fx_run(&f, CODE, "\x8b\x05\x00\x01\x00\x00", 6), X86_EXEC_OK);
    expect_exc(&f, fx_run(&f, CODE, "\x89\x05\x00\x01\x00\x00", 6), X86_EXC_GP, 0);
    /* execute-only code in DS: reads #GP(0); readable code via CS works */
    f.cpu.s.seg[X86_DS].attr = (f.cpu.s.seg[X86_DS].attr & ~0xfu) | 0x8;
    expect_exc(&f, fx_run(&f, CODE, "\x8b\x05\x00\x01\x00\x00", 6), X86_EXC_GP, 0);
    assert_int_equal(fx_run(&f, CODE, "\x2e\x8b\x05\x00\x01\x00\x00", 7), X86_EXEC_OK);
    /* a write through CS is never allowed */
    expect_exc(&f, fx_run(&f, CODE, "\x2e\x89\x05\x00\x01\x00\x00", 7), X86_EXC_GP, 0);
    /* an unusable (null) segment */
    f.cpu.s.seg[X86_ES].attr = X86_SEG_UNUSABLE;
    expect_exc(&f, fx_run(&f, CODE, "\x26\x8b\x05\x00\x01\x00\x00", 7), X86_EXC_GP, 0);
    fx_fini(&f);
}

static void test_canonical(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    f.cpu.s.gpr[X86_RBX] = 0x0000800000000000ull;
    expect_exc(&f, fx_run(&f, CODE, "\x48\x8b\x03", 3), X86_EXC_GP, 0); /* mov rax,[rbx] */
    /* an access whose last byte leaves the canonical range */
    f.cpu.s.gpr[X86_RBX] = 0x00007ffffffffffcull;
    expect_exc(&f, fx_run(&f, CODE, "\x48\x8b\x03", 3), X86_EXC_GP, 0);
    /* stack accesses: #SS(0) */
    f.cpu.s.gpr[X86_RSP] = 0xff00000000000008ull;
    expect_exc(&f, fx_run(&f, CODE, "\x50", 1), X86_EXC_SS, 0);
    f.cpu.s.gpr[X86_RSP] = 0x8000;
    /* rbp-based addressing defaults to SS: #SS(0) */
    f.cpu.s.gpr[X86_RBP] = 0x8000000000000000ull;
    expect_exc(&f, fx_run(&f, CODE, "\x48\x8b\x45\x00", 4), X86_EXC_SS, 0);
    /* FS/GS bases apply in 64-bit mode, DS's does not */
    f.cpu.s.seg[X86_FS].base = 0x3000;
    f.cpu.s.seg[X86_DS].base = 0x5000;
    memcpy(f.mem + 0x3010, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    memcpy(f.mem + 0x10, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    f.cpu.s.gpr[X86_RBX] = 0x10;
    assert_int_equal(fx_run(&f, CODE, "\x64\x48\x8b\x03", 4), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x8877665544332211ull);
    assert_int_equal(fx_run(&f, CODE, "\x48\x8b\x03", 3), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x0807060504030201ull);
    /* a branch to a non-canonical target: #GP(0), RIP unchanged */
    f.cpu.s.gpr[X86_RAX] = 0x0000900000000000ull;
    expect_exc(&f, fx_run(&f, CODE, "\xff\xe0", 2), X86_EXC_GP, 0);
    assert_int_equal(f.cpu.s.rip, CODE);
    fx_fini(&f);
}

static void test_real_mode(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_REAL);
    f.cpu.s.seg[X86_DS].base = 0x1000;
    f.mem[0x10fff] = 0x5a;
    assert_int_equal(fx_run(&f, CODE, "\xa0\xff\xff", 3), X86_EXEC_OK); /* mov al,[0xffff] */
    assert_int_equal(f.cpu.s.gpr[X86_RAX] & 0xff, 0x5a);
    /* a word at 0xffff runs past the 64 KiB limit */
    expect_exc(&f, fx_run(&f, CODE, "\xa1\xff\xff", 3), X86_EXC_GP, 0);
    /* 16-bit effective addresses wrap: [bx+si+2] with BX = SI = 0xffff is 0 */
    f.cpu.s.gpr[X86_RBX] = 0x1234ffff;
    f.cpu.s.gpr[X86_RSI] = 0xffff;
    f.cpu.s.seg[X86_DS].base = 0x40000;
    f.mem[0x40000] = 0xa5;
    assert_int_equal(fx_run(&f, CODE, "\x8a\x40\x02", 3), X86_EXEC_OK); /* mov al,[bx+si+2] */
    assert_int_equal(f.cpu.s.gpr[X86_RAX] & 0xff, 0xa5);
    /* 16-bit stack pointer wraps: SP = 0 pushes at 0xfffe */
    f.cpu.s.seg[X86_SS].base = 0x20000;
    f.cpu.s.gpr[X86_RSP] = 0xabcd0000;
    f.cpu.s.gpr[X86_RAX] = 0xbeef;
    assert_int_equal(fx_run(&f, CODE, "\x50", 1), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0xabcdfffe); /* only SP changes */
    assert_int_equal(f.mem[0x2fffe] | f.mem[0x2ffff] << 8, 0xbeef);
    fx_fini(&f);
}

static void test_fetch(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    /* the page after 0x3000 is missing: a NOP ending at the page boundary
     * runs; a 5-byte instruction crossing it faults on the second page */
    f.hole_lo = 0x3000;
    f.hole_hi = 0x4000;
    assert_int_equal(fx_run(&f, 0x2fff, "\x90", 1), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.rip, 0x3000);
    memcpy(f.mem + 0x2ffe, "\xb8\x01", 2);
    f.cpu.s.rip = 0x2ffe;
    int rc = x86_emulate_one(&f.cpu, NULL);
    assert_int_equal(rc, X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_PF);
    assert_int_equal(f.cpu.exc.cr2, 0x3000);
    f.hole_lo = f.hole_hi = 0;
    /* CS limit: RIP beyond it, and an instruction running past it */
    f.cpu.s.seg[X86_CS].limit = 0x1fff;
    f.cpu.s.seg[X86_CS].attr &= ~X86_SEG_G;
    f.cpu.s.rip = 0x2000;
    expect_exc(&f, x86_emulate_one(&f.cpu, NULL), X86_EXC_GP, 0);
    memcpy(f.mem + 0x1fff, "\xb8\x01\x02\x03\x04", 5);
    f.cpu.s.rip = 0x1fff;
    expect_exc(&f, x86_emulate_one(&f.cpu, NULL), X86_EXC_GP, 0);
    /* a near jump beyond the limit: #GP(0) */
    expect_exc(&f, fx_run(&f, 0x1000, "\xe9\x00\x10\x00\x00", 5), X86_EXC_GP, 0);
    /* undefined opcodes raise #UD */
    assert_int_equal(fx_run(&f, 0x1000, "\x0f\x0b", 2), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_UD);
    assert_false(f.cpu.exc.has_error);
    fx_fini(&f);
}

static void test_alignment_check(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    fx_set_cpl(&f, 3);
    f.cpu.s.cr0 |= X86_CR0_AM;
    f.cpu.s.rflags |= X86_FLAG_AC;
    expect_exc(&f, fx_run(&f, CODE, "\x8b\x05\x01\x01\x00\x00", 6), X86_EXC_AC, 0);
    assert_int_equal(fx_run(&f, CODE, "\x8b\x05\x04\x01\x00\x00", 6), X86_EXEC_OK);
    /* no #AC at CPL 0 */
    fx_set_cpl(&f, 0);
    assert_int_equal(fx_run(&f, CODE, "\x8b\x05\x01\x01\x00\x00", 6), X86_EXEC_OK);
    fx_fini(&f);
}

/* ---- Segment register loads ------------------------------------------------ */

#define GDT 0x500u

static uint64_t desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, bool present,
                     bool s)
{
    uint64_t d = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16);
    d |= (uint64_t)(type | (s ? 0x10 : 0) | (dpl << 5) | (present ? 0x80 : 0)) << 40;
    d |= (uint64_t)((limit >> 16) & 0xf) << 48;
    d |= (uint64_t)0x4 << 52; /* D/B */
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

static void gdt_setup(struct fx *f)
{
    uint64_t g[8] = {
        0,
        desc(0, 0xfffff, 0xb, 0, true, true),       /* 0x08 code */
        desc(0x4000, 0x1fff, 0x2, 0, true, true),   /* 0x10 data rw, DPL 0 */
        desc(0, 0xffff, 0x3, 3, true, true),        /* 0x18 data rw, DPL 3, accessed */
        desc(0, 0xffff, 0x3, 0, false, true),       /* 0x20 not present */
        desc(0, 0xffff, 0x1, 0, true, true),        /* 0x28 read-only data */
        desc(0x9000, 0x67, 0x9, 0, true, false),    /* 0x30 TSS (system) */
        desc(0, 0xffff, 0x8, 0, true, true),        /* 0x38 execute-only code */
    };
    memcpy(f->mem + GDT, g, sizeof(g));
    f->cpu.s.gdt.base = GDT;
    f->cpu.s.gdt.limit = sizeof(g) - 1;
}

static int mov_ds(struct fx *f, uint16_t sel, bool ss)
{
    f->cpu.s.gpr[X86_RAX] = sel;
    return fx_run(f, CODE, ss ? "\x8e\xd0" : "\x8e\xd8", 2);
}

static void test_seg_loads(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    gdt_setup(&f);
    assert_int_equal(mov_ds(&f, 0x10, false), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.seg[X86_DS].sel, 0x10);
    assert_int_equal(f.cpu.s.seg[X86_DS].base, 0x4000);
    assert_int_equal(f.cpu.s.seg[X86_DS].limit, 0x1fff);
    assert_int_equal(X86_SEG_TYPE(f.cpu.s.seg[X86_DS].attr), 0x3); /* accessed now */
    assert_int_equal(f.mem[GDT + 0x10 + 5] & 1, 1);                /* ... in memory too */
    /* the loaded base and limit apply */
    f.mem[0x4000 + 0x10] = 0x77;
    assert_int_equal(fx_run(&f, CODE, "\xa0\x10\x00\x00\x00", 5), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX] & 0xff, 0x77);
    expect_exc(&f, fx_run(&f, CODE, "\xa0\x00\x20\x00\x00", 5), X86_EXC_GP, 0);

    expect_exc(&f, mov_ds(&f, 0x48, false), X86_EXC_GP, 0x48); /* beyond the GDT limit */
    expect_exc(&f, mov_ds(&f, 0x20, false), X86_EXC_NP, 0x20); /* not present */
    expect_exc(&f, mov_ds(&f, 0x30, false), X86_EXC_GP, 0x30); /* system descriptor */
    expect_exc(&f, mov_ds(&f, 0x38, false), X86_EXC_GP, 0x38); /* execute-only code */
    expect_exc(&f, mov_ds(&f, 0x2c, false), X86_EXC_GP, 0x2c); /* LDT selector, no LDT */
    assert_int_equal(mov_ds(&f, 0x28, false), X86_EXEC_OK);    /* read-only data is fine */
    expect_exc(&f, mov_ds(&f, 0x28, true), X86_EXC_GP, 0x28);  /* ... but not for SS */
    expect_exc(&f, mov_ds(&f, 0x13, true), X86_EXC_GP, 0x10);  /* SS: RPL != CPL */
    expect_exc(&f, mov_ds(&f, 0x18, true), X86_EXC_GP, 0x18);  /* SS: DPL != CPL */
    expect_exc(&f, mov_ds(&f, 0x00, true), X86_EXC_GP, 0);     /* null SS */
    /* MOV SS blocks interrupts for one instruction */
    assert_int_equal(mov_ds(&f, 0x10, true), X86_EXEC_OK);
    assert_true(f.cpu.intr_shadow);
    assert_int_equal(fx_run(&f, CODE, "\x90", 1), X86_EXEC_OK);
    assert_false(f.cpu.intr_shadow);
    /* a null DS loads, then faults on use */
    assert_int_equal(mov_ds(&f, 0x03, false), X86_EXEC_OK);
    expect_exc(&f, fx_run(&f, CODE, "\xa0\x00\x00\x00\x00", 5), X86_EXC_GP, 0);
    /* CPL 3 may not load a DPL 0 data segment, may load a DPL 3 one */
    fx_set_cpl(&f, 3);
    expect_exc(&f, mov_ds(&f, 0x13, false), X86_EXC_GP, 0x10);
    assert_int_equal(mov_ds(&f, 0x1b, false), X86_EXEC_OK);
    fx_fini(&f);
}

static void test_seg_loads_other_forms(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    gdt_setup(&f);
    /* lds ebx, [0x600] */
    memcpy(f.mem + 0x600, "\x44\x33\x22\x11\x10\x00", 6);
    assert_int_equal(fx_run(&f, CODE, "\xc5\x1d\x00\x06\x00\x00", 6), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RBX], 0x11223344);
    assert_int_equal(f.cpu.s.seg[X86_DS].base, 0x4000);
    /* a faulting selector leaves the register alone */
    memcpy(f.mem + 0x600, "\x88\x77\x66\x55\x20\x00", 6);
    f.cpu.s.seg[X86_DS].base = 0;
    expect_exc(&f, fx_run(&f, CODE, "\xc4\x1d\x00\x06\x00\x00", 6), X86_EXC_NP, 0x20);
    assert_int_equal(f.cpu.s.gpr[X86_RBX], 0x11223344);
    /* pop es: loads, then moves ESP; a faulting pop leaves ESP */
    f.cpu.s.gpr[X86_RSP] = 0x7000;
    memcpy(f.mem + 0x7000, "\x10\x00\x00\x00\x20\x00\x00\x00", 8);
    assert_int_equal(fx_run(&f, CODE, "\x07", 1), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.seg[X86_ES].sel, 0x10);
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0x7004);
    expect_exc(&f, fx_run(&f, CODE, "\x07", 1), X86_EXC_NP, 0x20);
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0x7004);
    /* mov from a segment register */
    assert_int_equal(fx_run(&f, CODE, "\x8c\xc1", 2), X86_EXEC_OK); /* mov ecx, es */
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 0x10);
    fx_fini(&f);

    /* real mode: base = selector * 16, limit unchanged */
    fx_init(&f, X86_MODE_REAL);
    f.cpu.s.gpr[X86_RAX] = 0x1234;
    assert_int_equal(fx_run(&f, CODE, "\x8e\xd8", 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.seg[X86_DS].base, 0x12340);
    assert_int_equal(f.cpu.s.seg[X86_DS].limit, 0xffff);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_limit),      cmocka_unit_test(test_stack_limit),
        cmocka_unit_test(test_expand_down),     cmocka_unit_test(test_segment_types),
        cmocka_unit_test(test_canonical),       cmocka_unit_test(test_real_mode),
        cmocka_unit_test(test_fetch),           cmocka_unit_test(test_alignment_check),
        cmocka_unit_test(test_seg_loads),       cmocka_unit_test(test_seg_loads_other_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
