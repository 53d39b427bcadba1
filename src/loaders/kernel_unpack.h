/* A bzImage's kernel, decompressed on the host.
 *
 * The protected-mode part of a bzImage is a decompressor followed by the
 * compressed kernel (boot.rst: payload_offset and payload_length, protocol
 * 2.08+): vmlinux stripped to an ELF file, with the relocation table of a
 * relocatable kernel appended, compressed with the kernel's chosen method;
 * the last four bytes of the payload are the decompressed size (little
 * endian: gzip's ISIZE, or the kernel build's size_append). A guest that
 * runs that decompressor in a software CPU, or in a KVM that emulates kernel
 * code, spends most of its boot there (Debian's XZ kernel: 4.5 G of its 6 G
 * instructions to user space). vmon can do that work on the host instead and
 * start the ELF at its 64-bit entry, as Firecracker starts a vmlinux.
 *
 * gzip (zlib), xz (liblzma, with its x86 BCJ filter), lz4 (legacy frames, as
 * `lz4 -l` writes them) and zstd are unpacked; bzip2, lzma and lzo are not
 * (the guest's decompressor then runs). */
#ifndef VMON_LOADERS_KERNEL_UNPACK_H
#define VMON_LOADERS_KERNEL_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "loaders/bzimage.h"

enum kernel_unpack_format {
    KERNEL_UNPACK_NONE,
    KERNEL_UNPACK_GZIP,
    KERNEL_UNPACK_XZ,
    KERNEL_UNPACK_LZ4,
    KERNEL_UNPACK_ZSTD,
};

/* The format of the compressed data p[0..len) from its magic number. */
enum kernel_unpack_format kernel_unpack_format(const uint8_t *p, size_t len);
const char *kernel_unpack_format_name(enum kernel_unpack_format f);

/* Decompresses bz's payload (bz from bzimage_parse on buf) into a new
 * buffer of at most max bytes, which the caller frees. Returns 0, -ENOTSUP
 * (no payload fields, or a format vmon does not unpack), -ENOEXEC (the
 * payload is out of the file, corrupt, bigger than max or not the size it
 * announces), or -ENOMEM. Never reads outside buf. */
int kernel_unpack(const uint8_t *buf, size_t len, const struct bzimage *bz, size_t max,
                  uint8_t **out, size_t *out_len);

#endif
