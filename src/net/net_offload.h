/* Offloads done in software for backends that cannot take them (slirp):
 * completing a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO 1.2
 * section 5.1.6.2) and cutting a TCP GSO frame into MSS-sized segments
 * (section 5.1.6.2, gso_type TCPV4/TCPV6), each with correct IP and TCP
 * headers and checksums.
 *
 * Frames come from the guest: every offset and length in the header and in
 * the packet headers is checked against the frame; a frame that does not
 * add up is refused (-EINVAL), never read or written out of bounds. */
#ifndef VMON_NET_NET_OFFLOAD_H
#define VMON_NET_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "net/net_backend.h"

/* The Internet checksum's one's-complement sum of data[0, len), added to
 * sum (not folded, not inverted; RFC 1071). */
uint32_t net_csum_add(uint32_t sum, const uint8_t *data, size_t len);
/* Folds a sum to 16 bits and inverts it. */
uint16_t net_csum_fold(uint32_t sum);

/* Completes the checksum described by h (NEEDS_CSUM): the sum of
 * frame[csum_start, len) is stored at csum_start + csum_offset. The field
 * already holds the pseudo-header sum the sender put there. Returns 0 or
 * -EINVAL. */
int net_offload_csum(uint8_t *frame, size_t len, const struct net_hdr *h);

/* Called once per segment made by net_offload_segment. */
typedef void (*net_segment_fn)(void *ctx, const uint8_t *seg, size_t len);

/* Splits frame[0, len), an Ethernet + IPv4/IPv6 + TCP GSO frame described
 * by h (gso_type TCPV4 or TCPV6, gso_size the MSS), into segments of at
 * most gso_size payload bytes, each handed to emit with full checksums.
 * scratch must hold NET_OFFLOAD_SCRATCH bytes. Returns the number of
 * segments or -EINVAL. */
#define NET_OFFLOAD_SCRATCH 65536
int net_offload_segment(const uint8_t *frame, size_t len, const struct net_hdr *h,
                        uint8_t *scratch, net_segment_fn emit, void *ctx);

#endif
