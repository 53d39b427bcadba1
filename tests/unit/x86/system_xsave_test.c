/* FXSAVE/FXRSTOR and the XSAVE family on the x87/SSE state, checked against
 * the SDM's rules and against the host CPU's own images of the same state
 * (SDM Vol. 1, 10.5 and chapter 13). */
#include <cpuid.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/util.h"
#include "system_fixture.h"
#include "x86/exec_sse_opnd.h"

#define AREA SYSFIX_DATA          /* 64-byte aligned */
#define AREA2 (SYSFIX_DATA + 0x1000)

/* 64-bit forms with [disp32] addressing (SIB, no base, no index). */
#define ABS(a) 0x25, (uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16), (uint8_t)((a) >> 24)
static const uint8_t FXSAVE64[] = { 0x48, 0x0f, 0xae, 0x04, ABS(AREA) };
static const uint8_t FXRSTOR64[] = { 0x48, 0x0f, 0xae, 0x0c, ABS(AREA) };
static const uint8_t FXSAVE64_2[] = { 0x48, 0x0f, 0xae, 0x04, ABS(AREA2) };
static const uint8_t XSAVE64[] = { 0x48, 0x0f, 0xae, 0x24, ABS(AREA) };
static const uint8_t XRSTOR64[] = { 0x48, 0x0f, 0xae, 0x2c, ABS(AREA) };
static const uint8_t XSAVEC64[] = { 0x48, 0x0f, 0xc7, 0x24, ABS(AREA) };
static const uint8_t XSETBV[] = { 0x0f, 0x01, 0xd1 };
static const uint8_t XGETBV[] = { 0x0f, 0x01, 0xd0 };

/* Fills the emulated x87/SSE state with recognisable values. */
static void pattern_state(struct x86_fxstate *fx, uint8_t seed)
{
    fx->fcw = 0x027f;
    fx->fsw = 0x3000;       /* TOP = 6 */
    fx->ftw = 0xc0;         /* registers 6 and 7 valid */
    fx->fop = 0;
    fx->fip = fx->fdp = 0;
    fx->mxcsr = 0x1fa1;
    memset(fx->st, 0, sizeof(fx->st));
    for (unsigned i = 0; i < 2; i++) { /* ST0 = 1.0, ST1 = 2.0 (80-bit) */
        put_le64(fx->st[i], 0x8000000000000000ull);
        put_le16(fx->st[i] + 8, (uint16_t)(0x3fff + i));
    }
    for (unsigned i = 0; i < 16; i++)
        for (unsigned j = 0; j < 16; j++)
            fx->xmm[i][j] = (uint8_t)(seed + 16 * i + j);
}

static void load_area(struct sysfix *f, uint64_t pa, const void *img, unsigned len)
{
    memcpy(f->mem + pa, img, len);
}

/* ---- FXSAVE / FXRSTOR ------------------------------------------------------------- */

static void test_fxsave_fxrstor_round_trip(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_fxstate *fx = &f.cpu.s.fx;
    pattern_state(fx, 0x10);
    fx->fip = 0x1122334455667788ull;
    memset(f.mem + AREA, 0xaa, 512);
    assert_int_equal(sysfix_run(&f, FXSAVE64, sizeof(FXSAVE64)), X86_EXEC_OK);
    const uint8_t *img = f.mem + AREA;
    assert_int_equal(get_le16(img), 0x027f);
    assert_int_equal(img[4], 0xc0);
    assert_int_equal(get_le64(img + 8), 0x1122334455667788ull);
    assert_int_equal(get_le32(img + 24), 0x1fa1);
    assert_int_equal(get_le32(img + 28), X86_MXCSR_VALID);
    assert_memory_equal(img + 160, fx->xmm, 256);
    assert_int_equal(img[464], 0xaa); /* bytes 464-511 belong to software */
    assert_int_equal(img[511], 0xaa);

    struct x86_fxstate saved = *fx;
    memset(fx, 0, sizeof(*fx));
    assert_int_equal(sysfix_run(&f, FXRSTOR64, sizeof(FXRSTOR64)), X86_EXEC_OK);
    assert_int_equal(fx->fcw, saved.fcw);
    assert_int_equal(fx->fip, saved.fip);
    assert_int_equal(fx->mxcsr, saved.mxcsr);
    assert_memory_equal(fx->st, saved.st, sizeof(saved.st));
    assert_memory_equal(fx->xmm, saved.xmm, sizeof(saved.xmm));

    /* Faults: reserved MXCSR bits, misalignment, CR0.TS, CR0.EM. */
    put_le32(f.mem + AREA + 24, 0x10000);
    sysfix_expect_exc(&f, sysfix_run(&f, FXRSTOR64, sizeof(FXRSTOR64)), X86_EXC_GP, 0);
    assert_int_equal(fx->mxcsr, saved.mxcsr);
    static const uint8_t fxsave_odd[] = { 0x48, 0x0f, 0xae, 0x04, ABS(AREA + 8) };
    sysfix_expect_exc(&f, sysfix_run(&f, fxsave_odd, sizeof(fxsave_odd)), X86_EXC_GP, 0);
    f.cpu.s.cr0 |= X86_CR0_TS;
    sysfix_expect_exc(&f, sysfix_run(&f, FXSAVE64, sizeof(FXSAVE64)), X86_EXC_NM, 0);
    f.cpu.s.cr0 |= X86_CR0_EM;
    sysfix_expect_exc(&f, sysfix_run(&f, FXSAVE64, sizeof(FXSAVE64)), X86_EXC_UD, 0);
    sysfix_fini(&f);
}

