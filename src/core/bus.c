#include "core/bus.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void bus_init(struct bus *b, const char *name)
{
    memset(b, 0, sizeof(*b));
    b->name = name;
}

void bus_destroy(struct bus *b)
{
    free(b->ranges);
    b->ranges = NULL;
    b->n = b->cap = 0;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_dev_ops *ops,
                 void *dev, const char *name)
{
    if (len == 0 || base + len - 1 < base)
        return BUS_EINVAL;
    size_t pos = 0;
    while (pos < b->n && b->ranges[pos].base < base)
        pos++;
    if (pos > 0 && ranges_overlap(b->ranges[pos - 1].base, b->ranges[pos - 1].len, base, len))
        return BUS_EBUSY;
    if (pos < b->n && ranges_overlap(b->ranges[pos].base, b->ranges[pos].len, base, len))
        return BUS_EBUSY;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct bus_range *r = realloc(b->ranges, cap * sizeof(*r));
        if (!r)
            return BUS_ENOMEM;
        b->ranges = r;
        b->cap = cap;
    }
    memmove(&b->ranges[pos + 1], &b->ranges[pos], (b->n - pos) * sizeof(*b->ranges));
    b->ranges[pos] = (struct bus_range){ base, len, ops, dev, name };
    b->n++;
    return BUS_OK;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct bus_range *r = &b->ranges[mid];
        if (addr < r->base)
            hi = mid;
        else if (addr - r->base >= r->len)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

static const struct bus_range *bus_claim(const struct bus *b, uint64_t addr, unsigned size)
{
    const struct bus_range *r = bus_find(b, addr);
    if (!r || !range_within(addr - r->base, size, r->len))
        return NULL;
    return r;
}

bool bus_read(const struct bus *b, uint64_t addr, void *data, unsigned size)
{
    const struct bus_range *r = bus_claim(b, addr, size);
    uint64_t v = ~0ull;
    if (r && r->ops->read)
        v = r->ops->read(r->dev, addr - r->base, size);
    memcpy(data, &v, size);
    return r != NULL;
}

bool bus_write(const struct bus *b, uint64_t addr, const void *data, unsigned size)
{
    const struct bus_range *r = bus_claim(b, addr, size);
    if (!r)
        return false;
    if (r->ops->write) {
        uint64_t v = 0;
        memcpy(&v, data, size);
        r->ops->write(r->dev, addr - r->base, v, size);
    }
    return true;
}
