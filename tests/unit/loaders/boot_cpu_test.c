/* Boot CPU states: power-on reset, the 64-bit entry (GDT + identity page
 * tables, walked here), and the PVH entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "loaders/boot_cpu.h"
#include "machine/layout.h"

struct fx {
    struct guest_mem m;
    struct x86_state s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (gmem_init(&f->m, MiB(16), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    gmem_destroy(&f->m);
    free(f);
    return 0;
}

static uint64_t read_u64(const struct guest_mem *m, uint64_t gpa)
{
    uint64_t v = 0;
    assert_int_equal(gmem_read(m, gpa, &v, 8), 0);
    return v;
}

/* 4-level walk (SDM Vol. 3A, 4.5): returns the physical address, or
 * UINT64_MAX when a level is not present. Only 2 MiB leaves are expected. */
static uint64_t walk(const struct guest_mem *m, uint64_t cr3, uint64_t va)
{
    const uint64_t addr_mask = 0x000ffffffffff000ull;
    uint64_t e = read_u64(m, (cr3 & addr_mask) + ((va >> 39) & 511) * 8);
    if (!(e & 1))
        return UINT64_MAX;
    e = read_u64(m, (e & addr_mask) + ((va >> 30) & 511) * 8);
    if (!(e & 1) || (e & 0x80))
        return UINT64_MAX; /* not present, or a 1 GiB page we do not use */
    e = read_u64(m, (e & addr_mask) + ((va >> 21) & 511) * 8);
    if (!(e & 1) || !(e & 0x80) || !(e & 2))
        return UINT64_MAX;
    return (e & 0x000fffffffe00000ull) | (va & 0x1fffff);
}

/* Decodes a GDT descriptor into x86_state attribute form. */
static uint32_t gdt_attr(uint64_t d)
{
    return (uint32_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8));
}

static void test_reset_state(void **state)
{
    (void)state;
    struct x86_state s;
    memset(&s, 0xff, sizeof(s));
    boot_cpu_reset_state(&s, true);
    assert_int_equal(s.rip, 0xfff0);
    assert_int_equal(s.rflags, 0x2);
    assert_int_equal(s.seg[X86_CS].sel, 0xf000);
    assert_int_equal(s.seg[X86_CS].base, 0xffff0000);
    assert_int_equal(s.seg[X86_CS].limit, 0xffff);
    assert_int_equal(s.seg[X86_CS].attr, 0x9b);
    assert_int_equal(s.seg[X86_DS].attr, 0x93);
    assert_int_equal(s.seg[X86_SS].base, 0);
    assert_int_equal(s.seg[X86_TR].attr, 0x8b);
    assert_int_equal(s.seg[X86_LDTR].attr, 0x82);
    assert_int_equal(s.cr0, 0x60000010);
    assert_int_equal(s.cr3, 0);
    assert_int_equal(s.cr4, 0);
    assert_int_equal(s.efer, 0);
    assert_int_equal(s.gdt.limit, 0xffff);
    assert_int_equal(s.idt.limit, 0xffff);
    assert_int_equal(s.dr[6], 0xffff0ff0);
    assert_int_equal(s.dr[7], 0x400);
    assert_int_equal(s.apic_base, 0xfee00000 | (1 << 11) | (1 << 8));
    assert_int_equal(s.pat, 0x0007040600070406ull);
    assert_int_equal(s.misc_enable & 1, 1);
    assert_int_equal(s.xcr0, 1);
    assert_int_equal(s.fx.fcw, 0x37f);
    assert_int_equal(s.fx.mxcsr, 0x1f80);
    assert_int_equal(x86_state_mode(&s), X86_MODE_REAL);

    boot_cpu_reset_state(&s, false);
    assert_int_equal(s.apic_base, 0xfee00000 | (1 << 11)); /* no BSP flag */
}

