/* libFuzzer harness for the x86 decoder: decodes the input in every mode
 * and checks the decoder's contract (x86/insn.h):
 *
 *  - the result is a length 1..15 or one of the three errors;
 *  - it never reads past the bytes it was given: the input is copied into
 *    a heap buffer of exactly `avail` bytes, so ASan catches over-reads;
 *  - NEED_MORE only when fewer than 15 bytes were given, and more bytes
 *    then never turn a decoded instruction into something else;
 *  - the result depends only on the instruction's own bytes: decoding again
 *    from exactly `len` bytes gives the identical record;
 *  - every field of the record is within its documented range.
 *
 * Build: CC=clang meson setup -Dfuzz=true -Db_sanitize=address,undefined. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x86/insn.h"

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond))                                                                             \
            __builtin_trap();                                                                    \
    } while (0)

static const enum x86_mode modes[] = {
    X86_MODE_REAL, X86_MODE_VM86, X86_MODE_PROT16, X86_MODE_PROT32,
    X86_MODE_COMPAT16, X86_MODE_COMPAT32, X86_MODE_LONG64,
};

static int decode_exact(const uint8_t *data, size_t avail, enum x86_mode mode,
                        struct x86_insn *in)
{
    uint8_t *buf = malloc(avail ? avail : 1);
    CHECK(buf);
    memcpy(buf, data, avail);
    /* fill the record with garbage: the decoder must set every field */
    memset(in, 0x5a, sizeof(*in));
    int r = x86_decode(buf, avail, mode, in);
    free(buf);
    return r;
}

static void check_record(const struct x86_insn *in, int r)
{
    CHECK(in->len == r);
    CHECK(in->op > X86_OP_INVALID && in->op < X86_OP_COUNT);
    CHECK(in->nopnd <= 4);
    CHECK(in->opsize == 1 || in->opsize == 2 || in->opsize == 4 || in->opsize == 8);
    CHECK(in->addrsize == 2 || in->addrsize == 4 || in->addrsize == 8);
    CHECK(in->map <= 3);
    CHECK(in->seg <= X86_GS);
    CHECK(in->base < 16 || in->base == X86_REG_RIP || in->base == X86_REG_NONE);
    CHECK(in->index < 16 || in->index == X86_REG_NONE);
    CHECK(in->scale <= 3);
    for (unsigned i = 0; i < in->nopnd; i++) {
        const struct x86_opnd *o = &in->opnd[i];
        CHECK(o->kind > X86_OPND_NONE && o->kind <= X86_OPND_FAR);
        switch (o->kind) {
        case X86_OPND_GPR:
            CHECK(o->reg < 16 || (o->reg >= X86_REG_AH && o->reg <= X86_REG_BH));
            CHECK(o->size == 1 || o->size == 2 || o->size == 4 || o->size == 8);
            break;
        case X86_OPND_XMM: CHECK(o->reg < 16); break;
        case X86_OPND_MMX:
        case X86_OPND_ST:
        case X86_OPND_DR: CHECK(o->reg < 8); break;
        case X86_OPND_SREG: CHECK(o->reg <= X86_GS); break;
        case X86_OPND_CR: CHECK(o->reg == 0 || (o->reg >= 2 && o->reg <= 4) || o->reg == 8); break;
        case X86_OPND_IMM:
        case X86_OPND_REL:
            CHECK(o->size == 1 || o->size == 2 || o->size == 4 || o->size == 8);
            break;
        default:
            break;
        }
    }
    for (unsigned i = in->nopnd; i < 4; i++)
        CHECK(in->opnd[i].kind == X86_OPND_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 32)
        size = 32;
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        struct x86_insn in, again;
        int r = decode_exact(data, size, modes[m], &in);
        CHECK(r == X86_DECODE_UD || r == X86_DECODE_TOO_LONG || r == X86_DECODE_NEED_MORE ||
              (r >= 1 && r <= 15));
        if (r == X86_DECODE_NEED_MORE)
            CHECK(size < 15);
        if (r <= 0)
            continue;
        CHECK((size_t)r <= size);
        check_record(&in, r);
        /* only the instruction's own bytes matter */
        CHECK(decode_exact(data, (size_t)r, modes[m], &again) == r);
        CHECK(memcmp(&in, &again, sizeof(in)) == 0);
        /* fewer bytes than the instruction: always NEED_MORE */
        for (int k = 0; k < r; k++)
            CHECK(decode_exact(data, (size_t)k, modes[m], &again) == X86_DECODE_NEED_MORE);
    }
    return 0;
}
