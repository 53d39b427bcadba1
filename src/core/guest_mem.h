/* Guest physical memory: RAM regions backed by one host mapping each.
 *
 * Every guest-derived address goes through gmem_ptr()/gmem_read()/gmem_write(),
 * which check the whole [gpa, gpa+len) range against one RAM region. Nothing
 * else in vmon forms a host pointer from a guest physical address. */
#ifndef VMON_CORE_GUEST_MEM_H
#define VMON_CORE_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4
#define GMEM_MAX_ROMS 2

struct gmem_region {
    uint64_t gpa;  /* guest physical start */
    uint64_t size; /* bytes, multiple of the page size */
    uint8_t *hva;  /* host mapping */
};

struct guest_mem {
    struct gmem_region region[GMEM_MAX_REGIONS];
    unsigned nregions;
    uint64_t ram_size; /* total bytes of RAM */
    /* Read-only memory (firmware images), outside RAM: never returned by
     * gmem_ptr(), and a guest's writes to it are dropped. */
    struct gmem_region rom[GMEM_MAX_ROMS];
    unsigned nroms;
    void *map;         /* one reservation holding all regions */
    size_t map_size;
};

/* Maps ram_size bytes of anonymous memory and lays it out around the 32-bit
 * MMIO hole (see machine/layout.h for the addresses). Returns 0 or -errno. */
int gmem_init(struct guest_mem *m, uint64_t ram_size, uint64_t hole_start, uint64_t hole_end);
/* Uses caller-provided host memory as a single region at gpa 0 (tests). */
void gmem_init_flat(struct guest_mem *m, void *host, uint64_t size);
void gmem_destroy(struct guest_mem *m);

/* Maps size bytes (page multiple) of read-only memory at gpa, which must
 * not overlap RAM or another ROM, and copies data (len <= size) to its end,
 * as firmware images sit at the top of their window. Returns 0 or -errno. */
int gmem_add_rom(struct guest_mem *m, uint64_t gpa, uint64_t size, const void *data, uint64_t len);

/* Host pointer for reading [gpa, gpa+len) of a ROM, or NULL. */
const void *gmem_rom_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Host pointer for [gpa, gpa+len) if it lies entirely in one RAM region, else
 * NULL. len 0 is treated as 1. */
void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* The region holding gpa, or NULL. */
const struct gmem_region *gmem_region_of(const struct guest_mem *m, uint64_t gpa);

/* Copies to/from guest RAM. Return 0, or -EFAULT (nothing copied) when the
 * range is not wholly inside RAM. A range may span adjacent regions. */
int gmem_read(const struct guest_mem *m, uint64_t gpa, void *buf, uint64_t len);
int gmem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, uint64_t len);

#endif
