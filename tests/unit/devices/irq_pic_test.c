/* devices/irq/pic: the 8259A pair through its ports, as Linux programs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "devices/irq/pic.h"

struct intr_rec {
    bool level;
    int changes;
};

static void on_intr(void *ctx, bool level)
{
    struct intr_rec *r = ctx;
    r->level = level;
    r->changes++;
}

static const struct bus_dev_ops *ops_for(unsigned port)
{
    if ((port & ~1u) == PIC_MASTER_PORT)
        return &pic_master_ops;
    if ((port & ~1u) == PIC_SLAVE_PORT)
        return &pic_slave_ops;
    return &pic_elcr_ops;
}

static void outb(struct pic *p, unsigned port, uint8_t v)
{
    ops_for(port)->write(p, port & 1, v, 1);
}

static uint8_t inb(struct pic *p, unsigned port)
{
    return (uint8_t)ops_for(port)->read(p, port & 1, 1);
}

/* The sequence of Linux's init_8259A(): master vectors 0x20, slave 0x28. */
static void linux_init(struct pic *p, bool auto_eoi)
{
    outb(p, 0x21, 0xff);
    outb(p, 0xa1, 0xff);
    outb(p, 0x20, 0x11);
    outb(p, 0x21, 0x20);
    outb(p, 0x21, 0x04);
    outb(p, 0x21, auto_eoi ? 0x03 : 0x01);
    outb(p, 0xa0, 0x11);
    outb(p, 0xa1, 0x28);
    outb(p, 0xa1, 0x02);
    outb(p, 0xa1, 0x01);
    outb(p, 0x21, 0x00);
    outb(p, 0xa1, 0x00);
}

static uint8_t read_isr(struct pic *p, unsigned cmd_port)
{
    outb(p, cmd_port, 0x0b);
    uint8_t v = inb(p, cmd_port);
    outb(p, cmd_port, 0x0a);
    return v;
}

static void eoi(struct pic *p, unsigned cmd_port) { outb(p, cmd_port, 0x20); }

static int setup(void **state)
{
    static struct pic p;
    static struct intr_rec r;
    r = (struct intr_rec){ 0 };
    assert_int_equal(pic_init(&p, on_intr, &r), 0);
    linux_init(&p, false);
    state[0] = &p;
    return 0;
}

static int teardown(void **state)
{
    pic_destroy(state[0]);
    return 0;
}

static struct intr_rec *rec_of(struct pic *p) { return p->intr_ctx; }

static void pulse(struct pic *p, unsigned irq)
{
    pic_set_irq(p, irq, true);
    pic_set_irq(p, irq, false);
}

static void test_init_deliver_eoi(void **state)
{
    struct pic *p = state[0];
    assert_int_equal(inb(p, 0x21), 0x00);
    assert_false(pic_has_interrupt(p));
    pulse(p, 1);
    assert_true(pic_has_interrupt(p));
    assert_true(rec_of(p)->level);
    assert_int_equal(inb(p, 0x20), 0x02); /* IRR */
    assert_int_equal(pic_ack(p), 0x21);
    assert_false(rec_of(p)->level);
    assert_int_equal(read_isr(p, 0x20), 0x02);
    assert_int_equal(inb(p, 0x20), 0x00); /* IRR cleared by INTA */
    eoi(p, 0x20);
    assert_int_equal(read_isr(p, 0x20), 0x00);
}

