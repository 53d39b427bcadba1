/* The TAP backend; see net_tap.h. */
#include "net/net_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define TAP_READ_BUDGET 64 /* frames read per wakeup before serving the queues */
#define TAP_MAX_IOV 257    /* header + a chain's segments */

struct net_tap {
    struct net_backend be;
    int fd;
    bool polling;          /* pfd slot given to the loop this round */
    uint8_t *buf;          /* NET_HDR_LEN + NET_MAX_FRAME: one received frame */
    struct iovec iov[TAP_MAX_IOV];
};

#define TAP_ALL_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

int net_tap_open(const char *ifname, char *err, size_t errlen)
{
    if (!ifname[0] || strlen(ifname) >= IFNAMSIZ) {
        snprintf(err, errlen, "'%s' is not an interface name (1-%d characters)", ifname,
                 IFNAMSIZ - 1);
        return -EINVAL;
    }
    if (!if_nametoindex(ifname)) {
        snprintf(err, errlen, "no network interface '%s' (create it first: ip tuntap add dev %s "
                 "mode tap)", ifname, ifname);
        return -ENODEV;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(e));
        return -e;
    }
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    int hdr = NET_HDR_LEN;
    const char *what = "attach to it";
    int rc = ioctl(fd, TUNSETIFF, &ifr);
    if (!rc) {
        what = "set its virtio-net header size";
        rc = ioctl(fd, TUNSETVNETHDRSZ, &hdr);
    }
    if (rc < 0) {
        int e = errno;
        close(fd);
        snprintf(err, errlen, "cannot %s: %s%s", what, strerror(e),
                 e == EPERM ? " (is the TAP owned by this user?)"
                 : e == EBUSY || e == EINVAL ? " (not a TAP, or in use by another process?)" : "");
        return -e;
    }
    return fd;
}

/* --- Backend operations --- */

static int tap_send(struct net_backend *b, const struct net_hdr *h, const struct iovec *iov,
                    unsigned n)
{
    struct net_tap *t = (struct net_tap *)b;
    uint8_t raw[NET_HDR_LEN];
    if (n + 1 > TAP_MAX_IOV)
        return -EMSGSIZE;
    net_hdr_encode(h, raw);
    t->iov[0] = (struct iovec){ raw, NET_HDR_LEN };
    memcpy(t->iov + 1, iov, n * sizeof(*iov));
    ssize_t k;
    do
        k = writev(t->fd, t->iov, (int)n + 1);
    while (k < 0 && errno == EINTR);
    return k < 0 ? -errno : 0;
}

static int tap_set_rx_offloads(struct net_backend *b, unsigned offloads)
{
    struct net_tap *t = (struct net_tap *)b;
    unsigned long f = 0;
    if (offloads & NET_OFF_CSUM) {
        f |= TUN_F_CSUM;
        f |= offloads & NET_OFF_TSO4 ? TUN_F_TSO4 : 0;
        f |= offloads & NET_OFF_TSO6 ? TUN_F_TSO6 : 0;
        f |= offloads & NET_OFF_ECN && f & (TUN_F_TSO4 | TUN_F_TSO6) ? TUN_F_TSO_ECN : 0;
    }
    return ioctl(t->fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

static unsigned tap_poll_prepare(struct net_backend *b, struct pollfd *pfd, unsigned max,
                                 int *timeout_ms)
{
    struct net_tap *t = (struct net_tap *)b;
    (void)timeout_ms;
    /* Flow control: read only while the NIC has buffers; the guest's next
     * receive notification wakes the loop again. */
    t->polling = max > 0 && b->sink.ready(b->sink.ctx);
    if (!t->polling)
        return 0;
    pfd[0] = (struct pollfd){ .fd = t->fd, .events = POLLIN };
    return 1;
}

static void tap_poll_dispatch(struct net_backend *b, struct pollfd *pfd, unsigned n, bool err)
{
    struct net_tap *t = (struct net_tap *)b;
    if (err || !t->polling || n < 1 || !(pfd[0].revents & POLLIN))
        return;
    for (unsigned i = 0; i < TAP_READ_BUDGET && b->sink.ready(b->sink.ctx); i++) {
        ssize_t k = read(t->fd, t->buf, NET_HDR_LEN + NET_MAX_FRAME);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return;
        if (k < NET_HDR_LEN + NET_MIN_FRAME)
            continue;
        struct net_hdr h;
        net_hdr_decode(&h, t->buf);
        b->sink.frame(b->sink.ctx, &h, t->buf + NET_HDR_LEN, (size_t)k - NET_HDR_LEN);
    }
}

static void tap_destroy(struct net_backend *b)
{
    struct net_tap *t = (struct net_tap *)b;
    close(t->fd);
    free(t->buf);
    free(t);
}

static const struct net_backend_ops tap_ops = {
    .send = tap_send,
    .set_rx_offloads = tap_set_rx_offloads,
    .poll_prepare = tap_poll_prepare,
    .poll_dispatch = tap_poll_dispatch,
    .destroy = tap_destroy,
};

int net_tap_new(int fd, struct net_backend **out)
{
    struct net_tap *t = calloc(1, sizeof(*t));
    uint8_t *buf = malloc(NET_HDR_LEN + NET_MAX_FRAME);
    if (!t || !buf) {
        free(t);
        free(buf);
        close(fd);
        return -ENOMEM;
    }
    t->fd = fd;
    t->buf = buf;
    t->be.ops = &tap_ops;
    /* With IFF_VNET_HDR the TAP takes partial checksums and GSO frames. */
    t->be.tx_offloads = NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN;
    /* Whether it can also deliver them: probe TUNSETOFFLOAD, then start
     * with none until a driver accepts some. */
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TAP_ALL_OFFLOADS) == 0)
        t->be.rx_offloads = NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN;
    else
        log_info("TAP: the kernel refuses receive offloads (%s)", strerror(errno));
    if (ioctl(fd, TUNSETOFFLOAD, 0ul) < 0)
        log_debug("TAP: TUNSETOFFLOAD 0: %s", strerror(errno));
    *out = &t->be;
    return 0;
}
