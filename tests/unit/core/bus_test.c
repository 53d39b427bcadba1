#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/bus.h"

struct fake { uint64_t last_off, last_val; unsigned last_size; int writes; };

static uint64_t fake_read(void *dev, uint64_t off, unsigned size)
{
    struct fake *f = dev;
    f->last_off = off;
    f->last_size = size;
    return 0x1122334455667788ull;
}

static void fake_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct fake *f = dev;
    f->last_off = off;
    f->last_val = val;
    f->last_size = size;
    f->writes++;
}

static const struct bus_dev_ops fake_ops = { fake_read, fake_write };

static void test_register_rejects_bad_ranges(void **state)
{
    (void)state;
    struct bus b;
    struct fake f = {0};
    bus_init(&b, "test");
    assert_int_equal(bus_register(&b, 0x100, 0, &fake_ops, &f, "zero"), BUS_EINVAL);
    assert_int_equal(bus_register(&b, UINT64_MAX - 1, 4, &fake_ops, &f, "wrap"), BUS_EINVAL);
    assert_int_equal(bus_register(&b, 0x100, 0x10, &fake_ops, &f, "a"), BUS_OK);
    assert_int_equal(bus_register(&b, 0x10f, 1, &fake_ops, &f, "overlap end"), BUS_EBUSY);
    assert_int_equal(bus_register(&b, 0xf0, 0x11, &fake_ops, &f, "overlap start"), BUS_EBUSY);
    assert_int_equal(bus_register(&b, 0x80, 0x200, &fake_ops, &f, "covers"), BUS_EBUSY);
    assert_int_equal(bus_register(&b, 0x110, 0x10, &fake_ops, &f, "adjacent"), BUS_OK);
    assert_int_equal(bus_register(&b, 0xf0, 0x10, &fake_ops, &f, "adjacent below"), BUS_OK);
    assert_int_equal(bus_register(&b, UINT64_MAX, 1, &fake_ops, &f, "last byte"), BUS_OK);
    bus_destroy(&b);
}

static void test_dispatch_offsets_and_sizes(void **state)
{
    (void)state;
    struct bus b;
    struct fake f1 = {0}, f2 = {0};
    bus_init(&b, "test");
    for (int i = 0; i < 40; i++) /* force growth and sorting */
        assert_int_equal(bus_register(&b, 0x10000 - (uint64_t)i * 0x100, 0x10, &fake_ops, &f2, "x"), BUS_OK);
    assert_int_equal(bus_register(&b, 0x3f8, 8, &fake_ops, &f1, "uart"), BUS_OK);
    uint32_t v = 0xdeadbeef;
    assert_true(bus_write(&b, 0x3fd, &v, 4) == false); /* crosses the end of the range */
    assert_int_equal(f1.writes, 0);
    assert_true(bus_write(&b, 0x3fc, &v, 4));
    assert_int_equal(f1.last_off, 4);
    assert_int_equal(f1.last_val, 0xdeadbeef);
    assert_int_equal(f1.last_size, 4);
    uint16_t r = 0;
    assert_true(bus_read(&b, 0x3f9, &r, 2));
    assert_int_equal(r, 0x7788);
    assert_int_equal(f1.last_off, 1);
    uint8_t u = 0;
    assert_false(bus_read(&b, 0x3f0, &u, 1));
    assert_int_equal(u, 0xff);
    assert_true(bus_read(&b, 0x10000 - 39 * 0x100 + 0xf, &u, 1));
    assert_int_equal(f2.last_off, 0xf);
    bus_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_rejects_bad_ranges),
        cmocka_unit_test(test_dispatch_offsets_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
