/* ACPI tables for a vmon PC, written straight into guest memory:
 *
 *   RSDP (rev 2, 16-byte aligned, first in the area so a legacy scan of
 *   0xe0000-0xfffff finds it) -> XSDT -> FADT (rev 6, legacy PM hardware,
 *   not hardware-reduced) -> FACS, DSDT; MADT; MCFG.
 *
 * The DSDT describes \_S5 (soft-off, SLP_TYP 5), the PCI host bridge
 * \_SB.PCI0 with its windows and _PRT, COM1, the PS/2 keyboard controller
 * and RTC when present, and one LNRO0005 device per virtio-mmio window.
 * ACPI 6.4 is the reference for every layout. */
#ifndef VMON_ACPI_ACPI_H
#define VMON_ACPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

#define ACPI_MAX_CPUS    254  /* xAPIC ids 0..253, the I/O APIC takes ncpus */
#define ACPI_MAX_PRT     128  /* 32 slots x INTA-D */
#define ACPI_MAX_VIRTIO  64
#define ACPI_MAX_GSI     255

/* One _PRT row: PCI device `slot` (0-31) pin `pin` (0 = INTA .. 3 = INTD)
 * is wired to global system interrupt `gsi` (level, active low as PCI is). */
struct acpi_prt_entry {
    uint8_t slot;
    uint8_t pin;
    uint32_t gsi;
};

/* A virtio-mmio window and its interrupt (edge, active high). */
struct acpi_virtio_mmio {
    uint64_t base;   /* below 4 GiB (Memory32Fixed) */
    uint32_t size;
    uint32_t gsi;
};

struct acpi_config {
    unsigned ncpus;                 /* 1..ACPI_MAX_CPUS */
    /* The ACPI PM block's fixed registers (I/O ports). The machine copies
     * them from the PM device; acpi/ never includes a device header. */
    uint16_t pm1a_evt_port;         /* PM1a_EVT_BLK: status + enable */
    uint8_t pm1a_evt_len;           /* 4 */
    uint16_t pm1a_cnt_port;         /* PM1a_CNT_BLK */
    uint8_t pm1a_cnt_len;           /* 2 */
    uint16_t pm_tmr_port;           /* PM_TMR_BLK, 4 bytes, 24-bit counter */
    uint16_t gpe0_port;             /* GPE0_BLK: status half + enable half */
    uint8_t gpe0_len;               /* 4 (even) */
    uint16_t sci_irq;               /* SCI_INT: ISA IRQ / GSI 9 */
    uint16_t reset_port;            /* RESET_REG: 0xcf9 */
    uint8_t reset_value;            /* 0x06 */
    bool has_i8042;                 /* IAPC_BOOT_ARCH 8042 flag + PNP0303 */
    bool has_rtc;                   /* PNP0B00 at 0x70, else "CMOS RTC not present" */
    bool has_com1;                  /* PNP0501 at 0x3f8, IRQ 4 */
    uint64_t ecam_base;             /* MCFG: buses 0-255 */
    uint32_t pci_mmio_base;         /* the host bridge's 32-bit window */
    uint32_t pci_mmio_size;
    const struct acpi_prt_entry *prt;
    size_t nprt;                    /* <= ACPI_MAX_PRT */
    const struct acpi_virtio_mmio *virtio;
    size_t nvirtio;                 /* <= ACPI_MAX_VIRTIO */
};

/* Fills c from machine/layout.h for ncpus vCPUs: PM block at PORT_ACPI_PM
 * (PM1a_EVT +0 len 4, PM1a_CNT +4 len 2, PM_TMR +8, GPE0 +0xc len 4), SCI 9,
 * reset 0xcf9/0x06, COM1 and RTC and i8042 present, ECAM and PCI window
 * from the layout, no _PRT rows, no virtio devices. */
void acpi_config_defaults(struct acpi_config *c, unsigned ncpus);

/* Checks c. Returns 0 or -EINVAL with a reason in err. */
int acpi_config_check(const struct acpi_config *c, char *err, size_t errlen);

/* Writes all tables into guest RAM [base, base + size) (base 16-byte
 * aligned; the RSDP goes at base) and returns the RSDP address. Returns 0,
 * -EINVAL (bad config or area), -EFAULT (area not RAM) or -ENOSPC. */
int acpi_build(struct guest_mem *m, uint64_t base, uint64_t size, const struct acpi_config *c,
               uint64_t *rsdp_addr);

/* The same tables as files for firmware that installs them itself (QEMU's
 * fw_cfg "etc/acpi/tables" and "etc/acpi/rsdp", linked by a loader script:
 * acpi/acpi_loader.h). The tables are laid out as acpi_build lays them out
 * at address 0: tables[0, 64) is padding where the RSDP would be, and every
 * pointer between tables holds its target's offset in `tables`. The firmware
 * allocates both files, adds the address it gave `tables` to each pointer
 * field listed in ptr[] (all of them point into `tables`), then recomputes
 * the checksums listed in sum[], in order. */
#define ACPI_RSDP_LEN 36
#define ACPI_BLOB_MAX 0x20000   /* bytes of tables at most */
#define ACPI_BLOB_MAX_PTRS 16  /* XSDT entries + 4 FADT fields + the RSDP's */
#define ACPI_BLOB_MAX_SUMS 4   /* FADT, XSDT, the RSDP's two */

enum acpi_blob_file { ACPI_BLOB_TABLES, ACPI_BLOB_RSDP };

struct acpi_blob_pointer {
    enum acpi_blob_file file; /* the file holding the pointer field */
    uint32_t offset;          /* of the field in that file */
    uint8_t size;             /* 4 or 8 bytes, little-endian */
};

struct acpi_blob_checksum {
    enum acpi_blob_file file;
    uint32_t offset;          /* of the checksum byte */
    uint32_t start, length;   /* the bytes that must sum to zero */
};

struct acpi_blob {
    uint8_t *tables;          /* malloc'ed */
    uint32_t tables_len;
    uint8_t rsdp[ACPI_RSDP_LEN];
    struct acpi_blob_pointer ptr[ACPI_BLOB_MAX_PTRS];
    unsigned nptr;
    struct acpi_blob_checksum sum[ACPI_BLOB_MAX_SUMS];
    unsigned nsum;
};

/* Builds the tables for c into a new blob. Returns 0, -EINVAL (bad config),
 * -ENOSPC or -ENOMEM. Free with acpi_blob_free. */
int acpi_build_blob(const struct acpi_config *c, struct acpi_blob *b);
void acpi_blob_free(struct acpi_blob *b);

#endif
