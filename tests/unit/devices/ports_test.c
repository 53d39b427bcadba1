#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "common/util.h"
#include "devices/fakes.h"
#include "devices/legacy/debug_exit.h"
#include "devices/legacy/ports.h"

static void test_port_a(void **state)
{
    (void)state;
    struct fake_ctl ctl;
    struct ports p;
    fake_ctl_init(&ctl);
    assert_int_equal(ports_init(&p, &ctl.ctl), 0);
    assert_int_equal(ports_port_a_ops.read(&p, 0, 1), PORTS_A_A20);
    ports_port_a_ops.write(&p, 0, 0, 1); /* A20 off: remembered only */
    assert_int_equal(ports_port_a_ops.read(&p, 0, 1), 0);
    assert_int_equal(ctl.count, 0);
    ports_port_a_ops.write(&p, 0, PORTS_A_A20 | PORTS_A_RESET, 1);
    assert_int_equal(ctl.count, 1);
    assert_int_equal(ctl.last, VM_EVENT_RESET);
    assert_int_equal(ports_port_a_ops.read(&p, 0, 1), PORTS_A_A20);
    ports_destroy(&p);
}

static void test_reset_control_register(void **state)
{
    (void)state;
    struct fake_ctl ctl;
    struct ports p;
    fake_ctl_init(&ctl);
    assert_int_equal(ports_init(&p, &ctl.ctl), 0);
    /* Linux's reboot=pci: 0x02 first (no reset), then 0x06. */
    ports_rcr_ops.write(&p, 0, 0x02, 1);
    assert_int_equal(ctl.count, 0);
    assert_int_equal(ports_rcr_ops.read(&p, 0, 1), 0x02);
    ports_rcr_ops.write(&p, 0, 0x06, 1);
    assert_int_equal(ctl.count, 1);
    assert_int_equal(ctl.last, VM_EVENT_RESET);
    assert_int_equal(ports_rcr_ops.read(&p, 0, 1), 0x02); /* RST_CPU self-clears */
    ports_rcr_ops.write(&p, 0, 0x0e, 1);
    assert_int_equal(ctl.count, 2);
    assert_int_equal(ports_rcr_ops.read(&p, 0, 1), 0x0a);
    ports_destroy(&p);
}

static bool claimed(uint16_t port)
{
    for (size_t i = 0; i < ports_ignored_count; i++)
        if (port >= ports_ignored[i].base && port - ports_ignored[i].base < ports_ignored[i].len)
            return true;
    return false;
}

static void test_ignored_ports(void **state)
{
    (void)state;
    assert_true(claimed(0x80));
    assert_true(claimed(0x00));
    assert_true(claimed(0x87));
    assert_true(claimed(0xc0));
    /* Owned by other devices. */
    static const uint16_t others[] = { 0x20, 0x21, 0x40, 0x43, 0x60, 0x61, 0x64, 0x70, 0x71,
                                       0x92, 0xa0, 0xa1, 0xf4, 0x3f8, 0x4d0, 0x4d1, 0x600,
                                       0xcf8, 0xcf9, 0xcfc, 0xcff };
    for (size_t i = 0; i < ARRAY_SIZE(others); i++)
        assert_false(claimed(others[i]));
    assert_int_equal(ports_ignore_ops.read(NULL, 0, 1), 0xff);
    assert_int_equal(ports_ignore_ops.read(NULL, 0, 2), 0xffff);
    assert_int_equal(ports_ignore_ops.read(NULL, 0, 8), ~0ull);
    ports_ignore_ops.write(NULL, 0, 0x55, 1);
}

static void test_debug_exit(void **state)
{
    (void)state;
    struct fake_ctl ctl;
    struct debug_exit d;
    fake_ctl_init(&ctl);
    assert_int_equal(debug_exit_init(&d, &ctl.ctl, 3), -22);
    assert_int_equal(debug_exit_init(&d, &ctl.ctl, 8), -22);
    assert_int_equal(debug_exit_init(&d, &ctl.ctl, 4), 0);
    assert_int_equal(d.iosize, 4);
    debug_exit_ops.write(&d, 0, 0x10, 1);
    assert_int_equal(ctl.count, 1);
    assert_int_equal(ctl.last, VM_EVENT_EXIT_CODE);
    assert_int_equal(ctl.last_code, 0x21);
    debug_exit_ops.write(&d, 0, 0, 1);
    assert_int_equal(ctl.last_code, 1);
    debug_exit_ops.write(&d, 0, 0xabcd1234, 2); /* only the access size counts */
    assert_int_equal(ctl.last_code, 0x2469);
    debug_exit_ops.write(&d, 0, 0xffffffff, 4);
    assert_int_equal(ctl.last_code, INT_MAX);
    assert_int_equal(debug_exit_ops.read(&d, 0, 4), 0);
    assert_int_equal(ctl.count, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_a),
        cmocka_unit_test(test_reset_control_register),
        cmocka_unit_test(test_ignored_ports),
        cmocka_unit_test(test_debug_exit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
