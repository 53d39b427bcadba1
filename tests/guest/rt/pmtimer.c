#include "pmtimer.h"

#include "cpu.h"

#define PMTIMER_MASK 0xffffffu

uint32_t pmtimer_now(void) { return cpu_inl(PMTIMER_PORT) & PMTIMER_MASK; }

uint32_t pmtimer_since(uint32_t start) { return (pmtimer_now() - start) & PMTIMER_MASK; }
