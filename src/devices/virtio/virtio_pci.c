/* The virtio-pci modern transport; see virtio_pci.h. */
#include "devices/virtio/virtio_pci.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"

/* --- Interrupts (section 4.1.5.3, 4.1.5.4) --- */

static void pci_update_isr(struct virtio_pci *p, uint8_t set, bool clear_all, uint8_t *old_out)
{
    pthread_mutex_lock(&p->irq_lock);
    uint8_t old = p->regs.isr;
    p->regs.isr = clear_all ? 0 : (uint8_t)(old | set);
    if ((old != 0) != (p->regs.isr != 0))
        pci_dev_set_intx(&p->pci, p->regs.isr != 0);
    pthread_mutex_unlock(&p->irq_lock);
    if (old_out)
        *old_out = old;
}

/* Sends vector vec if MSI-X is on; returns false when INTx must be used. */
static bool pci_signal_msix(struct virtio_pci *p, uint16_t vec)
{
    if (vec != VIRTIO_MSI_NO_VECTOR && pci_msix_notify(&p->pci, vec))
        return true;
    /* Enabled but no (valid) vector: the driver asked for no interrupt. */
    return pci_msix_enabled(&p->pci);
}

static void pci_notify_queue(void *ctx, unsigned q)
{
    struct virtio_pci *p = ctx;
    uint16_t vec = q < VIRTIO_PCI_MAX_QUEUES
                       ? __atomic_load_n(&p->regs.queue_msix_vector[q], __ATOMIC_RELAXED)
                       : VIRTIO_MSI_NO_VECTOR;
    if (!pci_signal_msix(p, vec))
        pci_update_isr(p, VIRTIO_ISR_QUEUE, false, NULL);
}

static void pci_notify_config(void *ctx)
{
    struct virtio_pci *p = ctx;
    uint16_t vec = __atomic_load_n(&p->regs.config_msix_vector, __ATOMIC_RELAXED);
    /* Section 4.1.4.5.1: the config bit is set in the ISR in either mode. */
    if (pci_signal_msix(p, vec)) {
        pthread_mutex_lock(&p->irq_lock);
        p->regs.isr |= VIRTIO_ISR_CONFIG;
        pthread_mutex_unlock(&p->irq_lock);
    } else {
        pci_update_isr(p, VIRTIO_ISR_CONFIG, false, NULL);
    }
}

/* --- Common configuration (section 4.1.4.3) --- */

static struct virtq *pci_queue(struct virtio_pci *p)
{
    return p->regs.queue_select < p->dev->nvq ? &p->dev->vq[p->regs.queue_select] : NULL;
}

static uint16_t pci_checked_vector(struct virtio_pci *p, uint16_t vec)
{
    return vec < p->pci.msix.nvec ? vec : VIRTIO_MSI_NO_VECTOR;
}

static uint64_t half(uint64_t v, bool high)
{
    return high ? v >> 32 : (uint32_t)v;
}

/* The value of the field at off of the given size, or false when no field
 * is there (64-bit queue addresses may also be read as 32-bit halves). */
static bool common_read(struct virtio_pci *p, unsigned off, unsigned size, uint64_t *v)
{
    struct virtio_dev *d = p->dev;
    struct virtq *q = pci_queue(p);
    unsigned qi = p->regs.queue_select;
    switch (off | size << 8) {
    case VIRTIO_PCI_COMMON_DFSELECT | 4 << 8: *v = p->regs.device_feature_select; return true;
    case VIRTIO_PCI_COMMON_DF | 4 << 8:
        *v = virtio_dev_host_features(d, p->regs.device_feature_select);
        return true;
    case VIRTIO_PCI_COMMON_GFSELECT | 4 << 8: *v = p->regs.driver_feature_select; return true;
    case VIRTIO_PCI_COMMON_GF | 4 << 8:
        *v = virtio_dev_driver_features(d, p->regs.driver_feature_select);
        return true;
    case VIRTIO_PCI_COMMON_MSIX | 2 << 8: *v = p->regs.config_msix_vector; return true;
    case VIRTIO_PCI_COMMON_NUMQ | 2 << 8: *v = d->nvq; return true;
    case VIRTIO_PCI_COMMON_STATUS | 1 << 8: *v = virtio_dev_status(d); return true;
    case VIRTIO_PCI_COMMON_CFGGENERATION | 1 << 8:
        *v = (uint8_t)virtio_dev_config_generation(d);
        return true;
    case VIRTIO_PCI_COMMON_Q_SELECT | 2 << 8: *v = qi; return true;
    case VIRTIO_PCI_COMMON_Q_SIZE | 2 << 8: *v = q ? q->size : 0; return true;
    case VIRTIO_PCI_COMMON_Q_MSIX | 2 << 8:
        *v = q ? p->regs.queue_msix_vector[qi] : VIRTIO_MSI_NO_VECTOR;
        return true;
    case VIRTIO_PCI_COMMON_Q_ENABLE | 2 << 8: *v = q ? q->ready : 0; return true;
    case VIRTIO_PCI_COMMON_Q_NOFF | 2 << 8: *v = q ? qi : 0; return true;
    case VIRTIO_PCI_COMMON_Q_NDATA | 2 << 8: *v = q ? qi : 0; return true;
    case VIRTIO_PCI_COMMON_Q_RESET | 2 << 8: *v = 0; return true;
    case VIRTIO_PCI_COMMON_Q_DESCLO | 8 << 8: *v = q ? q->desc_addr : 0; return true;
    case VIRTIO_PCI_COMMON_Q_AVAILLO | 8 << 8: *v = q ? q->driver_addr : 0; return true;
    case VIRTIO_PCI_COMMON_Q_USEDLO | 8 << 8: *v = q ? q->device_addr : 0; return true;
    }
    if (size == 4 && off >= VIRTIO_PCI_COMMON_Q_DESCLO && off < VIRTIO_PCI_COMMON_Q_NDATA) {
        uint64_t a = !q ? 0
                     : off < VIRTIO_PCI_COMMON_Q_AVAILLO ? q->desc_addr
                     : off < VIRTIO_PCI_COMMON_Q_USEDLO  ? q->driver_addr
                                                         : q->device_addr;
        *v = half(a, off & 4);
        return true;
    }
    return false;
}

