/* Split virtqueue walker (VIRTIO 1.2 section 2.7); see virtq.h. */
#include "devices/virtio/virtq_split.h"

#include <string.h>

#include "common/util.h"

/* Ring layout: the available ring is flags, idx, ring[size], used_event; the
 * used ring is flags, idx, {id, len}[size], avail_event (sections 2.7.6,
 * 2.7.8). virtq_activate() mapped all of it. */
static uint8_t *avail_idx_p(struct virtq *q) { return q->host.driver + 2; }
static uint8_t *avail_ring_p(struct virtq *q, unsigned i)
{
    return q->host.driver + VIRTQ_AVAIL_RING_OFF + 2 * i;
}
static uint8_t *used_event_p(struct virtq *q) { return avail_ring_p(q, q->size); }
static uint8_t *used_idx_p(struct virtq *q) { return q->host.device + 2; }
static uint8_t *used_elem_p(struct virtq *q, unsigned i)
{
    return q->host.device + VIRTQ_USED_RING_OFF + VIRTQ_USED_ELEM_SIZE * i;
}
static uint8_t *avail_event_p(struct virtq *q) { return used_elem_p(q, q->size); }

/* Section 2.7.7.2: notify when new_idx has passed event since old. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static void read_desc(const uint8_t *table, unsigned i, struct virtq_desc *d)
{
    const uint8_t *p = table + 16u * i;
    d->addr = get_le64(p);
    d->len = get_le32(p + 8);
    d->flags = get_le16(p + 12);
    d->next = get_le16(p + 14);
}

/* Follows an indirect table (section 2.7.5.3) from its descriptor d. */
static int walk_indirect(struct virtq *q, const struct virtq_desc *d, struct virtq_chain *c)
{
    if (!q->indirect || d->flags & VIRTQ_DESC_F_NEXT || d->len == 0 || d->len % 16 ||
        d->len / 16 > q->size)
        return -VIRTQ_E_INDIRECT;
    unsigned n = d->len / 16;
    /* GUEST: the table address and length come from the guest; gmem_ptr
     * checks the whole table lies in RAM, its length was bounded above. */
    const uint8_t *table = gmem_ptr(q->mem, d->addr, d->len);
    if (!table)
        return -VIRTQ_E_INDIRECT;
    unsigned i = 0;
    for (unsigned count = 0;; count++) {
        if (count >= n)
            return -VIRTQ_E_LOOP;
        struct virtq_desc e;
        read_desc(table, i, &e);
        if (e.flags & VIRTQ_DESC_F_INDIRECT)
            return -VIRTQ_E_INDIRECT; /* nested */
        int rc = virtq_chain_add(c, q->mem, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE);
        if (rc)
            return rc;
        if (!(e.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (e.next >= n)
            return -VIRTQ_E_NEXT;
        i = e.next;
    }
}

/* Follows the chain starting at descriptor head (section 2.7.5.2). At most
 * `size` direct descriptors: a longer chain must contain a loop. */
static int walk_chain(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
    unsigned i = head;
    for (unsigned count = 0;; count++) {
        if (count >= q->size)
            return -VIRTQ_E_LOOP;
        struct virtq_desc d;
        read_desc(q->host.desc, i, &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            return walk_indirect(q, &d, c);
        int rc = virtq_chain_add(c, q->mem, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE);
        if (rc)
            return rc;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= q->size)
            return -VIRTQ_E_NEXT;
        i = d.next;
    }
}

int virtq_split_pop(struct virtq *q, struct virtq_chain *c)
{
    /* Acquire pairs with the driver's write barrier between filling the
     * ring entry (and descriptors) and publishing avail->idx: everything
     * read below was written before the index we see. */
    uint16_t avail = virtq_load16(avail_idx_p(q), __ATOMIC_ACQUIRE);
    uint16_t pending = (uint16_t)(avail - q->next_avail);
    if (pending == 0)
        return 0;
    if (pending > q->size)
        return -VIRTQ_E_AVAIL_IDX;
    uint16_t head = virtq_load16(avail_ring_p(q, q->next_avail & (q->size - 1)),
                                 __ATOMIC_RELAXED);
    q->next_avail++;
    if (head >= q->size)
        return -VIRTQ_E_HEAD;
    c->id = head;
    c->slots = 1;
    int rc = walk_chain(q, head, c);
    return rc ? rc : 1;
}

void virtq_split_push(struct virtq *q, const struct virtq_chain *c, uint32_t written)
{
    uint8_t *e = used_elem_p(q, q->next_used & (q->size - 1));
    put_le32(e, c->id);
    put_le32(e + 4, written);
    q->next_used++;
}

void virtq_split_publish(struct virtq *q)
{
    /* Release pairs with the driver's read barrier after it loads used->idx
     * (before it reads the used elements): the elements written by
     * virtq_split_push are visible before the index that covers them. */
    virtq_store16(used_idx_p(q), q->next_used, __ATOMIC_RELEASE);
}

bool virtq_split_should_notify(struct virtq *q)
{
    /* Full barrier pairs with the driver's full barrier between writing
     * used_event / clearing NO_INTERRUPT and re-reading used->idx: either it
     * sees our new index or we see its request for an interrupt. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t old = q->signalled_used;
    bool valid = q->signalled_valid;
    q->signalled_used = q->next_used;
    q->signalled_valid = true;
    if (q->event_idx) {
        uint16_t event = virtq_load16(used_event_p(q), __ATOMIC_RELAXED);
        return !valid || need_event(event, q->next_used, old);
    }
    uint16_t flags = virtq_load16(q->host.driver, __ATOMIC_RELAXED);
    return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_split_has_avail(struct virtq *q)
{
    /* Acquire: same pairing as in virtq_split_pop. */
    return virtq_load16(avail_idx_p(q), __ATOMIC_ACQUIRE) != q->next_avail;
}

bool virtq_split_enable_kick(struct virtq *q)
{
    if (q->event_idx)
        virtq_store16(avail_event_p(q), q->next_avail, __ATOMIC_RELAXED);
    /* Full barrier pairs with the driver's full barrier between publishing
     * avail->idx and reading avail_event (or used->flags) to decide whether
     * to notify: either it sees our avail_event or we see its new index. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return virtq_split_has_avail(q);
}
