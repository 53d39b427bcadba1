/* virtio-rng backed by getrandom; see virtio_rng.h. */
#include "devices/virtio/virtio_rng.h"

#include <errno.h>
#include <sys/random.h>

#include "common/util.h"

/* Fills up to max bytes of the chain's writable part; returns the count. */
static uint32_t rng_fill(const struct virtq_chain *c, uint32_t max)
{
    uint32_t done = 0;
    for (unsigned i = c->nout; i < c->nout + c->nin && done < max; i++) {
        uint8_t *p = c->iov[i].iov_base;
        size_t want = MIN(c->iov[i].iov_len, (size_t)(max - done));
        size_t got = 0;
        while (got < want) {
            ssize_t k = getrandom(p + got, want - got, 0);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return done + (uint32_t)got;
            got += (size_t)k;
        }
        done += (uint32_t)got;
    }
    return done;
}

static void rng_queue_notify(struct virtio_dev *d, unsigned qi)
{
    struct virtio_rng *r = d->opaque;
    struct virtq *q = &r->vq;
    struct virtq_chain c = { .iov = r->iov, .max_iov = VIRTIO_RNG_MAX_IOV };
    bool pushed = false;
    for (;;) {
        int rc = virtq_pop(q, &c);
        if (rc < 0) {
            virtio_dev_fail(d, qi, virtq_strerror(rc));
            break;
        }
        if (rc == 0) {
            if (virtq_enable_kick(q))
                continue;
            break;
        }
        virtq_push(q, &c, rng_fill(&c, VIRTIO_RNG_MAX_BYTES));
        pushed = true;
    }
    if (pushed) {
        virtq_publish(q);
        if (virtq_should_notify(q))
            virtio_dev_notify(d, qi);
    }
}

static const struct virtio_dev_ops rng_ops = {
    .queue_notify = rng_queue_notify,
};

void virtio_rng_init(struct virtio_rng *r, const struct guest_mem *mem)
{
    virtio_dev_init(&r->vdev, "virtio-rng", VIRTIO_ID_RNG, VIRTIO_DEV_COMMON_FEATURES, &r->vq, 1,
                    VIRTIO_RNG_QUEUE_SIZE, NULL, 0, &rng_ops, r, mem);
}
