/* virtio-blk: configuration, request parsing and synchronous execution;
 * see virtio_blk.h. The asynchronous path is in blk_worker.c. */
#include "devices/virtio/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/blk_image.h"

#define BLK_ZERO_CHUNK (64u * 1024)

/* --- Request parsing (section 5.2.6) --- */

/* Drops the first n bytes of iov[0..*cnt): returns the new first element. */
static struct iovec *iov_skip(struct iovec *iov, unsigned *cnt, uint32_t n)
{
    while (*cnt && n) {
        if (n < iov->iov_len) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= n;
            break;
        }
        n -= (uint32_t)iov->iov_len;
        iov++;
        (*cnt)--;
    }
    return iov;
}

int virtio_blk_req_parse(struct virtq_chain *c, struct virtio_blk_req *r)
{
    uint8_t hdr[VIRTIO_BLK_HDR_SIZE];
    if (c->in_len < 1 || virtq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr))
        return -EINVAL;
    *r = (struct virtio_blk_req){ .type = get_le32(hdr), .sector = get_le64(hdr + 8) };
    /* zero-length segments are never in a chain, so the last writable
     * segment holds at least the status byte. */
    struct iovec *last = &c->iov[c->nout + c->nin - 1];
    r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
    switch (r->type) {
    case VIRTIO_BLK_T_OUT:
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES: {
        unsigned n = c->nout;
        r->data = iov_skip(c->iov, &n, VIRTIO_BLK_HDR_SIZE);
        r->ndata = n;
        r->data_len = c->out_len - VIRTIO_BLK_HDR_SIZE;
        break;
    }
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_GET_ID:
        r->data = &c->iov[c->nout];
        r->ndata = c->nin;
        r->data_len = c->in_len - 1;
        if (--last->iov_len == 0)
            r->ndata--;
        break;
    default:
        break;
    }
    return 0;
}

static bool sectors_ok(const struct virtio_blk *b, uint64_t sector, uint64_t count)
{
    return sector <= b->capacity && count <= b->capacity - sector;
}

uint8_t virtio_blk_req_check(const struct virtio_blk *b, const struct virtio_blk_req *r)
{
    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        if (r->type == VIRTIO_BLK_T_OUT && b->readonly)
            return VIRTIO_BLK_S_IOERR;
        if (r->data_len % BLK_SECTOR_SIZE ||
            !sectors_ok(b, r->sector, r->data_len / BLK_SECTOR_SIZE))
            return VIRTIO_BLK_S_IOERR;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_FLUSH:
    case VIRTIO_BLK_T_GET_ID:
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!virtio_dev_has_feature(&b->vdev, r->type == VIRTIO_BLK_T_DISCARD
                                                  ? VIRTIO_BLK_F_DISCARD
                                                  : VIRTIO_BLK_F_WRITE_ZEROES))
            return VIRTIO_BLK_S_UNSUPP;
        if (b->readonly || r->data_len == 0 || r->data_len % VIRTIO_BLK_SEG_SIZE ||
            r->data_len / VIRTIO_BLK_SEG_SIZE > VIRTIO_BLK_MAX_DISCARD_SEG)
            return VIRTIO_BLK_S_IOERR;
        return VIRTIO_BLK_S_OK;
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

/* --- Synchronous execution --- */

/* Copies len bytes at byte off of the iovecs into buf; false if short. */
static bool iov_read(const struct iovec *iov, unsigned n, uint32_t off, void *buf, uint32_t len)
{
    struct virtq_chain c = { .iov = (struct iovec *)iov, .nout = n };
    return virtq_chain_read(&c, off, buf, len) == len;
}

