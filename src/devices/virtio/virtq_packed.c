/* Packed virtqueue walker (VIRTIO 1.2 section 2.8); see virtq.h.
 *
 * Positions are ring slots below size with a wrap counter each (section
 * 2.8.1). A descriptor is available when its AVAIL flag equals the device's
 * avail wrap counter and its USED flag does not (section 2.8.1); the device
 * marks a used descriptor by setting both flags to its used wrap counter. */
#include "devices/virtio/virtq_packed.h"

#include <string.h>

#include "common/util.h"

static uint8_t *desc_p(struct virtq *q, unsigned i) { return q->host.desc + 16u * i; }
static uint8_t *desc_flags_p(struct virtq *q, unsigned i) { return desc_p(q, i) + 14; }

static void read_desc(const uint8_t *p, struct virtq_packed_desc *d)
{
    d->addr = get_le64(p);
    d->len = get_le32(p + 8);
    d->id = get_le16(p + 12);
    d->flags = get_le16(p + 14);
}

static bool desc_is_avail(uint16_t flags, bool wrap)
{
    bool avail = flags & VIRTQ_DESC_F_AVAIL, used = flags & VIRTQ_DESC_F_USED;
    return avail == wrap && used != wrap;
}

void virtq_packed_start(struct virtq *q)
{
    /* Device event suppression (device area): notifications enabled. The
     * driver reads it only after DRIVER_OK, which orders this store. */
    virtq_store16(q->host.device, 0, __ATOMIC_RELAXED);
    virtq_store16(q->host.device + 2, VIRTQ_EVENT_F_ENABLE, __ATOMIC_RELAXED);
}

bool virtq_packed_has_avail(struct virtq *q)
{
    /* Acquire pairs with the driver's write barrier before it stores the
     * head descriptor's flags (the last write making a chain available). */
    uint16_t flags = virtq_load16(desc_flags_p(q, q->next_avail), __ATOMIC_ACQUIRE);
    return desc_is_avail(flags, q->avail_wrap);
}

/* An indirect table of packed descriptors (section 2.8.19): consecutive
 * entries, NEXT is not used inside the table. */
static int walk_indirect(struct virtq *q, const struct virtq_packed_desc *d, struct virtq_chain *c)
{
    if (!q->indirect || d->flags & VIRTQ_DESC_F_NEXT || d->len == 0 || d->len % 16 ||
        d->len / 16 > q->size)
        return -VIRTQ_E_INDIRECT;
    /* GUEST: table address and length from the guest; gmem_ptr checks the
     * whole table is RAM, its length was bounded above. */
    const uint8_t *table = gmem_ptr(q->mem, d->addr, d->len);
    if (!table)
        return -VIRTQ_E_INDIRECT;
    for (unsigned i = 0; i < d->len / 16; i++) {
        struct virtq_packed_desc e;
        read_desc(table + 16u * i, &e);
        if (e.flags & VIRTQ_DESC_F_INDIRECT)
            return -VIRTQ_E_INDIRECT;
        int rc = virtq_chain_add(c, q->mem, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE);
        if (rc)
            return rc;
    }
    return 0;
}

int virtq_packed_pop(struct virtq *q, struct virtq_chain *c)
{
    if (!virtq_packed_has_avail(q))
        return 0;
    /* The chain's other descriptors were written before the head's flags,
     * which virtq_packed_has_avail loaded with acquire. */
    uint16_t pos = q->next_avail;
    bool wrap = q->avail_wrap;
    unsigned slots = 0;
    int rc = 0;
    struct virtq_packed_desc d;
    do {
        if (slots >= q->size)
            return -VIRTQ_E_LOOP;
        read_desc(desc_p(q, pos), &d);
        slots++;
        if (++pos == q->size) {
            pos = 0;
            wrap = !wrap;
        }
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            rc = walk_indirect(q, &d, c);
        else
            rc = virtq_chain_add(c, q->mem, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE);
        if (rc)
            return rc;
    } while (d.flags & VIRTQ_DESC_F_NEXT);
    /* Section 2.8.6: the buffer id is the one of the chain's last descriptor. */
    c->id = d.id;
    c->slots = (uint16_t)slots;
    q->next_avail = pos;
    q->avail_wrap = wrap;
    return 1;
}

void virtq_packed_push(struct virtq *q, const struct virtq_chain *c, uint32_t written)
{
    uint8_t *p = desc_p(q, q->next_used);
    put_le16(p + 12, c->id);
    put_le32(p + 8, written);
    uint16_t flags = q->used_wrap ? (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED) : 0;
    if (written)
        flags |= VIRTQ_DESC_F_WRITE;
    /* Release pairs with the driver's read barrier after it sees the USED
     * flag (before it reads id and len): they are visible first. */
    virtq_store16(p + 14, flags, __ATOMIC_RELEASE);
    /* Section 2.8.7: the used position skips every slot the chain took. */
    unsigned next = q->next_used + (c->slots ? c->slots : 1);
    if (next >= q->size) {
        next -= q->size;
        q->used_wrap = !q->used_wrap;
    }
    q->next_used = (uint16_t)next;
}

/* Distance in slots from position a to b going forward, counting wraps:
 * positions are mapped to 0 .. 2*size-1 by their wrap counter. */
static unsigned ring_distance(const struct virtq *q, uint16_t a, bool awrap, uint16_t b, bool bwrap)
{
    unsigned n = q->size;
    unsigned la = a + (awrap ? 0 : n), lb = b + (bwrap ? 0 : n);
    return (lb + 2 * n - la) % (2 * n);
}

bool virtq_packed_should_notify(struct virtq *q)
{
    /* Full barrier pairs with the driver's full barrier between writing its
     * event suppression structure and re-checking the ring for used
     * descriptors: either it sees our descriptor or we see its request. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t old = q->signalled_used;
    bool old_wrap = q->signalled_wrap, valid = q->signalled_valid;
    q->signalled_used = q->next_used;
    q->signalled_wrap = q->used_wrap;
    q->signalled_valid = true;
    uint16_t flags = virtq_load16(q->host.driver + 2, __ATOMIC_RELAXED) & 3;
    if (flags == VIRTQ_EVENT_F_DISABLE)
        return false;
    if (flags != VIRTQ_EVENT_F_DESC || !q->event_idx || !valid)
        return true;
    /* Section 2.8.10: notify once the used descriptor at off_wrap is written,
     * i.e. when it lies in [old, new). */
    uint16_t off_wrap = virtq_load16(q->host.driver, __ATOMIC_RELAXED);
    uint16_t off = off_wrap & 0x7fff;
    if (off >= q->size)
        return true;
    bool ewrap = off_wrap >> 15;
    unsigned span = ring_distance(q, old, old_wrap, q->next_used, q->used_wrap);
    unsigned to_event = ring_distance(q, old, old_wrap, off, ewrap);
    return to_event < span;
}
