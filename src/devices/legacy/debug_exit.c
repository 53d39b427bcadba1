/* isa-debug-exit compatible port; see debug_exit.h. Stateless apart from its
 * configuration, so it needs no lock. */
#include "devices/legacy/debug_exit.h"

#include <errno.h>
#include <limits.h>

static uint64_t debug_exit_read(void *dev, uint64_t offset, unsigned size)
{
    (void)dev;
    (void)offset;
    (void)size;
    return 0;
}

static void debug_exit_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    const struct debug_exit *d = dev;
    (void)offset;
    if (size < 8)
        value &= (1ull << (8 * size)) - 1;
    int code = (int)(((value << 1) | 1) & INT_MAX);
    vmctl_request(d->ctl, VM_EVENT_EXIT_CODE, code);
}

const struct bus_dev_ops debug_exit_ops = { debug_exit_read, debug_exit_write };

int debug_exit_init(struct debug_exit *d, const struct vm_control *ctl, unsigned iosize)
{
    if (iosize != 1 && iosize != 2 && iosize != 4)
        return -EINVAL;
    d->ctl = ctl;
    d->iosize = iosize;
    return 0;
}
