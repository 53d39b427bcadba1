/* The local APIC of one vCPU (Intel SDM Vol. 3A, chapter 11 "Advanced
 * Programmable Interrupt Controller"; chapter 10 in older editions).
 *
 * xAPIC registers through lapic_mmio_read/write (the page is per CPU at the
 * same guest address, so the CPU backend calls the accessing vCPU's own
 * LAPIC instead of going through the MMIO bus), x2APIC registers and
 * IA32_TSC_DEADLINE through lapic_rdmsr/wrmsr. Timer modes one-shot,
 * periodic and TSC-deadline run on the VM's timer service against the
 * vclock.
 *
 * Messages to other APICs (IPIs), EOI broadcasts to the IOAPIC and INTA
 * cycles to the 8259 go through struct lapic_bus, which the irqchip glue
 * implements. The LAPIC never calls out while holding its own lock.
 *
 * The CPU side polls lapic_poll() (one atomic load) at instruction-block
 * boundaries and, when it is non-zero, asks lapic_pending_vector(),
 * lapic_take_nmi() and lapic_take_init_sipi(). kick() is called (from any
 * thread, without the LAPIC lock) whenever a new event becomes pending so a
 * vCPU sleeping in HLT or wait-for-SIPI wakes up; it must not call back into
 * the interrupt controllers.
 *
 * Simplifications: lowest-priority delivery picks the lowest-numbered
 * matching APIC; no EOI-broadcast suppression, no CMCI LVT (max LVT 5); SMI
 * is logged and dropped; the xAPIC ID register is read-only; a new divide
 * configuration applies from the next initial-count write; LINT inputs in
 * fixed mode act on the rising edge even when programmed level-triggered.
 * IA32_TSC_DEADLINE is compared with vclock_tsc(): a CPU backend that gives
 * the guest a TSC offset must remove it before calling in. */
#ifndef VMON_DEVICES_IRQ_LAPIC_H
#define VMON_DEVICES_IRQ_LAPIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/timer.h"

#define LAPIC_DEFAULT_BASE 0xfee00000ull
#define LAPIC_MMIO_SIZE    0x1000ull
/* The timer's input clock (the "bus clock" before the divider): 1 GHz. */
#define LAPIC_TIMER_HZ     1000000000ull
/* Periodic timer interrupts are never closer than this (a guest asking for
 * more would keep a host core busy). */
#define LAPIC_MIN_PERIOD_NS 100000ull

/* Delivery modes of IPIs, LVT entries, IOAPIC entries and MSIs (SDM Vol. 3A
 * 11.6.1, ICR bits 10:8). */
enum apic_delivery {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR bits 19:18). */
enum apic_shorthand {
    APIC_SH_NONE = 0,
    APIC_SH_SELF = 1,
    APIC_SH_ALL = 2,    /* all including self */
    APIC_SH_OTHERS = 3, /* all excluding self */
};

/* One interrupt message on the (virtual) APIC bus: an IPI, an IOAPIC
 * redirection or a decoded MSI. */
struct apic_msg {
    uint32_t dest;    /* APIC ID or logical destination (see x2apic) */
    uint8_t vector;
    uint8_t delivery; /* enum apic_delivery */
    uint8_t shorthand; /* enum apic_shorthand; IPIs only */
    bool logical;     /* logical destination mode */
    bool level;       /* level-triggered */
    bool assert;      /* level bit; false only for INIT level de-assert */
    bool x2apic;      /* 32-bit destination (broadcast 0xffffffff); else 8-bit (0xff) */
};

/* What the LAPIC needs from the rest of the interrupt system. */
struct lapic_bus {
    /* Sends an IPI from LAPIC src (shorthands are relative to it). */
    void (*send)(void *ctx, unsigned src, const struct apic_msg *m);
    /* EOI of a level-triggered vector: broadcast to the IOAPIC. */
    void (*eoi)(void *ctx, uint8_t vector);
    /* INTA cycle to the 8259 for an ExtINT interrupt: returns the vector. */
    int (*extint_ack)(void *ctx);
    void *ctx;
};

/* LVT entries in register order (offsets 0x320..0x370). */
enum lapic_lvt {
    LAPIC_LVT_TIMER,
    LAPIC_LVT_THERMAL,
    LAPIC_LVT_PERF,
    LAPIC_LVT_LINT0,
    LAPIC_LVT_LINT1,
    LAPIC_LVT_ERROR,
    LAPIC_LVT_COUNT,
};

/* Bits of lapic_poll(). */
#define LAPIC_EV_INTR 1u /* a maskable interrupt is deliverable: lapic_pending_vector() */
#define LAPIC_EV_NMI  2u /* an NMI is pending: lapic_take_nmi() */
#define LAPIC_EV_INIT 4u /* INIT or SIPI received: lapic_take_init_sipi() */

/* lapic_pending_vector(): an external (8259) interrupt; lapic_ack() runs the
 * INTA cycle and returns the 8259's vector. */
#define LAPIC_PENDING_EXTINT 0x100

/* lapic_take_init_sipi() results. */
enum lapic_init_event {
    LAPIC_NO_INIT = 0,
    LAPIC_INIT = 1, /* reset the CPU to its INIT state and wait for a SIPI */
    LAPIC_SIPI = 2, /* start in real mode at CS = vector << 8, IP = 0 */
};

