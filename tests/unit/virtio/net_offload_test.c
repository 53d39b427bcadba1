/* Software offloads: partial checksum completion and TCP segmentation,
 * checked against checksums computed from scratch, and frames whose
 * headers do not add up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_offload.h"

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ethernet + IPv4 (20) + TCP (20 + 12 options) + payload. */
#define L3 14
#define L4 34
#define PAY 66
static size_t make_tcp4(uint8_t *f, size_t payload, uint8_t flags)
{
    memset(f, 0, PAY);
    memset(f, 0xff, 6);
    f[12] = 0x08;
    uint8_t *ip = f + L3;
    ip[0] = 0x45;
    ip[4] = 0x12, ip[5] = 0x34; /* id */
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, (uint8_t[]){ 10, 0, 2, 15 }, 4);
    memcpy(ip + 16, (uint8_t[]){ 10, 0, 2, 2 }, 4);
    uint8_t *tcp = f + L4;
    tcp[0] = 0x9c, tcp[1] = 0x40;
    tcp[2] = 0x00, tcp[3] = 0x50;
    tcp[4] = 0xff, tcp[5] = 0xff, tcp[6] = 0xff, tcp[7] = 0x00; /* seq wraps */
    tcp[12] = 8 << 4;
    tcp[13] = flags;
    for (size_t i = 0; i < payload; i++)
        f[PAY + i] = (uint8_t)(i * 7 + 1);
    return PAY + payload;
}

/* True when an IPv4 TCP segment's IP and TCP checksums verify. */
static bool tcp4_valid(const uint8_t *s, size_t len)
{
    if (net_csum_fold(net_csum_add(0, s + L3, 20)) != 0)
        return false;
    uint32_t tcplen = (uint32_t)(len - L4);
    uint32_t sum = net_csum_add(0, s + L3 + 12, 8) + 6 + tcplen;
    return net_csum_fold(net_csum_add(sum, s + L4, tcplen)) == 0;
}

struct segs {
    unsigned n;
    size_t len[64];
    uint8_t *data[64];
};

static void collect(void *ctx, const uint8_t *seg, size_t len)
{
    struct segs *s = ctx;
    assert_true(s->n < 64);
    s->data[s->n] = malloc(len);
    memcpy(s->data[s->n], seg, len);
    s->len[s->n++] = len;
}

static void segs_free(struct segs *s)
{
    for (unsigned i = 0; i < s->n; i++)
        free(s->data[i]);
}

static void test_segment_tcp4(void **st)
{
    (void)st;
    static uint8_t frame[NET_MAX_FRAME], scratch[NET_OFFLOAD_SCRATCH];
    size_t payload = 4000;
    size_t len = make_tcp4(frame, payload, 0x18 | 0x01 | 0x80); /* PSH ACK FIN CWR */
    struct net_hdr h = { .flags = NET_HDR_F_NEEDS_CSUM, .gso_type = NET_HDR_GSO_TCPV4,
                         .gso_size = 1448, .hdr_len = PAY, .csum_start = L4, .csum_offset = 16 };
    struct segs s = { 0 };
    assert_int_equal(net_offload_segment(frame, len, &h, scratch, collect, &s), 3);
    size_t off = 0;
    for (unsigned i = 0; i < 3; i++) {
        size_t chunk = i < 2 ? 1448 : payload - 2 * 1448;
        const uint8_t *g = s.data[i];
        assert_int_equal(s.len[i], PAY + chunk);
        assert_int_equal(be16(g + L3 + 2), s.len[i] - L3); /* IP total length */
        assert_int_equal(be16(g + L3 + 4), 0x1234 + i);    /* IP id */
        assert_int_equal(be32(g + L4 + 4), 0xffffff00u + (uint32_t)off);
        uint8_t fl = g[L4 + 13];
        assert_int_equal(!!(fl & 0x01), i == 2); /* FIN, PSH only on the last */
        assert_int_equal(!!(fl & 0x08), i == 2);
        assert_int_equal(!!(fl & 0x80), i == 0); /* CWR only on the first */
        assert_true(fl & 0x10);                  /* ACK on all */
        assert_memory_equal(g + PAY, frame + PAY + off, chunk);
        assert_true(tcp4_valid(g, s.len[i]));
        off += chunk;
    }
    segs_free(&s);
}

