/* libFuzzer harness for virtio-vsock's packet path
 * (devices/virtio/virtio_vsock.h), run without its I/O thread: the input
 * plays a hostile guest driver on the rx and tx rings and, a little, the
 * host programs on the Unix sockets.
 *
 * One device per process, created on the first input with its listening
 * socket PATH in a temporary directory, plus a listener at PATH_5000 so
 * that guest connections to host port 5000 succeed (5001 has none: RST).
 * Every input resets the device (which closes its connections), negotiates
 * features, lays out fresh rings in guarded guest RAM and runs a list of
 * operations (first byte: bits 0-2 the operation, bits 3-7 options):
 *
 *   0 a tx packet: header fields mostly plausible (the guest's CID, the
 *     host's, guest ports 0-3, host port 5000/5001, the real payload
 *     length), each replaceable by raw input; payload of any length;
 *     header and payload over one to three descriptors
 *   1 rx buffers of assorted sizes
 *   2 one to four passes of the device's loop (virtio_vsock_poll, no wait)
 *   3 a raw descriptor (and split avail entry)
 *   4 ring fields: indices, event suppression; or the driver drains used
 *   5 a host program connects to PATH and sends a handshake line
 *   6 host programs: accept at PATH_5000, write, read, shut down, close
 *   7 bytes into the buffer window, or a device reset and new start
 *
 * At the end of each input the host sockets are closed, connections still
 * waiting at PATH_5000 accepted and closed, the device's loop run until it
 * has seen the host programs go, and the device reset: no connection is
 * left (checked). Guest
 * RAM has inaccessible guard pages on both sides: with the sanitizers,
 * they are the oracle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/virtio_vsock.h"
#include "fuzz_driver.h"
#include "fuzz_util.h"

#define RAM_SIZE (512u << 10)
#define WINDOW 0x30000u                 /* buffers live in the last 192 KiB */
#define WINDOW_BASE (RAM_SIZE - WINDOW)
#define RING_LIMIT (WINDOW_BASE - 0x1000u)
#define GUEST_CID 3
#define LISTEN_PORT 5000
#define MAX_HOST_FDS 8

/* The process-wide device, its guest RAM and the host side. */
struct world {
    char dir[64], path[96], lpath[112];
    struct fuzz_drv d;        /* guest RAM and the driver's rings */
    struct virtio_vsock v;
    int listen_fd;            /* PATH_5000 */
    int host[MAX_HOST_FDS];   /* this input's host sockets, -1: none */
};

static struct world *world_get(void);

static void world_cleanup(void)
{
    struct world *w = world_get();
    virtio_dev_reset(&w->v.vdev);
    virtio_vsock_destroy(&w->v);
    close(w->listen_fd);
    unlink(w->lpath);
    rmdir(w->dir);
}

static int listen_at(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    FUZZ_CHECK(s >= 0);
    FUZZ_CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
    FUZZ_CHECK(listen(s, 64) == 0);
    return s;
}

/* Created on first use; destroyed at exit. */
static struct world *world_get(void)
{
    static struct world w;
    static bool ready;
    if (ready)
        return &w;
    strcpy(w.dir, "/tmp/vmon-fuzz-vsock-XXXXXX");
    FUZZ_CHECK(mkdtemp(w.dir));
    snprintf(w.path, sizeof(w.path), "%s/v.sock", w.dir);
    snprintf(w.lpath, sizeof(w.lpath), "%s_%u", w.path, LISTEN_PORT);
    fuzz_drv_init(&w.d, &w.v.vdev, fuzz_guarded_ram(RAM_SIZE), RAM_SIZE, WINDOW);
    char err[200];
    struct virtio_vsock_opts o = { .guest_cid = GUEST_CID, .uds_path = w.path };
    if (virtio_vsock_init(&w.v, &o, &w.d.m.gm, err, sizeof(err))) {
        fprintf(stderr, "fuzz_vsock: %s\n", err);
        abort();
    }
    w.listen_fd = listen_at(w.lpath);
    for (unsigned i = 0; i < MAX_HOST_FDS; i++)
        w.host[i] = -1;
    ready = true;
    atexit(world_cleanup);
    return &w;
}

