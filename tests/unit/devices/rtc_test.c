#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "common/util.h"
#include "core/clock.h"
#include "core/timer.h"
#include "devices/fakes.h"
#include "devices/legacy/rtc.h"

#define NS 1000000000ll
/* 2024-02-29 23:59:58 UTC, a Thursday. */
#define T0_SEC 1709251198ll

struct fixture {
    struct rtc rtc;
    struct fake_clock clock;
};

static int make(void **state, uint64_t below, uint64_t above)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->clock.ns = 5 * NS; /* the host clock does not start at 0 */
    struct rtc_config cfg = {
        .now_ns = fake_clock_now,
        .clock_ctx = &f->clock,
        .wall_offset_ns = T0_SEC * NS - 5 * NS,
        .ram_below_4g = below,
        .ram_above_4g = above,
    };
    if (rtc_init(&f->rtc, &cfg) != 0)
        return -1;
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return make(state, GiB(2), 0);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rtc_destroy(&f->rtc);
    free(f);
    return 0;
}

static uint8_t cmos_read(struct fixture *f, uint8_t idx)
{
    rtc_ops.write(&f->rtc, 0, idx, 1);
    return (uint8_t)rtc_ops.read(&f->rtc, 1, 1);
}

static void cmos_write(struct fixture *f, uint8_t idx, uint8_t v)
{
    rtc_ops.write(&f->rtc, 0, idx, 1);
    rtc_ops.write(&f->rtc, 1, v, 1);
}

static void advance(struct fixture *f, int64_t ns)
{
    f->clock.ns += (uint64_t)ns;
}

static void expect_time(struct fixture *f, const uint8_t want[8])
{
    static const uint8_t regs[8] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK,
                                     RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR, RTC_CENTURY };
    for (unsigned i = 0; i < 8; i++) {
        uint8_t got = cmos_read(f, regs[i]);
        if (got != want[i])
            fail_msg("register 0x%02x: got 0x%02x, want 0x%02x", regs[i], got, want[i]);
    }
}

static void test_init_fails_without_clock(void **state)
{
    (void)state;
    struct rtc rtc;
    struct rtc_config cfg = { 0 };
    assert_int_equal(rtc_init(&rtc, &cfg), -22);
}

static void test_bcd_24h_and_rollover(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cmos_read(f, RTC_REG_B), RTC_B_24H);
    expect_time(f, (const uint8_t[8]){ 0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20 });
    advance(f, NS - 1);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x58);
    advance(f, 1);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x59);
    advance(f, NS);
    /* Leap day rolls into March 1st, a Friday. */
    expect_time(f, (const uint8_t[8]){ 0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20 });
}

