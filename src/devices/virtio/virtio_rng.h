/* virtio-rng, the entropy device (VIRTIO 1.2 section 5.4): one request
 * queue whose device-writable buffers are filled from the host's
 * getrandom(2). No features, no configuration space. Requests are small and
 * answered at once on the notifying vCPU thread; at most
 * VIRTIO_RNG_MAX_BYTES are given per buffer. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_RNG_H
#define VMON_DEVICES_VIRTIO_VIRTIO_RNG_H

#include <sys/uio.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtio_dev.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_IOV 64
#define VIRTIO_RNG_MAX_BYTES 65536

struct virtio_rng {
    struct virtio_dev vdev;
    struct virtq vq;
    struct iovec iov[VIRTIO_RNG_MAX_IOV];
};

void virtio_rng_init(struct virtio_rng *r, const struct guest_mem *mem);

#endif
