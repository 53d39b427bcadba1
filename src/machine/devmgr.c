#include "machine/devmgr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine/console.h"
#include "machine/intc.h"
#include "machine/layout.h"
#include "machine/vm.h"

static uint64_t devmgr_now_ns(void *ctx)
{
    return vclock_ns(ctx);
}

static int devmgr_register(struct bus *b, uint64_t base, uint64_t len,
                           const struct bus_dev_ops *ops, void *dev, const char *name, char *err,
                           size_t errlen)
{
    int rc = bus_register(b, base, len, ops, dev, name);
    if (rc) {
        snprintf(err, errlen, "internal error: cannot place %s at %#llx on the %s bus (%d)", name,
                 (unsigned long long)base, b->name, rc);
        return -EBUSY;
    }
    return 0;
}

#define REG(bus, base, len, ops, dev, name)                                                   \
    do {                                                                                      \
        int rc_ = devmgr_register(bus, base, len, ops, dev, name, err, errlen);               \
        if (rc_)                                                                              \
            return rc_;                                                                       \
    } while (0)

static int devmgr_legacy(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip,
                         char *err, size_t errlen)
{
    struct irq_line com1_irq = { irqchip, GSI_COM1 };
    if (uart_init(&d->com1, &com1_irq, &d->console_out) < 0)
        return -ENOMEM;
    d->have_uart = true;
    REG(&vm->pio, PORT_COM1, UART_IO_LEN, &uart_ops, &d->com1, "com1");

    struct irq_line kbd_irq = { irqchip, GSI_I8042_KBD }, aux_irq = { irqchip, 12 };
    if (i8042_init(&d->kbc, &kbd_irq, &aux_irq, &vm->ctl) < 0)
        return -ENOMEM;
    d->have_kbc = true;
    REG(&vm->pio, PORT_I8042 + I8042_DATA_OFF, 1, &i8042_ops, &d->kbc, "i8042-data");
    REG(&vm->pio, PORT_I8042 + I8042_CMD_OFF, 1, &i8042_cmd_ops, &d->kbc, "i8042-cmd");

    struct rtc_config rc = {
        .now_ns = devmgr_now_ns, .clock_ctx = &d->clock,
        .ram_below_4g = vm->mem.region[0].size,
        .ram_above_4g = vm->mem.nregions > 1 ? vm->mem.region[1].size : 0,
    };
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rc.wall_offset_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - (int64_t)vclock_ns(&d->clock);
    if (rtc_init(&d->rtc, &rc) < 0)
        return -ENOMEM;
    d->have_rtc = true;
    REG(&vm->pio, PORT_RTC, RTC_IO_LEN, &rtc_ops, &d->rtc, "rtc");

    if (ports_init(&d->ports, &vm->ctl) < 0)
        return -ENOMEM;
    d->have_ports = true;
    REG(&vm->pio, PORTS_PORT_A, 1, &ports_port_a_ops, &d->ports, "port-a");
    for (size_t i = 0; i < ports_ignored_count; i++)
        REG(&vm->pio, ports_ignored[i].base, ports_ignored[i].len, &ports_ignore_ops, NULL,
            ports_ignored[i].name);

    struct irq_line sci = { irqchip, GSI_ACPI_SCI };
    if (acpi_pm_init(&d->pm, &sci, &vm->ctl, devmgr_now_ns, &d->clock) < 0)
        return -ENOMEM;
    d->have_pm = true;
    REG(&vm->pio, PORT_ACPI_PM, ACPI_PM_IO_LEN, &acpi_pm_ops, &d->pm, "acpi-pm");
    return 0;
}

static int devmgr_pci(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip, char *err,
                      size_t errlen)
{
    if (pci_bus_init(&d->pci, irqchip, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_SIZE,
                     PCI_BUS_PIO_BASE, PCI_BUS_PIO_SIZE) < 0)
        return -ENOMEM;
    d->have_pci = true;
    /* 0xCF8-0xCFF includes the reset control register 0xCF9, which the host
     * bridge forwards to the ports device for byte accesses. */
    if (pci_host_init(&d->pci_host, &d->pci, &ports_rcr_ops, &d->ports) < 0)
        return -ENOMEM;
    d->have_pci_host = true;
    REG(&vm->pio, PORT_PCI_CONFIG, PCI_HOST_IO_LEN, &pci_host_pio_ops, &d->pci_host, "pci-config");
    REG(&vm->mmio, LAYOUT_PCI_ECAM, PCI_HOST_ECAM_BUS0_SIZE, &pci_host_ecam_ops, &d->pci_host,
        "pci-ecam");
    REG(&vm->mmio, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_SIZE, &pci_bus_mmio_ops, &d->pci,
        "pci-mmio");
    REG(&vm->pio, PCI_BUS_PIO_BASE, PCI_BUS_PIO_SIZE, &pci_bus_pio_ops, &d->pci, "pci-io");
    return 0;
}

