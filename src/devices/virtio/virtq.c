/* Virtqueue configuration checks and the split/packed dispatch; see virtq.h. */
#include "devices/virtio/virtq.h"

#include "common/util.h"
#include "devices/virtio/virtio_dev.h"
#include "devices/virtio/virtq_packed.h"
#include "devices/virtio/virtq_split.h"

uint64_t virtq_split_desc_bytes(unsigned n)
{
    return 16ull * n;
}

uint64_t virtq_split_avail_bytes(unsigned n, bool event_idx)
{
    return VIRTQ_AVAIL_RING_OFF + 2ull * n + (event_idx ? 2 : 0);
}

uint64_t virtq_split_used_bytes(unsigned n, bool event_idx)
{
    return VIRTQ_USED_RING_OFF + (uint64_t)VIRTQ_USED_ELEM_SIZE * n + (event_idx ? 2 : 0);
}

void virtq_reset(struct virtq *q)
{
    uint16_t max = q->max_size;
    *q = (struct virtq){ .size = max, .max_size = max };
}

/* Host pointer for a whole ring area, or NULL when it is misaligned or not
 * inside one guest RAM region. */
static uint8_t *virtq_map(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t align)
{
    if (gpa & (align - 1))
        return NULL;
    /* GUEST: the ring address was written by the driver; gmem_ptr checks the
     * whole ring [gpa, gpa+len) lies in one RAM region. */
    return gmem_ptr(mem, gpa, len);
}

int virtq_activate(struct virtq *q, const struct guest_mem *mem, uint64_t features)
{
    q->packed = features & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    q->event_idx = features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    q->indirect = features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    unsigned n = q->size;
    if (n == 0 || n > q->max_size || n > VIRTQ_MAX_SIZE)
        return -VIRTQ_E_RING;
    if (q->packed) {
        /* Section 2.8.10.1: descriptors 16-byte aligned, event suppression
         * structures 4-byte aligned. */
        q->host.desc = virtq_map(mem, q->desc_addr, 16ull * n, 16);
        q->host.driver = virtq_map(mem, q->driver_addr, sizeof(struct virtq_event_suppress), 4);
        q->host.device = virtq_map(mem, q->device_addr, sizeof(struct virtq_event_suppress), 4);
    } else {
        /* Section 2.7.10.1: sizes are powers of two; alignments 16, 2, 4. */
        if (n & (n - 1))
            return -VIRTQ_E_RING;
        q->host.desc = virtq_map(mem, q->desc_addr, virtq_split_desc_bytes(n), 16);
        q->host.driver = virtq_map(mem, q->driver_addr, virtq_split_avail_bytes(n, true), 2);
        q->host.device = virtq_map(mem, q->device_addr, virtq_split_used_bytes(n, true), 4);
    }
    if (!q->host.desc || !q->host.driver || !q->host.device)
        return -VIRTQ_E_RING;
    q->mem = mem;
    q->next_avail = q->next_used = q->signalled_used = 0;
    q->avail_wrap = q->used_wrap = q->signalled_wrap = true; /* section 2.8.1: start at 1 */
    q->signalled_valid = false;
    if (q->packed)
        virtq_packed_start(q);
    q->active = true;
    return 0;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    virtq_chain_clear(c);
    if (!q->active)
        return 0;
    return q->packed ? virtq_packed_pop(q, c) : virtq_split_pop(q, c);
}

void virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t written)
{
    if (!q->active)
        return;
    if (q->packed)
        virtq_packed_push(q, c, written);
    else
        virtq_split_push(q, c, written);
}

void virtq_publish(struct virtq *q)
{
    if (q->active && !q->packed)
        virtq_split_publish(q);
}

bool virtq_should_notify(struct virtq *q)
{
    if (!q->active)
        return false;
    return q->packed ? virtq_packed_should_notify(q) : virtq_split_should_notify(q);
}

bool virtq_enable_kick(struct virtq *q)
{
    if (!q->active)
        return false;
    return q->packed ? virtq_packed_has_avail(q) : virtq_split_enable_kick(q);
}

bool virtq_has_avail(struct virtq *q)
{
    if (!q->active)
        return false;
    return q->packed ? virtq_packed_has_avail(q) : virtq_split_has_avail(q);
}