static void set_addr(uint64_t *reg, unsigned off, unsigned size, uint64_t val)
{
    if (size == 8)
        *reg = val;
    else if (off & 4)
        *reg = (*reg & 0xffffffffull) | (uint64_t)(uint32_t)val << 32;
    else
        *reg = (*reg & ~0xffffffffull) | (uint32_t)val;
}

static void common_queue_write(struct virtio_pci *p, unsigned off, unsigned size, uint64_t val)
{
    /* Queue fields are writable only before DRIVER_OK (section 4.1.4.3.2). */
    struct virtq *q = virtio_dev_queue_cfg(p->dev, p->regs.queue_select);
    if (!q)
        return;
    if (size == 2 && off == VIRTIO_PCI_COMMON_Q_SIZE)
        q->size = (uint16_t)val;
    else if (size == 2 && off == VIRTIO_PCI_COMMON_Q_ENABLE)
        q->ready = val == 1;
    else if ((size == 4 || (size == 8 && !(off & 4))) && off >= VIRTIO_PCI_COMMON_Q_DESCLO &&
             off < VIRTIO_PCI_COMMON_Q_NDATA) {
        uint64_t *reg = off < VIRTIO_PCI_COMMON_Q_AVAILLO ? &q->desc_addr
                        : off < VIRTIO_PCI_COMMON_Q_USEDLO ? &q->driver_addr
                                                            : &q->device_addr;
        set_addr(reg, off, size, val);
    }
}

static void common_write(struct virtio_pci *p, unsigned off, unsigned size, uint64_t val)
{
    struct virtio_dev *d = p->dev;
    unsigned qi = p->regs.queue_select;
    switch (off | size << 8) {
    case VIRTIO_PCI_COMMON_DFSELECT | 4 << 8: p->regs.device_feature_select = (uint32_t)val; return;
    case VIRTIO_PCI_COMMON_GFSELECT | 4 << 8: p->regs.driver_feature_select = (uint32_t)val; return;
    case VIRTIO_PCI_COMMON_GF | 4 << 8:
        virtio_dev_set_driver_features(d, p->regs.driver_feature_select, (uint32_t)val);
        return;
    case VIRTIO_PCI_COMMON_MSIX | 2 << 8:
        __atomic_store_n(&p->regs.config_msix_vector, pci_checked_vector(p, (uint16_t)val),
                         __ATOMIC_RELAXED);
        return;
    case VIRTIO_PCI_COMMON_STATUS | 1 << 8:
        virtio_dev_set_status(d, (uint8_t)val);
        if (val == 0) {
            pci_update_isr(p, 0, true, NULL);
            __atomic_store_n(&p->regs.config_msix_vector, VIRTIO_MSI_NO_VECTOR, __ATOMIC_RELAXED);
            for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
                __atomic_store_n(&p->regs.queue_msix_vector[i], VIRTIO_MSI_NO_VECTOR,
                                 __ATOMIC_RELAXED);
        }
        return;
    case VIRTIO_PCI_COMMON_Q_SELECT | 2 << 8: p->regs.queue_select = (uint16_t)val; return;
    case VIRTIO_PCI_COMMON_Q_MSIX | 2 << 8:
        if (qi < d->nvq && virtio_dev_queue_cfg(d, qi))
            __atomic_store_n(&p->regs.queue_msix_vector[qi], pci_checked_vector(p, (uint16_t)val),
                             __ATOMIC_RELAXED);
        return;
    }
    common_queue_write(p, off, size, val);
}

