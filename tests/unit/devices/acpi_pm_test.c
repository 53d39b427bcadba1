#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "devices/fakes.h"
#include "devices/legacy/acpi_pm.h"

#define NS 1000000000ull
#define START_NS 123456789ull

struct fixture {
    struct acpi_pm pm;
    struct fake_irq irq;
    struct fake_ctl ctl;
    struct fake_clock clock;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_irq_init(&f->irq);
    fake_ctl_init(&f->ctl);
    f->clock.ns = START_NS;
    struct irq_line sci = fake_irq_line(&f->irq, 9);
    if (acpi_pm_init(&f->pm, &sci, &f->ctl.ctl, fake_clock_now, &f->clock) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    acpi_pm_destroy(&f->pm);
    free(f);
    return 0;
}

static uint64_t rd(struct fixture *f, unsigned off, unsigned size)
{
    return acpi_pm_ops.read(&f->pm, off, size);
}

static void wr(struct fixture *f, unsigned off, uint64_t v, unsigned size)
{
    acpi_pm_ops.write(&f->pm, off, v, size);
}

static uint32_t expected_ticks(uint64_t ns)
{
    return (uint32_t)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / NS) & 0xffffff;
}

static void test_init_needs_clock(void **state)
{
    (void)state;
    struct acpi_pm pm;
    assert_int_equal(acpi_pm_init(&pm, NULL, NULL, NULL, NULL), -22);
}

static void test_poweroff_on_s5_only(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, ACPI_PM_PM1_CNT_OFF, 2), ACPI_PM1_SCI_EN);
    for (unsigned typ = 0; typ < 8; typ++) {
        if (typ == ACPI_PM_SLP_TYP_S5)
            continue;
        wr(f, ACPI_PM_PM1_CNT_OFF, typ << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN, 2);
        assert_int_equal(f->ctl.count, 0);
    }
    /* SLP_TYP alone is only a preparation. */
    wr(f, ACPI_PM_PM1_CNT_OFF, ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT, 2);
    assert_int_equal(f->ctl.count, 0);
    uint16_t cnt = (uint16_t)rd(f, ACPI_PM_PM1_CNT_OFF, 2);
    assert_int_equal(cnt, ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SCI_EN);
    wr(f, ACPI_PM_PM1_CNT_OFF, ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN, 2);
    assert_int_equal(f->ctl.count, 1);
    assert_int_equal(f->ctl.last, VM_EVENT_POWEROFF);
    assert_false(rd(f, ACPI_PM_PM1_CNT_OFF, 2) & ACPI_PM1_SLP_EN); /* write-only */
    /* The high byte alone carries SLP_TYP and SLP_EN. */
    wr(f, ACPI_PM_PM1_CNT_OFF + 1, (ACPI_PM_SLP_TYP_S5 << 2) | 0x20, 1);
    assert_int_equal(f->ctl.count, 2);
    /* SCI_EN cannot be cleared: there is no legacy mode. */
    wr(f, ACPI_PM_PM1_CNT_OFF, 0, 2);
    assert_int_equal(rd(f, ACPI_PM_PM1_CNT_OFF, 2), ACPI_PM1_SCI_EN);
}

static void test_pm_timer_exact_and_monotonic(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, ACPI_PM_TMR_OFF, 4), 0);
    f->clock.ns += NS;
    assert_int_equal(rd(f, ACPI_PM_TMR_OFF, 4), ACPI_PM_TIMER_HZ);
    assert_int_equal(acpi_pm_timer(&f->pm), ACPI_PM_TIMER_HZ);
    /* Exact against the clock for awkward offsets, through several 24-bit
     * wraps; never goes backwards (modulo the wrap). */
    uint32_t prev = (uint32_t)rd(f, ACPI_PM_TMR_OFF, 4);
    uint64_t elapsed = NS;
    uint64_t seed = 279;
    for (unsigned i = 0; i < 200000; i++) {
        /* Steps from 1 ns (well under a tick, 279 ns) to 200 us. */
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        elapsed += (seed >> 33) % 200000 + 1;
        f->clock.ns = START_NS + elapsed;
        uint32_t v = (uint32_t)rd(f, ACPI_PM_TMR_OFF, 4);
        if (v != expected_ticks(elapsed))
            fail_msg("at %llu ns: got %u, want %u", (unsigned long long)elapsed, v,
                     expected_ticks(elapsed));
        uint32_t delta = (v - prev) & 0xffffff;
        assert_true(delta < 0x800000); /* forward, by less than half a wrap */
        prev = v;
    }
    assert_true(elapsed > 3 * (0x1000000ull * NS / ACPI_PM_TIMER_HZ)); /* wrapped */
    /* Byte-wise reads see the same value; the top byte is 0 (24 bits). */
    uint32_t whole = (uint32_t)rd(f, ACPI_PM_TMR_OFF, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(rd(f, ACPI_PM_TMR_OFF + i, 1), (whole >> (8 * i)) & 0xff);
    assert_int_equal(rd(f, ACPI_PM_TMR_OFF + 3, 1), 0);
    /* Read-only. */
    wr(f, ACPI_PM_TMR_OFF, 0, 4);
    assert_int_equal(rd(f, ACPI_PM_TMR_OFF, 4), whole);
}

