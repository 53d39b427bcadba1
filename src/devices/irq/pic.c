#include "devices/irq/pic.h"

#include <string.h>

#include "common/log.h"

/* ELCR bits that exist: IRQ0, 1, 2 (master) and IRQ8, 13 (slave) are
 * always edge-triggered (PIIX/ICH datasheets). */
static const uint8_t elcr_writable[2] = { 0xf8, 0xde };

enum pic_window { WIN_MASTER, WIN_SLAVE, WIN_ELCR };

/* ---- one chip --------------------------------------------------------- */

static uint8_t level_inputs(const struct pic_chip_state *c)
{
    return c->ltim ? 0xff : c->elcr;
}

/* The IR in mask with the highest priority under the current rotation. */
static int highest_priority(const struct pic_chip_state *c, uint8_t mask)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned irq = (c->lowest + 1 + i) & 7;
        if (mask & (1u << irq))
            return (int)irq;
    }
    return -1;
}

/* 0 is the highest priority, 7 the lowest. */
static unsigned priority(const struct pic_chip_state *c, unsigned irq)
{
    return (irq - c->lowest - 1) & 7;
}

/* The request this chip would present to the CPU now, or -1. */
static int chip_pending(const struct pic_chip_state *c, bool master)
{
    int irq = highest_priority(c, c->irr & ~c->imr);
    if (irq < 0)
        return -1;
    uint8_t isr = c->isr;
    if (c->special_mask)
        isr &= ~c->imr; /* masked in-service levels do not block */
    int cur = highest_priority(c, isr);
    if (cur < 0 || priority(c, (unsigned)irq) < priority(c, (unsigned)cur))
        return irq;
    /* Special fully nested mode: the slave may interrupt again through an
     * in-service IR2 (with a higher-priority request of its own). */
    if (master && c->sfnm && irq == PIC_CASCADE_IRQ && cur == PIC_CASCADE_IRQ)
        return irq;
    return -1;
}

static void chip_set_input(struct pic_chip_state *c, unsigned irq, bool level)
{
    uint8_t bit = (uint8_t)(1u << irq);
    bool was = c->lines & bit;
    if (level)
        c->lines |= bit;
    else
        c->lines &= (uint8_t)~bit;
    if (level_inputs(c) & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= (uint8_t)~bit;
    } else if (level && !was) {
        c->irr |= bit; /* rising edge latches the request */
    }
}

/* INTA (or poll) of irq on this chip. */
static void chip_ack(struct pic_chip_state *c, unsigned irq)
{
    uint8_t bit = (uint8_t)(1u << irq);
    if (!(level_inputs(c) & bit))
        c->irr &= (uint8_t)~bit; /* a level request stays while the line is high */
    if (c->auto_eoi) {
        if (c->rotate_aeoi)
            c->lowest = (uint8_t)irq;
    } else {
        c->isr |= bit;
    }
}

/* ICW1 (8259A datasheet, "Initialization Command Words"). */
static void chip_icw1(struct pic_chip_state *c, uint8_t v)
{
    c->icw4_needed = v & 0x01;
    c->single = v & 0x02;
    c->ltim = v & 0x08;
    c->imr = 0;
    c->isr = 0;
    /* The edge sense circuit is reset: an edge input that is high must go
     * low and high again; level inputs still request. */
    c->irr = c->lines & level_inputs(c);
    c->lowest = 7;
    c->special_mask = false;
    c->poll = false;
    c->read_isr = false;
    c->rotate_aeoi = false;
    if (!c->icw4_needed) {
        c->auto_eoi = false;
        c->sfnm = false;
    }
    c->init_step = 2;
}

static void chip_write_data(struct pic_chip_state *c, uint8_t v)
{
    switch (c->init_step) {
    case 2: /* ICW2: vector base */
        c->vector_base = v & 0xf8;
        c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
        break;
    case 3: /* ICW3: cascade wiring (fixed on a PC) */
        c->icw3 = v;
        c->init_step = c->icw4_needed ? 4 : 0;
        break;
    case 4: /* ICW4 */
        if (!(v & 0x01))
            log_once(LOG_WARN, "pic: 8080/8085 mode is not supported; using x86 mode");
        c->auto_eoi = v & 0x02;
        c->sfnm = v & 0x10;
        c->init_step = 0;
        break;
    default: /* OCW1 */
        c->imr = v;
        break;
    }
}