static void test_linux64(void **state)
{
    struct fx *f = *state;
    assert_int_equal(boot_cpu_setup_linux64(&f->m, &f->s, 0x1000200, LAYOUT_ZERO_PAGE), 0);
    const struct x86_state *s = &f->s;
    assert_int_equal(x86_state_mode(s), X86_MODE_LONG64);
    assert_int_equal(s->rip, 0x1000200);
    assert_int_equal(s->gpr[X86_RSI], LAYOUT_ZERO_PAGE);
    assert_int_equal(s->gpr[X86_RSP], LAYOUT_BOOT_STACK);
    assert_int_equal(s->rflags, 0x2);
    assert_int_equal(s->cr0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG);
    assert_int_equal(s->cr3, LAYOUT_PML4);
    assert_int_equal(s->cr4, X86_CR4_PAE);
    assert_int_equal(s->efer, X86_EFER_LME | X86_EFER_LMA);

    /* CS: 64-bit code, DPL 0, present, type 0xb; data: type 3, DB, G. */
    const struct x86_seg *cs = &s->seg[X86_CS];
    assert_int_equal(cs->sel, 0x10);
    assert_int_equal(X86_SEG_TYPE(cs->attr), 0xb);
    assert_true(cs->attr & X86_SEG_L);
    assert_false(cs->attr & X86_SEG_DB);
    assert_true(cs->attr & X86_SEG_P);
    assert_int_equal(X86_SEG_DPL(cs->attr), 0);
    for (int r = X86_ES; r <= X86_GS; r++) {
        if (r == X86_CS)
            continue;
        assert_int_equal(s->seg[r].sel, 0x18);
        assert_int_equal(s->seg[r].attr, 0x3 | X86_SEG_S | X86_SEG_P | X86_SEG_DB | X86_SEG_G);
        assert_int_equal(s->seg[r].base, 0);
        assert_int_equal(s->seg[r].limit, 0xffffffff);
    }

    /* The GDT in memory agrees with the cached segment state. */
    assert_int_equal(s->gdt.base, LAYOUT_GDT);
    assert_int_equal(s->gdt.limit, 4 * 8 - 1);
    assert_int_equal(read_u64(&f->m, LAYOUT_GDT), 0);
    assert_int_equal(gdt_attr(read_u64(&f->m, LAYOUT_GDT + 0x10)), cs->attr);
    assert_int_equal(gdt_attr(read_u64(&f->m, LAYOUT_GDT + 0x18)), s->seg[X86_DS].attr);
    assert_int_equal(read_u64(&f->m, LAYOUT_GDT + 0x18) & 0xffff, 0xffff); /* limit 15:0 */

    /* Identity map of 0-4 GiB: every 2 MiB page, plus offsets inside. */
    for (uint64_t va = 0; va < GiB(4); va += MiB(2))
        assert_int_equal(walk(&f->m, s->cr3, va), va);
    static const uint64_t probes[] = { 0x7000, 0x1000200, 0xfee00ff0, 0xffffffff, 0xc0001234 };
    for (unsigned i = 0; i < ARRAY_SIZE(probes); i++)
        assert_int_equal(walk(&f->m, s->cr3, probes[i]), probes[i]);
    assert_int_equal(walk(&f->m, s->cr3, GiB(4)), UINT64_MAX); /* nothing above */
}

static void test_pvh(void **state)
{
    struct fx *f = *state;
    assert_int_equal(boot_cpu_setup_pvh(&f->m, &f->s, 0x1000040, LAYOUT_PVH_START_INFO), 0);
    const struct x86_state *s = &f->s;
    assert_int_equal(x86_state_mode(s), X86_MODE_PROT32);
    assert_int_equal(s->rip, 0x1000040);
    assert_int_equal(s->gpr[X86_RBX], LAYOUT_PVH_START_INFO);
    assert_int_equal(s->gpr[X86_RSI], 0);
    assert_int_equal(s->cr0, X86_CR0_PE | X86_CR0_ET);
    assert_int_equal(s->cr4, 0);
    assert_int_equal(s->efer, 0);
    assert_int_equal(s->rflags & (X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_VM), 0);
    const struct x86_seg *cs = &s->seg[X86_CS];
    assert_int_equal(cs->sel, 0x10);
    assert_int_equal(cs->attr, 0xb | X86_SEG_S | X86_SEG_P | X86_SEG_DB | X86_SEG_G);
    assert_int_equal(cs->base, 0);
    assert_int_equal(cs->limit, 0xffffffff);
    assert_int_equal(s->seg[X86_SS].attr, 0x3 | X86_SEG_S | X86_SEG_P | X86_SEG_DB | X86_SEG_G);
    assert_int_equal(s->seg[X86_TR].limit, 0x67);
    assert_int_equal(X86_SEG_TYPE(s->seg[X86_TR].attr), 0xb);
    assert_int_equal(gdt_attr(read_u64(&f->m, LAYOUT_GDT + 0x10)), cs->attr);
}

static void test_tables_need_ram(void **state)
{
    (void)state;
    struct guest_mem m;
    static uint8_t tiny[0x4000]; /* ends below the page tables */
    gmem_init_flat(&m, tiny, sizeof(tiny));
    struct x86_state s;
    assert_true(boot_cpu_setup_linux64(&m, &s, 0x1000, 0x2000) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_state),
        cmocka_unit_test_setup_teardown(test_linux64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pvh, setup, teardown),
        cmocka_unit_test(test_tables_need_ram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
