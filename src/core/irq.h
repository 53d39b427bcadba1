/* Interrupt lines as devices see them. A device holds a struct irq_line and
 * calls irq_set() with the level of its output pin; whoever built the machine
 * decides where the pin goes (KVM's in-kernel irqchip, or vmon's own
 * PIC/IOAPIC under the emu backend). Edge-triggered ISA devices pulse it. */
#ifndef VMON_CORE_IRQ_H
#define VMON_CORE_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct irq_chip {
    /* Sets the level of global system interrupt gsi. Thread-safe. */
    void (*set_level)(void *ctx, unsigned gsi, bool level);
    /* Delivers a message-signalled interrupt (PCI MSI/MSI-X). May be NULL. */
    void (*send_msi)(void *ctx, uint64_t addr, uint32_t data);
    void *ctx;
};

struct irq_line {
    const struct irq_chip *chip;
    unsigned gsi;
};

static inline void irq_set(const struct irq_line *l, bool level)
{
    if (l->chip)
        l->chip->set_level(l->chip->ctx, l->gsi, level);
}

static inline void irq_pulse(const struct irq_line *l)
{
    irq_set(l, true);
    irq_set(l, false);
}

#endif