static void test_priority_and_nesting(void **state)
{
    struct pic *p = state[0];
    pulse(p, 3);
    pulse(p, 1);
    assert_int_equal(pic_ack(p), 0x21); /* IRQ1 beats IRQ3 */
    assert_false(pic_has_interrupt(p)); /* IRQ3 waits behind in-service IRQ1 */
    eoi(p, 0x20);
    assert_true(pic_has_interrupt(p));
    assert_int_equal(pic_ack(p), 0x23);
    pulse(p, 0); /* higher priority nests */
    assert_true(pic_has_interrupt(p));
    assert_int_equal(pic_ack(p), 0x20);
    assert_int_equal(read_isr(p, 0x20), 0x09);
    eoi(p, 0x20); /* non-specific EOI clears the highest: IRQ0 */
    assert_int_equal(read_isr(p, 0x20), 0x08);
    outb(p, 0x20, 0x63); /* specific EOI for IRQ3 */
    assert_int_equal(read_isr(p, 0x20), 0x00);
}

static void test_mask(void **state)
{
    struct pic *p = state[0];
    outb(p, 0x21, 0x10);
    pulse(p, 4);
    assert_false(pic_has_interrupt(p));
    assert_int_equal(inb(p, 0x20), 0x10); /* latched in IRR while masked */
    outb(p, 0x21, 0x00);
    assert_true(pic_has_interrupt(p));
    assert_int_equal(pic_ack(p), 0x24);
}

static void test_cascade(void **state)
{
    struct pic *p = state[0];
    pulse(p, 10);
    assert_true(pic_has_interrupt(p));
    assert_int_equal(pic_ack(p), 0x2a);
    assert_int_equal(read_isr(p, 0x20), 0x04);
    assert_int_equal(read_isr(p, 0xa0), 0x04);
    /* Masking the cascade input hides every slave IRQ. */
    eoi(p, 0xa0);
    eoi(p, 0x20);
    outb(p, 0x21, 0x04);
    pulse(p, 12);
    assert_false(pic_has_interrupt(p));
    outb(p, 0x21, 0x00);
    assert_int_equal(pic_ack(p), 0x2c);
}

static void test_elcr_level_triggered(void **state)
{
    struct pic *p = state[0];
    outb(p, 0x4d0, 0xff);
    assert_int_equal(inb(p, 0x4d0), 0xf8); /* IRQ0-2 are always edge */
    outb(p, 0x4d1, 0xff);
    assert_int_equal(inb(p, 0x4d1), 0xde); /* IRQ8 and IRQ13 too */
    outb(p, 0x4d0, 0x00);
    outb(p, 0x4d1, 0x04); /* IRQ10 level */

    pic_set_irq(p, 10, true);
    assert_int_equal(pic_ack(p), 0x2a);
    eoi(p, 0xa0);
    eoi(p, 0x20);
    /* The line is still high: it interrupts again. */
    assert_true(pic_has_interrupt(p));
    assert_int_equal(pic_ack(p), 0x2a);
    pic_set_irq(p, 10, false);
    eoi(p, 0xa0);
    eoi(p, 0x20);
    assert_false(pic_has_interrupt(p));

    /* An edge input held high interrupts once. */
    pic_set_irq(p, 11, true);
    assert_int_equal(pic_ack(p), 0x2b);
    eoi(p, 0xa0);
    eoi(p, 0x20);
    assert_false(pic_has_interrupt(p));
    pic_set_irq(p, 11, false);
}

static void test_spurious(void **state)
{
    struct pic *p = state[0];
    outb(p, 0x4d0, 0x20); /* IRQ5 level */
    pic_set_irq(p, 5, true);
    assert_true(rec_of(p)->level);
    pic_set_irq(p, 5, false); /* gone before the INTA cycle */
    assert_int_equal(pic_ack(p), 0x27);
    assert_int_equal(read_isr(p, 0x20), 0x00); /* spurious: no ISR bit */

    /* Through the slave: the master latched IR2, the slave lost its request. */
    outb(p, 0x4d1, 0x02); /* IRQ9 level */
    pic_set_irq(p, 9, true);
    pic_set_irq(p, 9, false);
    assert_true(pic_has_interrupt(p));
    assert_int_equal(pic_ack(p), 0x2f);
    assert_int_equal(read_isr(p, 0xa0), 0x00);
    assert_int_equal(read_isr(p, 0x20), 0x04); /* the OS EOIs the master */
}

