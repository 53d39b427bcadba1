/* Unit tests for what the differential tests cannot reach from user mode:
 * the availability rules (CR0.EM/TS/MP, CR4.OSFXSR/OSXMMEXCPT), #XM
 * versus #UD, #MF for pending x87 exceptions, LDMXCSR's #GP, the
 * RCPxx/RSQRTxx accuracy the SDM promises, and that emulating x87/SSE
 * leaves the host's own MXCSR and x87 control word alone. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "x86/emu.h"
#include "x86/insn.h"

/* ---- A flat 64-bit machine: code at CODE, data at DATA ------------------------- */

#define MEM_BASE 0x10000u
#define MEM_LEN 0x4000u
#define CODE (MEM_BASE)
#define DATA (MEM_BASE + 0x1000u)

struct machine {
    struct x86_cpu cpu;
    uint8_t mem[MEM_LEN];
};

static int m_read(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    struct machine *m = cpu->ctx;
    if (la < MEM_BASE || la + len > MEM_BASE + MEM_LEN)
        return x86_raise_pf(cpu, (acc & X86_ACC_WRITE) ? 2 : 0, la);
    memcpy(dst, m->mem + (la - MEM_BASE), len);
    return X86_EXEC_OK;
}

static int m_write(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len, unsigned acc)
{
    struct machine *m = cpu->ctx;
    (void)acc;
    if (la < MEM_BASE || la + len > MEM_BASE + MEM_LEN)
        return x86_raise_pf(cpu, 2, la);
    memcpy(m->mem + (la - MEM_BASE), src, len);
    return X86_EXEC_OK;
}

static const struct x86_emu_ops ops = { .mem_read = m_read, .mem_write = m_write };

static struct machine *machine_new(void)
{
    struct machine *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    x86_cpu_init(&m->cpu, &ops, m);
    struct x86_state s = m->cpu.s;
    s.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_MP;
    s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    s.efer = X86_EFER_LME | X86_EFER_LMA;
    for (unsigned i = 0; i < 6; i++)
        s.seg[i] = (struct x86_seg){ .limit = 0xffffffff, .attr = X86_SEG_P | X86_SEG_S | 0x3 };
    s.seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | 0xb | X86_SEG_L;
    x86_cpu_set_state(&m->cpu, &s);
    return m;
}

/* Runs the instruction bytes at CODE; returns the status, the vector in *vec. */
static int run(struct machine *m, const char *bytes, unsigned len, unsigned *vec)
{
    memcpy(m->mem, bytes, len);
    m->cpu.s.rip = CODE;
    int rc = x86_emulate_one(&m->cpu, NULL);
    *vec = rc == X86_EXEC_EXCEPTION ? m->cpu.exc.vector : 0xff;
    return rc;
}

#define RUN(m, bytes, vec) run(m, bytes, sizeof(bytes) - 1, vec)

/* ---- Availability rules ---------------------------------------------------------- */

