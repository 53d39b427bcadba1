/* The PCI host bridge: configuration mechanism #1 (ports 0xCF8-0xCFF) and a
 * PCI Express ECAM window, both onto the same struct pci_bus, plus the host
 * bridge function itself at 00:00.0.
 *
 * Mechanism #1 (PCI Local Bus 3.0 section 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8
 * takes 32-bit accesses only (bit 31 enable, bus 23:16, device 15:11,
 * function 10:8, register 7:2); CONFIG_DATA at 0xCFC-0xCFF takes 1-, 2- and
 * 4-byte accesses, byte offset (port - 0xCFC) within the addressed dword.
 * With the enable bit clear, with any of the reserved bits 30:24 set (AMD's
 * extended-register encoding is not supported: register numbers stop at
 * 255 here), or for absent functions, data reads are all ones and writes are
 * dropped. Byte and word accesses to 0xCF8-0xCFB are not CONFIG_ADDRESS:
 * the one at 0xCF9 goes to the reset control register passed to
 * pci_host_init (ports_rcr_ops), the others read 0xff.
 *
 * ECAM (PCIe 6.0 section 7.2.2): offset = bus << 20 | device << 15 |
 * function << 12 | register. Only bus 0 exists, so the machine registers
 * PCI_HOST_ECAM_BUS0_SIZE (1 MiB) at LAYOUT_PCI_ECAM and the MCFG table says
 * buses 0-0; a larger registration also works (other buses are empty).
 * Accesses of 1, 2 or 4 bytes inside one dword are served; 8-byte or
 * dword-crossing accesses read all ones and are dropped.
 *
 * The host bridge: vendor 0x1b36 (Red Hat, Inc., the ID QEMU uses for its
 * virtual devices), device 0x0008 ("QEMU PCIe Host bridge" in the PCI ID
 * database), class 06/00/00. No driver binds to it; it exists so that bus 0
 * looks like every PC's to firmware and kernels. */
#ifndef VMON_DEVICES_PCI_PCI_HOST_H
#define VMON_DEVICES_PCI_PCI_HOST_H

#include <stdint.h>

#include "core/bus.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_dev.h"

#define PCI_HOST_IO_LEN 8 /* 0xCF8-0xCFF */
#define PCI_HOST_ECAM_BUS0_SIZE 0x100000
#define PCI_HOST_VENDOR 0x1b36
#define PCI_HOST_DEVICE 0x0008
#define PCI_HOST_CLASS 0x060000

#define PCI_CONFIG_ENABLE 0x80000000u

struct pci_host_regs {
    uint32_t config_address; /* accessed atomically: no lock */
};

struct pci_host {
    struct pci_host_regs regs;
    struct pci_bus *bus;
    struct pci_dev bridge;
    const struct bus_dev_ops *rcr_ops; /* byte accesses at 0xCF9, may be NULL */
    void *rcr_dev;
};

/* Adds the host bridge to bus at 00:00.0. Returns 0 or -errno. */
int pci_host_init(struct pci_host *h, struct pci_bus *bus, const struct bus_dev_ops *rcr_ops,
                  void *rcr_dev);
void pci_host_destroy(struct pci_host *h);

extern const struct bus_dev_ops pci_host_pio_ops;  /* 0xCF8, length PCI_HOST_IO_LEN */
extern const struct bus_dev_ops pci_host_ecam_ops; /* LAYOUT_PCI_ECAM */

#endif
