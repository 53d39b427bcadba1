/* A network backend: where a NIC's frames go and come from (user-mode
 * networking through libslirp, a host TAP device, a test fake).
 *
 * Frames travel with a virtio-net header (VIRTIO 1.2 section 5.1.6), the
 * format the TAP device speaks with IFF_VNET_HDR, so offloads need no
 * translation: a frame sent with VIRTIO_NET_HDR_F_NEEDS_CSUM or a GSO type
 * is accepted only by a backend whose tx_offloads say so, and a backend
 * delivers frames with those flags only once the device enabled them with
 * set_rx_offloads.
 *
 * Threads: a backend is created on the main thread, then used by one NIC
 * thread only (net_loop.h): send, poll_prepare/poll_dispatch and the
 * receive sink all run there. */
#ifndef VMON_NET_NET_BACKEND_H
#define VMON_NET_NET_BACKEND_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* struct virtio_net_hdr_v1 (VIRTIO 1.2 section 5.1.6), host byte order here;
 * 12 bytes little-endian in guest buffers and on the TAP device. */
struct net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
#define NET_HDR_LEN 12
#define NET_HDR_F_NEEDS_CSUM 1
#define NET_HDR_F_DATA_VALID 2
#define NET_HDR_GSO_NONE 0
#define NET_HDR_GSO_TCPV4 1
#define NET_HDR_GSO_UDP 3
#define NET_HDR_GSO_TCPV6 4
#define NET_HDR_GSO_ECN 0x80

/* The largest frame (without header) a NIC sends or receives: a 64 KiB
 * GSO packet plus its Ethernet header (the limit QEMU and the Linux driver
 * use). */
#define NET_MAX_FRAME 65550
#define NET_MIN_FRAME 14 /* an Ethernet header */

/* Offload capabilities, for either direction. */
enum net_offload {
    NET_OFF_CSUM = 1u << 0, /* partial checksums (NEEDS_CSUM) */
    NET_OFF_TSO4 = 1u << 1, /* TCP segmentation, IPv4 */
    NET_OFF_TSO6 = 1u << 2, /* TCP segmentation, IPv6 */
    NET_OFF_ECN = 1u << 3,  /* TSO with the ECN CWR bit */
};

void net_hdr_decode(struct net_hdr *h, const uint8_t raw[NET_HDR_LEN]);
void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN]);

/* Where a backend delivers the frames it receives (the NIC). */
struct net_rx_sink {
    /* Whether the NIC can take a frame now. A backend with flow control
     * (TAP) reads only while this holds; others deliver anyway and the NIC
     * queues or drops. */
    bool (*ready)(void *ctx);
    /* One frame: hdr describes data[0, len) (flags only as enabled by
     * set_rx_offloads). */
    void (*frame)(void *ctx, const struct net_hdr *hdr, const uint8_t *data, size_t len);
    void *ctx;
};

struct net_backend;

struct net_backend_ops {
    /* Sends one frame, iov[0, n) without header, described by hdr. Returns
     * 0 or -errno (the frame is dropped either way). */
    int (*send)(struct net_backend *b, const struct net_hdr *hdr, const struct iovec *iov,
                unsigned n);
    /* Which offloads frames delivered to the sink may use (a subset of
     * rx_offloads). Returns 0 or -errno. */
    int (*set_rx_offloads)(struct net_backend *b, unsigned offloads);
    /* Adds the backend's descriptors to pfd[0, max) and lowers *timeout_ms
     * (-1: infinite) to its next timer. Returns the count added. */
    unsigned (*poll_prepare)(struct net_backend *b, struct pollfd *pfd, unsigned max,
                             int *timeout_ms);
    /* After poll (err: poll failed): serves the descriptors prepared, runs
     * expired timers, delivers received frames to the sink. */
    void (*poll_dispatch)(struct net_backend *b, struct pollfd *pfd, unsigned n, bool err);
    void (*destroy)(struct net_backend *b);
};

struct net_backend {
    const struct net_backend_ops *ops;
    unsigned tx_offloads; /* what send() takes */
    unsigned rx_offloads; /* what set_rx_offloads() may enable */
    struct net_rx_sink sink;
};

/* The most descriptors a backend adds in poll_prepare (slirp: one per
 * socket, so a bound, not an expectation). */
#define NET_BACKEND_MAX_POLL 512

static inline void net_backend_destroy(struct net_backend *b)
{
    if (b)
        b->ops->destroy(b);
}

#endif