static void test_fxsave_legacy_layout(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_fxstate *fx = &f.cpu.s.fx;
    pattern_state(fx, 0x40);
    fx->fip = 0xabcd000012345678ull; /* FCS in bits 47:32 for the 32-bit form */
    memset(f.mem + AREA, 0xee, 512);
    static const uint8_t fxsave32[] = { 0x0f, 0xae, 0x05, 0x00, 0x00, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, fxsave32, sizeof(fxsave32)), X86_EXEC_OK);
    const uint8_t *img = f.mem + AREA;
    assert_int_equal(get_le32(img + 8), 0x12345678);
    assert_int_equal(get_le16(img + 14), 0);      /* reserved */
    assert_memory_equal(img + 160, fx->xmm, 128); /* XMM0-7 only */
    assert_int_equal(img[288], 0xee);
    assert_int_equal(img[415], 0xee);
    sysfix_fini(&f);
}

/* The host's FXSAVE64 and FXRSTOR64 (the test runs in 64-bit user mode). */
static void host_fxsave(void *buf)
{
    __asm__ volatile("fxsave64 (%0)" : : "r"(buf) : "memory");
}

static void host_fxrstor_fxsave(const void *in, void *out, const void *restore)
{
    __asm__ volatile("fxrstor64 (%0)\n\tfxsave64 (%1)\n\tfxrstor64 (%2)"
                     : : "r"(in), "r"(out), "r"(restore)
                     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                       "xmm15");
}

/* Compares the fields both sides define: FCW FSW FTW, MXCSR, ST0-7 (the
 * 80-bit values), XMM0-15. FOP/FIP/FDP are left out: AMD processors save
 * them only while an x87 exception is pending. */
static void compare_images(const uint8_t *a, const uint8_t *b)
{
    assert_memory_equal(a, b, 5);
    assert_memory_equal(a + 24, b + 24, 4);
    for (unsigned i = 0; i < 8; i++)
        assert_memory_equal(a + 32 + 16 * i, b + 32 + 16 * i, 10);
    assert_memory_equal(a + 160, b + 160, 256);
}

static void test_fxsave_matches_host(void **state)
{
    (void)state;
    static uint8_t orig[512] __attribute__((aligned(64)));
    static uint8_t in[512] __attribute__((aligned(64))), out[512] __attribute__((aligned(64)));
    host_fxsave(orig);

    /* Emulated FXSAVE64 -> host FXRSTOR64 + FXSAVE64: the host must read
     * our image as the state we saved. */
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    pattern_state(&f.cpu.s.fx, 0x21);
    assert_int_equal(sysfix_run(&f, FXSAVE64, sizeof(FXSAVE64)), X86_EXEC_OK);
    memcpy(in, f.mem + AREA, 512);
    put_le32(in + 28, 0); /* MXCSR_MASK is ignored by FXRSTOR */
    host_fxrstor_fxsave(in, out, orig);
    compare_images(in, out);

    /* Host image -> emulated FXRSTOR64 + FXSAVE64: the same fields back. */
    memset(&f.cpu.s.fx, 0, sizeof(f.cpu.s.fx));
    load_area(&f, AREA, out, 512);
    assert_int_equal(sysfix_run(&f, FXRSTOR64, sizeof(FXRSTOR64)), X86_EXEC_OK);
    assert_int_equal(sysfix_run(&f, FXSAVE64_2, sizeof(FXSAVE64_2)), X86_EXEC_OK);
    compare_images(out, f.mem + AREA2);
    /* The host's MXCSR_MASK covers ours (DAZ and the defined bits). */
    assert_int_equal(get_le32(out + 28) & X86_MXCSR_VALID, X86_MXCSR_VALID);
    sysfix_fini(&f);
}

