#include "devices/irq/pit.h"

#include <string.h>

#include "common/log.h"
#include "common/util.h"

#define NO_EDGE UINT64_MAX
/* Port B bit 4 toggles with every DRAM refresh request, every 15.085 us. */
#define REFRESH_PERIOD_NS 15085ull

#define PORT_B_GATE2   0x01
#define PORT_B_WRITABLE 0x0f
#define PORT_B_REFRESH 0x10
#define PORT_B_OUT2    0x20

/* ---- counter arithmetic (all against ticks d since the count started) -- */

/* Ticks the counter has counted at guest time now. */
static uint64_t ch_ticks(const struct pit_channel *c, uint64_t now)
{
    if (!c->counting)
        return c->base_ticks;
    uint64_t dt = now > c->base_ns ? now - c->base_ns : 0;
    return c->base_ticks + vclock_ns_to_ticks(dt, PIT_HZ);
}

/* Mode 3 counts down by two in each half period (8254 datasheet, "Mode 3:
 * Square Wave Mode"); for an odd N the high half is one tick longer. */
static uint16_t mode3_value(uint64_t n, uint64_t d)
{
    uint64_t pos = d % n, high = (n + 1) / 2;
    uint64_t into = pos < high ? pos : pos - high;
    return (uint16_t)((n & ~1ull) - 2 * into);
}

static uint16_t ch_value(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->count;
    if (!c->loaded)
        return (uint16_t)n;
    switch (c->mode) {
    case 2:
        return (uint16_t)(n - d % n); /* N .. 1, then reload */
    case 3:
        return mode3_value(n, d);
    case 1:
    case 5:
        if (!c->triggered)
            return (uint16_t)n;
        /* fall through */
    default: /* 0, 4: count down and wrap through 0xffff */
        return (uint16_t)(n - d);
    }
}

static bool ch_out(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->count;
    if (!c->loaded)
        return c->mode != 0; /* a control word sets OUT low in mode 0, else high */
    switch (c->mode) {
    case 0:
        return d >= n;
    case 1:
        return !c->triggered || d >= n;
    case 2:
        return !c->counting || d % n != n - 1;
    case 3:
        return !c->counting || d % n < (n + 1) / 2;
    case 4:
        return d != n;
    default: /* 5 */
        return !c->triggered || d != n;
    }
}

/* Tick of the next rising OUT edge after d, or NO_EDGE. */
static uint64_t ch_next_edge(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->count;
    if (!c->loaded || !c->counting)
        return NO_EDGE;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : NO_EDGE;
    case 2:
    case 3:
        return (d / n + 1) * n;
    default: /* 4, 5: OUT is low for the one tick at N */
        return d < n + 1 ? n + 1 : NO_EDGE;
    }
}

/* ---- channel 0's IRQ0 ------------------------------------------------- */

/* Arms the IRQ0 timer for channel 0's next rising edge, not before
 * not_before_ns. Called with the lock held. */
static void irq_schedule(struct pit *p, uint64_t now, uint64_t not_before_ns)
{
    struct pit_channel *c = &p->s.ch[0];
    c->irq_edge = ch_next_edge(c, ch_ticks(c, now));
    if (c->irq_edge == NO_EDGE) {
        timer_cancel(&p->irq_timer);
        return;
    }
    uint64_t delta = vclock_ticks_to_ns(c->irq_edge - c->base_ticks, PIT_HZ);
    uint64_t when = c->base_ns + delta < c->base_ns ? UINT64_MAX : c->base_ns + delta;
    timer_mod(&p->irq_timer, MAX(when, not_before_ns));
}

static void pit_irq_cb(void *opaque)
{
    struct pit *p = opaque;
    struct pit_channel *c = &p->s.ch[0];

    pthread_mutex_lock(&p->lock);
    uint64_t now = vclock_ns(p->clock);
    if (c->irq_edge != NO_EDGE && ch_ticks(c, now) >= c->irq_edge) {
        irq_pulse(&p->irq0); /* IRQ0 is edge-triggered at the PIC and IOAPIC */
        bool periodic = c->mode == 2 || c->mode == 3;
        irq_schedule(p, now, periodic ? now + PIT_MIN_IRQ_PERIOD_NS : 0);
    } else {
        irq_schedule(p, now, 0); /* reprogrammed meanwhile */
    }
    pthread_mutex_unlock(&p->lock);
}

/* ---- programming ------------------------------------------------------ */

