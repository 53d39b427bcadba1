/* e820_build for RAM below, exactly at and across the 32-bit hole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "loaders/e820.h"
#include "machine/layout.h"

static bool e820_overlaps(const struct e820_entry *e, uint64_t a, uint64_t len)
{
    return ranges_overlap(e->addr, e->size, a, len);
}

/* Checks the invariants every map must have and returns the entry count. */
static int check_map(uint64_t ram, struct e820_entry *e)
{
    struct guest_mem m;
    assert_int_equal(gmem_init(&m, ram, LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
    int n = e820_build(e, E820_MAX_BUILT, &m);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        assert_true(e[i].size > 0);
        if (i)
            assert_true(e[i - 1].addr + e[i - 1].size <= e[i].addr); /* sorted, disjoint */
        /* RAM entries are backed by guest memory and never in the hole. */
        if (e[i].type == E820_RAM) {
            assert_non_null(gmem_ptr(&m, e[i].addr, e[i].size));
            assert_false(e820_overlaps(&e[i], LAYOUT_MMIO_HOLE_START,
                                       LAYOUT_MMIO_HOLE_END - LAYOUT_MMIO_HOLE_START));
        }
    }
    /* Usable RAM is all of RAM but the 0x9fc00-0x100000 legacy window. */
    assert_int_equal(e820_total(e, (size_t)n, E820_RAM) + (LAYOUT_HIMEM - LAYOUT_EBDA), ram);

    assert_int_equal(e[0].addr, 0);
    assert_int_equal(e[0].size, LAYOUT_EBDA);
    assert_int_equal(e[0].type, E820_RAM);
    assert_int_equal(e[1].addr, LAYOUT_EBDA);
    assert_int_equal(e[1].addr + e[1].size, LAYOUT_HIMEM);
    assert_int_equal(e[1].type, E820_RESERVED);
    /* The ACPI tables' area is inside that reserved window. */
    assert_true(LAYOUT_ACPI >= e[1].addr && LAYOUT_ACPI + LAYOUT_ACPI_SIZE <= LAYOUT_HIMEM);
    assert_int_equal(e[2].addr, LAYOUT_HIMEM);
    assert_int_equal(e[2].type, E820_RAM);

    /* In the hole only the ECAM window is listed, as reserved. */
    int in_hole = 0;
    for (int i = 0; i < n; i++) {
        if (e820_overlaps(&e[i], LAYOUT_MMIO_HOLE_START,
                          LAYOUT_MMIO_HOLE_END - LAYOUT_MMIO_HOLE_START)) {
            in_hole++;
            assert_int_equal(e[i].addr, LAYOUT_PCI_ECAM);
            assert_int_equal(e[i].size, LAYOUT_PCI_ECAM_SIZE);
            assert_int_equal(e[i].type, E820_RESERVED);
        }
    }
    assert_int_equal(in_hole, 1);
    gmem_destroy(&m);
    return n;
}

static void test_64m(void **state)
{
    (void)state;
    struct e820_entry e[E820_MAX_BUILT];
    assert_int_equal(check_map(MiB(64), e), 4);
    assert_int_equal(e[2].addr + e[2].size, MiB(64));
}

static void test_3g_fills_to_hole(void **state)
{
    (void)state;
    struct e820_entry e[E820_MAX_BUILT];
    assert_int_equal(check_map(GiB(3), e), 4);
    assert_int_equal(e[2].addr + e[2].size, LAYOUT_MMIO_HOLE_START);
}

static void test_5g_spans_hole(void **state)
{
    (void)state;
    struct e820_entry e[E820_MAX_BUILT];
    assert_int_equal(check_map(GiB(5), e), 5);
    assert_int_equal(e[2].addr + e[2].size, LAYOUT_MMIO_HOLE_START);
    assert_int_equal(e[4].addr, LAYOUT_MMIO_HOLE_END);
    assert_int_equal(e[4].size, GiB(2));
    assert_int_equal(e[4].type, E820_RAM);
}

static void test_bad_layouts(void **state)
{
    (void)state;
    struct e820_entry e[E820_MAX_BUILT];
    struct guest_mem m;
    static uint8_t ram[MiB(1)];
    gmem_init_flat(&m, ram, sizeof(ram)); /* 1 MiB: too small */
    assert_int_equal(e820_build(e, E820_MAX_BUILT, &m), -EINVAL);

    assert_int_equal(gmem_init(&m, GiB(5), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
    assert_int_equal(e820_build(e, 4, &m), -ENOSPC);
    m.region[1].gpa = GiB(3) + MiB(512); /* high RAM inside the hole */
    assert_int_equal(e820_build(e, E820_MAX_BUILT, &m), -EINVAL);
    m.region[1].gpa = LAYOUT_MMIO_HOLE_END;
    gmem_destroy(&m);

    struct guest_mem empty = { 0 };
    assert_int_equal(e820_build(e, E820_MAX_BUILT, &empty), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_64m),
        cmocka_unit_test(test_3g_fills_to_hole),
        cmocka_unit_test(test_5g_spans_hole),
        cmocka_unit_test(test_bad_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