/* ---- XSAVE / XRSTOR ------------------------------------------------------------------ */

/* CPL 0 64-bit mode with CR4.OSXSAVE and XCR0 = x87 | SSE set by XSETBV. */
static void xsave_setup(struct sysfix *f)
{
    sysfix_long64(f, 0);
    f->cpu.s.cr4 |= X86_CR4_OSXSAVE;
    f->cpu.s.gpr[X86_RCX] = 0;
    f->cpu.s.gpr[X86_RAX] = 3;
    f->cpu.s.gpr[X86_RDX] = 0;
    assert_int_equal(sysfix_run(f, XSETBV, 3), X86_EXEC_OK);
    assert_int_equal(f->cpu.s.xcr0, 3);
    f->cpu.s.gpr[X86_RAX] = ~0ull; /* instruction mask: everything */
    f->cpu.s.gpr[X86_RDX] = ~0ull;
}

static void test_xsetbv_xgetbv_rules(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    sysfix_expect_exc(&f, sysfix_run(&f, XGETBV, 3), X86_EXC_UD, 0); /* OSXSAVE = 0 */
    s->cr4 |= X86_CR4_OSXSAVE;
    s->gpr[X86_RCX] = 0;
    s->gpr[X86_RDX] = 0;
    s->gpr[X86_RAX] = 2; /* x87 cannot be disabled */
    sysfix_expect_exc(&f, sysfix_run(&f, XSETBV, 3), X86_EXC_GP, 0);
    s->gpr[X86_RAX] = 7; /* AVX is not supported */
    sysfix_expect_exc(&f, sysfix_run(&f, XSETBV, 3), X86_EXC_GP, 0);
    s->gpr[X86_RAX] = 3;
    s->gpr[X86_RCX] = 1; /* only XCR0 */
    sysfix_expect_exc(&f, sysfix_run(&f, XSETBV, 3), X86_EXC_GP, 0);
    s->gpr[X86_RCX] = 0;
    assert_int_equal(sysfix_run(&f, XSETBV, 3), X86_EXEC_OK);
    s->gpr[X86_RAX] = s->gpr[X86_RDX] = ~0ull;
    assert_int_equal(sysfix_run(&f, XGETBV, 3), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], 3);
    assert_int_equal(s->gpr[X86_RDX], 0);
    s->gpr[X86_RCX] = 2;
    sysfix_expect_exc(&f, sysfix_run(&f, XGETBV, 3), X86_EXC_GP, 0);
    sysfix_long64(&f, 3);
    s->cr4 |= X86_CR4_OSXSAVE;
    s->gpr[X86_RCX] = 0;
    sysfix_expect_exc(&f, sysfix_run(&f, XSETBV, 3), X86_EXC_GP, 0);
    assert_int_equal(sysfix_run(&f, XGETBV, 3), X86_EXEC_OK); /* any CPL */

    /* Against the host: XGETBV(0) returns XCR0 as loaded. */
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27))) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        s->xcr0 = ((uint64_t)hi << 32) | lo;
        s->gpr[X86_RCX] = 0;
        assert_int_equal(sysfix_run(&f, XGETBV, 3), X86_EXEC_OK);
        assert_int_equal(s->gpr[X86_RAX], lo);
        assert_int_equal(s->gpr[X86_RDX], hi);
    }
    sysfix_fini(&f);
}

