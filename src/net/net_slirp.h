/* User-mode networking through libslirp: the guest sits alone on
 * 10.0.2.0/24 behind a NAT that vmon runs in user space (no privileges).
 * 10.0.2.2 is the host (its loopback too), 10.0.2.3 a DNS forwarder, DHCP
 * gives the guest 10.0.2.15; IPv6 fec0::/64 likewise (host fec0::2, DNS
 * fec0::3). Host ports can be forwarded into the guest (net_opts.h).
 *
 * slirp needs checksums complete and frames of at most the MTU, so the
 * backend completes partial checksums and segments TCP GSO frames in
 * software (net_offload.h): the guest may use CSUM and HOST_TSO4/6, which
 * saves it most of its per-packet work. Frames slirp makes carry valid
 * checksums and are marked DATA_VALID for a driver that takes GUEST_CSUM.
 * slirp's sockets and timers are served by the NIC's thread (net_loop.h). */
#ifndef VMON_NET_NET_SLIRP_H
#define VMON_NET_NET_SLIRP_H

#include <stddef.h>

#include "net/net_backend.h"
#include "net/net_opts.h"

/* Creates the network and its forwards. Returns 0 or -errno with a one-line
 * reason in err. */
int net_slirp_new(const struct net_hostfwd *fwd, unsigned nfwd, struct net_backend **out,
                  char *err, size_t errlen);

#endif
