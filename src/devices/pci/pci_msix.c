/* MSI-X vector table, PBA and delivery; see pci_msix.h. */
#include "devices/pci/pci_msix.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_dev.h"

static uint32_t msix_entry32(const struct pci_msix_regs *r, unsigned vec, unsigned field)
{
    return get_le32(&r->table[vec * PCI_MSIX_ENTRY_SIZE + field]);
}

static bool msix_pending(const struct pci_msix_regs *r, unsigned vec)
{
    return r->pba[vec / 64] >> (vec % 64) & 1;
}

static void msix_set_pending(struct pci_msix_regs *r, unsigned vec, bool on)
{
    if (on)
        r->pba[vec / 64] |= 1ull << (vec % 64);
    else
        r->pba[vec / 64] &= ~(1ull << (vec % 64));
}

static bool msix_vector_masked(const struct pci_msix_regs *r, unsigned vec)
{
    return r->masked || (msix_entry32(r, vec, PCI_MSIX_ENTRY_CTRL) & PCI_MSIX_ENTRY_MASKED);
}

/* Sends vec's message now. Called with the MSI-X lock held. */
static void msix_send(struct pci_dev *d, unsigned vec)
{
    const struct pci_msix_regs *r = &d->msix.regs;
    uint64_t addr = msix_entry32(r, vec, PCI_MSIX_ENTRY_ADDR_LO) |
                    (uint64_t)msix_entry32(r, vec, PCI_MSIX_ENTRY_ADDR_HI) << 32;
    uint32_t data = msix_entry32(r, vec, PCI_MSIX_ENTRY_DATA);
    const struct irq_chip *chip = d->bus ? d->bus->irqchip : NULL;
    if (chip && chip->send_msi)
        chip->send_msi(chip->ctx, addr, data);
}

/* Sends every pending vector that is no longer masked. */
static void msix_flush_pending(struct pci_dev *d)
{
    struct pci_msix_regs *r = &d->msix.regs;
    if (!r->enabled || r->masked)
        return;
    for (unsigned vec = 0; vec < d->msix.nvec; vec++) {
        if (msix_pending(r, vec) && !msix_vector_masked(r, vec)) {
            msix_set_pending(r, vec, false);
            msix_send(d, vec);
        }
    }
}

