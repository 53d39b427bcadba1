/* The I/O thread of a virtio-blk device: takes requests off the device's
 * queues, runs them against the image through io_uring (liburing) and
 * returns them to the guest, batching the used-ring updates and
 * notifications of all completions it reaps at once. If io_uring is not
 * available (old kernel, seccomp) the same thread runs requests with
 * preadv/pwritev.
 *
 * vCPU threads only kick it (an eventfd write per notification). The queues
 * are touched by this thread alone between blk_worker_activate() and
 * blk_worker_quiesce(), which returns once every request in flight has
 * finished and the thread no longer touches guest memory. */
#ifndef VMON_DEVICES_VIRTIO_BLK_WORKER_H
#define VMON_DEVICES_VIRTIO_BLK_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define BLK_WORKER_POOL 256    /* requests in flight per device */
#define BLK_WORKER_MAX_IOV 256 /* segments per request */

struct virtio_blk;
struct blk_request;

struct blk_worker {
    struct virtio_blk *blk;
    pthread_t thread;
    pthread_mutex_t lock;      /* want_run, idle, exit */
    pthread_cond_t cond;
    bool want_run, idle, exit;
    int kick_fd;               /* eventfd: vCPU notifications, control changes */
    uint64_t kicks;            /* atomic: queues notified since last looked at */
    void *uring;               /* struct io_uring, or NULL: synchronous I/O */
    bool kick_armed;           /* an io_uring read of kick_fd is in flight */
    uint64_t kick_buf;
    struct blk_request *pool, *free_list;
    unsigned inflight;
    uint64_t starved;          /* queues left with buffers when the pool ran dry */
    uint64_t dirty;            /* queues with used entries not yet published */
};

/* Creates the thread (idle). Returns 0 or -errno. */
int blk_worker_start(struct blk_worker *w, struct virtio_blk *b);
/* Ends and joins the thread; frees everything. */
void blk_worker_stop(struct blk_worker *w);
/* The device was activated: serve its queues. */
void blk_worker_activate(struct blk_worker *w);
/* Device reset: returns once nothing is in flight and the queues are no
 * longer touched. */
void blk_worker_quiesce(struct blk_worker *w);
/* Queue q was notified (vCPU thread). */
void blk_worker_kick(struct blk_worker *w, unsigned q);

#endif
