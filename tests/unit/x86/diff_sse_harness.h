/* Differential testing of the x87, MMX and SSE families against the host
 * CPU: the method of diff_harness.h, extended to the floating-point and
 * vector state.
 *
 * It reuses diff_harness's fixture (struct diff_env: code page, control
 * page, data arena, PRNG), its instruction encoder (diff_encode) and its
 * random values, and adds what those families need:
 *  - a native trampoline that loads and stores the whole FXSAVE image
 *    (x87 stack, tags, FCW/FSW, MXCSR, XMM0-15) around the instruction,
 *    besides the GPRs and RFLAGS;
 *  - a fault path that reads the state at the fault from the signal frame,
 *    so #XM is checked with the MXCSR flags it leaves, and #MF/#GP/#UD
 *    with the trap number;
 *  - random states with special floating-point values in typed lanes and
 *    memory (NaNs, infinities, denormals, zeros, huge/tiny numbers,
 *    halfway cases), random MXCSR rounding/DAZ/FTZ/masks/flags and random
 *    x87 stacks, control and status words;
 *  - a comparison of the FXSAVE image (all but FOP/FIP/FDP, which vendors
 *    record differently) next to GPRs, RFLAGS, RIP and memory.
 * Only 64-bit mode is exercised: the families behave the same in the
 * other modes, whose addressing diff_alu covers. */
#ifndef VMON_TESTS_X86_DIFF_SSE_HARNESS_H
#define VMON_TESTS_X86_DIFF_SSE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "diff_harness.h"

/* How to fill XMM lanes and the memory operand. */
enum diff_sse_elem {
    DSSE_BITS,  /* integer-biased random bits */
    DSSE_F32,   /* single-precision values */
    DSSE_F64,   /* double-precision values */
    DSSE_F80,   /* x87 extended values (memory only) */
    DSSE_I16,   /* integers of 2, 4, 8 bytes, biased to edges (memory) */
    DSSE_I32,
    DSSE_I64,
    DSSE_BCD,   /* packed BCD, mostly valid (memory) */
    DSSE_MXCSR, /* MXCSR values, now and then with reserved bits (memory) */
    DSSE_STR,   /* bytes of a small alphabet with zeros (string compares) */
};

struct diff_sse_form {
    struct diff_form f;
    uint8_t xmm_elem;   /* enum diff_sse_elem for XMM0-15 */
    uint8_t mem_elem;   /* enum diff_sse_elem for the memory operand */
    uint8_t mem_len;    /* bytes of typed data there (0: the random bytes) */
    uint8_t mem_align;  /* alignment given to the operand in most states */
    bool x87;           /* random x87 stack (else the FNINIT state) */
    bool no_unmask;     /* keep every exception masked (MXCSR and FCW) */
    uint32_t mem_ignore; /* bytes 0-31 of the operand not compared (FIP...) */
};

struct diff_sse_env {
    struct diff_env d;
    unsigned states, faults, mismatches, reported;
};

int diff_sse_env_init(struct diff_sse_env *env, uint64_t seed);
void diff_sse_env_fini(struct diff_sse_env *env);

/* Encodes e into form (like diff_encode), defaults for the rest: XMM
 * lanes by elem, memory typed by mem_elem over mem_len bytes aligned to
 * mem_align. RIP-relative operands are re-aimed at an aligned target. */
void diff_sse_encode(struct diff_sse_env *env, struct diff_sse_form *form, const struct diff_enc *e,
                     enum diff_sse_elem elem, enum diff_sse_elem mem_elem, unsigned mem_len,
                     unsigned mem_align);

/* Runs nstates random states of one form; returns the mismatches. */
unsigned diff_sse_run_form(struct diff_sse_env *env, const struct diff_sse_form *form,
                           unsigned nstates);

/* Runs all forms (nstates each, or DIFF_STATES from the environment); fails
 * the calling cmocka test on a mismatch and prints a summary line. The seed
 * comes from DIFF_SEED when set (diff_env_init). */
void diff_sse_run_all(struct diff_sse_env *env, const char *family, struct diff_sse_form *forms,
                      unsigned n, unsigned nstates);

/* Random floating-point values (bit patterns) with special cases. */
uint32_t diff_sse_rand_f32(struct diff_env *env);
uint64_t diff_sse_rand_f64(struct diff_env *env);
void diff_sse_rand_f80(struct diff_env *env, uint8_t out[10]);

#endif
