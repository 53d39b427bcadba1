/* The I/O APIC (Intel 82093AA datasheet; version 0x20 as in the ICH/PCH
 * I/O APICs, which adds the EOI register): 24 input pins, each routed by a
 * redirection-table entry to an interrupt message on the APIC bus.
 *
 * Inputs are logical levels ("asserted"), so the polarity bit is stored for
 * the guest but not applied. Edge pins send one message per rising edge
 * while unmasked (an edge that arrives masked is lost). Level pins send a
 * message while asserted, unmasked and remote IRR clear, and set remote IRR;
 * an EOI for the vector (broadcast from a LAPIC or written to the EOI
 * register) clears it and re-delivers if the line is still asserted. */
#ifndef VMON_DEVICES_IRQ_IOAPIC_H
#define VMON_DEVICES_IRQ_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "devices/irq/lapic.h"

/* Architectural default base; the machine's LAYOUT_IOAPIC must match. */
#define IOAPIC_DEFAULT_BASE 0xfec00000ull
#define IOAPIC_MMIO_SIZE    0x1000ull
#define IOAPIC_PINS         24
#define IOAPIC_VERSION      0x20

/* Register state (82093AA section 3.2), plain data. */
struct ioapic_state {
    uint32_t id;        /* IOAPICID, bits 31:24 */
    uint32_t ioregsel;  /* selected register index (bits 7:0) */
    uint64_t redir[IOAPIC_PINS]; /* redirection table entries */
    uint32_t lines;     /* input levels, bit per pin */
};

struct ioapic {
    pthread_mutex_t lock;
    struct ioapic_state s;
    uint8_t reset_id;   /* IOAPIC ID after reset (the MADT's) */
    /* Sends a message on the APIC bus; called with the IOAPIC lock held. */
    void (*deliver)(void *ctx, const struct apic_msg *m);
    void *deliver_ctx;
};

/* id is the IOAPIC ID the firmware tables announce. Returns 0 or -errno. */
int ioapic_init(struct ioapic *io, uint8_t id, void (*deliver)(void *ctx, const struct apic_msg *m),
                void *ctx);
void ioapic_destroy(struct ioapic *io);
void ioapic_reset(struct ioapic *io);

/* Sets the level of input pin (pins >= IOAPIC_PINS are ignored). */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);
/* End of interrupt for vector (level-triggered pins). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* MMIO window of IOAPIC_MMIO_SIZE bytes, dev = struct ioapic. */
extern const struct bus_dev_ops ioapic_mmio_ops;

#endif
