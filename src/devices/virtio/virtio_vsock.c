/* virtio-vsock with Unix socket host ends; see virtio_vsock.h. */
#include "devices/virtio/virtio_vsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* epoll data of the two fixed descriptors; connections use their pointer. */
#define TAG_KICK 1
#define TAG_LISTEN 2

/* --- Header --- */

void vsock_hdr_read(struct vsock_hdr *h, const uint8_t *p)
{
    *h = (struct vsock_hdr){
        .src_cid = get_le64(p + VSOCK_HDR_SRC_CID), .dst_cid = get_le64(p + VSOCK_HDR_DST_CID),
        .src_port = get_le32(p + VSOCK_HDR_SRC_PORT), .dst_port = get_le32(p + VSOCK_HDR_DST_PORT),
        .len = get_le32(p + VSOCK_HDR_LEN), .type = get_le16(p + VSOCK_HDR_TYPE),
        .op = get_le16(p + VSOCK_HDR_OP), .flags = get_le32(p + VSOCK_HDR_FLAGS),
        .buf_alloc = get_le32(p + VSOCK_HDR_BUF_ALLOC), .fwd_cnt = get_le32(p + VSOCK_HDR_FWD_CNT),
    };
}

void vsock_hdr_write(const struct vsock_hdr *h, uint8_t *p)
{
    put_le64(p + VSOCK_HDR_SRC_CID, h->src_cid);
    put_le64(p + VSOCK_HDR_DST_CID, h->dst_cid);
    put_le32(p + VSOCK_HDR_SRC_PORT, h->src_port);
    put_le32(p + VSOCK_HDR_DST_PORT, h->dst_port);
    put_le32(p + VSOCK_HDR_LEN, h->len);
    put_le16(p + VSOCK_HDR_TYPE, h->type);
    put_le16(p + VSOCK_HDR_OP, h->op);
    put_le32(p + VSOCK_HDR_FLAGS, h->flags);
    put_le32(p + VSOCK_HDR_BUF_ALLOC, h->buf_alloc);
    put_le32(p + VSOCK_HDR_FWD_CNT, h->fwd_cnt);
}

/* --- Connections --- */

static void listen_watch(struct virtio_vsock *v, bool on);

static struct vsock_conn *conn_find(struct virtio_vsock *v, uint32_t host_port,
                                    uint32_t guest_port)
{
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
        struct vsock_conn *c = v->conn[i];
        if (c && c->state != VSOCK_HANDSHAKE && c->host_port == host_port &&
            c->guest_port == guest_port)
            return c;
    }
    return NULL;
}

/* A new connection around fd (taken over), or NULL (fd closed) when the
 * table is full or memory is short. */
static struct vsock_conn *conn_new(struct virtio_vsock *v, int fd, enum vsock_state state)
{
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
        if (v->conn[i])
            continue;
        struct vsock_conn *c = calloc(1, sizeof(*c));
        if (c) {
            c->in = malloc(VSOCK_BUF_ALLOC);
            c->out = malloc(VSOCK_MAX_PKT);
        }
        if (!c || !c->in || !c->out) {
            if (c) {
                free(c->in);
                free(c->out);
            }
            free(c);
            break;
        }
        c->fd = fd;
        c->state = state;
        if (epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, fd,
                      &(struct epoll_event){ .events = 0, .data.ptr = c }) < 0) {
            free(c->in);
            free(c->out);
            free(c);
            break;
        }
        v->conn[i] = c;
        return c;
    }
    close(fd);
    return NULL;
}

