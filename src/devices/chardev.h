/* The character back end a serial device writes its output to (the host
 * console, a file, a test buffer). Input goes the other way: whoever owns the
 * back end pushes it into the device (e.g. uart_receive()).
 *
 * Contract for implementers: write() may be called from any vCPU thread,
 * possibly while the calling device holds its own lock, so it must never call
 * back into that device. It returns the number of bytes taken (a short write
 * drops the rest: back ends that can block or buffer do so internally) or a
 * negative errno. */
#ifndef VMON_DEVICES_CHARDEV_H
#define VMON_DEVICES_CHARDEV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct chardev {
    ssize_t (*write)(void *ctx, const uint8_t *buf, size_t len);
    void *ctx;
};

/* Sends len bytes to the back end; a NULL back end discards them. */
static inline ssize_t chardev_write(const struct chardev *c, const uint8_t *buf, size_t len)
{
    if (!c || !c->write)
        return (ssize_t)len;
    return c->write(c->ctx, buf, len);
}

#endif
