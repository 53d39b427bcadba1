/* Parsing and checking the user's network options (--net): MAC addresses
 * and slirp port forwards. Plain data, no state; the CLI and tests use it. */
#ifndef VMON_NET_NET_OPTS_H
#define VMON_NET_NET_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A host port forwarded into the guest through slirp:
 * [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (QEMU's syntax).
 * Addresses are IPv4 in network byte order; the host address defaults to
 * any (0.0.0.0), the guest's to NET_SLIRP_GUEST_ADDR. */
struct net_hostfwd {
    bool udp;
    uint32_t host_addr;
    uint16_t host_port;
    uint32_t guest_addr;
    uint16_t guest_port;
};

/* The user-mode network (net_slirp.c): 10.0.2.0/24, the host is .2, the
 * DNS forwarder .3, DHCP hands out .15 first. Host byte order. */
#define NET_SLIRP_NETWORK 0x0a000200u
#define NET_SLIRP_NETMASK 0xffffff00u
#define NET_SLIRP_HOST 0x0a000202u
#define NET_SLIRP_DNS 0x0a000203u
#define NET_SLIRP_GUEST_ADDR 0x0a00020fu

/* Parses a forward; on error returns -EINVAL with the reason in err. */
int net_parse_hostfwd(const char *s, struct net_hostfwd *out, char *err, size_t errlen);
/* Whether the host side can be bound now (the port is free): 0 or -errno
 * with the reason in err. */
int net_hostfwd_check(const struct net_hostfwd *f, char *err, size_t errlen);

/* Parses "52:54:00:12:34:56"; refuses multicast (and broadcast) and the
 * all-zero address. 0 or -EINVAL with the reason in err. */
int net_parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen);
/* The default MAC of NIC i: 52:54:00:12:34:(0x56 + i). */
void net_default_mac(unsigned i, uint8_t mac[6]);

#endif