/* OCW2: EOI and rotation commands (bits 7:5 = R, SL, EOI; 2:0 = level). */
static void chip_ocw2(struct pic_chip_state *c, uint8_t v)
{
    unsigned cmd = v >> 5, level = v & 7;
    switch (cmd) {
    case 0: /* clear rotate in automatic EOI mode */
        c->rotate_aeoi = false;
        break;
    case 4: /* set rotate in automatic EOI mode */
        c->rotate_aeoi = true;
        break;
    case 1: /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        int irq = highest_priority(c, c->isr);
        if (irq >= 0) {
            c->isr &= (uint8_t)~(1u << irq);
            if (cmd == 5)
                c->lowest = (uint8_t)irq;
        }
        break;
    }
    case 3: /* specific EOI */
    case 7: /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << level);
        if (cmd == 7)
            c->lowest = (uint8_t)level;
        break;
    case 6: /* set priority: level becomes the lowest */
        c->lowest = (uint8_t)level;
        break;
    default: /* 2: no operation */
        break;
    }
}

/* OCW3: special mask mode, poll, register read select. */
static void chip_ocw3(struct pic_chip_state *c, uint8_t v)
{
    if (v & 0x40)
        c->special_mask = v & 0x20;
    if (v & 0x04)
        c->poll = true;
    if (v & 0x02)
        c->read_isr = v & 0x01;
}

static void chip_write_cmd(struct pic_chip_state *c, uint8_t v)
{
    if (v & 0x10)
        chip_icw1(c, v);
    else if (v & 0x08)
        chip_ocw3(c, v);
    else
        chip_ocw2(c, v);
}

/* A poll read acknowledges like INTA and returns 0x80 | level, or 0. */
static uint8_t chip_poll(struct pic_chip_state *c, bool master)
{
    c->poll = false;
    int irq = chip_pending(c, master);
    if (irq < 0)
        return 0;
    chip_ack(c, (unsigned)irq);
    return (uint8_t)(0x80 | irq);
}

/* ---- the pair --------------------------------------------------------- */

/* Propagates the slave's output to the master's IR2 and the master's to
 * INTR. Called with the lock held after every change. */
static void pic_update(struct pic *p)
{
    struct pic_chip_state *master = &p->s.chip[0], *slave = &p->s.chip[1];
    chip_set_input(master, PIC_CASCADE_IRQ, chip_pending(slave, false) >= 0);
    bool intr = chip_pending(master, true) >= 0;
    if (intr != p->s.intr) {
        p->s.intr = intr;
        if (p->set_intr)
            p->set_intr(p->intr_ctx, intr);
    }
}

int pic_init(struct pic *p, void (*set_intr)(void *ctx, bool level), void *ctx)
{
    memset(p, 0, sizeof(*p));
    int err = pthread_mutex_init(&p->lock, NULL);
    if (err)
        return -err;
    p->set_intr = set_intr;
    p->intr_ctx = ctx;
    pic_reset(p);
    return 0;
}

void pic_destroy(struct pic *p)
{
    pthread_mutex_destroy(&p->lock);
}

void pic_reset(struct pic *p)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < 2; i++) {
        struct pic_chip_state *c = &p->s.chip[i];
        uint8_t lines = c->lines; /* wires keep their levels */
        *c = (struct pic_chip_state){ .lines = lines, .lowest = 7 };
    }
    pic_update(p);
    pthread_mutex_unlock(&p->lock);
}

void pic_set_irq(struct pic *p, unsigned irq, bool level)
{
    if (irq >= 16 || irq == PIC_CASCADE_IRQ)
        return;
    pthread_mutex_lock(&p->lock);
    chip_set_input(&p->s.chip[irq >> 3], irq & 7, level);
    pic_update(p);
    pthread_mutex_unlock(&p->lock);
}

