/* Guest-side virtqueue driver for tests; see virtq_driver.h. */
#include "virtio/virtq_driver.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void vdrv_mem_init(struct vdrv_mem *m, uint64_t size)
{
    m->host = aligned_alloc(4096, size);
    memset(m->host, 0, size);
    m->size = size;
    m->brk = 0x1000; /* gpa 0 stays unused */
    gmem_init_flat(&m->gm, m->host, size);
}

void vdrv_mem_free(struct vdrv_mem *m)
{
    free(m->host);
    memset(m, 0, sizeof(*m));
}

uint64_t vdrv_alloc(struct vdrv_mem *m, uint64_t len, uint64_t align)
{
    uint64_t gpa = ALIGN_UP(m->brk, align);
    m->brk = gpa + len;
    if (m->brk > m->size)
        abort();
    memset(m->host + gpa, 0, len);
    return gpa;
}

void *vdrv_host(struct vdrv_mem *m, uint64_t gpa)
{
    return m->host + gpa;
}

void vdrv_queue_init(struct vdrv_queue *q, struct vdrv_mem *m, uint16_t size, bool packed)
{
    memset(q, 0, sizeof(*q));
    q->mem = m;
    q->packed = packed;
    q->size = size;
    q->wrap = q->used_wrap = true;
    if (packed) {
        q->desc = vdrv_alloc(m, 16ull * size, 16);
        q->driver = vdrv_alloc(m, 4, 4);
        q->device = vdrv_alloc(m, 4, 4);
    } else {
        q->desc = vdrv_alloc(m, virtq_split_desc_bytes(size), 16);
        q->driver = vdrv_alloc(m, virtq_split_avail_bytes(size, true), 2);
        q->device = vdrv_alloc(m, virtq_split_used_bytes(size, true), 4);
    }
}

void vdrv_queue_config(const struct vdrv_queue *q, struct virtq *vq)
{
    vq->size = q->size;
    vq->desc_addr = q->desc;
    vq->driver_addr = q->driver;
    vq->device_addr = q->device;
    vq->ready = true;
}

static uint8_t *at(struct vdrv_queue *q, uint64_t gpa)
{
    return vdrv_host(q->mem, gpa);
}

void vdrv_split_desc(struct vdrv_queue *q, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t *p = at(q, q->desc + 16ull * i);
    put_le64(p, addr);
    put_le32(p + 8, len);
    put_le16(p + 12, flags);
    put_le16(p + 14, next);
}

void vdrv_split_set_avail_idx(struct vdrv_queue *q, uint16_t idx)
{
    q->avail_idx = idx;
    __atomic_store_n((uint16_t *)at(q, q->driver + 2), idx, __ATOMIC_RELEASE);
}

void vdrv_split_avail(struct vdrv_queue *q, uint16_t head)
{
    put_le16(at(q, q->driver + 4 + 2ull * (q->avail_idx % q->size)), head);
    vdrv_split_set_avail_idx(q, (uint16_t)(q->avail_idx + 1));
}

uint16_t vdrv_split_used_idx(struct vdrv_queue *q)
{
    return __atomic_load_n((uint16_t *)at(q, q->device + 2), __ATOMIC_ACQUIRE);
}

void vdrv_split_set_used_event(struct vdrv_queue *q, uint16_t ev)
{
    put_le16(at(q, q->driver + 4 + 2ull * q->size), ev);
}

uint16_t vdrv_split_avail_event(struct vdrv_queue *q)
{
    return get_le16(at(q, q->device + 4 + 8ull * q->size));
}

void vdrv_split_set_avail_flags(struct vdrv_queue *q, uint16_t flags)
{
    put_le16(at(q, q->driver), flags);
}

uint16_t vdrv_packed_avail_bits(const struct vdrv_queue *q)
{
    return q->wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

void vdrv_packed_desc(struct vdrv_queue *q, unsigned i, uint64_t addr, uint32_t len, uint16_t id,
                      uint16_t flags)
{
    uint8_t *p = at(q, q->desc + 16ull * i);
    put_le64(p, addr);
    put_le32(p + 8, len);
    put_le16(p + 12, id);
    __atomic_store_n((uint16_t *)(p + 14), flags, __ATOMIC_RELEASE);
}

void vdrv_packed_set_event(struct vdrv_queue *q, uint16_t off_wrap, uint16_t flags)
{
    put_le16(at(q, q->driver), off_wrap);
    put_le16(at(q, q->driver + 2), flags);
}

/* Writes n descriptors (16 bytes each) at table gpa, split layout chained by next. */
static uint64_t indirect_table(struct vdrv_queue *q, const struct vdrv_buf *b, unsigned n)
{
    uint64_t t = vdrv_alloc(q->mem, 16ull * n, 16);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = at(q, t + 16ull * i);
        uint16_t flags = b[i].write ? VIRTQ_DESC_F_WRITE : 0;
        if (!q->packed && i + 1 < n)
            flags |= VIRTQ_DESC_F_NEXT;
        put_le64(p, b[i].gpa);
        put_le32(p + 8, b[i].len);
        put_le16(p + 12, q->packed ? 0 : flags);
        put_le16(p + 14, q->packed ? flags : (uint16_t)(i + 1));
    }
    return t;
}

