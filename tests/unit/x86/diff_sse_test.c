/* Differential tests: MMX, SSE, SSE2, SSE3, SSSE3 and SSE4.1 against the
 * host CPU (method: diff_sse_harness.h).
 *
 * Every encoding below becomes register and memory forms with random
 * registers, immediates and addressing; each form runs on random states:
 * XMM lanes and memory operands full of special values, random MXCSR
 * (rounding, DAZ, FTZ, now and then unmasked exceptions and sticky
 * flags), random x87 stacks for the MMX forms (TOP, tags: the MMX
 * transition). Aligned memory forms get a misaligned operand now and then
 * (#GP); unmasked exceptions give #XM, compared with the MXCSR the host
 * leaves. Host-dependent forms are skipped when the host lacks them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff_sse_harness.h"

#define NSTATES 300
#define MAX_FORMS 2400

/* Operand kinds of the ModRM fields. */
enum { K_XMM, K_MMX, K_GPR, K_DIGIT };

/* Encoding flags */
#define F_IMM     (1u << 0) /* an imm8 follows */
#define F_REGONLY (1u << 1) /* no memory form */
#define F_MEMONLY (1u << 2) /* no register form */
#define F_W       (1u << 3) /* also the REX.W form */
#define F_RDI     (1u << 4) /* implicit DS:rDI destination (MASKMOV) */
#define F_SSE3    (1u << 5) /* host needs SSE3 */
#define F_SSSE3   (1u << 6) /* host needs SSSE3 */
#define F_SSE41   (1u << 7) /* host needs SSE4.1 */
#define F_SSE42   (1u << 8) /* host needs SSE4.2 */
#define F_LENS    (1u << 9) /* explicit string lengths in rAX/rDX */
#define F_PCMPESTR (F_SSE42 | F_IMM | F_W | F_LENS)
#define F_INSEXT_Q (F_SSE41 | F_IMM | F_W)

struct spec {
    const char *name;
    uint8_t pfx;   /* mandatory prefix: 0, 0x66, 0xf3, 0xf2 */
    uint8_t map;   /* 1: 0F, 2: 0F 38, 3: 0F 3A */
    uint8_t op;
    uint8_t kreg;  /* K_* of ModRM.reg (K_DIGIT: the /digit in `digit`) */
    uint8_t krm;   /* K_* of ModRM.rm */
    uint8_t digit;
    uint8_t elem;  /* XMM lanes */
    uint8_t mlen;  /* memory operand bytes */
    uint8_t melem; /* its contents */
    uint8_t align; /* 16: the memory form needs alignment */
    uint16_t flags;
};

#define X(n, p, m, o, e, ml, al, fl) { n, p, m, o, K_XMM, K_XMM, 0, e, ml, e, al, fl }
/* packed/scalar floating point: none = PS, 66 = PD, F3 = SS, F2 = SD */
#define FP4(n, o, fl)                                                            \
    X(n "ps", 0, 1, o, DSSE_F32, 16, 16, fl), X(n "pd", 0x66, 1, o, DSSE_F64, 16, 16, fl), \
    X(n "ss", 0xf3, 1, o, DSSE_F32, 4, 0, fl), X(n "sd", 0xf2, 1, o, DSSE_F64, 8, 0, fl)
/* an integer operation in its MMX (no prefix) and SSE (66) forms */
#define MMXSSE(n, m, o, mlen_mmx)                                                \
    { n " mm", 0, m, o, K_MMX, K_MMX, 0, DSSE_BITS, mlen_mmx, DSSE_BITS, 0, 0 },  \
    X(n " xmm", 0x66, m, o, DSSE_BITS, 16, 16, 0)
#define SSE66(n, m, o, e, ml, al, fl) X(n, 0x66, m, o, e, ml, al, fl)
/* a bitwise or move pair: none = n "s" sfx (PS), 66 = n "d" sfx (PD) */
#define PSPD(n, sfx, o, ml, al, fl)                                              \
    X(n "s" sfx, 0, 1, o, DSSE_BITS, ml, al, fl), X(n "d" sfx, 0x66, 1, o, DSSE_BITS, ml, al, fl)
