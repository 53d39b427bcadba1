#include "loaders/initrd.h"

#include <errno.h>

#include "common/util.h"
#include "loaders/boot_err.h"
#include "machine/layout.h"

#define INITRD_ALIGN 4096ull

/* The highest page-aligned start for size bytes ending at or below end, or
 * 0 when none is at or above floor. */
static uint64_t initrd_top(uint64_t floor, uint64_t end, uint64_t size)
{
    if (end < size || end - size < floor)
        return 0;
    uint64_t a = ALIGN_DOWN(end - size, INITRD_ALIGN);
    return a >= floor ? a : 0;
}

int initrd_place(const struct guest_mem *m, uint64_t size, const struct initrd_limits *lim,
                 uint64_t *addr, char *err, size_t errlen)
{
    const struct gmem_region *low = gmem_region_of(m, 0);
    uint64_t low_end = low ? low->size : 0;
    uint64_t end = MIN(MIN(low_end, LAYOUT_MMIO_HOLE_END), lim->addr_max + 1);
    if (lim->addr_max == UINT64_MAX)
        end = MIN(low_end, LAYOUT_MMIO_HOLE_END);

    uint64_t a = 0;
    if (size) {
        /* Above the kernel first (highest wins), then between 1 MiB and the
         * kernel if the top of RAM is too small. */
        uint64_t floor = MAX(LAYOUT_HIMEM, lim->kernel_end);
        a = initrd_top(ALIGN_UP(floor, INITRD_ALIGN), end, size);
        if (!a)
            a = initrd_top(LAYOUT_HIMEM, MIN(end, lim->kernel_start), size);
    }
    if (!a) {
        char sz[32], ram[32];
        return boot_err(err, errlen, -ENOSPC, "initrd: %s does not fit below 0x%llx in %s of RAM",
                        boot_err_size(sz, sizeof(sz), size), (unsigned long long)(end - 1),
                        boot_err_size(ram, sizeof(ram), m->ram_size));
    }
    *addr = a;
    return 0;
}