static void test_binary_mode(void **state)
{
    struct fixture *f = *state;
    cmos_write(f, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    expect_time(f, (const uint8_t[8]){ 58, 59, 23, 5, 29, 2, 24, 20 });
}

static void test_12_hour_mode(void **state)
{
    struct fixture *f = *state;
    cmos_write(f, RTC_REG_B, 0); /* 12-hour, BCD */
    assert_int_equal(cmos_read(f, RTC_HOURS), RTC_HOUR_PM | 0x11); /* 23h = 11 PM */
    advance(f, 2 * NS);
    assert_int_equal(cmos_read(f, RTC_HOURS), 0x12); /* midnight = 12 AM */
    advance(f, 12 * 3600 * NS);
    assert_int_equal(cmos_read(f, RTC_HOURS), RTC_HOUR_PM | 0x12); /* noon = 12 PM */
    advance(f, 3600 * NS);
    assert_int_equal(cmos_read(f, RTC_HOURS), RTC_HOUR_PM | 0x01);
    cmos_write(f, RTC_REG_B, RTC_B_DM_BINARY);
    assert_int_equal(cmos_read(f, RTC_HOURS), RTC_HOUR_PM | 1);
    advance(f, -2 * 3600 * NS);
    assert_int_equal(cmos_read(f, RTC_HOURS), 11); /* 11 AM */
}

static void test_set_bit_freezes_and_sets_time(void **state)
{
    struct fixture *f = *state;
    cmos_write(f, RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE);
    assert_false(cmos_read(f, RTC_REG_B) & RTC_B_UIE); /* SET clears UIE */
    advance(f, 10 * NS);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x58); /* frozen */
    /* 2099-12-31 23:59:59 in BCD, set the way Linux's mc146818_set_time
     * does it. */
    cmos_write(f, RTC_SECONDS, 0x59);
    cmos_write(f, RTC_MINUTES, 0x59);
    cmos_write(f, RTC_HOURS, 0x23);
    cmos_write(f, RTC_DAY_OF_MONTH, 0x31);
    cmos_write(f, RTC_MONTH, 0x12);
    cmos_write(f, RTC_YEAR, 0x99);
    cmos_write(f, RTC_CENTURY, 0x20);
    advance(f, 10 * NS);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x59);
    cmos_write(f, RTC_REG_B, RTC_B_24H);
    /* The second restarts when SET is cleared. */
    advance(f, NS - 1);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x59);
    advance(f, 1);
    /* 2100-01-01 is a Friday; 2100 is not a leap year. */
    expect_time(f, (const uint8_t[8]){ 0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21 });
    advance(f, 59ll * 86400 * NS);
    assert_int_equal(cmos_read(f, RTC_MONTH), 0x03);
    assert_int_equal(cmos_read(f, RTC_DAY_OF_MONTH), 0x01);
}

static void test_write_field_while_running(void **state)
{
    struct fixture *f = *state;
    advance(f, NS / 2);
    cmos_write(f, RTC_MINUTES, 0x30);
    expect_time(f, (const uint8_t[8]){ 0x58, 0x30, 0x23, 5, 0x29, 0x02, 0x24, 0x20 });
    /* The position inside the second is kept. */
    advance(f, NS / 2);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x59);
    /* 12-hour writes: 12 AM is hour 0. */
    cmos_write(f, RTC_REG_B, RTC_B_DM_BINARY);
    cmos_write(f, RTC_HOURS, 12);
    cmos_write(f, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    assert_int_equal(cmos_read(f, RTC_HOURS), 0);
    cmos_write(f, RTC_REG_B, RTC_B_DM_BINARY);
    cmos_write(f, RTC_HOURS, RTC_HOUR_PM | 12);
    cmos_write(f, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    assert_int_equal(cmos_read(f, RTC_HOURS), 12);
}

static void test_uip(void **state)
{
    struct fixture *f = *state;
    /* The clock sits on a second boundary: just after an update. */
    assert_int_equal(cmos_read(f, RTC_REG_A), 0x26);
    advance(f, NS - RTC_UIP_NS - 1);
    assert_false(cmos_read(f, RTC_REG_A) & RTC_A_UIP);
    advance(f, 1);
    assert_true(cmos_read(f, RTC_REG_A) & RTC_A_UIP);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x58); /* update still to come */
    advance(f, RTC_UIP_NS - 1);
    assert_true(cmos_read(f, RTC_REG_A) & RTC_A_UIP);
    advance(f, 1);
    assert_false(cmos_read(f, RTC_REG_A) & RTC_A_UIP);
    assert_int_equal(cmos_read(f, RTC_SECONDS), 0x59);
    /* No updates, no UIP, while SET is on. */
    advance(f, NS - 1000);
    cmos_write(f, RTC_REG_B, RTC_B_SET | RTC_B_24H);
    assert_false(cmos_read(f, RTC_REG_A) & RTC_A_UIP);
    /* UIP is read-only. */
    cmos_write(f, RTC_REG_A, 0xa6);
    assert_int_equal(cmos_read(f, RTC_REG_A), 0x26);
}

