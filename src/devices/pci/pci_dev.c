/* PCI function: config space with write masks, BARs, capabilities; see
 * pci_dev.h. */
#include "devices/pci/pci_dev.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "devices/pci/pci_bus.h"

/* COMMAND bits a guest may change; STATUS error bits it clears by writing 1
 * (PCI 3.0 section 6.2.2 and 6.2.3). */
#define PCI_COMMAND_WRITABLE                                                                 \
    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |         \
     PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define PCI_STATUS_W1C 0xf900

uint8_t pci_dev_get8(const struct pci_dev *d, unsigned off)
{
    return off < PCIE_CFG_SIZE ? d->regs.config[off] : 0;
}

uint16_t pci_dev_get16(const struct pci_dev *d, unsigned off)
{
    return (uint16_t)(pci_dev_get8(d, off) | pci_dev_get8(d, off + 1) << 8);
}

uint32_t pci_dev_get32(const struct pci_dev *d, unsigned off)
{
    return (uint32_t)pci_dev_get16(d, off) | (uint32_t)pci_dev_get16(d, off + 2) << 16;
}

void pci_dev_set8(struct pci_dev *d, unsigned off, uint8_t v)
{
    if (off < PCIE_CFG_SIZE)
        d->regs.config[off] = v;
}

void pci_dev_set16(struct pci_dev *d, unsigned off, uint16_t v)
{
    pci_dev_set8(d, off, (uint8_t)v);
    pci_dev_set8(d, off + 1, (uint8_t)(v >> 8));
}

void pci_dev_set32(struct pci_dev *d, unsigned off, uint32_t v)
{
    pci_dev_set16(d, off, (uint16_t)v);
    pci_dev_set16(d, off + 2, (uint16_t)(v >> 16));
}

static void set_mask16(uint8_t *mask, unsigned off, uint16_t v)
{
    mask[off] = (uint8_t)v;
    mask[off + 1] = (uint8_t)(v >> 8);
}

static void set_mask32(uint8_t *mask, unsigned off, uint32_t v)
{
    set_mask16(mask, off, (uint16_t)v);
    set_mask16(mask, off + 2, (uint16_t)(v >> 16));
}

void pci_dev_set_writable(struct pci_dev *d, unsigned off, unsigned len, uint8_t mask)
{
    for (unsigned i = 0; i < len && off + i < d->cfg_size; i++)
        d->wmask[off + i] = mask;
}

int pci_dev_init(struct pci_dev *d, const struct pci_dev_id *id, bool pcie,
                 const struct pci_dev_ops *ops, void *opaque)
{
    if (id->intx_pin > 4)
        return -EINVAL;
    memset(d, 0, sizeof(*d));
    int e = pthread_mutex_init(&d->msix.lock, NULL);
    if (e)
        return -e;
    d->cfg_size = pcie ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
    d->cap_next = PCI_CAP_START;
    d->ops = ops;
    d->opaque = opaque;
    pci_dev_set16(d, PCI_VENDOR_ID, id->vendor);
    pci_dev_set16(d, PCI_DEVICE_ID, id->device);
    pci_dev_set8(d, PCI_REVISION_ID, id->revision);
    pci_dev_set8(d, PCI_CLASS_PROG, (uint8_t)id->class_code);
    pci_dev_set16(d, PCI_CLASS_DEVICE, (uint16_t)(id->class_code >> 8));
    pci_dev_set16(d, PCI_SUBSYSTEM_VENDOR_ID, id->subsys_vendor);
    pci_dev_set16(d, PCI_SUBSYSTEM_ID, id->subsys);
    pci_dev_set8(d, PCI_INTERRUPT_PIN, id->intx_pin);
    set_mask16(d->wmask, PCI_COMMAND, PCI_COMMAND_WRITABLE);
    set_mask16(d->w1cmask, PCI_STATUS, PCI_STATUS_W1C);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    return 0;
}

