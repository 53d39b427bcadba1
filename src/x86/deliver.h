/* Interrupt and exception delivery (SDM Vol. 3A, chapter 6; Vol. 2, "INT n"
 * operation): the real-mode IVT, the protected-mode IDT with 16/32-bit
 * interrupt and trap gates and stack switches through the TSS, the IA-32e
 * IDT with 16-byte gates and IST stacks, and double/triple fault
 * escalation (Vol. 3A, 6.15, Table 6-5).
 *
 * Who calls what:
 *  - the emu backend calls x86_deliver() for the exception x86_exec()
 *    reported (x86_deliver_exception() does it from cpu->exc), for external
 *    interrupts and NMIs (checking x86_intr_window()/x86_nmi_window() first)
 *    and for traps it detects itself (single-step #DB);
 *  - INT n, INT3, INTO and INT1 execute inside x86_exec() through
 *    x86_deliver_once(); a fault while doing so is an ordinary exception
 *    the caller then delivers with x86_deliver().
 *
 * A delivery either completes (CS:RIP at the handler, the frame on the
 * handler's stack, RFLAGS/CPL/mode updated and x86_cpu_refresh() done) or
 * leaves registers unchanged (stack memory may hold part of a frame, as on
 * hardware). #PF loads CR2 when it is delivered. NMI delivery sets
 * cpu->nmi_blocked until the next IRET.
 *
 * Not supported: task gates in the IDT (X86_EXEC_UNSUPPORTED, no change);
 * VME interrupt redirection in virtual-8086 mode (INT n there needs
 * IOPL = 3, else #GP(0), as without CR4.VME). Interrupts from virtual-8086
 * mode to a ring-0 handler are supported. */
#ifndef VMON_X86_DELIVER_H
#define VMON_X86_DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/emu.h"

/* Event kinds; the numbering follows the VMX interruption types (SDM Vol.
 * 3C, 25.8.3) so a backend can map them one to one. */
enum x86_event_kind {
    X86_EVENT_EXTINT = 0,    /* external interrupt (PIC, LAPIC) */
    X86_EVENT_NMI = 2,
    X86_EVENT_EXCEPTION = 3, /* hardware exception (faults, aborts, #DB traps) */
    X86_EVENT_SOFTINT = 4,   /* INT n */
    X86_EVENT_PRIVSOFT = 5,  /* INT1 (ICEBP) */
    X86_EVENT_SOFTEXC = 6,   /* INT3, INTO */
};

struct x86_event {
    uint8_t vector;
    uint8_t kind;      /* enum x86_event_kind */
    bool has_error;    /* exceptions only; never pushed in real mode */
    uint32_t error_code;
    uint64_t cr2;      /* #PF: the faulting linear address */
};

/* Delivers an event at the current instruction boundary: the return address
 * pushed is cpu->s.rip (the faulting instruction for a fault, the next one
 * for an interrupt or a trap). Exceptions raised while delivering are
 * delivered in turn, escalating to #DF as Table 6-5 says (contributory
 * after contributory, #PF or contributory after #PF).
 *
 * Returns X86_EXEC_OK (the CPU is at the handler), X86_EXEC_TRIPLE_FAULT
 * (a fault while delivering #DF: the CPU must shut down) or
 * X86_EXEC_UNSUPPORTED (the IDT points at a task gate). has_error and
 * error apply to X86_EVENT_EXCEPTION only. */
int x86_deliver(struct x86_cpu *cpu, unsigned vector, enum x86_event_kind kind, bool has_error,
                uint32_t error);

/* x86_deliver() for the exception the last x86_exec() reported in cpu->exc
 * (with its CR2 for #PF). */
int x86_deliver_exception(struct x86_cpu *cpu);

/* One delivery attempt, without escalation, pushing return_rip. Returns
 * X86_EXEC_OK, X86_EXEC_EXCEPTION (the fault that stopped it, in cpu->exc;
 * registers unchanged) or X86_EXEC_UNSUPPORTED. */
int x86_deliver_once(struct x86_cpu *cpu, const struct x86_event *ev, uint64_t return_rip);

/* Whether a maskable external interrupt may be delivered now: RFLAGS.IF = 1
 * and no STI / MOV SS shadow (SDM Vol. 3A, 6.8.3). */
static inline bool x86_intr_window(const struct x86_cpu *cpu)
{
    return (cpu->s.rflags & X86_FLAG_IF) && !cpu->intr_shadow;
}

/* Whether an NMI may be delivered now: not blocked by an earlier NMI (until
 * IRET) nor by a STI / MOV SS shadow (Vol. 3A, 6.7.1 and 6.8.3). */
static inline bool x86_nmi_window(const struct x86_cpu *cpu)
{
    return !cpu->nmi_blocked && !cpu->intr_shadow;
}

#endif