static void ch_load(struct pit *p, unsigned sc, uint32_t count, uint64_t now)
{
    struct pit_channel *c = &p->s.ch[sc];
    c->count = count ? count : 0x10000;
    c->loaded = true;
    c->null_count = false;
    c->base_ticks = 0;
    c->base_ns = now;
    c->triggered = false;
    /* Modes 1 and 5 wait for a gate edge; the others count while the gate is high. */
    c->counting = (c->mode == 1 || c->mode == 5) ? false : c->gate;
    if (sc == 0)
        irq_schedule(p, now, 0);
}

static void ch_set_gate(struct pit *p, unsigned sc, bool level, uint64_t now)
{
    struct pit_channel *c = &p->s.ch[sc];
    bool rising = level && !c->gate;
    c->gate = level;
    if (!c->loaded)
        return;
    switch (c->mode) {
    case 0:
    case 4: /* the gate pauses and resumes counting */
        if (!level && c->counting) {
            c->base_ticks = ch_ticks(c, now);
            c->counting = false;
        } else if (level && !c->counting) {
            c->base_ns = now;
            c->counting = true;
        }
        break;
    case 1:
    case 5: /* a rising edge (re)triggers */
        if (rising) {
            c->triggered = c->counting = true;
            c->base_ticks = 0;
            c->base_ns = now;
        }
        break;
    default: /* 2, 3: low stops with OUT high, a rising edge reloads */
        if (!level && c->counting) {
            c->base_ticks = ch_ticks(c, now);
            c->counting = false;
        } else if (rising) {
            c->counting = true;
            c->base_ticks = 0;
            c->base_ns = now;
        }
        break;
    }
    if (sc == 0)
        irq_schedule(p, now, 0);
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
    if (c->latch_left)
        return; /* a second latch before the read is ignored */
    c->latch = ch_value(c, ch_ticks(c, now));
    c->latch_left = c->access == 3 ? 2 : 1;
    c->latch_msb = c->access == 2;
}

static uint8_t status_byte(const struct pit_channel *c, uint64_t now)
{
    return (uint8_t)((ch_out(c, ch_ticks(c, now)) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
                     c->access << 4 | c->mode << 1 | (c->bcd ? 1 : 0));
}

/* Read-back command (8254 datasheet, "Read-Back Command"): bit 5 clear
 * latches counts, bit 4 clear latches status, bits 3:1 select counters. */
static void read_back(struct pit *p, uint8_t v, uint64_t now)
{
    for (unsigned sc = 0; sc < 3; sc++) {
        struct pit_channel *c = &p->s.ch[sc];
        if (!(v & (2u << sc)))
            continue;
        if (!(v & 0x20))
            latch_count(c, now);
        if (!(v & 0x10) && !c->status_latched) {
            c->status = status_byte(c, now);
            c->status_latched = true;
        }
    }
}

/* Control word (8254 datasheet, "Control Word Format"). */
static void write_control(struct pit *p, uint8_t v, uint64_t now)
{
    unsigned sc = v >> 6, rw = (v >> 4) & 3;
    /* GUEST: sc is 0..3 and 3 is the read-back command: ch[] is indexed 0..2. */
    if (sc == 3) {
        read_back(p, v, now);
        return;
    }
    struct pit_channel *c = &p->s.ch[sc];
    if (rw == 0) {
        latch_count(c, now);
        return;
    }
    c->access = (uint8_t)rw;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4; /* 6 and 7 are aliases of 2 and 3 */
    c->bcd = v & 1;
    if (c->bcd)
        log_once(LOG_WARN, "pit: BCD counting is not supported; counting in binary");
    c->loaded = false;
    c->null_count = true;
    c->write_msb = c->read_msb = false;
    c->latch_left = 0;
    c->status_latched = false;
    c->counting = c->triggered = false;
    c->base_ticks = 0;
    c->base_ns = now;
    if (sc == 0)
        irq_schedule(p, now, 0);
}

static void write_count(struct pit *p, unsigned sc, uint8_t v, uint64_t now)
{
    struct pit_channel *c = &p->s.ch[sc];
    switch (c->access) {
    case 1:
        ch_load(p, sc, v, now);
        break;
    case 2:
        ch_load(p, sc, (uint32_t)v << 8, now);
        break;
    default: /* 3: lsb, then msb */
        if (!c->write_msb) {
            c->write_lsb = v;
            c->write_msb = true;
        } else {
            c->write_msb = false;
            ch_load(p, sc, c->write_lsb | (uint32_t)v << 8, now);
        }
        break;
    }
}

static uint8_t read_count(struct pit *p, unsigned sc, uint64_t now)
{
    struct pit_channel *c = &p->s.ch[sc];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->latch_left) {
        uint8_t b = c->latch_msb ? (uint8_t)(c->latch >> 8) : (uint8_t)c->latch;
        c->latch_msb = !c->latch_msb;
        c->latch_left--;
        return b;
    }
    uint16_t v = ch_value(c, ch_ticks(c, now));
    switch (c->access) {
    case 1:
        return (uint8_t)v;
    case 2:
        return (uint8_t)(v >> 8);
    default: {
        uint8_t b = c->read_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
        c->read_msb = !c->read_msb;
        return b;
    }
    }
}

