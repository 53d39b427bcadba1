/* virtio-net (VIRTIO 1.2 section 5.1): one receive and one transmit queue,
 * a MAC address and link status in the config space, frames exchanged with
 * a network backend (net/net_backend.h: libslirp, TAP).
 *
 * Features: VERSION_1 and the common ring features, MAC, STATUS (link
 * always up), MRG_RXBUF, and the offloads the backend can take: CSUM and
 * HOST_TSO4/6/ECN when the backend accepts partial checksums / GSO frames,
 * GUEST_CSUM and GUEST_TSO4/6/ECN when it can deliver them (enabled on the
 * backend at activation for what the driver accepted). No control queue,
 * no multi-queue.
 *
 * All queue work runs on the NIC's I/O thread (net/net_loop.h); the vCPU
 * thread that notifies a queue only kicks it. Every buffer carries the
 * 12-byte struct virtio_net_hdr_v1 (section 5.1.6).
 *
 * The guest is hostile:
 *   - transmit chains whose readable part is shorter than the header or
 *     longer than header + NET_MAX_FRAME bytes, or that use an offload the
 *     driver did not negotiate, are returned unsent;
 *   - receive chains are filled only through their device-writable part;
 *     a frame that does not fit the buffers (one chain without MRG_RXBUF,
 *     all the queue's chains with it) is dropped, the buffers kept for the
 *     next frame; a mergeable chain smaller than the header is returned
 *     empty;
 *   - ring violations mark the device NEEDS_RESET (virtio_dev_fail). */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_NET_H
#define VMON_DEVICES_VIRTIO_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtio_dev.h"
#include "net/net_backend.h"
#include "net/net_loop.h"

/* Feature bits (section 5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* struct virtio_net_config (section 5.1.4): mac[6], le16 status, le16
 * max_virtqueue_pairs (read only with VIRTIO_NET_F_MQ, which vmon does not
 * offer; 1). */
#define VIRTIO_NET_CFG_MAC 0
#define VIRTIO_NET_CFG_STATUS 6
#define VIRTIO_NET_CFG_MAX_VQ_PAIRS 8
#define VIRTIO_NET_CONFIG_SIZE 10
#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_MAX_IOV 64       /* segments of one chain */
#define VIRTIO_NET_RX_PENDING 64    /* received frames waiting for buffers */

struct virtio_net_opts {
    const char *name;        /* "eth0": for messages */
    uint8_t mac[6];
    struct net_backend *be;  /* owned by the device from now on */
    bool no_thread;          /* tests: no I/O thread, call virtio_net_work() */
};

/* A receive chain taken off the queue but not yet filled. */
struct virtio_net_rx_chain {
    struct virtq_chain c;
    struct iovec iov[VIRTIO_NET_MAX_IOV];
};

/* A frame waiting for receive buffers. */
struct virtio_net_frame {
    struct net_hdr hdr;
    uint8_t *data;
    size_t len;
};

struct virtio_net_stats {
    uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped;
};

struct virtio_net {
    struct virtio_dev vdev;
    struct virtq vq[2];
    uint8_t config[VIRTIO_NET_CONFIG_SIZE];
    char name[24];
    struct net_backend *be;
    struct net_loop loop;
    bool threaded;
    /* I/O thread state (the caller's thread without one). */
    bool running, mrg, guest_csum, rx_dirty, tx_dirty;
    unsigned guest_gso;             /* NET_OFF_TSO4/6/ECN the driver accepts */
    struct virtio_net_rx_chain *stash; /* FIFO of taken receive chains */
    unsigned stash_head, stash_count;
    struct virtio_net_frame pending[VIRTIO_NET_RX_PENDING];
    unsigned pending_head, pending_count;
    struct iovec tx_iov[VIRTIO_NET_QUEUE_SIZE];
    struct iovec tx_frame[VIRTIO_NET_QUEUE_SIZE];
    struct virtio_net_stats stats;  /* I/O thread; read after stopping it */
};

/* Returns 0 or -errno; the backend is destroyed on failure too. */
int virtio_net_init(struct virtio_net *n, const struct virtio_net_opts *o,
                    const struct guest_mem *mem);
void virtio_net_destroy(struct virtio_net *n);

/* One round of queue work: transmit what the kicked queues (bit q) hold,
 * move pending frames into receive buffers, publish and notify. The I/O
 * thread runs it; with no_thread, tests call it. */
void virtio_net_work(struct virtio_net *n, uint64_t kicks);

#endif
