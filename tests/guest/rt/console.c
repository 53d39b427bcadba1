#include "console.h"

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20 /* transmit holding register empty */

void con_putc(char c)
{
    if (c == '\n')
        con_putc('\r');
    while (!(cpu_inb(COM1_LSR) & LSR_THRE))
        ;
    cpu_outb(COM1, (uint8_t)c);
}

void con_puts(const char *s)
{
    while (*s)
        con_putc(*s++);
}

static void put_padded(const char *digits, unsigned n, unsigned width, char pad)
{
    for (; width > n; width--)
        con_putc(pad);
    while (n)
        con_putc(digits[--n]);
}

/* Prints v in base 10 or 16, digits collected least significant first. */
static void put_number(uint64_t v, unsigned base, bool negative, unsigned width, char pad)
{
    char buf[24];
    unsigned n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (negative)
        buf[n++] = '-';
    put_padded(buf, n, width, pad);
}

void con_vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            con_putc(*fmt);
            continue;
        }
        char pad = ' ';
        unsigned width = 0;
        bool is_long = false;
        if (*++fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        if (*fmt == 'l') {
            is_long = true;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            int64_t v = is_long ? va_arg(ap, long) : va_arg(ap, int);
            put_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
            put_number(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, false,
                       width, pad);
            break;
        case 'x':
            put_number(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, false,
                       width, pad);
            break;
        case 'c':
            con_putc((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            con_puts(s ? s : "(null)");
            break;
        }
        case '%':
            con_putc('%');
            break;
        default: /* unknown conversion: show it as written */
            con_putc('%');
            if (!*fmt)
                return;
            con_putc(*fmt);
            break;
        }
    }
}

void con_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    con_vprintf(fmt, ap);
    va_end(ap);
}
