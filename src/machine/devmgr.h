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
#include "devices/chardev.h"
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