/* --- BAR 0 --- */

static bool in_device_cfg(uint64_t off)
{
    return off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_DEVICE_OFF + VIRTIO_PCI_DEVICE_LEN;
}

static uint64_t bar_read_locked(struct virtio_pci *p, uint64_t off, unsigned size, bool peek)
{
    uint64_t v = 0;
    if (off < VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_LEN) {
        common_read(p, (unsigned)off, size, &v);
    } else if (off >= VIRTIO_PCI_ISR_OFF && off < VIRTIO_PCI_ISR_OFF + VIRTIO_PCI_ISR_LEN) {
        uint8_t isr;
        if (peek) {
            pthread_mutex_lock(&p->irq_lock);
            isr = p->regs.isr;
            pthread_mutex_unlock(&p->irq_lock);
        } else {
            /* Section 4.1.4.5: reading the ISR clears it and de-asserts INTx. */
            pci_update_isr(p, 0, true, &isr);
        }
        v = off == VIRTIO_PCI_ISR_OFF ? isr : 0;
    } else if (in_device_cfg(off)) {
        v = virtio_dev_config_read(p->dev, (unsigned)(off - VIRTIO_PCI_DEVICE_OFF), size);
    }
    return v;
}

static void bar_write_locked(struct virtio_pci *p, uint64_t off, uint64_t val, unsigned size)
{
    if (off < VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_LEN) {
        common_write(p, (unsigned)off, size, val);
    } else if (in_device_cfg(off)) {
        virtio_dev_config_write(p->dev, (unsigned)(off - VIRTIO_PCI_DEVICE_OFF), val, size);
    } else if (off >= VIRTIO_PCI_NOTIFY_OFF &&
               off < VIRTIO_PCI_NOTIFY_OFF + (uint64_t)VIRTIO_PCI_NOTIFY_MULT * p->dev->nvq) {
        /* The address names the queue (queue_notify_off = index). */
        virtio_dev_queue_notify(p->dev, (unsigned)(off - VIRTIO_PCI_NOTIFY_OFF) /
                                            VIRTIO_PCI_NOTIFY_MULT);
    }
}

static uint64_t vpci_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size)
{
    struct virtio_pci *p = d->opaque;
    if (bar != VIRTIO_PCI_BAR)
        return 0;
    pthread_mutex_lock(&p->lock);
    uint64_t v = bar_read_locked(p, off, size, false);
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void vpci_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, uint64_t val,
                           unsigned size)
{
    struct virtio_pci *p = d->opaque;
    if (bar != VIRTIO_PCI_BAR)
        return;
    pthread_mutex_lock(&p->lock);
    bar_write_locked(p, off, val, size);
    pthread_mutex_unlock(&p->lock);
}

/* The VIRTIO_PCI_CAP_PCI_CFG window (section 4.1.4.9): after the driver
 * writes bar/offset/length, pci_cfg_data holds the addressed BAR bytes
 * (read without side effects: an ISR read through the window does not clear
 * it); a write of pci_cfg_data writes them to the BAR. */
static void vpci_config_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    struct virtio_pci *p = d->opaque;
    unsigned cap = p->cfg_cap;
    (void)val;
    if (!cap || off + size <= cap + VIRTIO_PCI_CAP_BAR || off >= cap + VIRTIO_PCI_CFG_CAP_SIZE)
        return;
    unsigned bar = pci_dev_get8(d, cap + VIRTIO_PCI_CAP_BAR);
    uint32_t boff = pci_dev_get32(d, cap + VIRTIO_PCI_CAP_OFFSET);
    uint32_t len = pci_dev_get32(d, cap + VIRTIO_PCI_CAP_LENGTH);
    if (bar != VIRTIO_PCI_BAR || (len != 1 && len != 2 && len != 4) || boff % len ||
        !range_within(boff, len, VIRTIO_PCI_BAR_SIZE))
        return;
    unsigned data = cap + VIRTIO_PCI_CFG_CAP_DATA;
    pthread_mutex_lock(&p->lock);
    if (off >= data) {
        uint32_t v = pci_dev_get32(d, data);
        bar_write_locked(p, boff, len == 4 ? v : v & ((1u << (8 * len)) - 1), len);
    } else {
        pci_dev_set32(d, data, (uint32_t)bar_read_locked(p, boff, len, true));
    }
    pthread_mutex_unlock(&p->lock);
}

