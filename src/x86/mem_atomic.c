/* The 16-byte host compare-exchange (LOCK CMPXCHG16B on the host). */
#include "x86/mem_atomic.h"

/* vmon runs on x86-64 hosts that all have CMPXCHG16B; the target attribute
 * lets the compiler emit it inline without a global -mcx16. */
__attribute__((target("cx16"))) bool x86_atomic_cas16(void *p, uint64_t expected[2],
                                                       const uint64_t desired[2])
{
    unsigned __int128 exp = ((unsigned __int128)expected[1] << 64) | expected[0];
    unsigned __int128 des = ((unsigned __int128)desired[1] << 64) | desired[0];
    unsigned __int128 prev = __sync_val_compare_and_swap((unsigned __int128 *)p, exp, des);
    expected[0] = (uint64_t)prev;
    expected[1] = (uint64_t)(prev >> 64);
    return prev == exp;
}
