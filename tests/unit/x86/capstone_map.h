/* Test oracle: compares x86_decode() with capstone 4.0.2 on one encoding.
 *
 * Both results are turned into a common form (register class and number,
 * memory base/index/scale/disp, immediate value, operand size) and compared.
 * Where capstone is known to differ from the SDM, or decodes an ISA
 * extension the decoder deliberately leaves out, the difference is counted
 * under a named exception (see the table in capstone_map.c) instead of
 * being reported as a disagreement. Test code only: never linked into vmon. */
#ifndef VMON_TESTS_X86_CAPSTONE_MAP_H
#define VMON_TESTS_X86_CAPSTONE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "x86/insn.h"

enum cmap_verdict {
    CMAP_AGREE,        /* both decoded the same instruction */
    CMAP_BOTH_INVALID, /* neither decoded it */
    CMAP_EXCEPTION,    /* they differ in a documented way */
    CMAP_DISAGREE,     /* a real disagreement (details printed) */
};

struct cmap;

/* Returns NULL if capstone cannot be opened. */
struct cmap *cmap_new(void);
void cmap_free(struct cmap *m);

/* Compares the decoding of bytes[0..n) at address addr. *len gets the
 * length to advance by in a linear sweep: the agreed length, or the one
 * decoder that succeeded, or 1 when neither did. Disagreements are printed
 * to stdout (the first few of each kind). */
enum cmap_verdict cmap_check(struct cmap *m, const uint8_t *bytes, size_t n, enum x86_mode mode,
                             uint64_t addr, unsigned *len);

/* Totals since cmap_new. */
uint64_t cmap_checked(const struct cmap *m);     /* encodings both decoded and compared */
uint64_t cmap_disagreements(const struct cmap *m);

/* Prints the number of cases per documented exception. */
void cmap_print_exceptions(const struct cmap *m, FILE *f);

#endif
