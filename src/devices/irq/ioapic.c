#include "devices/irq/ioapic.h"

#include <string.h>

#include "common/log.h"

/* MMIO offsets (82093AA section 3.1; EOI register from the ICH I/O APIC) */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOI      0x40

/* Indirect register indexes */
#define IOAPIC_REG_ID      0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB     0x02
#define IOAPIC_REG_REDIR   0x10 /* two dwords per pin: 0x10-0x3f */

/* Redirection table entry bits (82093AA section 3.2.4) */
#define RTE_VECTOR(e)     ((uint8_t)((e) & 0xff))
#define RTE_DELIVERY(e)   ((uint8_t)(((e) >> 8) & 7))
#define RTE_DEST_LOGICAL  (1ull << 11)
#define RTE_REMOTE_IRR    (1ull << 14)
#define RTE_LEVEL         (1ull << 15)
#define RTE_MASKED        (1ull << 16)
#define RTE_DEST(e)       ((uint32_t)((e) >> 56))
/* vector, delivery mode, destination mode, polarity, trigger, mask;
 * destination in bits 63:56. Delivery status and remote IRR are read-only. */
#define RTE_WRITABLE_LO   0x0001afffull
#define RTE_WRITABLE_HI   0xff00000000000000ull

static void deliver(struct ioapic *io, unsigned pin)
{
    uint64_t e = io->s.redir[pin];
    uint8_t dm = RTE_DELIVERY(e);
    if (dm == 3 || dm == APIC_DM_STARTUP) {
        log_once(LOG_WARN, "ioapic: pin with reserved delivery mode %u ignored", dm);
        return;
    }
    struct apic_msg m = {
        .dest = RTE_DEST(e),
        .vector = RTE_VECTOR(e),
        .delivery = dm,
        .logical = e & RTE_DEST_LOGICAL,
        .level = e & RTE_LEVEL,
        .assert = true,
    };
    if (io->deliver)
        io->deliver(io->deliver_ctx, &m);
}

/* A level pin delivers while asserted, unmasked and not awaiting EOI. */
static void service_level_pin(struct ioapic *io, unsigned pin)
{
    uint64_t *e = &io->s.redir[pin];
    if (!(*e & RTE_LEVEL) || (*e & (RTE_MASKED | RTE_REMOTE_IRR)))
        return;
    if (!(io->s.lines & (1u << pin)))
        return;
    *e |= RTE_REMOTE_IRR;
    deliver(io, pin);
}

int ioapic_init(struct ioapic *io, uint8_t id,
                void (*deliver_fn)(void *ctx, const struct apic_msg *m), void *ctx)
{
    memset(io, 0, sizeof(*io));
    int err = pthread_mutex_init(&io->lock, NULL);
    if (err)
        return -err;
    io->reset_id = id;
    io->deliver = deliver_fn;
    io->deliver_ctx = ctx;
    ioapic_reset(io);
    return 0;
}

void ioapic_destroy(struct ioapic *io)
{
    pthread_mutex_destroy(&io->lock);
}

void ioapic_reset(struct ioapic *io)
{
    pthread_mutex_lock(&io->lock);
    uint32_t lines = io->s.lines; /* wires keep their levels */
    io->s = (struct ioapic_state){ .id = (uint32_t)io->reset_id << 24, .lines = lines };
    for (unsigned i = 0; i < IOAPIC_PINS; i++)
        io->s.redir[i] = RTE_MASKED;
    pthread_mutex_unlock(&io->lock);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
    if (pin >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin;

    pthread_mutex_lock(&io->lock);
    bool was = io->s.lines & bit;
    if (level)
        io->s.lines |= bit;
    else
        io->s.lines &= ~bit;
    uint64_t e = io->s.redir[pin];
    if (e & RTE_LEVEL)
        service_level_pin(io, pin);
    else if (level && !was && !(e & RTE_MASKED))
        deliver(io, pin);
    pthread_mutex_unlock(&io->lock);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    pthread_mutex_lock(&io->lock);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t *e = &io->s.redir[pin];
        if (RTE_VECTOR(*e) != vector || !(*e & RTE_REMOTE_IRR))
            continue;
        *e &= ~RTE_REMOTE_IRR;
        service_level_pin(io, pin);
    }
    pthread_mutex_unlock(&io->lock);
}

