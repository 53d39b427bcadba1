/* devices/irq/lapic: one local APIC with a recording bus and a manual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "core/clock.h"
#include "core/timer.h"
#include "devices/irq/lapic.h"

#define US 1000ull
#define MS 1000000ull

struct fixture {
    struct vclock clk;
    struct timer_queue q;
    struct lapic l;
    struct apic_msg sent[8];
    int nsent;
    int eois[8];
    int neoi;
    int extint_acks;
    int kicks;
};

static void bus_send(void *ctx, unsigned src, const struct apic_msg *m)
{
    struct fixture *f = ctx;
    assert_int_equal(src, 3);
    assert_true(f->nsent < 8);
    f->sent[f->nsent++] = *m;
}

static void bus_eoi(void *ctx, uint8_t vector)
{
    struct fixture *f = ctx;
    assert_true(f->neoi < 8);
    f->eois[f->neoi++] = vector;
}

static int bus_extint_ack(void *ctx)
{
    struct fixture *f = ctx;
    f->extint_acks++;
    return 0x30;
}

static void kick(void *ctx)
{
    struct fixture *f = ctx;
    f->kicks++;
}

static struct fixture *make(bool bsp, uint32_t id)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    vclock_init_manual(&f->clk, 5000 * MS);
    assert_int_equal(timer_queue_init(&f->q, &f->clk), 0);
    struct lapic_bus bus = { bus_send, bus_eoi, bus_extint_ack, f };
    assert_int_equal(lapic_init(&f->l, 3, id, bsp, &f->clk, &f->q, &bus, kick, f), 0);
    return f;
}

static int setup_bsp(void **state)
{
    *state = make(true, 0);
    return 0;
}

static int setup_ap(void **state)
{
    *state = make(false, 0x21);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    lapic_destroy(&f->l);
    timer_queue_destroy(&f->q);
    test_free(f);
    return 0;
}

static uint32_t rd(struct fixture *f, unsigned reg) { return (uint32_t)lapic_mmio_read(&f->l, reg, 4); }
static void wr(struct fixture *f, unsigned reg, uint32_t v) { lapic_mmio_write(&f->l, reg, v, 4); }

static void fixed(struct fixture *f, uint8_t vector, bool level)
{
    struct apic_msg m = { .vector = vector, .delivery = APIC_DM_FIXED, .level = level, .assert = true };
    lapic_accept(&f->l, &m);
}

static void advance_to(struct fixture *f, uint64_t ns)
{
    vclock_set(&f->clk, ns);
    timer_queue_run_expired(&f->q, ns);
}

static bool irr_has(struct fixture *f, unsigned v)
{
    return rd(f, 0x200 + (v >> 5) * 0x10) & (1u << (v & 31));
}

static void test_reset_state(void **state)
{
    struct fixture *f = *state;
    uint64_t base;
    assert_int_equal(rd(f, 0x20), 0);
    assert_int_equal(rd(f, 0x30), 0x00050014);
    assert_int_equal(rd(f, 0xf0), 0xff);
    assert_int_equal(rd(f, 0xe0), 0xffffffff);
    assert_int_equal(rd(f, 0x320), 0x10000);
    assert_int_equal(rd(f, 0x350), 0x700); /* BSP: virtual wire */
    assert_int_equal(rd(f, 0x360), 0x10000);
    assert_int_equal(lapic_rdmsr(&f->l, 0x1b, &base), 0);
    assert_int_equal(base, 0xfee00900);
    assert_true(lapic_mmio_base(&f->l, &base));
    assert_int_equal(base, LAPIC_DEFAULT_BASE);
    assert_int_equal(lapic_poll(&f->l), 0);
    assert_int_equal(lapic_pending_vector(&f->l), -1);
}

static void test_ap_reset_state(void **state)
{
    struct fixture *f = *state;
    uint64_t base;
    assert_int_equal(rd(f, 0x20), 0x21000000);
    assert_int_equal(rd(f, 0x350), 0x10000);
    assert_int_equal(lapic_rdmsr(&f->l, 0x1b, &base), 0);
    assert_int_equal(base, 0xfee00800);
}