/* Architectural register state (SDM Vol. 3A 11.4-11.6), plain data. */
struct lapic_state {
    uint32_t id;        /* APIC ID (x2APIC width; xAPIC shows bits 7:0) */
    uint64_t apic_base; /* IA32_APIC_BASE */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr;         /* readable ESR (latched by the last ESR write) */
    uint32_t esr_pending; /* errors since the last ESR write */
    uint32_t isr[8], tmr[8], irr[8]; /* 256-bit, bit v = vector v */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LAPIC_LVT_COUNT];
    uint32_t timer_initial, timer_dcr;
    uint64_t timer_start_ns;  /* start of the current count-down period */
    uint64_t timer_period_ns; /* length of one period (0: timer stopped) */
    uint64_t timer_expire_ns; /* next expiry in guest ns, 0 if none */
    uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE */
    bool lint_level[2];       /* input levels of LINT0/LINT1 */
    bool extint_msg;          /* an ExtINT message (from the IOAPIC) waits */
    bool nmi_pending;
    bool init_pending;
    bool sipi_pending;
    bool wait_sipi;           /* in wait-for-SIPI: a SIPI will be accepted */
    uint8_t sipi_vector;
};

struct lapic {
    pthread_mutex_t lock;
    struct lapic_state s;
    atomic_uint events; /* LAPIC_EV_* ; written under lock, read lock-free */
    unsigned index;     /* vCPU index, the bus's name for this LAPIC */
    bool bsp;
    struct vclock *clock;
    struct timer timer;
    struct lapic_bus bus;
    void (*kick)(void *ctx);
    void *kick_ctx;
};

/* index is the vCPU index, apic_id its initial APIC ID. The BSP resets with
 * IA32_APIC_BASE.BSP set and LINT0 in ExtINT (virtual-wire) mode, as firmware
 * leaves it; APs reset into wait-for-SIPI. kick may be NULL (set later with
 * lapic_set_kick). Returns 0 or -errno. */
int lapic_init(struct lapic *l, unsigned index, uint32_t apic_id, bool bsp, struct vclock *clock,
               struct timer_queue *timers, const struct lapic_bus *bus,
               void (*kick)(void *ctx), void *kick_ctx);
void lapic_destroy(struct lapic *l);
/* Power-on/RESET state. */
void lapic_reset(struct lapic *l);
void lapic_set_kick(struct lapic *l, void (*kick)(void *ctx), void *kick_ctx);

/* xAPIC register page. offset < LAPIC_MMIO_SIZE; size 1, 2, 4 or 8. Only
 * aligned 32-bit writes have an effect; reads return the bytes of the
 * register's 16-byte slot (bytes 4-15 read as 0). Reads all ones and
 * ignores writes unless the APIC is enabled in xAPIC mode. */
uint64_t lapic_mmio_read(struct lapic *l, uint64_t offset, unsigned size);
void lapic_mmio_write(struct lapic *l, uint64_t offset, uint64_t value, unsigned size);
/* True, with the page's guest physical address, when the xAPIC page is
 * decoded (APIC enabled, not in x2APIC mode). */
bool lapic_mmio_base(struct lapic *l, uint64_t *base);

/* RDMSR/WRMSR of IA32_APIC_BASE (0x1b), IA32_TSC_DEADLINE (0x6e0) and the
 * x2APIC registers (0x800-0x8ff). Return 0, -ENOENT when msr is not one of
 * these, or -EINVAL when the access must raise #GP(0). */
int lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *value);
int lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t value);

/* IA32_TSC_DEADLINE against vclock_tsc(). Writes are ignored unless the LVT
 * timer is in TSC-deadline mode; 0 disarms; a deadline already passed fires
 * at once. */
uint64_t lapic_read_tsc_deadline(struct lapic *l);
void lapic_write_tsc_deadline(struct lapic *l, uint64_t tsc);

/* CR8 is TPR[7:4]. */
void lapic_set_cr8(struct lapic *l, uint64_t cr8);
uint64_t lapic_get_cr8(struct lapic *l);

/* LAPIC_EV_* bits; lock-free. */
static inline unsigned lapic_poll(struct lapic *l)
{
    return atomic_load_explicit(&l->events, memory_order_acquire);
}

/* Highest-priority maskable interrupt the CPU may take now (IRR above PPR),
 * LAPIC_PENDING_EXTINT for an 8259 interrupt, or -1. NMIs are reported by
 * lapic_poll()/lapic_take_nmi() instead, since EFLAGS.IF does not block
 * them. Lock-free when nothing is pending. */
int lapic_pending_vector(struct lapic *l);
/* INTA: moves the highest deliverable vector from IRR to ISR and returns
 * it, or runs the 8259's INTA cycle for ExtINT. With nothing deliverable
 * any more it returns the spurious vector. */
int lapic_ack(struct lapic *l);
/* Consumes a pending NMI. */
bool lapic_take_nmi(struct lapic *l);
/* Consumes a pending INIT or SIPI (INIT first); *vector gets a SIPI's
 * vector. */
enum lapic_init_event lapic_take_init_sipi(struct lapic *l, uint8_t *vector);

/* Guest ns of the next timer expiry, or UINT64_MAX. */
uint64_t lapic_next_deadline_ns(struct lapic *l);

/* Input pins LINT0 (pin 0, the 8259's INTR in virtual-wire mode) and LINT1
 * (pin 1). When the APIC is hardware-disabled LINT0 is passed straight to
 * the CPU as an external interrupt and LINT1 as NMI. */
void lapic_set_lint(struct lapic *l, unsigned pin, bool level);

/* APIC bus, receiving side (used by the irqchip glue). */
bool lapic_matches(struct lapic *l, const struct apic_msg *m);
void lapic_accept(struct lapic *l, const struct apic_msg *m);

#endif