static void test_segment_refuses_bad_frames(void **st)
{
    (void)st;
    static uint8_t frame[4096], scratch[NET_OFFLOAD_SCRATCH];
    struct net_hdr h = { .gso_type = NET_HDR_GSO_TCPV4, .gso_size = 1000 };
    struct segs s = { 0 };
    size_t len = make_tcp4(frame, 100, 0x10);
    assert_int_equal(net_offload_segment(frame, 30, &h, scratch, collect, &s), -EINVAL);
    frame[L4 + 12] = 15 << 4; /* TCP header longer than the frame */
    assert_int_equal(net_offload_segment(frame, PAY, &h, scratch, collect, &s), -EINVAL);
    len = make_tcp4(frame, 100, 0x10);
    frame[L3] = 0x4f; /* IP header of 60 bytes runs into the TCP header's place */
    assert_int_equal(net_offload_segment(frame, L3 + 70, &h, scratch, collect, &s), -EINVAL);
    len = make_tcp4(frame, 100, 0x10);
    frame[L3 + 9] = 17; /* UDP */
    assert_int_equal(net_offload_segment(frame, len, &h, scratch, collect, &s), -EINVAL);
    len = make_tcp4(frame, 100, 0x10);
    h.gso_size = 0;
    assert_int_equal(net_offload_segment(frame, len, &h, scratch, collect, &s), -EINVAL);
    h.gso_size = 1000;
    h.gso_type = NET_HDR_GSO_TCPV6; /* an IPv4 frame */
    assert_int_equal(net_offload_segment(frame, len, &h, scratch, collect, &s), -EINVAL);
    h.gso_type = NET_HDR_GSO_UDP;
    assert_int_equal(net_offload_segment(frame, len, &h, scratch, collect, &s), -EINVAL);
    assert_int_equal(s.n, 0);
    /* A frame of headers only still makes one segment. */
    h.gso_type = NET_HDR_GSO_TCPV4;
    len = make_tcp4(frame, 0, 0x10);
    assert_int_equal(net_offload_segment(frame, len, &h, scratch, collect, &s), 1);
    assert_true(tcp4_valid(s.data[0], s.len[0]));
    segs_free(&s);
}

static void test_partial_checksum(void **st)
{
    (void)st;
    static uint8_t frame[2048];
    size_t len = make_tcp4(frame, 333, 0x18);
    /* The sender leaves the pseudo-header sum in the checksum field. */
    uint32_t tcplen = (uint32_t)(len - L4);
    uint32_t pseudo = net_csum_add(0, frame + L3 + 12, 8) + 6 + tcplen;
    uint16_t folded = (uint16_t)~net_csum_fold(pseudo);
    frame[L4 + 16] = (uint8_t)(folded >> 8);
    frame[L4 + 17] = (uint8_t)folded;
    frame[L3 + 10] = 0, frame[L3 + 11] = 0;
    uint16_t ipc = net_csum_fold(net_csum_add(0, frame + L3, 20));
    frame[L3 + 10] = (uint8_t)(ipc >> 8), frame[L3 + 11] = (uint8_t)ipc;
    struct net_hdr h = { .flags = NET_HDR_F_NEEDS_CSUM, .csum_start = L4, .csum_offset = 16 };
    assert_int_equal(net_offload_csum(frame, len, &h), 0);
    assert_true(tcp4_valid(frame, len));
    /* Offsets outside the frame are refused, nothing written. */
    h.csum_start = (uint16_t)len;
    assert_int_equal(net_offload_csum(frame, len, &h), -EINVAL);
    h.csum_start = (uint16_t)(len - 1);
    h.csum_offset = 0;
    assert_int_equal(net_offload_csum(frame, len, &h), -EINVAL);
    h.csum_start = 0;
    h.csum_offset = 0xffff;
    assert_int_equal(net_offload_csum(frame, len, &h), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segment_tcp4),
        cmocka_unit_test(test_segment_refuses_bad_frames),
        cmocka_unit_test(test_partial_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
