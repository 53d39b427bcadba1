/* virtio-vsock against real Unix sockets in a temporary directory: the
 * test plays the guest driver on the rings and the host programs on the
 * sockets, and runs the device's I/O loop itself (virtio_vsock_poll). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"
#include "devices/virtio/virtio_vsock.h"
#include "virtio/virtq_driver.h"

#define GUEST_CID 3
#define RX_BUF 4096

struct fx {
    char dir[64], path[96];
    struct vdrv_mem m;
    struct vdrv_queue q[3];
    struct virtio_vsock v;
    uint64_t rx_gpa[256]; /* by buffer id */
    uint16_t next_id;
};

/* --- Fixture --- */

static void fx_start(struct fx *f, bool packed)
{
    memset(f, 0, sizeof(*f));
    strcpy(f->dir, "/tmp/vmon-vsock-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
    vdrv_mem_init(&f->m, 8 << 20);
    char err[200];
    struct virtio_vsock_opts o = { .guest_cid = GUEST_CID, .uds_path = f->path };
    assert_int_equal(virtio_vsock_init(&f->v, &o, &f->m.gm, err, sizeof(err)), 0);
    struct virtio_dev *d = &f->v.vdev;
    uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | (packed ? VIRTIO_BIT(VIRTIO_F_RING_PACKED) : 0);
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(d, 0, (uint32_t)features);
    virtio_dev_set_driver_features(d, 1, (uint32_t)(features >> 32));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < 3; i++) {
        vdrv_queue_init(&f->q[i], &f->m, 64, packed);
        vdrv_queue_config(&f->q[i], virtio_dev_queue_cfg(d, i));
    }
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_dev_status(d) & VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(get_le64(f->v.config), GUEST_CID);
}

static void fx_stop(struct fx *f)
{
    virtio_dev_reset(&f->v.vdev);
    virtio_vsock_destroy(&f->v);
    struct stat st;
    assert_int_equal(stat(f->path, &st), -1); /* the socket file is gone */
    vdrv_mem_free(&f->m);
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/v.sock_5000", f->dir);
    unlink(sub);
    rmdir(f->dir);
}

/* Runs the device's loop until it has nothing more to do. */
static void pump(struct fx *f)
{
    for (int i = 0; i < 4; i++)
        virtio_vsock_poll(&f->v, 0);
}

/* --- The guest's side --- */

static void rx_fill(struct fx *f, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint16_t id = f->next_id++ & 63;
        uint64_t gpa = vdrv_alloc(&f->m, VSOCK_HDR_SIZE + RX_BUF, 8);
        struct vdrv_buf b = { gpa, VSOCK_HDR_SIZE + RX_BUF, true };
        int head = vdrv_add(&f->q[VIRTIO_VSOCK_RXQ], &b, 1, false, id);
        f->rx_gpa[head & 255] = gpa;
    }
    virtio_dev_queue_notify(&f->v.vdev, VIRTIO_VSOCK_RXQ);
}

/* Takes the next packet the device put in the rx queue; false if none. */
static bool guest_recv(struct fx *f, struct vsock_hdr *h, uint8_t *payload)
{
    uint32_t id, len;
    if (!vdrv_used(&f->q[VIRTIO_VSOCK_RXQ], &id, &len))
        return false;
    const uint8_t *p = vdrv_host(&f->m, f->rx_gpa[id & 255]);
    assert_true(len >= VSOCK_HDR_SIZE);
    vsock_hdr_read(h, p);
    assert_int_equal(len, VSOCK_HDR_SIZE + h->len);
    if (payload)
        memcpy(payload, p + VSOCK_HDR_SIZE, h->len);
    return true;
}

static void expect_packet(struct fx *f, uint16_t op, uint32_t host_port, uint32_t guest_port,
                          struct vsock_hdr *out)
{
    struct vsock_hdr h;
    assert_true(guest_recv(f, &h, NULL));
    assert_int_equal(h.op, op);
    assert_int_equal(h.src_cid, VSOCK_HOST_CID);
    assert_int_equal(h.dst_cid, GUEST_CID);
    assert_int_equal(h.type, VSOCK_TYPE_STREAM);
    if (host_port != UINT32_MAX)
        assert_int_equal(h.src_port, host_port);
    assert_int_equal(h.dst_port, guest_port);
    if (out)
        *out = h;
}

