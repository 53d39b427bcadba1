/* libFuzzer harness for the legacy PC devices and the PCI host bridge.
 *
 * Every input builds a fresh set of devices on real port-I/O and MMIO buses,
 * laid out as the machine does, with a PCI function carrying memory, I/O and
 * 64-bit BARs plus MSI-X. The input is a list of 8-byte records:
 *
 *   byte 0     bits 0-3: target (a bus range below, or host-side actions)
 *              bit 4: write; bits 5-6: size 1/2/4/8
 *   bytes 1-3  offset inside the target (modulo its length)
 *   bytes 4-7  value (repeated into the high half for 8-byte writes)
 *
 * Host-side actions feed console input, raise GPEs and PCI interrupts, send
 * MSI-X vectors and move the clock, so the device state machines see both
 * sides. Sanitizers catch anything out of bounds; the devices must never
 * crash whatever the order of accesses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "core/bus.h"
#include "core/irq.h"
#include "core/vmctl.h"
#include "devices/legacy/acpi_pm.h"
#include "devices/legacy/debug_exit.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/ports.h"
#include "devices/legacy/rtc.h"
#include "devices/legacy/uart16550.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_host.h"
#include "machine/layout.h"

struct fuzz_pci_fn {
    struct pci_dev pci;
    uint8_t bar_mem[0x1000];
};

struct fuzz_world {
    struct bus pio, mmio;
    struct irq_chip chip;
    struct vm_control ctl;
    struct chardev out;
    uint64_t now_ns;
    unsigned events, msis;
    struct uart uart;
    struct i8042 kbc;
    struct rtc rtc;
    struct ports ports;
    struct debug_exit dbg;
    struct acpi_pm pm;
    struct pci_bus pci;
    struct pci_host host;
    struct fuzz_pci_fn fn;
};

static void fz_set_level(void *ctx, unsigned gsi, bool level)
{
    (void)ctx;
    (void)gsi;
    (void)level;
}

static void fz_send_msi(void *ctx, uint64_t addr, uint32_t data)
{
    struct fuzz_world *w = ctx;
    (void)addr;
    (void)data;
    w->msis++;
}

static void fz_request(void *ctx, enum vm_event ev, int code)
{
    struct fuzz_world *w = ctx;
    (void)ev;
    (void)code;
    w->events++;
}

static ssize_t fz_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    return (ssize_t)len;
}

static uint64_t fz_now(void *ctx)
{
    return ((struct fuzz_world *)ctx)->now_ns;
}

/* The PCI function's BARs are plain memory. */
static uint64_t fn_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size)
{
    struct fuzz_pci_fn *fn = d->opaque;
    uint64_t v = 0;
    if (bar == 0 && range_within(off, size, sizeof(fn->bar_mem)))
        memcpy(&v, &fn->bar_mem[off], size);
    return v;
}

static void fn_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, uint64_t val, unsigned size)
{
    struct fuzz_pci_fn *fn = d->opaque;
    if (bar == 0 && range_within(off, size, sizeof(fn->bar_mem)))
        memcpy(&fn->bar_mem[off], &val, size);
}

static const struct pci_dev_ops fn_ops = { fn_bar_read, fn_bar_write, NULL, NULL };

struct target {
    bool mmio;
    uint64_t base, len;
};

static const struct target targets[] = {
    { false, PORT_COM1, UART_IO_LEN },
    { false, PORT_I8042, 1 },
    { false, PORT_I8042 + 4, 1 },
    { false, PORT_RTC, RTC_IO_LEN },
    { false, 0x80, 0x20 }, /* POST/DMA page ignored ports, port A at 0x92 */
    { false, DEBUG_EXIT_IOBASE, 4 },
    { false, PORT_ACPI_PM, ACPI_PM_IO_LEN },
    { false, PORT_PCI_CONFIG, PCI_HOST_IO_LEN },
    { false, PCI_BUS_PIO_BASE, PCI_BUS_PIO_SIZE },
    { true, LAYOUT_PCI_ECAM, PCI_HOST_ECAM_BUS0_SIZE },
    { true, LAYOUT_PCI_MMIO_START, 0x100000 }, /* where the BARs are assigned */
};

