/* MADT, the Multiple APIC Description Table (ACPI 6.4, 5.2.12): one local
 * APIC per vCPU (APIC id = UID = index, enabled), the I/O APIC (id ncpus,
 * GSI base 0), ISA overrides IRQ0 -> GSI2 (edge, high) and the SCI IRQ ->
 * same GSI (level, high), and LINT1 as NMI on every processor. */
#ifndef VMON_ACPI_MADT_H
#define VMON_ACPI_MADT_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"
#include "acpi/acpi_table.h"

#define MADT_REVISION 5
#define MADT_PCAT_COMPAT (1u << 0)

/* Interrupt Controller Structure types (5.2.12 Table 5.21) */
enum madt_type {
    MADT_LOCAL_APIC = 0,
    MADT_IO_APIC = 1,
    MADT_INT_SRC_OVERRIDE = 2,
    MADT_LOCAL_APIC_NMI = 4,
};

/* MPS INTI flags (5.2.12.5 Table 5.26) */
#define MADT_POLARITY_HIGH (1u << 0)
#define MADT_POLARITY_LOW  (3u << 0)
#define MADT_TRIGGER_EDGE  (1u << 2)
#define MADT_TRIGGER_LEVEL (3u << 2)

#define MADT_LAPIC_ENABLED (1u << 0)

struct acpi_madt {
    struct acpi_header h;
    uint32_t lapic_addr;
    uint32_t flags;
} __attribute__((packed));

/* 5.2.12.2 */
struct madt_local_apic {
    uint8_t type, length;
    uint8_t uid;
    uint8_t apic_id;
    uint32_t flags;
} __attribute__((packed));

/* 5.2.12.3 */
struct madt_io_apic {
    uint8_t type, length;
    uint8_t id;
    uint8_t reserved;
    uint32_t addr;
    uint32_t gsi_base;
} __attribute__((packed));

/* 5.2.12.5 */
struct madt_int_override {
    uint8_t type, length;
    uint8_t bus;      /* 0: ISA */
    uint8_t source;   /* ISA IRQ */
    uint32_t gsi;
    uint16_t flags;
} __attribute__((packed));

/* 5.2.12.7 */
struct madt_lapic_nmi {
    uint8_t type, length;
    uint8_t uid;      /* 0xff: all processors */
    uint16_t flags;
    uint8_t lint;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header");
_Static_assert(sizeof(struct madt_local_apic) == 8, "Processor Local APIC");
_Static_assert(sizeof(struct madt_io_apic) == 12, "I/O APIC");
_Static_assert(sizeof(struct madt_int_override) == 10, "Interrupt Source Override");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "Local APIC NMI");

/* Returns the MADT's length or -ENOSPC. c must have passed acpi_config_check. */
int madt_write(uint8_t *out, size_t cap, const struct acpi_config *c);

#endif