static uint32_t read_indirect(const struct ioapic_state *s, uint32_t index)
{
    switch (index) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        return s->id;
    case IOAPIC_REG_VERSION:
        return IOAPIC_VERSION | ((IOAPIC_PINS - 1) << 16);
    default:
        break;
    }
    /* GUEST: index is the guest's IOREGSEL; the check bounds the pin. */
    if (index >= IOAPIC_REG_REDIR && index < IOAPIC_REG_REDIR + 2 * IOAPIC_PINS) {
        uint64_t e = s->redir[(index - IOAPIC_REG_REDIR) / 2];
        return (index & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0;
}

static void write_indirect(struct ioapic *io, uint32_t index, uint32_t v)
{
    if (index == IOAPIC_REG_ID) {
        /* 8 bits (the 82093AA has 4): Linux assumes an 8-bit ID when it
         * renumbers an IOAPIC and checks the value reads back. */
        io->s.id = v & 0xff000000u;
        return;
    }
    /* GUEST: index is the guest's IOREGSEL; the check bounds the pin. */
    if (index < IOAPIC_REG_REDIR || index >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
        return; /* version, arbitration and reserved registers are read-only */
    unsigned pin = (index - IOAPIC_REG_REDIR) / 2;
    uint64_t *e = &io->s.redir[pin];
    if (index & 1) {
        *e = (*e & ~RTE_WRITABLE_HI) | (((uint64_t)v << 32) & RTE_WRITABLE_HI);
        return;
    }
    *e = (*e & ~RTE_WRITABLE_LO) | (v & RTE_WRITABLE_LO);
    if (!(*e & RTE_LEVEL))
        *e &= ~RTE_REMOTE_IRR; /* remote IRR is meaningless for edge pins */
    /* Unmasking (or switching to level) while the line is asserted delivers. */
    service_level_pin(io, pin);
}

static uint64_t ioapic_mmio_read(void *dev, uint64_t offset, unsigned size)
{
    struct ioapic *io = dev;
    uint64_t reg = offset & ~3ull;
    unsigned shift = (unsigned)(offset & 3) * 8;
    uint32_t v = 0;

    pthread_mutex_lock(&io->lock);
    if (reg == IOAPIC_IOREGSEL)
        v = io->s.ioregsel;
    else if (reg == IOAPIC_IOWIN)
        v = read_indirect(&io->s, io->s.ioregsel);
    pthread_mutex_unlock(&io->lock);

    uint64_t r = (uint64_t)v >> shift;
    return size >= 8 ? r : r & ((1ull << (size * 8)) - 1);
}

static void ioapic_mmio_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct ioapic *io = dev;
    uint32_t v = (uint32_t)value;

    pthread_mutex_lock(&io->lock);
    if (offset == IOAPIC_IOREGSEL) {
        /* A byte write suffices to select a register. */
        io->s.ioregsel = v & 0xff;
    } else if (offset == IOAPIC_IOWIN && size >= 4) {
        write_indirect(io, io->s.ioregsel, v);
    } else if (offset == IOAPIC_EOI && size >= 4) {
        pthread_mutex_unlock(&io->lock);
        ioapic_eoi(io, (uint8_t)v);
        return;
    } else {
        log_once(LOG_DEBUG, "ioapic: ignoring write at offset 0x%llx size %u",
                 (unsigned long long)offset, size);
    }
    pthread_mutex_unlock(&io->lock);
}

const struct bus_dev_ops ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
};
