#include "lapic.h"

uint32_t lapic_read(unsigned reg)
{
    return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

void lapic_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = v;
}

void lapic_enable(uint8_t spurious)
{
    lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | spurious);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LAPIC_LVT_MASKED);
}

void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

/* The 256-bit ISR/IRR: vector v is bit v % 32 of register v / 32. */
static bool vector_bit(unsigned base, uint8_t v)
{
    return lapic_read(base + 0x10u * (v / 32u)) >> (v % 32u) & 1;
}

bool lapic_in_service(uint8_t vector) { return vector_bit(LAPIC_ISR, vector); }
bool lapic_requested(uint8_t vector) { return vector_bit(LAPIC_IRR, vector); }