static void test_sse_availability(void **state)
{
    (void)state;
    struct machine *m = machine_new();
    unsigned vec;
    static const char addps[] = "\x0f\x58\xc1"; /* addps xmm0, xmm1 */
    assert_int_equal(RUN(m, addps, &vec), X86_EXEC_OK);

    m->cpu.s.cr0 |= X86_CR0_TS;
    assert_int_equal(RUN(m, addps, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_NM);
    m->cpu.s.cr0 |= X86_CR0_EM; /* EM wins over TS for SSE: #UD */
    assert_int_equal(RUN(m, addps, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_UD);
    m->cpu.s.cr0 &= ~(X86_CR0_EM | X86_CR0_TS);
    m->cpu.s.cr4 &= ~X86_CR4_OSFXSR;
    assert_int_equal(RUN(m, addps, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_UD);
    free(m);
}

static void test_mmx_and_x87_availability(void **state)
{
    (void)state;
    struct machine *m = machine_new();
    unsigned vec;
    static const char paddb[] = "\x0f\xfc\xc1"; /* paddb mm0, mm1 */
    static const char fld1[] = "\xd9\xe8";
    static const char fwait[] = "\x9b";

    /* MMX needs no OSFXSR; EM -> #UD, TS -> #NM */
    m->cpu.s.cr4 &= ~X86_CR4_OSFXSR;
    assert_int_equal(RUN(m, paddb, &vec), X86_EXEC_OK);
    m->cpu.s.cr0 |= X86_CR0_TS;
    assert_int_equal(RUN(m, paddb, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_NM);
    m->cpu.s.cr0 |= X86_CR0_EM;
    assert_int_equal(RUN(m, paddb, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_UD);

    /* x87: EM or TS -> #NM */
    assert_int_equal(RUN(m, fld1, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_NM);
    m->cpu.s.cr0 &= ~X86_CR0_TS;
    assert_int_equal(RUN(m, fld1, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_NM);

    /* FWAIT: #NM only with both MP and TS */
    m->cpu.s.cr0 &= ~(X86_CR0_EM | X86_CR0_MP);
    m->cpu.s.cr0 |= X86_CR0_TS;
    assert_int_equal(RUN(m, fwait, &vec), X86_EXEC_OK);
    m->cpu.s.cr0 |= X86_CR0_MP;
    assert_int_equal(RUN(m, fwait, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_NM);
    free(m);
}

/* A pending unmasked x87 exception: #MF at the next waiting instruction
 * (and MMX instruction), not at FNSTSW/FNCLEX; FNCLEX clears it. */
static void test_x87_pending(void **state)
{
    (void)state;
    struct machine *m = machine_new();
    unsigned vec;
    static const char fldcw[] = "\xd9\x2c\x25\x00\x10\x01\x00"; /* fldcw [DATA] */
    static const char fldz[] = "\xd9\xee";
    static const char fdiv_st0[] = "\xd8\xf0"; /* fdiv st0, st0: 0/0 -> #IA */
    static const char fnstsw_ax[] = "\xdf\xe0";
    static const char fnclex[] = "\xdb\xe2";
    static const char paddb[] = "\x0f\xfc\xc1";

    uint16_t cw = 0x37e; /* IM unmasked */
    memcpy(m->mem + (DATA - MEM_BASE), &cw, 2);
    assert_int_equal(RUN(m, fldcw, &vec), X86_EXEC_OK);
    assert_int_equal(RUN(m, fldz, &vec), X86_EXEC_OK);
    assert_int_equal(RUN(m, fdiv_st0, &vec), X86_EXEC_OK); /* delayed: completes */
    assert_true(m->cpu.s.fx.fsw & 0x0081);                 /* IE and ES */
    assert_int_equal(RUN(m, fldz, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_MF);
    assert_int_equal(RUN(m, paddb, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_MF);
    m->cpu.s.gpr[X86_RAX] = 0;
    assert_int_equal(RUN(m, fnstsw_ax, &vec), X86_EXEC_OK);
    assert_true(m->cpu.s.gpr[X86_RAX] & 0x81);
    assert_int_equal(RUN(m, fnclex, &vec), X86_EXEC_OK);
    assert_int_equal(RUN(m, fldz, &vec), X86_EXEC_OK);
    free(m);
}

/* An unmasked SIMD exception: #XM with CR4.OSXMMEXCPT, else #UD; the flag is
 * set, the destination kept. LDMXCSR with a reserved bit: #GP(0). */
static void test_simd_exceptions(void **state)
{
    (void)state;
    struct machine *m = machine_new();
    unsigned vec;
    static const char divss[] = "\xf3\x0f\x5e\xc1"; /* divss xmm0, xmm1 */
    static const char ldmxcsr[] = "\x0f\xae\x14\x25\x00\x10\x01\x00";
    float one = 1.0f, zero = 0.0f;
    for (unsigned osxmm = 0; osxmm < 2; osxmm++) {
        memcpy(m->cpu.s.fx.xmm[0], &one, 4);
        memcpy(m->cpu.s.fx.xmm[1], &zero, 4);
        m->cpu.s.fx.mxcsr = 0x1f80 & ~(1u << 9); /* ZM clear */
        if (osxmm)
            m->cpu.s.cr4 |= X86_CR4_OSXMMEXCPT;
        else
            m->cpu.s.cr4 &= ~X86_CR4_OSXMMEXCPT;
        assert_int_equal(RUN(m, divss, &vec), X86_EXEC_EXCEPTION);
        assert_int_equal(vec, osxmm ? X86_EXC_XM : X86_EXC_UD);
        assert_int_equal(m->cpu.s.fx.mxcsr & 0x3f, 0x04); /* ZE */
        assert_memory_equal(m->cpu.s.fx.xmm[0], &one, 4);
    }
    m->cpu.s.fx.mxcsr = 0x1f80; /* masked: infinity */
    assert_int_equal(RUN(m, divss, &vec), X86_EXEC_OK);
    float r;
    memcpy(&r, m->cpu.s.fx.xmm[0], 4);
    assert_true(isinf(r));

    assert_int_equal(m->cpu.s.fx.mxcsr, 0x1f84); /* ZE, sticky */
    uint32_t bad = 0x11f80;
    memcpy(m->mem + (DATA - MEM_BASE), &bad, 4);
    assert_int_equal(RUN(m, ldmxcsr, &vec), X86_EXEC_EXCEPTION);
    assert_int_equal(vec, X86_EXC_GP);
    assert_int_equal(m->cpu.s.fx.mxcsr, 0x1f84);
    free(m);
}

/* ---- RCP/RSQRT accuracy (SDM RCPPS, RSQRTPS: |relative error| <= 1.5 * 2^-12) ---- */

static float run_unary(struct machine *m, const char *insn, float x)
{
    unsigned vec;
    memcpy(m->cpu.s.fx.xmm[1], &x, 4);
    assert_int_equal(run(m, insn, 3, &vec), X86_EXEC_OK);
    float r;
    memcpy(&r, m->cpu.s.fx.xmm[0], 4);
    return r;
}

static double absd(double v)
{
    return v < 0 ? -v : v;
}

static void test_rcp_rsqrt_accuracy(void **state)
{
    (void)state;
    struct machine *m = machine_new();
    uint64_t rng = 0x1234567;
    const double bound = 1.5 / 4096.0;
    for (unsigned i = 0; i < 20000; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        /* normal floats whose reciprocals are normal too */
        uint32_t bits = (uint32_t)(rng >> 33) & 0x007fffff;
        bits |= (uint32_t)(2 + (rng >> 56) % 250) << 23;
        float x;
        memcpy(&x, &bits, 4);
        double rcp = run_unary(m, "\x0f\x53\xc1", x);   /* rcpps xmm0, xmm1 */
        double rsq = run_unary(m, "\x0f\x52\xc1", x);   /* rsqrtps xmm0, xmm1 */
        assert_true(absd(rcp * x - 1.0) <= bound);
        /* rsq = (1 + e) / sqrt(x): rsq^2 * x = (1 + e)^2 */
        assert_true(absd(rsq * rsq * x - 1.0) <= 2 * bound + bound * bound);
    }
    free(m);
}

/* ---- Host hygiene ------------------------------------------------------------------ */

static void test_host_state_kept(void **state)
{
    (void)state;
    struct machine *m = machine_new();
    unsigned vec;
    uint32_t mxcsr = 0x3f80, saved; /* round toward zero */
    uint16_t fcw = 0x0f7f, fcw_after;
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("fldcw %0" : : "m"(fcw));
    m->cpu.s.fx.mxcsr = 0x1f80 | (1u << 15) | (1u << 6);
    assert_int_equal(RUN(m, "\x0f\x58\xc1", &vec), X86_EXEC_OK);  /* addps */
    assert_int_equal(RUN(m, "\xd9\xeb", &vec), X86_EXEC_OK);      /* fldpi */
    assert_int_equal(RUN(m, "\xd9\xfe", &vec), X86_EXEC_OK);      /* fsin */
    uint32_t after;
    __asm__ volatile("stmxcsr %0" : "=m"(after));
    __asm__ volatile("fnstcw %0" : "=m"(fcw_after));
    uint16_t init = 0x37f;
    __asm__ volatile("fldcw %0" : : "m"(init));
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    assert_int_equal(after, mxcsr);
    assert_int_equal(fcw_after, fcw);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_availability),
        cmocka_unit_test(test_mmx_and_x87_availability),
        cmocka_unit_test(test_x87_pending),
        cmocka_unit_test(test_simd_exceptions),
        cmocka_unit_test(test_rcp_rsqrt_accuracy),
        cmocka_unit_test(test_host_state_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