static const struct pci_dev_ops vpci_ops = {
    .bar_read = vpci_bar_read,
    .bar_write = vpci_bar_write,
    .config_write = vpci_config_write,
};

/* Adds one struct virtio_pci_cap (plus extra bytes); returns its offset. */
static int add_cap(struct pci_dev *d, uint8_t type, unsigned caplen, uint32_t off, uint32_t len)
{
    int c = pci_add_capability(d, PCI_CAP_ID_VNDR, caplen);
    if (c < 0)
        return c;
    pci_dev_set8(d, (unsigned)c + VIRTIO_PCI_CAP_LEN_OFF, (uint8_t)caplen);
    pci_dev_set8(d, (unsigned)c + VIRTIO_PCI_CAP_CFG_TYPE, type);
    pci_dev_set8(d, (unsigned)c + VIRTIO_PCI_CAP_BAR, VIRTIO_PCI_BAR);
    pci_dev_set32(d, (unsigned)c + VIRTIO_PCI_CAP_OFFSET, off);
    pci_dev_set32(d, (unsigned)c + VIRTIO_PCI_CAP_LENGTH, len);
    return c;
}

static int add_caps(struct virtio_pci *p)
{
    struct pci_dev *d = &p->pci;
    int c = add_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_COMMON_OFF,
                    VIRTIO_PCI_COMMON_LEN);
    if (c >= 0) {
        c = add_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_CAP_SIZE, VIRTIO_PCI_NOTIFY_OFF,
                    VIRTIO_PCI_NOTIFY_MULT * MAX(p->dev->nvq, 1u));
        if (c >= 0)
            pci_dev_set32(d, (unsigned)c + VIRTIO_PCI_NOTIFY_CAP_MULT, VIRTIO_PCI_NOTIFY_MULT);
    }
    if (c >= 0)
        c = add_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_ISR_OFF,
                    VIRTIO_PCI_ISR_LEN);
    if (c >= 0 && p->dev->config_len)
        c = add_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_DEVICE_OFF,
                    p->dev->config_len);
    if (c >= 0) {
        c = add_cap(d, VIRTIO_PCI_CAP_PCI_CFG, VIRTIO_PCI_CFG_CAP_SIZE, 0, 0);
        if (c >= 0) {
            p->cfg_cap = (unsigned)c;
            /* bar, offset, length and data are the driver's to write. */
            pci_dev_set_writable(d, (unsigned)c + VIRTIO_PCI_CAP_BAR, 1, 0xff);
            pci_dev_set_writable(d, (unsigned)c + VIRTIO_PCI_CAP_OFFSET, 12, 0xff);
        }
    }
    return c < 0 ? c : 0;
}

int virtio_pci_init(struct virtio_pci *p, struct virtio_dev *dev, uint32_t class_code)
{
    if (dev->nvq > VIRTIO_PCI_MAX_QUEUES || dev->config_len > VIRTIO_PCI_DEVICE_LEN)
        return -EINVAL;
    memset(p, 0, sizeof(*p));
    p->dev = dev;
    p->regs.config_msix_vector = VIRTIO_MSI_NO_VECTOR;
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
        p->regs.queue_msix_vector[i] = VIRTIO_MSI_NO_VECTOR;
    const struct pci_dev_id id = {
        .vendor = VIRTIO_PCI_VENDOR, .device = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + dev->device_id),
        .subsys_vendor = VIRTIO_PCI_VENDOR, .subsys = VIRTIO_PCI_SUBSYS,
        .class_code = class_code, .revision = VIRTIO_PCI_REVISION, .intx_pin = 1,
    };
    int rc = pci_dev_init(&p->pci, &id, false, &vpci_ops, p);
    if (rc)
        return rc;
    rc = pci_dev_add_bar(&p->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM32, VIRTIO_PCI_BAR_SIZE, false);
    if (!rc)
        rc = add_caps(p);
    if (!rc)
        rc = pci_msix_init(&p->pci, dev->nvq + 1, VIRTIO_PCI_BAR, VIRTIO_PCI_MSIX_TABLE_OFF,
                           VIRTIO_PCI_MSIX_PBA_OFF);
    if (!rc)
        rc = -pthread_mutex_init(&p->lock, NULL);
    if (!rc) {
        rc = -pthread_mutex_init(&p->irq_lock, NULL);
        if (rc)
            pthread_mutex_destroy(&p->lock);
    }
    if (rc) {
        pci_dev_destroy(&p->pci);
        return rc;
    }
    dev->transport = (struct virtio_transport){ pci_notify_queue, pci_notify_config, p };
    return 0;
}

void virtio_pci_destroy(struct virtio_pci *p)
{
    pthread_mutex_destroy(&p->irq_lock);
    pthread_mutex_destroy(&p->lock);
    pci_dev_destroy(&p->pci);
}
