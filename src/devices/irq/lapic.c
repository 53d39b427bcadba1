#include "devices/irq/lapic.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

/* Register offsets in the xAPIC page (SDM Vol. 3A, table "Local APIC
 * Register Address Map"); the x2APIC MSR is 0x800 + offset / 16. */
enum {
    REG_ID = 0x020,
    REG_VERSION = 0x030,
    REG_TPR = 0x080,
    REG_APR = 0x090,
    REG_PPR = 0x0a0,
    REG_EOI = 0x0b0,
    REG_LDR = 0x0d0,
    REG_DFR = 0x0e0,
    REG_SVR = 0x0f0,
    REG_ISR = 0x100, /* 8 registers, 0x100-0x170 */
    REG_TMR = 0x180, /* 0x180-0x1f0 */
    REG_IRR = 0x200, /* 0x200-0x270 */
    REG_ESR = 0x280,
    REG_ICR_LO = 0x300,
    REG_ICR_HI = 0x310,
    REG_LVT = 0x320, /* six entries, 0x320-0x370, enum lapic_lvt order */
    REG_TIMER_ICR = 0x380,
    REG_TIMER_CCR = 0x390,
    REG_TIMER_DCR = 0x3e0,
    REG_SELF_IPI = 0x3f0, /* x2APIC only */
};

#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST  0x8ffu

/* IA32_APIC_BASE (SDM Vol. 3A 11.4.4, 11.12.1) */
#define APIC_BASE_BSP   (1ull << 8)
#define APIC_BASE_EXTD  (1ull << 10)
#define APIC_BASE_EN    (1ull << 11)
#define APIC_BASE_ADDR  0x000ffffffffff000ull /* bits 51:12 */

/* Version register: integrated APIC (0x14), max LVT entry 5, no
 * EOI-broadcast suppression. */
#define APIC_VERSION    (0x14u | (5u << 16))

#define SVR_ENABLE      (1u << 8)
#define SVR_WRITABLE    0x3ffu   /* vector, APIC enable, focus check */

#define LVT_MASK        (1u << 16)
#define LVT_TIMER_MODE_SHIFT 17
#define LVT_DM(v)       (((v) >> 8) & 7)

enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };

/* Writable bits of each LVT entry (SDM Vol. 3A figure "Local Vector
 * Table"); delivery status and remote IRR read as 0. */
static const uint32_t lvt_writable[LAPIC_LVT_COUNT] = {
    [LAPIC_LVT_TIMER] = 0x000600ffu | LVT_MASK,   /* vector, mask, mode */
    [LAPIC_LVT_THERMAL] = 0x000007ffu | LVT_MASK, /* vector, delivery mode, mask */
    [LAPIC_LVT_PERF] = 0x000007ffu | LVT_MASK,
    [LAPIC_LVT_LINT0] = 0x0000a7ffu | LVT_MASK,   /* + polarity, trigger */
    [LAPIC_LVT_LINT1] = 0x0000a7ffu | LVT_MASK,
    [LAPIC_LVT_ERROR] = 0x000000ffu | LVT_MASK,
};

/* ICR low: vector, delivery mode, destination mode, level, trigger,
 * shorthand (delivery status is read-only and always idle). */
#define ICR_LO_WRITABLE 0x000ccfffu
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)

/* Error Status Register bits (SDM Vol. 3A 11.5.3) */
#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ESR_RECV_ILLEGAL_VECTOR (1u << 6)

/* Work to do once the LAPIC lock is dropped. */
struct lapic_out {
    unsigned old_events;
    bool send;
    struct apic_msg msg;
    bool eoi;
    uint8_t eoi_vector;
};

/* ---- 256-bit vector sets ---------------------------------------------- */

/* GUEST: vectors come from the guest but are at most 255, so vec >> 5
 * indexes one of the 8 words. */

static int vec_highest(const uint32_t v[8])
{
    for (int i = 7; i >= 0; i--) {
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    }
    return -1;
}

static void vec_set(uint32_t v[8], unsigned vec) { v[vec >> 5] |= 1u << (vec & 31); }
static void vec_clear(uint32_t v[8], unsigned vec) { v[vec >> 5] &= ~(1u << (vec & 31)); }
static bool vec_test(const uint32_t v[8], unsigned vec) { return v[vec >> 5] & (1u << (vec & 31)); }

/* ---- modes and priorities --------------------------------------------- */

static bool hw_enabled(const struct lapic_state *s) { return s->apic_base & APIC_BASE_EN; }
static bool sw_enabled(const struct lapic_state *s) { return s->svr & SVR_ENABLE; }

