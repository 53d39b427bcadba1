/* Boot files decompressed on the host: a bzImage's kernel and a compressed
 * initrd.
 *
 * A guest that runs its own decompressors in a software CPU, or in a KVM
 * that emulates kernel code, spends much of its boot there: Debian's
 * XZ-compressed kernel runs 4.5 G of its 6 G instructions to user space in
 * the bzImage's decompressor, and the default guest half of its boot
 * unpacking its gzip initramfs. vmon does that work on the host instead:
 *
 *  - The protected-mode part of a bzImage is a decompressor followed by the
 *    compressed kernel (boot.rst: payload_offset and payload_length,
 *    protocol 2.08+): vmlinux stripped to an ELF file, with the relocation
 *    table of a relocatable kernel appended; the last four bytes of the
 *    payload are the decompressed size (little endian: gzip's ISIZE, or the
 *    kernel build's size_append). The loader then starts the ELF at its
 *    64-bit entry, as Firecracker starts a vmlinux.
 *  - An initrd that is one compressed stream (gzip members, xz streams, lz4
 *    legacy frames or zstd frames, nothing else after them but zero
 *    padding) is handed to the kernel decompressed; the kernel takes an
 *    uncompressed cpio archive or ramdisk image just as well.
 *
 * gzip (zlib), xz (liblzma, with the x86 BCJ filter the kernel uses), lz4
 * (legacy frames, as `lz4 -l` writes them) and zstd are decoded; bzip2, lzma
 * and lzo are left to the guest. */
#ifndef VMON_LOADERS_DECOMPRESS_H
#define VMON_LOADERS_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "loaders/bzimage.h"

enum decompress_format {
    DECOMPRESS_NONE,
    DECOMPRESS_GZIP,
    DECOMPRESS_XZ,
    DECOMPRESS_LZ4,
    DECOMPRESS_ZSTD,
};

/* The format of the compressed data p[0..len) from its magic number. */
enum decompress_format decompress_format(const uint8_t *p, size_t len);
const char *decompress_format_name(enum decompress_format f);

/* Decompresses bz's payload (bz from bzimage_parse on buf) into a new
 * buffer of at most max bytes, which the caller frees. Returns 0, -ENOTSUP
 * (no payload fields, or a format vmon does not decode), -ENOEXEC (the
 * payload is out of the file, corrupt, bigger than max or not the size it
 * announces), or -ENOMEM. Never reads outside buf. */
int decompress_kernel(const uint8_t *buf, size_t len, const struct bzimage *bz, size_t max,
                      uint8_t **out, size_t *out_len);

/* Decompresses a whole compressed initrd into a new buffer of at most max
 * bytes, which the caller frees. Returns 0, -ENOTSUP (not compressed in a
 * format vmon decodes), -ENOEXEC (corrupt, truncated, bigger than max, or
 * followed by other data: the guest then gets the file as it is), or
 * -ENOMEM. */
int decompress_initrd(const uint8_t *buf, size_t len, size_t max, uint8_t **out,
                      size_t *out_len);

#endif
