/* PCI bus 0: up to 32 slots x 8 functions, their configuration space, the
 * address windows their BARs decode in, and INTx routing.
 *
 * Windows: guest BARs move at run time but bus ranges are fixed once vCPUs
 * run, so the bus owns one MMIO window and one port-I/O window. The machine
 * registers pci_bus_mmio_ops over [mmio_base, +mmio_size) (LAYOUT_PCI_MMIO_*)
 * and pci_bus_pio_ops over [pio_base, +pio_size) (PCI_BUS_PIO_BASE/SIZE),
 * both with dev = the struct pci_bus. An access is dispatched to the BAR that
 * decodes it: BAR programmed inside the window, its COMMAND memory/I/O enable
 * set. Accesses no BAR decodes read all ones and are dropped.
 *
 * INTx: pin p (0 = INTA#) of slot s is wired to
 *     GSI = PCI_INTX_GSI_BASE + (s + p) % PCI_INTX_GSI_COUNT,
 * i.e. GSIs 16-23 of the I/O APIC, level-triggered and shared (the bus ORs
 * the functions on a line). irq_set(true) means "asserted": polarity is the
 * interrupt controller's business. The ACPI _PRT is generated from
 * pci_bus_intx_gsi() for every slot and pin. The function's Interrupt Line
 * register starts out holding its GSI.
 *
 * Locks, in the order they may be taken:
 *   cfg_lock (mutex)   config space of every function, BAR/command side
 *                      effects, bar_map and config_write callbacks;
 *   map_lock (rwlock)  written while BAR decode state changes, read while a
 *                      BAR access is dispatched (device bar_read/bar_write
 *                      run with it held, so they must not touch config);
 *   per-device MSI-X lock, intx_lock: leaves, taken under either of the
 *                      above; irq_set/send_msi are called under them. */
#ifndef VMON_DEVICES_PCI_PCI_BUS_H
#define VMON_DEVICES_PCI_PCI_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "devices/pci/pci_dev.h"

#define PCI_BUS_PIO_BASE 0xc000
#define PCI_BUS_PIO_SIZE 0x4000
#define PCI_MAX_DEVFN 256
#define PCI_MAX_SLOTS 32
#define PCI_INTX_GSI_BASE 16
#define PCI_INTX_GSI_COUNT 8

#define PCI_DEVFN(slot, fn) ((unsigned)(slot) << 3 | (unsigned)(fn))
#define PCI_DEVFN_SLOT(devfn) ((unsigned)(devfn) >> 3)
#define PCI_DEVFN_FN(devfn) ((unsigned)(devfn) & 7)

struct pci_bus {
    pthread_mutex_t cfg_lock;
    pthread_rwlock_t map_lock;
    pthread_mutex_t intx_lock;
    struct pci_dev *dev[PCI_MAX_DEVFN];
    uint16_t intx_count[PCI_INTX_GSI_COUNT]; /* asserted functions per line */
    const struct irq_chip *irqchip;
    uint64_t mmio_base, mmio_size;
    uint64_t pio_base, pio_size;
};

/* irqchip may be NULL (no interrupts). Returns 0 or -errno. */
int pci_bus_init(struct pci_bus *b, const struct irq_chip *irqchip, uint64_t mmio_base,
                 uint64_t mmio_size, uint64_t pio_base, uint64_t pio_size);
void pci_bus_destroy(struct pci_bus *b);

/* Puts d at function 0 of the lowest free slot; returns its devfn or
 * -ENOSPC. Done while the machine is built, before vCPUs run. */
int pci_bus_add(struct pci_bus *b, struct pci_dev *d);
/* Puts d at devfn; -EBUSY if taken, -EINVAL if out of range. */
int pci_bus_add_at(struct pci_bus *b, struct pci_dev *d, unsigned devfn);

/* Gives every BAR an address inside the windows (largest first, naturally
 * aligned) and enables I/O and memory decoding, as firmware would; a guest
 * may still move them. Returns 0 or -ENOSPC when the windows are too small. */
int pci_bus_assign_bars(struct pci_bus *b);

/* Config space access, bus number busno (only bus 0 exists), reg < 4096,
 * size 1/2/4 within one dword. Anything else, or an absent function, reads
 * all ones (of the access size) and drops writes. */
uint32_t pci_bus_config_read(struct pci_bus *b, unsigned busno, unsigned devfn, unsigned reg,
                             unsigned size);
void pci_bus_config_write(struct pci_bus *b, unsigned busno, unsigned devfn, unsigned reg,
                          unsigned size, uint32_t val);

/* GSI of INTx pin (0 = INTA# .. 3 = INTD#) of slot (0-31). */
unsigned pci_bus_intx_gsi(unsigned slot, unsigned pin);

/* For pci_dev_set_intx(). */
void pci_bus_intx_update(struct pci_bus *b, struct pci_dev *d, bool level);

extern const struct bus_dev_ops pci_bus_mmio_ops;
extern const struct bus_dev_ops pci_bus_pio_ops;

#endif
