/* virtio-console (VIRTIO 1.2 section 5.3): one console port (port 0, the
 * guest's hvc0) without the multiport extension.
 *
 * Queues (section 5.3.2): 0 receiveq (host to guest), 1 transmitq (guest to
 * host). Features: VIRTIO_CONSOLE_F_SIZE when the host knows the terminal
 * size, VIRTIO_CONSOLE_F_EMERG_WRITE (a byte written to the emerg_wr config
 * field is output at once).
 *
 * Output: the transmitq is served on the notifying vCPU thread; every byte
 * is handed to the chardev before its buffer goes back to the guest, so
 * nothing the guest has written is lost when it powers off right after.
 * Input: virtio_console_receive() (the console's VMM thread) copies host
 * input into the receiveq buffers the guest made available and takes
 * nothing when there are none; the guest adding buffers calls the `room`
 * callback, so the caller never has to poll. Input is taken only once the
 * guest has written something after the driver started (Linux discards
 * input that arrives before its hvc0 is set up; see virtio_console.c).
 *
 * Locking: rx_lock guards the receiveq against the VMM thread and device
 * reset (which runs on a vCPU under the transport's lock). The transmitq is
 * only touched under the transport's lock. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_CONSOLE_H
#define VMON_DEVICES_VIRTIO_VIRTIO_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"
#include "devices/chardev.h"
#include "devices/virtio/virtio_dev.h"

/* Feature bits (section 5.3.3). */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* struct virtio_console_config offsets (section 5.3.4). */
#define VIRTIO_CONSOLE_CFG_COLS 0         /* le16 */
#define VIRTIO_CONSOLE_CFG_ROWS 2         /* le16 */
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4 /* le32, only with F_MULTIPORT */
#define VIRTIO_CONSOLE_CFG_EMERG_WR 8     /* le32, only with F_EMERG_WRITE */
#define VIRTIO_CONSOLE_CONFIG_SIZE 12

#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1
#define VIRTIO_CONSOLE_QUEUE_SIZE 128
#define VIRTIO_CONSOLE_MAX_IOV 64

struct virtio_console_opts {
    const struct chardev *out;    /* guest output (copied) */
    void (*room)(void *ctx);      /* the guest added receive buffers (any thread) */
    void *room_ctx;
    uint16_t cols, rows;          /* terminal size; 0: unknown, no F_SIZE */
};

struct virtio_console {
    struct virtio_dev vdev;
    struct virtq vq[2];
    uint8_t config[VIRTIO_CONSOLE_CONFIG_SIZE];
    struct chardev out;
    void (*room)(void *ctx);
    void *room_ctx;
    pthread_mutex_t rx_lock;
    bool rx_active;               /* rx_lock: activated and not reset */
    bool guest_spoke;             /* atomic: the guest has written since activation */
    struct iovec rx_iov[VIRTIO_CONSOLE_MAX_IOV]; /* rx_lock */
    struct iovec tx_iov[VIRTIO_CONSOLE_MAX_IOV]; /* transport lock */
};

/* Returns 0 or -errno. */
int virtio_console_init(struct virtio_console *c, const struct virtio_console_opts *o,
                        const struct guest_mem *mem);
void virtio_console_destroy(struct virtio_console *c);

/* Host input: fills the guest's receive buffers with up to len bytes and
 * returns the count taken (0 when the guest has no buffer available or the
 * device is not running). */
size_t virtio_console_receive(void *ctx, const uint8_t *buf, size_t len);

/* The host terminal changed size (F_SIZE offered only). */
void virtio_console_resize(struct virtio_console *c, uint16_t cols, uint16_t rows);

#endif
