#include "core/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common/util.h"

int gmem_init(struct guest_mem *m, uint64_t ram_size, uint64_t hole_start, uint64_t hole_end)
{
    memset(m, 0, sizeof(*m));
    if (ram_size == 0 || ram_size % 4096 || hole_end < hole_start)
        return -EINVAL;
    if (ram_size > (uint64_t)SIZE_MAX)
        return -ENOMEM;
    void *p = mmap(NULL, (size_t)ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    madvise(p, (size_t)ram_size, MADV_HUGEPAGE);
    m->map = p;
    m->map_size = (size_t)ram_size;
    m->ram_size = ram_size;
    uint64_t low = MIN(ram_size, hole_start);
    m->region[0] = (struct gmem_region){ .gpa = 0, .size = low, .hva = p };
    m->nregions = 1;
    if (ram_size > low) {
        m->region[1] = (struct gmem_region){
            .gpa = hole_end, .size = ram_size - low, .hva = (uint8_t *)p + low };
        m->nregions = 2;
    }
    return 0;
}

void gmem_init_flat(struct guest_mem *m, void *host, uint64_t size)
{
    memset(m, 0, sizeof(*m));
    m->region[0] = (struct gmem_region){ .gpa = 0, .size = size, .hva = host };
    m->nregions = 1;
    m->ram_size = size;
}

int gmem_add_rom(struct guest_mem *m, uint64_t gpa, uint64_t size, const void *data, uint64_t len)
{
    if (m->nroms == GMEM_MAX_ROMS || size == 0 || size % 4096 || gpa % 4096 || len > size ||
        gpa + size - 1 < gpa)
        return -EINVAL;
    for (unsigned i = 0; i < m->nregions; i++)
        if (ranges_overlap(gpa, size, m->region[i].gpa, m->region[i].size))
            return -EBUSY;
    for (unsigned i = 0; i < m->nroms; i++)
        if (ranges_overlap(gpa, size, m->rom[i].gpa, m->rom[i].size))
            return -EBUSY;
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    memcpy((uint8_t *)p + (size - len), data, len);
    mprotect(p, (size_t)size, PROT_READ);
    m->rom[m->nroms++] = (struct gmem_region){ .gpa = gpa, .size = size, .hva = p };
    return 0;
}

const void *gmem_rom_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < m->nroms; i++) {
        const struct gmem_region *r = &m->rom[i];
        if (gpa >= r->gpa && range_within(gpa - r->gpa, len ? len : 1, r->size))
            /* GUEST: [gpa, gpa+len) checked to lie inside ROM r. */
            return r->hva + (gpa - r->gpa);
    }
    return NULL;
}

void gmem_destroy(struct guest_mem *m)
{
    for (unsigned i = 0; i < m->nroms; i++)
        munmap(m->rom[i].hva, m->rom[i].size);
    if (m->map)
        munmap(m->map, m->map_size);
    memset(m, 0, sizeof(*m));
}

const struct gmem_region *gmem_region_of(const struct guest_mem *m, uint64_t gpa)
{
    for (unsigned i = 0; i < m->nregions; i++) {
        const struct gmem_region *r = &m->region[i];
        if (gpa >= r->gpa && gpa - r->gpa < r->size)
            return r;
    }
    return NULL;
}

void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    const struct gmem_region *r = gmem_region_of(m, gpa);
    if (!r)
        return NULL;
    uint64_t off = gpa - r->gpa;
    if (!range_within(off, len ? len : 1, r->size))
        return NULL;
    /* GUEST: [gpa, gpa+len) checked to lie inside region r. */
    return r->hva + off;
}

static int gmem_copy(const struct guest_mem *m, uint64_t gpa, void *buf, uint64_t len, bool write)
{
    /* Validate the whole range first so a failed copy changes nothing. */
    uint64_t a = gpa, left = len;
    while (left) {
        const struct gmem_region *r = gmem_region_of(m, a);
        if (!r)
            return -EFAULT;
        uint64_t chunk = MIN(left, r->size - (a - r->gpa));
        a += chunk;
        left -= chunk;
    }
    a = gpa;
    left = len;
    uint8_t *b = buf;
    while (left) {
        const struct gmem_region *r = gmem_region_of(m, a);
        uint64_t chunk = MIN(left, r->size - (a - r->gpa));
        uint8_t *h = r->hva + (a - r->gpa);
        if (write)
            memcpy(h, b, chunk);
        else
            memcpy(b, h, chunk);
        a += chunk;
        b += chunk;
        left -= chunk;
    }
    return 0;
}

int gmem_read(const struct guest_mem *m, uint64_t gpa, void *buf, uint64_t len)
{
    return gmem_copy(m, gpa, buf, len, false);
}

int gmem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, uint64_t len)
{
    return gmem_copy(m, gpa, (void *)buf, len, true);
}