static void test_tmr_sts(void **state)
{
    struct fixture *f = *state;
    assert_false(rd(f, ACPI_PM_PM1_EVT_OFF, 2) & ACPI_PM1_TMR_STS);
    f->clock.ns += 0x800000ull * NS / ACPI_PM_TIMER_HZ + 1000; /* bit 23 toggles */
    assert_true(rd(f, ACPI_PM_PM1_EVT_OFF, 2) & ACPI_PM1_TMR_STS);
    wr(f, ACPI_PM_PM1_EVT_OFF, ACPI_PM1_PWRBTN_STS, 2); /* other bits: no effect */
    assert_true(rd(f, ACPI_PM_PM1_EVT_OFF, 2) & ACPI_PM1_TMR_STS);
    wr(f, ACPI_PM_PM1_EVT_OFF, ACPI_PM1_TMR_STS, 2);
    assert_false(rd(f, ACPI_PM_PM1_EVT_OFF, 2) & ACPI_PM1_TMR_STS);
}

static void test_enable_registers_and_gpe_sci(void **state)
{
    struct fixture *f = *state;
    wr(f, ACPI_PM_PM1_EVT_OFF + 2, ACPI_PM1_PWRBTN_STS | ACPI_PM1_TMR_STS, 2);
    assert_int_equal(rd(f, ACPI_PM_PM1_EVT_OFF + 2, 2), ACPI_PM1_PWRBTN_STS | ACPI_PM1_TMR_STS);
    acpi_pm_gpe_set(&f->pm, 3);
    assert_int_equal(rd(f, ACPI_PM_GPE0_OFF, 2), 1u << 3);
    assert_false(f->irq.level[9]); /* not enabled */
    wr(f, ACPI_PM_GPE0_OFF + 2, 1u << 3, 2);
    assert_int_equal(rd(f, ACPI_PM_GPE0_OFF + 2, 2), 1u << 3);
    assert_true(f->irq.level[9]);
    wr(f, ACPI_PM_GPE0_OFF, 1u << 3, 1); /* write 1 to clear */
    assert_int_equal(rd(f, ACPI_PM_GPE0_OFF, 2), 0);
    assert_false(f->irq.level[9]);
    acpi_pm_gpe_set(&f->pm, 99); /* out of range: ignored */
    assert_int_equal(rd(f, ACPI_PM_GPE0_OFF, 4), 1u << 19);
}

static void test_odd_accesses(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, 6, 2), 0xffff); /* reserved */
    for (unsigned off = 0; off < ACPI_PM_IO_LEN; off++) {
        for (unsigned size = 1; size <= 8 && off + size <= ACPI_PM_IO_LEN; size *= 2) {
            (void)rd(f, off, size);
            if (off != ACPI_PM_PM1_CNT_OFF && off != ACPI_PM_PM1_CNT_OFF + 1 && !(off < 6 && off + size > 4))
                wr(f, off, ~0ull, size);
        }
    }
    assert_int_equal(f->ctl.count, 0);
    /* An 8-byte write over PM1_EVT and PM1_CNT with SLP_EN: S5 from the
     * same write. */
    wr(f, 0, (uint64_t)(ACPI_PM_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN) << 32, 8);
    assert_int_equal(f->ctl.count, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_needs_clock),
        cmocka_unit_test_setup_teardown(test_poweroff_on_s5_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm_timer_exact_and_monotonic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmr_sts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enable_registers_and_gpe_sci, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_accesses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
