/* Helpers both CPU backends use to reach guest-physical memory: the
 * page-table accessors of x86/paging.h on guest RAM, and MMIO accesses of
 * any length broken into bus-sized pieces. */
#ifndef VMON_CPU_GUEST_PHYS_H
#define VMON_CPU_GUEST_PHYS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/guest_mem.h"
#include "x86/paging.h"

/* Page-table entries in guest RAM, read and A/D-updated atomically. */
struct x86_phys_ops guest_phys_ops(struct guest_mem *m);

/* Splits [pa, pa+len) into naturally aligned 1/2/4/8-byte bus accesses.
 * Returns false if any piece was not claimed by a device. */
bool guest_mmio_access(const struct bus *bus, uint64_t pa, uint8_t *data, unsigned len, bool write);

#endif
