/* Software checksum and TCP segmentation offload; see net_offload.h. */
#include "net/net_offload.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define IPPROTO_TCP_ 6
#define TCP_F_FIN 0x01
#define TCP_F_PSH 0x08
#define TCP_F_CWR 0x80

static uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        s += get_be16(data + i);
    if (i < len)
        s += (uint32_t)data[i] << 8;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t net_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int net_offload_csum(uint8_t *frame, size_t len, const struct net_hdr *h)
{
    size_t start = h->csum_start, field = (size_t)h->csum_start + h->csum_offset;
    if (start >= len || field + 2 > len)
        return -EINVAL;
    uint16_t c = net_csum_fold(net_csum_add(0, frame + start, len - start));
    put_be16(frame + field, c);
    return 0;
}

/* Where the headers of a TCP GSO frame are. */
struct tcp_frame {
    size_t l3, l4, payload; /* offsets of the IP header, TCP header, payload */
    bool v6;
};

static int parse_tcp_frame(const uint8_t *f, size_t len, uint8_t gso, struct tcp_frame *t)
{
    if (len < ETH_HLEN)
        return -EINVAL;
    uint16_t proto = get_be16(f + 12);
    t->l3 = ETH_HLEN;
    t->v6 = gso == NET_HDR_GSO_TCPV6;
    if (!t->v6) {
        if (proto != ETH_P_IPV4 || len < t->l3 + 20 || f[t->l3] >> 4 != 4)
            return -EINVAL;
        size_t ihl = (size_t)(f[t->l3] & 15) * 4;
        if (ihl < 20 || f[t->l3 + 9] != IPPROTO_TCP_)
            return -EINVAL;
        t->l4 = t->l3 + ihl;
    } else {
        /* Extension headers are not supported: the TCP header follows. */
        if (proto != ETH_P_IPV6 || len < t->l3 + 40 || f[t->l3] >> 4 != 6 ||
            f[t->l3 + 6] != IPPROTO_TCP_)
            return -EINVAL;
        t->l4 = t->l3 + 40;
    }
    if (len < t->l4 + 20)
        return -EINVAL;
    size_t doff = (size_t)(f[t->l4 + 12] >> 4) * 4;
    if (doff < 20 || len < t->l4 + doff)
        return -EINVAL;
    t->payload = t->l4 + doff;
    return 0;
}

/* The TCP checksum of segment s (headers at the offsets of t, seglen bytes). */
static void tcp_checksum(uint8_t *s, size_t seglen, const struct tcp_frame *t)
{
    uint32_t tcplen = (uint32_t)(seglen - t->l4);
    uint32_t sum;
    if (!t->v6) {
        sum = net_csum_add(0, s + t->l3 + 12, 8); /* source, destination */
        sum += IPPROTO_TCP_ + tcplen;
    } else {
        sum = net_csum_add(0, s + t->l3 + 8, 32);
        sum += IPPROTO_TCP_ + (tcplen >> 16) + (tcplen & 0xffff);
    }
    put_be16(s + t->l4 + 16, 0);
    sum = net_csum_add(sum, s + t->l4, tcplen);
    put_be16(s + t->l4 + 16, net_csum_fold(sum));
}

int net_offload_segment(const uint8_t *frame, size_t len, const struct net_hdr *h,
                        uint8_t *scratch, net_segment_fn emit, void *ctx)
{
    uint8_t gso = h->gso_type & ~NET_HDR_GSO_ECN;
    struct tcp_frame t;
    if ((gso != NET_HDR_GSO_TCPV4 && gso != NET_HDR_GSO_TCPV6) || h->gso_size == 0 ||
        parse_tcp_frame(frame, len, gso, &t))
        return -EINVAL;
    size_t mss = h->gso_size;
    if (t.payload + mss > NET_OFFLOAD_SCRATCH)
        return -EINVAL;
    size_t total = len - t.payload;
    uint32_t seq = get_be32(frame + t.l4 + 4);
    uint16_t ip_id = t.v6 ? 0 : get_be16(frame + t.l3 + 4);
    uint8_t flags = frame[t.l4 + 13];
    int nseg = 0;
    size_t off = 0;
    do {
        size_t chunk = MIN(mss, total - off);
        bool last = off + chunk >= total;
        memcpy(scratch, frame, t.payload);
        memcpy(scratch + t.payload, frame + t.payload + off, chunk);
        size_t seglen = t.payload + chunk;
        if (!t.v6) {
            uint8_t *ip = scratch + t.l3;
            put_be16(ip + 2, (uint16_t)(seglen - t.l3));
            put_be16(ip + 4, (uint16_t)(ip_id + nseg));
            put_be16(ip + 10, 0);
            put_be16(ip + 10, net_csum_fold(net_csum_add(0, ip, t.l4 - t.l3)));
        } else {
            put_be16(scratch + t.l3 + 4, (uint16_t)(seglen - t.l4));
        }
        uint8_t *tcp = scratch + t.l4;
        put_be32(tcp + 4, seq + (uint32_t)off);
        uint8_t f = flags;
        if (!last)
            f &= (uint8_t)~(TCP_F_FIN | TCP_F_PSH);
        if (nseg > 0)
            f &= (uint8_t)~TCP_F_CWR;
        tcp[13] = f;
        tcp_checksum(scratch, seglen, &t);
        emit(ctx, scratch, seglen);
        nseg++;
        off += chunk;
    } while (off < total);
    return nseg;
}