static void test_priority_tpr_ppr(void **state)
{
    struct fixture *f = *state;
    wr(f, 0xf0, 0x1ff);
    fixed(f, 0x31, false);
    fixed(f, 0x51, false);
    assert_true(lapic_poll(&f->l) & LAPIC_EV_INTR);
    assert_int_equal(lapic_pending_vector(&f->l), 0x51);
    wr(f, 0x80, 0x60);
    assert_int_equal(lapic_pending_vector(&f->l), -1);
    assert_int_equal(lapic_poll(&f->l), 0);
    wr(f, 0x80, 0x5f); /* same class as 0x51: still blocked */
    assert_int_equal(lapic_pending_vector(&f->l), -1);
    assert_int_equal(rd(f, 0xa0), 0x5f);
    wr(f, 0x80, 0x40);
    assert_int_equal(lapic_pending_vector(&f->l), 0x51);
    lapic_set_cr8(&f->l, 7);
    assert_int_equal(rd(f, 0x80), 0x70);
    assert_int_equal(lapic_get_cr8(&f->l), 7);
    assert_int_equal(lapic_pending_vector(&f->l), -1);
    assert_int_equal(rd(f, 0x90), 0x70); /* APR */
    lapic_set_cr8(&f->l, 0);
    assert_int_equal(rd(f, 0x90), 0x50);
}

static void test_isr_eoi_nesting(void **state)
{
    struct fixture *f = *state;
    wr(f, 0xf0, 0x1ff);
    fixed(f, 0x51, false);
    assert_int_equal(lapic_ack(&f->l), 0x51);
    assert_int_equal(rd(f, 0x120), 1u << (0x51 - 0x40)); /* ISR bits 0x40-0x5f */
    assert_int_equal(rd(f, 0xa0), 0x50);                 /* PPR follows ISR */
    fixed(f, 0x41, false);
    assert_int_equal(lapic_pending_vector(&f->l), -1);
    fixed(f, 0x61, false);
    assert_int_equal(lapic_pending_vector(&f->l), 0x61); /* higher class nests */
    assert_int_equal(lapic_ack(&f->l), 0x61);
    wr(f, 0xb0, 0); /* EOI: the highest in service, 0x61 */
    assert_int_equal(rd(f, 0x130), 0);
    assert_int_equal(lapic_pending_vector(&f->l), -1); /* 0x51 still in service */
    wr(f, 0xb0, 0);
    assert_int_equal(lapic_pending_vector(&f->l), 0x41);
    assert_int_equal(f->neoi, 0); /* edge-triggered: no broadcast */
    /* Nothing deliverable: INTA returns the spurious vector. */
    wr(f, 0x80, 0xf0);
    assert_int_equal(lapic_ack(&f->l), 0xff);
}

static void test_level_eoi_broadcast_and_kick(void **state)
{
    struct fixture *f = *state;
    wr(f, 0xf0, 0x1ff);
    int k = f->kicks;
    fixed(f, 0x71, true);
    assert_int_equal(f->kicks, k + 1);
    assert_true(rd(f, 0x180 + 3 * 0x10) & (1u << (0x71 - 0x60))); /* TMR */
    fixed(f, 0x72, false); /* INTR already pending: no second kick */
    assert_int_equal(f->kicks, k + 1);
    assert_int_equal(lapic_ack(&f->l), 0x72);
    wr(f, 0xb0, 0);
    assert_int_equal(f->neoi, 0);
    assert_int_equal(lapic_ack(&f->l), 0x71);
    wr(f, 0xb0, 0);
    assert_int_equal(f->neoi, 1);
    assert_int_equal(f->eois[0], 0x71);
    /* NMI */
    k = f->kicks;
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_NMI, .assert = true });
    assert_int_equal(f->kicks, k + 1);
    assert_true(lapic_poll(&f->l) & LAPIC_EV_NMI);
    assert_true(lapic_take_nmi(&f->l));
    assert_false(lapic_take_nmi(&f->l));
}

