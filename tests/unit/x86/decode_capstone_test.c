/* x86_decode() against capstone on a generated corpus: every opcode of
 * every map, with the prefix combinations that change decoding, a spread of
 * ModRM bytes and random SIB/displacement/immediate bytes, in 64-, 32- and
 * 16-bit modes; plus an exhaustive ModRM x SIB sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "capstone_map.h"
#include "x86/insn.h"

/* Deterministic PRNG (xorshift64*) so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

struct pfxset {
    uint8_t n;
    uint8_t b[4];
};

/* Legacy prefix combinations that matter (any mode). */
static const struct pfxset pfx_legacy[] = {
    { 0, { 0 } },
    { 1, { 0x66 } }, { 1, { 0x67 } }, { 1, { 0xf2 } }, { 1, { 0xf3 } }, { 1, { 0xf0 } },
    { 1, { 0x2e } }, { 1, { 0x36 } }, { 1, { 0x64 } }, { 1, { 0x65 } },
    { 2, { 0x66, 0xf3 } }, { 2, { 0x66, 0xf2 } }, { 2, { 0xf3, 0xf2 } },
    { 2, { 0x66, 0x67 } }, { 2, { 0xf0, 0x66 } }, { 2, { 0x26, 0x65 } },
    { 3, { 0x66, 0x66, 0x2e } },
};

/* REX combinations (64-bit mode only). */
static const struct pfxset pfx_rex[] = {
    { 1, { 0x48 } }, { 1, { 0x41 } }, { 1, { 0x42 } }, { 1, { 0x44 } }, { 1, { 0x4f } },
    { 1, { 0x40 } }, { 2, { 0x66, 0x48 } }, { 2, { 0xf3, 0x48 } }, { 2, { 0xf2, 0x4c } },
    { 2, { 0x66, 0x41 } }, { 2, { 0x67, 0x43 } }, { 2, { 0x48, 0x66 } }, /* REX then 66: ignored */
    { 3, { 0x66, 0xf2, 0x49 } }, { 2, { 0x65, 0x4a } }, { 2, { 0xf0, 0x48 } },
};

/* ModRM values tried with each prefix set: every mod and reg with rm = 0
 * (register / [rAX]), 4 (SIB), 5 (disp32 / RIP / [rBP]) and one more. */
static unsigned modrm_sample(unsigned i)
{
    static const uint8_t rms[4] = { 0, 4, 5, 1 };
    unsigned mod = i & 3, reg = (i >> 2) & 7, rm = rms[(i >> 5) & 3];
    return (mod << 6) | (reg << 3) | rm;
}

struct corpus {
    struct cmap *m;
    uint64_t rng;
    uint64_t encodings;
};

static void check_one(struct corpus *c, const struct pfxset *p, unsigned map, unsigned op,
                      unsigned modrm, enum x86_mode mode)
{
    uint8_t buf[24];
    unsigned n = 0, len;
    for (unsigned i = 0; i < p->n; i++)
        buf[n++] = p->b[i];
    if (map)
        buf[n++] = 0x0f;
    if (map == 2)
        buf[n++] = 0x38;
    if (map == 3)
        buf[n++] = 0x3a;
    buf[n++] = (uint8_t)op;
    buf[n++] = (uint8_t)modrm;
    uint64_t r = rng_next(&c->rng);
    for (unsigned i = 0; i < 8; i++)
        buf[n++] = (uint8_t)(r >> (8 * i));
    r = rng_next(&c->rng);
    for (unsigned i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(r >> (8 * i));
    cmap_check(c->m, buf, n, mode, mode == X86_MODE_PROT16 ? 0x1000 : 0x401000, &len);
    c->encodings++;
}

static bool is_prefix_byte(unsigned b, enum x86_mode mode)
{
    switch (b) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3: case 0x0f:
        return true;
    default:
        return mode == X86_MODE_LONG64 && (b & 0xf0) == 0x40;
    }
}