static bool x2apic_mode(const struct lapic_state *s)
{
    return (s->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

static bool xapic_mode(const struct lapic_state *s)
{
    return (s->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EN;
}

/* Processor priority (SDM Vol. 3A 11.8.3.1). */
static uint32_t ppr(const struct lapic_state *s)
{
    int isrv = vec_highest(s->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (s->tpr & 0xf0) >= isr_class ? s->tpr & 0xff : isr_class;
}

/* Arbitration priority (SDM Vol. 3A 11.8.3.1, xAPIC only). */
static uint32_t apr(const struct lapic_state *s)
{
    int irrv = vec_highest(s->irr), isrv = vec_highest(s->isr);
    uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    uint32_t tpr_class = s->tpr & 0xf0;
    if (tpr_class >= irr_class && tpr_class > isr_class)
        return s->tpr & 0xff;
    return MAX(tpr_class, MAX(irr_class, isr_class));
}

/* Highest IRR vector whose priority class is above the PPR's, or -1. */
static int deliverable_vector(const struct lapic_state *s)
{
    int v = vec_highest(s->irr);
    if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(s) & 0xf0))
        return -1;
    return v;
}

static bool extint_pending(const struct lapic_state *s)
{
    if (s->extint_msg)
        return true;
    if (!s->lint_level[0])
        return false;
    if (!hw_enabled(s))
        return true; /* LINT0 goes straight to the CPU's INTR */
    uint32_t lvt = s->lvt[LAPIC_LVT_LINT0];
    return !(lvt & LVT_MASK) && LVT_DM(lvt) == APIC_DM_EXTINT;
}

static unsigned compute_events(const struct lapic_state *s)
{
    unsigned ev = 0;
    if (deliverable_vector(s) >= 0 || extint_pending(s))
        ev |= LAPIC_EV_INTR;
    if (s->nmi_pending)
        ev |= LAPIC_EV_NMI;
    if (s->init_pending || s->sipi_pending)
        ev |= LAPIC_EV_INIT;
    return ev;
}

/* ---- locking: every state change ends in lapic_unlock ----------------- */

static void lapic_lock(struct lapic *l, struct lapic_out *out)
{
    pthread_mutex_lock(&l->lock);
    *out = (struct lapic_out){ .old_events = atomic_load_explicit(&l->events, memory_order_relaxed) };
}

/* Publishes the new event bits, drops the lock, then performs the bus
 * actions and kicks the vCPU if a new event appeared. */
static void lapic_unlock(struct lapic *l, struct lapic_out *out)
{
    unsigned ev = compute_events(&l->s);
    /* Pairs with the acquire load in lapic_poll(): a vCPU that sees the bit
     * also sees the IRR/NMI/INIT state behind it. */
    atomic_store_explicit(&l->events, ev, memory_order_release);
    void (*kick)(void *) = l->kick;
    void *kick_ctx = l->kick_ctx;
    pthread_mutex_unlock(&l->lock);

    if (out->send && l->bus.send)
        l->bus.send(l->bus.ctx, l->index, &out->msg);
    if (out->eoi && l->bus.eoi)
        l->bus.eoi(l->bus.ctx, out->eoi_vector);
    if ((ev & ~out->old_events) && kick)
        kick(kick_ctx);
}

/* ---- timer ------------------------------------------------------------ */

static unsigned timer_mode(const struct lapic_state *s)
{
    return (s->lvt[LAPIC_LVT_TIMER] >> LVT_TIMER_MODE_SHIFT) & 3;
}

/* Divide Configuration Register bits 3,1:0 (SDM Vol. 3A 11.5.4). */
static uint64_t timer_divisor(const struct lapic_state *s)
{
    unsigned code = ((s->timer_dcr >> 1) & 4) | (s->timer_dcr & 3);
    return 1ull << ((code + 1) & 7);
}

static void timer_arm(struct lapic *l)
{
    if (l->s.timer_expire_ns)
        timer_mod(&l->timer, l->s.timer_expire_ns);
    else
        timer_cancel(&l->timer);
}

static void timer_stop(struct lapic *l)
{
    l->s.timer_period_ns = 0;
    l->s.timer_expire_ns = 0;
    timer_cancel(&l->timer);
}

static uint32_t timer_current_count(const struct lapic *l)
{
    const struct lapic_state *s = &l->s;
    if (timer_mode(s) == TIMER_TSC_DEADLINE || !s->timer_period_ns || !s->timer_expire_ns)
        return 0;
    uint64_t now = vclock_ns(l->clock), left;
    if (timer_mode(s) == TIMER_PERIODIC) {
        uint64_t into = now > s->timer_start_ns ? now - s->timer_start_ns : 0;
        left = s->timer_period_ns - into % s->timer_period_ns;
    } else {
        if (now >= s->timer_expire_ns)
            return 0;
        left = s->timer_expire_ns - now;
    }
    uint64_t count = vclock_ns_to_ticks(left, LAPIC_TIMER_HZ) / timer_divisor(s);
    return (uint32_t)MIN(count, (uint64_t)s->timer_initial);
}

static void raise_error(struct lapic *l, uint32_t esr_bit);

/* Signals the local interrupt source lvt[i] (timer, error, LINT edge...). */
static void raise_lvt(struct lapic *l, enum lapic_lvt i)
{
    uint32_t entry = l->s.lvt[i];
    if (entry & LVT_MASK)
        return;
    unsigned dm = (i == LAPIC_LVT_TIMER || i == LAPIC_LVT_ERROR) ? APIC_DM_FIXED : LVT_DM(entry);
    unsigned vector = entry & 0xff;
    switch (dm) {
    case APIC_DM_FIXED:
        if (vector < 16) {
            if (i != LAPIC_LVT_ERROR)
                raise_error(l, ESR_RECV_ILLEGAL_VECTOR);
            else
                l->s.esr_pending |= ESR_RECV_ILLEGAL_VECTOR;
            return;
        }
        vec_set(l->s.irr, vector);
        vec_clear(l->s.tmr, vector);
        break;
    case APIC_DM_NMI:
        l->s.nmi_pending = true;
        break;
    default: /* ExtINT is level-driven (extint_pending); SMI and INIT unsupported here */
        break;
    }
}

static void raise_error(struct lapic *l, uint32_t esr_bit)
{
    l->s.esr_pending |= esr_bit;
    raise_lvt(l, LAPIC_LVT_ERROR);
}

/* The timer reached its expiry at or before now. */
static void timer_fire(struct lapic *l, uint64_t now)
{
    struct lapic_state *s = &l->s;
    raise_lvt(l, LAPIC_LVT_TIMER);
    if (timer_mode(s) == TIMER_PERIODIC && s->timer_period_ns) {
        /* Skip missed periods rather than queueing a burst. */
        uint64_t periods = (now - s->timer_start_ns) / s->timer_period_ns;
        s->timer_start_ns += periods * s->timer_period_ns;
        s->timer_expire_ns = s->timer_start_ns + s->timer_period_ns;
    } else {
        s->timer_expire_ns = 0;
        if (timer_mode(s) == TIMER_TSC_DEADLINE)
            s->tsc_deadline = 0;
    }
    timer_arm(l);
}

static void timer_set_initial(struct lapic *l, uint32_t count)
{
    struct lapic_state *s = &l->s;
    if (timer_mode(s) == TIMER_TSC_DEADLINE)
        return; /* ignored in TSC-deadline mode (SDM Vol. 3A 11.5.4.1) */
    s->timer_initial = count;
    if (!count) {
        timer_stop(l);
        return;
    }
    uint64_t period = vclock_ticks_to_ns((uint64_t)count * timer_divisor(s), LAPIC_TIMER_HZ);
    if (timer_mode(s) == TIMER_PERIODIC && period < LAPIC_MIN_PERIOD_NS) {
        log_once(LOG_WARN, "lapic: periodic timer period %llu ns raised to %llu ns",
                 (unsigned long long)period, (unsigned long long)LAPIC_MIN_PERIOD_NS);
        period = LAPIC_MIN_PERIOD_NS;
    }
    uint64_t now = vclock_ns(l->clock);
    s->timer_period_ns = period;
    s->timer_start_ns = now;
    s->timer_expire_ns = now + period;
    timer_arm(l);
}

static void write_tsc_deadline_locked(struct lapic *l, uint64_t tsc)
{
    struct lapic_state *s = &l->s;
    if (timer_mode(s) != TIMER_TSC_DEADLINE)
        return;
    s->tsc_deadline = tsc;
    if (!tsc) {
        timer_stop(l);
        return;
    }
    /* The first guest ns at which vclock_tsc() >= tsc; never 0 since tsc > 0. */
    s->timer_expire_ns = vclock_ticks_to_ns(tsc, VCLOCK_TSC_HZ);
    uint64_t now = vclock_ns(l->clock);
    if (now >= s->timer_expire_ns)
        timer_fire(l, now);
    else
        timer_arm(l);
}

static void lapic_timer_cb(void *opaque)
{
    struct lapic *l = opaque;
    struct lapic_out out;

    lapic_lock(l, &out);
    uint64_t now = vclock_ns(l->clock);
    /* The state, not the timer, is the truth: a callback that raced with a
     * re-programming finds nothing due and re-arms for the new expiry. */
    if (l->s.timer_expire_ns && now >= l->s.timer_expire_ns)
        timer_fire(l, now);
    else
        timer_arm(l);
    lapic_unlock(l, &out);
}

/* ---- reset, INIT ------------------------------------------------------ */

static uint32_t x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* Register state after RESET or INIT (SDM Vol. 3A 11.4.7.1, 11.4.7.3): ID
 * and IA32_APIC_BASE are left to the caller. */
static void registers_reset(struct lapic *l)
{
    struct lapic_state *s = &l->s;
    s->tpr = 0;
    s->ldr = x2apic_mode(s) ? x2apic_ldr(s->id) : 0;
    s->dfr = 0xffffffffu;
    s->svr = 0xff;
    s->esr = s->esr_pending = 0;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    s->icr_lo = s->icr_hi = 0;
    for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
        s->lvt[i] = LVT_MASK;
    s->timer_initial = 0;
    s->timer_dcr = 0;
    s->tsc_deadline = 0;
    s->extint_msg = false;
    s->nmi_pending = false;
    timer_stop(l);
}

static void reset_locked(struct lapic *l)
{
    struct lapic_state *s = &l->s;
    s->apic_base = LAPIC_DEFAULT_BASE | APIC_BASE_EN | (l->bsp ? APIC_BASE_BSP : 0);
    registers_reset(l);
    /* Firmware leaves the BSP in virtual-wire mode so the 8259 reaches the
     * CPU before the OS sets the APIC up (as KVM and QEMU do). */
    if (l->bsp)
        s->lvt[LAPIC_LVT_LINT0] = APIC_DM_EXTINT << 8;
    s->init_pending = s->sipi_pending = false;
    s->wait_sipi = !l->bsp;
}

static void do_init(struct lapic *l)
{
    registers_reset(l);
    l->s.init_pending = true;
    l->s.sipi_pending = false;
    l->s.wait_sipi = true;
}

/* ---- receiving messages ----------------------------------------------- */

static void accept_locked(struct lapic *l, const struct apic_msg *m)
{
    struct lapic_state *s = &l->s;
    if (!hw_enabled(s))
        return;
    switch (m->delivery) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        if (!sw_enabled(s))
            return; /* a software-disabled APIC accepts no new interrupts */
        if (m->vector < 16) {
            raise_error(l, ESR_RECV_ILLEGAL_VECTOR);
            return;
        }
        vec_set(s->irr, m->vector);
        if (m->level)
            vec_set(s->tmr, m->vector);
        else
            vec_clear(s->tmr, m->vector);
        break;
    case APIC_DM_NMI:
        s->nmi_pending = true;
        break;
    case APIC_DM_INIT:
        if (m->assert)
            do_init(l);
        /* INIT level de-assert only synchronised arbitration IDs: no-op */
        break;
    case APIC_DM_STARTUP:
        if (s->wait_sipi) {
            s->wait_sipi = false;
            s->sipi_pending = true;
            s->sipi_vector = m->vector;
        }
        break;
    case APIC_DM_EXTINT:
        s->extint_msg = true;
        break;
    case APIC_DM_SMI:
        log_once(LOG_WARN, "lapic: SMI is not supported; dropped");
        break;
    default:
        break;
    }
}

void lapic_accept(struct lapic *l, const struct apic_msg *m)
{
    struct lapic_out out;
    lapic_lock(l, &out);
    accept_locked(l, m);
    lapic_unlock(l, &out);
}

static bool logical_match(const struct lapic_state *s, const struct apic_msg *m)
{
    if (x2apic_mode(s)) {
        /* x2APIC logical: cluster in bits 31:16, member bitmap in 15:0 */
        return (m->dest >> 16) == (s->ldr >> 16) && (m->dest & s->ldr & 0xffff);
    }
    uint32_t dest = m->dest & 0xff, ldr = s->ldr >> 24;
    if ((s->dfr >> 28) == 0xf)
        return dest & ldr; /* flat model */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf); /* cluster model */
}