/* shift-by-immediate groups 12-14 */
#define SHIFTI(n, o, d)                                                          \
    { n " mm,imm", 0, 1, o, K_DIGIT, K_MMX, d, DSSE_BITS, 0, 0, 0, F_IMM | F_REGONLY }, \
    { n " xmm,imm", 0x66, 1, o, K_DIGIT, K_XMM, d, DSSE_BITS, 0, 0, 0, F_IMM | F_REGONLY }

static const struct spec specs[] = {
    /* ---- SSE/SSE2 floating point ---- */
    FP4("add", 0x58, 0), FP4("mul", 0x59, 0), FP4("sub", 0x5c, 0), FP4("min", 0x5d, 0),
    FP4("div", 0x5e, 0), FP4("max", 0x5f, 0), FP4("sqrt", 0x51, 0), FP4("cmp", 0xc2, F_IMM),
    X("rsqrtps", 0, 1, 0x52, DSSE_F32, 16, 16, 0), X("rsqrtss", 0xf3, 1, 0x52, DSSE_F32, 4, 0, 0),
    X("rcpps", 0, 1, 0x53, DSSE_F32, 16, 16, 0), X("rcpss", 0xf3, 1, 0x53, DSSE_F32, 4, 0, 0),
    X("ucomiss", 0, 1, 0x2e, DSSE_F32, 4, 0, 0), X("ucomisd", 0x66, 1, 0x2e, DSSE_F64, 8, 0, 0),
    X("comiss", 0, 1, 0x2f, DSSE_F32, 4, 0, 0), X("comisd", 0x66, 1, 0x2f, DSSE_F64, 8, 0, 0),
    PSPD("andp", "", 0x54, 16, 16, 0), PSPD("andnp", "", 0x55, 16, 16, 0),
    PSPD("orp", "", 0x56, 16, 16, 0), PSPD("xorp", "", 0x57, 16, 16, 0),
    X("shufps", 0, 1, 0xc6, DSSE_F32, 16, 16, F_IMM),
    X("shufpd", 0x66, 1, 0xc6, DSSE_F64, 16, 16, F_IMM),
    X("unpcklps", 0, 1, 0x14, DSSE_F32, 16, 16, 0),
    X("unpcklpd", 0x66, 1, 0x14, DSSE_F64, 16, 16, 0),
    X("unpckhps", 0, 1, 0x15, DSSE_F32, 16, 16, 0),
    X("unpckhpd", 0x66, 1, 0x15, DSSE_F64, 16, 16, 0),
    /* ---- conversions ---- */
    X("cvtps2pd", 0, 1, 0x5a, DSSE_F32, 8, 0, 0), X("cvtpd2ps", 0x66, 1, 0x5a, DSSE_F64, 16, 16, 0),
    X("cvtss2sd", 0xf3, 1, 0x5a, DSSE_F32, 4, 0, 0),
    X("cvtsd2ss", 0xf2, 1, 0x5a, DSSE_F64, 8, 0, 0),
    X("cvtdq2ps", 0, 1, 0x5b, DSSE_BITS, 16, 16, 0),
    X("cvtps2dq", 0x66, 1, 0x5b, DSSE_F32, 16, 16, 0),
    X("cvttps2dq", 0xf3, 1, 0x5b, DSSE_F32, 16, 16, 0),
    X("cvttpd2dq", 0x66, 1, 0xe6, DSSE_F64, 16, 16, 0),
    X("cvtdq2pd", 0xf3, 1, 0xe6, DSSE_BITS, 8, 0, 0),
    X("cvtpd2dq", 0xf2, 1, 0xe6, DSSE_F64, 16, 16, 0),
    { "cvtsi2ss", 0xf3, 1, 0x2a, K_XMM, K_GPR, 0, DSSE_F32, 4, DSSE_I32, 0, F_W },
    { "cvtsi2sd", 0xf2, 1, 0x2a, K_XMM, K_GPR, 0, DSSE_F64, 4, DSSE_I32, 0, F_W },
    { "cvttss2si", 0xf3, 1, 0x2c, K_GPR, K_XMM, 0, DSSE_F32, 4, DSSE_F32, 0, F_W },
    { "cvttsd2si", 0xf2, 1, 0x2c, K_GPR, K_XMM, 0, DSSE_F64, 8, DSSE_F64, 0, F_W },
    { "cvtss2si", 0xf3, 1, 0x2d, K_GPR, K_XMM, 0, DSSE_F32, 4, DSSE_F32, 0, F_W },
    { "cvtsd2si", 0xf2, 1, 0x2d, K_GPR, K_XMM, 0, DSSE_F64, 8, DSSE_F64, 0, F_W },
    { "cvtpi2ps", 0, 1, 0x2a, K_XMM, K_MMX, 0, DSSE_F32, 8, DSSE_BITS, 0, 0 },
    { "cvtpi2pd", 0x66, 1, 0x2a, K_XMM, K_MMX, 0, DSSE_F64, 8, DSSE_BITS, 0, 0 },
    { "cvttps2pi", 0, 1, 0x2c, K_MMX, K_XMM, 0, DSSE_F32, 8, DSSE_F32, 0, 0 },
    { "cvtps2pi", 0, 1, 0x2d, K_MMX, K_XMM, 0, DSSE_F32, 8, DSSE_F32, 0, 0 },
    { "cvttpd2pi", 0x66, 1, 0x2c, K_MMX, K_XMM, 0, DSSE_F64, 16, DSSE_F64, 16, 0 },
    { "cvtpd2pi", 0x66, 1, 0x2d, K_MMX, K_XMM, 0, DSSE_F64, 16, DSSE_F64, 16, 0 },
    /* ---- SSE3 ---- */
    X("haddpd", 0x66, 1, 0x7c, DSSE_F64, 16, 16, F_SSE3),
    X("haddps", 0xf2, 1, 0x7c, DSSE_F32, 16, 16, F_SSE3),
    X("hsubpd", 0x66, 1, 0x7d, DSSE_F64, 16, 16, F_SSE3),
    X("hsubps", 0xf2, 1, 0x7d, DSSE_F32, 16, 16, F_SSE3),
    X("addsubpd", 0x66, 1, 0xd0, DSSE_F64, 16, 16, F_SSE3),
    X("addsubps", 0xf2, 1, 0xd0, DSSE_F32, 16, 16, F_SSE3),
    X("movddup", 0xf2, 1, 0x12, DSSE_F64, 8, 0, F_SSE3),
    X("movsldup", 0xf3, 1, 0x12, DSSE_F32, 16, 16, F_SSE3),
    X("movshdup", 0xf3, 1, 0x16, DSSE_F32, 16, 16, F_SSE3),
    X("lddqu", 0xf2, 1, 0xf0, DSSE_BITS, 16, 0, F_SSE3 | F_MEMONLY),
    /* ---- moves ---- */
    PSPD("movup", "", 0x10, 16, 0, 0),
    X("movss", 0xf3, 1, 0x10, DSSE_F32, 4, 0, 0), X("movsd", 0xf2, 1, 0x10, DSSE_F64, 8, 0, 0),
    PSPD("movup", " st", 0x11, 16, 0, 0),
    X("movss st", 0xf3, 1, 0x11, DSSE_F32, 4, 0, 0),
    X("movsd st", 0xf2, 1, 0x11, DSSE_F64, 8, 0, 0),
    X("movlps/movhlps", 0, 1, 0x12, DSSE_BITS, 8, 0, 0),
    X("movlpd", 0x66, 1, 0x12, DSSE_BITS, 8, 0, F_MEMONLY),
    PSPD("movlp", " st", 0x13, 8, 0, F_MEMONLY),
    X("movhps/movlhps", 0, 1, 0x16, DSSE_BITS, 8, 0, 0),
    X("movhpd", 0x66, 1, 0x16, DSSE_BITS, 8, 0, F_MEMONLY),
    PSPD("movhp", " st", 0x17, 8, 0, F_MEMONLY),
    PSPD("movap", "", 0x28, 16, 16, 0), PSPD("movap", " st", 0x29, 16, 16, 0),
    PSPD("movntp", "", 0x2b, 16, 16, F_MEMONLY),
    X("movdqa", 0x66, 1, 0x6f, DSSE_BITS, 16, 16, 0),
    X("movdqu", 0xf3, 1, 0x6f, DSSE_BITS, 16, 0, 0),
    X("movdqa st", 0x66, 1, 0x7f, DSSE_BITS, 16, 16, 0),
    X("movdqu st", 0xf3, 1, 0x7f, DSSE_BITS, 16, 0, 0),
    X("movq xmm", 0xf3, 1, 0x7e, DSSE_BITS, 8, 0, 0),
    X("movq xmm st", 0x66, 1, 0xd6, DSSE_BITS, 8, 0, 0),
    X("movntdq", 0x66, 1, 0xe7, DSSE_BITS, 16, 16, F_MEMONLY),
    { "movq mm", 0, 1, 0x6f, K_MMX, K_MMX, 0, DSSE_BITS, 8, DSSE_BITS, 0, 0 },
    { "movq mm st", 0, 1, 0x7f, K_MMX, K_MMX, 0, DSSE_BITS, 8, DSSE_BITS, 0, 0 },
    { "movntq", 0, 1, 0xe7, K_MMX, K_MMX, 0, DSSE_BITS, 8, DSSE_BITS, 0, F_MEMONLY },
    { "movd mm,r/m", 0, 1, 0x6e, K_MMX, K_GPR, 0, DSSE_BITS, 4, DSSE_BITS, 0, F_W },
    { "movd xmm,r/m", 0x66, 1, 0x6e, K_XMM, K_GPR, 0, DSSE_BITS, 4, DSSE_BITS, 0, F_W },
    { "movd r/m,mm", 0, 1, 0x7e, K_MMX, K_GPR, 0, DSSE_BITS, 4, DSSE_BITS, 0, F_W },
    { "movd r/m,xmm", 0x66, 1, 0x7e, K_XMM, K_GPR, 0, DSSE_BITS, 4, DSSE_BITS, 0, F_W },
    { "movq2dq", 0xf3, 1, 0xd6, K_XMM, K_MMX, 0, DSSE_BITS, 0, 0, 0, F_REGONLY },
    { "movdq2q", 0xf2, 1, 0xd6, K_MMX, K_XMM, 0, DSSE_BITS, 0, 0, 0, F_REGONLY },
    { "movmskps", 0, 1, 0x50, K_GPR, K_XMM, 0, DSSE_F32, 0, 0, 0, F_REGONLY },
    { "movmskpd", 0x66, 1, 0x50, K_GPR, K_XMM, 0, DSSE_F64, 0, 0, 0, F_REGONLY },
    { "pmovmskb mm", 0, 1, 0xd7, K_GPR, K_MMX, 0, DSSE_BITS, 0, 0, 0, F_REGONLY },
    { "pmovmskb xmm", 0x66, 1, 0xd7, K_GPR, K_XMM, 0, DSSE_BITS, 0, 0, 0, F_REGONLY },
    { "maskmovq", 0, 1, 0xf7, K_MMX, K_MMX, 0, DSSE_BITS, 0, 0, 0, F_REGONLY | F_RDI },
    { "maskmovdqu", 0x66, 1, 0xf7, K_XMM, K_XMM, 0, DSSE_BITS, 0, 0, 0, F_REGONLY | F_RDI },
    { "pinsrw mm", 0, 1, 0xc4, K_MMX, K_GPR, 0, DSSE_BITS, 2, DSSE_BITS, 0, F_IMM },
    { "pinsrw xmm", 0x66, 1, 0xc4, K_XMM, K_GPR, 0, DSSE_BITS, 2, DSSE_BITS, 0, F_IMM },
    { "pextrw mm", 0, 1, 0xc5, K_GPR, K_MMX, 0, DSSE_BITS, 0, 0, 0, F_IMM | F_REGONLY },
    { "pextrw xmm", 0x66, 1, 0xc5, K_GPR, K_XMM, 0, DSSE_BITS, 0, 0, 0, F_IMM | F_REGONLY },
    { "ldmxcsr", 0, 1, 0xae, K_DIGIT, K_XMM, 2, DSSE_BITS, 4, DSSE_MXCSR, 0, F_MEMONLY },
    { "stmxcsr", 0, 1, 0xae, K_DIGIT, K_XMM, 3, DSSE_BITS, 4, DSSE_BITS, 0, F_MEMONLY },
    /* ---- MMX / SSE2 integer ---- */
    MMXSSE("punpcklbw", 1, 0x60, 4), MMXSSE("punpcklwd", 1, 0x61, 4),
    MMXSSE("punpckldq", 1, 0x62, 4),
    MMXSSE("packsswb", 1, 0x63, 8), MMXSSE("pcmpgtb", 1, 0x64, 8), MMXSSE("pcmpgtw", 1, 0x65, 8),
    MMXSSE("pcmpgtd", 1, 0x66, 8), MMXSSE("packuswb", 1, 0x67, 8), MMXSSE("punpckhbw", 1, 0x68, 8),
    MMXSSE("punpckhwd", 1, 0x69, 8), MMXSSE("punpckhdq", 1, 0x6a, 8),
    MMXSSE("packssdw", 1, 0x6b, 8),
    SSE66("punpcklqdq", 1, 0x6c, DSSE_BITS, 16, 16, 0),
    SSE66("punpckhqdq", 1, 0x6d, DSSE_BITS, 16, 16, 0),
    MMXSSE("pcmpeqb", 1, 0x74, 8), MMXSSE("pcmpeqw", 1, 0x75, 8), MMXSSE("pcmpeqd", 1, 0x76, 8),
    MMXSSE("psrlw", 1, 0xd1, 8), MMXSSE("psrld", 1, 0xd2, 8), MMXSSE("psrlq", 1, 0xd3, 8),
    MMXSSE("paddq", 1, 0xd4, 8), MMXSSE("pmullw", 1, 0xd5, 8), MMXSSE("psubusb", 1, 0xd8, 8),
    MMXSSE("psubusw", 1, 0xd9, 8), MMXSSE("pminub", 1, 0xda, 8), MMXSSE("pand", 1, 0xdb, 8),
    MMXSSE("paddusb", 1, 0xdc, 8), MMXSSE("paddusw", 1, 0xdd, 8), MMXSSE("pmaxub", 1, 0xde, 8),
    MMXSSE("pandn", 1, 0xdf, 8), MMXSSE("pavgb", 1, 0xe0, 8), MMXSSE("psraw", 1, 0xe1, 8),
    MMXSSE("psrad", 1, 0xe2, 8), MMXSSE("pavgw", 1, 0xe3, 8), MMXSSE("pmulhuw", 1, 0xe4, 8),
    MMXSSE("pmulhw", 1, 0xe5, 8), MMXSSE("psubsb", 1, 0xe8, 8), MMXSSE("psubsw", 1, 0xe9, 8),
    MMXSSE("pminsw", 1, 0xea, 8), MMXSSE("por", 1, 0xeb, 8), MMXSSE("paddsb", 1, 0xec, 8),
    MMXSSE("paddsw", 1, 0xed, 8), MMXSSE("pmaxsw", 1, 0xee, 8), MMXSSE("pxor", 1, 0xef, 8),
    MMXSSE("psllw", 1, 0xf1, 8), MMXSSE("pslld", 1, 0xf2, 8), MMXSSE("psllq", 1, 0xf3, 8),
    MMXSSE("pmuludq", 1, 0xf4, 8), MMXSSE("pmaddwd", 1, 0xf5, 8), MMXSSE("psadbw", 1, 0xf6, 8),
    MMXSSE("psubb", 1, 0xf8, 8), MMXSSE("psubw", 1, 0xf9, 8), MMXSSE("psubd", 1, 0xfa, 8),
    MMXSSE("psubq", 1, 0xfb, 8), MMXSSE("paddb", 1, 0xfc, 8), MMXSSE("paddw", 1, 0xfd, 8),
    MMXSSE("paddd", 1, 0xfe, 8),
    { "pshufw", 0, 1, 0x70, K_MMX, K_MMX, 0, DSSE_BITS, 8, DSSE_BITS, 0, F_IMM },
    X("pshufd", 0x66, 1, 0x70, DSSE_BITS, 16, 16, F_IMM),
    X("pshufhw", 0xf3, 1, 0x70, DSSE_BITS, 16, 16, F_IMM),
    X("pshuflw", 0xf2, 1, 0x70, DSSE_BITS, 16, 16, F_IMM),
    SHIFTI("psrlw", 0x71, 2), SHIFTI("psraw", 0x71, 4), SHIFTI("psllw", 0x71, 6),
    SHIFTI("psrld", 0x72, 2), SHIFTI("psrad", 0x72, 4), SHIFTI("pslld", 0x72, 6),
    SHIFTI("psrlq", 0x73, 2), SHIFTI("psllq", 0x73, 6),
    { "psrldq", 0x66, 1, 0x73, K_DIGIT, K_XMM, 3, DSSE_BITS, 0, 0, 0, F_IMM | F_REGONLY },
    { "pslldq", 0x66, 1, 0x73, K_DIGIT, K_XMM, 7, DSSE_BITS, 0, 0, 0, F_IMM | F_REGONLY },
    /* ---- SSSE3 ---- */
#define S3(n, o) { n " mm", 0, 2, o, K_MMX, K_MMX, 0, DSSE_BITS, 8, DSSE_BITS, 0, F_SSSE3 }, \
                 X(n " xmm", 0x66, 2, o, DSSE_BITS, 16, 16, F_SSSE3)
    S3("pshufb", 0x00), S3("phaddw", 0x01), S3("phaddd", 0x02), S3("phaddsw", 0x03),
    S3("pmaddubsw", 0x04), S3("phsubw", 0x05), S3("phsubd", 0x06), S3("phsubsw", 0x07),
    S3("psignb", 0x08), S3("psignw", 0x09), S3("psignd", 0x0a), S3("pmulhrsw", 0x0b),
    S3("pabsb", 0x1c), S3("pabsw", 0x1d), S3("pabsd", 0x1e),
    { "palignr mm", 0, 3, 0x0f, K_MMX, K_MMX, 0, DSSE_BITS, 8, DSSE_BITS, 0, F_SSSE3 | F_IMM },
    X("palignr xmm", 0x66, 3, 0x0f, DSSE_BITS, 16, 16, F_SSSE3 | F_IMM),
    /* ---- SSE4.1 ---- */
#define S41(n, o, e) SSE66(n, 2, o, e, 16, 16, F_SSE41)
    S41("pblendvb", 0x10, DSSE_BITS), S41("blendvps", 0x14, DSSE_F32),
    S41("blendvpd", 0x15, DSSE_F64),
    S41("ptest", 0x17, DSSE_BITS), S41("pmuldq", 0x28, DSSE_BITS), S41("pcmpeqq", 0x29, DSSE_BITS),
    S41("packusdw", 0x2b, DSSE_BITS), S41("pminsb", 0x38, DSSE_BITS),
    S41("pminsd", 0x39, DSSE_BITS),
    S41("pminuw", 0x3a, DSSE_BITS), S41("pminud", 0x3b, DSSE_BITS), S41("pmaxsb", 0x3c, DSSE_BITS),
    S41("pmaxsd", 0x3d, DSSE_BITS), S41("pmaxuw", 0x3e, DSSE_BITS), S41("pmaxud", 0x3f, DSSE_BITS),
    S41("pmulld", 0x40, DSSE_BITS), S41("phminposuw", 0x41, DSSE_BITS),
    SSE66("pcmpgtq", 2, 0x37, DSSE_BITS, 16, 16, F_SSE42),
    SSE66("movntdqa", 2, 0x2a, DSSE_BITS, 16, 16, F_SSE41 | F_MEMONLY),
#define PMOVX(n, o, ml) SSE66(n, 2, o, DSSE_BITS, ml, 0, F_SSE41)
    PMOVX("pmovsxbw", 0x20, 8), PMOVX("pmovsxbd", 0x21, 4), PMOVX("pmovsxbq", 0x22, 2),
    PMOVX("pmovsxwd", 0x23, 8), PMOVX("pmovsxwq", 0x24, 4), PMOVX("pmovsxdq", 0x25, 8),
    PMOVX("pmovzxbw", 0x30, 8), PMOVX("pmovzxbd", 0x31, 4), PMOVX("pmovzxbq", 0x32, 2),
    PMOVX("pmovzxwd", 0x33, 8), PMOVX("pmovzxwq", 0x34, 4), PMOVX("pmovzxdq", 0x35, 8),
    SSE66("roundps", 3, 0x08, DSSE_F32, 16, 16, F_SSE41 | F_IMM),
    SSE66("roundpd", 3, 0x09, DSSE_F64, 16, 16, F_SSE41 | F_IMM),
    SSE66("roundss", 3, 0x0a, DSSE_F32, 4, 0, F_SSE41 | F_IMM),
    SSE66("roundsd", 3, 0x0b, DSSE_F64, 8, 0, F_SSE41 | F_IMM),
    SSE66("blendps", 3, 0x0c, DSSE_F32, 16, 16, F_SSE41 | F_IMM),
    SSE66("blendpd", 3, 0x0d, DSSE_F64, 16, 16, F_SSE41 | F_IMM),
    SSE66("pblendw", 3, 0x0e, DSSE_BITS, 16, 16, F_SSE41 | F_IMM),
    SSE66("dpps", 3, 0x40, DSSE_F32, 16, 16, F_SSE41 | F_IMM),
    SSE66("dppd", 3, 0x41, DSSE_F64, 16, 16, F_SSE41 | F_IMM),
    SSE66("mpsadbw", 3, 0x42, DSSE_BITS, 16, 16, F_SSE41 | F_IMM),
    SSE66("insertps", 3, 0x21, DSSE_F32, 4, 0, F_SSE41 | F_IMM),
    { "pextrb", 0x66, 3, 0x14, K_XMM, K_GPR, 0, DSSE_BITS, 1, DSSE_BITS, 0, F_SSE41 | F_IMM },
    { "pextrw r/m", 0x66, 3, 0x15, K_XMM, K_GPR, 0, DSSE_BITS, 2, DSSE_BITS, 0, F_SSE41 | F_IMM },
    { "pextrd/q", 0x66, 3, 0x16, K_XMM, K_GPR, 0, DSSE_BITS, 4, DSSE_BITS, 0, F_INSEXT_Q },
    { "extractps", 0x66, 3, 0x17, K_XMM, K_GPR, 0, DSSE_F32, 4, DSSE_BITS, 0, F_SSE41 | F_IMM },
    { "pinsrb", 0x66, 3, 0x20, K_XMM, K_GPR, 0, DSSE_BITS, 1, DSSE_BITS, 0, F_SSE41 | F_IMM },
    { "pinsrd/q", 0x66, 3, 0x22, K_XMM, K_GPR, 0, DSSE_BITS, 4, DSSE_BITS, 0, F_INSEXT_Q },
    /* ---- SSE4.2 string compares (unaligned m128) ---- */
    { "pcmpestrm", 0x66, 3, 0x60, K_XMM, K_XMM, 0, DSSE_STR, 16, DSSE_STR, 0, F_PCMPESTR },
    { "pcmpestri", 0x66, 3, 0x61, K_XMM, K_XMM, 0, DSSE_STR, 16, DSSE_STR, 0, F_PCMPESTR },
    { "pcmpistrm", 0x66, 3, 0x62, K_XMM, K_XMM, 0, DSSE_STR, 16, DSSE_STR, 0, F_SSE42 | F_IMM },
    { "pcmpistri", 0x66, 3, 0x63, K_XMM, K_XMM, 0, DSSE_STR, 16, DSSE_STR, 0, F_SSE42 | F_IMM },
};

