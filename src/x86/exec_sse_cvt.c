/* SSE/SSE2 conversions (see exec_sse_cvt.h). */
#include "x86/exec_sse_cvt.h"

#include "x86/exec_opnd.h"
#include "x86/exec_sse_host.h"
#include "x86/exec_sse_opnd.h"

/* XMM <- XMM/memory conversions: the host instruction of the same name. */
int x86_exec_sse_cvt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    enum x86_sse_stub stub;
    enum x86_sse_lanes lanes = X86_SSE_LANES_NONE;
    switch (in->op) {
    case X86_OP_CVTPS2PD: stub = X86_SSE_STUB_CVTPS2PD; break;
    case X86_OP_CVTPD2PS: stub = X86_SSE_STUB_CVTPD2PS; lanes = X86_SSE_LANES_PS2; break;
    case X86_OP_CVTSS2SD: stub = X86_SSE_STUB_CVTSS2SD; break;
    case X86_OP_CVTSD2SS: stub = X86_SSE_STUB_CVTSD2SS; lanes = X86_SSE_LANES_SS; break;
    case X86_OP_CVTDQ2PS: stub = X86_SSE_STUB_CVTDQ2PS; break;
    case X86_OP_CVTPS2DQ: stub = X86_SSE_STUB_CVTPS2DQ; break;
    case X86_OP_CVTTPS2DQ: stub = X86_SSE_STUB_CVTTPS2DQ; break;
    case X86_OP_CVTDQ2PD: stub = X86_SSE_STUB_CVTDQ2PD; break;
    case X86_OP_CVTPD2DQ: stub = X86_SSE_STUB_CVTPD2DQ; break;
    default: stub = X86_SSE_STUB_CVTTPD2DQ; break;
    }
    return x86_sse_host_op(cpu, in, stub, lanes);
}

/* CVTSI2SS/CVTSI2SD Vx, r/m32 or r/m64: the low lane is replaced, the rest
 * of the destination kept. */
int x86_exec_sse_cvtsi2f(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    struct x86_sse_host h = { 0 };
    x86_xmm_get(cpu, in->opnd[0].reg, &h.d);
    rc = x86_opnd_read(cpu, in, 1, &h.gpr);
    if (unlikely(rc))
        return rc;
    bool q = in->opnd[1].size == 8;
    enum x86_sse_stub stub = in->op == X86_OP_CVTSI2SS
                                 ? (q ? X86_SSE_STUB_CVTSI2SS_64 : X86_SSE_STUB_CVTSI2SS_32)
                                 : (q ? X86_SSE_STUB_CVTSI2SD_64 : X86_SSE_STUB_CVTSI2SD_32);
    unsigned raised = x86_sse_host_run(stub, &h, cpu->s.fx.mxcsr);
    rc = x86_sse_fp_commit(cpu, raised, &h.d, X86_SSE_LANES_NONE);
    if (unlikely(rc))
        return rc;
    x86_xmm_set(cpu, in->opnd[0].reg, &h.d);
    return X86_EXEC_OK;
}

/* CVT(T)SS2SI / CVT(T)SD2SI r32/r64, xmm/m: rounded by MXCSR.RC or
 * truncated; out of range gives the integer indefinite value with IE. */
int x86_exec_sse_cvtf2si(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    struct x86_sse_host h = { 0 };
    rc = x86_simd_read(cpu, in, 1, &h.s);
    if (unlikely(rc))
        return rc;
    bool q = in->opnd[0].size == 8;
    enum x86_sse_stub stub;
    switch (in->op) {
    case X86_OP_CVTSS2SI: stub = q ? X86_SSE_STUB_CVTSS2SI_64 : X86_SSE_STUB_CVTSS2SI_32; break;
    case X86_OP_CVTTSS2SI: stub = q ? X86_SSE_STUB_CVTTSS2SI_64 : X86_SSE_STUB_CVTTSS2SI_32; break;
    case X86_OP_CVTSD2SI: stub = q ? X86_SSE_STUB_CVTSD2SI_64 : X86_SSE_STUB_CVTSD2SI_32; break;
    default: stub = q ? X86_SSE_STUB_CVTTSD2SI_64 : X86_SSE_STUB_CVTTSD2SI_32; break;
    }
    unsigned raised = x86_sse_host_run(stub, &h, cpu->s.fx.mxcsr);
    rc = x86_sse_fp_commit(cpu, raised, &h.d, X86_SSE_LANES_NONE);
    if (unlikely(rc))
        return rc;
    x86_gpr_write(cpu, in->opnd[0].reg, q ? 8 : 4, h.gpr);
    return X86_EXEC_OK;
}