static void test_register_c_and_d(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(cmos_read(f, RTC_REG_C), 0);
    advance(f, NS);
    /* UIE and PIE off: no IRQF; PF counts at the default 1024 Hz. */
    assert_int_equal(cmos_read(f, RTC_REG_C), RTC_C_UF | RTC_C_PF);
    assert_int_equal(cmos_read(f, RTC_REG_C), 0); /* read-to-clear */
    cmos_write(f, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    advance(f, 3 * NS);
    /* Midnight passed: it matches the alarm bytes, which power up as 0. */
    assert_int_equal(cmos_read(f, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF | RTC_C_PF);
    assert_int_equal(cmos_read(f, RTC_REG_C), 0);
    cmos_write(f, RTC_REG_C, 0xff); /* read-only */
    assert_int_equal(cmos_read(f, RTC_REG_C), 0);
    assert_int_equal(cmos_read(f, RTC_REG_D), RTC_D_VRT);
    cmos_write(f, RTC_REG_D, 0);
    assert_int_equal(cmos_read(f, RTC_REG_D), RTC_D_VRT);
}

static void test_index_port(void **state)
{
    struct fixture *f = *state;
    /* Bit 7 (NMI disable) is not part of the index. */
    assert_int_equal(cmos_read(f, 0x80 | RTC_REG_D), RTC_D_VRT);
    cmos_write(f, 0x80 | 0x40, 0x77);
    assert_int_equal(cmos_read(f, 0x40), 0x77);
    assert_int_equal(rtc_ops.read(&f->rtc, 0, 1), 0xff); /* index is write-only */
    /* A 2-byte write sets index and data in one go. */
    rtc_ops.write(&f->rtc, 0, 0x5541, 2);
    assert_int_equal(cmos_read(f, 0x41), 0x55);
}

static void test_memory_size_fields(void **state)
{
    struct fixture *f = *state;
    /* 2 GiB below 4 GiB, nothing above. */
    assert_int_equal(cmos_read(f, 0x15) | cmos_read(f, 0x16) << 8, 640);
    assert_int_equal(cmos_read(f, 0x17) | cmos_read(f, 0x18) << 8, 0xfc00);
    assert_int_equal(cmos_read(f, 0x30) | cmos_read(f, 0x31) << 8, 0xfc00);
    assert_int_equal(cmos_read(f, 0x34) | cmos_read(f, 0x35) << 8, (GiB(2) - MiB(16)) >> 16);
    assert_int_equal(cmos_read(f, 0x5b) | cmos_read(f, 0x5c) << 8 | cmos_read(f, 0x5d) << 16, 0);
    unsigned sum = 0;
    for (unsigned i = 0x10; i < 0x2e; i++)
        sum += cmos_read(f, (uint8_t)i);
    assert_int_equal(cmos_read(f, 0x2e) << 8 | cmos_read(f, 0x2f), sum & 0xffff);
    teardown(state);

    assert_int_equal(make(state, MiB(8), 0), 0);
    f = *state;
    assert_int_equal(cmos_read(f, 0x17) | cmos_read(f, 0x18) << 8, 7 * 1024);
    assert_int_equal(cmos_read(f, 0x34) | cmos_read(f, 0x35) << 8, 0);
    teardown(state);

    assert_int_equal(make(state, GiB(3), GiB(5)), 0);
    f = *state;
    assert_int_equal(cmos_read(f, 0x34) | cmos_read(f, 0x35) << 8, (GiB(3) - MiB(16)) >> 16);
    assert_int_equal(cmos_read(f, 0x5b) | cmos_read(f, 0x5c) << 8 | cmos_read(f, 0x5d) << 16,
                     GiB(5) >> 16);
}

static void test_hostile_values(void **state)
{
    struct fixture *f = *state;
    cmos_write(f, RTC_REG_B, RTC_B_SET);
    for (unsigned idx = 0; idx <= RTC_YEAR; idx++)
        cmos_write(f, (uint8_t)idx, 0xff);
    cmos_write(f, RTC_CENTURY, 0xff);
    cmos_write(f, RTC_REG_B, RTC_B_24H); /* invalid BCD everywhere: clamped */
    /* 99-12-31 23:59:59 of century 99, the largest date that can be set. */
    expect_time(f, (const uint8_t[8]){ 0x59, 0x59, 0x23, 6, 0x31, 0x12, 0x99, 0x99 });
    advance(f, NS);
    assert_int_equal(cmos_read(f, RTC_YEAR), 0x00); /* year 10000 wraps, no overflow */
    cmos_write(f, RTC_REG_B, RTC_B_SET);
    cmos_write(f, RTC_MONTH, 0);
    cmos_write(f, RTC_DAY_OF_MONTH, 0);
    cmos_write(f, RTC_HOURS, 0x7f);
    cmos_write(f, RTC_REG_B, 0);
    assert_int_equal(cmos_read(f, RTC_MONTH), 0x01);
    assert_int_equal(cmos_read(f, RTC_DAY_OF_MONTH), 0x01);
    /* Wide and stray accesses. */
    for (unsigned size = 1; size <= 8; size *= 2) {
        (void)rtc_ops.read(&f->rtc, 0, size);
        rtc_ops.write(&f->rtc, 0, ~0ull, size);
    }
}

/* Interrupt tests: a manual guest clock, a stopped timer queue stepped by
 * hand, and an IRQ 8 line that records its rising edges. */
#define MS 1000000ll
#define MAX_RISES 64

struct ifix {
    struct vclock clk;
    struct timer_queue q;
    struct rtc rtc;
    struct irq_chip chip;
    bool level;
    unsigned rises;
    uint64_t rise_ns[MAX_RISES];
};

static void ifix_set_level(void *ctx, unsigned gsi, bool level)
{
    struct ifix *f = ctx;
    assert_int_equal(gsi, 8);
    if (level && !f->level) {
        if (f->rises < MAX_RISES)
            f->rise_ns[f->rises] = vclock_ns(&f->clk);
        f->rises++;
    }
    f->level = level;
}

static uint64_t ifix_now(void *ctx)
{
    return vclock_ns(ctx);
}

static int isetup(void **state)
{
    struct ifix *f = test_calloc(1, sizeof(*f));
    vclock_init_manual(&f->clk, 5 * NS);
    assert_int_equal(timer_queue_init(&f->q, &f->clk), 0);
    f->chip = (struct irq_chip){ .set_level = ifix_set_level, .ctx = f };
    struct irq_line line = { &f->chip, 8 };
    struct rtc_config cfg = {
        .now_ns = ifix_now, .clock_ctx = &f->clk,
        .wall_offset_ns = T0_SEC * NS - 5 * NS, /* 23:59:58.000 at 5 s */
        .ram_below_4g = MiB(64), .timers = &f->q, .irq = &line,
    };
    assert_int_equal(rtc_init(&f->rtc, &cfg), 0);
    *state = f;
    return 0;
}

static int iteardown(void **state)
{
    struct ifix *f = *state;
    rtc_destroy(&f->rtc);
    timer_queue_destroy(&f->q);
    test_free(f);
    return 0;
}

static uint8_t iread(struct ifix *f, uint8_t idx)
{
    rtc_ops.write(&f->rtc, 0, idx, 1);
    return (uint8_t)rtc_ops.read(&f->rtc, 1, 1);
}

static void iwrite(struct ifix *f, uint8_t idx, uint8_t v)
{
    rtc_ops.write(&f->rtc, 0, idx, 1);
    rtc_ops.write(&f->rtc, 1, v, 1);
}

static uint64_t inow(struct ifix *f)
{
    return vclock_ns(&f->clk);
}

/* Moves guest time to end, stopping at every timer deadline to run it like
 * the timer thread. With isr set, every interrupt is acknowledged at once
 * by reading register C (as Linux's handler does), which must report IRQF
 * and one of want_flags. */
static void run_until(struct ifix *f, uint64_t end, bool isr, uint8_t want_flags)
{
    for (;;) {
        uint64_t next = timer_queue_next_deadline(&f->q);
        if (next > end)
            break;
        vclock_set(&f->clk, next);
        timer_queue_run_expired(&f->q, next);
        if (isr && f->level) {
            uint8_t c = iread(f, RTC_REG_C);
            if (!(c & RTC_C_IRQF) || !(c & want_flags))
                fail_msg("register C 0x%02x at %llu ns", c, (unsigned long long)inow(f));
            assert_false(f->level);
        }
    }
    vclock_set(&f->clk, end);
    timer_queue_run_expired(&f->q, end);
}

static void test_periodic_rates(void **state)
{
    struct ifix *f = *state;
    static const struct { uint8_t rs; unsigned hz; } rates[] = {
        { 3, 8192 }, { 6, 1024 }, { 10, 64 }, { 15, 2 }, { 1, 256 }, { 2, 128 }, { 0, 0 },
    };
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
        iwrite(f, RTC_REG_A, (uint8_t)(RTC_A_DV_32KHZ | rates[i].rs));
        (void)iread(f, RTC_REG_C);
        unsigned before = f->rises;
        run_until(f, inow(f) + NS, true, RTC_C_PF);
        if (f->rises - before != rates[i].hz)
            fail_msg("RS %u: %u interrupts in 1 s, want %u", rates[i].rs, f->rises - before,
                     rates[i].hz);
    }
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX); /* RS 0: nothing to do */
    /* 64 Hz ticks fall on multiples of 15.625 ms after the second. */
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ | 10);
    (void)iread(f, RTC_REG_C);
    f->rises = 0;
    run_until(f, inow(f) + 100 * MS, true, RTC_C_PF);
    assert_int_equal(f->rises, 6);
    for (unsigned i = 0; i < f->rises; i++)
        assert_int_equal((f->rise_ns[i] - 5 * NS) % 15625000, 0);
}

