/* A guest-side virtqueue driver for tests: lays out split or packed rings
 * in a block of test "guest RAM", adds chains (direct or through an
 * indirect table), and reads used entries back, the way a guest driver
 * does. Raw setters let tests write hostile rings. */
#ifndef VMON_TESTS_VIRTIO_VIRTQ_DRIVER_H
#define VMON_TESTS_VIRTIO_VIRTQ_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtq.h"

/* Guest RAM at gpa 0 with a bump allocator. */
struct vdrv_mem {
    uint8_t *host;
    uint64_t size;
    uint64_t brk;
    struct guest_mem gm;
};

void vdrv_mem_init(struct vdrv_mem *m, uint64_t size);
void vdrv_mem_free(struct vdrv_mem *m);
/* Zeroed guest memory; returns its guest physical address. */
uint64_t vdrv_alloc(struct vdrv_mem *m, uint64_t len, uint64_t align);
void *vdrv_host(struct vdrv_mem *m, uint64_t gpa);

struct vdrv_buf {
    uint64_t gpa;
    uint32_t len;
    bool write; /* device-writable */
};

struct vdrv_queue {
    struct vdrv_mem *mem;
    bool packed;
    uint16_t size;
    uint64_t desc, driver, device;
    uint16_t next_desc;            /* split: next free descriptor (round robin) */
    uint16_t avail_idx, used_idx;  /* split */
    uint16_t pos, used_pos;        /* packed */
    bool wrap, used_wrap;          /* packed */
    uint16_t slots[256];           /* packed: ring slots of the chain with id i (mod 256) */
};

/* Allocates rings for size entries. */
void vdrv_queue_init(struct vdrv_queue *q, struct vdrv_mem *m, uint16_t size, bool packed);
/* Writes the queue's configuration into a device queue, as a transport
 * does for the driver (size, addresses, ready). */
void vdrv_queue_config(const struct vdrv_queue *q, struct virtq *vq);

/* Makes a chain of n buffers available. Split: returns the head index;
 * packed: the chain gets buffer id `id` and id is returned. With indirect,
 * the buffers go to a new indirect table referenced by one descriptor. */
int vdrv_add(struct vdrv_queue *q, const struct vdrv_buf *b, unsigned n, bool indirect,
             uint16_t id);
/* Takes the next used entry; false when none. */
bool vdrv_used(struct vdrv_queue *q, uint32_t *id, uint32_t *len);

/* Raw split ring access. */
void vdrv_split_desc(struct vdrv_queue *q, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next);
void vdrv_split_avail(struct vdrv_queue *q, uint16_t head); /* ring entry + idx++ */
void vdrv_split_set_avail_idx(struct vdrv_queue *q, uint16_t idx);
uint16_t vdrv_split_used_idx(struct vdrv_queue *q);
void vdrv_split_set_used_event(struct vdrv_queue *q, uint16_t ev);
uint16_t vdrv_split_avail_event(struct vdrv_queue *q);
void vdrv_split_set_avail_flags(struct vdrv_queue *q, uint16_t flags);
/* Raw packed descriptor write at ring position i. */
void vdrv_packed_desc(struct vdrv_queue *q, unsigned i, uint64_t addr, uint32_t len, uint16_t id,
                      uint16_t flags);
void vdrv_packed_set_event(struct vdrv_queue *q, uint16_t off_wrap, uint16_t flags);
/* The AVAIL/USED bits that mark a descriptor available in the current lap. */
uint16_t vdrv_packed_avail_bits(const struct vdrv_queue *q);

#endif
