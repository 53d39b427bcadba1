/* Pieces every libFuzzer harness here needs: a reader that turns the input
 * bytes into values, a failure check that works in any build type, and
 * guest RAM between inaccessible guard pages. */
#ifndef VMON_FUZZ_FUZZ_UTIL_H
#define VMON_FUZZ_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Like assert, but also in release builds: the fuzzer reports the abort. */
#define FUZZ_CHECK(cond)                                                               \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* The input bytes not consumed yet. */
struct fuzz_input {
    const uint8_t *p;
    size_t n;
};

/* The next `bytes` (at most 8) input bytes as a little-endian value; missing
 * bytes past the end of the input read as zero. */
uint64_t fuzz_take(struct fuzz_input *in, unsigned bytes);

/* Copies up to `max` input bytes to dst (fewer at the end of the input) and
 * consumes them; returns how many. */
size_t fuzz_take_bytes(struct fuzz_input *in, void *dst, size_t max);

/* A fresh mapping of `size` (page multiple) readable and writable bytes
 * with an inaccessible page on either side; the harness keeps it for the
 * life of the process. */
uint8_t *fuzz_guarded_ram(size_t size);

/* Fills buf with a fixed non-zero byte pattern unless already done (the
 * pattern's second byte is never zero). */
void fuzz_fill_pattern(uint8_t *buf, size_t n);

#endif