static void conn_free(struct virtio_vsock *v, struct vsock_conn *c)
{
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        if (v->conn[i] == c)
            v->conn[i] = NULL;
    if (!c->hup)
        epoll_ctl(v->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
    listen_watch(v, true); /* a descriptor is free again */
}

static void conn_free_all(struct virtio_vsock *v)
{
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        if (v->conn[i])
            conn_free(v, v->conn[i]);
    v->nrst = 0;
}

/* Closes the host side now and owes the guest a RST (the entry goes once
 * the RST is out). */
static void conn_reset(struct vsock_conn *c)
{
    c->want_rst = true;
    c->want_request = c->want_response = c->want_credit = c->want_shutdown = false;
    c->in_len = c->out_len = 0;
    c->host_eof = true;
}

/* Bytes the guest can still take from this connection (its buf_alloc minus
 * what is in flight; a guest claiming more than it was sent gets no more
 * than its buf_alloc). */
static uint32_t conn_peer_credit(const struct vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
    return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static void queue_rst(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port)
{
    if (v->nrst < VSOCK_MAX_RST)
        v->rst[v->nrst++] = (struct vsock_rst){ host_port, guest_port };
}

static uint32_t alloc_local_port(struct virtio_vsock *v)
{
    for (;;) {
        uint32_t p = v->next_local_port++;
        if (v->next_local_port == 0)
            v->next_local_port = VSOCK_LOCAL_PORT_BASE;
        bool used = false;
        for (unsigned i = 0; i < VSOCK_MAX_CONNS && !used; i++)
            used = v->conn[i] && v->conn[i]->state != VSOCK_HANDSHAKE &&
                   v->conn[i]->host_port == p;
        if (!used)
            return p;
    }
}

/* --- Host side: sockets --- */

/* Writes buffered guest data to the host socket; credits what went out. */
static void conn_flush_in(struct vsock_conn *c)
{
    while (c->in_len) {
        ssize_t n = send(c->fd, c->in + c->in_off, c->in_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_reset(c); /* the host program went away */
            return;
        }
        c->in_off += (uint32_t)n;
        c->in_len -= (uint32_t)n;
        c->fwd_cnt += (uint32_t)n;
    }
    if (!c->in_len)
        c->in_off = 0;
    if (c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_BUF_ALLOC / 4)
        c->want_credit = true;
    /* The guest shut its sending side and everything has reached the host:
     * pass the end of file on; with both sides shut, close and RST. */
    if (!c->in_len && c->peer_shut_send && c->state == VSOCK_ESTABLISHED && !c->want_rst) {
        if (c->peer_shut_rcv)
            conn_reset(c);
        else
            shutdown(c->fd, SHUT_WR);
    }
}

/* Reads the handshake line one byte at a time (so no data after it is
 * consumed); on "CONNECT <port>" asks the guest for the connection. */
static void conn_handshake(struct virtio_vsock *v, struct vsock_conn *c)
{
    for (;;) {
        char ch;
        ssize_t n = recv(c->fd, &ch, 1, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0 || c->nline == sizeof(c->line) - 1) {
            conn_free(v, c); /* closed, or a line too long: not a vsock client */
            return;
        }
        if (ch != '\n') {
            c->line[c->nline++] = ch;
            continue;
        }
        c->line[c->nline] = 0;
        uint32_t port;
        if (vsock_uds_parse_connect(c->line, &port) < 0) {
            log_debug("vsock: bad handshake line from a host program; closing it");
            conn_free(v, c);
            return;
        }
        c->guest_port = port;
        c->host_port = alloc_local_port(v);
        c->state = VSOCK_CONNECTING;
        c->want_request = true;
        return;
    }
}

/* Reads host data, at most the guest's credit, once the last read is out. */
static void conn_read_host(struct vsock_conn *c)
{
    uint32_t room = MIN(conn_peer_credit(c), VSOCK_MAX_PKT);
    if (c->state != VSOCK_ESTABLISHED || c->out_len || c->host_eof || c->peer_shut_rcv ||
        room == 0)
        return;
    ssize_t n;
    do
        n = recv(c->fd, c->out, room, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->out_off = 0;
        c->out_len = (uint32_t)n;
    } else if (n == 0) {
        c->host_eof = true;
        c->want_shutdown = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        conn_reset(c);
    }
}

static void conn_host_event(struct virtio_vsock *v, struct vsock_conn *c, uint32_t events)
{
    if (events & (EPOLLHUP | EPOLLERR)) {
        /* epoll reports a hang-up whatever the interest: stop watching the
         * socket (its remaining data is read as credit allows, from
         * fill_rx) so it cannot spin the loop. */
        c->hup = true;
        epoll_ctl(v->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        if (c->state == VSOCK_CONNECTING) {
            /* The host program gave up waiting. If the guest has not been
             * asked yet (no driver, or no RX buffer so far), nobody needs
             * telling: the slot is free at once. */
            if (c->want_request)
                conn_free(v, c);
            else
                conn_reset(c);
            return;
        }
    }
    if (c->state == VSOCK_HANDSHAKE) {
        conn_handshake(v, c);
        return;
    }
    if (c->state != VSOCK_ESTABLISHED)
        return;
    if (events & EPOLLOUT)
        conn_flush_in(c);
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        conn_read_host(c);
}

/* Stops or resumes watching the listening socket. */
static void listen_watch(struct virtio_vsock *v, bool on)
{
    if (on == !v->listen_paused)
        return;
    if (on)
        epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, v->listen_fd,
                  &(struct epoll_event){ .events = EPOLLIN, .data.u64 = TAG_LISTEN });
    else
        epoll_ctl(v->epoll_fd, EPOLL_CTL_DEL, v->listen_fd, NULL);
    v->listen_paused = !on;
}

static void accept_host(struct virtio_vsock *v)
{
    for (;;) {
        int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                       errno == ENOMEM)) {
            /* Out of descriptors: the pending connection would wake epoll
             * at once again; wait until a connection closes. */
            log_warn("vsock: cannot accept a host connection: %s", strerror(errno));
            listen_watch(v, false);
            return;
        }
        if (fd < 0)
            return;
        if (!conn_new(v, fd, VSOCK_HANDSHAKE))
            log_warn("vsock: too many connections; refusing a host program");
    }
}

