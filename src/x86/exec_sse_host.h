/* SSE floating point on the host's own SSE/SSE2 unit.
 *
 * The guest's floating-point instructions are executed by the same
 * instruction on the host, on the guest's operands, under the guest's
 * MXCSR rounding control, DAZ and FTZ, with every exception masked. That
 * gives bit-exact results (NaN propagation, denormals, rounding, integer
 * indefinite values) and the exception flags the operation raised; the
 * caller then applies the guest's exception masks (x86_sse_fp_commit).
 * Only SSE and SSE2 instructions are run on the host, so any x86-64 host
 * will do; SSE3/SSE4.1 floating point is composed from them by the callers.
 *
 * A stub is one host instruction followed by RET: the destination/first
 * source is XMM0, the second source XMM1, a general register operand RAX
 * (EAX). The runner saves the host MXCSR around the stub. */
#ifndef VMON_X86_EXEC_SSE_HOST_H
#define VMON_X86_EXEC_SSE_HOST_H

#include <stdint.h>

#include "x86/exec_sse_opnd.h"

/* The stubs: NAME and host instruction (AT&T syntax). */
#define X86_SSE_CMP_STUBS(S, name, mnem)                                           \
    S(name##_0, mnem " $0, %xmm1, %xmm0") S(name##_1, mnem " $1, %xmm1, %xmm0")    \
    S(name##_2, mnem " $2, %xmm1, %xmm0") S(name##_3, mnem " $3, %xmm1, %xmm0")    \
    S(name##_4, mnem " $4, %xmm1, %xmm0") S(name##_5, mnem " $5, %xmm1, %xmm0")    \
    S(name##_6, mnem " $6, %xmm1, %xmm0") S(name##_7, mnem " $7, %xmm1, %xmm0")

#define X86_SSE_HOST_STUBS(S)                                                      \
    S(ADDPS, "addps %xmm1, %xmm0") S(ADDPD, "addpd %xmm1, %xmm0")                  \
    S(ADDSS, "addss %xmm1, %xmm0") S(ADDSD, "addsd %xmm1, %xmm0")                  \
    S(SUBPS, "subps %xmm1, %xmm0") S(SUBPD, "subpd %xmm1, %xmm0")                  \
    S(SUBSS, "subss %xmm1, %xmm0") S(SUBSD, "subsd %xmm1, %xmm0")                  \
    S(MULPS, "mulps %xmm1, %xmm0") S(MULPD, "mulpd %xmm1, %xmm0")                  \
    S(MULSS, "mulss %xmm1, %xmm0") S(MULSD, "mulsd %xmm1, %xmm0")                  \
    S(DIVPS, "divps %xmm1, %xmm0") S(DIVPD, "divpd %xmm1, %xmm0")                  \
    S(DIVSS, "divss %xmm1, %xmm0") S(DIVSD, "divsd %xmm1, %xmm0")                  \
    S(MINPS, "minps %xmm1, %xmm0") S(MINPD, "minpd %xmm1, %xmm0")                  \
    S(MINSS, "minss %xmm1, %xmm0") S(MINSD, "minsd %xmm1, %xmm0")                  \
    S(MAXPS, "maxps %xmm1, %xmm0") S(MAXPD, "maxpd %xmm1, %xmm0")                  \
    S(MAXSS, "maxss %xmm1, %xmm0") S(MAXSD, "maxsd %xmm1, %xmm0")                  \
    S(SQRTPS, "sqrtps %xmm1, %xmm0") S(SQRTPD, "sqrtpd %xmm1, %xmm0")              \
    S(SQRTSS, "sqrtss %xmm1, %xmm0") S(SQRTSD, "sqrtsd %xmm1, %xmm0")              \
    S(RCPPS, "rcpps %xmm1, %xmm0") S(RCPSS, "rcpss %xmm1, %xmm0")                  \
    S(RSQRTPS, "rsqrtps %xmm1, %xmm0") S(RSQRTSS, "rsqrtss %xmm1, %xmm0")          \
    X86_SSE_CMP_STUBS(S, CMPPS, "cmpps") X86_SSE_CMP_STUBS(S, CMPPD, "cmppd")      \
    X86_SSE_CMP_STUBS(S, CMPSS, "cmpss") X86_SSE_CMP_STUBS(S, CMPSD, "cmpsd")      \
    S(COMISS, "comiss %xmm1, %xmm0") S(COMISD, "comisd %xmm1, %xmm0")              \
    S(UCOMISS, "ucomiss %xmm1, %xmm0") S(UCOMISD, "ucomisd %xmm1, %xmm0")          \
    S(CVTPS2PD, "cvtps2pd %xmm1, %xmm0") S(CVTPD2PS, "cvtpd2ps %xmm1, %xmm0")      \
    S(CVTSS2SD, "cvtss2sd %xmm1, %xmm0") S(CVTSD2SS, "cvtsd2ss %xmm1, %xmm0")      \
    S(CVTDQ2PS, "cvtdq2ps %xmm1, %xmm0") S(CVTPS2DQ, "cvtps2dq %xmm1, %xmm0")      \
    S(CVTTPS2DQ, "cvttps2dq %xmm1, %xmm0") S(CVTDQ2PD, "cvtdq2pd %xmm1, %xmm0")    \
    S(CVTPD2DQ, "cvtpd2dq %xmm1, %xmm0") S(CVTTPD2DQ, "cvttpd2dq %xmm1, %xmm0")    \
    S(CVTSI2SS_32, "cvtsi2ssl %eax, %xmm0") S(CVTSI2SS_64, "cvtsi2ssq %rax, %xmm0")\
    S(CVTSI2SD_32, "cvtsi2sdl %eax, %xmm0") S(CVTSI2SD_64, "cvtsi2sdq %rax, %xmm0")\
    S(CVTSS2SI_32, "cvtss2si %xmm1, %eax") S(CVTSS2SI_64, "cvtss2si %xmm1, %rax")  \
    S(CVTTSS2SI_32, "cvttss2si %xmm1, %eax") S(CVTTSS2SI_64, "cvttss2si %xmm1, %rax") \
    S(CVTSD2SI_32, "cvtsd2si %xmm1, %eax") S(CVTSD2SI_64, "cvtsd2si %xmm1, %rax")  \
    S(CVTTSD2SI_32, "cvttsd2si %xmm1, %eax") S(CVTTSD2SI_64, "cvttsd2si %xmm1, %rax")

enum x86_sse_stub {
#define X86_SSE_STUB_ENUM(name, text) X86_SSE_STUB_##name,
    X86_SSE_HOST_STUBS(X86_SSE_STUB_ENUM)
#undef X86_SSE_STUB_ENUM
    X86_SSE_STUB_COUNT
};

/* Operands and results of one stub run. */
struct x86_sse_host {
    x86_vec d;       /* in: XMM0 (destination / first source); out: XMM0 */
    x86_vec s;       /* in: XMM1 (second source) */
    uint64_t gpr;    /* in/out: RAX */
    uint32_t rflags; /* out: the arithmetic flags after the stub (COMIS) */
};

/* Runs stub under the guest's MXCSR (rounding, DAZ, FTZ; exceptions all
 * masked; FTZ dropped when underflow is unmasked, as the hardware ignores
 * it then). Returns the exception flags the operation raised (bits 5:0). */
unsigned x86_sse_host_run(enum x86_sse_stub stub, struct x86_sse_host *h, uint32_t mxcsr);

/* What an operation's result lanes are, for the unmasked-underflow rule. */
enum x86_sse_lanes {
    X86_SSE_LANES_NONE, /* no floating-point result (compares, to-integer) */
    X86_SSE_LANES_SS,   /* float in lane 0 */
    X86_SSE_LANES_PS2,  /* floats in lanes 0-1 */
    X86_SSE_LANES_PS,   /* floats in lanes 0-3 */
    X86_SSE_LANES_SD,   /* double in lane 0 */
    X86_SSE_LANES_PD,   /* doubles in lanes 0-1 */
};

/* Applies the flags an operation raised to the guest MXCSR, following the
 * SDM's two-step rule (Vol. 1, 11.5.3): pre-computation exceptions (IE DE
 * ZE), then post-computation ones (OE UE PE). With all raised exceptions
 * masked, ORs them into MXCSR and returns X86_EXEC_OK: the caller writes
 * the result. Otherwise sets the flags of the step that faulted and raises
 * #XM (#UD when CR4.OSXMMEXCPT is clear): the destination is left alone.
 * res holds the masked-run result, whose lanes tell a tiny exact result
 * (an underflow only when UE is unmasked). */
int x86_sse_fp_commit(struct x86_cpu *cpu, unsigned raised, const x86_vec *res,
                      enum x86_sse_lanes lanes);

/* The operands of the shape "XMM destination (also the first source) op
 * operand 1 (XMM or memory)", after the SSE checks (#UD, #NM): *d is the
 * destination register, *s operand 1 (read with its alignment rule).
 * Returns X86_EXEC_OK or the fault's status. */
int x86_sse_operands(struct x86_cpu *cpu, const struct x86_insn *in, x86_vec *d, x86_vec *s);

/* Commits the flags an operation raised (x86_sse_fp_commit) and, when
 * nothing faulted, writes res to the XMM destination (operand 0). */
int x86_sse_fp_result(struct x86_cpu *cpu, const struct x86_insn *in, unsigned raised,
                      const x86_vec *res, enum x86_sse_lanes lanes);

/* The common shape "XMM destination (also the first source) op operand 1
 * (XMM or memory)": SSE checks, operands, stub, commit, write-back. */
int x86_sse_host_op(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_sse_stub stub,
                    enum x86_sse_lanes lanes);

#endif
