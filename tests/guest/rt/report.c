#include "report.h"

#include <stdarg.h>
#include <stdint.h>

#include "console.h"
#include "cpu.h"

#define ACPI_PM1A_CNT 0x604
#define PM1_SLP_TYP_S5 (5u << 10)
#define PM1_SLP_EN (1u << 13)

/* The guest is single-threaded; its report is the one piece of state every
 * module shares. */
static struct {
    const char *guest;
    unsigned checks, failed;
} report;

void report_begin(const char *guest) { report.guest = guest; }

static void prefix(void) { con_printf("vmon test guest %s: ", report.guest); }

void report_info(const char *fmt, ...)
{
    va_list ap;
    prefix();
    va_start(ap, fmt);
    con_vprintf(fmt, ap);
    va_end(ap);
    con_putc('\n');
}

bool report_check(bool ok, const char *fmt, ...)
{
    va_list ap;
    prefix();
    va_start(ap, fmt);
    con_vprintf(fmt, ap);
    va_end(ap);
    con_puts(ok ? ": ok\n" : ": FAIL\n");
    report.checks++;
    if (!ok)
        report.failed++;
    return ok;
}

_Noreturn void report_poweroff(void)
{
    cpu_outw(ACPI_PM1A_CNT, PM1_SLP_TYP_S5 | PM1_SLP_EN);
    for (;;)
        __asm__ volatile("cli; hlt");
}

_Noreturn void report_finish(void)
{
    if (report.failed == 0 && report.checks > 0)
        report_info("PASS");
    else
        report_info("FAIL (%u of %u checks failed)", report.failed, report.checks);
    report_poweroff();
}

_Noreturn void report_abort(const char *fmt, ...)
{
    va_list ap;
    prefix();
    va_start(ap, fmt);
    con_vprintf(fmt, ap);
    va_end(ap);
    con_putc('\n');
    report_info("FAIL (aborted after %u checks)", report.checks);
    report_poweroff();
}