static void test_timer_one_shot(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vclock_ns(&f->clk);
    wr(f, 0xf0, 0x1ff);
    wr(f, 0x3e0, 0xb);       /* divide by 1: 1 ns per count */
    wr(f, 0x320, 0x40);      /* one-shot, vector 0x40 */
    wr(f, 0x380, 1000000);   /* 1 ms */
    assert_int_equal(lapic_next_deadline_ns(&f->l), t0 + MS);
    advance_to(f, t0 + MS / 2);
    assert_int_equal(rd(f, 0x390), 500000);
    advance_to(f, t0 + MS - 1);
    assert_false(irr_has(f, 0x40));
    int k = f->kicks;
    advance_to(f, t0 + MS);
    assert_true(irr_has(f, 0x40));
    assert_int_equal(f->kicks, k + 1);
    assert_int_equal(rd(f, 0x390), 0);
    assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
    assert_int_equal(lapic_ack(&f->l), 0x40);
    advance_to(f, t0 + 10 * MS);
    assert_false(irr_has(f, 0x40)); /* one-shot: once */
    /* Divide by 16 and a masked LVT: counts, never interrupts. */
    wr(f, 0x3e0, 0x3);
    wr(f, 0x320, 0x10040);
    wr(f, 0x380, 1000);
    advance_to(f, t0 + 10 * MS + 8000);
    assert_int_equal(rd(f, 0x390), 500);
    advance_to(f, t0 + 20 * MS);
    assert_false(irr_has(f, 0x40));
    /* Writing 0 stops the timer. */
    wr(f, 0x380, 1000);
    wr(f, 0x380, 0);
    assert_int_equal(timer_queue_next_deadline(&f->q), UINT64_MAX);
}

static void test_timer_periodic(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vclock_ns(&f->clk);
    wr(f, 0xf0, 0x1ff);
    wr(f, 0x3e0, 0x3);       /* divide by 16 */
    wr(f, 0x320, 0x20041);   /* periodic, vector 0x41 */
    wr(f, 0x380, 62500);     /* 1 ms */
    int fired = 0;
    for (uint64_t t = t0; t <= t0 + 10 * MS; t += 10 * US) {
        advance_to(f, t);
        if (lapic_pending_vector(&f->l) == 0x41) {
            assert_int_equal(lapic_ack(&f->l), 0x41);
            wr(f, 0xb0, 0);
            fired++;
        }
    }
    assert_int_equal(fired, 10);
    advance_to(f, t0 + 10 * MS + 250 * US);
    assert_int_equal(rd(f, 0x390), 62500 * 3 / 4);
    /* Switching mode stops it. */
    wr(f, 0x320, 0x41);
    assert_int_equal(rd(f, 0x380), 0);
    assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
}

static void test_timer_tsc_deadline(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vclock_ns(&f->clk), v;
    wr(f, 0xf0, 0x1ff);
    /* Not in TSC-deadline mode: the MSR ignores writes and reads 0. */
    assert_int_equal(lapic_wrmsr(&f->l, 0x6e0, vclock_tsc(&f->clk) + 100), 0);
    assert_int_equal(lapic_rdmsr(&f->l, 0x6e0, &v), 0);
    assert_int_equal(v, 0);

    wr(f, 0x320, 0x40042); /* TSC-deadline, vector 0x42 */
    uint64_t deadline = vclock_tsc(&f->clk) + 2 * 1000000; /* 1 ms at 2 GHz */
    lapic_write_tsc_deadline(&f->l, deadline);
    assert_int_equal(lapic_read_tsc_deadline(&f->l), deadline);
    wr(f, 0x380, 5); /* initial count is ignored in this mode */
    assert_int_equal(rd(f, 0x380), 0);
    advance_to(f, t0 + MS - 1);
    assert_false(irr_has(f, 0x42));
    advance_to(f, t0 + MS);
    assert_true(irr_has(f, 0x42));
    assert_int_equal(lapic_read_tsc_deadline(&f->l), 0); /* cleared when it fires */
    assert_int_equal(lapic_ack(&f->l), 0x42);
    wr(f, 0xb0, 0);
    /* A deadline in the past fires at once; 0 disarms. */
    lapic_write_tsc_deadline(&f->l, 1);
    assert_int_equal(lapic_pending_vector(&f->l), 0x42);
    assert_int_equal(lapic_ack(&f->l), 0x42);
    wr(f, 0xb0, 0);
    lapic_write_tsc_deadline(&f->l, vclock_tsc(&f->clk) + 1000);
    assert_int_equal(lapic_wrmsr(&f->l, 0x6e0, 0), 0);
    advance_to(f, t0 + 2 * MS);
    assert_false(irr_has(f, 0x42));
}