/* The epoll interest a connection needs now. */
static uint32_t conn_wanted_events(const struct vsock_conn *c)
{
    if (c->state == VSOCK_HANDSHAKE)
        return EPOLLIN;
    if (c->state != VSOCK_ESTABLISHED || c->want_rst)
        return 0;
    uint32_t ev = 0;
    if (!c->out_len && !c->host_eof && !c->peer_shut_rcv && conn_peer_credit(c))
        ev |= EPOLLIN;
    if (c->in_len)
        ev |= EPOLLOUT;
    return ev;
}

static void update_interest(struct virtio_vsock *v)
{
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
        struct vsock_conn *c = v->conn[i];
        if (!c || c->hup)
            continue;
        uint32_t ev = conn_wanted_events(c);
        if (ev != c->events &&
            epoll_ctl(v->epoll_fd, EPOLL_CTL_MOD, c->fd,
                      &(struct epoll_event){ .events = ev, .data.ptr = c }) == 0)
            c->events = ev;
    }
}

/* --- Guest packets (tx queue) --- */

static void conn_established(struct vsock_conn *c, const struct vsock_hdr *h)
{
    c->state = VSOCK_ESTABLISHED;
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
}

/* REQUEST from the guest: connect to PATH_<dst_port>. */
static void guest_request(struct virtio_vsock *v, const struct vsock_hdr *h)
{
    if (conn_find(v, h->dst_port, h->src_port)) {
        queue_rst(v, h->dst_port, h->src_port);
        return;
    }
    int fd = vsock_uds_connect(v->path, h->dst_port);
    if (fd < 0) {
        log_debug("vsock: guest port %u -> host port %u: %s", h->src_port, h->dst_port,
                  strerror(-fd));
        queue_rst(v, h->dst_port, h->src_port);
        return;
    }
    struct vsock_conn *c = conn_new(v, fd, VSOCK_ESTABLISHED);
    if (!c) {
        queue_rst(v, h->dst_port, h->src_port);
        return;
    }
    c->host_port = h->dst_port;
    c->guest_port = h->src_port;
    conn_established(c, h);
    c->want_response = true;
}

/* RESPONSE to our REQUEST: tell the host program "OK <host port>". */
static void guest_response(struct vsock_conn *c, const struct vsock_hdr *h)
{
    if (c->state != VSOCK_CONNECTING || c->want_request) {
        conn_reset(c);
        return;
    }
    conn_established(c, h);
    char ok[24];
    int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);
    if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
        conn_reset(c);
}