void devmgr_early_init(struct devmgr *d)
{
    memset(d, 0, sizeof(*d));
    vclock_init(&d->clock);
}

int devmgr_irqchip_init(struct devmgr *d, struct vm *vm, const struct cpu_intc **intc,
                        const struct irq_chip **chip, char *err, size_t errlen)
{
    int rc = timer_queue_init(&d->timers, &d->clock);
    if (rc) {
        snprintf(err, errlen, "cannot create the timer service: %s", strerror(-rc));
        return rc;
    }
    d->have_timers = true;
    rc = irqchip_init(&d->irqchip, vm->cfg->ncpus, &d->clock, &d->timers);
    if (rc) {
        snprintf(err, errlen, "cannot create the interrupt controllers: %s", strerror(-rc));
        return rc;
    }
    d->have_irqchip = true;
    rc = irqchip_register(&d->irqchip, &vm->pio, &vm->mmio);
    if (rc) {
        snprintf(err, errlen, "internal error: cannot place the interrupt controllers: %s",
                 strerror(-rc));
        return rc;
    }
    d->intc = (struct cpu_intc){ &machine_intc_ops, &d->irqchip };
    *intc = &d->intc;
    *chip = irqchip_irq_chip(&d->irqchip);
    return 0;
}

int devmgr_start(struct devmgr *d)
{
    return d->have_timers ? timer_queue_start(&d->timers) : 0;
}

void devmgr_stop(struct devmgr *d)
{
    if (d->have_timers)
        timer_queue_stop(&d->timers);
}

int devmgr_init(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip, char *err,
                size_t errlen)
{
    d->console_out = (struct chardev){ console_write, vm->console };
    int rc = devmgr_legacy(d, vm, irqchip, err, errlen);
    if (!rc)
        rc = devmgr_pci(d, vm, irqchip, err, errlen);
    if (rc && !err[0])
        snprintf(err, errlen, "cannot create the VM's devices: %s", strerror(-rc));
    return rc;
}

void devmgr_destroy(struct devmgr *d)
{
    devmgr_stop(d);
    if (d->have_pci_host)
        pci_host_destroy(&d->pci_host);
    if (d->have_pci)
        pci_bus_destroy(&d->pci);
    if (d->have_pm)
        acpi_pm_destroy(&d->pm);
    if (d->have_ports)
        ports_destroy(&d->ports);
    if (d->have_rtc)
        rtc_destroy(&d->rtc);
    if (d->have_kbc)
        i8042_destroy(&d->kbc);
    if (d->have_uart)
        uart_destroy(&d->com1);
    if (d->have_irqchip)
        irqchip_destroy(&d->irqchip);
    if (d->have_timers)
        timer_queue_destroy(&d->timers);
    memset(d, 0, sizeof(*d));
}

void devmgr_acpi_config(const struct devmgr *d, unsigned ncpus, struct acpi_config *c)
{
    (void)d;
    acpi_config_defaults(c, ncpus);
    c->pm1a_evt_port = PORT_ACPI_PM + ACPI_PM_PM1_EVT_OFF;
    c->pm1a_evt_len = ACPI_PM_PM1_EVT_LEN;
    c->pm1a_cnt_port = PORT_ACPI_PM + ACPI_PM_PM1_CNT_OFF;
    c->pm1a_cnt_len = ACPI_PM_PM1_CNT_LEN;
    c->pm_tmr_port = PORT_ACPI_PM + ACPI_PM_TMR_OFF;
    c->gpe0_port = PORT_ACPI_PM + ACPI_PM_GPE0_OFF;
    c->gpe0_len = ACPI_PM_GPE0_LEN;
    c->sci_irq = GSI_ACPI_SCI;
    c->reset_port = PORTS_RCR;
    c->reset_value = PORTS_RCR_SYS_RST | PORTS_RCR_RST_CPU;
    c->has_i8042 = true;
    c->has_rtc = true;
    c->has_com1 = true;
    c->ecam_base = LAYOUT_PCI_ECAM;
    c->pci_mmio_base = (uint32_t)LAYOUT_PCI_MMIO_START;
    c->pci_mmio_size = (uint32_t)LAYOUT_PCI_MMIO_SIZE;
}

void devmgr_console_input(struct devmgr *d, struct console *con)
{
    size_t taken = uart_receive(&d->com1, con->pending, con->npending);
    if (taken) {
        memmove(con->pending, con->pending + taken, con->npending - taken);
        con->npending -= taken;
    }
}

_Static_assert(IOAPIC_DEFAULT_BASE == LAYOUT_IOAPIC, "the IOAPIC sits where the MADT says");
