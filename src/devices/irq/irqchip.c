#include "devices/irq/irqchip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* MSI address and data layout (SDM Vol. 3A 11.11.1, 11.11.2). */
#define MSI_ADDR_BASE      0xfee00000ull
#define MSI_ADDR_DEST(a)   ((uint32_t)(((a) >> 12) & 0xff))
#define MSI_ADDR_LOGICAL   (1ull << 2)
#define MSI_DATA_VECTOR(d) ((uint8_t)((d) & 0xff))
#define MSI_DATA_DM(d)     ((uint8_t)(((d) >> 8) & 7))

/* ---- the APIC bus ----------------------------------------------------- */

void irqchip_deliver(struct userspace_irqchip *c, int src, const struct apic_msg *m)
{
    /* GUEST: src indexes lapic[] only when have_src says it is in range. */
    bool have_src = src >= 0 && (unsigned)src < c->ncpus;

    switch (m->shorthand) {
    case APIC_SH_SELF:
        if (have_src)
            lapic_accept(&c->lapic[src], m);
        return;
    case APIC_SH_ALL:
    case APIC_SH_OTHERS:
        for (unsigned i = 0; i < c->ncpus; i++) {
            if (m->shorthand == APIC_SH_OTHERS && have_src && i == (unsigned)src)
                continue;
            lapic_accept(&c->lapic[i], m);
        }
        return;
    default:
        break;
    }
    for (unsigned i = 0; i < c->ncpus; i++) {
        if (!lapic_matches(&c->lapic[i], m))
            continue;
        lapic_accept(&c->lapic[i], m);
        if (m->delivery == APIC_DM_LOWEST)
            return; /* lowest priority: the lowest-numbered target takes it */
    }
}

void irqchip_send_msi(struct userspace_irqchip *c, uint64_t addr, uint32_t data)
{
    if ((addr & ~0xfffffull) != MSI_ADDR_BASE) {
        log_once(LOG_WARN, "irqchip: MSI to 0x%llx is not an interrupt message; dropped",
                 (unsigned long long)addr);
        return;
    }
    uint8_t dm = MSI_DATA_DM(data);
    if (dm == 3 || dm == APIC_DM_STARTUP) {
        log_once(LOG_WARN, "irqchip: MSI with reserved delivery mode %u dropped", dm);
        return;
    }
    /* PCI MSIs are edge-triggered; the trigger and level bits are ignored. */
    struct apic_msg m = {
        .dest = MSI_ADDR_DEST(addr),
        .vector = MSI_DATA_VECTOR(data),
        .delivery = dm,
        .logical = addr & MSI_ADDR_LOGICAL,
        .assert = true,
    };
    irqchip_deliver(c, -1, &m);
}

/* ---- glue callbacks --------------------------------------------------- */

static void chip_set_level(void *ctx, unsigned gsi, bool level)
{
    struct userspace_irqchip *c = ctx;
    if (gsi >= IRQCHIP_NUM_GSIS) {
        log_once(LOG_WARN, "irqchip: GSI %u does not exist", gsi);
        return;
    }
    if (gsi < 16 && gsi != PIC_CASCADE_IRQ)
        pic_set_irq(&c->pic, gsi, level);
    ioapic_set_irq(&c->ioapic, gsi == 0 ? 2 : gsi, level);
}

static void chip_send_msi(void *ctx, uint64_t addr, uint32_t data)
{
    irqchip_send_msi(ctx, addr, data);
}

static void ioapic_to_bus(void *ctx, const struct apic_msg *m)
{
    irqchip_deliver(ctx, -1, m);
}

static void lapic_to_bus(void *ctx, unsigned src, const struct apic_msg *m)
{
    irqchip_deliver(ctx, (int)src, m);
}

static void lapic_eoi_broadcast(void *ctx, uint8_t vector)
{
    struct userspace_irqchip *c = ctx;
    ioapic_eoi(&c->ioapic, vector);
}

static int lapic_extint_ack(void *ctx)
{
    struct userspace_irqchip *c = ctx;
    return pic_ack(&c->pic);
}

static void pic_intr_to_bsp(void *ctx, bool level)
{
    struct userspace_irqchip *c = ctx;
    lapic_set_lint(&c->lapic[0], 0, level);
}

/* ---- lifecycle -------------------------------------------------------- */

int irqchip_init(struct userspace_irqchip *c, unsigned ncpus, struct vclock *clock,
                 struct timer_queue *timers)
{
    int err;

