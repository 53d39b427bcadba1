#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/guest_mem.h"
#include "common/util.h"

static void test_layout_around_hole(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(gmem_init(&m, MiB(64), MiB(32), MiB(48)), 0);
    assert_int_equal(m.nregions, 2);
    assert_int_equal(m.region[0].size, MiB(32));
    assert_int_equal(m.region[1].gpa, MiB(48));
    assert_int_equal(m.region[1].size, MiB(32));
    assert_non_null(gmem_ptr(&m, 0, MiB(32)));
    assert_null(gmem_ptr(&m, 0, MiB(32) + 1));      /* runs into the hole */
    assert_null(gmem_ptr(&m, MiB(40), 1));          /* inside the hole */
    assert_non_null(gmem_ptr(&m, MiB(80) - 1, 1));  /* last byte */
    assert_null(gmem_ptr(&m, MiB(80), 1));          /* past the end */
    assert_null(gmem_ptr(&m, MiB(48), UINT64_MAX)); /* length wraps */
    assert_null(gmem_ptr(&m, UINT64_MAX, 2));
    gmem_destroy(&m);
}

static void test_copy_is_all_or_nothing(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(gmem_init(&m, MiB(8), MiB(4), MiB(6)), 0);
    uint8_t buf[16];
    memset(buf, 0xab, sizeof(buf));
    assert_int_equal(gmem_write(&m, MiB(4) - 8, buf, 16), -EFAULT);
    assert_int_equal(*(uint8_t *)gmem_ptr(&m, MiB(4) - 8, 1), 0);
    assert_int_equal(gmem_write(&m, MiB(4) - 16, buf, 16), 0);
    uint8_t out[16] = {0};
    assert_int_equal(gmem_read(&m, MiB(4) - 16, out, 16), 0);
    assert_memory_equal(out, buf, 16);
    assert_int_equal(gmem_read(&m, MiB(10), out, 1), -EFAULT);
    gmem_destroy(&m);
}

static void test_bad_init(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(gmem_init(&m, 0, MiB(4), MiB(6)), -EINVAL);
    assert_int_equal(gmem_init(&m, 4097, MiB(4), MiB(6)), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_around_hole),
        cmocka_unit_test(test_copy_is_all_or_nothing),
        cmocka_unit_test(test_bad_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
