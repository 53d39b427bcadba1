/* --net option parsing and checks; see net_opts.h. */
#include "net/net_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"

/* A port 1-65535 from s[0, len). */
static bool parse_port(const char *s, size_t len, uint16_t *out)
{
    char buf[8];
    uint64_t v;
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] < '0' || buf[i] > '9')
            return false;
    if (!parse_u64(buf, &v) || v == 0 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* An IPv4 address from s[0, len); empty gives dflt (network order). */
static bool parse_addr(const char *s, size_t len, uint32_t dflt, uint32_t *out)
{
    char buf[INET_ADDRSTRLEN];
    if (len == 0) {
        *out = dflt;
        return true;
    }
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = 0;
    struct in_addr a;
    if (inet_pton(AF_INET, buf, &a) != 1)
        return false;
    *out = a.s_addr;
    return true;
}

/* ADDR:PORT from s[0, len) (the address may be empty). */
static bool parse_endpoint(const char *s, size_t len, uint32_t dflt, uint32_t *addr,
                           uint16_t *port)
{
    const char *colon = memchr(s, ':', len);
    if (!colon)
        return false;
    size_t alen = (size_t)(colon - s);
    return parse_addr(s, alen, dflt, addr) && parse_port(colon + 1, len - alen - 1, port);
}

int net_parse_hostfwd(const char *s, struct net_hostfwd *out, char *err, size_t errlen)
{
    struct net_hostfwd f = { 0 };
    const char *p = s;
    const char *colon = strchr(p, ':');
    if (!colon) {
        snprintf(err, errlen, "'%s' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", s);
        return -EINVAL;
    }
    size_t plen = (size_t)(colon - p);
    if (plen == 3 && !strncmp(p, "udp", 3))
        f.udp = true;
    else if (!(plen == 0 || (plen == 3 && !strncmp(p, "tcp", 3)))) {
        snprintf(err, errlen, "'%s': protocol '%.*s' is not tcp or udp", s, (int)plen, p);
        return -EINVAL;
    }
    p = colon + 1;
    const char *dash = strchr(p, '-');
    if (!dash || !parse_endpoint(p, (size_t)(dash - p), htonl(INADDR_ANY), &f.host_addr,
                                 &f.host_port) ||
        !parse_endpoint(dash + 1, strlen(dash + 1), htonl(NET_SLIRP_GUEST_ADDR), &f.guest_addr,
                        &f.guest_port)) {
        snprintf(err, errlen, "'%s' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
                 "(ports 1-65535, IPv4 addresses)", s);
        return -EINVAL;
    }
    if ((ntohl(f.guest_addr) & NET_SLIRP_NETMASK) != NET_SLIRP_NETWORK) {
        snprintf(err, errlen, "'%s': the guest address is not in 10.0.2.0/24", s);
        return -EINVAL;
    }
    *out = f;
    return 0;
}

int net_hostfwd_check(const struct net_hostfwd *f, char *err, size_t errlen)
{
    int fd = socket(AF_INET, (f->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create a socket: %s", strerror(e));
        return -e;
    }
    /* slirp binds its forwarding sockets with SO_REUSEADDR too, so only a
     * port really in use fails here. */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(f->host_port),
                              .sin_addr.s_addr = f->host_addr };
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    close(fd);
    if (rc < 0) {
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
        snprintf(err, errlen, "cannot listen on host %s port %s:%u: %s", f->udp ? "UDP" : "TCP",
                 a, f->host_port, strerror(e));
        return -e;
    }
    return 0;
}

int net_parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen)
{
    unsigned v[6];
    char end;
    if (strlen(s) != 17 ||
        sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &end) != 6) {
        snprintf(err, errlen, "'%s' is not a MAC address (six hex bytes: 52:54:00:12:34:56)", s);
        return -EINVAL;
    }
    for (unsigned i = 0; i < 17; i++)
        if ((i % 3 == 2) != (s[i] == ':') || (i % 3 != 2 && !strchr("0123456789abcdefABCDEF", s[i]))) {
            snprintf(err, errlen, "'%s' is not a MAC address (six hex bytes: 52:54:00:12:34:56)", s);
            return -EINVAL;
        }
    if (v[0] & 1) {
        snprintf(err, errlen, "%s is a multicast address (the first byte must be even)", s);
        return -EINVAL;
    }
    if (!(v[0] | v[1] | v[2] | v[3] | v[4] | v[5])) {
        snprintf(err, errlen, "%s is the all-zero address", s);
        return -EINVAL;
    }
    for (unsigned i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

void net_default_mac(unsigned i, uint8_t mac[6])
{
    static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    memcpy(mac, base, 6);
    mac[5] = (uint8_t)(base[5] + i);
}