void pci_dev_destroy(struct pci_dev *d)
{
    pthread_mutex_destroy(&d->msix.lock);
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

int pci_dev_add_bar(struct pci_dev *d, unsigned n, enum pci_bar_kind kind, uint64_t size,
                    bool prefetch)
{
    unsigned slots = kind == PCI_BAR_MEM64 ? 2 : 1;
    if (n >= PCI_NUM_BARS || n + slots > PCI_NUM_BARS || !is_pow2(size))
        return -EINVAL;
    for (unsigned i = n; i < n + slots; i++)
        if (d->bar[i].kind != PCI_BAR_UNUSED || (i > 0 && d->bar[i - 1].kind == PCI_BAR_MEM64))
            return -EBUSY;
    unsigned off = PCI_BAR0 + 4 * n;
    uint32_t low;
    switch (kind) {
    case PCI_BAR_IO:
        if (size < 4 || size > 256 || prefetch)
            return -EINVAL;
        low = PCI_BAR_SPACE_IO;
        set_mask32(d->wmask, off, (uint32_t)~(size - 1) & ~3u);
        break;
    case PCI_BAR_MEM32:
        if (size < 16 || size > GiB(2))
            return -EINVAL;
        low = prefetch ? PCI_BAR_MEM_PREFETCH : 0;
        set_mask32(d->wmask, off, (uint32_t)~(size - 1) & ~0xfu);
        break;
    case PCI_BAR_MEM64:
        if (size < 16 || size > (1ull << 62))
            return -EINVAL;
        low = PCI_BAR_MEM_TYPE_64 | (prefetch ? PCI_BAR_MEM_PREFETCH : 0);
        set_mask32(d->wmask, off, (uint32_t)~(size - 1) & ~0xfu);
        set_mask32(d->wmask, off + 4, (uint32_t)(~(size - 1) >> 32));
        break;
    default:
        return -EINVAL;
    }
    pci_dev_set32(d, off, low);
    d->bar[n].kind = kind;
    d->bar[n].size = size;
    return 0;
}

uint64_t pci_dev_bar_addr(const struct pci_dev *d, unsigned n)
{
    if (n >= PCI_NUM_BARS)
        return 0;
    uint32_t low = pci_dev_get32(d, PCI_BAR0 + 4 * n);
    switch (d->bar[n].kind) {
    case PCI_BAR_IO:
        return low & ~3u;
    case PCI_BAR_MEM32:
        return low & ~0xfu;
    case PCI_BAR_MEM64:
        return (low & ~0xfull) | (uint64_t)pci_dev_get32(d, PCI_BAR0 + 4 * n + 4) << 32;
    default:
        return 0;
    }
}

int pci_add_capability(struct pci_dev *d, uint8_t id, unsigned len)
{
    if (len < 2)
        return -EINVAL;
    unsigned off = ALIGN_UP(d->cap_next, 4u);
    /* Standard capabilities live below 0x100 (pointers are 8 bits). */
    if (off + len > PCI_CFG_SIZE)
        return -ENOSPC;
    /* Append to the end of the list so capabilities appear in the order
     * they were added. */
    unsigned link = PCI_CAPABILITY_LIST;
    for (unsigned hops = 0; pci_dev_get8(d, link); hops++) {
        if (hops >= PCI_CFG_SIZE / 4)
            return -ENOSPC; /* a corrupted (cyclic) list */
        link = pci_dev_get8(d, link) + 1u;
    }
    pci_dev_set8(d, link, (uint8_t)off);
    pci_dev_set8(d, off, id);
    pci_dev_set8(d, off + 1, 0);
    pci_dev_set16(d, PCI_STATUS, pci_dev_get16(d, PCI_STATUS) | PCI_STATUS_CAP_LIST);
    d->cap_next = off + len;
    return (int)off;
}

/* GUEST: every byte offset is compared with cfg_size (<= the array size)
 * before it indexes config[], wmask[] or w1cmask[] (also on write). */
uint32_t pci_dev_config_read(const struct pci_dev *d, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = off + i < d->cfg_size ? d->regs.config[off + i] : 0;
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static bool in_range(unsigned off, unsigned size, unsigned start, unsigned len)
{
    return off < start + len && start < off + size;
}

unsigned pci_dev_config_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    for (unsigned i = 0; i < size; i++) {
        unsigned o = off + i;
        if (o >= d->cfg_size)
            break;
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t c = d->regs.config[o];
        c = (uint8_t)((c & ~d->wmask[o]) | (b & d->wmask[o]));
        c &= (uint8_t)~(b & d->w1cmask[o]);
        d->regs.config[o] = c;
    }
    unsigned what = 0;
    if (in_range(off, size, PCI_COMMAND, 2))
        what |= PCI_DEV_WROTE_COMMAND;
    if (in_range(off, size, PCI_BAR0, 4 * PCI_NUM_BARS))
        what |= PCI_DEV_WROTE_BAR;
    if (d->msix.nvec && in_range(off, size, d->msix.cap, PCI_MSIX_CAP_LEN))
        what |= PCI_DEV_WROTE_MSIX;
    return what;
}

void pci_dev_set_intx(struct pci_dev *d, bool level)
{
    if (d->bus)
        pci_bus_intx_update(d->bus, d, level);
    else
        d->regs.intx_level = level;
}
