#include "loaders/decompress.h"

#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/util.h"

#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20) /* decompressed bytes per block, at most */
#define SIZE_TRAILER 4              /* a bzImage payload's decompressed size */
#define FIRST_GUESS_RATIO 4         /* initial output room: 4 x the input */
#define CHUNK_MAX (1u << 30)        /* bytes per zlib call (its counters are 32-bit) */

enum decompress_format decompress_format(const uint8_t *p, size_t len)
{
    static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
    if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return DECOMPRESS_GZIP;
    if (len >= sizeof(xz) && !memcmp(p, xz, sizeof(xz)))
        return DECOMPRESS_XZ;
    if (len >= 4 && get_le32(p) == LZ4_LEGACY_MAGIC)
        return DECOMPRESS_LZ4;
    if (len >= 4 && get_le32(p) == ZSTD_MAGICNUMBER)
        return DECOMPRESS_ZSTD;
    return DECOMPRESS_NONE;
}

const char *decompress_format_name(enum decompress_format f)
{
    switch (f) {
    case DECOMPRESS_GZIP: return "gzip";
    case DECOMPRESS_XZ: return "xz";
    case DECOMPRESS_LZ4: return "lz4";
    case DECOMPRESS_ZSTD: return "zstd";
    default: return "unknown";
    }
}

/* Output that grows up to max bytes. */
struct outbuf {
    uint8_t *data;
    size_t len, cap, max;
};

/* At least one more byte of room, or -ENOEXEC past max. */
static int out_grow(struct outbuf *o)
{
    if (o->len < o->cap)
        return 0;
    if (o->cap >= o->max)
        return -ENOEXEC; /* more output than allowed */
    size_t cap = o->cap > o->max / 2 ? o->max : MAX(o->cap * 2, (size_t)4096);
    uint8_t *d = realloc(o->data, cap);
    if (!d)
        return -ENOMEM;
    o->data = d;
    o->cap = cap;
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Each decoder appends the decoded in[0..in_len) to o; the input must end
 * with its last stream, or with zero padding after it. */

/* gzip members, one after the other. */
static int decode_gzip(const uint8_t *in, size_t in_len, struct outbuf *o)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) /* 16: a gzip header */
        return -ENOMEM;
    size_t pos = 0;
    int rc = 0;
    for (;;) {
        if ((rc = out_grow(o)))
            break;
        size_t in_now = MIN(in_len - pos, (size_t)CHUNK_MAX);
        size_t out_now = MIN(o->cap - o->len, (size_t)CHUNK_MAX);
        s.next_in = (Bytef *)(uintptr_t)(in + pos);
        s.avail_in = (uInt)in_now;
        s.next_out = o->data + o->len;
        s.avail_out = (uInt)out_now;
        int z = inflate(&s, Z_NO_FLUSH);
        pos += in_now - s.avail_in;
        o->len += out_now - s.avail_out;
        if (z == Z_STREAM_END) {
            if (decompress_format(in + pos, in_len - pos) != DECOMPRESS_GZIP) {
                rc = all_zero(in + pos, in_len - pos) ? 0 : -ENOEXEC;
                break;
            }
            inflateReset(&s);
        } else if (z == Z_BUF_ERROR && s.avail_out == 0) {
            continue; /* out of room: grow */
        } else if (z != Z_OK || (pos == in_len && s.avail_out != 0)) {
            rc = -ENOEXEC; /* corrupt, or the input ended inside a member */
            break;
        }
    }
    inflateEnd(&s);
    return rc;
}

/* xz streams; liblzma skips the stream padding between and after them. */
static int decode_xz(const uint8_t *in, size_t in_len, struct outbuf *o)
{
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return -ENOMEM;
    s.next_in = in;
    s.avail_in = in_len;
    int rc = 0;
    for (;;) {
        if ((rc = out_grow(o)))
            break;
        s.next_out = o->data + o->len;
        s.avail_out = o->cap - o->len;
        size_t before = s.avail_out;
        lzma_ret r = lzma_code(&s, LZMA_FINISH);
        o->len += before - s.avail_out;
        if (r == LZMA_STREAM_END)
            break;
        if (r != LZMA_OK && !(r == LZMA_BUF_ERROR && s.avail_out == 0)) {
            rc = r == LZMA_MEM_ERROR ? -ENOMEM : -ENOEXEC;
            break;
        }
    }
    lzma_end(&s);
    return rc;
}

/* Legacy frames: a magic number, then blocks of (32-bit compressed size,
 * data), each up to 8 MiB decompressed; a magic number may start another
 * frame. */