static void test_xsave_xrstor_round_trip(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    xsave_setup(&f);
    struct x86_fxstate *fx = &f.cpu.s.fx;
    pattern_state(fx, 0x33);
    memset(f.mem + AREA, 0, 576);
    put_le64(f.mem + AREA + 512, 1ull << 5); /* a stale bit outside RFBM stays */
    assert_int_equal(sysfix_run(&f, XSAVE64, sizeof(XSAVE64)), X86_EXEC_OK);
    const uint8_t *img = f.mem + AREA;
    assert_int_equal(get_le64(img + 512), 3 | (1ull << 5)); /* XSTATE_BV */
    assert_int_equal(get_le64(img + 520), 0);               /* XCOMP_BV untouched */
    assert_int_equal(get_le16(img), 0x027f);
    assert_memory_equal(img + 160, fx->xmm, 256);

    struct x86_fxstate saved = *fx;
    memset(fx->xmm, 0x5a, sizeof(fx->xmm));
    fx->fcw = 0x7f;
    fx->mxcsr = 0x1f80;
    put_le64(f.mem + AREA + 512, 3);
    assert_int_equal(sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXEC_OK);
    assert_memory_equal(fx->xmm, saved.xmm, sizeof(saved.xmm));
    assert_int_equal(fx->fcw, saved.fcw);
    assert_int_equal(fx->mxcsr, saved.mxcsr);

    /* XSTATE_BV[0] = 0: x87 goes to its initial state; only the SSE part
     * is requested (EAX = 2): x87 untouched. */
    put_le64(f.mem + AREA + 512, 2);
    assert_int_equal(sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXEC_OK);
    assert_int_equal(fx->fcw, 0x037f);
    assert_int_equal(fx->ftw, 0);
    fx->fcw = 0x0123;
    f.cpu.s.gpr[X86_RAX] = 2;
    put_le64(f.mem + AREA + 512, 0); /* SSE init: XMM zero, MXCSR still loaded */
    assert_int_equal(sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXEC_OK);
    assert_int_equal(fx->fcw, 0x0123);
    static const uint8_t zero[256];
    assert_memory_equal(fx->xmm, zero, 256);
    assert_int_equal(fx->mxcsr, saved.mxcsr);
    f.cpu.s.gpr[X86_RAX] = ~0ull;

    /* Header checks: #GP and nothing changed. */
    put_le64(f.mem + AREA + 512, 3 | (1ull << 2)); /* a bit outside XCR0 */
    sysfix_expect_exc(&f, sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXC_GP, 0);
    put_le64(f.mem + AREA + 512, 3);
    put_le64(f.mem + AREA + 528, 1); /* bytes 23:16 must be 0 in the standard form */
    sysfix_expect_exc(&f, sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXC_GP, 0);
    put_le64(f.mem + AREA + 528, 0);
    put_le32(f.mem + AREA + 24, 0x40000); /* MXCSR reserved bit */
    sysfix_expect_exc(&f, sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXC_GP, 0);
    assert_memory_equal(fx->xmm, zero, 256);
    put_le32(f.mem + AREA + 24, 0x1f80);
    /* Misaligned area, CR4.OSXSAVE clear, CR0.TS set. */
    static const uint8_t xsave_odd[] = { 0x48, 0x0f, 0xae, 0x24, ABS(AREA + 16) };
    sysfix_expect_exc(&f, sysfix_run(&f, xsave_odd, sizeof(xsave_odd)), X86_EXC_GP, 0);
    f.cpu.s.cr0 |= X86_CR0_TS;
    sysfix_expect_exc(&f, sysfix_run(&f, XSAVE64, sizeof(XSAVE64)), X86_EXC_NM, 0);
    f.cpu.s.cr4 &= ~X86_CR4_OSXSAVE;
    sysfix_expect_exc(&f, sysfix_run(&f, XSAVE64, sizeof(XSAVE64)), X86_EXC_UD, 0);
    /* An XCR0 with AVX (set outside the emulator): not supported. */
    f.cpu.s.cr4 |= X86_CR4_OSXSAVE;
    f.cpu.s.cr0 &= ~X86_CR0_TS;
    f.cpu.s.xcr0 = 7;
    assert_int_equal(sysfix_run(&f, XSAVE64, sizeof(XSAVE64)), X86_EXEC_UNSUPPORTED);
    sysfix_fini(&f);
}

static void test_xsavec_compacted(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    xsave_setup(&f);
    struct x86_fxstate *fx = &f.cpu.s.fx;
    pattern_state(fx, 0x77);
    memset(f.mem + AREA, 0xff, 576);
    f.cpu.s.gpr[X86_RAX] = 2; /* SSE only */
    assert_int_equal(sysfix_run(&f, XSAVEC64, sizeof(XSAVEC64)), X86_EXEC_OK);
    const uint8_t *img = f.mem + AREA;
    assert_int_equal(get_le64(img + 512), 2);
    assert_int_equal(get_le64(img + 520), 0x8000000000000002ull);
    assert_int_equal(get_le16(img), 0xffff); /* x87 not saved */
    assert_memory_equal(img + 160, fx->xmm, 256);

    /* The compacted XRSTOR needs bytes 63:16 of the header zero. */
    f.cpu.s.gpr[X86_RAX] = 3;
    sysfix_expect_exc(&f, sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXC_GP, 0);
    memset(f.mem + AREA + 528, 0, 48);
    /* x87 requested but not in XCOMP_BV -> initialised; SSE loaded. */
    memset(fx, 0, sizeof(*fx));
    assert_int_equal(sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXEC_OK);
    assert_int_equal(fx->fcw, 0x037f);
    assert_int_equal(fx->mxcsr, 0x1fa1);
    assert_memory_equal(fx->xmm, img + 160, 256);
    /* Compacted form with XSTATE_BV[1] = 0: MXCSR is initialised too. */
    put_le64(f.mem + AREA + 512, 0);
    assert_int_equal(sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXEC_OK);
    assert_int_equal(fx->mxcsr, 0x1f80);
    /* XSTATE_BV beyond XCOMP_BV: #GP. */
    put_le64(f.mem + AREA + 512, 1);
    sysfix_expect_exc(&f, sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

/* The host's XSAVE/XRSTOR/XSAVEC on the x87 and SSE components. */
static bool host_xsave_ok(bool *xsavec)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
        return false;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 3) != 3)
        return false;
    *xsavec = __get_cpuid_count(0xd, 1, &a, &b, &c, &d) && (a & 2);
    return true;
}

