/* virtio-console, port 0 only; see virtio_console.h. */
#include "devices/virtio/virtio_console.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"

/* --- transmitq: guest output --- */

/* Hands the chain's device-readable bytes to the output. Device-writable
 * buffers in a transmit chain are ignored (nothing is written back). */
static void console_tx_chain(struct virtio_console *c, const struct virtq_chain *ch)
{
    for (unsigned i = 0; i < ch->nout; i++)
        /* GUEST: iov[i] is a device-readable buffer virtq_chain_add checked
         * against guest RAM. */
        chardev_write(&c->out, ch->iov[i].iov_base, ch->iov[i].iov_len);
}

/* The guest wrote to its console: it is set up to take input now. Linux
 * drops port 0 input that arrives after it filled the receiveq but before
 * its hvc0 exists (drivers/char/virtio_console.c, in_intr with
 * guest_connected still false), so input waits for this. */
static void console_guest_spoke(struct virtio_console *c)
{
    if (!__atomic_exchange_n(&c->guest_spoke, true, __ATOMIC_ACQ_REL) && c->room)
        c->room(c->room_ctx);
}

static void console_tx(struct virtio_console *c)
{
    struct virtio_dev *d = &c->vdev;
    struct virtq *q = &c->vq[VIRTIO_CONSOLE_TXQ];
    struct virtq_chain ch = { .iov = c->tx_iov, .max_iov = VIRTIO_CONSOLE_MAX_IOV };
    bool pushed = false;
    for (;;) {
        int rc = virtq_pop(q, &ch);
        if (rc < 0) {
            virtio_dev_fail(d, VIRTIO_CONSOLE_TXQ, virtq_strerror(rc));
            break;
        }
        if (rc == 0) {
            if (virtq_enable_kick(q))
                continue;
            break;
        }
        console_tx_chain(c, &ch);
        virtq_push(q, &ch, 0);
        pushed = true;
    }
    if (pushed) {
        virtq_publish(q);
        if (virtq_should_notify(q))
            virtio_dev_notify(d, VIRTIO_CONSOLE_TXQ);
        console_guest_spoke(c);
    }
}

/* --- receiveq: host input --- */

size_t virtio_console_receive(void *ctx, const uint8_t *buf, size_t len)
{
    struct virtio_console *c = ctx;
    struct virtio_dev *d = &c->vdev;
    struct virtq *q = &c->vq[VIRTIO_CONSOLE_RXQ];
    struct virtq_chain ch = { .iov = c->rx_iov, .max_iov = VIRTIO_CONSOLE_MAX_IOV };
    size_t done = 0;
    bool pushed = false;
    pthread_mutex_lock(&c->rx_lock);
    bool open = __atomic_load_n(&c->guest_spoke, __ATOMIC_ACQUIRE);
    while (c->rx_active && open && !virtio_dev_broken(d) && done < len) {
        int rc = virtq_pop(q, &ch);
        if (rc < 0) {
            virtio_dev_fail(d, VIRTIO_CONSOLE_RXQ, virtq_strerror(rc));
            break;
        }
        if (rc == 0) {
            /* No buffer: ask for a notification of the next one (which
             * calls room), unless one arrived meanwhile. */
            if (virtq_enable_kick(q))
                continue;
            break;
        }
        uint32_t n = (uint32_t)MIN(len - done, (size_t)UINT32_MAX);
        n = virtq_chain_write(&ch, 0, buf + done, n);
        virtq_push(q, &ch, n);
        pushed = true;
        done += n;
    }
    if (pushed) {
        virtq_publish(q);
        if (virtq_should_notify(q))
            virtio_dev_notify(d, VIRTIO_CONSOLE_RXQ);
    }
    pthread_mutex_unlock(&c->rx_lock);
    return done;
}

/* --- virtio_dev_ops --- */

static void console_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_console *c = d->opaque;
    if (q == VIRTIO_CONSOLE_TXQ)
        console_tx(c);
    else if (q == VIRTIO_CONSOLE_RXQ && c->room)
        c->room(c->room_ctx);
}

static int console_activate(struct virtio_dev *d)
{
    struct virtio_console *c = d->opaque;
    pthread_mutex_lock(&c->rx_lock);
    c->rx_active = true;
    pthread_mutex_unlock(&c->rx_lock);
    if (c->room)
        c->room(c->room_ctx); /* receive buffers may be there already */
    return 0;
}

static void console_reset(struct virtio_dev *d)
{
    struct virtio_console *c = d->opaque;
    pthread_mutex_lock(&c->rx_lock);
    c->rx_active = false;
    __atomic_store_n(&c->guest_spoke, false, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->rx_lock);
}

/* Emergency write (section 5.3.6.2, F_EMERG_WRITE): the low byte of a write
 * to emerg_wr is output at once, before any transmitq buffer. */
static void console_config_write(struct virtio_dev *d, unsigned off, unsigned len)
{
    struct virtio_console *c = d->opaque;
    if (!virtio_dev_has_feature(d, VIRTIO_CONSOLE_F_EMERG_WRITE) ||
        off != VIRTIO_CONSOLE_CFG_EMERG_WR || len == 0)
        return;
    uint8_t ch = c->config[VIRTIO_CONSOLE_CFG_EMERG_WR];
    chardev_write(&c->out, &ch, 1);
    memset(c->config + VIRTIO_CONSOLE_CFG_EMERG_WR, 0, 4);
    console_guest_spoke(c);
}

static const struct virtio_dev_ops console_ops = {
    .config_write = console_config_write,
    .queue_notify = console_queue_notify,
    .activate = console_activate,
    .reset = console_reset,
};

void virtio_console_resize(struct virtio_console *c, uint16_t cols, uint16_t rows)
{
    if (!(c->vdev.host_features & VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE)))
        return;
    put_le16(c->config + VIRTIO_CONSOLE_CFG_COLS, cols);
    put_le16(c->config + VIRTIO_CONSOLE_CFG_ROWS, rows);
    virtio_dev_config_changed(&c->vdev);
}

int virtio_console_init(struct virtio_console *c, const struct virtio_console_opts *o,
                        const struct guest_mem *mem)
{
    memset(c, 0, sizeof(*c));
    int rc = pthread_mutex_init(&c->rx_lock, NULL);
    if (rc)
        return -rc;
    if (o->out)
        c->out = *o->out;
    c->room = o->room;
    c->room_ctx = o->room_ctx;
    uint64_t features = VIRTIO_DEV_COMMON_FEATURES | VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE);
    if (o->cols && o->rows) {
        features |= VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE);
        put_le16(c->config + VIRTIO_CONSOLE_CFG_COLS, o->cols);
        put_le16(c->config + VIRTIO_CONSOLE_CFG_ROWS, o->rows);
    }
    virtio_dev_init(&c->vdev, "virtio-console", VIRTIO_ID_CONSOLE, features, c->vq, 2,
                    VIRTIO_CONSOLE_QUEUE_SIZE, c->config, sizeof(c->config), &console_ops, c,
                    mem);
    return 0;
}

void virtio_console_destroy(struct virtio_console *c)
{
    pthread_mutex_destroy(&c->rx_lock);
}
