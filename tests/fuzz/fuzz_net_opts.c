/* libFuzzer harness for the --net option parsers (net/net_opts.h).
 *
 * Input: byte 0 picks the size of the error buffer (1-128 bytes, on the
 * heap so that the sanitizers see any write past it) and, with bit 7, the
 * structured mode below; otherwise the rest, cut at the first NUL, is the
 * option text. Each text is parsed both as a port forward and as a MAC
 * address. Checks beyond memory safety: a failure leaves a terminated
 * reason in the error buffer; an accepted forward has non-zero ports; an
 * accepted MAC is unicast and non-zero, and printing it back parses to the
 * same address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "net/net_opts.h"
#include "fuzz_util.h"

static void check_err(const char *err, size_t errlen)
{
    FUZZ_CHECK(strnlen(err, errlen) < errlen);
}

static void fuzz_hostfwd(const char *s, char *err, size_t errlen)
{
    struct net_hostfwd f;
    memset(err, 'x', errlen);
    if (net_parse_hostfwd(s, &f, err, errlen) == 0) {
        FUZZ_CHECK(f.host_port != 0 && f.guest_port != 0);
        return;
    }
    check_err(err, errlen);
}

static void fuzz_mac(const char *s, char *err, size_t errlen)
{
    uint8_t mac[6], again[6];
    memset(err, 'x', errlen);
    if (net_parse_mac(s, mac, err, errlen)) {
        check_err(err, errlen);
        return;
    }
    FUZZ_CHECK(!(mac[0] & 1));
    FUZZ_CHECK(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
    char text[18];
    snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
    FUZZ_CHECK(net_parse_mac(text, again, err, errlen) == 0);
    FUZZ_CHECK(memcmp(mac, again, 6) == 0);
}

/* Structured mode: option texts shaped like the real syntax, so that the
 * parsers' later checks are reached (the libc functions they call carry no
 * coverage for the fuzzer to follow). Each piece is mostly well formed and
 * sometimes not, driven by the input bytes b[0, n). */
static size_t shaped_text(const uint8_t *b, size_t n, char *out, size_t outlen)
{
    uint8_t v[24] = { 0 };
    memcpy(v, b, n < sizeof(v) ? n : sizeof(v));
    if (v[0] & 1) {
        /* A MAC: six bytes, separators ':' unless the input says otherwise. */
        char sep = v[0] & 2 ? (char)v[7] : ':';
        return (size_t)snprintf(out, outlen, "%02x%c%02x%c%02x%c%02x%c%02x%c%0*x", v[1], sep,
                                v[2], sep, v[3], sep, v[4], sep, v[5], sep, v[0] & 4 ? 3 : 2,
                                v[6]);
    }
    static const char *const proto[] = { "tcp", "udp", "", "TCP", "tcpx", "u" };
    char host[20] = "", guest[20] = "";
    if (v[0] & 2)
        snprintf(host, sizeof(host), "%u.%u.%u.%u", v[1], v[2], v[3], v[4]);
    if (v[0] & 4)
        snprintf(guest, sizeof(guest), "%u.%u.%u.%u", v[0] & 8 ? 10 : v[5], v[0] & 8 ? 0 : v[6],
                 v[0] & 8 ? 2 : v[7], v[8]);
    unsigned hp = v[9] | v[10] << 8 | (v[0] & 16 ? (unsigned)v[11] << 16 : 0);
    unsigned gp = v[12] | v[13] << 8 | (v[0] & 32 ? (unsigned)v[14] << 16 : 0);
    return (size_t)snprintf(out, outlen, "%s:%s:%u%c%s:%u", proto[v[15] % 6], host, hp,
                            v[0] & 64 ? (char)v[16] : '-', guest, gp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_set_level(LOG_ERROR);
    if (size == 0)
        return 0;
    size_t errlen = 1 + data[0] % 128;
    char shaped[96];
    const uint8_t *text = data + 1;
    size_t len = size - 1;
    if (data[0] & 0x80) {
        len = shaped_text(data + 1, size - 1, shaped, sizeof(shaped));
        text = (const uint8_t *)shaped;
    }
    /* Exactly the string's bytes plus its NUL: reads past it are caught. */
    char *s = malloc(len + 1);
    char *err = malloc(errlen);
    if (!s || !err) {
        free(s);
        free(err);
        return 0;
    }
    memcpy(s, text, len);
    s[len] = 0;
    fuzz_hostfwd(s, err, errlen);
    fuzz_mac(s, err, errlen);
    free(err);
    free(s);
    return 0;
}
