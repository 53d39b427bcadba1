/* The I/O bus: a registry of port-I/O or MMIO ranges and the devices behind
 * them. Devices see (offset within their range, size, value) and nothing
 * else; both CPU backends dispatch guest accesses through here.
 *
 * Ranges are registered while the machine is built and never change once
 * vCPUs run, so dispatch takes no lock. Devices whose windows move at run
 * time (PCI BARs) register one fixed window and dispatch inside it. */
#ifndef VMON_CORE_BUS_H
#define VMON_CORE_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus_dev_ops {
    /* size is 1, 2, 4 or 8; offset + size <= range length. Returns the value
     * zero-extended. May be NULL (reads as all ones). */
    uint64_t (*read)(void *dev, uint64_t offset, unsigned size);
    /* May be NULL (writes ignored). */
    void (*write)(void *dev, uint64_t offset, uint64_t value, unsigned size);
};

struct bus_range {
    uint64_t base;
    uint64_t len;
    const struct bus_dev_ops *ops;
    void *dev;
    const char *name;
};

struct bus {
    const char *name; /* "pio" or "mmio", for messages */
    struct bus_range *ranges; /* sorted by base, non-overlapping */
    size_t n, cap;
};

enum bus_error {
    BUS_OK = 0,
    BUS_EINVAL = -1,  /* zero length or base+len wraps */
    BUS_EBUSY = -2,   /* overlaps an existing range */
    BUS_ENOMEM = -3,
};

void bus_init(struct bus *b, const char *name);
void bus_destroy(struct bus *b);
int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_dev_ops *ops,
                 void *dev, const char *name);

/* The range holding addr, or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);

/* Dispatches an access of 1, 2, 4 or 8 bytes (little-endian data buffer).
 * Returns false when no device claims the whole access: reads then return
 * all ones, writes are dropped. */
bool bus_read(const struct bus *b, uint64_t addr, void *data, unsigned size);
bool bus_write(const struct bus *b, uint64_t addr, const void *data, unsigned size);

#endif
