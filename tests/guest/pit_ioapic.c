/* Test guest "pit_ioapic": the smallest reproducer of where the PIT's IRQ0
 * arrives at the I/O APIC. vmon's MADT has an interrupt source override
 * ISA IRQ 0 -> GSI 2, so the PIT must raise I/O APIC pin 2 and leave pin 0
 * quiet (ACPI 6.5, 5.2.12.5 "Interrupt Source Override Structure"). */
#include <stdbool.h>
#include <stdint.h>

#include "rt/cpu.h"
#include "rt/desc.h"
#include "rt/ioapic.h"
#include "rt/lapic.h"
#include "rt/paging.h"
#include "rt/pic.h"
#include "rt/pit.h"
#include "rt/pmtimer.h"
#include "rt/report.h"
#include "rt/start.h"
#include "rt/trap.h"

#define VEC_PIN0 0x50
#define VEC_PIN2 0x52
#define VEC_SPURIOUS 0xff
#define PIT_COUNT_2MS 2386
#define WINDOW_US 100000u

static volatile unsigned pin0_count, pin2_count;

static void on_pin0(struct trap_frame *f)
{
    (void)f;
    pin0_count++;
    lapic_eoi();
}

static void on_pin2(struct trap_frame *f)
{
    (void)f;
    pin2_count++;
    lapic_eoi();
}

void guest_main(uint64_t zero_page)
{
    (void)zero_page;
    report_begin("pit_ioapic");
    desc_init();
    trap_init();
    paging_init(false);
    pic_init(0x20); /* all masked: only the I/O APIC delivers */
    lapic_enable(VEC_SPURIOUS);
    trap_set_handler(VEC_PIN0, on_pin0);
    trap_set_handler(VEC_PIN2, on_pin2);
    ioapic_route(0, VEC_PIN0, 0);
    ioapic_route(2, VEC_PIN2, 0);
    pit_rate_generator(PIT_COUNT_2MS);
    /* Polls the PM timer with interrupts on: port reads, no HLT to hang in. */
    uint32_t start = pmtimer_now();
    __asm__ volatile("sti" : : : "memory");
    while (pmtimer_since(start) < pmtimer_us(WINDOW_US))
        ;
    cpu_cli();
    pit_stop();
    ioapic_mask(0);
    ioapic_mask(2);
    report_check(pin2_count > 0, "PIT rate generator, 2 ms, for 100 ms: interrupts on I/O APIC "
                 "pin 2 (GSI 2)");
    report_check(pin0_count == 0, "none on I/O APIC pin 0");
    report_finish();
}