static void test_pie_off_arms_no_timer(void **state)
{
    struct ifix *f = *state;
    /* Power-on: 1024 Hz selected, no interrupt enabled: no host timer. */
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ | 3); /* 8192 Hz */
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
    run_until(f, inow(f) + 10 * MS, false, 0);
    assert_int_equal(f->rises, 0);
    /* PF is still there for a guest that polls register C. */
    assert_int_equal(iread(f, RTC_REG_C), RTC_C_PF);
    assert_int_equal(iread(f, RTC_REG_C), 0);
    /* PIE on arms the timer for the next tick, PIE off cancels it. */
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    uint64_t next = timer_queue_next_deadline(&f->q);
    assert_true(next > inow(f) && next <= inow(f) + 122071);
    iwrite(f, RTC_REG_B, RTC_B_24H);
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
}

static void test_register_c_clears_and_lowers(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ | 6); /* 1024 Hz */
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    run_until(f, inow(f) + 2 * MS, false, 0);
    assert_true(f->level);
    assert_int_equal(f->rises, 1);
    /* Unacknowledged: the line stays high, one edge, and no timer runs. */
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
    run_until(f, inow(f) + 50 * MS, false, 0);
    assert_int_equal(f->rises, 1);
    assert_int_equal(iread(f, RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
    assert_false(f->level);
    assert_int_equal(iread(f, RTC_REG_C), 0);
    assert_true(timer_queue_next_deadline(&f->q) != UINT64_MAX);
    run_until(f, inow(f) + 1 * MS, false, 0);
    assert_int_equal(f->rises, 2);
    /* Clearing the enable also drops IRQF and the line; the flag stays. */
    iwrite(f, RTC_REG_B, RTC_B_24H);
    assert_false(f->level);
    assert_int_equal(iread(f, RTC_REG_C), RTC_C_PF);
    /* Enabling an interrupt whose flag is already set raises the line. */
    run_until(f, inow(f) + 1 * MS, false, 0);
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    assert_true(f->level);
    assert_int_equal(f->rises, 3);
}

static void test_update_interrupt_once_per_second(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ); /* no periodic rate */
    run_until(f, inow(f) + 300 * MS, false, 0);
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    /* The next update is at the second boundary, 6 s of guest time. */
    assert_int_equal(timer_queue_next_deadline(&f->q), 6 * NS);
    run_until(f, 8 * NS + 500 * MS, true, RTC_C_UF);
    assert_int_equal(f->rises, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(f->rise_ns[i], (6 + i) * NS);
    /* Updated by the time the interrupt comes: 00:00:01 after 23:59:58. */
    assert_int_equal(iread(f, RTC_SECONDS), 0x01);
}

static void test_uip_window_and_divider(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    run_until(f, 6 * NS - RTC_UIP_NS - 1, true, RTC_C_UF);
    assert_false(iread(f, RTC_REG_A) & RTC_A_UIP);
    run_until(f, 6 * NS - RTC_UIP_NS, true, RTC_C_UF);
    assert_true(iread(f, RTC_REG_A) & RTC_A_UIP);
    assert_int_equal(f->rises, 0); /* UIP comes before the update */
    run_until(f, 6 * NS, true, RTC_C_UF);
    assert_false(iread(f, RTC_REG_A) & RTC_A_UIP);
    assert_int_equal(f->rises, 1);
    /* Divider held in reset (DV = 110): no updates, no UIP, no timer. */
    run_until(f, 6 * NS + 200 * MS, true, RTC_C_UF);
    iwrite(f, RTC_REG_A, 0x60 | 6);
    (void)iread(f, RTC_REG_C);
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
    run_until(f, 20 * NS, true, RTC_C_UF);
    assert_int_equal(iread(f, RTC_SECONDS), 0x59);
    assert_int_equal(iread(f, RTC_REG_A), 0x66);
    assert_int_equal(iread(f, RTC_REG_C) & RTC_C_PF, 0); /* no periodic ticks either */
    /* Out of reset: the first update comes 500 ms later. */
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ | 6);
    run_until(f, 20 * NS + 500 * MS - 1, true, RTC_C_UF);
    assert_int_equal(f->rises, 1);
    run_until(f, 20 * NS + 500 * MS, true, RTC_C_UF);
    assert_int_equal(f->rises, 2);
    assert_int_equal(iread(f, RTC_SECONDS), 0x00);
}