/* --- The driver side --- */

/* Negotiates features (5 bytes of input, masked by the offer; VERSION_1
 * unless bit 39 asks for the raw choice), lays out the three rings (2
 * bytes: sizes) and sets DRIVER_OK. */
static void driver_start(struct world *w, struct fuzz_input *in)
{
    struct virtio_dev *d = &w->v.vdev;
    uint64_t want = fuzz_take(in, 4);
    want |= fuzz_take(in, 1) << 32;
    if (!(want & 1ull << 39))
        want |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
    unsigned layout = (unsigned)fuzz_take(in, 2);
    uint64_t features = want & d->host_features;
    bool packed = features & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    memset(w->d.m.host, 0, RING_LIMIT);
    fuzz_drv_negotiate(&w->d, features);
    for (unsigned i = 0; i < 3; i++) {
        unsigned bits = (layout >> (5 * i)) & 0x1f;
        /* Split rings: powers of two up to 256; packed: also other sizes. */
        uint16_t size = packed && bits > 8 ? (uint16_t)(bits * 8) : (uint16_t)(1u << (bits % 9));
        fuzz_drv_setup_queue(&w->d, i, size, packed);
    }
    fuzz_drv_driver_ok(&w->d);
}

static void add_chain(struct world *w, unsigned qi, const struct vdrv_buf *b, unsigned n,
                      bool indirect)
{
    /* The test driver places indirect tables with its bump allocator. */
    indirect = indirect && w->d.m.brk + 16 * n + 16 <= RING_LIMIT;
    vdrv_add(&w->d.q[qi], b, n, indirect, w->d.next_id++);
    virtio_dev_queue_notify(&w->v.vdev, qi);
}

/* Op 0: a tx packet. Option bits pick which header fields come raw from
 * the input; the payload length is the real one unless raw. */
static void op_packet(struct world *w, struct fuzz_input *in, uint8_t opt)
{
    /* Fields one by one: the input is consumed in a fixed order. */
    uint8_t sel = (uint8_t)fuzz_take(in, 1);
    struct vsock_hdr h;
    h.src_cid = sel & 1 ? fuzz_take(in, 8) : GUEST_CID;
    h.dst_cid = sel & 2 ? fuzz_take(in, 8) : VSOCK_HOST_CID;
    h.src_port = sel & 0x40 ? (uint32_t)fuzz_take(in, 4) : (uint32_t)fuzz_take(in, 1) % 4;
    h.dst_port = sel & 4 ? (uint32_t)fuzz_take(in, 4) : LISTEN_PORT + (sel >> 7);
    h.type = sel & 8 ? (uint16_t)fuzz_take(in, 2) : VSOCK_TYPE_STREAM;
    uint8_t opb = (uint8_t)fuzz_take(in, 1); /* mostly the defined operations */
    h.op = opb & 0x80 ? (uint16_t)fuzz_take(in, 2) : opb % 8;
    h.flags = (uint32_t)fuzz_take(in, 1);
    h.buf_alloc = (uint32_t)fuzz_take(in, 4);
    h.fwd_cnt = (uint32_t)fuzz_take(in, 4);
    uint32_t plen = (uint32_t)fuzz_take(in, 2);
    if (sel & 0x10)
        plen += VSOCK_MAX_PKT - 0x100; /* around the largest packet */
    h.len = sel & 0x20 ? (uint32_t)fuzz_take(in, 4) : plen;
    uint32_t off = (uint32_t)fuzz_take(in, 2);
    uint32_t total = VSOCK_HDR_SIZE + plen;
    if (off + total > WINDOW)
        off = WINDOW - total;
    uint64_t gpa = WINDOW_BASE + off;
    uint8_t *p = w->d.m.host + gpa;
    vsock_hdr_write(&h, p);
    fuzz_take_bytes(in, p + VSOCK_HDR_SIZE, MIN((size_t)plen, (size_t)64));
    /* One to three descriptors, cut at input-chosen points. */
    struct vdrv_buf b[3];
    unsigned nb = 1 + (opt & 1) + (opt >> 1 & 1);
    uint32_t cut1 = nb > 1 ? (uint32_t)fuzz_take(in, 1) % (total + 1) : total;
    uint32_t cut2 = nb > 2 ? cut1 + (uint32_t)fuzz_take(in, 2) % (total - cut1 + 1) : total;
    uint32_t cuts[4] = { 0, cut1, cut2, total };
    for (unsigned i = 0; i < nb; i++)
        b[i] = (struct vdrv_buf){ gpa + cuts[i], cuts[i + 1] - cuts[i], opt & 8 && i == nb - 1 };
    add_chain(w, VIRTIO_VSOCK_TXQ, b, nb, opt & 4);
}

