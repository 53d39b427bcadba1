/* The guest-driver side shared by the harnesses that drive a whole virtio
 * device (virtio-net, virtio-console, virtio-vsock) with the unit tests'
 * virtqueue driver: guarded guest RAM whose last `window` bytes hold the
 * buffers (rings and indirect tables live below), feature negotiation,
 * ring setup, input-driven chains, raw descriptors and ring fields.
 *
 * virtio-net and virtio-console also share the whole operation loop
 * (fuzz_drv_run); each supplies its device-specific operations. */
#ifndef VMON_FUZZ_FUZZ_DRIVER_H
#define VMON_FUZZ_FUZZ_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtio_dev.h"
#include "fuzz_util.h"
#include "virtio/virtq_driver.h" /* tests/unit: the test driver */

#define FUZZ_DRV_MAX_QUEUES 3
#define FUZZ_DRV_MAX_BUFS 4 /* buffers in a chain of fuzz_drv_run's op 0/1 */

struct fuzz_drv {
    struct vdrv_mem m;
    struct vdrv_queue q[FUZZ_DRV_MAX_QUEUES];
    struct virtio_dev *dev;
    uint64_t window_base; /* buffers in [window_base, window_base + window) */
    uint32_t window;
    uint64_t ring_limit;  /* rings and indirect tables below this */
    uint16_t next_id;
};

/* Describes `ram` (ram_size bytes, e.g. from fuzz_guarded_ram) as guest
 * RAM with its last `window` bytes for buffers, for the device `dev`. */
void fuzz_drv_init(struct fuzz_drv *d, struct virtio_dev *dev, uint8_t *ram, uint64_t ram_size,
                   uint32_t window);

/* The same on zeroed guarded RAM that *ram keeps for the next inputs:
 * mapped (fuzz_guarded_ram) on the first call, cleared on every call. */
void fuzz_drv_fresh(struct fuzz_drv *d, struct virtio_dev *dev, uint8_t **ram,
                    uint64_t ram_size, uint32_t window);

/* ACKNOWLEDGE, DRIVER, the driver features and FEATURES_OK, as a driver
 * does (virtio 1.2, 3.1.1); the device may refuse. Restarts the ring
 * allocator. */
void fuzz_drv_negotiate(struct fuzz_drv *d, uint64_t features);

/* Lays out queue qi with `size` entries and tells the device. */
void fuzz_drv_setup_queue(struct fuzz_drv *d, unsigned qi, uint16_t size, bool packed);

/* Sets DRIVER_OK on top of the current status. */
void fuzz_drv_driver_ok(struct fuzz_drv *d);

/* A buffer address: a 2-byte offset into the window, or with `anywhere`
 * that offset spread over the address space (mostly outside guest RAM). */
uint64_t fuzz_drv_buf_addr(const struct fuzz_drv *d, struct fuzz_input *in, bool anywhere);

/* Up to `max` input bytes into the window at `off` (< window), clipped at
 * its end. */
void fuzz_drv_data(struct fuzz_drv *d, struct fuzz_input *in, uint32_t off, size_t max);

/* A raw descriptor from the input (slot, address, length, two 16-bit
 * fields) in queue qi; for split rings, with `avail`, also an avail entry. */
void fuzz_drv_raw_desc(struct fuzz_drv *d, struct fuzz_input *in, unsigned qi, bool anywhere,
                       bool avail);

/* The driver takes every used entry of q. */
void fuzz_drv_drain(struct vdrv_queue *q);

/* Ring control field `what` (0-3) of q set to v: packed rings, the device
 * event suppression area with flags `what`; split rings, 0 avail idx,
 * 1 used_event, 2 avail flags, 3 the driver drains the used ring. */
void fuzz_drv_ring_field(struct vdrv_queue *q, uint16_t v, unsigned what);

/* --- The operation loop of virtio-net and virtio-console --- */

/* Device-specific parts. The operations (first byte: bits 0-2 the
 * operation, bits 3-7 `opt`):
 *   0, 1  a chain of 1-4 buffers on queue txq or rxq
 *   2     a kick of queue opt & 1
 *   3     up to 32 input bytes into the window
 *   4     op4 (the device's host side)
 *   5     a raw descriptor (and split avail entry)
 *   6     a ring control field
 *   7     op7 (device-specific) */
struct fuzz_drv_ops {
    unsigned txq, rxq;
    void (*op4)(void *ctx, struct fuzz_input *in, uint8_t opt);
    void (*op7)(void *ctx, struct fuzz_input *in, uint8_t opt);
};

/* Negotiates features (5 bytes of input, masked by the offer), lays out two
 * rings (1 byte: 4 bits each, turned into a size by ring_size) and sets
 * DRIVER_OK. */
void fuzz_drv_start(struct fuzz_drv *d, struct fuzz_input *in,
                    uint16_t (*ring_size)(bool packed, unsigned bits));

/* Runs operations until the input is used up. */
void fuzz_drv_run(struct fuzz_drv *d, struct fuzz_input *in, const struct fuzz_drv_ops *ops,
                  void *ctx);

#endif