/* RW: payload into the host socket, or the buffer while it is full. */
static void guest_rw(struct virtio_vsock *v, struct vsock_conn *c, const struct virtq_chain *ch,
                     const struct vsock_hdr *h)
{
    if (c->state != VSOCK_ESTABLISHED || c->peer_shut_send) {
        conn_reset(c);
        return;
    }
    if (h->len > VSOCK_BUF_ALLOC - c->in_len) {
        log_debug("vsock: guest port %u sent beyond its credit; reset", c->guest_port);
        conn_reset(c);
        return;
    }
    uint32_t n = virtq_chain_read(ch, VSOCK_HDR_SIZE, v->pkt, h->len);
    if (c->in_off + c->in_len + n > VSOCK_BUF_ALLOC) {
        memmove(c->in, c->in + c->in_off, c->in_len);
        c->in_off = 0;
    }
    memcpy(c->in + c->in_off + c->in_len, v->pkt, n);
    c->in_len += n;
    conn_flush_in(c);
}

static void guest_shutdown(struct vsock_conn *c, uint32_t flags)
{
    if (flags & VSOCK_SHUTDOWN_RCV) {
        c->peer_shut_rcv = true;
        c->out_len = 0; /* the guest takes no more data */
    }
    if (flags & VSOCK_SHUTDOWN_SEND)
        c->peer_shut_send = true;
    conn_flush_in(c);
}

/* One packet the guest sent. */
static void guest_packet(struct virtio_vsock *v, const struct virtq_chain *ch)
{
    uint8_t raw[VSOCK_HDR_SIZE];
    struct vsock_hdr h;
    if (virtq_chain_read(ch, 0, raw, sizeof(raw)) != sizeof(raw)) {
        log_debug("vsock: packet shorter than its header; dropped");
        return;
    }
    vsock_hdr_read(&h, raw);
    if (h.src_cid != v->guest_cid || h.dst_cid != VSOCK_HOST_CID) {
        log_debug("vsock: packet from CID %llu to CID %llu; dropped",
                  (unsigned long long)h.src_cid, (unsigned long long)h.dst_cid);
        return;
    }
    if (h.len > VSOCK_MAX_PKT || h.len != ch->out_len - VSOCK_HDR_SIZE ||
        h.type != VSOCK_TYPE_STREAM) {
        log_debug("vsock: packet with length %u in %u bytes, type %u; dropped", h.len,
                  ch->out_len, h.type);
        return;
    }
    struct vsock_conn *c = conn_find(v, h.dst_port, h.src_port);
    if (!c) {
        if (h.op == VSOCK_OP_REQUEST)
            guest_request(v, &h);
        else if (h.op != VSOCK_OP_RST)
            queue_rst(v, h.dst_port, h.src_port);
        return;
    }
    if (c->want_rst)
        return; /* already closing: the RST is on its way */
    c->peer_buf_alloc = h.buf_alloc;
    c->peer_fwd_cnt = h.fwd_cnt;
    switch (h.op) {
    case VSOCK_OP_RESPONSE: guest_response(c, &h); break;
    case VSOCK_OP_RW: guest_rw(v, c, ch, &h); break;
    case VSOCK_OP_SHUTDOWN: guest_shutdown(c, h.flags); break;
    case VSOCK_OP_CREDIT_UPDATE: break; /* the fields above were the point */
    case VSOCK_OP_CREDIT_REQUEST: c->want_credit = true; break;
    case VSOCK_OP_RST: conn_free(v, c); break;
    default: conn_reset(c); break; /* REQUEST on a live connection, unknown ops */
    }
}