/* Op 1: 1-4 rx buffers; lengths around a header, a page, or raw. */
static void op_rx_bufs(struct world *w, struct fuzz_input *in, uint8_t opt)
{
    for (unsigned i = 0; i <= (opt & 3); i++) {
        uint8_t sel = (uint8_t)fuzz_take(in, 1);
        uint32_t len = sel & 0x80 ? (uint32_t)fuzz_take(in, 2)
                       : sel & 0x40 ? VSOCK_HDR_SIZE + (sel & 0x3f) : 4096u + VSOCK_HDR_SIZE;
        uint64_t gpa = WINDOW_BASE + (uint64_t)(uint16_t)fuzz_take(in, 2) * 2;
        if (sel & 0x20)
            gpa = gpa << 20; /* outside guest RAM */
        struct vdrv_buf b = { gpa, len, !(sel & 0x10) };
        add_chain(w, VIRTIO_VSOCK_RXQ, &b, 1, opt & 4);
    }
}

/* Op 3: a raw descriptor, and for split rings optionally an avail entry. */
static void op_raw_desc(struct world *w, struct fuzz_input *in, uint8_t opt)
{
    fuzz_drv_raw_desc(&w->d, in, (opt & 3) % 3, opt & 4, opt & 8);
}

/* Op 4: ring control fields, or the driver takes the used entries. */
static void op_ring_field(struct world *w, struct fuzz_input *in, uint8_t opt)
{
    struct vdrv_queue *q = &w->d.q[(opt & 3) % 3];
    uint16_t v = (uint16_t)fuzz_take(in, 2);
    unsigned what = opt >> 2 & 3;
    if (what == 3)
        fuzz_drv_drain(q); /* packed rings too */
    else
        fuzz_drv_ring_field(q, v, what);
}

/* --- The host side --- */

static int *host_slot(struct world *w)
{
    for (unsigned i = 0; i < MAX_HOST_FDS; i++)
        if (w->host[i] < 0)
            return &w->host[i];
    return NULL;
}

/* Op 5: a host program connects to PATH and sends "CONNECT <port>\n" (or
 * raw bytes from the input). */
static void op_host_connect(struct world *w, struct fuzz_input *in, uint8_t opt)
{
    int *slot = host_slot(w);
    if (!slot)
        return;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", w->path);
    if (s < 0)
        return;
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(s);
        return;
    }
    *slot = s;
    char line[64];
    size_t n;
    if (opt & 1) {
        n = fuzz_take_bytes(in, line, (size_t)(opt >> 1) + 1);
    } else {
        n = (size_t)snprintf(line, sizeof(line), "CONNECT %u\n", (unsigned)fuzz_take(in, 1));
    }
    ssize_t r = send(s, line, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)r;
}

