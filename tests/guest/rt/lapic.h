/* The local APIC in xAPIC mode, through its MMIO page (SDM Vol. 3A 11.4
 * "Local APIC", table "Local APIC Register Address Map"). */
#ifndef VMON_GUEST_RT_LAPIC_H
#define VMON_GUEST_RT_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_BASE 0xfee00000ull

#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ISR 0x100 /* 8 registers, 0x10 apart */
#define LAPIC_IRR 0x200
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_CCR 0x390
#define LAPIC_TIMER_DCR 0x3e0

#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_LVT_EXTINT (7u << 8)
#define LAPIC_TIMER_ONESHOT (0u << 17)
#define LAPIC_TIMER_PERIODIC (1u << 17)
#define LAPIC_TIMER_TSC_DEADLINE (2u << 17)
#define LAPIC_DCR_DIV16 0x3

uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t v);

/* Software-enables the APIC with spurious vector spurious, TPR 0, the timer
 * and LINT0/LINT1 masked. */
void lapic_enable(uint8_t spurious);

void lapic_eoi(void);

/* Whether vector's bit is set in the in-service or request register. */
bool lapic_in_service(uint8_t vector);
bool lapic_requested(uint8_t vector);

#endif
