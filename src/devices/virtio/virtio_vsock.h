/* virtio-vsock (VIRTIO 1.2 section 5.10), stream sockets, with
 * Firecracker's host model: the host end of every connection is a Unix
 * stream socket (virtio_vsock_uds.h).
 *
 *   host-initiated: a host program connects to the Unix socket PATH and
 *     writes "CONNECT <port>\n"; the device sends the guest a REQUEST for
 *     guest port <port> from a fresh host port H and, once the guest
 *     answers RESPONSE, writes "OK H\n" back; then bytes flow both ways. A
 *     guest RST closes the Unix connection without an answer.
 *   guest-initiated: a guest connection to CID 2 (the host) port P
 *     connects to the Unix socket PATH_P; RST when nobody listens there.
 *
 * Queues (section 5.10.2): 0 rx (device to driver), 1 tx, 2 event (never
 * used: vmon has no transport reset to announce). Config: le64 guest_cid.
 *
 * Flow control (section 5.10.6.3): the device gives each connection
 * VSOCK_BUF_ALLOC bytes of credit: guest data the host socket does not take
 * at once waits in a per-connection buffer of that size, and fwd_cnt counts
 * what reached the socket (CREDIT_UPDATE whenever a quarter of the buffer
 * was freed unannounced). Host data is read only up to the guest's credit
 * and while the previous read has gone out, so a slow side stops the other
 * (no unbounded buffering, no busy loop).
 *
 * The guest is hostile: packets with a short header, a payload length that
 * does not match the buffer or exceeds VSOCK_MAX_PKT, wrong CIDs or an
 * unknown type are dropped; unknown operations, data for unknown or
 * unconnected ports and data beyond the credit get a RST (the connection is
 * closed). A broken ring marks the device NEEDS_RESET.
 *
 * Threads: one I/O thread per device runs an epoll loop over the listening
 * socket, the connections and a kick eventfd written by vCPU notifications.
 * Everything (queues, connections) is touched under `lock`, which the I/O
 * thread holds while it works; activate/reset take it on the vCPU thread. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_VSOCK_H
#define VMON_DEVICES_VIRTIO_VIRTIO_VSOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtio_dev.h"
#include "devices/virtio/virtio_vsock_uds.h"

/* Packet header, struct virtio_vsock_hdr (section 5.10.6): 44 bytes,
 * little-endian, packed. Offsets: */
#define VSOCK_HDR_SRC_CID 0     /* le64 */
#define VSOCK_HDR_DST_CID 8     /* le64 */
#define VSOCK_HDR_SRC_PORT 16   /* le32 */
#define VSOCK_HDR_DST_PORT 20   /* le32 */
#define VSOCK_HDR_LEN 24        /* le32, payload bytes */
#define VSOCK_HDR_TYPE 28       /* le16 */
#define VSOCK_HDR_OP 30         /* le16 */
#define VSOCK_HDR_FLAGS 32      /* le32 */
#define VSOCK_HDR_BUF_ALLOC 36  /* le32 */
#define VSOCK_HDR_FWD_CNT 40    /* le32 */
#define VSOCK_HDR_SIZE 44

#define VSOCK_TYPE_STREAM 1
enum vsock_op {
    VSOCK_OP_INVALID = 0,
    VSOCK_OP_REQUEST = 1,
    VSOCK_OP_RESPONSE = 2,
    VSOCK_OP_RST = 3,
    VSOCK_OP_SHUTDOWN = 4,
    VSOCK_OP_RW = 5,
    VSOCK_OP_CREDIT_UPDATE = 6,
    VSOCK_OP_CREDIT_REQUEST = 7,
};
#define VSOCK_SHUTDOWN_RCV 1    /* the sender will receive no more data */
#define VSOCK_SHUTDOWN_SEND 2   /* the sender will send no more data */

#define VSOCK_HOST_CID 2
#define VIRTIO_VSOCK_RXQ 0
#define VIRTIO_VSOCK_TXQ 1
#define VIRTIO_VSOCK_EVQ 2
#define VIRTIO_VSOCK_CONFIG_SIZE 8  /* le64 guest_cid */
#define VIRTIO_VSOCK_QUEUE_SIZE 256

