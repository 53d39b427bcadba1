/* A debug-exit port compatible with QEMU's isa-debug-exit device: a guest
 * write of value V (of the access size, zero-extended) asks the machine to
 * stop with exit status (V << 1) | 1, through VM_EVENT_EXIT_CODE. Reads
 * return 0. Test programs use it to report pass/fail without an OS.
 *
 * Register it at DEBUG_EXIT_IOBASE (0xf4) with length d->iosize. The exit
 * code is passed as an int: bits of (V << 1) | 1 above bit 30 are dropped,
 * which changes nothing for a process exit status (its low 8 bits). */
#ifndef VMON_DEVICES_LEGACY_DEBUG_EXIT_H
#define VMON_DEVICES_LEGACY_DEBUG_EXIT_H

#include "core/bus.h"
#include "core/vmctl.h"

#define DEBUG_EXIT_IOBASE 0xf4

struct debug_exit {
    const struct vm_control *ctl;
    unsigned iosize;
};

/* iosize is 1, 2 or 4. Returns 0 or -EINVAL. */
int debug_exit_init(struct debug_exit *d, const struct vm_control *ctl, unsigned iosize);

extern const struct bus_dev_ops debug_exit_ops;

#endif
