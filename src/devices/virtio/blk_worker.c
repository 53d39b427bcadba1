/* The virtio-blk I/O thread; see blk_worker.h. */
#include "devices/virtio/blk_worker.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/blk_image.h"
#include "devices/virtio/virtio_blk.h"

#define KICK_TAG 1 /* user_data of the kick_fd read; requests use pointers */

struct blk_request {
    struct virtq_chain chain;
    struct virtio_blk_req req;
    unsigned queue;
    struct blk_request *next_free;
    struct iovec iov[BLK_WORKER_MAX_IOV];
};

/* --- Request pool --- */

static struct blk_request *pool_get(struct blk_worker *w)
{
    struct blk_request *r = w->free_list;
    if (r) {
        w->free_list = r->next_free;
        r->chain.iov = r->iov;
        r->chain.max_iov = BLK_WORKER_MAX_IOV;
    }
    return r;
}

static void pool_put(struct blk_worker *w, struct blk_request *r)
{
    r->next_free = w->free_list;
    w->free_list = r;
}

/* --- Completion --- */

static void complete(struct blk_worker *w, struct blk_request *r, uint8_t status,
                     uint32_t written)
{
    /* GUEST: status points at the last byte of a device-writable buffer
     * that virtq_chain_add checked against guest RAM. */
    *r->req.status = status;
    virtq_push(&w->blk->vq[r->queue], &r->chain, written + 1);
    w->dirty |= 1ull << r->queue;
    pool_put(w, r);
}

/* Publishes used entries and notifies the driver once per queue. */
static void flush_dirty(struct blk_worker *w)
{
    uint64_t dirty = w->dirty;
    w->dirty = 0;
    while (dirty) {
        unsigned q = (unsigned)__builtin_ctzll(dirty);
        dirty &= dirty - 1;
        struct virtq *vq = &w->blk->vq[q];
        virtq_publish(vq);
        if (virtq_should_notify(vq))
            virtio_dev_notify(&w->blk->vdev, q);
    }
}

static void run_sync(struct blk_worker *w, struct blk_request *r)
{
    uint32_t written;
    uint8_t st = virtio_blk_req_run_sync(w->blk, &r->req, &written);
    complete(w, r, st, written);
}

/* --- Submission --- */

static bool dio_aligned(const struct virtio_blk_req *r)
{
    for (unsigned i = 0; i < r->ndata; i++)
        if (((uintptr_t)r->data[i].iov_base | r->data[i].iov_len) % BLK_SECTOR_SIZE)
            return false;
    return true;
}

static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

/* Starts r on io_uring; false when it must run synchronously. */
static bool submit_async(struct blk_worker *w, struct blk_request *r)
{
    struct io_uring *ring = w->uring;
    const struct virtio_blk_req *q = &r->req;
    bool rw = q->type == VIRTIO_BLK_T_IN || q->type == VIRTIO_BLK_T_OUT;
    if (!ring || !(rw || q->type == VIRTIO_BLK_T_FLUSH) || (rw && q->ndata == 0) ||
        (rw && w->blk->direct && !dio_aligned(q)))
        return false;
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe)
        return false;
    uint64_t off = q->sector * BLK_SECTOR_SIZE;
    if (q->type == VIRTIO_BLK_T_IN)
        io_uring_prep_readv(sqe, w->blk->fd, q->data, q->ndata, off);
    else if (q->type == VIRTIO_BLK_T_OUT)
        io_uring_prep_writev(sqe, w->blk->fd, q->data, q->ndata, off);
    else
        io_uring_prep_fsync(sqe, w->blk->fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data(sqe, r);
    w->inflight++;
    return true;
}

/* Page-cache fast path for a buffered image: tries the transfer at once
 * without blocking (RWF_NOWAIT), which saves io_uring's hand-off to its
 * worker threads when the data is cached. False: go asynchronous. */