    memset(c, 0, sizeof(*c));
    if (ncpus == 0 || ncpus > IRQCHIP_MAX_CPUS)
        return -EINVAL;
    c->lapic = calloc(ncpus, sizeof(*c->lapic));
    if (!c->lapic)
        return -ENOMEM;
    c->chip = (struct irq_chip){ .set_level = chip_set_level, .send_msi = chip_send_msi, .ctx = c };

    const struct lapic_bus bus = {
        .send = lapic_to_bus, .eoi = lapic_eoi_broadcast, .extint_ack = lapic_extint_ack, .ctx = c,
    };
    for (; c->ncpus < ncpus; c->ncpus++) {
        err = lapic_init(&c->lapic[c->ncpus], c->ncpus, c->ncpus, c->ncpus == 0, clock, timers,
                         &bus, NULL, NULL);
        if (err)
            goto fail_lapics;
    }
    err = pic_init(&c->pic, pic_intr_to_bsp, c);
    if (err)
        goto fail_lapics;
    /* The IOAPIC takes the first ID after the CPUs', as the MADT says. */
    err = ioapic_init(&c->ioapic, (uint8_t)ncpus, ioapic_to_bus, c);
    if (err)
        goto fail_pic;
    const struct irq_line irq0 = { .chip = &c->chip, .gsi = 0 };
    err = pit_init(&c->pit, clock, timers, &irq0);
    if (err)
        goto fail_ioapic;
    return 0;

fail_ioapic:
    ioapic_destroy(&c->ioapic);
fail_pic:
    pic_destroy(&c->pic);
fail_lapics:
    while (c->ncpus > 0)
        lapic_destroy(&c->lapic[--c->ncpus]);
    free(c->lapic);
    c->lapic = NULL;
    return err;
}

void irqchip_destroy(struct userspace_irqchip *c)
{
    if (!c->lapic)
        return;
    pit_destroy(&c->pit);
    for (unsigned i = 0; i < c->ncpus; i++)
        lapic_destroy(&c->lapic[i]);
    ioapic_destroy(&c->ioapic);
    pic_destroy(&c->pic);
    free(c->lapic);
    c->lapic = NULL;
    c->ncpus = 0;
}

void irqchip_reset(struct userspace_irqchip *c)
{
    pit_reset(&c->pit);
    pic_reset(&c->pic);
    ioapic_reset(&c->ioapic);
    for (unsigned i = 0; i < c->ncpus; i++)
        lapic_reset(&c->lapic[i]);
}

static int bus_errno(int bus_err)
{
    switch (bus_err) {
    case BUS_OK: return 0;
    case BUS_EBUSY: return -EBUSY;
    case BUS_ENOMEM: return -ENOMEM;
    default: return -EINVAL;
    }
}

int irqchip_register(struct userspace_irqchip *c, struct bus *pio, struct bus *mmio)
{
    const struct {
        struct bus *bus;
        uint64_t base, len;
        const struct bus_dev_ops *ops;
        void *dev;
        const char *name;
    } ranges[] = {
        { pio, PIC_MASTER_PORT, 2, &pic_master_ops, &c->pic, "pic-master" },
        { pio, PIC_SLAVE_PORT, 2, &pic_slave_ops, &c->pic, "pic-slave" },
        { pio, PIC_ELCR_PORT, 2, &pic_elcr_ops, &c->pic, "pic-elcr" },
        { pio, PIT_PORT, 4, &pit_ops, &c->pit, "pit" },
        { pio, PIT_PORT_B, 1, &pit_port_b_ops, &c->pit, "port-b" },
        { mmio, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, &ioapic_mmio_ops, &c->ioapic, "ioapic" },
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        int err = bus_errno(bus_register(ranges[i].bus, ranges[i].base, ranges[i].len,
                                         ranges[i].ops, ranges[i].dev, ranges[i].name));
        if (err) {
            log_error("irqchip: cannot register %s at 0x%llx: %s", ranges[i].name,
                      (unsigned long long)ranges[i].base, strerror(-err));
            return err;
        }
    }
    return 0;
}

const struct irq_chip *irqchip_irq_chip(struct userspace_irqchip *c)
{
    return &c->chip;
}

struct lapic *irqchip_lapic(struct userspace_irqchip *c, unsigned cpu)
{
    return cpu < c->ncpus ? &c->lapic[cpu] : NULL;
}

void irqchip_set_kick(struct userspace_irqchip *c, unsigned cpu, void (*kick)(void *ctx), void *ctx)
{
    if (cpu < c->ncpus)
        lapic_set_kick(&c->lapic[cpu], kick, ctx);
}