bool lapic_matches(struct lapic *l, const struct apic_msg *m)
{
    bool match;
    uint32_t broadcast = m->x2apic ? 0xffffffffu : 0xffu;

    pthread_mutex_lock(&l->lock);
    const struct lapic_state *s = &l->s;
    if (!hw_enabled(s))
        match = false;
    else if (m->dest == broadcast)
        match = true;
    else if (m->logical)
        match = logical_match(s, m);
    else
        match = m->dest == (x2apic_mode(s) ? s->id : (s->id & 0xff));
    pthread_mutex_unlock(&l->lock);
    return match;
}

/* ---- sending and EOI -------------------------------------------------- */

static void send_ipi(struct lapic *l, struct lapic_out *out)
{
    struct lapic_state *s = &l->s;
    bool x2 = x2apic_mode(s);
    struct apic_msg m = {
        .dest = x2 ? s->icr_hi : s->icr_hi >> 24,
        .vector = s->icr_lo & 0xff,
        .delivery = LVT_DM(s->icr_lo),
        .shorthand = (s->icr_lo >> 18) & 3,
        .logical = s->icr_lo & ICR_DEST_LOGICAL,
        .level = s->icr_lo & ICR_TRIGGER_LEVEL,
        .assert = s->icr_lo & ICR_LEVEL_ASSERT,
        .x2apic = x2,
    };
    if ((m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST) && m.vector < 16) {
        raise_error(l, ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    if (m.delivery == 3 || (m.delivery == APIC_DM_INIT && !m.assert))
        return; /* reserved mode; INIT de-assert has no effect on modern APICs */
    if (m.delivery == APIC_DM_INIT || m.delivery == APIC_DM_STARTUP || m.delivery == APIC_DM_NMI)
        m.level = false;
    if (m.shorthand == APIC_SH_SELF) {
        accept_locked(l, &m); /* never leaves this APIC */
        return;
    }
    out->send = true;
    out->msg = m;
}

static void do_eoi(struct lapic *l, struct lapic_out *out)
{
    int v = vec_highest(l->s.isr);
    if (v < 0)
        return;
    vec_clear(l->s.isr, (unsigned)v);
    if (vec_test(l->s.tmr, (unsigned)v)) {
        out->eoi = true;
        out->eoi_vector = (uint8_t)v;
    }
}

/* ---- register file ---------------------------------------------------- */

static void write_svr(struct lapic *l, uint32_t v)
{
    l->s.svr = v & SVR_WRITABLE;
    if (!sw_enabled(&l->s)) {
        for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
            l->s.lvt[i] |= LVT_MASK;
    }
}

static void write_lvt(struct lapic *l, enum lapic_lvt i, uint32_t v)
{
    struct lapic_state *s = &l->s;
    uint32_t nv = v & lvt_writable[i];
    if (!sw_enabled(s))
        nv |= LVT_MASK; /* cannot be unmasked while software-disabled */
    if (i == LAPIC_LVT_TIMER) {
        unsigned mode = (nv >> LVT_TIMER_MODE_SHIFT) & 3;
        if (mode == 3) /* reserved: keep the current mode */
            nv = (nv & ~(3u << LVT_TIMER_MODE_SHIFT)) | (s->lvt[i] & (3u << LVT_TIMER_MODE_SHIFT));
        if (((nv ^ s->lvt[i]) >> LVT_TIMER_MODE_SHIFT) & 3) {
            /* A mode change disarms the timer (SDM Vol. 3A 11.5.4.1). */
            s->timer_initial = 0;
            s->tsc_deadline = 0;
            timer_stop(l);
        }
    }
    s->lvt[i] = nv;
}

/* Reads register reg; false when it is not readable (x2APIC: #GP). */
static bool reg_read(const struct lapic *l, unsigned reg, bool x2, uint32_t *v)
{
    const struct lapic_state *s = &l->s;

    /* GUEST: reg is the guest's offset (< 0x1000) or MSR; each range check
     * below bounds the array index it guards (0..7, 0..LAPIC_LVT_COUNT-1). */
    if (reg >= REG_ISR && reg < REG_ISR + 0x80) {
        *v = s->isr[(reg - REG_ISR) >> 4];
        return true;
    }
    if (reg >= REG_TMR && reg < REG_TMR + 0x80) {
        *v = s->tmr[(reg - REG_TMR) >> 4];
        return true;
    }
    if (reg >= REG_IRR && reg < REG_IRR + 0x80) {
        *v = s->irr[(reg - REG_IRR) >> 4];
        return true;
    }
    if (reg >= REG_LVT && reg < REG_LVT + 0x10 * LAPIC_LVT_COUNT) {
        *v = s->lvt[(reg - REG_LVT) >> 4];
        return true;
    }
    switch (reg) {
    case REG_ID: *v = x2 ? s->id : s->id << 24; return true;
    case REG_VERSION: *v = APIC_VERSION; return true;
    case REG_TPR: *v = s->tpr; return true;
    case REG_APR: *v = apr(s); return !x2;
    case REG_PPR: *v = ppr(s); return true;
    case REG_LDR: *v = s->ldr; return true;
    case REG_DFR: *v = s->dfr; return !x2;
    case REG_SVR: *v = s->svr; return true;
    case REG_ESR: *v = s->esr; return true;
    case REG_ICR_LO: *v = s->icr_lo; return true;
    case REG_ICR_HI: *v = s->icr_hi; return !x2;
    case REG_TIMER_ICR: *v = s->timer_initial; return true;
    case REG_TIMER_CCR: *v = timer_current_count(l); return true;
    case REG_TIMER_DCR: *v = s->timer_dcr; return true;
    default: *v = 0; return false; /* EOI and SELF IPI are write-only */
    }
}

/* Writes register reg (not the x2APIC ICR, see lapic_wrmsr). Returns 0 or
 * -EINVAL when an x2APIC write must raise #GP; xAPIC writes to read-only or
 * reserved registers are ignored. */
static int reg_write(struct lapic *l, unsigned reg, bool x2, uint32_t v, struct lapic_out *out)
{
    struct lapic_state *s = &l->s;

    /* GUEST: the range check bounds the LVT index to 0..LAPIC_LVT_COUNT-1. */
    if (reg >= REG_LVT && reg < REG_LVT + 0x10 * LAPIC_LVT_COUNT) {
        write_lvt(l, (enum lapic_lvt)((reg - REG_LVT) >> 4), v);
        return 0;
    }
    switch (reg) {
    case REG_TPR:
        if (x2 && (v & ~0xffu))
            return -EINVAL;
        s->tpr = v & 0xff;
        return 0;
    case REG_EOI:
        if (x2 && v)
            return -EINVAL;
        do_eoi(l, out);
        return 0;
    case REG_LDR:
        if (x2)
            return -EINVAL; /* read-only, derived from the x2APIC ID */
        s->ldr = v & 0xff000000u;
        return 0;
    case REG_DFR:
        if (x2)
            return -EINVAL;
        s->dfr = v | 0x0fffffffu;
        return 0;
    case REG_SVR:
        if (x2 && (v & ~SVR_WRITABLE))
            return -EINVAL;
        write_svr(l, v);
        return 0;
    case REG_ESR:
        if (x2 && v)
            return -EINVAL;
        /* A write latches the errors collected since the last one. */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return 0;
    case REG_ICR_LO:
        if (x2)
            return -EINVAL;
        s->icr_lo = v & ICR_LO_WRITABLE;
        send_ipi(l, out);
        return 0;
    case REG_ICR_HI:
        if (x2)
            return -EINVAL;
        s->icr_hi = v & 0xff000000u;
        return 0;
    case REG_TIMER_ICR:
        timer_set_initial(l, v);
        return 0;
    case REG_TIMER_DCR:
        if (x2 && (v & ~0xbu))
            return -EINVAL;
        s->timer_dcr = v & 0xb;
        return 0;
    case REG_SELF_IPI:
        if (!x2)
            return 0;
        if (v & ~0xffu)
            return -EINVAL;
        accept_locked(l, &(struct apic_msg){ .vector = (uint8_t)v, .delivery = APIC_DM_FIXED,
                                             .assert = true, .x2apic = true });
        return 0;
    default:
        return x2 ? -EINVAL : 0; /* read-only or reserved */
    }
}

/* ---- public entry points ---------------------------------------------- */

int lapic_init(struct lapic *l, unsigned index, uint32_t apic_id, bool bsp, struct vclock *clock,
               struct timer_queue *timers, const struct lapic_bus *bus,
               void (*kick)(void *ctx), void *kick_ctx)
{
    memset(l, 0, sizeof(*l));
    int err = pthread_mutex_init(&l->lock, NULL);
    if (err)
        return -err;
    l->index = index;
    l->bsp = bsp;
    l->clock = clock;
    if (bus)
        l->bus = *bus;
    l->kick = kick;
    l->kick_ctx = kick_ctx;
    l->s.id = apic_id;
    atomic_init(&l->events, 0);
    timer_init(&l->timer, timers, lapic_timer_cb, l);
    lapic_reset(l);
    return 0;
}

void lapic_destroy(struct lapic *l)
{
    timer_del(&l->timer);
    pthread_mutex_destroy(&l->lock);
}

void lapic_reset(struct lapic *l)
{
    struct lapic_out out;
    lapic_lock(l, &out);
    reset_locked(l);
    lapic_unlock(l, &out);
}

void lapic_set_kick(struct lapic *l, void (*kick)(void *ctx), void *kick_ctx)
{
    pthread_mutex_lock(&l->lock);
    l->kick = kick;
    l->kick_ctx = kick_ctx;
    pthread_mutex_unlock(&l->lock);
}

uint64_t lapic_mmio_read(struct lapic *l, uint64_t offset, unsigned size)
{
    uint64_t ones = size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;
    if (size == 0 || size > 8 || offset >= LAPIC_MMIO_SIZE || size > LAPIC_MMIO_SIZE - offset)
        return ones;

    uint32_t v = 0;
    pthread_mutex_lock(&l->lock);
    bool decoded = xapic_mode(&l->s);
    if (decoded)
        reg_read(l, (unsigned)offset & 0xff0, false, &v);
    pthread_mutex_unlock(&l->lock);
    if (!decoded)
        return ones;

    /* The register is the first dword of its 16-byte slot; the rest of the
     * slot reads as zero. An access crossing into the next slot sees zeros. */
    uint8_t slot[24] = { 0 };
    unsigned within = (unsigned)offset & 0xf;
    put_le32(slot, v);
    uint64_t r = 0;
    memcpy(&r, slot + within, size);
    return r;
}

void lapic_mmio_write(struct lapic *l, uint64_t offset, uint64_t value, unsigned size)
{
    if (offset >= LAPIC_MMIO_SIZE || (offset & 0xf) || size < 4 || size > 8) {
        log_once(LOG_DEBUG, "lapic: ignoring unaligned or narrow register write");
        return;
    }
    struct lapic_out out;
    lapic_lock(l, &out);
    if (xapic_mode(&l->s))
        reg_write(l, (unsigned)offset, false, (uint32_t)value, &out);
    lapic_unlock(l, &out);
}

bool lapic_mmio_base(struct lapic *l, uint64_t *base)
{
    pthread_mutex_lock(&l->lock);
    bool decoded = xapic_mode(&l->s);
    *base = l->s.apic_base & APIC_BASE_ADDR;
    pthread_mutex_unlock(&l->lock);
    return decoded;
}

/* WRMSR IA32_APIC_BASE with the mode transitions of SDM Vol. 3A 11.12.5. */
static int write_apic_base(struct lapic *l, uint64_t v)
{
    struct lapic_state *s = &l->s;
    const uint64_t writable = APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP;
    if (v & ~writable)
        return -EINVAL;
    bool en = v & APIC_BASE_EN, extd = v & APIC_BASE_EXTD;
    bool was_en = hw_enabled(s), was_x2 = x2apic_mode(s);
    if (extd && !en)
        return -EINVAL; /* invalid state */
    if (was_x2 && en && !extd)
        return -EINVAL; /* x2APIC -> xAPIC needs a pass through disabled */
    if (!was_en && en && extd)
        return -EINVAL; /* disabled -> x2APIC needs a pass through xAPIC */

    s->apic_base = (v & ~APIC_BASE_BSP) | (s->apic_base & APIC_BASE_BSP);
    if (was_en && !en) {
        registers_reset(l); /* a disabled APIC loses its state */
    } else if (!was_x2 && x2apic_mode(s)) {
        s->ldr = x2apic_ldr(s->id);
    }
    return 0;
}

int lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *value)
{
    if (msr == 0x1b) { /* IA32_APIC_BASE */
        pthread_mutex_lock(&l->lock);
        *value = l->s.apic_base;
        pthread_mutex_unlock(&l->lock);
        return 0;
    }
    if (msr == 0x6e0) { /* IA32_TSC_DEADLINE */
        *value = lapic_read_tsc_deadline(l);
        return 0;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)
        return -ENOENT;

    unsigned reg = (msr - MSR_X2APIC_FIRST) << 4;
    int ret = 0;
    uint32_t v = 0;
    pthread_mutex_lock(&l->lock);
    if (!x2apic_mode(&l->s))
        ret = -EINVAL;
    else if (reg == REG_ICR_LO)
        *value = l->s.icr_lo | (uint64_t)l->s.icr_hi << 32;
    else if (!reg_read(l, reg, true, &v))
        ret = -EINVAL;
    else
        *value = v;
    pthread_mutex_unlock(&l->lock);
    return ret;
}

int lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t value)
{
    struct lapic_out out;
    int ret = 0;

    if (msr == 0x6e0) {
        lapic_write_tsc_deadline(l, value);
        return 0;
    }
    if (msr != 0x1b && (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST))
        return -ENOENT;

    lapic_lock(l, &out);
    if (msr == 0x1b) {
        ret = write_apic_base(l, value);
    } else if (!x2apic_mode(&l->s)) {
        ret = -EINVAL;
    } else {
        unsigned reg = (msr - MSR_X2APIC_FIRST) << 4;
        if (reg == REG_ICR_LO) {
            if ((uint32_t)value & ~ICR_LO_WRITABLE) {
                ret = -EINVAL;
            } else {
                l->s.icr_lo = (uint32_t)value;
                l->s.icr_hi = (uint32_t)(value >> 32);
                send_ipi(l, &out);
            }
        } else if (value >> 32) {
            ret = -EINVAL; /* bits 63:32 are reserved except in the ICR */
        } else {
            ret = reg_write(l, reg, true, (uint32_t)value, &out);
        }
    }
    lapic_unlock(l, &out);
    return ret;
}

