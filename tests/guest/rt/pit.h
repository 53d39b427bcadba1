/* Channel 0 of the 8254 PIT (8254 datasheet, "Control Word Format"). */
#ifndef VMON_GUEST_RT_PIT_H
#define VMON_GUEST_RT_PIT_H

#include <stdint.h>

#define PIT_HZ 1193182u

/* Mode 2 (rate generator): OUT pulses every count input clocks. */
void pit_rate_generator(uint16_t count);

/* Mode 0 with no count written: the counter waits and OUT stays low. */
void pit_stop(void);

#endif
