/* devices/irq/ioapic: redirection, edge/level delivery, remote IRR and EOI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "devices/irq/ioapic.h"

struct fixture {
    struct ioapic io;
    struct apic_msg msgs[16];
    int n;
};

static void record(void *ctx, const struct apic_msg *m)
{
    struct fixture *f = ctx;
    assert_true(f->n < 16);
    f->msgs[f->n++] = *m;
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    assert_int_equal(ioapic_init(&f->io, 4, record, f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ioapic_destroy(&f->io);
    test_free(f);
    return 0;
}

static uint32_t reg_read(struct fixture *f, uint32_t index)
{
    ioapic_mmio_ops.write(&f->io, 0x00, index, 4);
    return (uint32_t)ioapic_mmio_ops.read(&f->io, 0x10, 4);
}

static void reg_write(struct fixture *f, uint32_t index, uint32_t v)
{
    ioapic_mmio_ops.write(&f->io, 0x00, index, 4);
    ioapic_mmio_ops.write(&f->io, 0x10, v, 4);
}

static void route(struct fixture *f, unsigned pin, uint32_t lo, uint8_t dest)
{
    reg_write(f, 0x11 + 2 * pin, (uint32_t)dest << 24);
    reg_write(f, 0x10 + 2 * pin, lo);
}

#define LEVEL (1u << 15)
#define MASKED (1u << 16)
#define REMOTE_IRR (1u << 14)
#define LOGICAL (1u << 11)

static void test_identity_registers(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(reg_read(f, 0x01), 0x00170020); /* version 0x20, 24 pins */
    assert_int_equal(reg_read(f, 0x00), 4u << 24);   /* the ID it was given */
    reg_write(f, 0x00, 0x0a000000);
    assert_int_equal(reg_read(f, 0x00), 0x0a000000);
    assert_int_equal(reg_read(f, 0x02), 0x0a000000); /* arbitration ID */
    reg_write(f, 0x01, 0);
    assert_int_equal(reg_read(f, 0x01), 0x00170020); /* read-only */
    assert_int_equal(reg_read(f, 0x40), 0);          /* past the table */
    /* Every pin starts masked. */
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        assert_int_equal(reg_read(f, 0x10 + 2 * pin), MASKED);
}

static void test_redirection_entry_bits(void **state)
{
    struct fixture *f = *state;
    reg_write(f, 0x10 + 2 * 5, 0xffffffff);
    /* delivery status (12), remote IRR (14) and bits 31:17 are not writable */
    assert_int_equal(reg_read(f, 0x10 + 2 * 5), 0x0001afff);
    reg_write(f, 0x11 + 2 * 5, 0xffffffff);
    assert_int_equal(reg_read(f, 0x11 + 2 * 5), 0xff000000);
    /* Sub-dword reads of the window. */
    reg_write(f, 0x10 + 2 * 6, 0x0001a0c3);
    ioapic_mmio_ops.write(&f->io, 0x00, 0x10 + 2 * 6, 1); /* a byte write selects */
    assert_int_equal(ioapic_mmio_ops.read(&f->io, 0x10, 1), 0xc3);
    assert_int_equal(ioapic_mmio_ops.read(&f->io, 0x11, 1), 0xa0);
    assert_int_equal(ioapic_mmio_ops.read(&f->io, 0x00, 4), 0x1c);
    assert_int_equal(ioapic_mmio_ops.read(&f->io, 0x20, 4), 0);
}

