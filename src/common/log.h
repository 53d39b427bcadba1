/* Diagnostics: one line per message on stderr, prefixed with "vmon: ". */
#ifndef VMON_COMMON_LOG_H
#define VMON_COMMON_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The level is set once by the CLI before any thread starts. */
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
    do {                                                                       \
        if (log_enabled(LOG_DEBUG))                                            \
            log_msg(LOG_DEBUG, __VA_ARGS__);                                   \
    } while (0)

/* Log at most once per call site (e.g. a guest that keeps misbehaving). */
#define log_once(level, ...)                                                   \
    do {                                                                       \
        static int log_once_done_;                                     \
        if (!__atomic_exchange_n(&log_once_done_, 1, __ATOMIC_RELAXED))        \
            log_msg(level, __VA_ARGS__);                                       \
    } while (0)

#endif