uint64_t lapic_read_tsc_deadline(struct lapic *l)
{
    pthread_mutex_lock(&l->lock);
    uint64_t v = timer_mode(&l->s) == TIMER_TSC_DEADLINE ? l->s.tsc_deadline : 0;
    pthread_mutex_unlock(&l->lock);
    return v;
}

void lapic_write_tsc_deadline(struct lapic *l, uint64_t tsc)
{
    struct lapic_out out;
    lapic_lock(l, &out);
    write_tsc_deadline_locked(l, tsc);
    lapic_unlock(l, &out);
}

void lapic_set_cr8(struct lapic *l, uint64_t cr8)
{
    struct lapic_out out;
    lapic_lock(l, &out);
    l->s.tpr = (uint32_t)(cr8 & 0xf) << 4;
    lapic_unlock(l, &out);
}

uint64_t lapic_get_cr8(struct lapic *l)
{
    pthread_mutex_lock(&l->lock);
    uint64_t cr8 = (l->s.tpr >> 4) & 0xf;
    pthread_mutex_unlock(&l->lock);
    return cr8;
}

int lapic_pending_vector(struct lapic *l)
{
    if (!(lapic_poll(l) & LAPIC_EV_INTR))
        return -1;
    pthread_mutex_lock(&l->lock);
    int v = deliverable_vector(&l->s);
    if (v < 0 && extint_pending(&l->s))
        v = LAPIC_PENDING_EXTINT;
    pthread_mutex_unlock(&l->lock);
    return v;
}