static void test_x2apic_msrs(void **state)
{
    struct fixture *f = *state; /* AP with APIC ID 0x21 */
    uint64_t v;
    assert_int_equal(lapic_rdmsr(&f->l, 0x802, &v), -EINVAL); /* xAPIC mode */
    assert_int_equal(lapic_rdmsr(&f->l, 0x10, &v), -ENOENT);
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00000 | 0x400), -EINVAL); /* EXTD without EN */
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00000 | 0xc00), 0);
    assert_int_equal(lapic_rdmsr(&f->l, 0x1b, &v), 0);
    assert_int_equal(v, 0xfee00c00);
    assert_int_equal(lapic_mmio_read(&f->l, 0x20, 4), 0xffffffff); /* page not decoded */
    assert_false(lapic_mmio_base(&f->l, &v));
    assert_int_equal(lapic_rdmsr(&f->l, 0x802, &v), 0);
    assert_int_equal(v, 0x21);
    assert_int_equal(lapic_rdmsr(&f->l, 0x80d, &v), 0);
    assert_int_equal(v, (2u << 16) | (1u << 1)); /* cluster 2, member bit 1 */
    assert_int_equal(lapic_rdmsr(&f->l, 0x80e, &v), -EINVAL); /* no DFR */
    assert_int_equal(lapic_rdmsr(&f->l, 0x831, &v), -EINVAL); /* no ICR2 */
    assert_int_equal(lapic_rdmsr(&f->l, 0x80b, &v), -EINVAL); /* EOI is write-only */
    assert_int_equal(lapic_wrmsr(&f->l, 0x80d, 0), -EINVAL);  /* LDR read-only */
    assert_int_equal(lapic_wrmsr(&f->l, 0x80f, 0x1ff), 0);
    assert_int_equal(lapic_wrmsr(&f->l, 0x80f, 0x1ff | 1ull << 32), -EINVAL);
    assert_int_equal(lapic_wrmsr(&f->l, 0x808, 0x100), -EINVAL); /* TPR bits 31:8 */
    /* ICR is one 64-bit register with a 32-bit destination. */
    assert_int_equal(lapic_wrmsr(&f->l, 0x830, (0x12345ull << 32) | 0x4055), 0);
    assert_int_equal(f->nsent, 1);
    assert_int_equal(f->sent[0].dest, 0x12345);
    assert_int_equal(f->sent[0].vector, 0x55);
    assert_true(f->sent[0].x2apic);
    assert_int_equal(lapic_rdmsr(&f->l, 0x830, &v), 0);
    assert_int_equal(v, (0x12345ull << 32) | 0x4055);
    /* SELF IPI */
    assert_int_equal(lapic_wrmsr(&f->l, 0x83f, 0x66), 0);
    assert_int_equal(lapic_pending_vector(&f->l), 0x66);
    assert_int_equal(lapic_ack(&f->l), 0x66);
    assert_int_equal(lapic_wrmsr(&f->l, 0x80b, 1), -EINVAL); /* EOI must be 0 */
    assert_int_equal(lapic_wrmsr(&f->l, 0x80b, 0), 0);
    assert_int_equal(lapic_rdmsr(&f->l, 0x800 + (0x100 >> 4) + 3, &v), 0); /* ISR3 */
    assert_int_equal(v, 0);
    /* Matching uses the x2APIC ID and LDR. */
    struct apic_msg phys = { .dest = 0x21, .x2apic = true };
    struct apic_msg logical = { .dest = (2u << 16) | 0x2, .logical = true, .x2apic = true };
    struct apic_msg other = { .dest = (1u << 16) | 0x2, .logical = true, .x2apic = true };
    assert_true(lapic_matches(&f->l, &phys));
    assert_true(lapic_matches(&f->l, &logical));
    assert_false(lapic_matches(&f->l, &other));
    /* Illegal transitions: x2APIC -> xAPIC; disabled -> x2APIC. */
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00800), -EINVAL);
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00000), 0);
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00c00), -EINVAL);
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00800), 0);
    assert_int_equal(rd(f, 0xf0), 0xff); /* disabling reset the registers */
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00801), -EINVAL); /* reserved bit */
}