static void process_tx(struct virtio_vsock *v)
{
    struct virtq *q = &v->vq[VIRTIO_VSOCK_TXQ];
    struct virtq_chain ch = { .iov = v->iov, .max_iov = VSOCK_MAX_IOV };
    bool pushed = false;
    while (!virtio_dev_broken(&v->vdev)) {
        int rc = virtq_pop(q, &ch);
        if (rc < 0) {
            virtio_dev_fail(&v->vdev, VIRTIO_VSOCK_TXQ, virtq_strerror(rc));
            break;
        }
        if (rc == 0) {
            if (virtq_enable_kick(q))
                continue;
            break;
        }
        guest_packet(v, &ch);
        virtq_push(q, &ch, 0);
        pushed = true;
    }
    if (pushed) {
        virtq_publish(q);
        if (virtq_should_notify(q))
            virtio_dev_notify(&v->vdev, VIRTIO_VSOCK_TXQ);
    }
}

/* --- Packets to the guest (rx queue) --- */

struct rx_state {
    struct virtq_chain ch;
    bool pushed, empty;
};

/* Pops the next rx buffer into r->ch; false when there is none (the driver
 * is asked to notify the next one) or it cannot hold a header. */
static bool rx_get(struct virtio_vsock *v, struct rx_state *r)
{
    struct virtq *q = &v->vq[VIRTIO_VSOCK_RXQ];
    if (r->empty || virtio_dev_broken(&v->vdev))
        return false;
    for (;;) {
        int rc = virtq_pop(q, &r->ch);
        if (rc < 0) {
            virtio_dev_fail(&v->vdev, VIRTIO_VSOCK_RXQ, virtq_strerror(rc));
            return false;
        }
        if (rc == 1)
            break;
        if (!virtq_enable_kick(q)) {
            r->empty = true;
            return false;
        }
    }
    if (r->ch.in_len < VSOCK_HDR_SIZE) {
        virtio_dev_fail(&v->vdev, VIRTIO_VSOCK_RXQ, "rx buffer smaller than a packet header");
        return false;
    }
    return true;
}

/* Fills in and returns the popped buffer with header h and payload. */
static void rx_put(struct virtio_vsock *v, struct rx_state *r, const struct vsock_hdr *h,
                   const uint8_t *payload)
{
    uint8_t raw[VSOCK_HDR_SIZE];
    vsock_hdr_write(h, raw);
    virtq_chain_write(&r->ch, 0, raw, sizeof(raw));
    if (h->len)
        virtq_chain_write(&r->ch, VSOCK_HDR_SIZE, payload, h->len);
    virtq_push(&v->vq[VIRTIO_VSOCK_RXQ], &r->ch, VSOCK_HDR_SIZE + h->len);
    r->pushed = true;
}

static struct vsock_hdr conn_hdr(const struct virtio_vsock *v, struct vsock_conn *c, uint16_t op)
{
    c->fwd_cnt_sent = c->fwd_cnt;
    return (struct vsock_hdr){
        .src_cid = VSOCK_HOST_CID, .dst_cid = v->guest_cid, .src_port = c->host_port,
        .dst_port = c->guest_port, .type = VSOCK_TYPE_STREAM, .op = op,
        .buf_alloc = VSOCK_BUF_ALLOC, .fwd_cnt = c->fwd_cnt,
    };
}

/* Sends one control packet of c if one is owed; returns false when none is
 * or no buffer is available. *freed: the packet was the connection's RST
 * and the connection is gone. */
static bool conn_send_control(struct virtio_vsock *v, struct rx_state *r, struct vsock_conn *c,
                              bool *freed)
{
    uint16_t op;
    uint32_t flags = 0;
    if (c->want_rst)
        op = VSOCK_OP_RST;
    else if (c->want_request)
        op = VSOCK_OP_REQUEST;
    else if (c->want_response)
        op = VSOCK_OP_RESPONSE;
    else if (c->want_shutdown && !c->out_len)
        op = VSOCK_OP_SHUTDOWN, flags = VSOCK_SHUTDOWN_SEND;
    else if (c->want_credit)
        op = VSOCK_OP_CREDIT_UPDATE;
    else
        return false;
    if (!rx_get(v, r))
        return false;
    struct vsock_hdr h = conn_hdr(v, c, op);
    h.flags = flags;
    rx_put(v, r, &h, NULL);
    if (op == VSOCK_OP_RST) {
        conn_free(v, c);
        *freed = true;
        return true;
    }
    switch (op) {
    case VSOCK_OP_REQUEST: c->want_request = false; break;
    case VSOCK_OP_RESPONSE: c->want_response = false; break;
    case VSOCK_OP_SHUTDOWN: c->want_shutdown = false; c->shutdown_sent = true; break;
    default: break;
    }
    c->want_credit = false; /* every packet carries fwd_cnt */
    return true;
}

