/* decompress: each format round-trips through the library that wrote it,
 * laid out as the kernel build lays it out (payload inside the protected-mode
 * part, decompressed size in its last four bytes) and as initrds come
 * (several members or frames, zero padding); damaged or lying inputs are
 * refused without reading outside them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/util.h"
#include "loaders/decompress.h"

#define PM_OFFSET 0x1000u  /* where the protected-mode part starts in the file */
#define PAYLOAD_OFF 0x400u /* the payload's offset inside it */
#define LZ4_MAGIC 0x184c2102u
#define LZ4_BLOCK (8u << 20)

/* A kernel-like input: code-ish bytes with runs, so every coder compresses it. */
static uint8_t *make_plain(size_t n)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i & 0x100) ? (uint8_t)(i >> 3) : (uint8_t)(x >> 24);
    }
    return p;
}

static size_t gzip_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    s.next_in = (Bytef *)(uintptr_t)in;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    size_t len = s.total_out;
    deflateEnd(&s);
    return len; /* gzip's trailer ends with ISIZE: no size to append */
}

/* As the kernel's xzkern: the x86 BCJ filter, then LZMA2. */
static size_t xz_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    lzma_options_lzma opt;
    assert_false(lzma_lzma_preset(&opt, 6));
    lzma_filter filters[] = {
        { .id = LZMA_FILTER_X86, .options = NULL },
        { .id = LZMA_FILTER_LZMA2, .options = &opt },
        { .id = LZMA_VLI_UNKNOWN, .options = NULL },
    };
    size_t pos = 0;
    assert_int_equal(lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in, n, out, &pos,
                                               cap),
                     LZMA_OK);
    return pos;
}

/* As `lz4 -l`: the legacy magic, then (size, block) pairs of 8 MiB input. */
static size_t lz4_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t pos = 4;
    put_le32(out, LZ4_MAGIC);
    for (size_t off = 0; off < n; off += LZ4_BLOCK) {
        int chunk = (int)MIN(n - off, (size_t)LZ4_BLOCK);
        int c = LZ4_compress_default((const char *)in + off, (char *)out + pos + 4, chunk,
                                     (int)(cap - pos - 4));
        assert_true(c > 0);
        put_le32(out + pos, (uint32_t)c);
        pos += 4 + (size_t)c;
    }
    return pos;
}

static size_t zstd_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t c = ZSTD_compress(out, cap, in, n, 19);
    assert_false(ZSTD_isError(c));
    return c;
}

/* A file holding a bzImage-like protected-mode part whose payload is
 * in[0..n) compressed by enc; fills *bz as bzimage_parse would. */
static uint8_t *make_file(size_t (*enc)(const uint8_t *, size_t, uint8_t *, size_t),
                          bool append_size, const uint8_t *in, size_t n, size_t *flen,
                          struct bzimage *bz)
{
    size_t cap = n + n / 2 + 65536;
    uint8_t *f = calloc(1, PM_OFFSET + PAYLOAD_OFF + cap + 4 + 64);
    assert_non_null(f);
    uint8_t *payload = f + PM_OFFSET + PAYLOAD_OFF;
    size_t plen = enc(in, n, payload, cap);
    if (append_size) {
        put_le32(payload + plen, (uint32_t)n);
        plen += 4;
    }
    memset(bz, 0, sizeof(*bz));
    bz->pm_offset = PM_OFFSET;
    bz->hdr.payload_offset = PAYLOAD_OFF;
    bz->hdr.payload_length = (uint32_t)plen;
    *flen = PM_OFFSET + PAYLOAD_OFF + plen + 64; /* some trailing bytes, as a real image has */
    return f;
}

struct codec {
    size_t (*enc)(const uint8_t *, size_t, uint8_t *, size_t);
    bool append_size;
    enum decompress_format format;
    bool checksum; /* the stream carries a checksum of the data (gzip, xz) */
};

static const struct codec codecs[] = {
    { gzip_encode, false, DECOMPRESS_GZIP, true },
    { xz_encode, true, DECOMPRESS_XZ, true },
    { lz4_encode, true, DECOMPRESS_LZ4, false },
    { zstd_encode, true, DECOMPRESS_ZSTD, false },
};

static void round_trip(size_t n)
{
    uint8_t *plain = make_plain(n);
    for (size_t i = 0; i < ARRAY_SIZE(codecs); i++) {
        struct bzimage bz;
        size_t flen, got_len;
        uint8_t *f = make_file(codecs[i].enc, codecs[i].append_size, plain, n, &flen, &bz);
        assert_int_equal(decompress_format(f + PM_OFFSET + PAYLOAD_OFF, 8), codecs[i].format);
        uint8_t *got;
        assert_int_equal(decompress_kernel(f, flen, &bz, n, &got, &got_len), 0);
        assert_int_equal(got_len, n);
        assert_memory_equal(got, plain, n);
        free(got);
        /* one byte less room than the kernel needs */
        assert_int_equal(decompress_kernel(f, flen, &bz, n - 1, &got, &got_len), -ENOEXEC);
        assert_null(got);
        free(f);
    }
    free(plain);
}

static void test_round_trip_small(void **state)
{
    (void)state;
    round_trip(100000);
}

/* Over 8 MiB: two lz4 legacy blocks, several xz/zstd blocks. */
static void test_round_trip_multi_block(void **state)
{
    (void)state;
    round_trip(LZ4_BLOCK + 123457);
}

/* Every kind of damage: corrupt data, a wrong size, a payload outside the
 * file; each refused, nothing returned. */