/* preadv/pwritev of the whole iovec list at off, retrying short transfers. */
static int rw_full(int fd, const struct iovec *src, unsigned n, uint64_t off, bool write)
{
    struct iovec iov[BLK_WORKER_MAX_IOV];
    if (n > BLK_WORKER_MAX_IOV)
        return -EINVAL;
    memcpy(iov, src, n * sizeof(*iov));
    struct iovec *cur = iov;
    while (n) {
        ssize_t k = write ? pwritev(fd, cur, (int)n, (off_t)off)
                          : preadv(fd, cur, (int)n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            return -EIO; /* the image shrank under us */
        off += (uint64_t)k;
        cur = iov_skip(cur, &n, (uint32_t)k);
    }
    return 0;
}

static int write_zeroes_slow(int fd, uint64_t off, uint64_t len)
{
    uint8_t *zero = calloc(1, BLK_ZERO_CHUNK);
    if (!zero)
        return -ENOMEM;
    int rc = 0;
    while (len && !rc) {
        struct iovec v = { zero, (size_t)MIN(len, (uint64_t)BLK_ZERO_CHUNK) };
        rc = rw_full(fd, &v, 1, off, true);
        off += v.iov_len;
        len -= v.iov_len;
    }
    free(zero);
    return rc;
}

/* One discard / write-zeroes segment (section 5.2.6.2). */
static uint8_t run_segment(struct virtio_blk *b, uint32_t type, const uint8_t *seg)
{
    uint64_t sector = get_le64(seg);
    uint32_t count = get_le32(seg + 8), flags = get_le32(seg + 12);
    if (flags & ~(uint32_t)VIRTIO_BLK_WZ_F_UNMAP || count > VIRTIO_BLK_MAX_DISCARD_SECTORS)
        return VIRTIO_BLK_S_UNSUPP;
    if (type == VIRTIO_BLK_T_DISCARD && flags)
        return VIRTIO_BLK_S_UNSUPP;
    if (!sectors_ok(b, sector, count))
        return VIRTIO_BLK_S_IOERR;
    off_t off = (off_t)(sector * BLK_SECTOR_SIZE), len = (off_t)count * BLK_SECTOR_SIZE;
    if (len == 0)
        return VIRTIO_BLK_S_OK;
    bool punch = type == VIRTIO_BLK_T_DISCARD || flags & VIRTIO_BLK_WZ_F_UNMAP;
    int mode = FALLOC_FL_KEEP_SIZE | (punch ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE);
    if (fallocate(b->buffered_fd, mode, off, len) == 0)
        return VIRTIO_BLK_S_OK;
    if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
        return VIRTIO_BLK_S_IOERR;
    /* Discard is a hint; zeroes must be written. */
    if (type == VIRTIO_BLK_T_DISCARD)
        return VIRTIO_BLK_S_OK;
    return write_zeroes_slow(b->buffered_fd, (uint64_t)off, (uint64_t)len) ? VIRTIO_BLK_S_IOERR
                                                                         : VIRTIO_BLK_S_OK;
}

uint8_t virtio_blk_req_run_sync(struct virtio_blk *b, const struct virtio_blk_req *r,
                                uint32_t *written)
{
    *written = 0;
    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool wr = r->type == VIRTIO_BLK_T_OUT;
        int rc = rw_full(b->buffered_fd, r->data, r->ndata, r->sector * BLK_SECTOR_SIZE, wr);
        if (rc) {
            log_warn("%s: %s of %u bytes at sector %llu failed: %s", b->name, wr ? "write" : "read",
                     r->data_len, (unsigned long long)r->sector, strerror(-rc));
            return VIRTIO_BLK_S_IOERR;
        }
        *written = wr ? 0 : r->data_len;
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_FLUSH:
        return fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
    case VIRTIO_BLK_T_GET_ID: {
        /* Section 5.2.6: 20 bytes, NUL-padded, not NUL-terminated if full. */
        struct virtq_chain c = { .iov = r->data, .nin = r->ndata };
        *written = virtq_chain_write(&c, 0, b->serial, MIN(r->data_len, VIRTIO_BLK_ID_BYTES));
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        for (uint32_t off = 0; off < r->data_len; off += VIRTIO_BLK_SEG_SIZE) {
            uint8_t seg[VIRTIO_BLK_SEG_SIZE];
            if (!iov_read(r->data, r->ndata, off, seg, sizeof(seg)))
                return VIRTIO_BLK_S_IOERR;
            uint8_t st = run_segment(b, r->type, seg);
            if (st != VIRTIO_BLK_S_OK)
                return st;
        }
        return VIRTIO_BLK_S_OK;
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

/* --- Device --- */

static void blk_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_blk *b = d->opaque;
    blk_worker_kick(&b->worker, q);
}

static int blk_activate(struct virtio_dev *d)
{
    struct virtio_blk *b = d->opaque;
    blk_worker_activate(&b->worker);
    return 0;
}

static void blk_reset(struct virtio_dev *d)
{
    struct virtio_blk *b = d->opaque;
    blk_worker_quiesce(&b->worker);
}

static const struct virtio_dev_ops blk_ops = {
    .queue_notify = blk_queue_notify,
    .activate = blk_activate,
    .reset = blk_reset,
};

static void blk_fill_config(struct virtio_blk *b, unsigned nqueues)
{
    uint8_t *c = b->config;
    memset(c, 0, VIRTIO_BLK_CONFIG_SIZE);
    put_le64(c + VIRTIO_BLK_CFG_CAPACITY, b->capacity);
    put_le32(c + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
    put_le32(c + VIRTIO_BLK_CFG_BLK_SIZE, BLK_SECTOR_SIZE);
    c[VIRTIO_BLK_CFG_TOPOLOGY] = 3;                 /* 4 KiB physical blocks */
    put_le16(c + VIRTIO_BLK_CFG_TOPOLOGY + 2, 8);   /* min_io_size: 8 sectors */
    put_le16(c + VIRTIO_BLK_CFG_NUM_QUEUES, (uint16_t)nqueues);
    put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
    put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
    put_le32(c + VIRTIO_BLK_CFG_DISCARD_ALIGN, 8);
    put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
    put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
    c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
}

static uint64_t blk_features(bool readonly)
{
    uint64_t f = VIRTIO_DEV_COMMON_FEATURES | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
                 VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
                 VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) | VIRTIO_BIT(VIRTIO_BLK_F_MQ);
    if (readonly)
        f |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
    else
        f |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
    return f;
}

int virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_opts *o,
                    const struct guest_mem *mem)
{
    memset(b, 0, sizeof(*b));
    b->fd = o->fd;
    b->buffered_fd = o->fd;
    if (o->nqueues == 0 || o->nqueues > VIRTIO_BLK_MAX_QUEUES || o->size % BLK_SECTOR_SIZE) {
        close(o->fd);
        return -EINVAL;
    }
    if (o->direct) {
        int bfd = blk_image_reopen_buffered(o->fd, o->readonly);
        if (bfd < 0) {
            close(o->fd);
            return bfd;
        }
        b->buffered_fd = bfd;
    }
    snprintf(b->name, sizeof(b->name), "%s", o->name ? o->name : "virtio-blk");
    if (o->serial)
        memcpy(b->serial, o->serial, strnlen(o->serial, sizeof(b->serial)));
    b->capacity = o->size / BLK_SECTOR_SIZE;
    b->readonly = o->readonly;
    b->direct = o->direct;
    blk_fill_config(b, o->nqueues);
    virtio_dev_init(&b->vdev, b->name, VIRTIO_ID_BLOCK, blk_features(o->readonly), b->vq,
                    o->nqueues, VIRTIO_BLK_QUEUE_SIZE, b->config, VIRTIO_BLK_CONFIG_SIZE,
                    &blk_ops, b, mem);
    int rc = blk_worker_start(&b->worker, b);
    if (rc) {
        virtio_blk_destroy(b);
        return rc;
    }
    b->worker_started = true;
    return 0;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
    if (b->worker_started)
        blk_worker_stop(&b->worker);
    b->worker_started = false;
    if (b->buffered_fd >= 0 && b->buffered_fd != b->fd)
        close(b->buffered_fd);
    if (b->fd >= 0)
        close(b->fd);
    b->fd = b->buffered_fd = -1;
}