static void test_errors_and_software_disable(void **state)
{
    struct fixture *f = *state;
    wr(f, 0xf0, 0x1ff);
    wr(f, 0x370, 0xfe); /* LVT error, vector 0xfe */
    fixed(f, 5, false); /* illegal vector */
    assert_int_equal(rd(f, 0x280), 0); /* ESR shows errors after a write */
    wr(f, 0x280, 0);
    assert_int_equal(rd(f, 0x280), 0x40);
    assert_int_equal(lapic_pending_vector(&f->l), 0xfe);
    wr(f, 0x310, 0x01000000);
    wr(f, 0x300, 0x03); /* send vector 3: illegal */
    assert_int_equal(f->nsent, 0);
    wr(f, 0x280, 0);
    assert_int_equal(rd(f, 0x280), 0x20);
    wr(f, 0x280, 0);
    assert_int_equal(rd(f, 0x280), 0);

    /* Software disable masks every LVT and drops fixed interrupts. */
    assert_int_equal(lapic_ack(&f->l), 0xfe);
    wr(f, 0xb0, 0);
    wr(f, 0xf0, 0xff);
    assert_int_equal(rd(f, 0x370), 0x100fe);
    assert_int_equal(rd(f, 0x350), 0x10700);
    wr(f, 0x350, 0x700);
    assert_int_equal(rd(f, 0x350), 0x10700); /* cannot unmask */
    fixed(f, 0x80, false);
    assert_int_equal(lapic_pending_vector(&f->l), -1);
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_NMI, .assert = true });
    assert_true(lapic_take_nmi(&f->l)); /* NMI still accepted */
}

static void test_lint0_extint(void **state)
{
    struct fixture *f = *state; /* BSP: LINT0 is ExtINT at reset */
    lapic_set_lint(&f->l, 0, true);
    assert_int_equal(lapic_pending_vector(&f->l), LAPIC_PENDING_EXTINT);
    assert_int_equal(lapic_ack(&f->l), 0x30);
    assert_int_equal(f->extint_acks, 1);
    wr(f, 0xf0, 0x1ff);
    wr(f, 0x350, 0x10700); /* masked */
    assert_int_equal(lapic_pending_vector(&f->l), -1);
    /* Hardware-disabled: LINT0 goes straight to the CPU. */
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00000 | 0x100), 0);
    assert_int_equal(lapic_pending_vector(&f->l), LAPIC_PENDING_EXTINT);
    lapic_set_lint(&f->l, 0, false);
    assert_int_equal(lapic_pending_vector(&f->l), -1);
    lapic_set_lint(&f->l, 1, true); /* LINT1 is NMI */
    assert_true(lapic_take_nmi(&f->l));
    /* LINT as a fixed edge input. */
    assert_int_equal(lapic_wrmsr(&f->l, 0x1b, 0xfee00900), 0);
    wr(f, 0xf0, 0x1ff);
    wr(f, 0x360, 0x00077);
    lapic_set_lint(&f->l, 1, false);
    lapic_set_lint(&f->l, 1, true);
    assert_int_equal(lapic_pending_vector(&f->l), 0x77);
}

