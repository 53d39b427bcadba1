/* Transport-independent virtio device logic; see virtio_dev.h. */
#include "devices/virtio/virtio_dev.h"

#include <string.h>

#include "common/log.h"
#include "common/util.h"

void virtio_dev_init(struct virtio_dev *d, const char *name, uint32_t device_id,
                     uint64_t features, struct virtq *vq, unsigned nvq, uint16_t queue_max,
                     uint8_t *config, unsigned config_len, const struct virtio_dev_ops *ops,
                     void *opaque, const struct guest_mem *mem)
{
    *d = (struct virtio_dev){
        .name = name, .device_id = device_id, .host_features = features,
        .vq = vq, .nvq = nvq, .config = config, .config_len = config_len,
        .ops = ops, .opaque = opaque, .mem = mem,
    };
    for (unsigned i = 0; i < nvq; i++) {
        vq[i].max_size = queue_max;
        virtq_reset(&vq[i]);
    }
}

uint32_t virtio_dev_host_features(const struct virtio_dev *d, uint32_t sel)
{
    return sel < 2 ? (uint32_t)(d->host_features >> (32 * sel)) : 0;
}

uint32_t virtio_dev_driver_features(const struct virtio_dev *d, uint32_t sel)
{
    return sel < 2 ? (uint32_t)(d->regs.driver_features >> (32 * sel)) : 0;
}

void virtio_dev_set_driver_features(struct virtio_dev *d, uint32_t sel, uint32_t val)
{
    if (sel >= 2 || virtio_dev_status(d) & VIRTIO_STATUS_FEATURES_OK)
        return;
    unsigned shift = 32 * sel;
    d->regs.driver_features &= ~(0xffffffffull << shift);
    d->regs.driver_features |= (uint64_t)val << shift;
}

uint8_t virtio_dev_status(const struct virtio_dev *d)
{
    return __atomic_load_n(&d->regs.status, __ATOMIC_ACQUIRE);
}

bool virtio_dev_has_feature(const struct virtio_dev *d, unsigned bit)
{
    return bit < 64 && d->regs.driver_features >> bit & 1;
}

bool virtio_dev_broken(const struct virtio_dev *d)
{
    return virtio_dev_status(d) & VIRTIO_STATUS_NEEDS_RESET;
}

void virtio_dev_reset(struct virtio_dev *d)
{
    if (d->regs.activated && d->ops->reset)
        d->ops->reset(d);
    d->regs.activated = false;
    d->regs.driver_features = 0;
    __atomic_store_n(&d->regs.status, 0, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < d->nvq; i++)
        virtq_reset(&d->vq[i]);
}

static bool features_acceptable(const struct virtio_dev *d)
{
    uint64_t f = d->regs.driver_features;
    return !(f & ~d->host_features) && (f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

/* DRIVER_OK: maps every ready queue, then starts the device. */
static void activate(struct virtio_dev *d)
{
    for (unsigned i = 0; i < d->nvq; i++) {
        struct virtq *q = &d->vq[i];
        if (!q->ready)
            continue;
        int rc = virtq_activate(q, d->mem, d->regs.driver_features);
        if (rc) {
            virtio_dev_fail(d, i, virtq_strerror(rc));
            return;
        }
    }
    d->regs.activated = true;
    int rc = d->ops->activate ? d->ops->activate(d) : 0;
    if (rc) {
        d->regs.activated = false;
        virtio_dev_fail(d, 0, "the device could not start");
    }
}

void virtio_dev_set_status(struct virtio_dev *d, uint8_t val)
{
    if (val == 0) {
        virtio_dev_reset(d);
        return;
    }
    uint8_t old = virtio_dev_status(d);
    /* The driver never clears bits (section 2.1.1); NEEDS_RESET is the
     * device's own. */
    val = (uint8_t)((val | old) & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
    uint8_t added = val & ~old;
    if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(d)) {
        log_debug("%s: driver features %#llx refused", d->name,
                  (unsigned long long)d->regs.driver_features);
        val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
        added &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    }
    bool start = (added & VIRTIO_STATUS_DRIVER_OK) && (val & VIRTIO_STATUS_FEATURES_OK) &&
                 !(val & VIRTIO_STATUS_FAILED) && !(old & VIRTIO_STATUS_NEEDS_RESET);
    if ((added & VIRTIO_STATUS_DRIVER_OK) && !start)
        val &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
    /* Atomic OR so that a NEEDS_RESET set meanwhile by a device thread is
     * kept. */
    __atomic_or_fetch(&d->regs.status, val, __ATOMIC_ACQ_REL);
    if (start)
        activate(d);
}

struct virtq *virtio_dev_queue_cfg(struct virtio_dev *d, unsigned q)
{
    if (q >= d->nvq || virtio_dev_status(d) & VIRTIO_STATUS_DRIVER_OK || d->regs.activated)
        return NULL;
    return &d->vq[q];
}

static bool config_range_ok(const struct virtio_dev *d, unsigned off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) &&
           range_within(off, size, d->config_len);
}

uint64_t virtio_dev_config_read(const struct virtio_dev *d, unsigned off, unsigned size)
{
    uint64_t v = 0;
    if (config_range_ok(d, off, size))
        memcpy(&v, d->config + off, size);
    return v;
}

void virtio_dev_config_write(struct virtio_dev *d, unsigned off, uint64_t val, unsigned size)
{
    if (!d->ops->config_write || !config_range_ok(d, off, size))
        return;
    memcpy(d->config + off, &val, size);
    d->ops->config_write(d, off, size);
}

uint32_t virtio_dev_config_generation(const struct virtio_dev *d)
{
    return __atomic_load_n(&d->regs.config_generation, __ATOMIC_ACQUIRE);
}

void virtio_dev_queue_notify(struct virtio_dev *d, unsigned q)
{
    if (q >= d->nvq || !d->regs.activated || virtio_dev_broken(d) || !d->vq[q].ready)
        return;
    if (d->ops->queue_notify)
        d->ops->queue_notify(d, q);
}

void virtio_dev_notify(struct virtio_dev *d, unsigned q)
{
    if (d->transport.notify_queue)
        d->transport.notify_queue(d->transport.ctx, q);
}

void virtio_dev_fail(struct virtio_dev *d, unsigned q, const char *why)
{
    uint8_t old = __atomic_fetch_or(&d->regs.status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
    if (old & VIRTIO_STATUS_NEEDS_RESET)
        return;
    if (!__atomic_exchange_n(&d->regs.broken_logged, true, __ATOMIC_RELAXED))
        log_warn("%s: queue %u: %s; the device needs a reset by the guest", d->name, q, why);
    if (d->transport.notify_config)
        d->transport.notify_config(d->transport.ctx);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
    __atomic_add_fetch(&d->regs.config_generation, 1, __ATOMIC_ACQ_REL);
    if (d->transport.notify_config)
        d->transport.notify_config(d->transport.ctx);
}
