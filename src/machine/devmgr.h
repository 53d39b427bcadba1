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
#include "devices/legacy/i8042.h"
#include "devices/legacy/ports.h"
#include "devices/legacy/rtc.h"
#include "devices/legacy/uart16550.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_host.h"

struct vm;
struct console;

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
    bool have_uart, have_kbc, have_rtc, have_ports, have_pm, have_pci, have_pci_host;
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

/* Moves pending console input into the UART, as much as it takes. */
void devmgr_console_input(struct devmgr *d, struct console *con);

#endif
