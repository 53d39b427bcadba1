/* SSE floating point on the host's own SSE/SSE2 unit (see exec_sse_host.h). */
#include "x86/exec_sse_host.h"

/* The stubs, 16 bytes apart: ENDBR64 (so indirect calls stay valid under
 * CET/IBT), the instruction, RET. .org both pads and checks that no stub
 * outgrows its slot. They are code, never written: no mutable state. */
#define X86_SSE_STUB_ASM(name, text)                                                     \
    ".org x86_sse_stubs + 16 * .Lx86_sse_n\n\t"                                        \
    ".byte 0xf3, 0x0f, 0x1e, 0xfa\n\t" text "\n\tret\n"                                \
    ".set .Lx86_sse_n, .Lx86_sse_n + 1\n"

__asm__(".pushsection .text.vmon_sse_stubs, \"ax\", @progbits\n"
        ".balign 16\n"
        "x86_sse_stubs:\n"
        ".set .Lx86_sse_n, 0\n"
        X86_SSE_HOST_STUBS(X86_SSE_STUB_ASM)
        ".popsection\n");

extern const uint8_t x86_sse_stubs[] __attribute__((visibility("hidden")));

unsigned x86_sse_host_run(enum x86_sse_stub stub, struct x86_sse_host *h, uint32_t mxcsr)
{
    /* [0] the MXCSR the stub runs under, then the flags it raised;
     * [1] the host's MXCSR, restored afterwards. */
    uint32_t csr[2];
    csr[0] = (mxcsr & X86_MXCSR_VALID & ~X86_MXCSR_FLAGS) | X86_MXCSR_MASKS;
    if (!(mxcsr & X86_MXCSR_UM))
        csr[0] &= ~X86_MXCSR_FZ; /* SDM Vol. 1, 10.2.3.3: FZ needs UE masked */
    const uint8_t *fn = x86_sse_stubs + 16u * (unsigned)stub;
    uint64_t rax = h->gpr, fl;
    /* The stub is reached by CALL: step over the red zone first. Every
     * memory operand is addressed through a register, never through RSP. */
    __asm__ volatile("stmxcsr 4(%[csr])\n\t"
                     "movdqu (%[d]), %%xmm0\n\t"
                     "movdqu (%[s]), %%xmm1\n\t"
                     "ldmxcsr (%[csr])\n\t"
                     "lea -128(%%rsp), %%rsp\n\t"
                     "call *%[fn]\n\t"
                     "pushfq\n\t"
                     "pop %[fl]\n\t"
                     "lea 128(%%rsp), %%rsp\n\t"
                     "stmxcsr (%[csr])\n\t"
                     "ldmxcsr 4(%[csr])\n\t"
                     "movdqu %%xmm0, (%[d])"
                     : "+a"(rax), [fl] "=&r"(fl)
                     : [d] "r"(&h->d), [s] "r"(&h->s), [csr] "r"(csr), [fn] "r"(fn)
                     : "xmm0", "xmm1", "cc", "memory");
    h->gpr = rax;
    h->rflags = (uint32_t)fl;
    return csr[0] & X86_MXCSR_FLAGS;
}

/* A denormal value in one of the lanes: with UE unmasked, a tiny result
 * is an underflow even when exact (SDM Vol. 1, 4.9.1.5). */
static bool tiny_result(const x86_vec *r, enum x86_sse_lanes lanes)
{
    unsigned n = 0;
    bool dbl = false;
    switch (lanes) {
    case X86_SSE_LANES_SS: n = 1; break;
    case X86_SSE_LANES_PS2: n = 2; break;
    case X86_SSE_LANES_PS: n = 4; break;
    case X86_SSE_LANES_SD: n = 1; dbl = true; break;
    case X86_SSE_LANES_PD: n = 2; dbl = true; break;
    default: return false;
    }
    for (unsigned i = 0; i < n; i++) {
        bool denormal = dbl ? (r->q[i] & 0x7ff0000000000000ull) == 0 &&
                                  (r->q[i] & 0x000fffffffffffffull) != 0
                            : (r->d[i] & 0x7f800000u) == 0 && (r->d[i] & 0x007fffffu) != 0;
        if (denormal)
            return true;
    }
    return false;
}

static int simd_fp_exception(struct x86_cpu *cpu)
{
    return x86_raise(cpu, (cpu->s.cr4 & X86_CR4_OSXMMEXCPT) ? X86_EXC_XM : X86_EXC_UD);
}

int x86_sse_fp_commit(struct x86_cpu *cpu, unsigned raised, const x86_vec *res,
                      enum x86_sse_lanes lanes)
{
    uint32_t *mxcsr = &cpu->s.fx.mxcsr;
    unsigned unmasked = ~(*mxcsr >> 7) & X86_MXCSR_FLAGS;
    if (likely(!unmasked)) {
        *mxcsr |= raised;
        return X86_EXEC_OK;
    }
    /* Step 1: pre-computation exceptions; an unmasked one faults before
     * anything is computed. */
    const unsigned pre_bits = X86_MXCSR_IE | X86_MXCSR_DE | X86_MXCSR_ZE;
    unsigned pre = raised & pre_bits;
    if (pre & unmasked) {
        *mxcsr |= pre;
        return simd_fp_exception(cpu);
    }
    /* Step 2: post-computation exceptions. (With an unmasked overflow or
     * underflow the hardware reports PE for the result rounded with an
     * unbounded exponent; this reports PE of the masked computation, which
     * differs only when exactly one of the two is exact.) */
    unsigned post = raised & ~pre_bits;
    if ((unmasked & X86_MXCSR_UE) && tiny_result(res, lanes))
        post |= X86_MXCSR_UE;
    *mxcsr |= pre | post;
    if (post & unmasked)
        return simd_fp_exception(cpu);
    return X86_EXEC_OK;
}

int x86_sse_operands(struct x86_cpu *cpu, const struct x86_insn *in, x86_vec *d, x86_vec *s)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    x86_xmm_get(cpu, in->opnd[0].reg, d);
    return x86_simd_read(cpu, in, 1, s);
}

int x86_sse_fp_result(struct x86_cpu *cpu, const struct x86_insn *in, unsigned raised,
                      const x86_vec *res, enum x86_sse_lanes lanes)
{
    int rc = x86_sse_fp_commit(cpu, raised, res, lanes);
    if (unlikely(rc))
        return rc;
    x86_xmm_set(cpu, in->opnd[0].reg, res);
    return X86_EXEC_OK;
}

int x86_sse_host_op(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_sse_stub stub,
                    enum x86_sse_lanes lanes)
{
    struct x86_sse_host h = { 0 };
    int rc = x86_sse_operands(cpu, in, &h.d, &h.s);
    if (unlikely(rc))
        return rc;
    unsigned raised = x86_sse_host_run(stub, &h, cpu->s.fx.mxcsr);
    return x86_sse_fp_result(cpu, in, raised, &h.d, lanes);
}