/* The MMX-operand forms follow the SSE rules, and with an MMX register
 * operand also report a pending x87 exception (#MF) and make the MMX
 * transition (SDM CVTPI2PS: "transition from x87 FPU to MMX"). */
static int cvt_mmx_check(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_sse_check(cpu);
    if (unlikely(rc))
        return rc;
    if (x86_insn_has_mmx(in) && unlikely(x86_x87_pending(cpu)))
        return x86_raise(cpu, X86_EXC_MF);
    return X86_EXEC_OK;
}

/* The MMX transition has happened by the time a floating-point exception
 * is reported (the MMX register was read): it stays when #XM is raised. */
static int cvt_mmx_commit(struct x86_cpu *cpu, const struct x86_insn *in, unsigned raised,
                          const x86_vec *res)
{
    int rc = x86_sse_fp_commit(cpu, raised, res, X86_SSE_LANES_NONE);
    if (unlikely(rc) && x86_insn_has_mmx(in))
        x86_mmx_enter(cpu);
    return rc;
}

/* CVTPI2PS Vx, mm/m64: two int32 to the low two floats, upper half kept;
 * CVTPI2PD Vx, mm/m64: two int32 to two doubles (always exact). */
int x86_exec_sse_cvtpi2f(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = cvt_mmx_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec d;
    struct x86_sse_host h = { 0 };
    x86_xmm_get(cpu, in->opnd[0].reg, &d);
    rc = x86_simd_read(cpu, in, 1, &h.s);
    if (unlikely(rc))
        return rc;
    h.s.q[1] = 0;
    bool ps = in->op == X86_OP_CVTPI2PS;
    unsigned raised = x86_sse_host_run(ps ? X86_SSE_STUB_CVTDQ2PS : X86_SSE_STUB_CVTDQ2PD, &h,
                                       cpu->s.fx.mxcsr);
    rc = cvt_mmx_commit(cpu, in, raised, &h.d);
    if (unlikely(rc))
        return rc;
    d.q[0] = h.d.q[0];
    if (!ps)
        d.q[1] = h.d.q[1];
    return x86_simd_write(cpu, in, 0, &d);
}

/* CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128: two int32 results. */
int x86_exec_sse_cvtf2pi(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = cvt_mmx_check(cpu, in);
    if (unlikely(rc))
        return rc;
    struct x86_sse_host h = { 0 };
    rc = x86_simd_read(cpu, in, 1, &h.s);
    if (unlikely(rc))
        return rc;
    enum x86_sse_stub stub;
    switch (in->op) {
    case X86_OP_CVTPS2PI: stub = X86_SSE_STUB_CVTPS2DQ; h.s.q[1] = 0; break;
    case X86_OP_CVTTPS2PI: stub = X86_SSE_STUB_CVTTPS2DQ; h.s.q[1] = 0; break;
    case X86_OP_CVTPD2PI: stub = X86_SSE_STUB_CVTPD2DQ; break;
    default: stub = X86_SSE_STUB_CVTTPD2DQ; break;
    }
    unsigned raised = x86_sse_host_run(stub, &h, cpu->s.fx.mxcsr);
    rc = cvt_mmx_commit(cpu, in, raised, &h.d);
    if (unlikely(rc))
        return rc;
    return x86_simd_write(cpu, in, 0, &h.d);
}