static int decode_lz4(const uint8_t *in, size_t in_len, struct outbuf *o)
{
    size_t pos = 0;
    while (in_len - pos >= 4) {
        uint32_t n = get_le32(in + pos);
        if (n == 0)
            break; /* padding */
        pos += 4;
        if (n == LZ4_LEGACY_MAGIC)
            continue;
        if (n > in_len - pos || n > INT_MAX)
            return -ENOEXEC;
        /* Room for a whole block (or whatever max still allows). */
        while (o->cap - o->len < LZ4_LEGACY_BLOCK && o->cap < o->max) {
            size_t len = o->len;
            o->len = o->cap;
            int rc = out_grow(o);
            o->len = len;
            if (rc)
                return rc;
        }
        size_t room = MIN(o->cap - o->len, (size_t)LZ4_LEGACY_BLOCK);
        if (room == 0)
            return -ENOEXEC;
        int got = LZ4_decompress_safe((const char *)in + pos, (char *)o->data + o->len, (int)n,
                                      (int)room);
        if (got <= 0)
            return -ENOEXEC;
        pos += n;
        o->len += (size_t)got;
    }
    return all_zero(in + pos, in_len - pos) ? 0 : -ENOEXEC;
}

/* zstd frames, one after the other. */
static int decode_zstd(const uint8_t *in, size_t in_len, struct outbuf *o)
{
    ZSTD_DStream *d = ZSTD_createDStream();
    if (!d)
        return -ENOMEM;
    size_t pos = 0;
    int rc = 0;
    while (pos < in_len && !all_zero(in + pos, in_len - pos)) {
        size_t frame = ZSTD_findFrameCompressedSize(in + pos, in_len - pos);
        if (ZSTD_isError(frame)) {
            rc = -ENOEXEC;
            break;
        }
        ZSTD_initDStream(d);
        ZSTD_inBuffer ib = { in + pos, frame, 0 };
        size_t left = 1;
        while (left) {
            if ((rc = out_grow(o)))
                break;
            ZSTD_outBuffer ob = { o->data, o->cap, o->len };
            left = ZSTD_decompressStream(d, &ob, &ib);
            o->len = ob.pos;
            if (ZSTD_isError(left) || (left && ib.pos == ib.size && ob.pos < ob.size)) {
                rc = -ENOEXEC;
                break;
            }
        }
        if (rc)
            break;
        pos += frame;
    }
    ZSTD_freeDStream(d);
    return rc;
}

static int decode(enum decompress_format f, const uint8_t *in, size_t in_len, struct outbuf *o)
{
    switch (f) {
    case DECOMPRESS_GZIP: return decode_gzip(in, in_len, o);
    case DECOMPRESS_XZ: return decode_xz(in, in_len, o);
    case DECOMPRESS_LZ4: return decode_lz4(in, in_len, o);
    case DECOMPRESS_ZSTD: return decode_zstd(in, in_len, o);
    default: return -ENOTSUP;
    }
}

/* Decodes into a buffer starting at cap bytes, growing to max. */
static int decode_new(enum decompress_format f, const uint8_t *in, size_t in_len, size_t cap,
                      size_t max, uint8_t **out, size_t *out_len)
{
    struct outbuf o = { .data = malloc(MAX(cap, (size_t)1)), .cap = cap, .max = max };
    if (!o.data)
        return -ENOMEM;
    int rc = decode(f, in, in_len, &o);
    if (rc || o.len == 0) {
        free(o.data);
        return rc ? rc : -ENOEXEC;
    }
    *out = o.data;
    *out_len = o.len;
    return 0;
}

int decompress_kernel(const uint8_t *buf, size_t len, const struct bzimage *bz, size_t max,
                      uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    const struct setup_header *h = &bz->hdr;
    if (!h->payload_offset || !h->payload_length)
        return -ENOTSUP;
    uint64_t off = bz->pm_offset + h->payload_offset;
    if (!range_within(off, h->payload_length, len) || h->payload_length <= SIZE_TRAILER)
        return -ENOEXEC;
    const uint8_t *p = buf + off;
    size_t plen = h->payload_length;
    enum decompress_format f = decompress_format(p, plen);
    if (f == DECOMPRESS_NONE)
        return -ENOTSUP;
    size_t size = get_le32(p + plen - SIZE_TRAILER);
    if (size == 0 || size > max)
        return -ENOEXEC;
    /* gzip's ISIZE belongs to its stream; the others have it appended. */
    size_t in_len = f == DECOMPRESS_GZIP ? plen : plen - SIZE_TRAILER;
    int rc = decode_new(f, p, in_len, size, size, out, out_len);
    if (!rc && *out_len != size) {
        free(*out);
        *out = NULL;
        *out_len = 0;
        rc = -ENOEXEC;
    }
    return rc;
}

int decompress_initrd(const uint8_t *buf, size_t len, size_t max, uint8_t **out,
                      size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    enum decompress_format f = decompress_format(buf, len);
    if (f == DECOMPRESS_NONE)
        return -ENOTSUP;
    size_t guess = len > max / FIRST_GUESS_RATIO ? max : len * FIRST_GUESS_RATIO;
    return decode_new(f, buf, len, guess, max, out, out_len);
}