static void set_alarm(struct ifix *f, uint8_t h, uint8_t m, uint8_t s)
{
    iwrite(f, RTC_HOURS_ALARM, h);
    iwrite(f, RTC_MINUTES_ALARM, m);
    iwrite(f, RTC_SECONDS_ALARM, s);
}

static void test_alarm_bcd_24h(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ);
    set_alarm(f, 0x00, 0x00, 0x05); /* 00:00:05, 7 s after 23:59:58 */
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    /* Only AIE: the timer waits for the alarm itself, not every second. */
    assert_int_equal(timer_queue_next_deadline(&f->q), 12 * NS);
    run_until(f, 30 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises, 1);
    assert_int_equal(f->rise_ns[0], 12 * NS);
    /* The next match is a day later. */
    assert_int_equal(timer_queue_next_deadline(&f->q), 12 * NS + 86400 * NS);
}

static void test_alarm_dont_care(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ);
    set_alarm(f, 0xc0, 0xff, 0x30); /* every minute at second 30 */
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    run_until(f, 5 * NS + 180 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises, 3);
    assert_int_equal(f->rise_ns[0], 5 * NS + 32 * NS); /* 00:00:30 */
    assert_int_equal(f->rise_ns[1] - f->rise_ns[0], 60 * NS);
    /* All three don't-care: every second, like UIE. */
    set_alarm(f, 0xff, 0xc0, 0xd5);
    unsigned before = f->rises;
    run_until(f, inow(f) + 5 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises - before, 5);
}

