/* The guest clock: guest nanoseconds since the VM was created, and the
 * guest's time-stamp counter derived from them.
 *
 * Guest time runs at host CLOCK_MONOTONIC speed from an offset taken when the
 * clock is initialised. Tests replace the host clock with a manual source
 * whose time moves only when the test says so.
 *
 * The TSC is invariant (constant rate, never stops) at VCLOCK_TSC_HZ; the
 * CPUID code reports the same frequency. Every reader is lock-free and
 * thread-safe. */
#ifndef VMON_CORE_CLOCK_H
#define VMON_CORE_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define VCLOCK_NS_PER_SEC 1000000000ull
/* The advertised, invariant TSC frequency: 2.0 GHz. */
#define VCLOCK_TSC_HZ 2000000000ull

struct vclock {
    bool manual;               /* time comes from manual_ns, not the host */
    uint64_t host_offset;      /* host ns at guest ns 0 (host source) */
    _Atomic uint64_t manual_ns; /* current guest ns (manual source) */
};

/* Guest time starts at 0 now and follows the host's CLOCK_MONOTONIC. */
void vclock_init(struct vclock *c);
/* Test source: guest time is start_ns until vclock_set/vclock_advance. */
void vclock_init_manual(struct vclock *c, uint64_t start_ns);
/* Manual source only (ignored otherwise). Time never goes backwards: a value
 * below the current time is ignored. */
void vclock_set(struct vclock *c, uint64_t ns);
void vclock_advance(struct vclock *c, uint64_t delta_ns);

/* Guest nanoseconds. */
uint64_t vclock_ns(const struct vclock *c);
/* The guest TSC: vclock_ns() converted to VCLOCK_TSC_HZ ticks. */
uint64_t vclock_tsc(const struct vclock *c);

/* Host CLOCK_MONOTONIC in ns. */
uint64_t vclock_host_ns(void);

/* Ticks of a hz clock in ns nanoseconds, rounded down (saturates at
 * UINT64_MAX). Exact for any uptime: the product is formed in 128 bits. */
uint64_t vclock_ns_to_ticks(uint64_t ns, uint64_t hz);
/* Nanoseconds until ticks ticks of a hz clock have elapsed, rounded up, so
 * that vclock_ns_to_ticks(vclock_ticks_to_ns(t, hz), hz) >= t. Saturates at
 * UINT64_MAX. hz must be non-zero. */
uint64_t vclock_ticks_to_ns(uint64_t ticks, uint64_t hz);

#endif
