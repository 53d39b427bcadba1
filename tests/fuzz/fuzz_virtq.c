/* libFuzzer harness for the virtqueue walker: the input is a queue
 * configuration followed by the contents of a small guest RAM holding the
 * rings, descriptors and indirect tables. The device side pops every chain
 * it can (split or packed), writes into the writable parts, returns them
 * and evaluates notification suppression, as a device does. The sanitizers
 * catch any access outside guest RAM or the iovec array. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "common/log.h"
#include "core/guest_mem.h"
#include "devices/virtio/virtio_dev.h"
#include "devices/virtio/virtq.h"
#include "fuzz_util.h"

#define RAM_SIZE 0x10000
#define MAX_IOV 16

/* A ring address: mostly inside RAM (sometimes misaligned or at the end),
 * sometimes anywhere. */
static uint64_t take_addr(struct fuzz_input *in)
{
    uint64_t a = fuzz_take(in, 2);
    return fuzz_take(in, 1) == 0xff ? a << 20 : a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
    log_set_level(LOG_ERROR);
    struct fuzz_input in = { data, size };
    uint8_t mode = (uint8_t)fuzz_take(&in, 1);
    uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1);
    if (mode & 1)
        features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    if (mode & 2)
        features |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    if (mode & 4)
        features |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    struct virtq q = { .max_size = 256 };
    virtq_reset(&q);
    q.size = (uint16_t)fuzz_take(&in, 2);
    if (!(mode & 8))
        q.size &= 0x1ff; /* mostly plausible sizes */
    q.desc_addr = take_addr(&in);
    q.driver_addr = take_addr(&in);
    q.device_addr = take_addr(&in);
    q.ready = true;
    memset(ram, 0, sizeof(ram));
    memcpy(ram, in.p, in.n < RAM_SIZE ? in.n : RAM_SIZE);
    struct guest_mem mem;
    gmem_init_flat(&mem, ram, RAM_SIZE);
    if (virtq_activate(&q, &mem, features))
        return 0;
    struct iovec iov[MAX_IOV];
    struct virtq_chain c = { .iov = iov, .max_iov = MAX_IOV };
    /* Bounded: a well-formed ring yields at most `size` chains per lap. */
    for (unsigned round = 0; round < 2u * q.size + 2; round++) {
        int rc = virtq_pop(&q, &c);
        if (rc < 0)
            break;
        if (rc == 0) {
            if (!virtq_enable_kick(&q))
                break;
            continue;
        }
        uint8_t buf[64];
        virtq_chain_read(&c, 0, buf, sizeof(buf));
        memset(buf, 0xa5, sizeof(buf));
        uint32_t w = virtq_chain_write(&c, c.in_len > 8 ? c.in_len - 8 : 0, buf, sizeof(buf));
        virtq_push(&q, &c, w);
        if (round & 1) {
            virtq_publish(&q);
            virtq_should_notify(&q);
        }
    }
    virtq_publish(&q);
    virtq_should_notify(&q);
    return 0;
}
