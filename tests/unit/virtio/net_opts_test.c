/* --net option pieces: hostfwd rules, MAC addresses, the port check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_opts.h"

static void test_hostfwd_forms(void **s)
{
    (void)s;
    struct net_hostfwd f;
    char err[200];
    assert_int_equal(net_parse_hostfwd("tcp::8080-:80", &f, err, sizeof(err)), 0);
    assert_false(f.udp);
    assert_int_equal(f.host_addr, htonl(INADDR_ANY));
    assert_int_equal(f.host_port, 8080);
    assert_int_equal(f.guest_addr, htonl(0x0a00020f)); /* 10.0.2.15 */
    assert_int_equal(f.guest_port, 80);
    assert_int_equal(net_parse_hostfwd("udp:127.0.0.1:5353-10.0.2.16:53", &f, err, sizeof(err)),
                     0);
    assert_true(f.udp);
    assert_int_equal(f.host_addr, htonl(0x7f000001));
    assert_int_equal(f.host_port, 5353);
    assert_int_equal(f.guest_addr, htonl(0x0a000210));
    assert_int_equal(f.guest_port, 53);
    /* The protocol may be left out (tcp). */
    assert_int_equal(net_parse_hostfwd("::2222-:22", &f, err, sizeof(err)), 0);
    assert_false(f.udp);
    assert_int_equal(f.host_port, 2222);
}

static void test_hostfwd_errors(void **s)
{
    (void)s;
    static const char *bad[] = {
        "",                      /* nothing */
        "tcp:8080-:80",          /* no host address field */
        "sctp::1-:2",            /* protocol */
        "tcp::0-:80",            /* port 0 */
        "tcp::65536-:80",        /* port too big */
        "tcp::80:-:80",          /* junk */
        "tcp::80",               /* no guest side */
        "tcp::80-:",             /* no guest port */
        "tcp::x80-:80",          /* not a number */
        "tcp:1.2.3:80-:80",      /* bad address */
        "tcp::80-192.168.1.2:80",/* guest outside 10.0.2.0/24 */
        "tcp::+80-:80",
        ":2222-:22",             /* the protocol field is there, empty; no host address field */
    };
    struct net_hostfwd f;
    char err[200];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(net_parse_hostfwd(bad[i], &f, err, sizeof(err)), -EINVAL);
        assert_true(err[0] != 0);
    }
}

static void test_hostfwd_port_taken(void **s)
{
    (void)s;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    struct net_hostfwd f = { .host_addr = htonl(0x7f000001), .host_port = ntohs(sa.sin_port),
                             .guest_port = 1 };
    char err[200];
    assert_int_equal(net_hostfwd_check(&f, err, sizeof(err)), -EADDRINUSE);
    assert_non_null(strstr(err, "in use"));
    close(fd);
    assert_int_equal(net_hostfwd_check(&f, err, sizeof(err)), 0);
}

static void test_mac(void **s)
{
    (void)s;
    uint8_t mac[6];
    char err[200];
    assert_int_equal(net_parse_mac("52:54:00:ab:CD:0f", mac, err, sizeof(err)), 0);
    static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f };
    assert_memory_equal(mac, want, 6);
    assert_int_equal(net_parse_mac("01:00:5e:00:00:01", mac, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "multicast"));
    assert_int_equal(net_parse_mac("ff:ff:ff:ff:ff:ff", mac, err, sizeof(err)), -EINVAL);
    assert_int_equal(net_parse_mac("00:00:00:00:00:00", mac, err, sizeof(err)), -EINVAL);
    static const char *bad[] = { "", "52:54:00:12:34", "52:54:00:12:34:567", "52-54-00-12-34-56",
                                 "52:54:00:12:34:5g", "52:54:00:12:34:56:", " 2:54:00:12:34:56",
                                 "5:254:00:12:34:56" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(net_parse_mac(bad[i], mac, err, sizeof(err)), -EINVAL);
    net_default_mac(0, mac);
    static const uint8_t d0[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    assert_memory_equal(mac, d0, 6);
    net_default_mac(2, mac);
    assert_int_equal(mac[5], 0x58);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostfwd_forms),
        cmocka_unit_test(test_hostfwd_errors),
        cmocka_unit_test(test_hostfwd_port_taken),
        cmocka_unit_test(test_mac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
