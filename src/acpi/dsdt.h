/* DSDT, the Differentiated System Description Table (ACPI 6.4, 5.2.11.1):
 *
 *   Name (\_S5, Package { 5, 5, 0, 0 })      soft-off: SLP_TYP 5
 *   \_SB.PCI0   PNP0A08 / PNP0A03 host bridge, _SEG 0, _BBN 0, _CRS with
 *               buses 0-255, I/O 0-0xcf7 and 0xd00-0xffff, the config ports
 *               0xcf8-0xcff, the 32-bit MMIO window; _PRT from the config
 *   \_SB.COM1   PNP0501, IO 0x3f8/8, IRQ 4                (has_com1)
 *   \_SB.PS2K   PNP0303, IO 0x60 and 0x64, IRQ 1           (has_i8042)
 *   \_SB.RTC_   PNP0B00, IO 0x70/2, IRQ 8                  (has_rtc)
 *   \_SB.VRnn   LNRO0005 virtio-mmio: Memory32Fixed + Interrupt per device
 */
#ifndef VMON_ACPI_DSDT_H
#define VMON_ACPI_DSDT_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"

#define DSDT_REVISION 2 /* 64-bit AML integers */

/* Returns the DSDT's length, or -ENOSPC when it does not fit in cap (or an
 * AML encoding error, which a checked config cannot cause). c must have passed
 * acpi_config_check. */
int dsdt_write(uint8_t *out, size_t cap, const struct acpi_config *c);

#endif