static void expect_nothing(struct fx *f)
{
    struct vsock_hdr h;
    assert_false(guest_recv(f, &h, NULL));
}

/* Sends a raw packet: `hdr_len` header bytes of h then len payload bytes. */
static void guest_send_raw(struct fx *f, const struct vsock_hdr *h, unsigned hdr_len,
                           const void *payload, uint32_t len)
{
    uint64_t gpa = vdrv_alloc(&f->m, VSOCK_HDR_SIZE + len + 1, 8);
    uint8_t *p = vdrv_host(&f->m, gpa);
    vsock_hdr_write(h, p);
    if (len)
        memcpy(p + hdr_len, payload, len);
    struct vdrv_buf b = { gpa, hdr_len + len, false };
    vdrv_add(&f->q[VIRTIO_VSOCK_TXQ], &b, 1, false, f->next_id++ & 63);
    virtio_dev_queue_notify(&f->v.vdev, VIRTIO_VSOCK_TXQ);
    pump(f);
    uint32_t id, used;
    assert_true(vdrv_used(&f->q[VIRTIO_VSOCK_TXQ], &id, &used)); /* always returned */
}

static void guest_send(struct fx *f, uint16_t op, uint32_t guest_port, uint32_t host_port,
                       uint32_t flags, const void *payload, uint32_t len, uint32_t buf_alloc,
                       uint32_t fwd_cnt)
{
    struct vsock_hdr h = {
        .src_cid = GUEST_CID, .dst_cid = VSOCK_HOST_CID, .src_port = guest_port,
        .dst_port = host_port, .len = len, .type = VSOCK_TYPE_STREAM, .op = op,
        .flags = flags, .buf_alloc = buf_alloc, .fwd_cnt = fwd_cnt,
    };
    guest_send_raw(f, &h, VSOCK_HDR_SIZE, payload, len);
}

/* --- The host programs' side --- */

static int host_connect(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    return s;
}

static int host_listen(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s, 4), 0);
    return s;
}

/* Reads what is there within 1 s; returns the count (0: end of file). */
static ssize_t host_read(int fd, void *buf, size_t len)
{
    struct pollfd p = { fd, POLLIN, 0 };
    assert_int_equal(poll(&p, 1, 1000), 1);
    return read(fd, buf, len);
}

static bool host_has_data(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, 0) == 1;
}

