#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Written once at start-up, read-only afterwards. */
static enum log_level log_threshold = LOG_INFO;

void log_set_level(enum log_level level) { log_threshold = level; }

bool log_enabled(enum log_level level) { return level <= log_threshold; }

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* '\r' keeps lines tidy when the terminal is in raw mode. */
    fprintf(stderr, "vmon: %s%s\r\n", level == LOG_WARN ? "warning: " : "", buf);
}