int pci_msix_init(struct pci_dev *d, unsigned nvec, unsigned bar, uint32_t table_off,
                  uint32_t pba_off)
{
    if (d->msix.nvec)
        return -EEXIST;
    if (nvec == 0 || nvec > PCI_MSIX_MAX_VECTORS || bar >= PCI_NUM_BARS)
        return -EINVAL;
    const struct pci_bar *b = &d->bar[bar];
    if (b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64)
        return -EINVAL;
    uint64_t table_len = (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE;
    uint64_t pba_len = ALIGN_UP((uint64_t)nvec, 64u) / 8;
    if ((table_off | pba_off) & 7 || !range_within(table_off, table_len, b->size) ||
        !range_within(pba_off, pba_len, b->size) ||
        ranges_overlap(table_off, table_len, pba_off, pba_len))
        return -EINVAL;
    int cap = pci_add_capability(d, PCI_CAP_ID_MSIX, PCI_MSIX_CAP_LEN);
    if (cap < 0)
        return cap;
    struct pci_msix *m = &d->msix;
    m->nvec = (uint16_t)nvec;
    m->bar = (uint8_t)bar;
    m->cap = (uint8_t)cap;
    m->table_off = table_off;
    m->pba_off = pba_off;
    /* Message Control: table size N-1, Enable and Function Mask writable. */
    pci_dev_set16(d, (unsigned)cap + PCI_MSIX_CTRL, (uint16_t)(nvec - 1));
    pci_dev_set_writable(d, (unsigned)cap + PCI_MSIX_CTRL + 1, 1,
                         (PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL) >> 8);
    pci_dev_set32(d, (unsigned)cap + PCI_MSIX_TABLE, table_off | bar);
    pci_dev_set32(d, (unsigned)cap + PCI_MSIX_PBA, pba_off | bar);
    /* Every vector starts masked (PCIe 6.0 section 7.7.2.4). */
    for (unsigned vec = 0; vec < nvec; vec++)
        put_le32(&m->regs.table[vec * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL],
                 PCI_MSIX_ENTRY_MASKED);
    return 0;
}

bool pci_msix_enabled(struct pci_dev *d)
{
    pthread_mutex_lock(&d->msix.lock);
    bool on = d->msix.regs.enabled;
    pthread_mutex_unlock(&d->msix.lock);
    return on;
}

bool pci_msix_notify(struct pci_dev *d, unsigned vec)
{
    struct pci_msix *m = &d->msix;
    if (vec >= m->nvec)
        return false;
    pthread_mutex_lock(&m->lock);
    bool enabled = m->regs.enabled;
    if (enabled) {
        if (msix_vector_masked(&m->regs, vec))
            msix_set_pending(&m->regs, vec, true);
        else
            msix_send(d, vec);
    }
    pthread_mutex_unlock(&m->lock);
    return enabled;
}

void pci_msix_config_written(struct pci_dev *d)
{
    struct pci_msix *m = &d->msix;
    if (!m->nvec)
        return;
    uint16_t ctrl = pci_dev_get16(d, m->cap + PCI_MSIX_CTRL);
    pthread_mutex_lock(&m->lock);
    m->regs.enabled = !!(ctrl & PCI_MSIX_CTRL_ENABLE);
    m->regs.masked = !!(ctrl & PCI_MSIX_CTRL_MASKALL);
    msix_flush_pending(d);
    pthread_mutex_unlock(&m->lock);
}

/* Where (bar, off, size) falls: 1 table, 2 PBA, 0 neither. The whole access
 * must lie inside the region. */
static int msix_region(const struct pci_msix *m, unsigned bar, uint64_t off, unsigned size,
                       uint64_t *rel)
{
    if (!m->nvec || bar != m->bar)
        return 0;
    uint64_t table_len = (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE;
    uint64_t pba_len = ALIGN_UP((uint64_t)m->nvec, 64u) / 8;
    if (off >= m->table_off && range_within(off - m->table_off, size, table_len)) {
        *rel = off - m->table_off;
        return 1;
    }
    if (off >= m->pba_off && range_within(off - m->pba_off, size, pba_len)) {
        *rel = off - m->pba_off;
        return 2;
    }
    return 0;
}

bool pci_msix_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
    struct pci_msix *m = &d->msix;
    uint64_t rel;
    int region = msix_region(m, bar, off, size, &rel);
    if (!region)
        return false;
    uint64_t v = 0;
    pthread_mutex_lock(&m->lock);
    /* GUEST: rel + size lies inside the table or PBA (msix_region). */
    const uint8_t *src = region == 1 ? m->regs.table : (const uint8_t *)m->regs.pba;
    memcpy(&v, src + rel, size);
    pthread_mutex_unlock(&m->lock);
    *val = v;
    return true;
}

bool pci_msix_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, uint64_t val, unsigned size)
{
    struct pci_msix *m = &d->msix;
    uint64_t rel;
    int region = msix_region(m, bar, off, size, &rel);
    if (!region)
        return false;
    if (region == 2)
        return true; /* the PBA is read-only */
    pthread_mutex_lock(&m->lock);
    /* GUEST: rel + size lies inside the table (msix_region). */
    memcpy(&m->regs.table[rel], &val, size);
    unsigned first = (unsigned)(rel / PCI_MSIX_ENTRY_SIZE);
    unsigned last = (unsigned)((rel + size - 1) / PCI_MSIX_ENTRY_SIZE);
    for (unsigned vec = first; vec <= last; vec++) {
        /* Vector Control: only the mask bit exists; the rest reads 0. */
        uint8_t *ctrl = &m->regs.table[vec * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL];
        put_le32(ctrl, get_le32(ctrl) & PCI_MSIX_ENTRY_MASKED);
    }
    msix_flush_pending(d);
    pthread_mutex_unlock(&m->lock);
    return true;
}