static void test_damaged(void **state)
{
    (void)state;
    size_t n = 200000;
    uint8_t *plain = make_plain(n);
    for (size_t i = 0; i < ARRAY_SIZE(codecs); i++) {
        struct bzimage bz;
        size_t flen, got_len;
        uint8_t *got;
        uint8_t *f = make_file(codecs[i].enc, codecs[i].append_size, plain, n, &flen, &bz);
        uint8_t *payload = f + PM_OFFSET + PAYLOAD_OFF;
        uint32_t plen = bz.hdr.payload_length;

        /* A flipped byte: caught by the checksum where there is one;
         * lz4 and zstd (written without one, as the kernel does) may only
         * decode to other bytes of the same length. */
        payload[plen / 2] ^= 0x55;
        int rc = decompress_kernel(f, flen, &bz, SIZE_MAX, &got, &got_len);
        if (codecs[i].checksum || rc) {
            assert_int_equal(rc, -ENOEXEC);
            assert_null(got);
        } else {
            assert_int_equal(got_len, n);
            free(got);
        }
        payload[plen / 2] ^= 0x55;

        put_le32(payload + plen - 4, (uint32_t)n + 1); /* announces one byte more */
        assert_int_equal(decompress_kernel(f, flen, &bz, SIZE_MAX, &got, &got_len), -ENOEXEC);
        put_le32(payload + plen - 4, 0);
        assert_int_equal(decompress_kernel(f, flen, &bz, SIZE_MAX, &got, &got_len), -ENOEXEC);
        put_le32(payload + plen - 4, (uint32_t)n);

        struct bzimage cut = bz;
        cut.hdr.payload_length = plen - 7; /* truncated stream */
        assert_int_equal(decompress_kernel(f, flen, &cut, SIZE_MAX, &got, &got_len), -ENOEXEC);
        cut.hdr.payload_length = (uint32_t)(flen - PM_OFFSET - PAYLOAD_OFF + 1);
        assert_int_equal(decompress_kernel(f, flen, &cut, SIZE_MAX, &got, &got_len), -ENOEXEC);
        cut.hdr.payload_offset = UINT32_MAX; /* past the file */
        assert_int_equal(decompress_kernel(f, flen, &cut, SIZE_MAX, &got, &got_len), -ENOEXEC);
        cut = bz;
        cut.hdr.payload_length = 4; /* nothing but a size */
        assert_int_equal(decompress_kernel(f, flen, &cut, SIZE_MAX, &got, &got_len), -ENOEXEC);
        assert_null(got);
        free(f);
    }
    free(plain);
}

/* No payload fields, or a format vmon leaves to the guest (bzip2, lzma, lzo). */
static void test_not_supported(void **state)
{
    (void)state;
    uint8_t f[PM_OFFSET + PAYLOAD_OFF + 64] = { 0 };
    struct bzimage bz = { .pm_offset = PM_OFFSET };
    uint8_t *got;
    size_t got_len;
    assert_int_equal(decompress_kernel(f, sizeof(f), &bz, SIZE_MAX, &got, &got_len), -ENOTSUP);
    bz.hdr.payload_offset = PAYLOAD_OFF;
    bz.hdr.payload_length = 32;
    memcpy(f + PM_OFFSET + PAYLOAD_OFF, "BZh91AY&SY", 10); /* bzip2 */
    assert_int_equal(decompress_kernel(f, sizeof(f), &bz, SIZE_MAX, &got, &got_len), -ENOTSUP);
    assert_null(got);
    assert_int_equal(decompress_format((const uint8_t *)"\x1f", 1), DECOMPRESS_NONE);
    assert_string_equal(decompress_format_name(DECOMPRESS_XZ), "xz");
}

/* An initrd: the codec's output twice over (two members / streams /
 * frames, as concatenated initramfs pieces are), then zero padding. */
static uint8_t *make_initrd(const struct codec *c, const uint8_t *in, size_t n, size_t pad,
                            size_t *len)
{
    size_t cap = n + n / 2 + 65536;
    uint8_t *f = calloc(1, 2 * cap + pad);
    assert_non_null(f);
    size_t a = c->enc(in, n / 3, f, cap);
    size_t b = c->enc(in + n / 3, n - n / 3, f + a, cap);
    *len = a + b + pad;
    return f;
}

static void test_initrd(void **state)
{
    (void)state;
    size_t n = 300000;
    uint8_t *plain = make_plain(n);
    for (size_t i = 0; i < ARRAY_SIZE(codecs); i++) {
        for (size_t pad = 0; pad <= 512; pad += 512) {
            size_t len, got_len;
            uint8_t *got;
            uint8_t *f = make_initrd(&codecs[i], plain, n, pad, &len);
            assert_int_equal(decompress_initrd(f, len, SIZE_MAX, &got, &got_len), 0);
            assert_int_equal(got_len, n);
            assert_memory_equal(got, plain, n);
            free(got);
            /* bigger than allowed */
            assert_int_equal(decompress_initrd(f, len, n - 1, &got, &got_len), -ENOEXEC);
            assert_null(got);
            /* cut short */
            assert_int_equal(decompress_initrd(f, len - pad - 9, SIZE_MAX, &got, &got_len),
                             -ENOEXEC);
            /* followed by something else (another, uncompressed archive) */
            if (pad) {
                f[len - 1] = '7';
                assert_int_equal(decompress_initrd(f, len, SIZE_MAX, &got, &got_len), -ENOEXEC);
                assert_null(got);
            }
            free(f);
        }
    }
    /* An uncompressed cpio archive stays as it is. */
    uint8_t *got;
    size_t got_len;
    assert_int_equal(decompress_initrd((const uint8_t *)"070701000000", 12, SIZE_MAX, &got,
                                       &got_len),
                     -ENOTSUP);
    free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_small),
        cmocka_unit_test(test_round_trip_multi_block),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_not_supported),
        cmocka_unit_test(test_initrd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
