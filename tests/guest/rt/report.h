/* What a test guest prints: one "vmon test guest NAME: ..." line per check
 * and a final PASS or FAIL, then ACPI power-off. */
#ifndef VMON_GUEST_RT_REPORT_H
#define VMON_GUEST_RT_REPORT_H

#include <stdbool.h>

/* Names the guest in every line; call first. */
void report_begin(const char *guest);

/* "vmon test guest NAME: <text>" */
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "vmon test guest NAME: <text>: ok" or ": FAIL"; returns ok. */
bool report_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "PASS" when every check passed, else "FAIL (N of M checks
 * failed)", and powers the machine off. */
_Noreturn void report_finish(void);

/* Something went so wrong that the guest cannot go on (an unexpected
 * exception): prints the reason and "FAIL", powers off. */
_Noreturn void report_abort(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ACPI S5 through PM1a_CNT (SLP_TYP 5, SLP_EN). */
_Noreturn void report_poweroff(void);

#endif
