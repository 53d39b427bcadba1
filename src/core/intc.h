/* The CPU side of a local interrupt controller, for CPU backends that have
 * none of their own (the software CPU): what the vCPU loop asks at
 * instruction-block boundaries, and the LAPIC registers it reaches through
 * MMIO and MSRs. The machine implements it on top of vmon's user-space
 * LAPICs; the backend never sees a device. */
#ifndef VMON_CORE_INTC_H
#define VMON_CORE_INTC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Bits of *cpu_intc_ops.events(): read lock-free once per block. */
#define INTC_EV_INTR 1u /* a maskable interrupt may be deliverable */
#define INTC_EV_NMI  2u
#define INTC_EV_INIT 4u /* INIT or SIPI arrived */

enum intc_init_event { INTC_NO_INIT = 0, INTC_INIT = 1, INTC_SIPI = 2 };

struct cpu_intc_ops {
    /* The event word of vCPU cpu (stable for the VM's life). */
    atomic_uint *(*events)(void *ctx, unsigned cpu);
    /* Highest deliverable vector (or an ExtINT marker), or -1. */
    int (*pending)(void *ctx, unsigned cpu);
    /* INTA: returns the vector to deliver. */
    int (*ack)(void *ctx, unsigned cpu);
    bool (*take_nmi)(void *ctx, unsigned cpu);
    enum intc_init_event (*take_init)(void *ctx, unsigned cpu, uint8_t *sipi_vector);
    /* The xAPIC page: base (false when not decoded), register accesses. */
    bool (*mmio_base)(void *ctx, unsigned cpu, uint64_t *base);
    uint64_t (*mmio_read)(void *ctx, unsigned cpu, uint64_t offset, unsigned size);
    void (*mmio_write)(void *ctx, unsigned cpu, uint64_t offset, uint64_t value, unsigned size);
    /* APIC_BASE, TSC_DEADLINE, x2APIC MSRs: 0, -ENOENT (not ours), -EINVAL (#GP). */
    int (*rdmsr)(void *ctx, unsigned cpu, uint32_t msr, uint64_t *value);
    int (*wrmsr)(void *ctx, unsigned cpu, uint32_t msr, uint64_t value);
    void (*set_cr8)(void *ctx, unsigned cpu, uint64_t cr8);
    /* The guest TSC (invariant, at the frequency the CPU model advertises). */
    uint64_t (*tsc)(void *ctx);
    uint64_t tsc_hz;
    /* How the controller wakes a vCPU: the backend's kick, installed by
     * cpu_intc_set_kick() once vCPUs exist. */
    void (*set_kick)(void *ctx, unsigned cpu, void (*kick)(void *kctx), void *kctx);
};

struct cpu_intc {
    const struct cpu_intc_ops *ops;
    void *ctx;
};

#endif
