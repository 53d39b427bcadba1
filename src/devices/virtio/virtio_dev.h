/* The transport-independent virtio device (VIRTIO 1.2 sections 2 and 3).
 *
 * A device (blk, rng, ...) fills in a struct virtio_dev with its ID, the
 * features it offers, its queues and its configuration space bytes, and a
 * struct virtio_dev_ops. A transport (virtio_mmio.c, virtio_pci.c) owns the
 * struct, maps its registers onto the calls below and supplies the
 * struct virtio_transport through which the device raises notifications.
 * Devices never know which transport carries them.
 *
 * Threads and locks: the transport serialises every call below that comes
 * from a guest register access (its own mutex). ops->queue_notify runs in
 * that context, on a vCPU thread; a device that does its work elsewhere only
 * wakes its worker there. Once activated, a device's queues belong to the
 * device's thread until ops->reset returns. virtio_dev_notify(),
 * virtio_dev_fail() and virtio_dev_config_changed() may be called from any
 * thread.
 *
 * A broken ring (virtq_pop error) or failed activation sets
 * DEVICE_NEEDS_RESET in the status (section 2.1.2), sends a configuration
 * change notification and is logged once per device; the device then ignores
 * notifications until the driver resets it. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_DEV_H
#define VMON_DEVICES_VIRTIO_VIRTIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtq.h"

/* Device status field (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Reserved feature bits (section 6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_BIT(n) (1ull << (n))

/* Device IDs (section 5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_VSOCK 19

/* Interrupt causes: MMIO InterruptStatus and PCI ISR bits (4.2.2, 4.1.4.5). */
#define VIRTIO_ISR_QUEUE 0x1
#define VIRTIO_ISR_CONFIG 0x2

/* Features every vmon device offers: modern only, both ring formats,
 * indirect descriptors, event index. */
#define VIRTIO_DEV_COMMON_FEATURES                                                           \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) |                     \
     VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

struct virtio_dev;

struct virtio_dev_ops {
    /* The driver wrote config bytes [off, off+len) (inside the config
     * space; already stored). May be NULL: the config is then read-only
     * and virtio_dev_config_write drops writes. */
    void (*config_write)(struct virtio_dev *d, unsigned off, unsigned len);
    /* The driver notified queue q (q < nvq, device active). */
    void (*queue_notify)(struct virtio_dev *d, unsigned q);
    /* DRIVER_OK: the ready queues are mapped (virtq.active). Returns 0 or a
     * negative errno (the device is then marked NEEDS_RESET). */
    int (*activate)(struct virtio_dev *d);
    /* Reset (section 2.4): stop using the queues and guest memory before
     * returning. Called only after a successful activate. */
    void (*reset)(struct virtio_dev *d);
};

/* How a device notifies the driver; filled in by the transport. */
struct virtio_transport {
    void (*notify_queue)(void *ctx, unsigned q); /* used buffers in queue q */
    void (*notify_config)(void *ctx);            /* configuration change */
    void *ctx;
};

/* Guest-visible common state, plain data. */
struct virtio_dev_regs {
    uint64_t driver_features;
    uint8_t status;            /* atomic: NEEDS_RESET is set from device threads */
    uint32_t config_generation; /* atomic */
    bool activated;
    bool broken_logged;
};

struct virtio_dev {
    struct virtio_dev_regs regs;
    const char *name;          /* for messages, e.g. "virtio-blk vda" */
    uint32_t device_id;
    uint64_t host_features;
    struct virtq *vq;
    unsigned nvq;
    uint8_t *config;           /* device config space bytes (little-endian) */
    unsigned config_len;
    const struct virtio_dev_ops *ops;
    void *opaque;              /* the device's own state */
    const struct guest_mem *mem;
    struct virtio_transport transport;
};

/* Sets d up; vq[0..nvq) get max_size queue_max and are reset. */
void virtio_dev_init(struct virtio_dev *d, const char *name, uint32_t device_id,
                     uint64_t features, struct virtq *vq, unsigned nvq, uint16_t queue_max,
                     uint8_t *config, unsigned config_len, const struct virtio_dev_ops *ops,
                     void *opaque, const struct guest_mem *mem);

/* --- For transports (under the transport's lock) --- */

/* 32 feature bits starting at bit 32*sel (0 past 64 bits). */
uint32_t virtio_dev_host_features(const struct virtio_dev *d, uint32_t sel);
/* Ignored once FEATURES_OK is set. */
void virtio_dev_set_driver_features(struct virtio_dev *d, uint32_t sel, uint32_t val);
uint32_t virtio_dev_driver_features(const struct virtio_dev *d, uint32_t sel);

uint8_t virtio_dev_status(const struct virtio_dev *d);
/* Status write (section 3.1): 0 resets the device; FEATURES_OK is kept only
 * if the driver's features are a subset of the offered ones and include
 * VERSION_1; DRIVER_OK after FEATURES_OK activates the queues and device. */
void virtio_dev_set_status(struct virtio_dev *d, uint8_t val);
void virtio_dev_reset(struct virtio_dev *d);

/* The queue the driver may still configure (before DRIVER_OK), or NULL. */
struct virtq *virtio_dev_queue_cfg(struct virtio_dev *d, unsigned q);

/* Config space access of 1, 2, 4 or 8 bytes; out of range reads 0, writes
 * are dropped. */
uint64_t virtio_dev_config_read(const struct virtio_dev *d, unsigned off, unsigned size);
void virtio_dev_config_write(struct virtio_dev *d, unsigned off, uint64_t val, unsigned size);
uint32_t virtio_dev_config_generation(const struct virtio_dev *d);

/* Driver notification of queue q: forwarded when the device is active and
 * not broken, q is in range and ready. */
void virtio_dev_queue_notify(struct virtio_dev *d, unsigned q);

/* --- For devices (any thread) --- */

bool virtio_dev_has_feature(const struct virtio_dev *d, unsigned bit);
/* Used-buffer notification for queue q (the caller checked
 * virtq_should_notify). */
void virtio_dev_notify(struct virtio_dev *d, unsigned q);
/* The driver broke queue q's ring or the device contract: NEEDS_RESET,
 * configuration notification, one log line per device. */
void virtio_dev_fail(struct virtio_dev *d, unsigned q, const char *why);
bool virtio_dev_broken(const struct virtio_dev *d);
/* The device changed its config space: new generation, notification. */
void virtio_dev_config_changed(struct virtio_dev *d);

#endif