static void test_alarm_binary_12h(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ);
    iwrite(f, RTC_REG_B, RTC_B_DM_BINARY); /* 12-hour, binary */
    set_alarm(f, RTC_HOUR_PM | 11, 59, 59); /* 11:59:59 PM */
    iwrite(f, RTC_REG_B, RTC_B_DM_BINARY | RTC_B_AIE);
    run_until(f, 10 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises, 1);
    assert_int_equal(f->rise_ns[0], 6 * NS);
    /* 12 AM is 12 without the PM bit; in BCD 12-hour mode as well. */
    iwrite(f, RTC_REG_B, 0);
    set_alarm(f, 0x12, 0x00, 0x12);
    iwrite(f, RTC_REG_B, RTC_B_AIE);
    run_until(f, 20 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises, 2);
    assert_int_equal(f->rise_ns[1], 19 * NS); /* 00:00:12 */
    /* The same alarm in 24-hour BCD is hour 12: noon, not now. */
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    run_until(f, 86400 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises, 3);
    assert_int_equal(f->rise_ns[2], 19 * NS + 12 * 3600 * NS);
}

static void test_alarm_impossible_and_lazy(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ);
    /* BCD 60 seconds never comes: no interrupt, no timer. */
    set_alarm(f, 0xc0, 0xc0, 0x60);
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
    run_until(f, 200 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises, 0);
    /* AIE off: AF is still found when register C is read, an hour later. */
    iwrite(f, RTC_REG_B, RTC_B_24H);
    set_alarm(f, 0x00, 0x30, 0x00);
    (void)iread(f, RTC_REG_C);
    vclock_advance(&f->clk, 3600 * NS);
    assert_int_equal(iread(f, RTC_REG_C), RTC_C_AF | RTC_C_UF);
    vclock_advance(&f->clk, 3600 * NS);
    assert_int_equal(iread(f, RTC_REG_C), RTC_C_UF);
}

