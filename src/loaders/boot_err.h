/* One-line error messages for the loaders: every failure names the input
 * ("kernel:", "initrd:", "cmdline:") and the exact problem. */
#ifndef VMON_LOADERS_BOOT_ERR_H
#define VMON_LOADERS_BOOT_ERR_H

#include <stddef.h>
#include <stdint.h>

/* Formats the message into err (if err and errlen are non-zero) and returns
 * code, so callers can write `return boot_err(err, errlen, -EINVAL, ...)`. */
int boot_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Human-readable size for messages: "300 MiB", "12 KiB", "17 bytes".
 * Rounds down; buf must hold at least 32 bytes. Returns buf. */
const char *boot_err_size(char *buf, size_t buflen, uint64_t bytes);

#endif