#define VSOCK_MAX_CONNS 256
#define VSOCK_BUF_ALLOC (64u * 1024)  /* credit given per connection */
#define VSOCK_MAX_PKT (64u * 1024)    /* largest payload either way */
#define VSOCK_MAX_IOV 64
#define VSOCK_MAX_RST 64              /* RSTs for unknown ports waiting for rx buffers */
#define VSOCK_LOCAL_PORT_BASE 0x40000000u /* host ports of host-initiated connections */

/* A packet header in host order. */
struct vsock_hdr {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
};

enum vsock_state {
    VSOCK_HANDSHAKE,   /* host socket accepted, reading "CONNECT <port>\n" */
    VSOCK_CONNECTING,  /* REQUEST sent (or due) to the guest, waiting for RESPONSE */
    VSOCK_ESTABLISHED,
};

struct vsock_conn {
    int fd;                       /* the host's Unix socket */
    enum vsock_state state;
    uint32_t host_port, guest_port;
    uint32_t events;              /* epoll interest registered */
    char line[VSOCK_UDS_LINE_MAX];
    unsigned nline;
    /* guest -> host: bytes the socket has not taken yet */
    uint8_t *in;                  /* VSOCK_BUF_ALLOC bytes */
    uint32_t in_off, in_len;
    uint32_t fwd_cnt;             /* bytes written to the host socket */
    uint32_t fwd_cnt_sent;        /* fwd_cnt the guest last heard */
    /* host -> guest */
    uint8_t *out;                 /* VSOCK_MAX_PKT bytes read, not yet sent */
    uint32_t out_off, out_len;
    uint32_t tx_cnt;              /* payload bytes sent to the guest */
    uint32_t peer_buf_alloc, peer_fwd_cnt;
    bool host_eof;                /* the host socket's read side ended */
    bool hup;                     /* the host hung up: no longer in epoll */
    bool peer_shut_rcv, peer_shut_send;
    /* control packets owed to the guest */
    bool want_request, want_response, want_credit, want_shutdown, want_rst;
    bool shutdown_sent;
};

/* An RST owed to the guest for a packet that matched no connection. */
struct vsock_rst {
    uint32_t host_port, guest_port;
};

struct virtio_vsock_opts {
    uint64_t guest_cid;   /* >= 3 */
    const char *uds_path;
};

struct virtio_vsock {
    struct virtio_dev vdev;
    struct virtq vq[3];
    uint8_t config[VIRTIO_VSOCK_CONFIG_SIZE];
    uint64_t guest_cid;
    char *path;
    ino_t path_ino;
    int listen_fd, epoll_fd, kick_fd;
    bool listen_paused;           /* lock: out of descriptors, not watched */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;
    /* under lock: */
    bool active, exit;
    struct vsock_conn *conn[VSOCK_MAX_CONNS];
    struct vsock_rst rst[VSOCK_MAX_RST];
    unsigned nrst;
    uint32_t next_local_port;
    struct iovec iov[VSOCK_MAX_IOV];
    uint8_t pkt[VSOCK_MAX_PKT];   /* payload staging for tx */
};

/* Creates the device and its listening socket. Returns 0 or -errno with a
 * one-line reason in err (nothing is left behind). */
int virtio_vsock_init(struct virtio_vsock *v, const struct virtio_vsock_opts *o,
                      const struct guest_mem *mem, char *err, size_t errlen);
/* Starts the I/O thread. */
int virtio_vsock_start(struct virtio_vsock *v);
/* Stops the thread, closes every socket, removes the socket file. */
void virtio_vsock_destroy(struct virtio_vsock *v);

/* One pass of the I/O loop: waits up to timeout_ms (-1: forever) for an
 * event, then serves the sockets and the queues. The I/O thread loops on
 * it; tests call it directly instead of starting the thread. */
void virtio_vsock_poll(struct virtio_vsock *v, int timeout_ms);

/* Header encoding (section 5.10.6). */
void vsock_hdr_read(struct vsock_hdr *h, const uint8_t *p);
void vsock_hdr_write(const struct vsock_hdr *h, uint8_t *p);

#endif
