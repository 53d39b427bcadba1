/* The memory functions GCC may call even in freestanding code. */
#ifndef VMON_GUEST_RT_MEM_H
#define VMON_GUEST_RT_MEM_H

#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
