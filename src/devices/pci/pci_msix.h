/* MSI-X for PCI devices (PCI Local Bus 3.0 section 6.8.2; PCIe 6.0 section
 * 7.7.2). A device that wants MSI-X calls pci_msix_init() after adding the
 * BAR that holds its vector table and pending-bit array (PBA); from then on
 * the PCI bus serves guest accesses to those two regions itself (the device's
 * bar_read/bar_write never see them) and mirrors the capability's Enable and
 * Function Mask bits. The device signals vector v with pci_msix_notify(): the
 * message goes to irq_chip.send_msi, or sets the pending bit while the
 * vector or the function is masked and is sent when it is unmasked.
 *
 * Locking: one mutex per device's MSI-X state, taken inside the bus's config
 * lock and BAR-dispatch lock; send_msi is called with it held. */
#ifndef VMON_DEVICES_PCI_PCI_MSIX_H
#define VMON_DEVICES_PCI_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_MSIX_MAX_VECTORS 128
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_CAP_LEN 12

/* MSI-X capability registers (offsets from the capability start). */
#define PCI_MSIX_CTRL 2   /* Message Control */
#define PCI_MSIX_TABLE 4  /* Table Offset / Table BIR */
#define PCI_MSIX_PBA 8    /* PBA Offset / PBA BIR */
#define PCI_MSIX_CTRL_ENABLE 0x8000
#define PCI_MSIX_CTRL_MASKALL 0x4000

/* Vector table entry layout (PCIe 6.0 figure 7-37). */
#define PCI_MSIX_ENTRY_ADDR_LO 0
#define PCI_MSIX_ENTRY_ADDR_HI 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_CTRL 12
#define PCI_MSIX_ENTRY_MASKED 0x1

struct pci_dev;

struct pci_msix_regs {
    uint8_t table[PCI_MSIX_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
    uint64_t pba[PCI_MSIX_MAX_VECTORS / 64];
    uint8_t enabled, masked; /* mirror of Message Control bits 15 and 14 */
};

struct pci_msix {
    pthread_mutex_t lock;
    struct pci_msix_regs regs;
    uint16_t nvec;     /* 0: no MSI-X */
    uint8_t bar;
    uint8_t cap;       /* config offset of the capability */
    uint32_t table_off, pba_off;
};

/* Adds the capability with nvec vectors (1..PCI_MSIX_MAX_VECTORS); table
 * and PBA live in memory BAR bar at the given offsets (8-byte aligned, inside
 * the BAR, not overlapping). Returns 0 or -EINVAL/-ENOSPC/-EEXIST. */
int pci_msix_init(struct pci_dev *d, unsigned nvec, unsigned bar, uint32_t table_off,
                  uint32_t pba_off);

/* Sends vector vec, or marks it pending while masked. Returns false when
 * MSI-X is disabled or vec is out of range (the device may use INTx). */
bool pci_msix_notify(struct pci_dev *d, unsigned vec);

bool pci_msix_enabled(struct pci_dev *d);

/* For the PCI bus. True when (bar, off, size) lies in the table or PBA, in
 * which case the access was handled. */
bool pci_msix_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
bool pci_msix_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, uint64_t val, unsigned size);
/* Called by the bus after a config write to the capability. */
void pci_msix_config_written(struct pci_dev *d);

#endif