int lapic_ack(struct lapic *l)
{
    struct lapic_out out;
    lapic_lock(l, &out);
    int v = deliverable_vector(&l->s);
    if (v >= 0) {
        vec_clear(l->s.irr, (unsigned)v);
        vec_set(l->s.isr, (unsigned)v);
        lapic_unlock(l, &out);
        return v;
    }
    bool extint = extint_pending(&l->s);
    if (extint)
        l->s.extint_msg = false;
    int spurious = l->s.svr & 0xff;
    lapic_unlock(l, &out);
    /* The 8259's INTA runs without our lock: it may lower LINT0 on us. */
    if (extint && l->bus.extint_ack)
        return l->bus.extint_ack(l->bus.ctx);
    return spurious;
}

bool lapic_take_nmi(struct lapic *l)
{
    if (!(lapic_poll(l) & LAPIC_EV_NMI))
        return false;
    struct lapic_out out;
    lapic_lock(l, &out);
    bool nmi = l->s.nmi_pending;
    l->s.nmi_pending = false;
    lapic_unlock(l, &out);
    return nmi;
}

enum lapic_init_event lapic_take_init_sipi(struct lapic *l, uint8_t *vector)
{
    if (!(lapic_poll(l) & LAPIC_EV_INIT))
        return LAPIC_NO_INIT;
    struct lapic_out out;
    enum lapic_init_event ev = LAPIC_NO_INIT;
    lapic_lock(l, &out);
    if (l->s.init_pending) {
        l->s.init_pending = false;
        ev = LAPIC_INIT;
    } else if (l->s.sipi_pending) {
        l->s.sipi_pending = false;
        *vector = l->s.sipi_vector;
        ev = LAPIC_SIPI;
    }
    lapic_unlock(l, &out);
    return ev;
}

uint64_t lapic_next_deadline_ns(struct lapic *l)
{
    pthread_mutex_lock(&l->lock);
    uint64_t d = l->s.timer_expire_ns ? l->s.timer_expire_ns : UINT64_MAX;
    pthread_mutex_unlock(&l->lock);
    return d;
}

void lapic_set_lint(struct lapic *l, unsigned pin, bool level)
{
    if (pin > 1)
        return;
    struct lapic_out out;
    lapic_lock(l, &out);
    struct lapic_state *s = &l->s;
    bool rising = level && !s->lint_level[pin];
    s->lint_level[pin] = level;
    if (rising) {
        if (!hw_enabled(s)) {
            if (pin == 1)
                s->nmi_pending = true; /* LINT1 is the CPU's NMI pin */
        } else {
            enum lapic_lvt i = pin ? LAPIC_LVT_LINT1 : LAPIC_LVT_LINT0;
            if (LVT_DM(s->lvt[i]) != APIC_DM_EXTINT)
                raise_lvt(l, i); /* fixed and NMI inputs act on the edge */
        }
    }
    lapic_unlock(l, &out);
}
