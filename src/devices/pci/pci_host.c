/* PCI host bridge: mechanism #1 and ECAM; see pci_host.h. */
#include "devices/pci/pci_host.h"

#include <errno.h>
#include <string.h>

#define CF8_RESERVED 0x7f000000u
#define CFC_OFF 4 /* CONFIG_DATA within the 0xCF8 range */
#define CF9_OFF 1 /* the reset control register */

static uint64_t all_ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* Decodes CONFIG_ADDRESS; false when config cycles are off. */
static bool cf8_decode(uint32_t addr, unsigned *busno, unsigned *devfn, unsigned *reg)
{
    if (!(addr & PCI_CONFIG_ENABLE) || (addr & CF8_RESERVED))
        return false;
    *busno = (addr >> 16) & 0xff;
    *devfn = (addr >> 8) & 0xff;
    *reg = addr & 0xfc;
    return true;
}

static uint64_t pci_host_pio_read(void *dev, uint64_t offset, unsigned size)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4)
        return __atomic_load_n(&h->regs.config_address, __ATOMIC_ACQUIRE);
    if (offset == CF9_OFF && size == 1 && h->rcr_ops && h->rcr_ops->read)
        return h->rcr_ops->read(h->rcr_dev, 0, 1);
    if (offset < CFC_OFF || size > 4 || offset + size > PCI_HOST_IO_LEN)
        return all_ones(size);
    unsigned busno, devfn, reg;
    uint32_t addr = __atomic_load_n(&h->regs.config_address, __ATOMIC_ACQUIRE);
    if (!cf8_decode(addr, &busno, &devfn, &reg))
        return all_ones(size);
    return pci_bus_config_read(h->bus, busno, devfn, reg + (unsigned)(offset - CFC_OFF), size);
}

static void pci_host_pio_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4) {
        __atomic_store_n(&h->regs.config_address, (uint32_t)value, __ATOMIC_RELEASE);
        return;
    }
    if (offset == CF9_OFF && size == 1) {
        if (h->rcr_ops && h->rcr_ops->write)
            h->rcr_ops->write(h->rcr_dev, 0, value, 1);
        return;
    }
    if (offset < CFC_OFF || size > 4 || offset + size > PCI_HOST_IO_LEN)
        return;
    unsigned busno, devfn, reg;
    uint32_t addr = __atomic_load_n(&h->regs.config_address, __ATOMIC_ACQUIRE);
    if (!cf8_decode(addr, &busno, &devfn, &reg))
        return;
    pci_bus_config_write(h->bus, busno, devfn, reg + (unsigned)(offset - CFC_OFF), size,
                         (uint32_t)value);
}

static void ecam_decode(uint64_t offset, unsigned *busno, unsigned *devfn, unsigned *reg)
{
    *busno = (unsigned)(offset >> 20);
    *devfn = (unsigned)(offset >> 12) & 0xff;
    *reg = (unsigned)offset & 0xfff;
}

static uint64_t pci_host_ecam_read(void *dev, uint64_t offset, unsigned size)
{
    struct pci_host *h = dev;
    unsigned busno, devfn, reg;
    if (size > 4)
        return all_ones(size);
    ecam_decode(offset, &busno, &devfn, &reg);
    return pci_bus_config_read(h->bus, busno, devfn, reg, size);
}

static void pci_host_ecam_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct pci_host *h = dev;
    unsigned busno, devfn, reg;
    if (size > 4)
        return;
    ecam_decode(offset, &busno, &devfn, &reg);
    pci_bus_config_write(h->bus, busno, devfn, reg, size, (uint32_t)value);
}

const struct bus_dev_ops pci_host_pio_ops = { pci_host_pio_read, pci_host_pio_write };
const struct bus_dev_ops pci_host_ecam_ops = { pci_host_ecam_read, pci_host_ecam_write };

int pci_host_init(struct pci_host *h, struct pci_bus *bus, const struct bus_dev_ops *rcr_ops,
                  void *rcr_dev)
{
    memset(h, 0, sizeof(*h));
    h->bus = bus;
    h->rcr_ops = rcr_ops;
    h->rcr_dev = rcr_dev;
    const struct pci_dev_id id = {
        .vendor = PCI_HOST_VENDOR,
        .device = PCI_HOST_DEVICE,
        .subsys_vendor = PCI_HOST_VENDOR,
        .subsys = PCI_HOST_DEVICE,
        .class_code = PCI_HOST_CLASS,
    };
    int e = pci_dev_init(&h->bridge, &id, false, NULL, NULL);
    if (e)
        return e;
    e = pci_bus_add_at(bus, &h->bridge, PCI_DEVFN(0, 0));
    if (e) {
        pci_dev_destroy(&h->bridge);
        return e;
    }
    return 0;
}

void pci_host_destroy(struct pci_host *h)
{
    pci_dev_destroy(&h->bridge);
}