/* Sends one data packet of c if it has data and credit. */
static bool conn_send_data(struct virtio_vsock *v, struct rx_state *r, struct vsock_conn *c)
{
    if (c->state != VSOCK_ESTABLISHED || !c->out_len || !conn_peer_credit(c) || !rx_get(v, r))
        return false;
    uint32_t n = MIN(c->out_len, conn_peer_credit(c));
    n = MIN(n, r->ch.in_len - VSOCK_HDR_SIZE);
    struct vsock_hdr h = conn_hdr(v, c, VSOCK_OP_RW);
    h.len = n;
    rx_put(v, r, &h, c->out + c->out_off);
    c->out_off += n;
    c->out_len -= n;
    c->tx_cnt += n;
    c->want_credit = false;
    return true;
}

static void fill_rx(struct virtio_vsock *v)
{
    struct rx_state r = { .ch = { .iov = v->iov, .max_iov = VSOCK_MAX_IOV } };
    while (v->nrst && rx_get(v, &r)) {
        struct vsock_rst *x = &v->rst[--v->nrst];
        struct vsock_hdr h = {
            .src_cid = VSOCK_HOST_CID, .dst_cid = v->guest_cid, .src_port = x->host_port,
            .dst_port = x->guest_port, .type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_RST,
        };
        rx_put(v, &r, &h, NULL);
    }
    for (unsigned i = 0; i < VSOCK_MAX_CONNS && !r.empty; i++) {
        struct vsock_conn *c = v->conn[i];
        if (!c || c->state == VSOCK_HANDSHAKE)
            continue;
        bool freed = false;
        if (c->hup && !c->out_len && c->state == VSOCK_ESTABLISHED)
            conn_read_host(c); /* no longer polled: read what it left */
        while (!freed && !r.empty) {
            if (!conn_send_control(v, &r, c, &freed) && !conn_send_data(v, &r, c))
                break;
            if (!freed && !c->out_len)
                conn_read_host(c); /* more data, within the new credit */
        }
    }
    if (r.pushed) {
        struct virtq *q = &v->vq[VIRTIO_VSOCK_RXQ];
        virtq_publish(q);
        if (virtq_should_notify(q))
            virtio_dev_notify(&v->vdev, VIRTIO_VSOCK_RXQ);
    }
}

/* --- The I/O loop --- */

void virtio_vsock_poll(struct virtio_vsock *v, int timeout_ms)
{
    struct epoll_event ev[32];
    int n = epoll_wait(v->epoll_fd, ev, ARRAY_SIZE(ev), timeout_ms);
    pthread_mutex_lock(&v->lock);
    for (int i = 0; i < n; i++) {
        if (ev[i].data.u64 == TAG_KICK) {
            uint64_t k;
            ssize_t r = read(v->kick_fd, &k, sizeof(k));
            (void)r;
        } else if (ev[i].data.u64 == TAG_LISTEN) {
            accept_host(v);
        } else {
            /* A connection freed by an earlier event of this batch is no
             * longer in the table. */
            struct vsock_conn *c = ev[i].data.ptr;
            for (unsigned j = 0; j < VSOCK_MAX_CONNS; j++)
                if (v->conn[j] == c) {
                    conn_host_event(v, c, ev[i].events);
                    break;
                }
        }
    }
    if (v->active && !virtio_dev_broken(&v->vdev)) {
        process_tx(v);
        fill_rx(v);
    }
    update_interest(v);
    pthread_mutex_unlock(&v->lock);
}

static void *vsock_thread(void *arg)
{
    struct virtio_vsock *v = arg;
    for (;;) {
        pthread_mutex_lock(&v->lock);
        bool stop = v->exit;
        pthread_mutex_unlock(&v->lock);
        if (stop)
            return NULL;
        virtio_vsock_poll(v, -1);
    }
}

