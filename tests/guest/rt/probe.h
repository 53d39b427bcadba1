/* Single memory accesses that are allowed to fault: arm trap_expect() with
 * the matching _resume label, and a fault there records and resumes. */
#ifndef VMON_GUEST_RT_PROBE_H
#define VMON_GUEST_RT_PROBE_H

#include <stdint.h>

#include "trap.h"

/* Reads the quadword at va (0 when the read faults). */
uint64_t probe_read(uint64_t va);
/* Writes v to the quadword at va. */
void probe_write(uint64_t va, uint64_t v);
/* Jumps to va; code there must not return (a fetch fault resumes here). */
void probe_jump(uint64_t va);

extern const char probe_read_fault[], probe_read_resume[];
extern const char probe_write_fault[], probe_write_resume[];
extern const char probe_jump_fault[], probe_jump_resume[];

/* The access with one fault expected; the record says what arrived. */
static inline struct trap_record probe_read_trap(uint64_t va)
{
    trap_expect(probe_read_resume);
    probe_read(va);
    return trap_result();
}

static inline struct trap_record probe_write_trap(uint64_t va, uint64_t v)
{
    trap_expect(probe_write_resume);
    probe_write(va, v);
    return trap_result();
}

static inline struct trap_record probe_jump_trap(uint64_t va)
{
    trap_expect(probe_jump_resume);
    probe_jump(va);
    return trap_result();
}

#endif