/* Op 6: accept a guest connection at PATH_5000, or act on host socket i. */
static void op_host_io(struct world *w, struct fuzz_input *in, uint8_t opt)
{
    unsigned what = opt & 3;
    if (what == 0) {
        int *slot = host_slot(w);
        int s = slot ? accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC) : -1;
        if (s >= 0)
            *slot = s;
        return;
    }
    int *fd = &w->host[(opt >> 2) % MAX_HOST_FDS];
    if (*fd < 0)
        return;
    uint8_t buf[4096];
    ssize_t r;
    switch (what) {
    case 1: {
        size_t n = MIN(in->n, (size_t)fuzz_take(in, 1) * 16);
        memset(buf, 'h', n);
        r = send(*fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)r;
        break;
    }
    case 2:
        r = recv(*fd, buf, sizeof(buf), MSG_DONTWAIT);
        (void)r;
        break;
    default:
        if (opt & 0x10) {
            shutdown(*fd, SHUT_WR);
        } else {
            close(*fd);
            *fd = -1;
        }
        break;
    }
}

/* Op 7: up to 16 bytes into the window, or a reset and a new start. */
static void op_data_or_reset(struct world *w, struct fuzz_input *in, uint8_t opt)
{
    if (opt & 1) {
        virtio_dev_reset(&w->v.vdev);
        driver_start(w, in);
        return;
    }
    uint32_t off = (uint32_t)fuzz_take(in, 2) * 3 % WINDOW;
    fuzz_drv_data(&w->d, in, off, (size_t)(opt >> 1) + 1);
}

static void run_op(struct world *w, struct fuzz_input *in)
{
    uint8_t op = (uint8_t)fuzz_take(in, 1);
    uint8_t opt = op >> 3;
    switch (op & 7) {
    case 0: op_packet(w, in, opt); break;
    case 1: op_rx_bufs(w, in, opt); break;
    case 2:
        for (unsigned i = 0; i <= (opt & 3); i++)
            virtio_vsock_poll(&w->v, 0);
        break;
    case 3: op_raw_desc(w, in, opt); break;
    case 4: op_ring_field(w, in, opt); break;
    case 5: op_host_connect(w, in, opt); break;
    case 6: op_host_io(w, in, opt); break;
    default: op_data_or_reset(w, in, opt); break;
    }
}

/* Closes this input's host sockets and the guest connections nobody
 * accepted, then resets the device: nothing outlives the input. */
static void end_input(struct world *w)
{
    for (unsigned i = 0; i < MAX_HOST_FDS; i++)
        if (w->host[i] >= 0) {
            close(w->host[i]);
            w->host[i] = -1;
        }
    int s;
    while ((s = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
        close(s);
    /* Host programs still connecting are accepted by the device whatever
     * its state: let it see them hang up (two passes: accept, then end of
     * file), then reset it. */
    virtio_vsock_poll(&w->v, 0);
    virtio_vsock_poll(&w->v, 0);
    /* Only the reset of an active device drops connections (a host
     * program may connect before the driver is up): start a minimal
     * driver, no queues, in case the input's never got that far. */
    struct virtio_dev *d = &w->v.vdev;
    virtio_dev_reset(d);
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(d, 1, (uint32_t)(VIRTIO_BIT(VIRTIO_F_VERSION_1) >> 32));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_FEATURES_OK);
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_DRIVER_OK);
    FUZZ_CHECK(virtio_dev_status(d) & VIRTIO_STATUS_DRIVER_OK);
    virtio_dev_reset(d);
    virtio_vsock_poll(&w->v, 0); /* consumes the kicks of this input */
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        FUZZ_CHECK(!w->v.conn[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_set_level(LOG_ERROR);
    struct world *w = world_get();
    struct fuzz_input in = { data, size };
    memset(w->d.m.host + WINDOW_BASE, 0, WINDOW);
    w->d.next_id = 0;
    driver_start(w, &in);
    while (in.n)
        run_op(w, &in);
    end_input(w);
    return 0;
}