/* ---- Form generation --------------------------------------------------------------- */

struct forms {
    struct diff_sse_form f[MAX_FORMS];
    unsigned n;
};

static bool host_supports(unsigned flags)
{
    if ((flags & F_SSE3) && !diff_host_has(1, 2, 0))
        return false;
    if ((flags & F_SSSE3) && !diff_host_has(1, 2, 9))
        return false;
    if ((flags & F_SSE41) && !diff_host_has(1, 2, 19))
        return false;
    if ((flags & F_SSE42) && !diff_host_has(1, 2, 20))
        return false;
    return true;
}

/* MASKMOVQ/MASKMOVDQU store to DS:rDI: aim it into the data area. */
static void setup_rdi(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    (void)f;
    st->gpr[X86_RDI] = (uintptr_t)env->arena + DIFF_DATA_LEN / 2 + diff_rand_below(env, 512) - 256;
}

/* PCMPESTRx: string lengths in rAX and rDX, mostly small, of either sign. */
static void setup_lengths(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    (void)f;
    for (unsigned r = 0; r < 2; r++) {
        uint64_t v = diff_rand(env);
        uint64_t len = (v & 7) == 0 ? diff_rand_value(env) : (uint64_t)((int64_t)(v >> 8) % 21);
        st->gpr[r ? X86_RDX : X86_RAX] = len;
    }
}

