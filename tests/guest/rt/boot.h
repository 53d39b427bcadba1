/* What the guest learns from vmon's Linux boot_params ("zero page"). */
#ifndef VMON_GUEST_RT_BOOT_H
#define VMON_GUEST_RT_BOOT_H

#include <stdbool.h>
#include <stdint.h>

/* The kernel command line (--cmdline), or "" when there is none. */
const char *boot_cmdline(uint64_t zero_page);

/* Whether word appears in the command line as a whole space-separated word. */
bool boot_cmdline_has(uint64_t zero_page, const char *word);

#endif