static void host_write(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* --- Tests --- */

/* CONNECT <port> from a host program; OK once the guest accepts; data both
 * ways; the host closes: SHUTDOWN, the guest closes too: RST. */
static void host_initiated(bool packed)
{
    struct fx f;
    fx_start(&f, packed);
    rx_fill(&f, 8);
    int s = host_connect(f.path);
    host_write(s, "CONNECT 1234\n");
    pump(&f);
    struct vsock_hdr h;
    expect_packet(&f, VSOCK_OP_REQUEST, VSOCK_LOCAL_PORT_BASE, 1234, &h);
    assert_int_equal(h.buf_alloc, VSOCK_BUF_ALLOC);
    assert_false(host_has_data(s)); /* no OK before the guest accepts */

    guest_send(&f, VSOCK_OP_RESPONSE, 1234, h.src_port, 0, NULL, 0, 4096, 0);
    char buf[64] = "";
    assert_int_equal(host_read(s, buf, sizeof(buf)), 14);
    assert_memory_equal(buf, "OK 1073741824\n", 14);

    guest_send(&f, VSOCK_OP_RW, 1234, h.src_port, 0, "ping", 4, 4096, 0);
    assert_int_equal(host_read(s, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ping", 4);

    host_write(s, "pong");
    pump(&f);
    uint8_t payload[RX_BUF];
    assert_true(guest_recv(&f, &h, payload));
    assert_int_equal(h.op, VSOCK_OP_RW);
    assert_int_equal(h.len, 4);
    assert_memory_equal(payload, "pong", 4);
    assert_int_equal(h.fwd_cnt, 4); /* "ping" reached the host */

    shutdown(s, SHUT_WR);
    pump(&f);
    expect_packet(&f, VSOCK_OP_SHUTDOWN, VSOCK_LOCAL_PORT_BASE, 1234, &h);
    assert_int_equal(h.flags, VSOCK_SHUTDOWN_SEND);
    guest_send(&f, VSOCK_OP_SHUTDOWN, 1234, h.src_port, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND,
               NULL, 0, 4096, 4);
    expect_packet(&f, VSOCK_OP_RST, VSOCK_LOCAL_PORT_BASE, 1234, NULL);
    assert_int_equal(host_read(s, buf, sizeof(buf)), 0); /* closed */
    close(s);
    fx_stop(&f);
}

static void test_host_initiated_split(void **s)
{
    (void)s;
    host_initiated(false);
}

static void test_host_initiated_packed(void **s)
{
    (void)s;
    host_initiated(true);
}

/* A bad handshake closes the host connection; the guest refusing (RST)
 * closes it without an OK. */
static void test_host_handshake_refused(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    rx_fill(&f, 8);
    char buf[64];
    int s = host_connect(f.path);
    host_write(s, "HELLO 1\n");
    pump(&f);
    assert_int_equal(host_read(s, buf, sizeof(buf)), 0);
    expect_nothing(&f);
    close(s);

    s = host_connect(f.path);
    host_write(s, "CONNECT 99\n");
    pump(&f);
    struct vsock_hdr h;
    expect_packet(&f, VSOCK_OP_REQUEST, UINT32_MAX, 99, &h);
    guest_send(&f, VSOCK_OP_RST, 99, h.src_port, 0, NULL, 0, 0, 0);
    assert_int_equal(host_read(s, buf, sizeof(buf)), 0);
    close(s);
    fx_stop(&f);
}

/* A guest connection to host port P reaches PATH_P; nobody there: RST. */
static void test_guest_initiated(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    rx_fill(&f, 8);
    char lpath[128], buf[64];
    snprintf(lpath, sizeof(lpath), "%s_5000", f.path);
    int l = host_listen(lpath);

    guest_send(&f, VSOCK_OP_REQUEST, 777, 5000, 0, NULL, 0, 4096, 0);
    expect_packet(&f, VSOCK_OP_RESPONSE, 5000, 777, NULL);
    int s = accept(l, NULL, NULL);
    assert_true(s >= 0);
    guest_send(&f, VSOCK_OP_RW, 777, 5000, 0, "from guest", 10, 4096, 0);
    assert_int_equal(host_read(s, buf, sizeof(buf)), 10);
    assert_memory_equal(buf, "from guest", 10);
    host_write(s, "from host");
    pump(&f);
    uint8_t payload[RX_BUF];
    struct vsock_hdr h;
    assert_true(guest_recv(&f, &h, payload));
    assert_int_equal(h.op, VSOCK_OP_RW);
    assert_memory_equal(payload, "from host", 9);

    /* A second connection alongside, and one nobody listens for. */
    guest_send(&f, VSOCK_OP_REQUEST, 778, 5000, 0, NULL, 0, 4096, 0);
    expect_packet(&f, VSOCK_OP_RESPONSE, 5000, 778, NULL);
    int s2 = accept(l, NULL, NULL);
    assert_true(s2 >= 0);
    guest_send(&f, VSOCK_OP_REQUEST, 779, 5001, 0, NULL, 0, 4096, 0);
    expect_packet(&f, VSOCK_OP_RST, 5001, 779, NULL);
    /* A duplicate REQUEST on a live connection resets it. */
    guest_send(&f, VSOCK_OP_REQUEST, 778, 5000, 0, NULL, 0, 4096, 0);
    expect_packet(&f, VSOCK_OP_RST, 5000, 778, NULL);
    assert_int_equal(host_read(s2, buf, sizeof(buf)), 0);

    /* The guest resets the first: the host sees end of file. */
    guest_send(&f, VSOCK_OP_RST, 777, 5000, 0, NULL, 0, 0, 0);
    assert_int_equal(host_read(s, buf, sizeof(buf)), 0);
    expect_nothing(&f);
    close(s);
    close(s2);
    close(l);
    fx_stop(&f);
}

/* Host data goes out only within the guest's credit; CREDIT_UPDATE opens
 * it again; CREDIT_REQUEST gets our fwd_cnt. */
static void test_credit(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    rx_fill(&f, 16);
    char lpath[128];
    snprintf(lpath, sizeof(lpath), "%s_5000", f.path);
    int l = host_listen(lpath);
    guest_send(&f, VSOCK_OP_REQUEST, 40, 5000, 0, NULL, 0, 8, 0);
    expect_packet(&f, VSOCK_OP_RESPONSE, 5000, 40, NULL);
    int s = accept(l, NULL, NULL);
    host_write(s, "0123456789abcdefghij");
    pump(&f);
    uint8_t payload[RX_BUF];
    struct vsock_hdr h;
    assert_true(guest_recv(&f, &h, payload));
    assert_int_equal(h.len, 8);
    assert_memory_equal(payload, "01234567", 8);
    expect_nothing(&f); /* credit used up */

    guest_send(&f, VSOCK_OP_CREDIT_UPDATE, 40, 5000, 0, NULL, 0, 8, 8);
    assert_true(guest_recv(&f, &h, payload));
    assert_int_equal(h.len, 8);
    assert_memory_equal(payload, "89abcdef", 8);
    guest_send(&f, VSOCK_OP_CREDIT_UPDATE, 40, 5000, 0, NULL, 0, 64, 16);
    assert_true(guest_recv(&f, &h, payload));
    assert_int_equal(h.len, 4);
    assert_memory_equal(payload, "ghij", 4);

    guest_send(&f, VSOCK_OP_RW, 40, 5000, 0, "abc", 3, 64, 20);
    guest_send(&f, VSOCK_OP_CREDIT_REQUEST, 40, 5000, 0, NULL, 0, 64, 20);
    expect_packet(&f, VSOCK_OP_CREDIT_UPDATE, 5000, 40, &h);
    assert_int_equal(h.fwd_cnt, 3);
    assert_int_equal(h.buf_alloc, VSOCK_BUF_ALLOC);
    close(s);
    close(l);
    fx_stop(&f);
}

/* A guest that sends past the credit while the host does not read gets a
 * RST and the connection is closed. */
static void test_credit_overrun(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    rx_fill(&f, 8);
    char lpath[128];
    snprintf(lpath, sizeof(lpath), "%s_5000", f.path);
    int l = host_listen(lpath);
    guest_send(&f, VSOCK_OP_REQUEST, 41, 5000, 0, NULL, 0, 4096, 0);
    expect_packet(&f, VSOCK_OP_RESPONSE, 5000, 41, NULL);
    int s = accept(l, NULL, NULL);
    static uint8_t chunk[VSOCK_MAX_PKT];
    memset(chunk, 'z', sizeof(chunk));
    struct vsock_hdr h;
    bool reset = false;
    size_t sent = 0;
    for (int i = 0; i < 64 && !reset; i++) {
        guest_send(&f, VSOCK_OP_RW, 41, 5000, 0, chunk, sizeof(chunk), 4096, 0);
        sent += sizeof(chunk);
        while (guest_recv(&f, &h, NULL))
            reset |= h.op == VSOCK_OP_RST;
    }
    assert_true(reset);
    size_t total = 0;
    static uint8_t sink[1 << 16];
    ssize_t n;
    while ((n = host_read(s, sink, sizeof(sink))) > 0)
        total += (size_t)n;
    assert_int_equal(n, 0);
    /* The socket took what fit; the buffered rest and the packet past the
     * credit were dropped with the connection. */
    assert_true(total >= VSOCK_MAX_PKT && total <= sent - VSOCK_MAX_PKT);
    close(s);
    close(l);
    fx_stop(&f);
}

/* Malformed packets: dropped without an answer (short header, wrong CIDs,
 * a length that does not match, seqpacket) or answered RST (unknown op,
 * data for an unknown port); the device keeps working. */
static void test_malformed(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    rx_fill(&f, 16);
    struct vsock_hdr h = {
        .src_cid = GUEST_CID, .dst_cid = VSOCK_HOST_CID, .src_port = 1, .dst_port = 5000,
        .type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_REQUEST,
    };
    guest_send_raw(&f, &h, 10, NULL, 0);           /* short header */
    struct vsock_hdr bad = h;
    bad.src_cid = 7;                               /* spoofed source */
    guest_send_raw(&f, &bad, VSOCK_HDR_SIZE, NULL, 0);
    bad = h;
    bad.dst_cid = 9;                               /* not the host */
    guest_send_raw(&f, &bad, VSOCK_HDR_SIZE, NULL, 0);
    bad = h;
    bad.op = VSOCK_OP_RW;
    bad.len = 1000;                                /* longer than the buffer */
    guest_send_raw(&f, &bad, VSOCK_HDR_SIZE, "abc", 3);
    bad.len = 0xffffffffu;
    guest_send_raw(&f, &bad, VSOCK_HDR_SIZE, "abc", 3);
    bad = h;
    bad.type = 2;                                  /* seqpacket: not offered */
    guest_send_raw(&f, &bad, VSOCK_HDR_SIZE, NULL, 0);
    expect_nothing(&f);
    assert_false(virtio_dev_broken(&f.v.vdev));

    guest_send(&f, VSOCK_OP_RW, 2, 6000, 0, "x", 1, 0, 0); /* no such connection */
    expect_packet(&f, VSOCK_OP_RST, 6000, 2, NULL);
    guest_send(&f, 99, 3, 6000, 0, NULL, 0, 0, 0);
    expect_packet(&f, VSOCK_OP_RST, 6000, 3, NULL);
    guest_send(&f, VSOCK_OP_RST, 4, 6000, 0, NULL, 0, 0, 0); /* never answered */
    expect_nothing(&f);

    /* Unknown op on a live connection: RST, host side closed. */
    char lpath[128], buf[8];
    snprintf(lpath, sizeof(lpath), "%s_5000", f.path);
    int l = host_listen(lpath);
    guest_send(&f, VSOCK_OP_REQUEST, 50, 5000, 0, NULL, 0, 4096, 0);
    expect_packet(&f, VSOCK_OP_RESPONSE, 5000, 50, NULL);
    int s = accept(l, NULL, NULL);
    guest_send(&f, 42, 50, 5000, 0, NULL, 0, 4096, 0);
    expect_packet(&f, VSOCK_OP_RST, 5000, 50, NULL);
    assert_int_equal(host_read(s, buf, sizeof(buf)), 0);
    close(s);
    close(l);
    fx_stop(&f);
}

/* Without rx buffers nothing is lost: the REQUEST waits for one. */
static void test_rx_waits_for_buffers(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    int s = host_connect(f.path);
    host_write(s, "CONNECT 7\n");
    pump(&f);
    expect_nothing(&f);
    rx_fill(&f, 1);
    pump(&f);
    expect_packet(&f, VSOCK_OP_REQUEST, UINT32_MAX, 7, NULL);
    close(s);
    fx_stop(&f);
}

/* A host program that gives up before the guest was asked (no RX buffer
 * yet, as before the driver is up) frees its slot at once: the guest hears
 * nothing of it, neither REQUEST nor RST. */
static void test_host_gives_up_before_request(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    int s = host_connect(f.path);
    host_write(s, "CONNECT 7\n");
    pump(&f);
    close(s);
    pump(&f);
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        assert_null(f.v.conn[i]);
    rx_fill(&f, 4);
    pump(&f);
    expect_nothing(&f);
    fx_stop(&f);
}

/* Broken rings: a tx buffer outside guest RAM, an rx buffer too small for
 * a header. The device needs a reset (and gets one); vmon goes on. */
static void test_broken_rings(void **st)
{
    (void)st;
    struct fx f;
    fx_start(&f, false);
    struct vdrv_buf bad = { (8 << 20) - 8, 64, false };
    vdrv_add(&f.q[VIRTIO_VSOCK_TXQ], &bad, 1, false, 0);
    virtio_dev_queue_notify(&f.v.vdev, VIRTIO_VSOCK_TXQ);
    pump(&f);
    assert_true(virtio_dev_broken(&f.v.vdev));
    fx_stop(&f);

    fx_start(&f, true);
    struct vdrv_buf tiny = { vdrv_alloc(&f.m, 16, 8), 16, true };
    vdrv_add(&f.q[VIRTIO_VSOCK_RXQ], &tiny, 1, false, 0);
    guest_send(&f, VSOCK_OP_REQUEST, 1, 5999, 0, NULL, 0, 0, 0); /* RST owed: needs rx */
    assert_true(virtio_dev_broken(&f.v.vdev));
    fx_stop(&f);
}

/* Socket path rules: in use refused, stale replaced, missing directory and
 * non-socket files refused, handshake line parsing. */
static void test_uds_rules(void **st)
{
    (void)st;
    char dir[] = "/tmp/vmon-vsock-uds-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], err[200];
    snprintf(path, sizeof(path), "%s/s", dir);
    ino_t ino;
    int fd = vsock_uds_listen(path, &ino, err, sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(vsock_uds_listen(path, &ino, err, sizeof(err)), -EADDRINUSE);
    assert_non_null(strstr(err, "in use"));
    close(fd); /* the file stays: stale */
    fd = vsock_uds_listen(path, &ino, err, sizeof(err));
    assert_true(fd >= 0);
    close(fd);
    vsock_uds_unlink(path, ino);
    struct stat sb;
    assert_int_equal(stat(path, &sb), -1);

    char missing[160];
    snprintf(missing, sizeof(missing), "%s/nodir/s", dir);
    assert_int_equal(vsock_uds_listen(missing, &ino, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "directory does not exist"));
    int reg = open(path, O_CREAT | O_WRONLY, 0600);
    close(reg);
    assert_int_equal(vsock_uds_listen(path, &ino, err, sizeof(err)), -EEXIST);
    assert_int_equal(stat(path, &sb), 0); /* a user's file is never removed */
    unlink(path);
    char longp[200];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = 0;
    assert_int_equal(vsock_uds_listen(longp, &ino, err, sizeof(err)), -ENAMETOOLONG);
    rmdir(dir);

    uint32_t port;
    assert_int_equal(vsock_uds_parse_connect("CONNECT 52", &port), 0);
    assert_int_equal(port, 52);
    assert_int_equal(vsock_uds_parse_connect("CONNECT 4294967295\r", &port), 0);
    assert_int_equal(port, 4294967295u);
    assert_int_equal(vsock_uds_parse_connect("CONNECT 4294967296", &port), -EINVAL);
    assert_int_equal(vsock_uds_parse_connect("CONNECT ", &port), -EINVAL);
    assert_int_equal(vsock_uds_parse_connect("CONNECT 1x", &port), -EINVAL);
    assert_int_equal(vsock_uds_parse_connect("connect 1", &port), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_initiated_split),
        cmocka_unit_test(test_host_initiated_packed),
        cmocka_unit_test(test_host_handshake_refused),
        cmocka_unit_test(test_guest_initiated),
        cmocka_unit_test(test_credit),
        cmocka_unit_test(test_credit_overrun),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_rx_waits_for_buffers),
        cmocka_unit_test(test_host_gives_up_before_request),
        cmocka_unit_test(test_broken_rings),
        cmocka_unit_test(test_uds_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
