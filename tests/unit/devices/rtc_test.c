#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "common/util.h"
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
    assert_int_equal(cmos_read(f, RTC_REG_C), RTC_C_UF); /* UIE off: no IRQF */
    assert_int_equal(cmos_read(f, RTC_REG_C), 0);        /* read-to-clear */
    cmos_write(f, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    advance(f, 3 * NS);
    assert_int_equal(cmos_read(f, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