static void test_set_inhibits_updates(void **state)
{
    struct ifix *f = *state;
    iwrite(f, RTC_REG_A, RTC_A_DV_32KHZ | 15); /* 2 Hz */
    set_alarm(f, 0xc0, 0xc0, 0xc0);
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_AIE);
    iwrite(f, RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE | RTC_B_AIE);
    assert_int_equal(iread(f, RTC_REG_B), RTC_B_SET | RTC_B_24H | RTC_B_AIE);
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
    run_until(f, 10 * NS, true, RTC_C_AF | RTC_C_UF);
    assert_int_equal(f->rises, 0);
    /* The periodic interrupt keeps going under SET. */
    assert_int_equal(iread(f, RTC_REG_C), RTC_C_PF);
    iwrite(f, RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_AIE | RTC_B_PIE);
    run_until(f, 11 * NS, true, RTC_C_PF);
    assert_int_equal(f->rises, 2);
    /* SET off: updates and the alarm come back, a second later. */
    iwrite(f, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    run_until(f, 12 * NS, true, RTC_C_AF);
    assert_int_equal(f->rises, 3);
    assert_int_equal(f->rise_ns[2], 12 * NS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_fails_without_clock),
        cmocka_unit_test_setup_teardown(test_bcd_24h_and_rollover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_12_hour_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_bit_freezes_and_sets_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_field_while_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_c_and_d, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_size_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periodic_rates, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_pie_off_arms_no_timer, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_register_c_clears_and_lowers, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_update_interrupt_once_per_second, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_uip_window_and_divider, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_alarm_bcd_24h, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_alarm_dont_care, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_alarm_binary_12h, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_alarm_impossible_and_lazy, isetup, iteardown),
        cmocka_unit_test_setup_teardown(test_set_inhibits_updates, isetup, iteardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
