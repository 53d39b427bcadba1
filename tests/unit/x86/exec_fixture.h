/* A small machine for the executor's unit tests: flat guest memory at
 * linear address 0 (identity "paging"), an optional unmapped hole that
 * raises #PF, port I/O recorded in the fixture, and helpers to put the CPU
 * in real, 32-bit protected or 64-bit mode. */
#ifndef VMON_TESTS_X86_EXEC_FIXTURE_H
#define VMON_TESTS_X86_EXEC_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/emu.h"

#define FX_MEM_LEN (1u << 20)

struct fx {
    struct x86_cpu cpu;
    uint8_t *mem;            /* FX_MEM_LEN bytes at linear 0 */
    uint64_t hole_lo, hole_hi; /* [lo, hi) raises #PF (empty when equal) */
    bool fill_tlb;           /* callbacks fill the software TLB */
    unsigned mem_calls;      /* callback invocations (reads + writes) */
    /* port I/O */
    uint32_t in_value;
    uint16_t last_port;
    uint32_t last_out;
    unsigned ins, outs;
    bool io_allowed;         /* the io_bitmap callback's answer */
    /* host services */
    uint64_t tsc;
    bool rand_ok;
};

/* Allocates memory and resets the CPU to the given mode at CPL 0:
 * X86_MODE_REAL, X86_MODE_PROT32 (flat 4 GiB segments) or X86_MODE_LONG64. */
void fx_init(struct fx *f, enum x86_mode mode);
void fx_fini(struct fx *f);

/* Copies code to linear address at, points RIP there (CS base 0) and runs
 * one instruction through x86_emulate_one(). */
int fx_run(struct fx *f, uint64_t at, const void *code, size_t len);

/* Sets CPL (SS and CS DPL and RPL) in protected/long mode. */
void fx_set_cpl(struct fx *f, unsigned cpl);

#endif
