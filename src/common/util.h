/* Small helpers shared by every module: checked arithmetic, alignment, parsing. */
#ifndef VMON_COMMON_UTIL_H
#define VMON_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* true when [start, start+len) does not wrap and lies inside [0, limit). */
static inline bool range_within(uint64_t start, uint64_t len, uint64_t limit)
{
    return start <= limit && len <= limit - start;
}

/* true when [a, a+alen) and [b, b+blen) overlap; lengths are non-zero. */
static inline bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a <= b + (blen - 1) && b <= a + (alen - 1);
}

static inline uint16_t get_le16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t get_le32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get_le64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void put_le16(void *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void put_le32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put_le64(void *p, uint64_t v) { memcpy(p, &v, 8); }

/* Parses "512", "64K", "256M", "2G" (binary units). Returns false on syntax
 * error, zero-free overflow, or trailing junk. */
bool parse_size(const char *s, uint64_t *out);

/* Parses a decimal or 0x-prefixed unsigned integer with no trailing junk. */
bool parse_u64(const char *s, uint64_t *out);

/* Reads a whole file into a malloc'ed buffer (at most max bytes).
 * Returns 0 or a negative errno; -EFBIG when the file is larger than max. */
int read_file(const char *path, size_t max, uint8_t **data, size_t *len);

#endif