static bool world_init(struct fuzz_world *w)
{
    memset(w, 0, sizeof(*w));
    w->chip = (struct irq_chip){ fz_set_level, fz_send_msi, w };
    w->ctl = (struct vm_control){ fz_request, w };
    w->out = (struct chardev){ fz_write, w };
    w->now_ns = 1000;
    bus_init(&w->pio, "pio");
    bus_init(&w->mmio, "mmio");
    struct irq_line com1 = { &w->chip, GSI_COM1 }, kbd = { &w->chip, 1 }, aux = { &w->chip, 12 },
                    sci = { &w->chip, GSI_ACPI_SCI };
    struct irq_line rtc_irq = { &w->chip, 8 };
    struct rtc_config rc = { .now_ns = fz_now, .clock_ctx = w,
                             .wall_offset_ns = 1700000000ll * 1000000000ll,
                             .ram_below_4g = GiB(1), .irq = &rtc_irq };
    const struct pci_dev_id id = { .vendor = 0x1af4, .device = 0x1000, .class_code = 0x020000,
                                   .intx_pin = 1 };
    if (uart_init(&w->uart, &com1, &w->out) || i8042_init(&w->kbc, &kbd, &aux, &w->ctl) ||
        rtc_init(&w->rtc, &rc) || ports_init(&w->ports, &w->ctl) ||
        debug_exit_init(&w->dbg, &w->ctl, 4) ||
        acpi_pm_init(&w->pm, &sci, &w->ctl, fz_now, w) ||
        pci_bus_init(&w->pci, &w->chip, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_SIZE,
                     PCI_BUS_PIO_BASE, PCI_BUS_PIO_SIZE) ||
        pci_host_init(&w->host, &w->pci, &ports_rcr_ops, &w->ports) ||
        pci_dev_init(&w->fn.pci, &id, true, &fn_ops, &w->fn) ||
        pci_dev_add_bar(&w->fn.pci, 0, PCI_BAR_MEM32, 0x1000, false) ||
        pci_dev_add_bar(&w->fn.pci, 1, PCI_BAR_IO, 64, false) ||
        pci_dev_add_bar(&w->fn.pci, 2, PCI_BAR_MEM64, 0x4000, true) ||
        pci_msix_init(&w->fn.pci, 8, 2, 0, 0x800) || pci_bus_add(&w->pci, &w->fn.pci) < 0 ||
        pci_bus_assign_bars(&w->pci))
        abort();
    int e = 0;
    e |= bus_register(&w->pio, PORT_COM1, UART_IO_LEN, &uart_ops, &w->uart, "com1");
    e |= bus_register(&w->pio, PORT_I8042, 1, &i8042_ops, &w->kbc, "i8042");
    e |= bus_register(&w->pio, PORT_I8042 + 4, 1, &i8042_cmd_ops, &w->kbc, "i8042-cmd");
    e |= bus_register(&w->pio, PORT_RTC, RTC_IO_LEN, &rtc_ops, &w->rtc, "rtc");
    e |= bus_register(&w->pio, PORTS_PORT_A, 1, &ports_port_a_ops, &w->ports, "port-a");
    for (size_t i = 0; i < ports_ignored_count; i++)
        e |= bus_register(&w->pio, ports_ignored[i].base, ports_ignored[i].len, &ports_ignore_ops,
                          NULL, ports_ignored[i].name);
    e |= bus_register(&w->pio, DEBUG_EXIT_IOBASE, 4, &debug_exit_ops, &w->dbg, "debug-exit");
    e |= bus_register(&w->pio, PORT_ACPI_PM, ACPI_PM_IO_LEN, &acpi_pm_ops, &w->pm, "acpi-pm");
    e |= bus_register(&w->pio, PORT_PCI_CONFIG, PCI_HOST_IO_LEN, &pci_host_pio_ops, &w->host, "pci");
    e |= bus_register(&w->pio, PCI_BUS_PIO_BASE, PCI_BUS_PIO_SIZE, &pci_bus_pio_ops, &w->pci, "pci-io");
    e |= bus_register(&w->mmio, LAYOUT_PCI_ECAM, PCI_HOST_ECAM_BUS0_SIZE, &pci_host_ecam_ops,
                      &w->host, "ecam");
    e |= bus_register(&w->mmio, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_SIZE, &pci_bus_mmio_ops,
                      &w->pci, "pci-mmio");
    return e == 0;
}

static void world_destroy(struct fuzz_world *w)
{
    pci_dev_destroy(&w->fn.pci);
    pci_host_destroy(&w->host);
    pci_bus_destroy(&w->pci);
    acpi_pm_destroy(&w->pm);
    ports_destroy(&w->ports);
    rtc_destroy(&w->rtc);
    i8042_destroy(&w->kbc);
    uart_destroy(&w->uart);
    bus_destroy(&w->mmio);
    bus_destroy(&w->pio);
}

/* Host-side events, chosen by the offset's low bits. */
static void host_action(struct fuzz_world *w, unsigned what, uint32_t value)
{
    uint8_t bytes[4];
    put_le32(bytes, value);
    switch (what % 6) {
    case 0:
        uart_receive(&w->uart, bytes, (value >> 30) + 1);
        break;
    case 1:
        (void)uart_can_receive(&w->uart);
        break;
    case 2:
        acpi_pm_gpe_set(&w->pm, value % 20);
        break;
    case 3:
        pci_dev_set_intx(&w->fn.pci, value & 1);
        break;
    case 4:
        (void)pci_msix_notify(&w->fn.pci, value % 10);
        break;
    default:
        w->now_ns += value; /* the clock only moves forward */
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_world *w = malloc(sizeof(*w));
    if (!w || !world_init(w))
        abort();
    for (size_t i = 0; i + 8 <= size; i += 8) {
        const uint8_t *r = data + i;
        unsigned sel = r[0] & 0x0f;
        bool write = r[0] & 0x10;
        unsigned len = 1u << ((r[0] >> 5) & 3);
        uint32_t off = r[1] | (uint32_t)r[2] << 8 | (uint32_t)r[3] << 16;
        uint32_t v32 = get_le32(r + 4);
        if (sel >= ARRAY_SIZE(targets)) {
            host_action(w, off, v32);
            continue;
        }
        const struct target *t = &targets[sel];
        uint64_t addr = t->base + off % t->len;
        struct bus *b = t->mmio ? &w->mmio : &w->pio;
        uint64_t v = (uint64_t)v32 | (uint64_t)v32 << 32;
        if (write)
            bus_write(b, addr, &v, len);
        else
            bus_read(b, addr, &v, len);
    }
    world_destroy(w);
    free(w);
    return 0;
}
