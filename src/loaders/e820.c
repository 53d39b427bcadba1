#include "loaders/e820.h"

#include <errno.h>

#include "machine/layout.h"

struct e820_list {
    struct e820_entry *e;
    size_t n, max;
};

static int e820_add(struct e820_list *l, uint64_t addr, uint64_t size, enum e820_type type)
{
    if (l->n == l->max)
        return -ENOSPC;
    l->e[l->n++] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
    return 0;
}

int e820_build(struct e820_entry *out, size_t max, const struct guest_mem *m)
{
    if (m->nregions == 0)
        return -EINVAL;
    const struct gmem_region *low = &m->region[0];
    if (low->gpa != 0 || low->size < MiB(2) || low->size > LAYOUT_MMIO_HOLE_START)
        return -EINVAL;

    struct e820_list l = { .e = out, .max = max };
    int r = e820_add(&l, 0, LAYOUT_EBDA, E820_RAM);
    if (!r)
        r = e820_add(&l, LAYOUT_EBDA, LAYOUT_HIMEM - LAYOUT_EBDA, E820_RESERVED);
    if (!r)
        r = e820_add(&l, LAYOUT_HIMEM, low->size - LAYOUT_HIMEM, E820_RAM);
    if (!r)
        r = e820_add(&l, LAYOUT_PCI_ECAM, LAYOUT_PCI_ECAM_SIZE, E820_RESERVED);
    /* Regions are in ascending order (gmem_init); anything after the first
     * must start at or above the end of the hole. */
    uint64_t prev_end = LAYOUT_MMIO_HOLE_END;
    for (unsigned i = 1; i < m->nregions && !r; i++) {
        const struct gmem_region *g = &m->region[i];
        if (g->gpa < prev_end || g->size == 0)
            return -EINVAL;
        r = e820_add(&l, g->gpa, g->size, E820_RAM);
        prev_end = g->gpa + g->size;
    }
    return r ? r : (int)l.n;
}

uint64_t e820_total(const struct e820_entry *e, size_t n, enum e820_type type)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].type == (uint32_t)type)
            sum += e[i].size;
    return sum;
}