static void test_init_sipi(void **state)
{
    struct fixture *f = *state; /* AP: starts in wait-for-SIPI */
    uint8_t vec = 0;
    assert_int_equal(lapic_take_init_sipi(&f->l, &vec), LAPIC_NO_INIT);
    int k = f->kicks;
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_INIT, .assert = true, .level = true });
    assert_int_equal(f->kicks, k + 1);
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_INIT, .assert = false, .level = true });
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_STARTUP, .vector = 0x9a });
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_STARTUP, .vector = 0x9b });
    assert_int_equal(lapic_take_init_sipi(&f->l, &vec), LAPIC_INIT);
    assert_int_equal(lapic_take_init_sipi(&f->l, &vec), LAPIC_SIPI);
    assert_int_equal(vec, 0x9a); /* the second SIPI was ignored */
    assert_int_equal(lapic_take_init_sipi(&f->l, &vec), LAPIC_NO_INIT);
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_STARTUP, .vector = 0x9c });
    assert_int_equal(lapic_take_init_sipi(&f->l, &vec), LAPIC_NO_INIT); /* running: ignored */
    /* INIT resets the register state but keeps the ID. */
    wr(f, 0xf0, 0x1ff);
    wr(f, 0x80, 0x20);
    lapic_accept(&f->l, &(struct apic_msg){ .delivery = APIC_DM_INIT, .assert = true });
    assert_int_equal(rd(f, 0xf0), 0xff);
    assert_int_equal(rd(f, 0x80), 0);
    assert_int_equal(rd(f, 0x20), 0x21000000);
}

static void test_mmio_access_rules(void **state)
{
    struct fixture *f = *state;
    lapic_mmio_write(&f->l, 0xf0, 0x1ff, 2); /* narrow write: ignored */
    assert_int_equal(rd(f, 0xf0), 0xff);
    lapic_mmio_write(&f->l, 0xf4, 0x1ff, 4); /* unaligned: ignored */
    assert_int_equal(rd(f, 0xf0), 0xff);
    lapic_mmio_write(&f->l, 0xf0, 0x1ff, 8);
    assert_int_equal(rd(f, 0xf0), 0x1ff);
    assert_int_equal(lapic_mmio_read(&f->l, 0x30, 8), 0x00050014);
    assert_int_equal(lapic_mmio_read(&f->l, 0x32, 1), 0x05);
    assert_int_equal(lapic_mmio_read(&f->l, 0x34, 4), 0);
    assert_int_equal(lapic_mmio_read(&f->l, 0x3c, 8), 0); /* crosses into the next slot */
    assert_int_equal(lapic_mmio_read(&f->l, 0xffc, 8), 0xffffffffffffffffull); /* past the page */
    assert_int_equal(lapic_mmio_read(&f->l, 0xb0, 4), 0); /* EOI reads 0 */
    /* Logical destination (xAPIC flat and cluster). */
    wr(f, 0xd0, 0x0c123456);
    assert_int_equal(rd(f, 0xd0), 0x0c000000);
    struct apic_msg m = { .dest = 0x04, .logical = true };
    assert_true(lapic_matches(&f->l, &m));
    m.dest = 0x03;
    assert_false(lapic_matches(&f->l, &m));
    wr(f, 0xe0, 0x0fffffff); /* cluster model */
    assert_int_equal(rd(f, 0xe0), 0x0fffffff);
    m.dest = 0x04;
    assert_true(lapic_matches(&f->l, &m)); /* cluster 0, member 2 */
    wr(f, 0xd0, 0x14000000);               /* cluster 1, member 2 */
    assert_false(lapic_matches(&f->l, &m));
    m.dest = 0x14;
    assert_true(lapic_matches(&f->l, &m));
    m.dest = 0xff;
    assert_true(lapic_matches(&f->l, &m)); /* broadcast */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_state, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_ap_reset_state, setup_ap, teardown),
        cmocka_unit_test_setup_teardown(test_priority_tpr_ppr, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_isr_eoi_nesting, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_level_eoi_broadcast_and_kick, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_timer_one_shot, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_timer_periodic, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_timer_tsc_deadline, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_x2apic_msrs, setup_ap, teardown),
        cmocka_unit_test_setup_teardown(test_errors_and_software_disable, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_lint0_extint, setup_bsp, teardown),
        cmocka_unit_test_setup_teardown(test_init_sipi, setup_ap, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_access_rules, setup_bsp, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
