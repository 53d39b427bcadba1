/* A descriptor chain as a device sees it: the guest buffers of one request,
 * checked and turned into host iovecs, device-readable ones first. The
 * split and packed ring walkers fill it through virtq_chain_add(); devices
 * read requests from it and write replies into it. */
#ifndef VMON_DEVICES_VIRTIO_VIRTQ_CHAIN_H
#define VMON_DEVICES_VIRTIO_VIRTQ_CHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"

/* Why a ring is broken. virtq_pop/virtq_activate return the negative value. */
enum virtq_error {
    VIRTQ_E_RING = 1,   /* size not allowed, or a ring misaligned / outside RAM */
    VIRTQ_E_AVAIL_IDX,  /* avail idx ran more than `size` entries ahead */
    VIRTQ_E_HEAD,       /* chain head index >= queue size */
    VIRTQ_E_NEXT,       /* next index >= table size */
    VIRTQ_E_LOOP,       /* chain longer than the queue size (or table): a loop */
    VIRTQ_E_ADDR,       /* buffer not wholly inside guest RAM */
    VIRTQ_E_LEN,        /* a direction's total length overflows 32 bits */
    VIRTQ_E_INDIRECT,   /* bad indirect table: not negotiated, nested, with NEXT,
                           size 0 / not a multiple of 16 / too many entries, not RAM */
    VIRTQ_E_ORDER,      /* device-readable buffer after a device-writable one */
    VIRTQ_E_TOO_MANY,   /* more segments than the device's iovec array holds */
};

/* One popped buffer: iov[0, nout) is device-readable ("out"), iov[nout,
 * nout + nin) device-writable ("in"). The iovec array belongs to the caller. */
struct virtq_chain {
    uint16_t id;         /* split: head index; packed: buffer id */
    uint16_t slots;      /* packed: ring descriptors the chain took */
    unsigned nout, nin;
    uint32_t out_len, in_len;
    struct iovec *iov;
    unsigned max_iov;
};

/* Starts an empty chain (keeps iov and max_iov). */
void virtq_chain_clear(struct virtq_chain *c);

/* Appends guest buffer [addr, addr+len): checks that it lies in guest RAM,
 * that readable buffers precede writable ones, the 32-bit totals and the
 * iovec capacity. Zero-length buffers are skipped. Returns 0 or a negative
 * enum virtq_error. */
int virtq_chain_add(struct virtq_chain *c, const struct guest_mem *mem, uint64_t addr,
                    uint32_t len, bool writable);

/* Copies up to len bytes from the readable part starting at byte off;
 * returns the bytes copied. */
uint32_t virtq_chain_read(const struct virtq_chain *c, uint32_t off, void *buf, uint32_t len);
/* Copies up to len bytes into the writable part starting at byte off (of
 * the writable part); returns the bytes copied. Never touches readable
 * buffers. */
uint32_t virtq_chain_write(const struct virtq_chain *c, uint32_t off, const void *buf,
                           uint32_t len);

const char *virtq_strerror(int err);

#endif