bool pic_has_interrupt(struct pic *p)
{
    pthread_mutex_lock(&p->lock);
    bool intr = p->s.intr;
    pthread_mutex_unlock(&p->lock);
    return intr;
}

int pic_ack(struct pic *p)
{
    struct pic_chip_state *master = &p->s.chip[0], *slave = &p->s.chip[1];
    int vector;

    pthread_mutex_lock(&p->lock);
    int irq = chip_pending(master, true);
    if (irq < 0) {
        vector = master->vector_base + 7; /* spurious IRQ7: no ISR bit */
    } else {
        chip_ack(master, (unsigned)irq);
        if (irq != PIC_CASCADE_IRQ) {
            vector = master->vector_base + irq;
        } else {
            int sirq = chip_pending(slave, false);
            if (sirq < 0) {
                vector = slave->vector_base + 7; /* spurious IRQ15 */
            } else {
                chip_ack(slave, (unsigned)sirq);
                vector = slave->vector_base + sirq;
            }
        }
    }
    pic_update(p);
    pthread_mutex_unlock(&p->lock);
    return vector;
}

/* ---- port access ------------------------------------------------------ */

/* GUEST: port is the guest's offset in a 2-byte window (bus range and the
 * loop bound in window_read/window_write), so chip[port] is chip 0 or 1. */
static uint8_t port_read(struct pic *p, enum pic_window w, unsigned port)
{
    if (w == WIN_ELCR)
        return p->s.chip[port].elcr;
    struct pic_chip_state *c = &p->s.chip[w];
    if (port == 1)
        return c->imr;
    if (c->poll)
        return chip_poll(c, w == WIN_MASTER);
    return c->read_isr ? c->isr : c->irr;
}

static void port_write(struct pic *p, enum pic_window w, unsigned port, uint8_t v)
{
    if (w == WIN_ELCR) {
        struct pic_chip_state *c = &p->s.chip[port];
        c->elcr = v & elcr_writable[port];
        /* Inputs that became level-triggered request while high. */
        uint8_t level = level_inputs(c);
        c->irr = (uint8_t)((c->irr & ~level) | (c->lines & level));
        return;
    }
    struct pic_chip_state *c = &p->s.chip[w];
    if (port == 0)
        chip_write_cmd(c, v);
    else
        chip_write_data(c, v);
}

/* Wider accesses touch consecutive ports, low byte first, as on the ISA bus. */
static uint64_t window_read(struct pic *p, enum pic_window w, uint64_t offset, unsigned size)
{
    uint64_t r = 0;
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < size && offset + i < 2; i++)
        r |= (uint64_t)port_read(p, w, (unsigned)(offset + i)) << (8 * i);
    pic_update(p);
    pthread_mutex_unlock(&p->lock);
    return r;
}

static void window_write(struct pic *p, enum pic_window w, uint64_t offset, uint64_t value,
                         unsigned size)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < size && offset + i < 2; i++)
        port_write(p, w, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
    pic_update(p);
    pthread_mutex_unlock(&p->lock);
}

static uint64_t master_read(void *dev, uint64_t off, unsigned size) { return window_read(dev, WIN_MASTER, off, size); }
static uint64_t slave_read(void *dev, uint64_t off, unsigned size) { return window_read(dev, WIN_SLAVE, off, size); }
static uint64_t elcr_read(void *dev, uint64_t off, unsigned size) { return window_read(dev, WIN_ELCR, off, size); }

static void master_write(void *dev, uint64_t off, uint64_t v, unsigned size) { window_write(dev, WIN_MASTER, off, v, size); }
static void slave_write(void *dev, uint64_t off, uint64_t v, unsigned size) { window_write(dev, WIN_SLAVE, off, v, size); }
static void elcr_write(void *dev, uint64_t off, uint64_t v, unsigned size) { window_write(dev, WIN_ELCR, off, v, size); }

const struct bus_dev_ops pic_master_ops = { .read = master_read, .write = master_write };
const struct bus_dev_ops pic_slave_ops = { .read = slave_read, .write = slave_write };
const struct bus_dev_ops pic_elcr_ops = { .read = elcr_read, .write = elcr_write };