static void test_poll_mode(void **state)
{
    struct pic *p = state[0];
    outb(p, 0x20, 0x0c); /* OCW3 poll */
    assert_int_equal(inb(p, 0x20), 0x00); /* nothing pending */
    pulse(p, 6);
    outb(p, 0x20, 0x0c);
    assert_int_equal(inb(p, 0x20), 0x86);
    assert_int_equal(read_isr(p, 0x20), 0x40); /* poll acknowledges */
    assert_false(pic_has_interrupt(p));
}

static void test_auto_eoi(void **state)
{
    struct pic *p = state[0];
    linux_init(p, true);
    pulse(p, 3);
    assert_int_equal(pic_ack(p), 0x23);
    assert_int_equal(read_isr(p, 0x20), 0x00);
    pulse(p, 4); /* lower priority is not blocked: nothing in service */
    assert_true(pic_has_interrupt(p));
}

static void test_rotation(void **state)
{
    struct pic *p = state[0];
    outb(p, 0x20, 0xc4); /* set priority: IRQ4 lowest, IRQ5 highest */
    pulse(p, 1);
    pulse(p, 6);
    assert_int_equal(pic_ack(p), 0x26);
    outb(p, 0x20, 0xa0); /* rotate on non-specific EOI: IRQ6 becomes lowest */
    assert_int_equal(pic_ack(p), 0x21);
    outb(p, 0x20, 0x20);
    pulse(p, 6);
    pulse(p, 7);
    assert_int_equal(pic_ack(p), 0x27); /* IRQ7 now the highest */
}

static void test_special_mask_mode(void **state)
{
    struct pic *p = state[0];
    pulse(p, 3);
    assert_int_equal(pic_ack(p), 0x23);
    pulse(p, 5);
    assert_false(pic_has_interrupt(p)); /* lower priority than IRQ3 in service */
    outb(p, 0x21, 0x08);                /* mask IRQ3 */
    outb(p, 0x20, 0x68);                /* OCW3: set special mask mode */
    assert_true(pic_has_interrupt(p));
    assert_int_equal(pic_ack(p), 0x25);
    outb(p, 0x20, 0x48); /* reset special mask mode */
    outb(p, 0x20, 0x65);
    outb(p, 0x20, 0x63);
    outb(p, 0x21, 0x00);
    assert_int_equal(read_isr(p, 0x20), 0x00);
}

static void test_icw1_resets_edge_sense(void **state)
{
    struct pic *p = state[0];
    pic_set_irq(p, 4, true);
    linux_init(p, false); /* IRR cleared, line still high */
    assert_false(pic_has_interrupt(p));
    pic_set_irq(p, 4, false);
    pic_set_irq(p, 4, true);
    assert_int_equal(pic_ack(p), 0x24);
    pic_set_irq(p, 4, false);
}

static void test_word_access_and_reset(void **state)
{
    struct pic *p = state[0];
    /* A 16-bit write to 0x20 writes 0x20 then 0x21. */
    pic_master_ops.write(p, 0, 0x5a0a, 2); /* OCW3 read ISR, IMR = 0x5a */
    assert_int_equal(inb(p, 0x21), 0x5a);
    assert_int_equal(pic_master_ops.read(p, 0, 2) & 0xff00, 0x5a00);
    pic_reset(p);
    assert_int_equal(inb(p, 0x21), 0x00);
    assert_false(pic_has_interrupt(p));
    pic_set_irq(p, 2, true); /* the cascade input is not an external IRQ */
    pic_set_irq(p, 16, true);
    assert_int_equal(inb(p, 0x20), 0x00);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_deliver_eoi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_and_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elcr_level_triggered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spurious, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_eoi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_mask_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icw1_resets_edge_sense, setup, teardown),
        cmocka_unit_test_setup_teardown(test_word_access_and_reset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
