/* The arithmetic of SHL/SHR/SAR and ROL/ROR on a value already read, shared
 * by the general handlers (exec_shift.c) and the prepared register forms
 * (exec_fast.c). Both sit on the software CPU's hot path: everything here
 * has no side effects (the callers read and write the operand and record
 * the flags) and is always inlined, so that the prepared functions compile
 * as they did with the arithmetic written out in each (an ordinary inline
 * shifts GCC's inlining budget for exec_fast.c and changes the code of
 * unrelated handlers there).
 *
 * SDM Vol. 2, "SAL/SAR/SHL/SHR" and "RCL/RCR/ROL/ROR": the count is
 * already masked (5 bits, 6 for 64-bit operands). OF is defined for 1-bit
 * counts only and CF of SHL/SHR for counts below the width; the values
 * here are what the 1-bit formulas give (as x86/exec_shift.h says). */
#ifndef VMON_X86_SHIFT_CALC_H
#define VMON_X86_SHIFT_CALC_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/flags.h"
#include "x86/insn.h"

/* The RFLAGS bits for a CF and an OF value. */
static inline uint32_t x86_shift_cf_of(bool cf, bool of)
{
    return (cf ? X86_FLAG_CF : 0) | (of ? X86_FLAG_OF : 0);
}

/* SHL, SHR or SAR (op; anything else is SAR) of the size-byte value a by
 * n (1..63). Returns the result; *cf_of gets its CF and OF bits. */
static inline __attribute__((always_inline)) uint64_t
x86_shift_calc(enum x86_op op, unsigned size, uint64_t a, unsigned n, uint32_t *cf_of)
{
    unsigned bits = 8 * size;
    uint64_t mask = x86_size_mask(size), sign = x86_size_sign(size), r;
    bool cf, of;
    switch (op) {
    case X86_OP_SHL:
        r = (a << n) & mask;
        cf = n <= bits && ((a >> (bits - n)) & 1); /* bits - n <= 63 as n >= 1 */
        of = !(r & sign) != !cf;
        break;
    case X86_OP_SHR:
        r = a >> n;
        cf = (a >> (n - 1)) & 1;
        of = a & sign;
        break;
    default: /* SAR */
        r = (uint64_t)(x86_sext(a, size) >> n) & mask;
        cf = (x86_sext(a, size) >> (n - 1)) & 1;
        of = false;
        break;
    }
    *cf_of = x86_shift_cf_of(cf, of);
    return r;
}

/* ROL (left) or ROR of the size-byte value a by n (any count; the
 * rotation is n modulo the width). */
static inline __attribute__((always_inline)) uint64_t
x86_rotate_calc(bool left, unsigned size, uint64_t a, unsigned n)
{
    unsigned bits = 8 * size, k = n % bits;
    if (!k)
        return a;
    uint64_t mask = x86_size_mask(size);
    return left ? ((a << k) | (a >> (bits - k))) & mask : ((a >> k) | (a << (bits - k))) & mask;
}

/* CF and OF after ROL (left) or ROR with result r and a non-zero count. */
static inline __attribute__((always_inline)) uint32_t
x86_rotate_cf_of(bool left, unsigned size, uint64_t r)
{
    uint64_t sign = x86_size_sign(size);
    bool cf = left ? r & 1 : r & sign;
    bool of = left ? !(r & sign) != !cf : !(r & sign) != !(r & (sign >> 1));
    return x86_shift_cf_of(cf, of);
}

#endif
