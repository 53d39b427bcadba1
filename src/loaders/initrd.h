/* Where the initial ramdisk goes (boot.rst, "initrd_addr_max" and "Sample
 * boot configuration"): as high as possible, page-aligned, wholly below
 * min(initrd_addr_max + 1, end of RAM below the 32-bit hole, 4 GiB), above
 * 1 MiB (the boot data) and clear of the kernel's load area. */
#ifndef VMON_LOADERS_INITRD_H
#define VMON_LOADERS_INITRD_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

struct initrd_limits {
    uint64_t addr_max;                   /* highest byte the initrd may use */
    uint64_t kernel_start, kernel_end;   /* [start, end) the kernel claims */
};

/* Picks the address for size bytes. Returns 0 or -ENOSPC with a message
 * such as "initrd: 300 MiB does not fit below 0x37ffffff in 256 MiB of RAM". */
int initrd_place(const struct guest_mem *m, uint64_t size, const struct initrd_limits *lim,
                 uint64_t *addr, char *err, size_t errlen);

#endif
