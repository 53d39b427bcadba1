/* Test guest "sti_window": the smallest reproducer of when an interrupt
 * that is already pending gets taken once STI sets IF. The SDM (Vol. 2B,
 * STI) delays recognition by one instruction only, so with a self-IPI
 * pending, "sti; nop; nop; nop; cli" takes it right after the first NOP:
 * the saved RIP is the STI's address + 2. */
#include <stdbool.h>
#include <stdint.h>

#include "rt/cpu.h"
#include "rt/desc.h"
#include "rt/lapic.h"
#include "rt/paging.h"
#include "rt/pic.h"
#include "rt/pmtimer.h"
#include "rt/report.h"
#include "rt/site.h"
#include "rt/start.h"
#include "rt/trap.h"

SITE_DECLARE(sti_nops);

#define VEC_IPI 0x60
#define VEC_SPURIOUS 0xff
#define LAPIC_ICR_LOW 0x300
#define ICR_SELF (1u << 18) /* destination shorthand: self; fixed delivery */
#define STI_LENGTH 1
#define NOP_LENGTH 1
#define DRAIN_US 10000u

static volatile unsigned taken;
static volatile uint64_t taken_rip;

static void on_ipi(struct trap_frame *f)
{
    if (!taken)
        taken_rip = f->rip;
    taken++;
    lapic_eoi();
}

void guest_main(uint64_t zero_page)
{
    (void)zero_page;
    report_begin("sti_window");
    desc_init();
    trap_init();
    paging_init(false);
    pic_init(0x20);
    lapic_enable(VEC_SPURIOUS);
    trap_set_handler(VEC_IPI, on_ipi);

    lapic_write(LAPIC_ICR_LOW, VEC_IPI | ICR_SELF);
    bool pending = lapic_requested(VEC_IPI);
    sti_nops();
    unsigned in_window = taken;
    uint64_t expected = (uint64_t)(uintptr_t)sti_nops_fault + STI_LENGTH + NOP_LENGTH;
    bool at_rip = in_window && taken_rip == expected;

    /* Lets it in anyway (PM timer port reads in between) before finishing. */
    uint32_t start = pmtimer_now();
    __asm__ volatile("sti" : : : "memory");
    while (!taken && pmtimer_since(start) < pmtimer_us(DRAIN_US))
        ;
    cpu_cli();

    report_check(pending, "self-IPI with IF=0: pending in IRR");
    if (in_window)
        report_check(at_rip, "STI; NOP; NOP; NOP; CLI: taken at sti+%ld",
                     (long)(taken_rip - (uint64_t)(uintptr_t)sti_nops_fault));
    else
        report_check(false, "STI; NOP; NOP; NOP; CLI: not taken before the CLI");
    report_finish();
}
