/* A host TAP device as a NIC's backend. Frames carry a 12-byte virtio-net
 * header on the TAP file descriptor (IFF_VNET_HDR, TUNSETVNETHDRSZ), so the
 * guest's checksum and segmentation offloads pass through untouched, and the
 * host delivers partial-checksum and GSO frames when the driver accepts
 * them (TUNSETOFFLOAD at activation).
 *
 * The interface must exist (ip tuntap add dev NAME mode tap user USER):
 * vmon attaches to it and never creates one, so a mistyped name is an
 * error instead of a new interface nobody configured. */
#ifndef VMON_NET_NET_TAP_H
#define VMON_NET_NET_TAP_H

#include <stddef.h>

#include "net/net_backend.h"

/* Opens and configures the TAP device ifname. Returns the descriptor or
 * -errno with a one-line reason in err. */
int net_tap_open(const char *ifname, char *err, size_t errlen);
/* A backend on an open TAP descriptor (owned from now on, closed on
 * failure too). Returns 0 or -errno. */
int net_tap_new(int fd, struct net_backend **out);

#endif
