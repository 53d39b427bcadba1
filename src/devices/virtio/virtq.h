/* Virtqueues, device side: the split ring (VIRTIO 1.2 section 2.7) and the
 * packed ring (section 2.8), as seen by a device that reads what the driver
 * made available and returns used buffers.
 *
 * The guest is hostile. virtq_activate() checks the ring addresses and size
 * once; virtq_pop() checks every descriptor it follows:
 *   - split: the avail index may run at most `size` entries ahead, heads and
 *     `next` indices stay below the table size, a chain follows at most
 *     `size` direct descriptors (so a loop ends in an error);
 *   - indirect tables: length a non-zero multiple of 16 holding at most
 *     `size` entries, wholly in guest RAM, never nested, never combined with
 *     NEXT, only when VIRTIO_F_INDIRECT_DESC was negotiated;
 *   - every buffer [addr, addr+len) lies in one guest RAM region (gmem_ptr on
 *     the whole range), per-direction totals fit in 32 bits, device-writable
 *     buffers come after device-readable ones;
 *   - packed: a chain takes at most `size` ring slots.
 * A violation returns a negative enum virtq_error: the ring is broken and the
 * caller marks the device DEVICE_NEEDS_RESET (virtio_dev_fail). Zero-length
 * descriptors are allowed and skipped (they never touch memory).
 *
 * A queue is used by one thread at a time (the device's I/O thread once
 * activated); the guest's vCPUs write the rings concurrently, so shared ring
 * fields are read and written with atomics and the barriers named at each
 * site. All ring fields are little-endian; vmon runs on x86-64 only.
 *
 * struct virtq is plain data (snapshots can save it); `host` holds pointers
 * derived from the addresses by virtq_activate() and is rebuilt on restore. */
#ifndef VMON_DEVICES_VIRTIO_VIRTQ_H
#define VMON_DEVICES_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtq_chain.h"

#define VIRTQ_MAX_SIZE 32768 /* section 2.6: Queue Size is at most 32768 */

/* Split virtqueue descriptor (section 2.7.5): 16 bytes, 16-byte aligned table. */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

/* Available ring (section 2.7.6): flags, idx, ring[size], used_event. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_AVAIL_RING_OFF 4
/* Used ring (section 2.7.8): flags, idx, {le32 id, le32 len}[size], avail_event. */
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_USED_RING_OFF 4
#define VIRTQ_USED_ELEM_SIZE 8

/* Packed virtqueue descriptor (section 2.8.13). */
struct virtq_packed_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t id;
    uint16_t flags;
};
#define VIRTQ_DESC_F_AVAIL (1u << 7)
#define VIRTQ_DESC_F_USED (1u << 15)

/* Event suppression structure of the packed ring (section 2.8.14): the
 * driver area holds the driver's, the device area the device's. */
struct virtq_event_suppress {
    uint16_t off_wrap; /* bits 0-14 descriptor offset, bit 15 wrap counter */
    uint16_t flags;
};
#define VIRTQ_EVENT_F_ENABLE 0
#define VIRTQ_EVENT_F_DISABLE 1
#define VIRTQ_EVENT_F_DESC 2

_Static_assert(sizeof(struct virtq_desc) == 16, "section 2.7.5 layout");
_Static_assert(sizeof(struct virtq_packed_desc) == 16, "section 2.8.13 layout");

struct virtq {
    /* Guest-written configuration (transport registers, section 4). */
    uint16_t size;      /* QueueNum, 0 until the transport sets it */
    uint16_t max_size;  /* QueueNumMax, set by the device */
    bool ready;
    uint64_t desc_addr;   /* descriptor area */
    uint64_t driver_addr; /* split: available ring; packed: driver event suppression */
    uint64_t device_addr; /* split: used ring; packed: device event suppression */
    /* Negotiated at activation. */
    bool active, packed, event_idx, indirect;
    /* Device progress. Split: free-running 16-bit indices. Packed: ring
     * positions below size and their wrap counters (section 2.8.1). */
    uint16_t next_avail;
    uint16_t next_used;
    uint16_t signalled_used; /* next_used when the driver was last notified */
    bool avail_wrap, used_wrap, signalled_wrap;
    bool signalled_valid;
    /* Derived by virtq_activate (host views of the rings, not state). */
    struct {
        uint8_t *desc, *driver, *device;
    } host;
    const struct guest_mem *mem;
};

/* Ring field accessors. The driver writes the rings from other threads
 * (vCPUs), so every shared 16-bit field is read and written whole with an
 * atomic access; the memory order is chosen at each call site, next to a
 * comment naming the driver access it pairs with. Callers pass pointers
 * into a ring that virtq_activate() checked, 2-byte aligned. */
static inline uint16_t virtq_load16(const void *p, int order)
{
    return __atomic_load_n((const uint16_t *)p, order);
}

static inline void virtq_store16(void *p, uint16_t v, int order)
{
    __atomic_store_n((uint16_t *)p, v, order);
}

/* Back to the reset state (section 2.4): configuration cleared, size =
 * max_size, no progress. */
void virtq_reset(struct virtq *q);

/* Checks the configuration the driver wrote and maps the rings (features:
 * the negotiated VIRTIO_F_* bits). Split rings need a power-of-two size;
 * both need 1 <= size <= max_size and the alignments of sections 2.7.10.1
 * and 2.8.10.1. Returns 0 or -VIRTQ_E_RING. */
int virtq_activate(struct virtq *q, const struct guest_mem *mem, uint64_t features);

/* Takes the next available chain into c (c->iov/max_iov set by the caller).
 * Returns 1, 0 when nothing is available, or a negative enum virtq_error. */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Returns chain c to the driver with `written` bytes in its writable part.
 * Split rings publish the new used index with virtq_publish(); a packed
 * used descriptor is visible at once. */
void virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t written);
void virtq_publish(struct virtq *q);

/* After virtq_publish: whether the driver wants a used-buffer notification
 * now (avail flags or used_event; packed: driver event suppression). */
bool virtq_should_notify(struct virtq *q);

/* Called when the device found the queue empty: asks the driver for a
 * notification of the next buffer (event index: avail_event =
 * next_avail), then re-checks. Returns true when buffers arrived meanwhile
 * (the caller pops again instead of waiting). */
bool virtq_enable_kick(struct virtq *q);

/* True when a chain is available (no side effects). */
bool virtq_has_avail(struct virtq *q);

/* Ring sizes in bytes for a queue of n entries (sections 2.7 and 2.8). */
uint64_t virtq_split_desc_bytes(unsigned n);
uint64_t virtq_split_avail_bytes(unsigned n, bool event_idx);
uint64_t virtq_split_used_bytes(unsigned n, bool event_idx);

#endif
