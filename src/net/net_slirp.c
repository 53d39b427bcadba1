/* The libslirp backend; see net_slirp.h. */
#include "net/net_slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_offload.h"

struct slirp_timer {
    struct slirp_timer *next;
    SlirpTimerId id;
    SlirpTimerCb cb; /* timers made with the older timer_new */
    void *cb_opaque;
    int64_t expire_ms; /* -1: not armed */
};

struct net_slirp {
    struct net_backend be;
    Slirp *slirp;
    struct slirp_timer *timers;
    bool rx_csum;          /* mark frames DATA_VALID */
    struct pollfd *pfd;    /* the loop's array during poll_prepare/dispatch */
    unsigned npfd, maxpfd;
    uint8_t *frame;        /* NET_MAX_FRAME: a transmitted frame, linear */
    uint8_t *seg;          /* NET_OFFLOAD_SCRATCH: one segment */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- slirp's callbacks --- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_slirp *s = opaque;
    struct net_hdr h = { .flags = s->rx_csum ? NET_HDR_F_DATA_VALID : 0 };
    s->be.sink.frame(s->be.sink.ctx, &h, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    log_debug("slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return now_ns();
}

static struct slirp_timer *timer_add(struct net_slirp *s, SlirpTimerId id, SlirpTimerCb cb,
                                     void *cb_opaque)
{
    struct slirp_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    *t = (struct slirp_timer){ s->timers, id, cb, cb_opaque, -1 };
    s->timers = t;
    return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    return timer_add(opaque, SLIRP_TIMER_NUM, cb, cb_opaque);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    return timer_add(opaque, id, NULL, cb_opaque);
}

static void cb_timer_free(void *timer, void *opaque)
{
    struct net_slirp *s = opaque;
    for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = (*p)->next;
            free(timer);
            return;
        }
    }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    ((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque; /* descriptors are collected afresh before every poll */
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void cb_notify(void *opaque)
{
    (void)opaque; /* the only thread that could be woken is the caller */
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* --- Poll integration --- */

static int add_poll(int fd, int events, void *opaque)
{
    struct net_slirp *s = opaque;
    if (s->npfd == s->maxpfd) {
        log_once(LOG_WARN, "slirp: more than %u sockets; some wait a round", s->maxpfd);
        return -1;
    }
    short ev = 0;
    ev |= events & SLIRP_POLL_IN ? POLLIN : 0;
    ev |= events & SLIRP_POLL_OUT ? POLLOUT : 0;
    ev |= events & SLIRP_POLL_PRI ? POLLPRI : 0;
    ev |= events & SLIRP_POLL_ERR ? POLLERR : 0;
    ev |= events & SLIRP_POLL_HUP ? POLLHUP : 0;
    s->pfd[s->npfd] = (struct pollfd){ .fd = fd, .events = ev };
    return (int)s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
    struct net_slirp *s = opaque;
    if (idx < 0 || (unsigned)idx >= s->npfd)
        return 0;
    short r = s->pfd[idx].revents;
    int ev = 0;
    ev |= r & POLLIN ? SLIRP_POLL_IN : 0;
    ev |= r & POLLOUT ? SLIRP_POLL_OUT : 0;
    ev |= r & POLLPRI ? SLIRP_POLL_PRI : 0;
    ev |= r & (POLLERR | POLLNVAL) ? SLIRP_POLL_ERR : 0;
    ev |= r & POLLHUP ? SLIRP_POLL_HUP : 0;
    return ev;
}

static unsigned slirp_poll_prepare(struct net_backend *b, struct pollfd *pfd, unsigned max,
                                   int *timeout_ms)
{
    struct net_slirp *s = (struct net_slirp *)b;
    s->pfd = pfd;
    s->maxpfd = max;
    s->npfd = 0;
    uint32_t t = UINT32_MAX;
    slirp_pollfds_fill(s->slirp, &t, add_poll, s);
    int64_t now = now_ns() / 1000000;
    for (struct slirp_timer *tm = s->timers; tm; tm = tm->next)
        if (tm->expire_ms >= 0)
            t = (uint32_t)MIN((int64_t)t, MAX(tm->expire_ms - now, 0));
    if (t != UINT32_MAX && (*timeout_ms < 0 || (int64_t)t < *timeout_ms))
        *timeout_ms = (int)MIN(t, (uint32_t)INT32_MAX);
    return s->npfd;
}

static void run_timers(struct net_slirp *s)
{
    int64_t now = now_ns() / 1000000;
    bool again = true;
    /* A callback may free or re-arm timers: start over after each. */
    while (again) {
        again = false;
        for (struct slirp_timer *t = s->timers; t; t = t->next) {
            if (t->expire_ms < 0 || t->expire_ms > now)
                continue;
            t->expire_ms = -1;
            if (t->cb)
                t->cb(t->cb_opaque);
            else
                slirp_handle_timer(s->slirp, t->id, t->cb_opaque);
            again = true;
            break;
        }
    }
}

static void slirp_poll_dispatch(struct net_backend *b, struct pollfd *pfd, unsigned n, bool err)
{
    struct net_slirp *s = (struct net_slirp *)b;
    s->pfd = pfd;
    s->npfd = n;
    slirp_pollfds_poll(s->slirp, err, get_revents, s);
    run_timers(s);
}

/* --- Frames from the guest --- */

static void input_segment(void *ctx, const uint8_t *seg, size_t len)
{
    struct net_slirp *s = ctx;
    slirp_input(s->slirp, seg, (int)len);
}

static int slirp_send(struct net_backend *b, const struct net_hdr *h, const struct iovec *iov,
                      unsigned n)
{
    struct net_slirp *s = (struct net_slirp *)b;
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        if (iov[i].iov_len > NET_MAX_FRAME - len)
            return -EMSGSIZE;
        memcpy(s->frame + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    if (h->gso_type != NET_HDR_GSO_NONE)
        return net_offload_segment(s->frame, len, h, s->seg, input_segment, s) < 0 ? -EINVAL : 0;
    if (h->flags & NET_HDR_F_NEEDS_CSUM && net_offload_csum(s->frame, len, h) < 0)
        return -EINVAL;
    slirp_input(s->slirp, s->frame, (int)len);
    return 0;
}

static int slirp_set_rx_offloads(struct net_backend *b, unsigned offloads)
{
    struct net_slirp *s = (struct net_slirp *)b;
    s->rx_csum = offloads & NET_OFF_CSUM;
    return 0;
}

static void slirp_destroy(struct net_backend *b)
{
    struct net_slirp *s = (struct net_slirp *)b;
    if (s->slirp)
        slirp_cleanup(s->slirp);
    while (s->timers) {
        struct slirp_timer *t = s->timers;
        s->timers = t->next;
        free(t);
    }
    free(s->frame);
    free(s->seg);
    free(s);
}

static const struct net_backend_ops slirp_ops = {
    .send = slirp_send,
    .set_rx_offloads = slirp_set_rx_offloads,
    .poll_prepare = slirp_poll_prepare,
    .poll_dispatch = slirp_poll_dispatch,
    .destroy = slirp_destroy,
};

static struct in_addr in4(uint32_t host_order)
{
    return (struct in_addr){ htonl(host_order) };
}

static struct in6_addr in6(const char *s)
{
    struct in6_addr a;
    inet_pton(AF_INET6, s, &a);
    return a;
}

int net_slirp_new(const struct net_hostfwd *fwd, unsigned nfwd, struct net_backend **out,
                  char *err, size_t errlen)
{
    struct net_slirp *s = calloc(1, sizeof(*s));
    if (!s || !(s->frame = malloc(NET_MAX_FRAME)) || !(s->seg = malloc(NET_OFFLOAD_SCRATCH))) {
        if (s)
            slirp_destroy(&s->be);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->be.ops = &slirp_ops;
    s->be.tx_offloads = NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN;
    s->be.rx_offloads = NET_OFF_CSUM;
    SlirpConfig cfg = {
        .version = 4,
        .in_enabled = true,
        .vnetwork = in4(NET_SLIRP_NETWORK),
        .vnetmask = in4(NET_SLIRP_NETMASK),
        .vhost = in4(NET_SLIRP_HOST),
        .in6_enabled = true,
        .vprefix_addr6 = in6("fec0::"),
        .vprefix_len = 64,
        .vhost6 = in6("fec0::2"),
        .vhostname = "vmon",
        .vdhcp_start = in4(NET_SLIRP_GUEST_ADDR),
        .vnameserver = in4(NET_SLIRP_DNS),
        .vnameserver6 = in6("fec0::3"),
    };
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    if (!s->slirp) {
        slirp_destroy(&s->be);
        snprintf(err, errlen, "cannot create the user-mode network (libslirp)");
        return -ENOMEM;
    }
    for (unsigned i = 0; i < nfwd; i++) {
        const struct net_hostfwd *f = &fwd[i];
        struct in_addr ha = { f->host_addr }, ga = { f->guest_addr };
        if (slirp_add_hostfwd(s->slirp, f->udp, ha, f->host_port, ga, f->guest_port) < 0) {
            int e = errno ? errno : EADDRINUSE;
            snprintf(err, errlen, "cannot forward host %s port %u: %s", f->udp ? "UDP" : "TCP",
                     f->host_port, strerror(e));
            slirp_destroy(&s->be);
            return -e;
        }
    }
    *out = &s->be;
    return 0;
}
