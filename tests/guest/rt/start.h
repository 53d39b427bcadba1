/* Entry of the C test guests. start.S clears .bss, switches to the guest's
 * own stack and calls guest_main(), which each guest defines; when it
 * returns the machine powers off. */
#ifndef VMON_GUEST_RT_START_H
#define VMON_GUEST_RT_START_H

#include <stdint.h>

/* zero_page: guest-physical address of the Linux boot_params vmon passed
 * in RSI (boot.rst, "64-bit Boot Protocol"). */
void guest_main(uint64_t zero_page);

#endif
