/* A firmware debug console: QEMU's isa-debugcon port (0x402), where SeaBIOS
 * writes its log. A read returns DEBUGCON_READBACK (0xe9), the value SeaBIOS
 * checks for before it uses the port. Written bytes are gathered into lines
 * (at most DEBUGCON_LINE_MAX - 1 characters; longer lines are split), each
 * logged at debug level ("vmon -v") and handed to an optional callback, by
 * which the machine watches what the firmware says (e.g. that it found
 * nothing to boot). Control characters other than '\n' are dropped.
 *
 * Locking: one mutex for the line buffer; the callback runs with it held,
 * on the writing vCPU's thread. */
#ifndef VMON_DEVICES_LEGACY_DEBUGCON_H
#define VMON_DEVICES_LEGACY_DEBUGCON_H

#include <pthread.h>
#include <stddef.h>

#include "core/bus.h"

#define DEBUGCON_PORT 0x402
#define DEBUGCON_READBACK 0xe9
#define DEBUGCON_LINE_MAX 160

typedef void (*debugcon_line_fn)(void *ctx, const char *line);

struct debugcon {
    pthread_mutex_t lock;
    char line[DEBUGCON_LINE_MAX];
    size_t len;
    const char *name;       /* prefix of the log lines, e.g. "firmware" */
    debugcon_line_fn on_line; /* may be NULL */
    void *ctx;
};

/* Returns 0 or -errno. */
int debugcon_init(struct debugcon *d, const char *name, debugcon_line_fn on_line, void *ctx);
void debugcon_destroy(struct debugcon *d);

/* Register at DEBUGCON_PORT with length 1, dev = struct debugcon. */
extern const struct bus_dev_ops debugcon_ops;

#endif
