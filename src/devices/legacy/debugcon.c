/* Firmware debug console port; see debugcon.h. */
#include "devices/legacy/debugcon.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

int debugcon_init(struct debugcon *d, const char *name, debugcon_line_fn on_line, void *ctx)
{
    memset(d, 0, sizeof(*d));
    if (pthread_mutex_init(&d->lock, NULL))
        return -ENOMEM;
    d->name = name;
    d->on_line = on_line;
    d->ctx = ctx;
    return 0;
}

void debugcon_destroy(struct debugcon *d)
{
    pthread_mutex_destroy(&d->lock);
    memset(d, 0, sizeof(*d));
}

static void debugcon_flush(struct debugcon *d)
{
    d->line[d->len] = 0;
    log_debug("%s: %s", d->name, d->line);
    if (d->on_line)
        d->on_line(d->ctx, d->line);
    d->len = 0;
}

static uint64_t debugcon_read(void *dev, uint64_t offset, unsigned size)
{
    (void)dev;
    (void)offset;
    (void)size;
    return DEBUGCON_READBACK;
}

static void debugcon_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct debugcon *d = dev;
    (void)offset;
    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < size; i++) {
        char c = (char)(value >> (8 * i));
        if (c == '\n') {
            debugcon_flush(d);
            continue;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            continue;
        d->line[d->len++] = c;
        if (d->len == DEBUGCON_LINE_MAX - 1)
            debugcon_flush(d);
    }
    pthread_mutex_unlock(&d->lock);
}

const struct bus_dev_ops debugcon_ops = { debugcon_read, debugcon_write };
