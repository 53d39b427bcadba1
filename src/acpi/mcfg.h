/* MCFG, the PCI Express memory-mapped configuration table (PCI Firmware
 * Specification 3.2, 4.1.2): one ECAM allocation, segment 0, buses 0-255. */
#ifndef VMON_ACPI_MCFG_H
#define VMON_ACPI_MCFG_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"
#include "acpi/acpi_table.h"

#define MCFG_REVISION 1

struct mcfg_allocation {
    uint64_t base;
    uint16_t segment;
    uint8_t bus_start;
    uint8_t bus_end;
    uint32_t reserved;
} __attribute__((packed));

struct acpi_mcfg {
    struct acpi_header h;
    uint8_t reserved[8];
    struct mcfg_allocation alloc[1];
} __attribute__((packed));

_Static_assert(sizeof(struct mcfg_allocation) == 16, "MCFG allocation");
_Static_assert(sizeof(struct acpi_mcfg) == 60, "MCFG with one allocation");

/* Returns the MCFG's length or -ENOSPC. */
int mcfg_write(uint8_t *out, size_t cap, const struct acpi_config *c);

#endif
