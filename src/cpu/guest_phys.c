#include "cpu/guest_phys.h"

static bool phys_pt_read(void *ctx, uint64_t pa, uint64_t *val, unsigned size)
{
    /* GUEST: an aligned page-table entry, checked to lie in RAM. */
    void *p = gmem_ptr(ctx, pa, size);
    if (!p || (pa & (size - 1)))
        return false;
    *val = size == 8 ? __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED)
                     : __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
    return true;
}

static bool phys_pt_set_bits(void *ctx, uint64_t pa, uint64_t old, uint64_t bits, unsigned size)
{
    void *p = gmem_ptr(ctx, pa, size);
    if (!p || (pa & (size - 1)))
        return false;
    if (size == 8) {
        uint64_t expect = old;
        return __atomic_compare_exchange_n((uint64_t *)p, &expect, old | bits, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
    }
    uint32_t expect = (uint32_t)old;
    return __atomic_compare_exchange_n((uint32_t *)p, &expect, (uint32_t)(old | bits), false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

struct x86_phys_ops guest_phys_ops(struct guest_mem *m)
{
    return (struct x86_phys_ops){ phys_pt_read, phys_pt_set_bits, m, 0 };
}

bool guest_mmio_access(const struct bus *bus, uint64_t pa, uint8_t *data, unsigned len, bool write)
{
    bool all = true;
    while (len) {
        unsigned sz = len >= 8 && !(pa & 7) ? 8 : len >= 4 && !(pa & 3) ? 4
                    : len >= 2 && !(pa & 1) ? 2 : 1;
        bool ok = write ? bus_write(bus, pa, data, sz) : bus_read(bus, pa, data, sz);
        all = all && ok;
        pa += sz;
        data += sz;
        len -= sz;
    }
    return all;
}