static int add_split(struct vdrv_queue *q, const struct vdrv_buf *b, unsigned n, bool indirect)
{
    uint16_t head = q->next_desc;
    if (indirect) {
        uint64_t t = indirect_table(q, b, n);
        vdrv_split_desc(q, head, t, 16u * n, VIRTQ_DESC_F_INDIRECT, 0);
        q->next_desc = (uint16_t)((head + 1) % q->size);
    } else {
        for (unsigned i = 0; i < n; i++) {
            uint16_t d = q->next_desc, next = (uint16_t)((d + 1) % q->size);
            uint16_t flags = (b[i].write ? VIRTQ_DESC_F_WRITE : 0) |
                             (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
            vdrv_split_desc(q, d, b[i].gpa, b[i].len, flags, next);
            q->next_desc = next;
        }
    }
    vdrv_split_avail(q, head);
    return head;
}

static int add_packed(struct vdrv_queue *q, const struct vdrv_buf *b, unsigned n, bool indirect,
                      uint16_t id)
{
    uint16_t head = q->pos, head_flags = 0;
    unsigned count = indirect ? 1 : n;
    for (unsigned i = 0; i < count; i++) {
        uint16_t flags = vdrv_packed_avail_bits(q);
        uint64_t addr;
        uint32_t len;
        if (indirect) {
            addr = indirect_table(q, b, n);
            len = 16u * n;
            flags |= VIRTQ_DESC_F_INDIRECT;
        } else {
            addr = b[i].gpa;
            len = b[i].len;
            flags |= (b[i].write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
        }
        if (i == 0) {
            /* The head's flags are written last: they make the chain available. */
            head_flags = flags;
            uint8_t *p = at(q, q->desc + 16ull * q->pos);
            put_le64(p, addr);
            put_le32(p + 8, len);
            put_le16(p + 12, id);
        } else {
            vdrv_packed_desc(q, q->pos, addr, len, id, flags);
        }
        if (++q->pos == q->size) {
            q->pos = 0;
            q->wrap = !q->wrap;
        }
    }
    q->slots[id & 255] = (uint16_t)count;
    __atomic_store_n((uint16_t *)at(q, q->desc + 16ull * head + 14), head_flags, __ATOMIC_RELEASE);
    return id;
}

int vdrv_add(struct vdrv_queue *q, const struct vdrv_buf *b, unsigned n, bool indirect,
             uint16_t id)
{
    return q->packed ? add_packed(q, b, n, indirect, id) : add_split(q, b, n, indirect);
}

bool vdrv_used(struct vdrv_queue *q, uint32_t *id, uint32_t *len)
{
    if (!q->packed) {
        if (vdrv_split_used_idx(q) == q->used_idx)
            return false;
        uint8_t *e = at(q, q->device + 4 + 8ull * (q->used_idx % q->size));
        *id = get_le32(e);
        *len = get_le32(e + 4);
        q->used_idx++;
        return true;
    }
    uint8_t *p = at(q, q->desc + 16ull * q->used_pos);
    uint16_t flags = __atomic_load_n((uint16_t *)(p + 14), __ATOMIC_ACQUIRE);
    bool avail = flags & VIRTQ_DESC_F_AVAIL, used = flags & VIRTQ_DESC_F_USED;
    if (avail != q->used_wrap || used != q->used_wrap)
        return false;
    *id = get_le16(p + 12);
    *len = get_le32(p + 8);
    /* The device skips every slot the chain took (section 2.8.7). */
    unsigned next = q->used_pos + (q->slots[*id & 255] ? q->slots[*id & 255] : 1);
    if (next >= q->size) {
        next -= q->size;
        q->used_wrap = !q->used_wrap;
    }
    q->used_pos = (uint16_t)next;
    return true;
}
