/* virtio-blk (VIRTIO 1.2 section 5.2) over a raw image file.
 *
 * Requests: IN, OUT, FLUSH (fdatasync of the image), GET_ID (the serial),
 * DISCARD (punches holes) and WRITE_ZEROES (zeroes the range), with the
 * matching config fields; one request queue per vCPU (VIRTIO_BLK_F_MQ).
 * Requests run on the device's I/O thread (blk_worker.h), never on a vCPU.
 * A read-only disk offers VIRTIO_BLK_F_RO and fails OUT, DISCARD and
 * WRITE_ZEROES with VIRTIO_BLK_S_IOERR.
 *
 * A request is a chain: a 16-byte device-readable header, data, and a
 * device-writable status byte last (section 5.2.6). A chain too short for
 * the header or without a writable status byte cannot be answered: the
 * device is marked NEEDS_RESET. Everything else that is wrong (sectors past
 * the end, data not a multiple of 512, a write on a read-only disk, bad
 * discard segments) is answered VIRTIO_BLK_S_IOERR; unknown types
 * VIRTIO_BLK_S_UNSUPP. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_BLK_H
#define VMON_DEVICES_VIRTIO_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"
#include "devices/virtio/blk_worker.h"
#include "devices/virtio/virtio_dev.h"

/* Feature bits (section 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* struct virtio_blk_config offsets (section 5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY 0x00      /* le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 0x08      /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 0x0c       /* le32 */
#define VIRTIO_BLK_CFG_GEOMETRY 0x10      /* le16 cylinders, u8 heads, u8 sectors */
#define VIRTIO_BLK_CFG_BLK_SIZE 0x14      /* le32 */
#define VIRTIO_BLK_CFG_TOPOLOGY 0x18      /* u8 phys exp, u8 align off, le16 min io, le32 opt io */
#define VIRTIO_BLK_CFG_WRITEBACK 0x20     /* u8 */
#define VIRTIO_BLK_CFG_NUM_QUEUES 0x22    /* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 0x24
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 0x28
#define VIRTIO_BLK_CFG_DISCARD_ALIGN 0x2c
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS 0x30
#define VIRTIO_BLK_CFG_MAX_WZ_SEG 0x34
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP 0x38  /* u8 */
#define VIRTIO_BLK_CONFIG_SIZE 0x3c

/* Request types and status values (section 5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_HDR_SIZE 16
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SEG_SIZE 16            /* discard / write zeroes segment */
#define VIRTIO_BLK_WZ_F_UNMAP 1

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_MAX_QUEUES 64
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)
#define VIRTIO_BLK_MAX_DISCARD_SEG 32
#define VIRTIO_BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */

/* One parsed request: where its data and status are in guest memory. */
struct virtio_blk_req {
    uint32_t type;
    uint64_t sector;
    struct iovec *data;  /* data segments: a slice of the chain's iovecs */
    unsigned ndata;
    uint32_t data_len;
    uint8_t *status;     /* the last device-writable byte */
};

struct virtio_blk_opts {
    const char *name;    /* "vda": for messages */
    const char *serial;  /* GET_ID answer, at most 20 bytes used; may be NULL */
    int fd;              /* image, owned by the device from now on */
    uint64_t size;       /* bytes */
    bool readonly;
    bool direct;         /* fd has O_DIRECT */
    unsigned nqueues;    /* 1 .. VIRTIO_BLK_MAX_QUEUES */
};

struct virtio_blk {
    struct virtio_dev vdev;
    struct virtq vq[VIRTIO_BLK_MAX_QUEUES];
    uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
    char name[16];
    char serial[VIRTIO_BLK_ID_BYTES];
    int fd, buffered_fd;  /* buffered_fd: fd without O_DIRECT (same as fd if not direct) */
    uint64_t capacity;    /* sectors */
    bool readonly, direct;
    struct blk_worker worker;
    bool worker_started;
};

/* Returns 0 or -errno; on failure opts->fd is closed. */
int virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_opts *opts,
                    const struct guest_mem *mem);
void virtio_blk_destroy(struct virtio_blk *b);

/* Splits chain c into header, data and status (rewriting c's iovecs in
 * place). Returns 0, or -EINVAL when the request cannot be answered. */
int virtio_blk_req_parse(struct virtq_chain *c, struct virtio_blk_req *r);
/* The status a well-formed request gets before any I/O: VIRTIO_BLK_S_OK
 * when it may run. */
uint8_t virtio_blk_req_check(const struct virtio_blk *b, const struct virtio_blk_req *r);
/* Runs a request synchronously on the calling thread and returns its
 * status; *written gets the data bytes written into the chain. Used for
 * GET_ID, DISCARD, WRITE_ZEROES and whatever the asynchronous path cannot
 * take (misaligned O_DIRECT, short transfers). */
uint8_t virtio_blk_req_run_sync(struct virtio_blk *b, const struct virtio_blk_req *r,
                                uint32_t *written);

#endif
