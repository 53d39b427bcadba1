#include "machine/devmgr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "machine/console.h"
#include "machine/intc.h"
#include "machine/layout.h"
#include "machine/vm.h"
#include "net/net_slirp.h"
#include "net/net_tap.h"

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

static size_t devmgr_uart_input(void *ctx, const uint8_t *buf, size_t len)
{
    return uart_receive(ctx, buf, len);
}

static int devmgr_legacy(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip,
                         char *err, size_t errlen)
{
    struct irq_line com1_irq = { irqchip, GSI_COM1 };
    if (uart_init(&d->com1, &com1_irq, &d->console_out) < 0)
        return -ENOMEM;
    d->have_uart = true;
    REG(&vm->pio, PORT_COM1, UART_IO_LEN, &uart_ops, &d->com1, "com1");
    if (vm->cfg->console == VM_CONSOLE_SERIAL)
        console_set_port(vm->console, &(struct console_port){ devmgr_uart_input, &d->com1, false });

    struct irq_line kbd_irq = { irqchip, GSI_I8042_KBD }, aux_irq = { irqchip, 12 };
    if (i8042_init(&d->kbc, &kbd_irq, &aux_irq, &vm->ctl) < 0)
        return -ENOMEM;
    d->have_kbc = true;
    REG(&vm->pio, PORT_I8042 + I8042_DATA_OFF, 1, &i8042_ops, &d->kbc, "i8042-data");
    REG(&vm->pio, PORT_I8042 + I8042_CMD_OFF, 1, &i8042_cmd_ops, &d->kbc, "i8042-cmd");

    /* The RTC's interrupts run on the timer service; under kvm, whose
     * in-kernel irqchip keeps its own timers, nothing has created it yet. */
    if (!d->have_timers) {
        if (timer_queue_init(&d->timers, &d->clock) < 0)
            return -ENOMEM;
        d->have_timers = true;
    }
    struct irq_line rtc_irq = { irqchip, GSI_RTC };
    struct rtc_config rc = {
        .now_ns = devmgr_now_ns, .clock_ctx = &d->clock,
        .ram_below_4g = vm->mem.region[0].size,
        .ram_above_4g = vm->mem.nregions > 1 ? vm->mem.region[1].size : 0,
        .timers = &d->timers, .irq = &rtc_irq,
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

/* Firmware boot: SeaBIOS assigns 32-bit BARs itself, downward from
 * 0xfec00000 (the IOAPIC; src/fw/pciinit.c, pcimem_end) whatever window the
 * host bridge has, so a firmware-booted machine's PCI window is the free
 * space between the ECAM and the IOAPIC. ACPI describes whichever window
 * the bus has (devmgr_acpi_config). */
#define DEVMGR_FW_PCI_MMIO_START (LAYOUT_PCI_ECAM + LAYOUT_PCI_ECAM_SIZE)
#define DEVMGR_FW_PCI_MMIO_SIZE (LAYOUT_IOAPIC - DEVMGR_FW_PCI_MMIO_START)

static int devmgr_pci(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip, char *err,
                      size_t errlen)
{
    bool fw = vm_config_boots_firmware(vm->cfg);
    uint64_t mmio_base = fw ? DEVMGR_FW_PCI_MMIO_START : LAYOUT_PCI_MMIO_START;
    uint64_t mmio_size = fw ? DEVMGR_FW_PCI_MMIO_SIZE : LAYOUT_PCI_MMIO_SIZE;
    if (pci_bus_init(&d->pci, irqchip, mmio_base, mmio_size,
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
    REG(&vm->mmio, mmio_base, mmio_size, &pci_bus_mmio_ops, &d->pci, "pci-mmio");
    REG(&vm->pio, PCI_BUS_PIO_BASE, PCI_BUS_PIO_SIZE, &pci_bus_pio_ops, &d->pci, "pci-io");
    return 0;
}

static void devmgr_fw_gave_up(void *ctx)
{
    struct devmgr *d = ctx;
    log_info("firmware: no bootable device after %u s (--boot-timeout); stopping", d->boot_timeout);
    vmctl_request(d->ctl, VM_EVENT_EXIT_CODE, VM_EXIT_NO_BOOT);
}

/* SeaBIOS says "No bootable device." when it has tried everything
 * (src/boot.c, boot_fail); machine/boot.c tells it never to retry
 * (etc/boot-fail-wait = -1), and vmon stops the VM --boot-timeout seconds
 * later by the host's clock, so the timeout holds whatever the guest's
 * timers do. Should a firmware reboot after the message instead, vmon stops
 * at once: rebooting would only fail again. */
static void devmgr_fw_line(void *ctx, const char *line)
{
    struct devmgr *d = ctx;
    if (!strncmp(line, "No bootable device", 18) && !d->fw_boot_failed) {
        d->fw_boot_failed = true;
        timer_mod(&d->fw_fail_timer,
                  vclock_ns(&d->clock) + (uint64_t)d->boot_timeout * 1000000000ull);
    } else if (d->fw_boot_failed && !strncmp(line, "Rebooting", 9)) {
        devmgr_fw_gave_up(d);
    }
}

/* fw_cfg and the firmware debug console (firmware boot only), and the
 * debug-exit port when --device debug-exit asks for it. */
static int devmgr_firmware(struct devmgr *d, struct vm *vm, char *err, size_t errlen)
{
    const struct vm_config *cfg = vm->cfg;
    d->ctl = &vm->ctl;
    if (cfg->debug_exit.enabled) {
        if (debug_exit_init(&d->debug_exit, &vm->ctl, cfg->debug_exit.iosize) < 0)
            return -EINVAL;
        REG(&vm->pio, cfg->debug_exit.iobase, cfg->debug_exit.iosize, &debug_exit_ops,
            &d->debug_exit, "debug-exit");
    }
    if (!vm_config_boots_firmware(cfg))
        return 0;
    d->boot_timeout = cfg->boot_timeout;
    if (timer_queue_init(&d->fw_timers, &d->clock) < 0)
        return -ENOMEM;
    d->have_fw_timers = true;
    timer_init(&d->fw_fail_timer, &d->fw_timers, devmgr_fw_gave_up, d);
    if (fw_cfg_init(&d->fw_cfg, &vm->mem) < 0)
        return -ENOMEM;
    d->have_fw_cfg = true;
    REG(&vm->pio, FW_CFG_IO_BASE, FW_CFG_IO_LEN, &fw_cfg_ops, &d->fw_cfg, "fw_cfg");
    if (debugcon_init(&d->fw_log, "firmware", devmgr_fw_line, d) < 0)
        return -ENOMEM;
    d->have_fw_log = true;
    REG(&vm->pio, DEBUGCON_PORT, 1, &debugcon_ops, &d->fw_log, "firmware-log");
    return 0;
}

/* GSIs of the virtio-mmio windows, in order: ISA interrupts no vmon device
 * uses (COM1 4, i8042 1 and 12, RTC 8, SCI 9, the PIT 0/2; PCI INTx takes
 * 16-23 and the I/O APIC has 24 pins, so nothing above the PCI range is
 * left). Edge-triggered, active high, like every ISA interrupt: the ACPI
 * description needs no source override. */
static const uint8_t devmgr_mmio_gsi[] = { 5, 6, 7, 10, 11, 14, 15, 3, 13 };

/* Puts dev on the VM's virtio transport. */
static int devmgr_virtio_add(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip,
                             struct virtio_dev *dev, uint32_t pci_class, char *err, size_t errlen)
{
    if (d->nvirtio == DEVMGR_MAX_VIRTIO) {
        snprintf(err, errlen, "too many virtio devices (at most %d)", DEVMGR_MAX_VIRTIO);
        return -ENOSPC;
    }
    struct devmgr_virtio *v = &d->virtio[d->nvirtio];
    int rc;
    if (vm->cfg->virtio_transport == VM_VIRTIO_MMIO) {
        unsigned i = d->nvirtio_acpi;
        if (i == ARRAY_SIZE(devmgr_mmio_gsi)) {
            snprintf(err, errlen, "too many virtio-mmio devices (at most %zu; use "
                     "--virtio-transport pci)", ARRAY_SIZE(devmgr_mmio_gsi));
            return -ENOSPC;
        }
        uint64_t base = LAYOUT_VIRTIO_MMIO + i * LAYOUT_VIRTIO_MMIO_SIZE;
        struct irq_line irq = { irqchip, devmgr_mmio_gsi[i] };
        rc = virtio_mmio_init(&v->t.mmio, dev, &irq);
        if (rc)
            return rc;
        v->dev = dev;
        v->mmio = true;
        d->nvirtio++;
        REG(&vm->mmio, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, &v->t.mmio, dev->name);
        d->virtio_acpi[d->nvirtio_acpi++] =
            (struct acpi_virtio_mmio){ base, VIRTIO_MMIO_SIZE, devmgr_mmio_gsi[i] };
        return 0;
    }
    rc = virtio_pci_init(&v->t.pci, dev, pci_class);
    if (rc)
        return rc;
    v->dev = dev;
    d->nvirtio++;
    rc = pci_bus_add(&d->pci, &v->t.pci.pci);
    if (rc < 0)
        snprintf(err, errlen, "no free PCI slot for %s", dev->name);
    return rc < 0 ? rc : 0;
}

/* The host terminal's size, or 0x0 when stdout is not a terminal. */
static void devmgr_term_size(const struct console *con, uint16_t *cols, uint16_t *rows)
{
    struct winsize ws;
    *cols = *rows = 0;
    if (isatty(con->out_fd) && ioctl(con->out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col &&
        ws.ws_row) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
    }
}

/* --console virtio: hvc0 gets stdin/stdout; COM1 stays, unconnected. */
static int devmgr_virtio_console(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip,
                                 char *err, size_t errlen)
{
    struct chardev out = { console_write, vm->console };
    struct virtio_console_opts o = { .out = &out, .room = console_wake, .room_ctx = vm->console };
    devmgr_term_size(vm->console, &o.cols, &o.rows);
    int rc = virtio_console_init(&d->vcon, &o, &vm->mem);
    if (rc) {
        snprintf(err, errlen, "--console virtio: cannot create the device: %s", strerror(-rc));
        return rc;
    }
    d->have_vcon = true;
    console_set_port(vm->console,
                     &(struct console_port){ virtio_console_receive, &d->vcon, true });
    return devmgr_virtio_add(d, vm, irqchip, &d->vcon.vdev, 0x078000, err, errlen);
}

/* The --net NICs as virtio-net devices, eth0, eth1, ... in order, each with
 * its backend (a user-mode network of its own, or the TAP the option parser
 * opened). */
static int devmgr_net(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip, char *err,
                      size_t errlen)
{
    const struct vm_config *cfg = vm->cfg;
    for (unsigned i = 0; i < cfg->nnets; i++) {
        const struct vm_net *net = &cfg->nets[i];
        struct virtio_net_opts o = { 0 };
        char name[16], why[200] = "";
        snprintf(name, sizeof(name), "eth%u", i);
        o.name = name;
        memcpy(o.mac, net->mac, sizeof(o.mac));
        int rc;
        if (net->type == VM_NET_TAP) {
            int fd = fcntl(net->tap_fd, F_DUPFD_CLOEXEC, 0);
            rc = fd < 0 ? -errno : net_tap_new(fd, &o.be);
        } else {
            rc = net_slirp_new(net->hostfwd, net->nhostfwd, &o.be, why, sizeof(why));
        }
        if (!rc)
            rc = virtio_net_init(&d->net[i], &o, &vm->mem);
        if (rc) {
            snprintf(err, errlen, "--net %s (%s): %s", net->type == VM_NET_TAP ? "tap" : "user",
                     name, why[0] ? why : strerror(-rc));
            return rc;
        }
        d->nnet++;
        rc = devmgr_virtio_add(d, vm, irqchip, &d->net[i].vdev, 0x020000, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* --vsock cid=N,uds=PATH: the device, its listening socket and I/O thread. */
static int devmgr_vsock(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip,
                        char *err, size_t errlen)
{
    const struct vm_vsock *cfg = &vm->cfg->vsock;
    struct virtio_vsock_opts o = { .guest_cid = cfg->cid, .uds_path = cfg->uds };
    char why[200];
    int rc = virtio_vsock_init(&d->vsock, &o, &vm->mem, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "--vsock uds=%s: %s", cfg->uds, why);
        return rc;
    }
    d->have_vsock = true;
    rc = virtio_vsock_start(&d->vsock);
    if (rc) {
        snprintf(err, errlen, "--vsock: cannot start its thread: %s", strerror(-rc));
        return rc;
    }
    return devmgr_virtio_add(d, vm, irqchip, &d->vsock.vdev, 0x078000, err, errlen);
}

/* The --disk images as virtio-blk devices (one queue per vCPU) and the
 * entropy device unless --rng off. */
static int devmgr_virtio(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip,
                         char *err, size_t errlen)
{
    const struct vm_config *cfg = vm->cfg;
    for (unsigned i = 0; i < cfg->ndisks; i++) {
        const struct vm_disk *disk = &cfg->disks[i];
        char name[8];
        snprintf(name, sizeof(name), "vd%c", 'a' + i);
        struct virtio_blk_opts o = {
            .name = name, .serial = disk->serial, .size = disk->size,
            .readonly = disk->readonly, .direct = disk->direct,
            .nqueues = MIN(cfg->ncpus, (unsigned)VIRTIO_BLK_MAX_QUEUES),
            .fd = fcntl(disk->fd, F_DUPFD_CLOEXEC, 0),
        };
        int rc = o.fd < 0 ? -errno : virtio_blk_init(&d->blk[i], &o, &vm->mem);
        if (rc) {
            snprintf(err, errlen, "--disk %s: cannot start the device: %s", disk->path,
                     strerror(-rc));
            return rc;
        }
        d->nblk++;
        rc = devmgr_virtio_add(d, vm, irqchip, &d->blk[i].vdev, 0x010000, err, errlen);
        if (rc)
            return rc;
    }
    int net_rc = devmgr_net(d, vm, irqchip, err, errlen);
    if (net_rc)
        return net_rc;
    if (!cfg->no_rng) {
        virtio_rng_init(&d->rng, &vm->mem);
        int rc = devmgr_virtio_add(d, vm, irqchip, &d->rng.vdev, 0xff0000, err, errlen);
        if (rc)
            return rc;
    }
    if (cfg->console == VM_CONSOLE_VIRTIO) {
        int rc = devmgr_virtio_console(d, vm, irqchip, err, errlen);
        if (rc)
            return rc;
    }
    if (cfg->vsock.enabled) {
        int rc = devmgr_vsock(d, vm, irqchip, err, errlen);
        if (rc)
            return rc;
    }
    if (d->nvirtio && cfg->virtio_transport == VM_VIRTIO_PCI && pci_bus_assign_bars(&d->pci)) {
        snprintf(err, errlen, "internal error: the PCI window is too small for the devices");
        return -ENOSPC;
    }
    return 0;
}

/* Stops the devices' threads, then their transports. */
static void devmgr_virtio_destroy(struct devmgr *d)
{
    for (unsigned i = 0; i < d->nblk; i++)
        virtio_blk_destroy(&d->blk[i]);
    if (d->have_vsock)
        virtio_vsock_destroy(&d->vsock); /* its thread, then the socket file */
    d->have_vsock = false;
    for (unsigned i = 0; i < d->nnet; i++)
        virtio_net_destroy(&d->net[i]);
    d->nnet = 0;
    for (unsigned i = 0; i < d->nvirtio; i++) {
        if (d->virtio[i].mmio)
            virtio_mmio_destroy(&d->virtio[i].t.mmio);
        else
            virtio_pci_destroy(&d->virtio[i].t.pci);
    }
    if (d->have_vcon)
        virtio_console_destroy(&d->vcon);
    d->have_vcon = false;
    d->nblk = d->nvirtio = 0;
}

int devmgr_virtio_mmio_cmdline(const struct devmgr *d, char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = 0;
    for (unsigned i = 0; i < d->nvirtio_acpi; i++) {
        int k = virtio_mmio_cmdline(buf + n, len - n, d->virtio_acpi[i].base,
                                    d->virtio_acpi[i].gsi);
        if (k < 0 || (size_t)k + 1 >= len - n)
            return -ENOSPC;
        n += (size_t)k;
        if (i + 1 < d->nvirtio_acpi)
            buf[n++] = ' ', buf[n] = 0;
    }
    return (int)n;
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
    int rc = d->have_timers ? timer_queue_start(&d->timers) : 0;
    if (!rc && d->have_fw_timers)
        rc = timer_queue_start(&d->fw_timers);
    return rc;
}

void devmgr_stop(struct devmgr *d)
{
    if (d->have_timers)
        timer_queue_stop(&d->timers);
    if (d->have_fw_timers)
        timer_queue_stop(&d->fw_timers);
}

int devmgr_init(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip, char *err,
                size_t errlen)
{
    d->console_out = (struct chardev){ console_write, vm->console };
    if (vm->cfg->console == VM_CONSOLE_VIRTIO)
        d->console_out = (struct chardev){ 0 }; /* hvc0 is the console; COM1 output is dropped */
    int rc = devmgr_legacy(d, vm, irqchip, err, errlen);
    if (!rc)
        rc = devmgr_pci(d, vm, irqchip, err, errlen);
    if (!rc)
        rc = devmgr_virtio(d, vm, irqchip, err, errlen);
    if (!rc)
        rc = devmgr_firmware(d, vm, err, errlen);
    if (rc && !err[0])
        snprintf(err, errlen, "cannot create the VM's devices: %s", strerror(-rc));
    return rc;
}

void devmgr_destroy(struct devmgr *d)
{
    devmgr_stop(d);
    devmgr_virtio_destroy(d);
    if (d->have_fw_log)
        debugcon_destroy(&d->fw_log);
    if (d->have_fw_cfg)
        fw_cfg_destroy(&d->fw_cfg);
    if (d->have_fw_timers) {
        timer_cancel(&d->fw_fail_timer);
        timer_queue_destroy(&d->fw_timers);
    }
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
    c->pci_mmio_base = (uint32_t)(d->have_pci ? d->pci.mmio_base : LAYOUT_PCI_MMIO_START);
    c->pci_mmio_size = (uint32_t)(d->have_pci ? d->pci.mmio_size : LAYOUT_PCI_MMIO_SIZE);
    c->virtio = d->virtio_acpi;
    c->nvirtio = d->nvirtio_acpi;
}

void devmgr_console_input(struct devmgr *d, struct console *con)
{
    (void)d;
    console_feed(con);
}

void devmgr_console_resize(struct devmgr *d, struct console *con)
{
    uint16_t cols, rows;
    devmgr_term_size(con, &cols, &rows);
    if (d->have_vcon && cols && rows)
        virtio_console_resize(&d->vcon, cols, rows);
}

_Static_assert(IOAPIC_DEFAULT_BASE == LAYOUT_IOAPIC, "the IOAPIC sits where the MADT says");
