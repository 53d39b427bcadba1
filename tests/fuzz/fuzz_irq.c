/* libFuzzer harness for the interrupt controllers' register files: the
 * 8259 and ELCR ports, the 8254 and port 0x61, the IOAPIC window, the
 * LAPICs' xAPIC page and MSRs, plus GSI levels, MSIs, time passing and the
 * CPU side (INTA, EOI, INIT/SIPI), all driven by the input bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "core/bus.h"
#include "devices/irq/irqchip.h"
#include "fuzz_util.h"

static const uint16_t ports[] = {
    0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61,
};
static const unsigned sizes[] = { 1, 2, 4, 8 };

static uint32_t pick_msr(struct fuzz_input *in)
{
    uint8_t sel = (uint8_t)fuzz_take(in, 1);
    if (sel < 16)
        return sel & 1 ? 0x1b : 0x6e0;
    return 0x800 + (uint32_t)fuzz_take(in, 1);
}

static void step(struct userspace_irqchip *c, struct vclock *clk, struct timer_queue *q,
                 struct bus *pio, struct bus *mmio, struct fuzz_input *in)
{
    unsigned op = (unsigned)fuzz_take(in, 1) % 15;
    struct lapic *l = irqchip_lapic(c, (unsigned)fuzz_take(in, 1) % c->ncpus);
    uint64_t v, addr;
    uint8_t buf[8];
    unsigned size;

    switch (op) {
    case 0: /* port write */
    case 1: /* port read */
        addr = ports[fuzz_take(in, 1) % (sizeof(ports) / sizeof(ports[0]))];
        size = fuzz_take(in, 1) & 1 ? 2 : 1;
        v = fuzz_take(in, 2);
        memcpy(buf, &v, sizeof(v));
        if (op == 0)
            bus_write(pio, addr, buf, size);
        else
            bus_read(pio, addr, buf, size);
        break;
    case 2: /* IOAPIC write */
    case 3: /* IOAPIC read */
        addr = IOAPIC_DEFAULT_BASE + (fuzz_take(in, 2) & 0xfff);
        size = sizes[fuzz_take(in, 1) & 3];
        v = fuzz_take(in, 4);
        memcpy(buf, &v, sizeof(v));
        if (op == 2)
            bus_write(mmio, addr, buf, size);
        else
            bus_read(mmio, addr, buf, size);
        break;
    case 4: /* xAPIC page write, any offset and size the CPU might produce */
        addr = fuzz_take(in, 2) & 0x1fff;
        size = sizes[fuzz_take(in, 1) & 3];
        lapic_mmio_write(l, addr, fuzz_take(in, 4), size);
        break;
    case 5:
        addr = fuzz_take(in, 2) & 0x1fff;
        lapic_mmio_read(l, addr, sizes[fuzz_take(in, 1) & 3]);
        break;
    case 6:
        addr = pick_msr(in);
        lapic_wrmsr(l, (uint32_t)addr, fuzz_take(in, 8));
        break;
    case 7:
        addr = pick_msr(in);
        lapic_rdmsr(l, (uint32_t)addr, &v);
        break;
    case 8: /* a device line; GSIs past the IOAPIC are ignored */
        v = fuzz_take(in, 1);
        c->chip.set_level(c->chip.ctx, (unsigned)(v & 0x1f), v & 0x80);
        break;
    case 9:
        addr = fuzz_take(in, 1) & 1 ? 0xfee00000ull | fuzz_take(in, 3) : fuzz_take(in, 8);
        c->chip.send_msi(c->chip.ctx, addr, (uint32_t)fuzz_take(in, 4));
        break;
    case 10: /* time passes; due timers run */
        vclock_advance(clk, fuzz_take(in, 2) * 1000);
        timer_queue_run_expired(q, vclock_ns(clk));
        break;
    case 11: { /* the CPU takes an interrupt and EOIs it */
        int vec = lapic_pending_vector(l);
        if (vec >= 0) {
            lapic_ack(l);
            if (vec == LAPIC_PENDING_EXTINT)
                pic_master_ops.write(&c->pic, 0, 0x20, 1);
            else if (fuzz_take(in, 1) & 1)
                lapic_mmio_write(l, 0xb0, 0, 4);
        }
        break;
    }
    case 12: {
        uint8_t sipi;
        lapic_take_nmi(l);
        lapic_take_init_sipi(l, &sipi);
        break;
    }
    case 13:
        v = fuzz_take(in, 1);
        lapic_set_lint(l, v & 3, v & 4);
        break;
    default:
        v = fuzz_take(in, 1);
        if (v & 0x80)
            pic_ack(&c->pic);
        else
            lapic_set_cr8(l, v);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        log_set_level(LOG_ERROR);
        quiet = true;
    }
    struct fuzz_input in = { data, size };
    struct vclock clk;
    struct timer_queue q;
    struct userspace_irqchip c;
    struct bus pio, mmio;

    vclock_init_manual(&clk, 0);
    if (timer_queue_init(&q, &clk))
        return 0;
    if (irqchip_init(&c, 1 + (unsigned)(fuzz_take(&in, 1) & 3), &clk, &q)) {
        timer_queue_destroy(&q);
        return 0;
    }
    bus_init(&pio, "pio");
    bus_init(&mmio, "mmio");
    if (irqchip_register(&c, &pio, &mmio) == 0) {
        while (in.n)
            step(&c, &clk, &q, &pio, &mmio, &in);
    }
    bus_destroy(&pio);
    bus_destroy(&mmio);
    irqchip_destroy(&c);
    timer_queue_destroy(&q);
    return 0;
}