static bool try_nowait(struct blk_worker *w, struct blk_request *r)
{
    const struct virtio_blk_req *q = &r->req;
    if (w->blk->direct || !w->uring || q->ndata == 0 ||
        (q->type != VIRTIO_BLK_T_IN && q->type != VIRTIO_BLK_T_OUT))
        return false;
    off_t off = (off_t)(q->sector * BLK_SECTOR_SIZE);
    ssize_t k = q->type == VIRTIO_BLK_T_IN
                    ? preadv2(w->blk->fd, q->data, (int)q->ndata, off, RWF_NOWAIT)
                    : pwritev2(w->blk->fd, q->data, (int)q->ndata, off, RWF_NOWAIT);
    if (k != (ssize_t)q->data_len)
        return false; /* not cached, not supported, or partial: redo it all */
    complete(w, r, VIRTIO_BLK_S_OK, q->type == VIRTIO_BLK_T_IN ? q->data_len : 0);
    return true;
}

/* Takes every available request of queue qi. */
static void process_queue(struct blk_worker *w, unsigned qi)
{
    struct virtio_dev *d = &w->blk->vdev;
    struct virtq *q = &w->blk->vq[qi];
    while (q->active && !virtio_dev_broken(d)) {
        struct blk_request *r = pool_get(w);
        if (!r) {
            w->starved |= 1ull << qi;
            return;
        }
        int rc = virtq_pop(q, &r->chain);
        if (rc <= 0) {
            pool_put(w, r);
            if (rc < 0)
                virtio_dev_fail(d, qi, virtq_strerror(rc));
            else if (virtq_enable_kick(q))
                continue;
            return;
        }
        r->queue = qi;
        if (virtio_blk_req_parse(&r->chain, &r->req)) {
            pool_put(w, r);
            virtio_dev_fail(d, qi, "request without a header or a writable status byte");
            return;
        }
        uint8_t st = virtio_blk_req_check(w->blk, &r->req);
        if (st != VIRTIO_BLK_S_OK)
            complete(w, r, st, 0);
        else if (!try_nowait(w, r) && !submit_async(w, r))
            run_sync(w, r);
    }
}

/* --- Completion of io_uring requests --- */

static void finish_async(struct blk_worker *w, struct blk_request *r, int res)
{
    const struct virtio_blk_req *q = &r->req;
    w->inflight--;
    if (q->type == VIRTIO_BLK_T_FLUSH) {
        complete(w, r, res == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR, 0);
        return;
    }
    if (res >= 0 && (uint32_t)res == q->data_len) {
        complete(w, r, VIRTIO_BLK_S_OK, q->type == VIRTIO_BLK_T_IN ? q->data_len : 0);
        return;
    }
    /* Short transfer, or O_DIRECT refusing this request: redo it with
     * preadv/pwritev on the buffered descriptor (reads and writes of the
     * same range are idempotent). */
    run_sync(w, r);
}

static void arm_kick(struct blk_worker *w)
{
    if (w->kick_armed)
        return;
    struct io_uring_sqe *sqe = get_sqe(w->uring);
    if (!sqe)
        return;
    io_uring_prep_read(sqe, w->kick_fd, &w->kick_buf, sizeof(w->kick_buf), 0);
    io_uring_sqe_set_data64(sqe, KICK_TAG);
    w->kick_armed = true;
}

/* Handles every completion ready; with drop, requests are freed without
 * answering them (the device is being reset). */
static void reap(struct blk_worker *w, bool drop)
{
    struct io_uring *ring = w->uring;
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(ring, head, cqe)
    {
        n++;
        if (cqe->user_data == KICK_TAG) {
            w->kick_armed = false;
            continue;
        }
        struct blk_request *r = io_uring_cqe_get_data(cqe);
        if (drop) {
            w->inflight--;
            pool_put(w, r);
        } else {
            finish_async(w, r, cqe->res);
        }
    }
    io_uring_cq_advance(ring, n);
}

