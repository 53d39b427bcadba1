/* core/clock: guest time, TSC and tick conversions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "core/clock.h"

static void test_conversions_exact(void **state)
{
    (void)state;
    assert_int_equal(vclock_ns_to_ticks(1000000000ull, 1193182), 1193182);
    assert_int_equal(vclock_ns_to_ticks(838, 1193182), 0);   /* one PIT tick is 838.1 ns */
    assert_int_equal(vclock_ns_to_ticks(839, 1193182), 1);
    assert_int_equal(vclock_ns_to_ticks(12345, VCLOCK_TSC_HZ), 24690);
    assert_int_equal(vclock_ticks_to_ns(1, 1193182), 839);   /* rounded up */
    assert_int_equal(vclock_ticks_to_ns(1193182, 1193182), 1000000000ull);
    assert_int_equal(vclock_ticks_to_ns(0, 1193182), 0);
    assert_int_equal(vclock_ticks_to_ns(3, VCLOCK_TSC_HZ), 2); /* 1.5 ns -> 2 */
}

static void test_round_trip_never_early(void **state)
{
    (void)state;
    const uint64_t hz[] = { 1193182, VCLOCK_TSC_HZ, 1000000000ull, 32768, 3 };
    for (size_t h = 0; h < sizeof(hz) / sizeof(hz[0]); h++) {
        for (uint64_t t = 0; t < 5000; t += 7) {
            uint64_t ns = vclock_ticks_to_ns(t, hz[h]);
            assert_true(vclock_ns_to_ticks(ns, hz[h]) >= t);
            /* and it is the first such ns */
            if (ns)
                assert_true(vclock_ns_to_ticks(ns - 1, hz[h]) < t);
        }
    }
}

static void test_long_uptime_no_overflow(void **state)
{
    (void)state;
    /* 100 years of uptime: ns * 2e9 overflows 64 bits, the result does not. */
    uint64_t ns = 100ull * 365 * 24 * 3600 * 1000000000ull;
    assert_int_equal(vclock_ns_to_ticks(ns, VCLOCK_TSC_HZ), ns * 2);
    assert_int_equal(vclock_ticks_to_ns(ns * 2, VCLOCK_TSC_HZ), ns);
    uint64_t pit = vclock_ns_to_ticks(ns, 1193182);
    assert_int_equal(pit, (uint64_t)((unsigned __int128)ns * 1193182 / 1000000000u));
    /* Saturation instead of wrap-around. */
    assert_int_equal(vclock_ns_to_ticks(UINT64_MAX, VCLOCK_TSC_HZ), UINT64_MAX);
    assert_int_equal(vclock_ticks_to_ns(UINT64_MAX, 1), UINT64_MAX);
}

static void test_manual_clock(void **state)
{
    (void)state;
    struct vclock c;
    vclock_init_manual(&c, 1000);
    assert_int_equal(vclock_ns(&c), 1000);
    assert_int_equal(vclock_tsc(&c), 2000);
    vclock_advance(&c, 500);
    assert_int_equal(vclock_ns(&c), 1500);
    vclock_set(&c, 1200); /* backwards: ignored */
    assert_int_equal(vclock_ns(&c), 1500);
    vclock_set(&c, 1000000000ull);
    assert_int_equal(vclock_tsc(&c), VCLOCK_TSC_HZ);
}

static void test_host_clock_runs(void **state)
{
    (void)state;
    struct vclock c;
    vclock_init(&c);
    uint64_t a = vclock_ns(&c);
    assert_true(a < 1000000000ull); /* starts near 0 */
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
    uint64_t b = vclock_ns(&c);
    assert_true(b >= a + 2000000);
    assert_true(vclock_tsc(&c) >= b * 2);
    vclock_set(&c, 0); /* no effect on a host clock */
    assert_true(vclock_ns(&c) >= b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversions_exact),
        cmocka_unit_test(test_round_trip_never_early),
        cmocka_unit_test(test_long_uptime_no_overflow),
        cmocka_unit_test(test_manual_clock),
        cmocka_unit_test(test_host_clock_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
