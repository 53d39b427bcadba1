/* The virtio-mmio transport, version 2; see virtio_mmio.h. */
#include "devices/virtio/virtio_mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "common/util.h"

/* Sets or clears interrupt causes and drives the line to match. */
static void mmio_update_isr(struct virtio_mmio *m, uint32_t set, uint32_t clear)
{
    pthread_mutex_lock(&m->irq_lock);
    uint32_t old = m->regs.interrupt_status;
    m->regs.interrupt_status = (old | set) & ~clear;
    bool was = old != 0, now = m->regs.interrupt_status != 0;
    if (was != now)
        irq_set(&m->irq, now);
    pthread_mutex_unlock(&m->irq_lock);
}

static uint32_t mmio_isr(struct virtio_mmio *m)
{
    pthread_mutex_lock(&m->irq_lock);
    uint32_t v = m->regs.interrupt_status;
    pthread_mutex_unlock(&m->irq_lock);
    return v;
}

static void mmio_notify_queue(void *ctx, unsigned q)
{
    (void)q;
    mmio_update_isr(ctx, VIRTIO_ISR_QUEUE, 0);
}

static void mmio_notify_config(void *ctx)
{
    mmio_update_isr(ctx, VIRTIO_ISR_CONFIG, 0);
}

int virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *dev, const struct irq_line *irq)
{
    *m = (struct virtio_mmio){ .dev = dev, .irq = *irq };
    int rc = pthread_mutex_init(&m->lock, NULL);
    if (rc)
        return -rc;
    rc = pthread_mutex_init(&m->irq_lock, NULL);
    if (rc) {
        pthread_mutex_destroy(&m->lock);
        return -rc;
    }
    dev->transport = (struct virtio_transport){ mmio_notify_queue, mmio_notify_config, m };
    return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *m)
{
    pthread_mutex_destroy(&m->irq_lock);
    pthread_mutex_destroy(&m->lock);
}

int virtio_mmio_cmdline(char *buf, size_t len, uint64_t base, unsigned gsi)
{
    int n = snprintf(buf, len, "virtio_mmio.device=%uK@%#" PRIx64 ":%u",
                     VIRTIO_MMIO_SIZE / 1024, base, gsi);
    return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static struct virtq *mmio_queue(struct virtio_mmio *m)
{
    return m->regs.queue_sel < m->dev->nvq ? &m->dev->vq[m->regs.queue_sel] : NULL;
}

static uint32_t mmio_reg_read(struct virtio_mmio *m, uint64_t off)
{
    struct virtio_dev *d = m->dev;
    struct virtq *q = mmio_queue(m);
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION_REG: return VIRTIO_MMIO_VERSION;
    case VIRTIO_MMIO_DEVICE_ID: return d->device_id;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return virtio_dev_host_features(d, m->regs.device_features_sel);
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? q->max_size : 0;
    case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return mmio_isr(m);
    case VIRTIO_MMIO_STATUS: return virtio_dev_status(d);
    /* No shared memory regions: a selected region has length -1. */
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH: return 0xffffffffu;
    case VIRTIO_MMIO_QUEUE_RESET: return 0;
    case VIRTIO_MMIO_CONFIG_GENERATION: return virtio_dev_config_generation(d);
    default: return 0;
    }
}

/* Writes one half of a 64-bit queue address. */
static void set_half(uint64_t *reg, bool high, uint32_t val)
{
    unsigned shift = high ? 32 : 0;
    *reg = (*reg & ~(0xffffffffull << shift)) | (uint64_t)val << shift;
}

static void mmio_queue_write(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
    /* Queue registers are writable only before DRIVER_OK (section 4.2.3.2). */
    struct virtq *q = virtio_dev_queue_cfg(m->dev, m->regs.queue_sel);
    if (!q)
        return;
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM: q->size = (uint16_t)MIN(val, 0xffffu); break;
    case VIRTIO_MMIO_QUEUE_READY: q->ready = val & 1; break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        set_half(&q->desc_addr, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        set_half(&q->driver_addr, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        set_half(&q->device_addr, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
        break;
    }
}

static void mmio_reg_write(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
    struct virtio_dev *d = m->dev;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->regs.device_features_sel = val; break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        virtio_dev_set_driver_features(d, m->regs.driver_features_sel, val);
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->regs.driver_features_sel = val; break;
    case VIRTIO_MMIO_QUEUE_SEL: m->regs.queue_sel = val; break;
    case VIRTIO_MMIO_QUEUE_NOTIFY: virtio_dev_queue_notify(d, val & 0xffff); break;
    case VIRTIO_MMIO_INTERRUPT_ACK: mmio_update_isr(m, 0, val); break;
    case VIRTIO_MMIO_STATUS:
        virtio_dev_set_status(d, (uint8_t)val);
        if (val == 0)
            mmio_update_isr(m, 0, ~0u);
        break;
    default: mmio_queue_write(m, off, val); break;
    }
}

static uint64_t mmio_read(void *dev, uint64_t off, unsigned size)
{
    struct virtio_mmio *m = dev;
    uint64_t v = 0;
    pthread_mutex_lock(&m->lock);
    if (off >= VIRTIO_MMIO_CONFIG)
        v = virtio_dev_config_read(m->dev, (unsigned)(off - VIRTIO_MMIO_CONFIG), size);
    else if (size == 4 && !(off & 3))
        v = mmio_reg_read(m, off);
    pthread_mutex_unlock(&m->lock);
    return v;
}

static void mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_mmio *m = dev;
    pthread_mutex_lock(&m->lock);
    if (off >= VIRTIO_MMIO_CONFIG)
        virtio_dev_config_write(m->dev, (unsigned)(off - VIRTIO_MMIO_CONFIG), val, size);
    else if (size == 4 && !(off & 3))
        mmio_reg_write(m, off, (uint32_t)val);
    pthread_mutex_unlock(&m->lock);
}

const struct bus_dev_ops virtio_mmio_ops = { mmio_read, mmio_write };
