#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "devices/fakes.h"
#include "devices/legacy/i8042.h"

struct fixture {
    struct i8042 k;
    struct fake_irq irq;
    struct fake_ctl ctl;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_irq_init(&f->irq);
    fake_ctl_init(&f->ctl);
    struct irq_line kbd = fake_irq_line(&f->irq, 1), aux = fake_irq_line(&f->irq, 12);
    if (i8042_init(&f->k, &kbd, &aux, &f->ctl.ctl) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    i8042_destroy(&f->k);
    free(f);
    return 0;
}

/* The machine's layout: i8042_ops at 0x60, i8042_cmd_ops at 0x64. */
static uint8_t status(struct fixture *f)
{
    return (uint8_t)i8042_cmd_ops.read(&f->k, 0, 1);
}

static void cmd(struct fixture *f, uint8_t c)
{
    i8042_cmd_ops.write(&f->k, 0, c, 1);
}

static uint8_t data_in(struct fixture *f)
{
    return (uint8_t)i8042_ops.read(&f->k, 0, 1);
}

static void data_out(struct fixture *f, uint8_t v)
{
    i8042_ops.write(&f->k, 0, v, 1);
}

/* Reads one controller reply the way Linux's i8042_command does. */
static int reply(struct fixture *f)
{
    if (!(status(f) & I8042_STR_OBF))
        return -1;
    return data_in(f);
}

static void test_self_test_and_interface_tests(void **state)
{
    struct fixture *f = *state;
    assert_false(status(f) & I8042_STR_OBF);
    assert_false(status(f) & I8042_STR_IBF);
    cmd(f, 0xaa);
    assert_true(status(f) & I8042_STR_CMD);
    assert_int_equal(reply(f), 0x55);
    assert_false(status(f) & I8042_STR_OBF);
    cmd(f, 0xab);
    assert_int_equal(reply(f), 0x00);
    cmd(f, 0xa9);
    assert_int_equal(reply(f), 0x00);
    assert_int_equal(reply(f), -1);
    assert_int_equal(f->ctl.count, 0);
}

static void test_command_byte(void **state)
{
    struct fixture *f = *state;
    cmd(f, 0x20);
    uint8_t ctr = (uint8_t)reply(f);
    assert_int_equal(ctr, I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE);
    assert_true(status(f) & I8042_STR_SYS);
    cmd(f, 0x60);
    data_out(f, 0x00);
    assert_false(status(f) & I8042_STR_CMD);
    cmd(f, 0x20);
    assert_int_equal(reply(f), 0x00);
    assert_false(status(f) & I8042_STR_SYS);
    /* Disable/enable bits as Linux's i8042_toggle_aux checks them. */
    cmd(f, 0xa7);
    cmd(f, 0xad);
    cmd(f, 0x20);
    assert_int_equal(reply(f), I8042_CTR_AUXDIS | I8042_CTR_KBDDIS);
    cmd(f, 0xa8);
    cmd(f, 0x20);
    assert_int_equal(reply(f), I8042_CTR_KBDDIS);
    cmd(f, 0xae);
    cmd(f, 0x20);
    assert_int_equal(reply(f), 0);
    /* Other controller RAM bytes. */
    cmd(f, 0x65);
    data_out(f, 0x5a);
    cmd(f, 0x25);
    assert_int_equal(reply(f), 0x5a);
}

static void test_reset_command(void **state)
{
    struct fixture *f = *state;
    cmd(f, 0xff); /* pulses nothing */
    assert_int_equal(f->ctl.count, 0);
    cmd(f, 0xfe);
    assert_int_equal(f->ctl.count, 1);
    assert_int_equal(f->ctl.last, VM_EVENT_RESET);
    cmd(f, 0xf0); /* bit 0 clear pulses reset too */
    assert_int_equal(f->ctl.count, 2);
}

static void test_output_port(void **state)
{
    struct fixture *f = *state;
    cmd(f, 0xd0);
    assert_int_equal(reply(f), I8042_OUT_RESET | I8042_OUT_A20);
    cmd(f, 0xd1);
    data_out(f, I8042_OUT_RESET); /* A20 off, reset line high */
    assert_int_equal(f->ctl.count, 0);
    cmd(f, 0xd0);
    assert_int_equal(reply(f), I8042_OUT_RESET);
    cmd(f, 0xdf);
    cmd(f, 0xd0);
    assert_int_equal(reply(f), I8042_OUT_RESET | I8042_OUT_A20);
    cmd(f, 0xd1);
    data_out(f, I8042_OUT_A20); /* bit 0 clear: reset */
    assert_int_equal(f->ctl.count, 1);
    assert_int_equal(f->ctl.last, VM_EVENT_RESET);
}

static void test_no_keyboard_replies_timeout(void **state)
{
    struct fixture *f = *state;
    assert_false(f->irq.level[1]);
    data_out(f, 0xf2); /* atkbd GETID */
    uint8_t st = status(f);
    assert_true(st & I8042_STR_OBF);
    assert_true(st & I8042_STR_TIMEOUT);
    assert_false(st & I8042_STR_AUXDATA);
    assert_true(f->irq.level[1]);
    assert_int_equal(data_in(f), 0xfe);
    assert_false(f->irq.level[1]);
    assert_false(status(f) & (I8042_STR_OBF | I8042_STR_TIMEOUT));
    /* Reading with nothing queued repeats the last byte, harmlessly. */
    assert_int_equal(data_in(f), 0xfe);
    /* No mouse either. */
    cmd(f, 0xd4);
    data_out(f, 0xf2);
    st = status(f);
    assert_true(st & I8042_STR_AUXDATA);
    assert_true(st & I8042_STR_TIMEOUT);
    assert_int_equal(data_in(f), 0xfe);
}

static void test_aux_loopback_and_irq(void **state)
{
    struct fixture *f = *state;
    /* Linux's i8042_set_mux_mode: a plain loopback returns every byte
     * unchanged, so the third check reports "no multiplexer". */
    static const uint8_t seq[3] = { 0xf0, 0x56, 0xa4 };
    for (unsigned i = 0; i < 3; i++) {
        cmd(f, 0xd3);
        data_out(f, seq[i]);
        assert_true(status(f) & I8042_STR_AUXDATA);
        assert_int_equal(reply(f), seq[i]);
    }
    assert_false(f->irq.level[12]); /* AUX interrupt off by default */
    cmd(f, 0x60);
    data_out(f, I8042_CTR_AUXINT | I8042_CTR_SYS);
    cmd(f, 0xd3);
    data_out(f, 0x5a);
    assert_true(f->irq.level[12]);
    assert_false(f->irq.level[1]);
    assert_int_equal(data_in(f), 0x5a);
    assert_false(f->irq.level[12]);
}

static void test_queued_bytes_give_one_edge_each(void **state)
{
    struct fixture *f = *state;
    cmd(f, 0xd2);
    data_out(f, 0x11);
    cmd(f, 0xd2);
    data_out(f, 0x22);
    assert_true(f->irq.level[1]);
    assert_int_equal(f->irq.rises[1], 1);
    assert_int_equal(data_in(f), 0x11);
    assert_true(f->irq.level[1]);
    assert_int_equal(f->irq.rises[1], 2);
    assert_int_equal(data_in(f), 0x22);
    assert_false(f->irq.level[1]);
    /* Enabling the interrupt with a byte waiting raises the line. */
    cmd(f, 0x60);
    data_out(f, 0);
    cmd(f, 0xaa);
    assert_false(f->irq.level[1]);
    cmd(f, 0x60);
    data_out(f, I8042_CTR_KBDINT);
    assert_true(f->irq.level[1]);
    assert_int_equal(data_in(f), 0x55);
    assert_false(f->irq.level[1]);
}

static void test_unknown_and_odd_accesses(void **state)
{
    struct fixture *f = *state;
    cmd(f, 0x00);
    cmd(f, 0xc9);
    assert_false(status(f) & I8042_STR_OBF);
    /* Offsets 1-3 of a 0x60-0x64 range are not the controller's. */
    assert_int_equal(i8042_ops.read(&f->k, 1, 1), 0xff);
    i8042_ops.write(&f->k, 1, 0xfe, 1);
    assert_int_equal(f->ctl.count, 0);
    /* A 2-byte access at 0x63 reaches the status port with its high byte. */
    uint64_t v = i8042_ops.read(&f->k, 3, 2);
    assert_int_equal(v & 0xff, 0xff);
    assert_true((v >> 8) & I8042_STR_UNLOCK);
    /* Filling the queue past its size drops bytes without harm. */
    for (unsigned i = 0; i < 3 * I8042_QUEUE_LEN; i++)
        cmd(f, 0xaa);
    unsigned n = 0;
    while (reply(f) == 0x55)
        n++;
    assert_int_equal(n, I8042_QUEUE_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_self_test_and_interface_tests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_keyboard_replies_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aux_loopback_and_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queued_bytes_give_one_edge_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_odd_accesses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