/* Waits for a completion or a kick. */
static void wait_events(struct blk_worker *w)
{
    if (w->uring) {
        arm_kick(w);
        int rc = io_uring_submit_and_wait(w->uring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
            log_warn("%s: io_uring wait failed: %s", w->blk->name, strerror(-rc));
        reap(w, false);
        return;
    }
    struct pollfd p = { .fd = w->kick_fd, .events = POLLIN };
    if (poll(&p, 1, -1) > 0) {
        uint64_t v;
        ssize_t k = read(w->kick_fd, &v, sizeof(v));
        (void)k;
    }
}

/* Waits for every request in flight and forgets them. */
static void drain(struct blk_worker *w)
{
    while (w->uring && w->inflight) {
        struct io_uring_cqe *cqe;
        io_uring_submit(w->uring);
        if (io_uring_wait_cqe(w->uring, &cqe) == 0)
            reap(w, true);
    }
    w->starved = w->dirty = 0;
}

/* Returns false when the thread must exit. While the device is not active,
 * acknowledges idleness and sleeps. */
static bool wait_until_running(struct blk_worker *w)
{
    pthread_mutex_lock(&w->lock);
    if (!w->want_run && !w->exit) {
        pthread_mutex_unlock(&w->lock);
        drain(w);
        pthread_mutex_lock(&w->lock);
        while (!w->want_run && !w->exit) {
            w->idle = true;
            pthread_cond_broadcast(&w->cond);
            pthread_cond_wait(&w->cond, &w->lock);
        }
        w->idle = false;
    }
    bool run = !w->exit;
    pthread_mutex_unlock(&w->lock);
    return run;
}

static void *worker_main(void *arg)
{
    struct blk_worker *w = arg;
    while (wait_until_running(w)) {
        uint64_t pending = __atomic_exchange_n(&w->kicks, 0, __ATOMIC_ACQUIRE) | w->starved;
        w->starved = 0;
        while (pending) {
            unsigned q = (unsigned)__builtin_ctzll(pending);
            pending &= pending - 1;
            if (q < w->blk->vdev.nvq)
                process_queue(w, q);
        }
        flush_dirty(w);
        wait_events(w);
        flush_dirty(w);
    }
    drain(w);
    return NULL;
}

/* --- Control from other threads --- */

static void poke(struct blk_worker *w)
{
    uint64_t one = 1;
    ssize_t k = write(w->kick_fd, &one, sizeof(one));
    (void)k;
}

void blk_worker_kick(struct blk_worker *w, unsigned q)
{
    uint64_t old = __atomic_fetch_or(&w->kicks, 1ull << (q & 63), __ATOMIC_RELEASE);
    if (!old)
        poke(w);
}

void blk_worker_activate(struct blk_worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->want_run = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    /* Look at every queue once: buffers may be there already. */
    __atomic_fetch_or(&w->kicks, ~0ull, __ATOMIC_RELEASE);
    poke(w);
}

void blk_worker_quiesce(struct blk_worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->want_run = false;
    pthread_mutex_unlock(&w->lock);
    poke(w);
    pthread_mutex_lock(&w->lock);
    while (!w->idle)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    __atomic_store_n(&w->kicks, 0, __ATOMIC_RELAXED);
}

static void *uring_create(const char *name)
{
    struct io_uring *ring = calloc(1, sizeof(*ring));
    if (!ring)
        return NULL;
    int rc = io_uring_queue_init(BLK_WORKER_POOL, ring, 0);
    if (rc < 0) {
        log_info("%s: io_uring unavailable (%s); using synchronous I/O", name, strerror(-rc));
        free(ring);
        return NULL;
    }
    return ring;
}

int blk_worker_start(struct blk_worker *w, struct virtio_blk *b)
{
    memset(w, 0, sizeof(*w));
    w->blk = b;
    w->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->kick_fd < 0)
        return -errno;
    w->pool = calloc(BLK_WORKER_POOL, sizeof(*w->pool));
    if (!w->pool) {
        close(w->kick_fd);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < BLK_WORKER_POOL; i++)
        pool_put(w, &w->pool[i]);
    w->uring = uring_create(b->name);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc) {
        w->exit = true;
        blk_worker_stop(w);
        return -rc;
    }
    return 0;
}

void blk_worker_stop(struct blk_worker *w)
{
    pthread_mutex_lock(&w->lock);
    bool running = !w->exit;
    w->exit = true;
    w->want_run = false;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (running) {
        poke(w);
        pthread_join(w->thread, NULL);
    }
    if (w->uring) {
        io_uring_queue_exit(w->uring);
        free(w->uring);
    }
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->pool);
    close(w->kick_fd);
    memset(w, 0, sizeof(*w));
    w->kick_fd = -1;
}
