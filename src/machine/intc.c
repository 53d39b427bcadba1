#include "machine/intc.h"

#include "core/clock.h"
#include "devices/irq/lapic.h"

static struct lapic *L(void *ctx, unsigned cpu)
{
    return irqchip_lapic(ctx, cpu);
}

static atomic_uint *intc_events(void *ctx, unsigned cpu) { return &L(ctx, cpu)->events; }
static int intc_pending(void *ctx, unsigned cpu) { return lapic_pending_vector(L(ctx, cpu)); }
static int intc_ack(void *ctx, unsigned cpu) { return lapic_ack(L(ctx, cpu)); }
static bool intc_take_nmi(void *ctx, unsigned cpu) { return lapic_take_nmi(L(ctx, cpu)); }

static enum intc_init_event intc_take_init(void *ctx, unsigned cpu, uint8_t *vec)
{
    switch (lapic_take_init_sipi(L(ctx, cpu), vec)) {
    case LAPIC_INIT: return INTC_INIT;
    case LAPIC_SIPI: return INTC_SIPI;
    default: return INTC_NO_INIT;
    }
}

static bool intc_mmio_base(void *ctx, unsigned cpu, uint64_t *base)
{
    return lapic_mmio_base(L(ctx, cpu), base);
}

static uint64_t intc_mmio_read(void *ctx, unsigned cpu, uint64_t off, unsigned size)
{
    return lapic_mmio_read(L(ctx, cpu), off, size);
}

static void intc_mmio_write(void *ctx, unsigned cpu, uint64_t off, uint64_t val, unsigned size)
{
    lapic_mmio_write(L(ctx, cpu), off, val, size);
}

static int intc_rdmsr(void *ctx, unsigned cpu, uint32_t msr, uint64_t *val)
{
    return lapic_rdmsr(L(ctx, cpu), msr, val);
}

static int intc_wrmsr(void *ctx, unsigned cpu, uint32_t msr, uint64_t val)
{
    return lapic_wrmsr(L(ctx, cpu), msr, val);
}

static void intc_set_cr8(void *ctx, unsigned cpu, uint64_t cr8)
{
    lapic_set_cr8(L(ctx, cpu), cr8);
}

static uint64_t intc_tsc(void *ctx)
{
    struct userspace_irqchip *c = ctx;
    return vclock_tsc(c->lapic[0].clock);
}

static void intc_set_kick(void *ctx, unsigned cpu, void (*kick)(void *), void *kctx)
{
    irqchip_set_kick(ctx, cpu, kick, kctx);
}

const struct cpu_intc_ops machine_intc_ops = {
    .events = intc_events,
    .pending = intc_pending,
    .ack = intc_ack,
    .take_nmi = intc_take_nmi,
    .take_init = intc_take_init,
    .mmio_base = intc_mmio_base,
    .mmio_read = intc_mmio_read,
    .mmio_write = intc_mmio_write,
    .rdmsr = intc_rdmsr,
    .wrmsr = intc_wrmsr,
    .set_cr8 = intc_set_cr8,
    .tsc = intc_tsc,
    .tsc_hz = VCLOCK_TSC_HZ,
    .set_kick = intc_set_kick,
};
