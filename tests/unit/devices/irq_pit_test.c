/* devices/irq/pit: the 8254 against a manual guest clock, including the
 * channel 2 sequences Linux's TSC calibration runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/util.h"
#include "core/clock.h"
#include "core/irq.h"
#include "core/timer.h"
#include "devices/irq/pit.h"

#define US 1000ull
#define MS 1000000ull

struct fixture {
    struct vclock clk;
    struct timer_queue q;
    struct pit pit;
    struct irq_chip chip;
    int rises;      /* rising edges seen on GSI 0 */
    bool level;
    uint64_t first_rise_ns;
};

static void fake_set_level(void *ctx, unsigned gsi, bool level)
{
    struct fixture *f = ctx;
    assert_int_equal(gsi, 0);
    if (level && !f->level) {
        if (!f->rises)
            f->first_rise_ns = vclock_ns(&f->clk);
        f->rises++;
    }
    f->level = level;
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    vclock_init_manual(&f->clk, 1000 * MS);
    assert_int_equal(timer_queue_init(&f->q, &f->clk), 0);
    f->chip = (struct irq_chip){ .set_level = fake_set_level, .ctx = f };
    struct irq_line line = { .chip = &f->chip, .gsi = 0 };
    assert_int_equal(pit_init(&f->pit, &f->clk, &f->q, &line), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pit_destroy(&f->pit);
    timer_queue_destroy(&f->q);
    test_free(f);
    return 0;
}

static void outb(struct fixture *f, unsigned port, uint8_t v)
{
    if (port == PIT_PORT_B)
        pit_port_b_ops.write(&f->pit, 0, v, 1);
    else
        pit_ops.write(&f->pit, port - PIT_PORT, v, 1);
}

static uint8_t inb(struct fixture *f, unsigned port)
{
    if (port == PIT_PORT_B)
        return (uint8_t)pit_port_b_ops.read(&f->pit, 0, 1);
    return (uint8_t)pit_ops.read(&f->pit, port - PIT_PORT, 1);
}

/* Advances guest time in steps, running due timers like the timer thread. */
static void run_for(struct fixture *f, uint64_t ns, uint64_t step)
{
    uint64_t end = vclock_ns(&f->clk) + ns;
    while (vclock_ns(&f->clk) < end) {
        uint64_t next = MIN(vclock_ns(&f->clk) + step, end);
        vclock_set(&f->clk, next);
        timer_queue_run_expired(&f->q, next);
    }
}

static void program(struct fixture *f, unsigned ch, unsigned mode, uint16_t count)
{
    outb(f, 0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
    outb(f, 0x40 + ch, (uint8_t)count);
    outb(f, 0x40 + ch, (uint8_t)(count >> 8));
}

static void test_mode2_periodic_irq0(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vclock_ns(&f->clk);
    program(f, 0, 2, 1193); /* Linux's LATCH for HZ=1000 */
    uint64_t period = vclock_ticks_to_ns(1193, PIT_HZ);
    run_for(f, period - 1, 50 * US);
    assert_int_equal(f->rises, 0); /* not before the first period ends */
    run_for(f, 1, 1);
    assert_int_equal(f->rises, 1);
    assert_int_equal(f->first_rise_ns, t0 + period);
    run_for(f, 1000 * MS - period, 50 * US);
    assert_int_equal(f->rises, 1000); /* 1 s at 1000.15 Hz */
}

static void test_mode3_square_wave_irq0(void **state)
{
    struct fixture *f = *state;
    program(f, 0, 3, 11932); /* 100 Hz */
    /* OUT is high for the first half period, then low. */
    outb(f, 0x43, 0xe2); /* read-back: status of counter 0 */
    assert_int_equal(inb(f, 0x40), 0x80 | 0x30 | 3 << 1);
    run_for(f, 5 * MS + 10 * US, 100 * US);
    outb(f, 0x43, 0xe2);
    assert_int_equal(inb(f, 0x40) & 0x80, 0);
    run_for(f, 1001 * MS - (5 * MS + 10 * US), 100 * US);
    assert_int_equal(f->rises, 100); /* period 10.00015 ms */
}

static void test_mode0_one_shot(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vclock_ns(&f->clk);
    program(f, 0, 0, 0x1000);
    uint64_t due = t0 + vclock_ticks_to_ns(0x1000, PIT_HZ);
    run_for(f, due - t0 - 1, 100 * US);
    assert_int_equal(f->rises, 0);
    run_for(f, 1, 1);
    assert_int_equal(f->rises, 1);
    assert_int_equal(f->first_rise_ns, due);
    run_for(f, 500 * MS, MS);
    assert_int_equal(f->rises, 1);
    /* Counting went on through zero: the counter wrapped. */
    outb(f, 0x43, 0x00); /* latch counter 0 */
    uint16_t v = inb(f, 0x40);
    v |= (uint16_t)(inb(f, 0x40) << 8);
    uint64_t ticks = vclock_ns_to_ticks(vclock_ns(&f->clk) - t0, PIT_HZ);
    assert_true(ticks > 0x10000);
    assert_int_equal(v, (uint16_t)(0x1000 - ticks));
}

/* arch/x86/kernel/tsc.c pit_calibrate_tsc(): channel 2, mode 0, poll port
 * 0x61 bit 5 until OUT2 goes high. */
static void test_linux_pit_calibrate_tsc(void **state)
{
    struct fixture *f = *state;
    const uint32_t latch = 1193182 / (1000 / 50); /* CAL_LATCH: 50 ms */
    outb(f, 0x61, (uint8_t)((inb(f, 0x61) & ~0x02) | 0x01));
    outb(f, 0x43, 0xb0);
    outb(f, 0x42, latch & 0xff);
    outb(f, 0x42, (uint8_t)(latch >> 8));
    uint64_t t0 = vclock_ns(&f->clk);
    unsigned loops = 0;
    while ((inb(f, 0x61) & 0x20) == 0) {
        vclock_advance(&f->clk, 10 * US);
        loops++;
        assert_true(loops < 100000);
    }
    uint64_t elapsed = vclock_ns(&f->clk) - t0;
    uint64_t expect = vclock_ticks_to_ns(latch, PIT_HZ);
    assert_true(elapsed >= expect);
    assert_true(elapsed < expect + 10 * US);
    assert_int_equal(f->rises, 0); /* channel 2 has no IRQ */
    /* OUT2 stays high after terminal count in mode 0. */
    vclock_advance(&f->clk, 30 * MS);
    assert_true(inb(f, 0x61) & 0x20);
    assert_int_equal(inb(f, 0x61) & 0x0f, 0x01);
}

/* quick_pit_calibrate(): mode 0 from 0xffff, reading lsb then msb and
 * watching the msb fall by one every 256 ticks. */
static void test_linux_quick_pit_calibrate(void **state)
{
    struct fixture *f = *state;
    outb(f, 0x61, 0x01);
    outb(f, 0x43, 0xb0);
    outb(f, 0x42, 0xff);
    outb(f, 0x42, 0xff);
    for (unsigned i = 0; i < 20; i++) {
        inb(f, 0x42);
        uint8_t msb = inb(f, 0x42);
        assert_int_equal(msb, 0xff - i);
        vclock_advance(&f->clk, vclock_ticks_to_ns(256, PIT_HZ) + 1);
    }
}

static void test_latch_and_flip_flop(void **state)
{
    struct fixture *f = *state;
    outb(f, 0x61, 0x01);
    program(f, 2, 0, 50000);
    vclock_advance(&f->clk, vclock_ticks_to_ns(1000, PIT_HZ));
    outb(f, 0x43, 0x80); /* latch counter 2 */
    vclock_advance(&f->clk, vclock_ticks_to_ns(5000, PIT_HZ));
    outb(f, 0x43, 0x80); /* ignored: already latched */
    uint16_t v = inb(f, 0x42);
    v |= (uint16_t)(inb(f, 0x42) << 8);
    assert_int_equal(v, 49000);
    /* Unlatched reads are live, lsb then msb. */
    v = inb(f, 0x42);
    v |= (uint16_t)(inb(f, 0x42) << 8);
    assert_int_equal(v, 44000);
    /* Read-back of count and status together: status first. */
    outb(f, 0x43, 0xc8); /* count + status, counter 2 */
    vclock_advance(&f->clk, vclock_ticks_to_ns(100, PIT_HZ));
    assert_int_equal(inb(f, 0x42), 0x30 | 0 << 1); /* OUT low, loaded, lohi, mode 0 */
    v = inb(f, 0x42);
    v |= (uint16_t)(inb(f, 0x42) << 8);
    assert_int_equal(v, 44000);
    /* Lsb-only access. */
    outb(f, 0x43, 0x90); /* counter 2, lsb, mode 0 */
    outb(f, 0x43, 0xe8); /* read-back status: count written? no */
    assert_int_equal(inb(f, 0x42), 0x40 | 0x10); /* null count, lsb, mode 0, OUT low */
    outb(f, 0x42, 200);
    vclock_advance(&f->clk, vclock_ticks_to_ns(50, PIT_HZ));
    assert_int_equal(inb(f, 0x42), 150);
    assert_int_equal(inb(f, 0x42), 150);
}

static void test_gate_pauses_and_triggers(void **state)
{
    struct fixture *f = *state;
    outb(f, 0x61, 0x00); /* gate 2 low */
    program(f, 2, 0, 1000);
    vclock_advance(&f->clk, MS);
    outb(f, 0x43, 0x80);
    assert_int_equal(inb(f, 0x42), 1000 & 0xff); /* mode 0 does not count with gate low */
    inb(f, 0x42);
    outb(f, 0x61, 0x01);
    vclock_advance(&f->clk, vclock_ticks_to_ns(400, PIT_HZ));
    outb(f, 0x61, 0x00); /* pause */
    vclock_advance(&f->clk, 10 * MS);
    outb(f, 0x43, 0x80);
    uint16_t v = inb(f, 0x42);
    v |= (uint16_t)(inb(f, 0x42) << 8);
    assert_int_equal(v, 600);
    assert_false(inb(f, 0x61) & 0x20);

    /* Mode 1: a one-shot started by the gate's rising edge. */
    program(f, 2, 1, 100);
    assert_true(inb(f, 0x61) & 0x20); /* OUT high until triggered */
    outb(f, 0x61, 0x01);
    assert_false(inb(f, 0x61) & 0x20);
    vclock_advance(&f->clk, vclock_ticks_to_ns(100, PIT_HZ));
    assert_true(inb(f, 0x61) & 0x20);
    /* Retrigger. */
    outb(f, 0x61, 0x00);
    outb(f, 0x61, 0x01);
    assert_false(inb(f, 0x61) & 0x20);
}

static void test_port_b_bits(void **state)
{
    struct fixture *f = *state;
    outb(f, 0x61, 0xff);
    assert_int_equal(inb(f, 0x61) & 0xcf, 0x0f);
    /* The refresh bit toggles every 15 us. */
    uint8_t a = inb(f, 0x61) & 0x10;
    vclock_advance(&f->clk, 15085);
    uint8_t b = inb(f, 0x61) & 0x10;
    assert_int_not_equal(a, b);
}

static void test_reprogram_stops_irq_and_rate_is_bounded(void **state)
{
    struct fixture *f = *state;
    program(f, 0, 2, 1193);
    run_for(f, 10 * MS, 100 * US);
    assert_int_equal(f->rises, 10);
    program(f, 0, 0, 0xffff);
    outb(f, 0x43, 0x30); /* control word only: counter 0 stops */
    run_for(f, 200 * MS, MS);
    assert_int_equal(f->rises, 10);

    /* A guest asking for IRQ0 at 600 kHz gets at most 10 kHz. */
    f->rises = 0;
    program(f, 0, 2, 2);
    run_for(f, 10 * MS, US);
    assert_true(f->rises >= 90);
    assert_true(f->rises <= 101);
    /* Mode 4 strobes once. */
    f->rises = 0;
    program(f, 0, 4, 100);
    run_for(f, 10 * MS, 10 * US);
    assert_int_equal(f->rises, 1);
    pit_reset(&f->pit);
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
}

static void test_word_access(void **state)
{
    struct fixture *f = *state;
    outb(f, 0x61, 0x01);
    outb(f, 0x43, 0xb0);
    pit_ops.write(&f->pit, 2, 0x1234, 2); /* 0x42 <- 0x34, 0x43 <- 0x12 (a control word) */
    /* 0x12 = counter 0, lsb, mode 1: counter 2 waits for its msb. */
    outb(f, 0x42, 0x12);
    outb(f, 0x43, 0x80);
    uint16_t v = inb(f, 0x42);
    v |= (uint16_t)(inb(f, 0x42) << 8);
    assert_int_equal(v, 0x1234);
    assert_int_equal(inb(f, 0x43), 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mode2_periodic_irq0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode3_square_wave_irq0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode0_one_shot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linux_pit_calibrate_tsc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linux_quick_pit_calibrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latch_and_flip_flop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gate_pauses_and_triggers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_b_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reprogram_stops_irq_and_rate_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_word_access, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
