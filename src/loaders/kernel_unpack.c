#include "loaders/kernel_unpack.h"

#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/util.h"

#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20) /* decompressed bytes per block, at most */
#define SIZE_TRAILER 4              /* the decompressed size, after the data */

enum kernel_unpack_format kernel_unpack_format(const uint8_t *p, size_t len)
{
    static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
    if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return KERNEL_UNPACK_GZIP;
    if (len >= sizeof(xz) && !memcmp(p, xz, sizeof(xz)))
        return KERNEL_UNPACK_XZ;
    if (len >= 4 && get_le32(p) == LZ4_LEGACY_MAGIC)
        return KERNEL_UNPACK_LZ4;
    if (len >= 4 && get_le32(p) == ZSTD_MAGICNUMBER)
        return KERNEL_UNPACK_ZSTD;
    return KERNEL_UNPACK_NONE;
}

const char *kernel_unpack_format_name(enum kernel_unpack_format f)
{
    switch (f) {
    case KERNEL_UNPACK_GZIP: return "gzip";
    case KERNEL_UNPACK_XZ: return "xz";
    case KERNEL_UNPACK_LZ4: return "lz4";
    case KERNEL_UNPACK_ZSTD: return "zstd";
    default: return "unknown";
    }
}

/* Each decoder fills out[0..out_len) exactly from in[0..in_len) or fails. */

static int unpack_gzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    if (in_len > UINT_MAX || out_len > UINT_MAX)
        return -ENOEXEC;
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) /* 16: a gzip header */
        return -ENOMEM;
    s.next_in = (Bytef *)(uintptr_t)in;
    s.avail_in = (uInt)in_len;
    s.next_out = out;
    s.avail_out = (uInt)out_len;
    int rc = inflate(&s, Z_FINISH);
    size_t got = s.total_out;
    inflateEnd(&s);
    return rc == Z_STREAM_END && got == out_len ? 0 : -ENOEXEC;
}

static int unpack_xz(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    uint64_t memlimit = UINT64_MAX; /* the dictionary is the kernel's choice: 32 MiB */
    size_t in_pos = 0, out_pos = 0;
    lzma_ret rc = lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, in_len, out,
                                            &out_pos, out_len);
    return rc == LZMA_OK && out_pos == out_len ? 0 : -ENOEXEC;
}

/* Legacy frames: a magic number, then blocks of (32-bit compressed size,
 * data), each up to 8 MiB decompressed; a magic number may start another
 * frame. */
static int unpack_lz4(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    size_t ip = 0, op = 0;
    while (in_len - ip >= 4) {
        uint32_t n = get_le32(in + ip);
        ip += 4;
        if (n == LZ4_LEGACY_MAGIC)
            continue;
        if (n > in_len - ip || n > INT_MAX || op == out_len)
            return -ENOEXEC;
        int cap = (int)MIN(out_len - op, (size_t)LZ4_LEGACY_BLOCK);
        int got = LZ4_decompress_safe((const char *)in + ip, (char *)out + op, (int)n, cap);
        if (got <= 0)
            return -ENOEXEC;
        ip += n;
        op += (size_t)got;
    }
    return ip == in_len && op == out_len ? 0 : -ENOEXEC;
}

static int unpack_zstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    size_t got = ZSTD_decompress(out, out_len, in, in_len);
    return !ZSTD_isError(got) && got == out_len ? 0 : -ENOEXEC;
}

int kernel_unpack(const uint8_t *buf, size_t len, const struct bzimage *bz, size_t max,
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
    enum kernel_unpack_format f = kernel_unpack_format(p, plen);
    if (f == KERNEL_UNPACK_NONE)
        return -ENOTSUP;
    size_t size = get_le32(p + plen - SIZE_TRAILER);
    if (size == 0 || size > max)
        return -ENOEXEC;
    uint8_t *dst = malloc(size);
    if (!dst)
        return -ENOMEM;
    int rc;
    switch (f) {
    case KERNEL_UNPACK_GZIP: rc = unpack_gzip(p, plen, dst, size); break; /* ISIZE is gzip's */
    case KERNEL_UNPACK_XZ: rc = unpack_xz(p, plen - SIZE_TRAILER, dst, size); break;
    case KERNEL_UNPACK_LZ4: rc = unpack_lz4(p, plen - SIZE_TRAILER, dst, size); break;
    default: rc = unpack_zstd(p, plen - SIZE_TRAILER, dst, size); break;
    }
    if (rc) {
        free(dst);
        return rc;
    }
    *out = dst;
    *out_len = size;
    return 0;
}
