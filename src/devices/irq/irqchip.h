/* The user-space interrupt system of a PC: 8259A pair, 8254 PIT, IOAPIC and
 * one local APIC per vCPU, wired together as the virtual APIC bus.
 *
 * Used by the emu backend and by KVM without an in-kernel irqchip. Devices
 * raise GSIs through irqchip_irq_chip(): GSI 0-23 go to the IOAPIC pin of
 * the same number, except ISA IRQ0 (GSI 0) which goes to pin 2 (the MADT's
 * interrupt source override); GSIs 0-15 other than 2 also go to the 8259
 * IRQ of the same number. Each GSI must have a single source (levels are
 * not OR-ed). MSIs are decoded into APIC messages.
 *
 * The 8259's INTR drives the BSP's LINT0. The LAPICs' xAPIC pages are not on
 * the MMIO bus: the CPU backend calls lapic_mmio_* on the accessing vCPU's
 * own LAPIC (irqchip_lapic()).
 *
 * Lock order: PIT -> PIC / IOAPIC -> LAPIC -> timer queue. A LAPIC calls
 * the bus (IPIs, EOI broadcast, INTA) only with its own lock dropped. */
#ifndef VMON_DEVICES_IRQ_IRQCHIP_H
#define VMON_DEVICES_IRQ_IRQCHIP_H

#include <stdint.h>

#include "core/bus.h"
#include "core/clock.h"
#include "core/irq.h"
#include "core/timer.h"
#include "devices/irq/ioapic.h"
#include "devices/irq/lapic.h"
#include "devices/irq/pic.h"
#include "devices/irq/pit.h"

/* xAPIC IDs are 8 bits and 0xff is the broadcast address. */
#define IRQCHIP_MAX_CPUS 255
#define IRQCHIP_NUM_GSIS IOAPIC_PINS

struct userspace_irqchip {
    struct pic pic;
    struct ioapic ioapic;
    struct pit pit;
    struct lapic *lapic; /* ncpus entries; APIC ID = vCPU index */
    unsigned ncpus;
    struct irq_chip chip; /* what devices raise their lines on */
};

/* ncpus vCPUs, vCPU 0 is the BSP. clock and timers must outlive the chip.
 * Returns 0 or -errno (-EINVAL for a bad ncpus). */
int irqchip_init(struct userspace_irqchip *c, unsigned ncpus, struct vclock *clock,
                 struct timer_queue *timers);
/* Waits for running timer callbacks; call with the vCPUs stopped. */
void irqchip_destroy(struct userspace_irqchip *c);
/* RESET of the whole interrupt system (machine reset). */
void irqchip_reset(struct userspace_irqchip *c);

/* Registers the PIC (0x20, 0xa0, 0x4d0), PIT (0x40, 0x61) ports on pio and
 * the IOAPIC at IOAPIC_DEFAULT_BASE on mmio. Returns 0 or -errno. */
int irqchip_register(struct userspace_irqchip *c, struct bus *pio, struct bus *mmio);

const struct irq_chip *irqchip_irq_chip(struct userspace_irqchip *c);
/* The LAPIC of vCPU cpu, or NULL. */
struct lapic *irqchip_lapic(struct userspace_irqchip *c, unsigned cpu);
/* How vCPU cpu is woken when an interrupt becomes pending for it. Set it
 * before the vCPU runs. */
void irqchip_set_kick(struct userspace_irqchip *c, unsigned cpu, void (*kick)(void *ctx),
                      void *ctx);

/* Delivers a message on the APIC bus. src is the sending LAPIC (for
 * shorthands), or -1 for the IOAPIC and MSIs. */
void irqchip_deliver(struct userspace_irqchip *c, int src, const struct apic_msg *m);
/* Decodes an MSI (address 0xfeexxxxx, data) and delivers it; messages to
 * other addresses are dropped. */
void irqchip_send_msi(struct userspace_irqchip *c, uint64_t addr, uint32_t data);

#endif
