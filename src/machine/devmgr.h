/* The device manager: creates the VM's devices, places them on the buses at
 * the addresses of machine/layout.h, wires their interrupt lines and VM
 * events, and describes them to the guest in ACPI. */
#ifndef VMON_MACHINE_DEVMGR_H
#define VMON_MACHINE_DEVMGR_H

#include <stdbool.h>
#include <stddef.h>

#include "acpi/acpi.h"
#include "core/clock.h"
#include "core/irq.h"
#include "core/intc.h"
#include "core/timer.h"
#include "devices/chardev.h"
#include "devices/irq/irqchip.h"
#include "devices/legacy/acpi_pm.h"
#include "devices/legacy/debug_exit.h"
#include "devices/legacy/debugcon.h"
#include "devices/legacy/fw_cfg.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/ports.h"
#include "devices/legacy/rtc.h"
#include "devices/legacy/uart16550.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_host.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_console.h"
#include "devices/virtio/virtio_vsock.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_net.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_rng.h"
#include "machine/config.h"

struct vm;
struct console;

/* A virtio device on its transport: all virtio-pci functions, or all
 * virtio-mmio windows (--virtio-transport). */
#define DEVMGR_MAX_VIRTIO (VM_MAX_DISKS + 3 + VM_MAX_NICS) /* disks, rng, console, vsock, NICs */
struct devmgr_virtio {
    struct virtio_dev *dev;
    bool mmio;
    union {
        struct virtio_mmio mmio;
        struct virtio_pci pci;
    } t;
};

struct devmgr {
    struct vclock clock;
    /* User-space interrupt controllers (emu backend) */
    struct timer_queue timers;
    struct userspace_irqchip irqchip;
    struct cpu_intc intc;
    bool have_timers, have_irqchip;
    struct chardev console_out;
    struct uart com1;
    struct i8042 kbc;
    struct rtc rtc;
    struct ports ports;
    struct acpi_pm pm;
    struct pci_bus pci;
    struct pci_host pci_host;
    struct debug_exit debug_exit;
    /* Firmware boot: fw_cfg (filled by machine/boot.c) and the firmware's
     * debug console, watched for "no bootable device". */
    struct fw_cfg fw_cfg;
    struct debugcon fw_log;
    const struct vm_control *ctl;
    bool fw_boot_failed; /* the firmware said it found nothing to boot (fw_log.lock) */
    unsigned boot_timeout; /* seconds, --boot-timeout */
    struct timer_queue fw_timers; /* its own thread: runs under kvm and emu */
    struct timer fw_fail_timer;   /* --boot-timeout after "No bootable device" */
    bool have_fw_cfg, have_fw_log, have_fw_timers;
    bool have_uart, have_kbc, have_rtc, have_ports, have_pm, have_pci, have_pci_host;
    /* virtio: disks (vda, vdb, ...), then the RNG */
    struct virtio_blk blk[VM_MAX_DISKS];
    unsigned nblk;
    struct virtio_rng rng;
    struct virtio_net net[VM_MAX_NICS]; /* --net: eth0, eth1, ... */
    unsigned nnet;
    struct virtio_console vcon;  /* --console virtio */
    bool have_vcon;
    struct virtio_vsock vsock;   /* --vsock */
    bool have_vsock;
    struct devmgr_virtio virtio[DEVMGR_MAX_VIRTIO];
    unsigned nvirtio;
    struct acpi_virtio_mmio virtio_acpi[DEVMGR_MAX_VIRTIO]; /* the virtio-mmio windows */
    unsigned nvirtio_acpi;
};

/* Starts the guest clock. Called first. */
void devmgr_early_init(struct devmgr *d);

/* Creates the user-space PIC/IOAPIC/PIT/LAPICs for a backend without its
 * own interrupt controllers; *intc is the CPU side, *chip what devices
 * raise their lines on. */
int devmgr_irqchip_init(struct devmgr *d, struct vm *vm, const struct cpu_intc **intc,
                        const struct irq_chip **chip, char *err, size_t errlen);

/* Starts the timer thread (user-space irqchip only), once vCPUs exist. */
int devmgr_start(struct devmgr *d);
/* Stops it, before vCPUs are destroyed. */
void devmgr_stop(struct devmgr *d);

/* Creates and registers every device on vm's buses. Returns 0 or -errno with
 * a one-line reason in err. devmgr_destroy() undoes a partial init. */
int devmgr_init(struct devmgr *d, struct vm *vm, const struct irq_chip *irqchip, char *err,
                size_t errlen);
void devmgr_destroy(struct devmgr *d);

/* The ACPI description of the devices (tables are built by machine/boot.c). */
void devmgr_acpi_config(const struct devmgr *d, unsigned ncpus, struct acpi_config *c);

/* The virtio-mmio windows as kernel arguments ("virtio_mmio.device=4K@0x...:GSI"
 * each), for a guest without ACPI. vmon announces the windows in the ACPI
 * DSDT (LNRO0005), which Linux's virtio-mmio driver binds; listing them on
 * the command line as well would register each device twice, so the
 * machine does not add these to the command line. Returns the length or
 * -ENOSPC. */
int devmgr_virtio_mmio_cmdline(const struct devmgr *d, char *buf, size_t len);

/* Moves pending console input into the console device (COM1 or
 * virtio-console), as much as it takes. */
void devmgr_console_input(struct devmgr *d, struct console *con);

/* The host terminal was resized (SIGWINCH): tells virtio-console. */
void devmgr_console_resize(struct devmgr *d, struct console *con);

#endif
