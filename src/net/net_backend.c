/* The virtio-net header's wire format; see net_backend.h. */
#include "net/net_backend.h"

#include "common/util.h"

void net_hdr_decode(struct net_hdr *h, const uint8_t raw[NET_HDR_LEN])
{
    h->flags = raw[0];
    h->gso_type = raw[1];
    h->hdr_len = get_le16(raw + 2);
    h->gso_size = get_le16(raw + 4);
    h->csum_start = get_le16(raw + 6);
    h->csum_offset = get_le16(raw + 8);
    h->num_buffers = get_le16(raw + 10);
}

void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN])
{
    raw[0] = h->flags;
    raw[1] = h->gso_type;
    put_le16(raw + 2, h->hdr_len);
    put_le16(raw + 4, h->gso_size);
    put_le16(raw + 6, h->csum_start);
    put_le16(raw + 8, h->csum_offset);
    put_le16(raw + 10, h->num_buffers);
}
