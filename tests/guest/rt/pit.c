#include "pit.h"

#include "cpu.h"

#define PIT_CH0 0x40
#define PIT_CONTROL 0x43
#define CW_CH0_LOHI 0x30 /* channel 0, access low byte then high byte, binary */
#define CW_MODE0 (0u << 1)
#define CW_MODE2 (2u << 1)

void pit_rate_generator(uint16_t count)
{
    cpu_outb(PIT_CONTROL, CW_CH0_LOHI | CW_MODE2);
    cpu_outb(PIT_CH0, (uint8_t)count);
    cpu_outb(PIT_CH0, (uint8_t)(count >> 8));
}

void pit_stop(void) { cpu_outb(PIT_CONTROL, CW_CH0_LOHI | CW_MODE0); }
