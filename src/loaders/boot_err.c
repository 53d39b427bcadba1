#include "loaders/boot_err.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/util.h"

int boot_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *boot_err_size(char *buf, size_t buflen, uint64_t bytes)
{
    if (bytes >= GiB(1) && bytes % GiB(1) == 0)
        snprintf(buf, buflen, "%llu GiB", (unsigned long long)(bytes >> 30));
    else if (bytes >= MiB(1))
        snprintf(buf, buflen, "%llu MiB", (unsigned long long)(bytes >> 20));
    else if (bytes >= KiB(1))
        snprintf(buf, buflen, "%llu KiB", (unsigned long long)(bytes >> 10));
    else
        snprintf(buf, buflen, "%llu bytes", (unsigned long long)bytes);
    return buf;
}
