#include "core/clock.h"

#include <time.h>

uint64_t vclock_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * VCLOCK_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void vclock_init(struct vclock *c)
{
    c->manual = false;
    c->host_offset = vclock_host_ns();
    atomic_init(&c->manual_ns, 0);
}

void vclock_init_manual(struct vclock *c, uint64_t start_ns)
{
    c->manual = true;
    c->host_offset = 0;
    atomic_init(&c->manual_ns, start_ns);
}

void vclock_set(struct vclock *c, uint64_t ns)
{
    if (!c->manual)
        return;
    uint64_t cur = atomic_load(&c->manual_ns);
    while (ns > cur && !atomic_compare_exchange_weak(&c->manual_ns, &cur, ns))
        ;
}

void vclock_advance(struct vclock *c, uint64_t delta_ns)
{
    if (!c->manual)
        return;
    uint64_t cur = atomic_load(&c->manual_ns);
    uint64_t next;
    do {
        next = cur + delta_ns < cur ? UINT64_MAX : cur + delta_ns;
    } while (!atomic_compare_exchange_weak(&c->manual_ns, &cur, next));
}

uint64_t vclock_ns(const struct vclock *c)
{
    if (c->manual)
        return atomic_load_explicit(&c->manual_ns, memory_order_acquire);
    return vclock_host_ns() - c->host_offset;
}

uint64_t vclock_tsc(const struct vclock *c)
{
    return vclock_ns_to_ticks(vclock_ns(c), VCLOCK_TSC_HZ);
}

uint64_t vclock_ns_to_ticks(uint64_t ns, uint64_t hz)
{
    unsigned __int128 t = (unsigned __int128)ns * hz / VCLOCK_NS_PER_SEC;
    return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

uint64_t vclock_ticks_to_ns(uint64_t ticks, uint64_t hz)
{
    unsigned __int128 n = ((unsigned __int128)ticks * VCLOCK_NS_PER_SEC + hz - 1) / hz;
    return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}
