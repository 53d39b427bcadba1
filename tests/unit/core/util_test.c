#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/util.h"

static void test_parse_size(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(parse_size("512", &v)); assert_int_equal(v, 512);
    assert_true(parse_size("64K", &v)); assert_int_equal(v, 65536);
    assert_true(parse_size("256M", &v)); assert_int_equal(v, MiB(256));
    assert_true(parse_size("2G", &v)); assert_int_equal(v, GiB(2));
    assert_true(parse_size("2GiB", &v)); assert_int_equal(v, GiB(2));
    assert_true(parse_size("1g", &v)); assert_int_equal(v, GiB(1));
    assert_false(parse_size("", &v));
    assert_false(parse_size("-1M", &v));
    assert_false(parse_size("12X", &v));
    assert_false(parse_size("M", &v));
    assert_false(parse_size("1M2", &v));
    assert_false(parse_size("99999999999999999999", &v));
    assert_false(parse_size("17179869184G", &v)); /* 2^64 bytes */
}

static void test_ranges(void **state)
{
    (void)state;
    assert_true(range_within(0, 10, 10));
    assert_false(range_within(1, 10, 10));
    assert_false(range_within(11, 0, 10));
    assert_false(range_within(5, UINT64_MAX, 10));
    assert_true(ranges_overlap(0, 10, 9, 1));
    assert_false(ranges_overlap(0, 10, 10, 1));
    assert_true(ranges_overlap(UINT64_MAX, 1, 1, UINT64_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