#define XMM_CLOBBERS                                                                      \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",        \
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static void host_xrstor_then(const void *in, void *out, void *outc, bool xsavec,
                             const void *restore)
{
    __asm__ volatile("xrstor64 (%0)\n\txsave64 (%1)" : : "r"(in), "r"(out), "a"(3), "d"(0)
                     : "memory", XMM_CLOBBERS);
    if (xsavec)
        __asm__ volatile("xrstor64 (%0)\n\txsavec64 (%1)" : : "r"(in), "r"(outc), "a"(3), "d"(0)
                         : "memory", XMM_CLOBBERS);
    __asm__ volatile("fxrstor64 (%0)" : : "r"(restore) : "memory", XMM_CLOBBERS);
}

static void test_xsave_matches_host(void **state)
{
    (void)state;
    bool xsavec = false;
    if (!host_xsave_ok(&xsavec))
        skip();
    static uint8_t orig[512] __attribute__((aligned(64)));
    static uint8_t in[4096] __attribute__((aligned(64))), out[4096] __attribute__((aligned(64)));
    static uint8_t outc[4096] __attribute__((aligned(64)));
    host_fxsave(orig);

    struct sysfix f;
    sysfix_init(&f);
    xsave_setup(&f);
    pattern_state(&f.cpu.s.fx, 0x5c);
    memset(f.mem + AREA, 0, 576);
    assert_int_equal(sysfix_run(&f, XSAVE64, sizeof(XSAVE64)), X86_EXEC_OK);
    memset(in, 0, sizeof(in));
    memcpy(in, f.mem + AREA, 576);
    memset(out, 0, sizeof(out));
    memset(outc, 0, sizeof(outc));
    /* The host accepts our image (a bad header would be #GP: SIGSEGV) and
     * saves the same state back. */
    host_xrstor_then(in, out, outc, xsavec, orig);
    compare_images(in, out);
    assert_int_equal(get_le64(out + 512) & ~3ull, 0);
    if (xsavec) {
        /* Our XSAVEC header matches the host's for the same request. */
        f.cpu.s.gpr[X86_RAX] = 3;
        f.cpu.s.gpr[X86_RDX] = 0;
        assert_int_equal(sysfix_run(&f, XSAVEC64, sizeof(XSAVEC64)), X86_EXEC_OK);
        assert_int_equal(get_le64(f.mem + AREA + 520), get_le64(outc + 520));
        compare_images(f.mem + AREA, outc);
    }
    /* And we restore the host's image to the same state. */
    memset(&f.cpu.s.fx, 0, sizeof(f.cpu.s.fx));
    load_area(&f, AREA, out, 576);
    f.cpu.s.gpr[X86_RAX] = 3;
    assert_int_equal(sysfix_run(&f, XRSTOR64, sizeof(XRSTOR64)), X86_EXEC_OK);
    assert_int_equal(sysfix_run(&f, FXSAVE64_2, sizeof(FXSAVE64_2)), X86_EXEC_OK);
    compare_images(in, f.mem + AREA2);
    sysfix_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fxsave_fxrstor_round_trip),
        cmocka_unit_test(test_fxsave_legacy_layout),
        cmocka_unit_test(test_fxsave_matches_host),
        cmocka_unit_test(test_xsetbv_xgetbv_rules),
        cmocka_unit_test(test_xsave_xrstor_round_trip),
        cmocka_unit_test(test_xsavec_compacted),
        cmocka_unit_test(test_xsave_matches_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