static void kick(struct virtio_vsock *v)
{
    uint64_t one = 1;
    ssize_t n = write(v->kick_fd, &one, sizeof(one));
    (void)n;
}

/* --- virtio_dev_ops --- */

static void vsock_queue_notify(struct virtio_dev *d, unsigned q)
{
    (void)q;
    kick(d->opaque);
}

static int vsock_activate(struct virtio_dev *d)
{
    struct virtio_vsock *v = d->opaque;
    pthread_mutex_lock(&v->lock);
    v->active = true;
    pthread_mutex_unlock(&v->lock);
    kick(v);
    return 0;
}

/* Section 5.10.6.6 leaves connections to the reset: every host socket is
 * closed (host programs see end of file). */
static void vsock_reset(struct virtio_dev *d)
{
    struct virtio_vsock *v = d->opaque;
    pthread_mutex_lock(&v->lock);
    v->active = false;
    conn_free_all(v);
    pthread_mutex_unlock(&v->lock);
}

static const struct virtio_dev_ops vsock_ops = {
    .queue_notify = vsock_queue_notify,
    .activate = vsock_activate,
    .reset = vsock_reset,
};

int virtio_vsock_init(struct virtio_vsock *v, const struct virtio_vsock_opts *o,
                      const struct guest_mem *mem, char *err, size_t errlen)
{
    memset(v, 0, sizeof(*v));
    v->listen_fd = v->epoll_fd = v->kick_fd = -1;
    v->guest_cid = o->guest_cid;
    v->next_local_port = VSOCK_LOCAL_PORT_BASE;
    put_le64(v->config, o->guest_cid);
    int rc = pthread_mutex_init(&v->lock, NULL);
    if (rc) {
        snprintf(err, errlen, "cannot create a lock: %s", strerror(rc));
        return -rc;
    }
    v->path = strdup(o->uds_path);
    v->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    v->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!v->path || v->epoll_fd < 0 || v->kick_fd < 0) {
        rc = v->path ? -errno : -ENOMEM;
        snprintf(err, errlen, "cannot create the device: %s", strerror(-rc));
        virtio_vsock_destroy(v);
        return rc;
    }
    v->listen_fd = vsock_uds_listen(o->uds_path, &v->path_ino, err, errlen);
    if (v->listen_fd < 0) {
        rc = v->listen_fd;
        free(v->path);
        v->path = NULL; /* nothing of ours to remove */
        virtio_vsock_destroy(v);
        return rc;
    }
    epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, v->kick_fd,
              &(struct epoll_event){ .events = EPOLLIN, .data.u64 = TAG_KICK });
    v->listen_paused = true;
    listen_watch(v, true);
    virtio_dev_init(&v->vdev, "virtio-vsock", VIRTIO_ID_VSOCK, VIRTIO_DEV_COMMON_FEATURES, v->vq,
                    3, VIRTIO_VSOCK_QUEUE_SIZE, v->config, sizeof(v->config), &vsock_ops, v, mem);
    return 0;
}

int virtio_vsock_start(struct virtio_vsock *v)
{
    int rc = pthread_create(&v->thread, NULL, vsock_thread, v);
    if (rc)
        return -rc;
    v->thread_started = true;
    return 0;
}

void virtio_vsock_destroy(struct virtio_vsock *v)
{
    if (v->thread_started) {
        pthread_mutex_lock(&v->lock);
        v->exit = true;
        pthread_mutex_unlock(&v->lock);
        kick(v);
        pthread_join(v->thread, NULL);
        v->thread_started = false;
    }
    conn_free_all(v);
    if (v->listen_fd >= 0)
        close(v->listen_fd);
    if (v->path)
        vsock_uds_unlink(v->path, v->path_ino);
    if (v->epoll_fd >= 0)
        close(v->epoll_fd);
    if (v->kick_fd >= 0)
        close(v->kick_fd);
    free(v->path);
    pthread_mutex_destroy(&v->lock);
    v->path = NULL;
    v->listen_fd = v->epoll_fd = v->kick_fd = -1;
}
