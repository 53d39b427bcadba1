/* The BIOS e820 memory map vmon hands the guest (zero page, PVH memmap).
 *
 *   0        - 0x9fc00     RAM       conventional memory
 *   0x9fc00  - 0x100000    reserved  EBDA, VGA window, BIOS area; the ACPI
 *                                    tables live at 0xe0000 inside it
 *   1 MiB    - low end     RAM       up to min(RAM, LAYOUT_MMIO_HOLE_START)
 *   ECAM window            reserved  so Linux accepts MMCONFIG (the rest of
 *                                    the 3-4 GiB hole is not listed at all)
 *   4 GiB    - ...         RAM       whatever did not fit below the hole
 */
#ifndef VMON_LOADERS_E820_H
#define VMON_LOADERS_E820_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

/* Address range types (ACPI 6.4, 15.1 "INT 15H, E820H"). */
enum e820_type {
    E820_RAM = 1,
    E820_RESERVED = 2,
    E820_ACPI = 3,
    E820_NVS = 4,
    E820_UNUSABLE = 5,
};

/* One entry exactly as boot_params.e820_table holds it (zero-page.rst). */
struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct e820_entry) == 20, "e820 entries are 20 bytes");

/* Most entries e820_build ever produces. */
#define E820_MAX_BUILT 8

/* Fills out[0..n) sorted by address, non-overlapping, and returns n, or
 * -EINVAL when m does not look like a vmon PC (first region not at 0, less
 * than 2 MiB of low RAM, RAM inside the hole) and -ENOSPC when max is too
 * small. */
int e820_build(struct e820_entry *out, size_t max, const struct guest_mem *m);

/* Bytes of type `type` in the map. */
uint64_t e820_total(const struct e820_entry *e, size_t n, enum e820_type type);

#endif
