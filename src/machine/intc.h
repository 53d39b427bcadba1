/* The user-space interrupt controllers (PIC, IOAPIC, PIT, LAPICs) for
 * backends without their own, and the struct cpu_intc view the software CPU
 * uses to reach its LAPIC. */
#ifndef VMON_MACHINE_INTC_H
#define VMON_MACHINE_INTC_H

#include "core/intc.h"
#include "devices/irq/irqchip.h"

extern const struct cpu_intc_ops machine_intc_ops;

#endif