static int pick_reg(struct diff_env *env, unsigned kind, uint16_t avoid)
{
    switch (kind) {
    case K_MMX: return (int)diff_rand_below(env, 8);
    case K_GPR: return diff_pick_gpr(env, DIFF_M64, avoid);
    default: return (int)diff_rand_below(env, 16);
    }
}

static void add_spec(struct diff_sse_env *env, struct forms *fs, const struct spec *sp)
{
    if (!host_supports(sp->flags))
        return;
    struct diff_env *d = &env->d;
    unsigned nw = (sp->flags & F_W) ? 2 : 1;
    for (unsigned w = 0; w < nw; w++) {
        for (unsigned v = 0; v < 4; v++) {
            bool mem = v >= 2;
            if ((mem && (sp->flags & F_REGONLY)) || (!mem && (sp->flags & F_MEMONLY)))
                continue;
            if (mem && !sp->mlen && !(sp->flags & F_MEMONLY))
                continue;
            char name[64];
            snprintf(name, sizeof(name), "%s%s %s", sp->name, w ? " W" : "", mem ? "mem" : "reg");
            struct diff_enc e = { .name = name, .mode = DIFF_M64, .opreg = -1 };
            if (sp->pfx)
                diff_enc_prefix(&e, sp->pfx);
            e.rex_w = w;
            e.rex_force = diff_rand(d) & 1;
            e.opcode[0] = 0x0f;
            e.nopcode = 1;
            if (sp->map == 2)
                e.opcode[e.nopcode++] = 0x38;
            else if (sp->map == 3)
                e.opcode[e.nopcode++] = 0x3a;
            e.opcode[e.nopcode++] = sp->op;
            e.reg = sp->kreg == K_DIGIT ? sp->digit : pick_reg(d, sp->kreg, 0);
            e.rm = mem ? -1 : pick_reg(d, sp->krm, 0);
            if (mem)
                e.mem = v == 2 ? DIFF_MEM_BASE_DISP8 : (diff_rand(d) & 1) ? DIFF_MEM_SIB_DISP32
                                                                          : DIFF_MEM_RIPREL;
            if (sp->flags & F_IMM) {
                e.imm = diff_rand(d) & 0xff;
                e.nimm = 1;
            }
            if (sp->flags & F_RDI)
                e.avoid = 1u << X86_RDI;
            if (sp->flags & F_LENS)
                e.avoid = (1u << X86_RAX) | (1u << X86_RDX);
            assert_true(fs->n < MAX_FORMS);
            struct diff_sse_form *f = &fs->f[fs->n++];
            unsigned mlen = sp->mlen == 4 && w ? 8 : sp->mlen;
            diff_sse_encode(env, f, &e, (enum diff_sse_elem)sp->elem,
                            (enum diff_sse_elem)sp->melem, mlen, sp->align);
            f->x87 = sp->kreg == K_MMX || sp->krm == K_MMX;
            if (sp->flags & F_RDI)
                f->f.setup = setup_rdi;
            if (sp->flags & F_LENS)
                f->f.setup = setup_lengths;
        }
    }
}

static void test_sse(void **state)
{
    (void)state;
    struct diff_sse_env *env = malloc(sizeof(*env));
    struct forms *fs = malloc(sizeof(*fs));
    assert_non_null(env);
    assert_non_null(fs);
    assert_int_equal(diff_sse_env_init(env, 0x55e2a11d), 0);
    fs->n = 0;
    for (unsigned i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        add_spec(env, fs, &specs[i]);
    /* EMMS, with random x87 stacks */
    struct diff_sse_form *f = &fs->f[fs->n++];
    memset(f, 0, sizeof(*f));
    diff_form_raw(&f->f, "emms", DIFF_M64, 0, "\x0f\x77", 2);
    f->x87 = true;
    diff_sse_run_all(env, "sse", fs->f, fs->n, NSTATES);
    diff_sse_env_fini(env);
    free(fs);
    free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