/* ---- lifecycle and ports ---------------------------------------------- */

static void reset_locked(struct pit *p)
{
    memset(&p->s, 0, sizeof(p->s));
    for (unsigned sc = 0; sc < 3; sc++) {
        struct pit_channel *c = &p->s.ch[sc];
        c->access = 3;
        c->gate = sc != 2; /* channel 2's gate is port 0x61 bit 0 */
        c->irq_edge = NO_EDGE;
    }
    timer_cancel(&p->irq_timer);
}

int pit_init(struct pit *p, struct vclock *clock, struct timer_queue *timers,
             const struct irq_line *irq0)
{
    memset(p, 0, sizeof(*p));
    int err = pthread_mutex_init(&p->lock, NULL);
    if (err)
        return -err;
    p->clock = clock;
    if (irq0)
        p->irq0 = *irq0;
    timer_init(&p->irq_timer, timers, pit_irq_cb, p);
    reset_locked(p);
    return 0;
}

void pit_destroy(struct pit *p)
{
    timer_del(&p->irq_timer);
    pthread_mutex_destroy(&p->lock);
}

void pit_reset(struct pit *p)
{
    pthread_mutex_lock(&p->lock);
    reset_locked(p);
    pthread_mutex_unlock(&p->lock);
}

static uint8_t port_read(struct pit *p, unsigned port, uint64_t now)
{
    /* GUEST: port < 4 (bus range and loop bound); only 0..2 index ch[]. */
    if (port < 3)
        return read_count(p, port, now);
    return 0xff; /* the control word register cannot be read */
}

static void port_write(struct pit *p, unsigned port, uint8_t v, uint64_t now)
{
    /* GUEST: as in port_read */
    if (port < 3)
        write_count(p, port, v, now);
    else
        write_control(p, v, now);
}

/* Wider accesses touch consecutive ports, low byte first. */
static uint64_t pit_read(void *dev, uint64_t offset, unsigned size)
{
    struct pit *p = dev;
    uint64_t r = 0;
    pthread_mutex_lock(&p->lock);
    uint64_t now = vclock_ns(p->clock);
    for (unsigned i = 0; i < size && offset + i < 4; i++)
        r |= (uint64_t)port_read(p, (unsigned)(offset + i), now) << (8 * i);
    pthread_mutex_unlock(&p->lock);
    return r;
}

static void pit_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct pit *p = dev;
    pthread_mutex_lock(&p->lock);
    uint64_t now = vclock_ns(p->clock);
    for (unsigned i = 0; i < size && offset + i < 4; i++)
        port_write(p, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)), now);
    pthread_mutex_unlock(&p->lock);
}

static uint64_t port_b_read(void *dev, uint64_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct pit *p = dev;
    pthread_mutex_lock(&p->lock);
    uint64_t now = vclock_ns(p->clock);
    const struct pit_channel *c2 = &p->s.ch[2];
    uint8_t v = p->s.port_b & PORT_B_WRITABLE;
    if ((now / REFRESH_PERIOD_NS) & 1)
        v |= PORT_B_REFRESH;
    if (ch_out(c2, ch_ticks(c2, now)))
        v |= PORT_B_OUT2;
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void port_b_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct pit *p = dev;
    pthread_mutex_lock(&p->lock);
    p->s.port_b = (uint8_t)value & PORT_B_WRITABLE;
    ch_set_gate(p, 2, value & PORT_B_GATE2, vclock_ns(p->clock));
    pthread_mutex_unlock(&p->lock);
}

const struct bus_dev_ops pit_ops = { .read = pit_read, .write = pit_write };
const struct bus_dev_ops pit_port_b_ops = { .read = port_b_read, .write = port_b_write };