static void test_edge_delivery(void **state)
{
    struct fixture *f = *state;
    route(f, 4, 0x31, 1);
    ioapic_set_irq(&f->io, 4, true);
    assert_int_equal(f->n, 1);
    assert_int_equal(f->msgs[0].vector, 0x31);
    assert_int_equal(f->msgs[0].dest, 1);
    assert_int_equal(f->msgs[0].delivery, APIC_DM_FIXED);
    assert_false(f->msgs[0].logical);
    assert_false(f->msgs[0].level);
    ioapic_set_irq(&f->io, 4, true); /* no edge */
    assert_int_equal(f->n, 1);
    ioapic_set_irq(&f->io, 4, false);
    ioapic_set_irq(&f->io, 4, true);
    assert_int_equal(f->n, 2);
    ioapic_set_irq(&f->io, 4, false);
    /* An edge while masked is lost. */
    route(f, 4, 0x31 | MASKED, 1);
    ioapic_set_irq(&f->io, 4, true);
    ioapic_set_irq(&f->io, 4, false);
    route(f, 4, 0x31, 1);
    assert_int_equal(f->n, 2);
    /* Other delivery modes and logical destinations pass through. */
    route(f, 7, 0x00 | APIC_DM_EXTINT << 8 | LOGICAL, 0x03);
    ioapic_set_irq(&f->io, 7, true);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->msgs[2].delivery, APIC_DM_EXTINT);
    assert_true(f->msgs[2].logical);
    assert_int_equal(f->msgs[2].dest, 0x03);
    /* Reserved delivery modes are dropped. */
    route(f, 8, 0x40 | 3 << 8, 0);
    ioapic_set_irq(&f->io, 8, true);
    assert_int_equal(f->n, 3);
    ioapic_set_irq(&f->io, 99, true); /* no such pin */
    assert_int_equal(f->n, 3);
}

static void test_level_remote_irr_and_eoi(void **state)
{
    struct fixture *f = *state;
    route(f, 10, 0x41 | LEVEL, 0);
    ioapic_set_irq(&f->io, 10, true);
    assert_int_equal(f->n, 1);
    assert_true(f->msgs[0].level);
    assert_true(reg_read(f, 0x10 + 2 * 10) & REMOTE_IRR);
    ioapic_set_irq(&f->io, 10, true);
    assert_int_equal(f->n, 1); /* waits for the EOI */
    ioapic_eoi(&f->io, 0x42);  /* another vector: no effect */
    assert_int_equal(f->n, 1);
    ioapic_eoi(&f->io, 0x41);  /* still asserted: delivered again */
    assert_int_equal(f->n, 2);
    assert_true(reg_read(f, 0x10 + 2 * 10) & REMOTE_IRR);
    ioapic_set_irq(&f->io, 10, false);
    ioapic_eoi(&f->io, 0x41);
    assert_int_equal(f->n, 2);
    assert_false(reg_read(f, 0x10 + 2 * 10) & REMOTE_IRR);
    /* The EOI register (version 0x20) does the same. */
    ioapic_set_irq(&f->io, 10, true);
    ioapic_mmio_ops.write(&f->io, 0x40, 0x41, 4);
    assert_int_equal(f->n, 4);
    ioapic_set_irq(&f->io, 10, false);
    ioapic_mmio_ops.write(&f->io, 0x40, 0x41, 4);
    assert_int_equal(f->n, 4);
}

static void test_level_masking(void **state)
{
    struct fixture *f = *state;
    route(f, 11, 0x51 | LEVEL | MASKED, 2);
    ioapic_set_irq(&f->io, 11, true);
    assert_int_equal(f->n, 0);
    route(f, 11, 0x51 | LEVEL, 2); /* unmasked while asserted */
    assert_int_equal(f->n, 1);
    assert_int_equal(f->msgs[0].dest, 2);
    /* Mask while awaiting EOI: the EOI does not deliver, the unmask does. */
    route(f, 11, 0x51 | LEVEL | MASKED, 2);
    ioapic_eoi(&f->io, 0x51);
    assert_int_equal(f->n, 1);
    route(f, 11, 0x51 | LEVEL, 2);
    assert_int_equal(f->n, 2);
    /* Switching to edge drops remote IRR. */
    route(f, 11, 0x51 | MASKED, 2);
    assert_false(reg_read(f, 0x10 + 2 * 11) & REMOTE_IRR);
    ioapic_reset(&f->io);
    assert_int_equal(reg_read(f, 0x10 + 2 * 11), MASKED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirection_entry_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_remote_irr_and_eoi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_masking, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
