/* The I/O APIC at its default base (82093AA datasheet, "Register
 * Description": IOREGSEL at +0, IOWIN at +0x10; redirection entry n in
 * registers 0x10 + 2n (low) and 0x11 + 2n (high)). */
#ifndef VMON_GUEST_RT_IOAPIC_H
#define VMON_GUEST_RT_IOAPIC_H

#include <stdint.h>

#define IOAPIC_BASE 0xfec00000ull

/* Routes pin to vector: fixed delivery, physical destination apic_id,
 * edge-triggered, active high, unmasked. */
void ioapic_route(unsigned pin, uint8_t vector, uint8_t apic_id);

/* Masks pin. */
void ioapic_mask(unsigned pin);

#endif
