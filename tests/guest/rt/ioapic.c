#include "ioapic.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define REDIR_LOW(pin) (0x10u + 2u * (pin))
#define REDIR_HIGH(pin) (0x11u + 2u * (pin))
#define REDIR_MASKED (1u << 16)

static void ioapic_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOREGSEL) = reg;
    *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOWIN) = v;
}

void ioapic_route(unsigned pin, uint8_t vector, uint8_t apic_id)
{
    ioapic_write(REDIR_LOW(pin), REDIR_MASKED);
    ioapic_write(REDIR_HIGH(pin), (uint32_t)apic_id << 24);
    ioapic_write(REDIR_LOW(pin), vector);
}

void ioapic_mask(unsigned pin) { ioapic_write(REDIR_LOW(pin), REDIR_MASKED); }
