/* Output on COM1 (16550 UART at 0x3f8, polled) with a small printf. */
#ifndef VMON_GUEST_RT_CONSOLE_H
#define VMON_GUEST_RT_CONSOLE_H

#include <stdarg.h>

void con_putc(char c);
void con_puts(const char *s);

/* Formats like printf for: %% %c %s %d %u %x, an optional 0 flag and field
 * width (numbers only), and the l length modifier (long = 64 bits). "\n" is sent as
 * "\r\n". */
void con_vprintf(const char *fmt, va_list ap);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
