#include "fuzz_util.h"

#include <string.h>
#include <sys/mman.h>

#define FUZZ_PAGE 4096u

uint64_t fuzz_take(struct fuzz_input *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
        v |= (uint64_t)*in->p << (8 * i);
    return v;
}

size_t fuzz_take_bytes(struct fuzz_input *in, void *dst, size_t max)
{
    size_t n = max < in->n ? max : in->n;
    memcpy(dst, in->p, n);
    in->p += n;
    in->n -= n;
    return n;
}

uint8_t *fuzz_guarded_ram(size_t size)
{
    uint8_t *m = mmap(NULL, size + 2 * FUZZ_PAGE, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    FUZZ_CHECK(m != MAP_FAILED);
    FUZZ_CHECK(mprotect(m + FUZZ_PAGE, size, PROT_READ | PROT_WRITE) == 0);
    return m + FUZZ_PAGE;
}

void fuzz_fill_pattern(uint8_t *buf, size_t n)
{
    if (n < 2 || buf[1])
        return;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
}
