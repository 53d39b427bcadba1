/* PCI bus 0: config dispatch, BAR windows, INTx; see pci_bus.h. */
#include "devices/pci/pci_bus.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

static uint64_t all_ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

int pci_bus_init(struct pci_bus *b, const struct irq_chip *irqchip, uint64_t mmio_base,
                 uint64_t mmio_size, uint64_t pio_base, uint64_t pio_size)
{
    memset(b, 0, sizeof(*b));
    b->irqchip = irqchip;
    b->mmio_base = mmio_base;
    b->mmio_size = mmio_size;
    b->pio_base = pio_base;
    b->pio_size = pio_size;
    int e = pthread_mutex_init(&b->cfg_lock, NULL);
    if (e)
        return -e;
    /* BAR moves are rare and must not starve behind a stream of vCPU
     * accesses: prefer the writer. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    e = pthread_rwlock_init(&b->map_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (e) {
        pthread_mutex_destroy(&b->cfg_lock);
        return -e;
    }
    e = pthread_mutex_init(&b->intx_lock, NULL);
    if (e) {
        pthread_rwlock_destroy(&b->map_lock);
        pthread_mutex_destroy(&b->cfg_lock);
        return -e;
    }
    return 0;
}

void pci_bus_destroy(struct pci_bus *b)
{
    pthread_mutex_destroy(&b->intx_lock);
    pthread_rwlock_destroy(&b->map_lock);
    pthread_mutex_destroy(&b->cfg_lock);
}

unsigned pci_bus_intx_gsi(unsigned slot, unsigned pin)
{
    return PCI_INTX_GSI_BASE + (slot + pin) % PCI_INTX_GSI_COUNT;
}

/* ---- INTx ---- */

static bool intx_effective(const struct pci_dev *d)
{
    return d->regs.intx_level && !d->intx_disabled && pci_dev_get8(d, PCI_INTERRUPT_PIN);
}

/* Applies a new pin level / disable bit and drives the shared line when
 * the OR of its functions changes. Called with intx_lock held. */
static void intx_apply(struct pci_bus *b, struct pci_dev *d, bool level, bool disabled)
{
    bool was = intx_effective(d);
    d->regs.intx_level = level;
    d->intx_disabled = disabled;
    bool now = intx_effective(d);
    if (was == now)
        return;
    unsigned pin = pci_dev_get8(d, PCI_INTERRUPT_PIN) - 1u;
    unsigned gsi = pci_bus_intx_gsi(PCI_DEVFN_SLOT(d->devfn), pin);
    uint16_t *count = &b->intx_count[gsi - PCI_INTX_GSI_BASE];
    if (now)
        (*count)++;
    else
        (*count)--;
    if (*count == (now ? 1 : 0)) {
        struct irq_line line = { b->irqchip, gsi };
        irq_set(&line, now);
    }
}

void pci_bus_intx_update(struct pci_bus *b, struct pci_dev *d, bool level)
{
    pthread_mutex_lock(&b->intx_lock);
    intx_apply(b, d, level, d->intx_disabled);
    pthread_mutex_unlock(&b->intx_lock);
}

/* ---- devices ---- */

int pci_bus_add_at(struct pci_bus *b, struct pci_dev *d, unsigned devfn)
{
    if (devfn >= PCI_MAX_DEVFN || d->bus)
        return -EINVAL;
    pthread_mutex_lock(&b->cfg_lock);
    if (b->dev[devfn]) {
        pthread_mutex_unlock(&b->cfg_lock);
        return -EBUSY;
    }
    d->devfn = (uint8_t)devfn;
    d->bus = b;
    uint8_t pin = pci_dev_get8(d, PCI_INTERRUPT_PIN);
    if (pin)
        pci_dev_set8(d, PCI_INTERRUPT_LINE,
                     (uint8_t)pci_bus_intx_gsi(PCI_DEVFN_SLOT(devfn), pin - 1u));
    /* Function 0 announces the other functions of its slot. */
    unsigned fn0 = PCI_DEVFN(PCI_DEVFN_SLOT(devfn), 0);
    bool multi = PCI_DEVFN_FN(devfn) != 0;
    for (unsigned fn = 1; fn < 8 && !multi; fn++)
        multi = b->dev[fn0 + fn] != NULL;
    b->dev[devfn] = d;
    if (multi && b->dev[fn0]) {
        struct pci_dev *f0 = b->dev[fn0];
        pci_dev_set8(f0, PCI_HEADER_TYPE, pci_dev_get8(f0, PCI_HEADER_TYPE) | PCI_HEADER_TYPE_MULTI);
    }
    pthread_mutex_unlock(&b->cfg_lock);
    return 0;
}

int pci_bus_add(struct pci_bus *b, struct pci_dev *d)
{
    for (unsigned slot = 0; slot < PCI_MAX_SLOTS; slot++) {
        unsigned devfn = PCI_DEVFN(slot, 0);
        int e = pci_bus_add_at(b, d, devfn);
        if (e == 0)
            return (int)devfn;
        if (e != -EBUSY)
            return e;
    }
    return -ENOSPC;
}

/* ---- BAR decoding ---- */

static bool bar_is_io(const struct pci_bar *bar)
{
    return bar->kind == PCI_BAR_IO;
}

/* Where BAR n decodes according to config space, if it does. */
static bool bar_decode(const struct pci_bus *b, const struct pci_dev *d, unsigned n, uint64_t *addr)
{
    const struct pci_bar *bar = &d->bar[n];
    if (bar->kind == PCI_BAR_UNUSED)
        return false;
    uint16_t cmd = pci_dev_get16(d, PCI_COMMAND);
    if (!(cmd & (bar_is_io(bar) ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
        return false;
    uint64_t base = bar_is_io(bar) ? b->pio_base : b->mmio_base;
    uint64_t size = bar_is_io(bar) ? b->pio_size : b->mmio_size;
    *addr = pci_dev_bar_addr(d, n);
    return *addr != 0 && *addr >= base && range_within(*addr - base, bar->size, size);
}

/* Recomputes d's BAR decode state, publishes it, then tells the device
 * about every BAR that changed. Called with cfg_lock held. */
static void bus_remap(struct pci_bus *b, struct pci_dev *d)
{
    struct pci_bar next[PCI_NUM_BARS];
    bool changed[PCI_NUM_BARS] = { false };
    bool any = false;
    for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
        next[n] = d->bar[n];
        uint64_t addr = 0;
        next[n].active = bar_decode(b, d, n, &addr);
        next[n].addr = next[n].active ? addr : 0;
        changed[n] = next[n].active != d->bar[n].active || next[n].addr != d->bar[n].addr;
        any |= changed[n];
    }
    if (!any)
        return;
    pthread_rwlock_wrlock(&b->map_lock);
    memcpy(d->bar, next, sizeof(next));
    pthread_rwlock_unlock(&b->map_lock);
    for (unsigned n = 0; n < PCI_NUM_BARS; n++)
        if (changed[n] && d->ops && d->ops->bar_map)
            d->ops->bar_map(d, n, next[n].addr, next[n].active);
}

static bool cfg_access_ok(unsigned busno, unsigned devfn, unsigned reg, unsigned size)
{
    if (busno != 0 || devfn >= PCI_MAX_DEVFN || reg >= PCIE_CFG_SIZE)
        return false;
    if (size != 1 && size != 2 && size != 4)
        return false;
    return (reg & 3) + size <= 4; /* within one dword */
}

uint32_t pci_bus_config_read(struct pci_bus *b, unsigned busno, unsigned devfn, unsigned reg,
                             unsigned size)
{
    /* GUEST: devfn < 256 indexes dev[]; reg + size stays inside the 4 KiB
     * config arrays (checked here, then per byte against cfg_size). */
    if (!cfg_access_ok(busno, devfn, reg, size))
        return (uint32_t)all_ones(size);
    pthread_mutex_lock(&b->cfg_lock);
    struct pci_dev *d = b->dev[devfn];
    if (!d) {
        pthread_mutex_unlock(&b->cfg_lock);
        return (uint32_t)all_ones(size);
    }
    uint32_t v = pci_dev_config_read(d, reg, size);
    if (reg <= PCI_STATUS && PCI_STATUS < reg + size) {
        /* STATUS.INTERRUPT shows the pin level, whatever INTX_DISABLE says. */
        unsigned shift = 8 * (PCI_STATUS - reg);
        pthread_mutex_lock(&b->intx_lock);
        if (d->regs.intx_level)
            v |= (uint32_t)PCI_STATUS_INTERRUPT << shift;
        else
            v &= ~((uint32_t)PCI_STATUS_INTERRUPT << shift);
        pthread_mutex_unlock(&b->intx_lock);
    }
    pthread_mutex_unlock(&b->cfg_lock);
    return v;
}

void pci_bus_config_write(struct pci_bus *b, unsigned busno, unsigned devfn, unsigned reg,
                          unsigned size, uint32_t val)
{
    /* GUEST: same bounds as pci_bus_config_read. */
    if (!cfg_access_ok(busno, devfn, reg, size))
        return;
    pthread_mutex_lock(&b->cfg_lock);
    struct pci_dev *d = b->dev[devfn];
    if (!d) {
        pthread_mutex_unlock(&b->cfg_lock);
        return;
    }
    unsigned what = pci_dev_config_write(d, reg, size, val);
    if (what & (PCI_DEV_WROTE_COMMAND | PCI_DEV_WROTE_BAR))
        bus_remap(b, d);
    if (what & PCI_DEV_WROTE_COMMAND) {
        bool disabled = pci_dev_get16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
        pthread_mutex_lock(&b->intx_lock);
        intx_apply(b, d, d->regs.intx_level, disabled);
        pthread_mutex_unlock(&b->intx_lock);
    }
    if (what & PCI_DEV_WROTE_MSIX)
        pci_msix_config_written(d);
    if (d->ops && d->ops->config_write)
        d->ops->config_write(d, reg, size, val);
    pthread_mutex_unlock(&b->cfg_lock);
}

/* ---- BAR assignment ---- */

struct bar_ref {
    struct pci_dev *d;
    unsigned n;
};

static int assign_space(struct pci_bus *b, bool io)
{
    struct bar_ref refs[PCI_MAX_DEVFN * PCI_NUM_BARS];
    size_t count = 0;
    for (unsigned devfn = 0; devfn < PCI_MAX_DEVFN; devfn++) {
        struct pci_dev *d = b->dev[devfn];
        for (unsigned n = 0; d && n < PCI_NUM_BARS; n++)
            if (d->bar[n].kind != PCI_BAR_UNUSED && bar_is_io(&d->bar[n]) == io)
                refs[count++] = (struct bar_ref){ d, n };
    }
    /* Largest first keeps every BAR naturally aligned with no gaps. */
    for (size_t i = 1; i < count; i++) {
        struct bar_ref r = refs[i];
        size_t j = i;
        for (; j > 0 && refs[j - 1].d->bar[refs[j - 1].n].size < r.d->bar[r.n].size; j--)
            refs[j] = refs[j - 1];
        refs[j] = r;
    }
    uint64_t base = io ? b->pio_base : b->mmio_base;
    uint64_t limit = base + (io ? b->pio_size : b->mmio_size);
    uint64_t next = base;
    for (size_t i = 0; i < count; i++) {
        struct pci_dev *d = refs[i].d;
        unsigned n = refs[i].n;
        uint64_t size = d->bar[n].size;
        uint64_t addr = ALIGN_UP(next, size);
        if (addr < next || addr > limit || size > limit - addr)
            return -ENOSPC;
        unsigned off = PCI_BAR0 + 4 * n;
        uint32_t low = pci_dev_get32(d, off);
        uint32_t type_bits = low & (io ? 3u : 0xfu);
        pci_dev_set32(d, off, (uint32_t)addr | type_bits);
        if (d->bar[n].kind == PCI_BAR_MEM64)
            pci_dev_set32(d, off + 4, (uint32_t)(addr >> 32));
        uint16_t cmd = pci_dev_get16(d, PCI_COMMAND);
        pci_dev_set16(d, PCI_COMMAND, cmd | (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY));
        next = addr + size;
    }
    return 0;
}

int pci_bus_assign_bars(struct pci_bus *b)
{
    pthread_mutex_lock(&b->cfg_lock);
    int e = assign_space(b, true);
    if (e == 0)
        e = assign_space(b, false);
    for (unsigned devfn = 0; devfn < PCI_MAX_DEVFN; devfn++)
        if (b->dev[devfn])
            bus_remap(b, b->dev[devfn]);
    pthread_mutex_unlock(&b->cfg_lock);
    if (e)
        log_error("pci: BARs do not fit in the PCI windows");
    return e;
}

/* ---- BAR dispatch ---- */

/* Finds the BAR decoding [addr, addr+size). Called with map_lock held. */
static struct pci_dev *bus_find_bar(const struct pci_bus *b, bool io, uint64_t addr, unsigned size,
                                    unsigned *n_out, uint64_t *off_out)
{
    for (unsigned devfn = 0; devfn < PCI_MAX_DEVFN; devfn++) {
        struct pci_dev *d = b->dev[devfn];
        if (!d)
            continue;
        for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
            const struct pci_bar *bar = &d->bar[n];
            if (!bar->active || bar_is_io(bar) != io || addr < bar->addr)
                continue;
            if (range_within(addr - bar->addr, size, bar->size)) {
                *n_out = n;
                *off_out = addr - bar->addr;
                return d;
            }
        }
    }
    return NULL;
}

static uint64_t bus_bar_read(struct pci_bus *b, bool io, uint64_t addr, unsigned size)
{
    uint64_t v = all_ones(size);
    unsigned n;
    uint64_t off;
    pthread_rwlock_rdlock(&b->map_lock);
    struct pci_dev *d = bus_find_bar(b, io, addr, size, &n, &off);
    if (d && !pci_msix_bar_read(d, n, off, size, &v) && d->ops && d->ops->bar_read)
        v = d->ops->bar_read(d, n, off, size);
    pthread_rwlock_unlock(&b->map_lock);
    return v;
}

static void bus_bar_write(struct pci_bus *b, bool io, uint64_t addr, uint64_t val, unsigned size)
{
    unsigned n;
    uint64_t off;
    pthread_rwlock_rdlock(&b->map_lock);
    struct pci_dev *d = bus_find_bar(b, io, addr, size, &n, &off);
    if (d && !pci_msix_bar_write(d, n, off, val, size) && d->ops && d->ops->bar_write)
        d->ops->bar_write(d, n, off, val, size);
    pthread_rwlock_unlock(&b->map_lock);
}

static uint64_t pci_bus_mmio_read(void *dev, uint64_t offset, unsigned size)
{
    struct pci_bus *b = dev;
    return bus_bar_read(b, false, b->mmio_base + offset, size);
}

static void pci_bus_mmio_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct pci_bus *b = dev;
    bus_bar_write(b, false, b->mmio_base + offset, value, size);
}

static uint64_t pci_bus_pio_read(void *dev, uint64_t offset, unsigned size)
{
    struct pci_bus *b = dev;
    return bus_bar_read(b, true, b->pio_base + offset, size);
}

static void pci_bus_pio_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct pci_bus *b = dev;
    bus_bar_write(b, true, b->pio_base + offset, value, size);
}

const struct bus_dev_ops pci_bus_mmio_ops = { pci_bus_mmio_read, pci_bus_mmio_write };
const struct bus_dev_ops pci_bus_pio_ops = { pci_bus_pio_read, pci_bus_pio_write };
