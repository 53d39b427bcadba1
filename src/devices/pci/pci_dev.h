/* The PCI device model: one function's configuration space, BARs, capability
 * list and interrupt pin. A device (e.g. a virtio-pci transport) embeds a
 * struct pci_dev, fills it in with pci_dev_init(), pci_dev_add_bar(),
 * pci_add_capability() (and pci_msix_init()), then hands it to
 * pci_bus_add(). Guest accesses arrive through the bus: config space is
 * handled here, BAR accesses go to the device's pci_dev_ops.
 *
 * Config space follows the type 0 header of the PCI Local Bus Specification
 * 3.0, section 6.1. Each byte has a write mask (bits the guest may change)
 * and a write-1-to-clear mask (status bits); everything else is read-only.
 * BAR size probing falls out of the write masks: a BAR's mask clears the
 * address bits below its size, so writing all ones reads back the size mask
 * with the type bits. A function has 256 bytes of config space, or 4 KiB when
 * created as PCI Express (bytes past the end read 0, writes are dropped).
 *
 * Callbacks (all optional) and the locks held when they run:
 *   bar_read/bar_write: a guest access inside a decoding BAR (offset from the
 *     BAR start); run under the bus's BAR-map read lock, so the BAR cannot move
 *     meanwhile. They must not access config space or add devices; they may
 *     call pci_dev_set_intx() and pci_msix_notify().
 *   config_write: after the guest wrote config bytes [off, off+size), once
 *     masks and BAR/command side effects are applied. Runs under the bus's
 *     config lock: it may read/modify d->regs.config directly.
 *   bar_map: BAR bar now decodes at addr (active) or stopped decoding
 *     (memory/I/O enable cleared, moved outside the bus window, or being
 *     sized). Runs under the config lock after the new map is published. */
#ifndef VMON_DEVICES_PCI_PCI_DEV_H
#define VMON_DEVICES_PCI_PCI_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci/pci_msix.h"

#define PCI_CFG_SIZE 256
#define PCIE_CFG_SIZE 4096
#define PCI_NUM_BARS 6

/* Type 0 header registers (PCI 3.0 figure 6-1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a /* sub-class, then base class at 0x0b */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CAP_START 0x40

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_HEADER_TYPE_MULTI 0x80

/* BAR low bits (PCI 3.0 section 6.2.5.1). */
#define PCI_BAR_SPACE_IO 0x1
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_PREFETCH 0x8

/* Capability IDs used in vmon. */
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11

enum pci_bar_kind {
    PCI_BAR_UNUSED,
    PCI_BAR_IO,
    PCI_BAR_MEM32,
    PCI_BAR_MEM64, /* uses this BAR and the next */
};

struct pci_bar {
    enum pci_bar_kind kind;
    uint64_t size;
    /* Derived from config space by the bus, under its BAR-map lock. */
    uint64_t addr;
    bool active;
};

struct pci_dev;

struct pci_dev_ops {
    uint64_t (*bar_read)(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size);
    void (*bar_write)(struct pci_dev *d, unsigned bar, uint64_t off, uint64_t val, unsigned size);
    void (*config_write)(struct pci_dev *d, unsigned off, unsigned size, uint32_t val);
    void (*bar_map)(struct pci_dev *d, unsigned bar, uint64_t addr, bool active);
};

/* What identifies a function (PCI 3.0 section 6.2.1). */
struct pci_dev_id {
    uint16_t vendor, device;
    uint16_t subsys_vendor, subsys;
    uint32_t class_code; /* base class << 16 | sub-class << 8 | prog-if */
    uint8_t revision;
    uint8_t intx_pin;    /* 0 none, 1-4 = INTA#-INTD# */
};

/* Guest-visible state, plain data. */
struct pci_dev_regs {
    uint8_t config[PCIE_CFG_SIZE];
    uint8_t intx_level; /* the function's INTx output */
};

struct pci_bus;

struct pci_dev {
    struct pci_dev_regs regs;
    uint8_t wmask[PCIE_CFG_SIZE];   /* guest-writable bits */
    uint8_t w1cmask[PCIE_CFG_SIZE]; /* write-1-to-clear bits */
    unsigned cfg_size;              /* PCI_CFG_SIZE or PCIE_CFG_SIZE */
    unsigned cap_next;              /* first free byte for capabilities */
    struct pci_bar bar[PCI_NUM_BARS];
    struct pci_msix msix;
    struct pci_bus *bus;            /* set by pci_bus_add */
    uint8_t devfn;
    bool intx_disabled;             /* mirror of COMMAND.INTX_DISABLE */
    const struct pci_dev_ops *ops;
    void *opaque;                   /* for the device's callbacks */
};

/* Sets up the header; pcie selects 4 KiB of config space. ops may be NULL.
 * Returns 0 or -errno. */
int pci_dev_init(struct pci_dev *d, const struct pci_dev_id *id, bool pcie,
                 const struct pci_dev_ops *ops, void *opaque);
void pci_dev_destroy(struct pci_dev *d);

/* Declares BAR n: size is a power of two, at least 16 bytes for memory and
 * 4 for I/O (I/O at most 256); a 64-bit BAR also takes n+1. Returns 0 or
 * -EINVAL/-EBUSY. */
int pci_dev_add_bar(struct pci_dev *d, unsigned n, enum pci_bar_kind kind, uint64_t size,
                    bool prefetch);

/* Allocates len bytes of config space for capability id, dword aligned,
 * links it into the capability list and returns its offset (its first two
 * bytes hold id and next pointer; the rest is zero and read-only until
 * pci_dev_set_writable()). Returns -ENOSPC when it does not fit, -EINVAL
 * for len < 2. */
int pci_add_capability(struct pci_dev *d, uint8_t id, unsigned len);

/* Marks bits of [off, off+len) guest-writable (mask applies to each byte). */
void pci_dev_set_writable(struct pci_dev *d, unsigned off, unsigned len, uint8_t mask);

/* Raw config-space accessors for device set-up and callbacks (no masks, no
 * side effects). Out-of-range offsets read 0 and are not written. */
uint8_t pci_dev_get8(const struct pci_dev *d, unsigned off);
uint16_t pci_dev_get16(const struct pci_dev *d, unsigned off);
uint32_t pci_dev_get32(const struct pci_dev *d, unsigned off);
void pci_dev_set8(struct pci_dev *d, unsigned off, uint8_t v);
void pci_dev_set16(struct pci_dev *d, unsigned off, uint16_t v);
void pci_dev_set32(struct pci_dev *d, unsigned off, uint32_t v);

/* The address BAR n holds in config space now (type bits removed). */
uint64_t pci_dev_bar_addr(const struct pci_dev *d, unsigned n);

/* Drives the function's INTx pin (level: asserted or not). Honours
 * COMMAND.INTX_DISABLE; shared lines are OR-ed by the bus. */
void pci_dev_set_intx(struct pci_dev *d, bool level);

/* Generic config access for the bus (called under its config lock). off and
 * size stay inside one dword. Writes return PCI_DEV_WROTE_* flags. */
uint32_t pci_dev_config_read(const struct pci_dev *d, unsigned off, unsigned size);
#define PCI_DEV_WROTE_COMMAND 0x1
#define PCI_DEV_WROTE_BAR 0x2
#define PCI_DEV_WROTE_MSIX 0x4
unsigned pci_dev_config_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val);

#endif
