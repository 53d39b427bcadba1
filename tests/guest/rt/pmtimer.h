/* The ACPI PM timer: a 24-bit counter at 3.579545 MHz (ACPI 6.5, 4.8.3.3
 * "Power Management Timer"), at vmon's PM_TMR_BLK, port 0x608. */
#ifndef VMON_GUEST_RT_PMTIMER_H
#define VMON_GUEST_RT_PMTIMER_H

#include <stdint.h>

#define PMTIMER_HZ 3579545u
#define PMTIMER_PORT 0x608

/* The counter now. */
uint32_t pmtimer_now(void);

/* Ticks from start to now (valid for intervals under 4.6 s, the wrap). */
uint32_t pmtimer_since(uint32_t start);

/* Ticks in us microseconds. */
static inline uint32_t pmtimer_us(uint32_t us) { return (uint32_t)((uint64_t)us * PMTIMER_HZ / 1000000u); }

#endif