static void run_corpus(enum x86_mode mode, const char *name)
{
    struct corpus c = { .m = cmap_new(), .rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)mode };
    assert_non_null(c.m);
    const bool m64 = mode == X86_MODE_LONG64;

    for (unsigned map = 0; map < 4; map++) {
        for (unsigned op = 0; op < 256; op++) {
            if (map == 0 && is_prefix_byte(op, mode))
                continue;
            /* no prefix: every ModRM byte */
            for (unsigned modrm = 0; modrm < 256; modrm++)
                check_one(&c, &pfx_legacy[0], map, op, modrm, mode);
            for (unsigned p = 1; p < sizeof(pfx_legacy) / sizeof(pfx_legacy[0]); p++)
                for (unsigned i = 0; i < 128; i++)
                    check_one(&c, &pfx_legacy[p], map, op, modrm_sample(i), mode);
            if (!m64)
                continue;
            for (unsigned p = 0; p < sizeof(pfx_rex) / sizeof(pfx_rex[0]); p++)
                for (unsigned i = 0; i < 128; i++)
                    check_one(&c, &pfx_rex[p], map, op, modrm_sample(i), mode);
        }
    }
    printf("%s corpus: %llu encodings, %llu instructions checked, %llu disagreements\n", name,
           (unsigned long long)c.encodings, (unsigned long long)cmap_checked(c.m),
           (unsigned long long)cmap_disagreements(c.m));
    cmap_print_exceptions(c.m, stdout);
    uint64_t bad = cmap_disagreements(c.m);
    cmap_free(c.m);
    assert_int_equal(bad, 0);
}

static void test_corpus_64(void **state)
{
    (void)state;
    run_corpus(X86_MODE_LONG64, "64-bit");
}

static void test_corpus_32(void **state)
{
    (void)state;
    run_corpus(X86_MODE_PROT32, "32-bit");
}

static void test_corpus_16(void **state)
{
    (void)state;
    run_corpus(X86_MODE_PROT16, "16-bit");
}

/* Every ModRM x SIB pair, with and without 67, for a GPR-memory form (8B)
 * and an SSE form with an immediate (66 0F 3A 0F), in every mode. */
static void test_modrm_sib_sweep(void **state)
{
    (void)state;
    static const enum x86_mode modes[3] = { X86_MODE_LONG64, X86_MODE_PROT32, X86_MODE_PROT16 };
    static const struct pfxset forms[] = {
        { 1, { 0x8b } }, { 2, { 0x67, 0x8b } }, { 4, { 0x66, 0x0f, 0x3a, 0x0f } },
        { 3, { 0x67, 0x41, 0x8b } },
    };
    struct cmap *m = cmap_new();
    uint64_t rng = 1, n = 0;
    assert_non_null(m);
    for (unsigned mi = 0; mi < 3; mi++) {
        for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            if (forms[f].b[1] == 0x41 && modes[mi] != X86_MODE_LONG64)
                continue;
            for (unsigned modrm = 0; modrm < 256; modrm++) {
                for (unsigned sib = 0; sib < 256; sib++) {
                    uint8_t buf[16];
                    unsigned k = 0, len;
                    memcpy(buf, forms[f].b, forms[f].n);
                    k = forms[f].n;
                    buf[k++] = (uint8_t)modrm;
                    buf[k++] = (uint8_t)sib;
                    uint64_t r = rng_next(&rng);
                    memcpy(buf + k, &r, 8);
                    k += 8;
                    cmap_check(m, buf, k, modes[mi], 0x7000, &len);
                    n++;
                }
            }
        }
    }
    printf("ModRM/SIB sweep: %llu encodings, %llu instructions checked, %llu disagreements\n",
           (unsigned long long)n, (unsigned long long)cmap_checked(m),
           (unsigned long long)cmap_disagreements(m));
    cmap_print_exceptions(m, stdout);
    uint64_t bad = cmap_disagreements(m);
    cmap_free(m);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_64),
        cmocka_unit_test(test_corpus_32),
        cmocka_unit_test(test_corpus_16),
        cmocka_unit_test(test_modrm_sib_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
