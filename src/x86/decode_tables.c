/* Opcode tables of the x86 decoder.
 *
 * Rows follow the opcode maps of the Intel SDM Vol. 2, Appendix A:
 * Table A-2 (one-byte map), A-3 (0F map), A-4 (0F 38), A-5 (0F 3A),
 * A-6 (opcode extensions, "groups") and A.4 (x87 escapes D8-DF). Each row
 * carries the SDM form as a trailing comment. Operand macros use the SDM's
 * addressing-method letter and size suffix (A.2.1, A.2.2): Ev = ModRM.rm
 * general register or memory of the operand size, Gb = ModRM.reg byte
 * register, Iz = 16/32-bit immediate, Wx = XMM register or m128, ...
 *
 * Sub-tables (groups, prefix- or mod-selected forms) are compound literals:
 * a link row names the piece of the encoding that selects the entry and the
 * entries themselves. Attributes accumulate along the path from the
 * top-level row to the leaf. A zero row ({0}, op INVALID) is #UD.
 *
 * Deliberate departures from the SDM maps (documented in x86/ops.def):
 * VEX/EVEX/XOP, 3DNow!, VMX/SVM (except the VMCALL/VMMCALL hypercalls),
 * SSE4a, TSX, MPX (0F 1A/1B decode as hint NOPs, as on CPUs without MPX)
 * and CET (ENDBR32/64 are NOPs) are not decoded. */
#include "x86/decode_tables.h"

#include "x86/insn.h"

/* --- operand specifications --- */
#define O_(k, z) X86_OSPEC(OK_##k, SZ_##z)

#define Eb O_(E, B)
#define Ew O_(E, W)
#define Ed O_(E, D)
#define Ev O_(E, V)
#define Ey O_(E, Y)
#define Ez O_(E, Z)
#define Evw O_(E, VW)   /* register: v, memory: w */
#define Ezw O_(E, ZW)   /* register: 16/32, memory: w */
#define Edw O_(E, DW)   /* register: d, memory: w */
#define Edb O_(E, DB)   /* register: d, memory: b */
#define Gb O_(G, B)
#define Gw O_(G, W)
#define Gd O_(G, D)
#define Gv O_(G, V)
#define Gy O_(G, Y)
#define M0 O_(M, 0)
#define Mb O_(M, B)
#define Mw O_(M, W)
#define Md O_(M, D)
#define Mq O_(M, Q)
#define Mt O_(M, T)
#define Mx O_(M, X)
#define Mv O_(M, V)
#define My O_(M, Y)
#define Mp O_(M, P)
#define Ms O_(M, S)
#define Ma O_(M, A)
#define Menv O_(M, ENV)
#define Mfst O_(M, FST)
#define Rv O_(R, V)
#define Ry O_(R, Y)
#define Ib O_(I, B)
#define Iw O_(I, W)
#define Iz O_(I, Z)
#define Iv O_(I, V)
#define Ibs O_(IS, V)
#define Jb O_(J, B)
#define Jz O_(J, Z)
#define Ob O_(O, B)
#define Ov O_(O, V)
#define Ap O_(A, P)
#define One O_(ONE, B)
#define AL O_(RAX, B)
#define AX O_(RAX, W)
#define rAX O_(RAX, V)
#define eAX O_(RAX, Z)
#define CL O_(RCX, B)
#define DX O_(RDX, W)
#define Zb O_(Z, B)
#define Zv O_(Z, V)
#define Sw O_(S, W)
#define sES X86_OSPEC(OK_SEG, X86_ES) /* the size code holds the segment register */
#define sCS X86_OSPEC(OK_SEG, X86_CS)
#define sSS X86_OSPEC(OK_SEG, X86_SS)
#define sDS X86_OSPEC(OK_SEG, X86_DS)
#define sFS X86_OSPEC(OK_SEG, X86_FS)
#define sGS X86_OSPEC(OK_SEG, X86_GS)
#define Cy O_(C, V)
#define Dy O_(D, V)
#define Vx O_(V, X)
#define Wx O_(W, X)
#define Wq O_(W, Q)
#define Wd O_(W, D)
#define Ww O_(W, W)
#define Ux O_(U, X)
#define Pq O_(P, Q)
#define Qq O_(Q, Q)
#define Qd O_(Q, D)
#define Nq O_(N, Q)
#define XMM0 O_(XMM0, X)
#define ST0 O_(ST0, T)
#define STi O_(STI, T)

/* --- rows --- */
/* A leaf: operation, attributes, operands (destination first). */
#define L(name, attr_, ...) L3_(name, attr_, __VA_ARGS__, 0, 0, 0)
#define L3_(name, attr_, a, b, c, ...)                                                   \
    { .op = X86_OP_##name, .attr = (attr_), .shape = SHAPE_OF(a, b, c), .opnd = { a, b, c } }
#define L0(name, attr_) { .op = X86_OP_##name, .attr = (attr_), .shape = SH_NONE }
/* The operand shape of a leaf (enum x86_shape), a constant expression. */
#define SHAPE_OF(a, b, c)                                                                \
    ((c) != 0                                      ? SH_GENERIC                          \
     : (b) == 0 && ((a) == Jb || (a) == Jz)        ? SH_J                                \
     : (b) == 0 && (a) == Zv                       ? SH_Z                                \
     : ((a) == Ev && (b) == Gv) || ((a) == Eb && (b) == Gb) ? SH_EG                      \
     : ((a) == Gv && (b) == Ev) || ((a) == Gb && (b) == Eb) ? SH_GE                      \
                                                   : SH_GENERIC)
#define BAD { 0 }

#define LINK_(kind, n, attr_, ...)                                                       \
    { .attr = (attr_) | (LINK_##kind << A_LINK_SHIFT),                                   \
      .next = (const struct x86_opdesc[n]){ __VA_ARGS__ } }
/* Selected by ModRM.reg (the SDM's groups): 8 entries, designators allowed. */
#define GRP(attr_, ...) LINK_(REG, 8, attr_, __VA_ARGS__)
/* Selected by ModRM.rm (register forms of 0F 01 and x87): 8 entries. */
#define RMSEL(...) LINK_(RM, 8, 0, __VA_ARGS__)
/* Memory form, then register form. */
#define MODSEL(attr_, ...) LINK_(MOD, 2, attr_, __VA_ARGS__)
/* Mandatory prefix: entries for none, 66, F3, F2. */
#define PFX(attr_, ...) LINK_(PFX, 4, attr_, __VA_ARGS__)
#define WSEL(...) LINK_(W, 2, 0, __VA_ARGS__)
#define REXBSEL(...) LINK_(REXB, 2, 0, __VA_ARGS__)
#define MODESEL(attr_, ...) LINK_(MODE, 2, attr_, __VA_ARGS__)

/* Shorthands for common shapes. */
#define MR A_MODRM
/* Runs of identical rows (positional initializers continue after a designator). */
#define REP2(...) __VA_ARGS__, __VA_ARGS__
#define REP4(...) REP2(__VA_ARGS__), REP2(__VA_ARGS__)
#define REP7(...) REP4(__VA_ARGS__), REP2(__VA_ARGS__), __VA_ARGS__
#define REP8(...) REP4(__VA_ARGS__), REP4(__VA_ARGS__)
#define REP16(...) REP8(__VA_ARGS__), REP8(__VA_ARGS__)
/* The eight ALU forms 00-05 + 8*n: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz */
#define ALU6(name, lk)                                                                   \
    L(name, MR | A_BYTE | (lk), Eb, Gb), L(name, MR | (lk), Ev, Gv),                    \
    L(name, MR | A_BYTE, Gb, Eb), L(name, MR, Gv, Ev),                                   \
    L(name, A_BYTE, AL, Ib), L(name, 0, rAX, Iz)
/* Group 1 (80-83 /r): ADD OR ADC SBB AND SUB XOR CMP */
#define GRP1(attr_, d, s)                                                                \
    GRP(attr_, L(ADD, A_LOCK, d, s), L(OR, A_LOCK, d, s), L(ADC, A_LOCK, d, s),         \
        L(SBB, A_LOCK, d, s), L(AND, A_LOCK, d, s), L(SUB, A_LOCK, d, s),               \
        L(XOR, A_LOCK, d, s), L(CMP, 0, d, s))
/* Group 2 (C0 C1 D0-D3 /r): ROL ROR RCL RCR SHL SHR SAL(=SHL) SAR */
#define GRP2(attr_, d, s)                                                                \
    GRP(attr_, L(ROL, 0, d, s), L(ROR, 0, d, s), L(RCL, 0, d, s), L(RCR, 0, d, s),      \
        L(SHL, 0, d, s), L(SHR, 0, d, s), L(SHL, 0, d, s), L(SAR, 0, d, s))
/* MMX form without prefix, SSE2 form with 66 (0F 60-FF integer ops). */
#define MMX_SSE(name, q) PFX(MR, L(name, 0, Pq, q), L(name, 0, Vx, Wx), BAD, BAD)
/* SSE packed-single (none) / packed-double (66) / scalar single (F3) / double (F2). */
#define SSE4(ps, pd, ss, sd)                                                             \
    PFX(MR, L(ps, 0, Vx, Wx), L(pd, 0, Vx, Wx), L(ss, 0, Vx, Wd), L(sd, 0, Vx, Wq))
#define SSE2F(ps, pd) PFX(MR, L(ps, 0, Vx, Wx), L(pd, 0, Vx, Wx), BAD, BAD)
/* 66-only SSE forms (0F 38, 0F 3A maps). */
#define P66(...) PFX(MR, BAD, L(__VA_ARGS__), BAD, BAD)
#define P66_0(name) P66(name, 0, Vx, Wx)
#define P66_I(name) P66(name, 0, Vx, Wx, Ib)
/* x87: memory form (by ModRM.reg), register form (by ModRM.reg). */
#define X87(...) MODSEL(MR, __VA_ARGS__)

/* ---------------------------------------------------------------------------
 * Group sub-tables shared by several rows
 * ------------------------------------------------------------------------- */

/* Group 7 (0F 01), SDM Table A-6 */
#define GRP7                                                                             \
    MODSEL(MR,                                                                           \
        GRP(0, L(SGDT, 0, Ms), L(SIDT, 0, Ms), L(LGDT, 0, Ms), L(LIDT, 0, Ms),          \
            L(SMSW, 0, Mw), BAD, L(LMSW, 0, Mw), L(INVLPG, 0, Mb)),                     \
        GRP(0,                                                                           \
            RMSEL([1] = L0(VMCALL, 0)),                              /* C1 */            \
            RMSEL(L0(MONITOR, 0), L0(MWAIT, 0), L0(CLAC, 0), L0(STAC, 0)), /* C8-CB */   \
            RMSEL(L0(XGETBV, 0), L0(XSETBV, 0)),                     /* D0 D1 */         \
            RMSEL([1] = L0(VMMCALL, 0)),                             /* D9 */            \
            L(SMSW, 0, Rv),                                          /* E0-E7 */         \
            RMSEL([6] = L0(RDPKRU, 0), [7] = L0(WRPKRU, 0)),         /* EE EF */         \
            L(LMSW, 0, Ew),                                          /* F0-F7 */         \
            RMSEL(L0(SWAPGS, A_O64), L0(RDTSCP, 0))))                /* F8 F9 */

/* Group 15 (0F AE) */
#define GRP15                                                                            \
    MODSEL(MR,                                                                           \
        PFX(0,                                                                           \
            GRP(0, L(FXSAVE, 0, M0), L(FXRSTOR, 0, M0), L(LDMXCSR, 0, Md),              \
                L(STMXCSR, 0, Md), L(XSAVE, 0, M0), L(XRSTOR, 0, M0),                   \
                L(XSAVEOPT, 0, M0), L(CLFLUSH, 0, Mb)),                                 \
            GRP(0, [6] = L(CLWB, 0, Mb), [7] = L(CLFLUSHOPT, 0, Mb)),                   \
            BAD, BAD),                                                                   \
        PFX(0,                                                                           \
            GRP(0, [5] = L0(LFENCE, 0), [6] = L0(MFENCE, 0), [7] = L0(SFENCE, 0)),      \
            GRP(0, [5] = L0(LFENCE, 0), [6] = L0(MFENCE, 0), [7] = L0(SFENCE, 0)),      \
            GRP(A_O64, L(RDFSBASE, 0, Ry), L(RDGSBASE, 0, Ry), L(WRFSBASE, 0, Ry),      \
                L(WRGSBASE, 0, Ry)),                                                     \
            BAD))

/* Group 9 (0F C7) */
#define GRP9_RDRAND GRP(0, [6] = L(RDRAND, 0, Rv), [7] = L(RDSEED, 0, Rv))
#define GRP9                                                                             \
    MODSEL(MR,                                                                           \
        GRP(0, [1] = WSEL(L(CMPXCHG8B, A_LOCK, Mq), L(CMPXCHG16B, A_LOCK, Mx)),          \
            [3] = L(XRSTORS, 0, M0), [4] = L(XSAVEC, 0, M0), [5] = L(XSAVES, 0, M0)),   \
        PFX(0, GRP9_RDRAND, GRP9_RDRAND, GRP(0, [7] = L(RDPID, A_SZMODE, Rv)), BAD))

/* Groups 12 and 13 (0F 71, 0F 72): shifts of MMX (no prefix) or XMM (66) by Ib */
#define SHIFTGRP(r2, r4, r6)                                                             \
    PFX(MR,                                                                              \
        GRP(0, [2] = L(r2, 0, Nq, Ib), [4] = L(r4, 0, Nq, Ib), [6] = L(r6, 0, Nq, Ib)),  \
        GRP(0, [2] = L(r2, 0, Ux, Ib), [4] = L(r4, 0, Ux, Ib), [6] = L(r6, 0, Ux, Ib)),  \
        BAD, BAD)

/* ---------------------------------------------------------------------------
 * x87 escapes D8-DF (SDM A.4, Tables)
 * ------------------------------------------------------------------------- */
#define X87_ARITH_MEM(m)                                                                 \
    GRP(0, L(FADD, 0, m), L(FMUL, 0, m), L(FCOM, 0, m), L(FCOMP, 0, m), L(FSUB, 0, m),  \
        L(FSUBR, 0, m), L(FDIV, 0, m), L(FDIVR, 0, m))
#define X87_IARITH_MEM(m)                                                                \
    GRP(0, L(FIADD, 0, m), L(FIMUL, 0, m), L(FICOM, 0, m), L(FICOMP, 0, m),             \
        L(FISUB, 0, m), L(FISUBR, 0, m), L(FIDIV, 0, m), L(FIDIVR, 0, m))

#define X87_D8                                                                           \
    X87(X87_ARITH_MEM(Md),                                                               \
        GRP(0, L(FADD, 0, ST0, STi), L(FMUL, 0, ST0, STi), L(FCOM, 0, STi),             \
            L(FCOMP, 0, STi), L(FSUB, 0, ST0, STi), L(FSUBR, 0, ST0, STi),              \
            L(FDIV, 0, ST0, STi), L(FDIVR, 0, ST0, STi)))
#define X87_D9                                                                           \
    X87(GRP(0, L(FLD, 0, Md), BAD, L(FST, 0, Md), L(FSTP, 0, Md), L(FLDENV, 0, Menv),   \
            L(FLDCW, 0, Mw), L(FNSTENV, 0, Menv), L(FNSTCW, 0, Mw)),                    \
        GRP(0, L(FLD, 0, STi), L(FXCH, 0, STi),                                          \
            RMSEL(L0(FNOP, 0)),                                        /* D0 */          \
            L(FSTP, 0, STi),                                           /* D8+i alias */  \
            RMSEL(L0(FCHS, 0), L0(FABS, 0), BAD, BAD, L0(FTST, 0), L0(FXAM, 0)),         \
            RMSEL(L0(FLD1, 0), L0(FLDL2T, 0), L0(FLDL2E, 0), L0(FLDPI, 0),               \
                  L0(FLDLG2, 0), L0(FLDLN2, 0), L0(FLDZ, 0)),                            \
            RMSEL(L0(F2XM1, 0), L0(FYL2X, 0), L0(FPTAN, 0), L0(FPATAN, 0),               \
                  L0(FXTRACT, 0), L0(FPREM1, 0), L0(FDECSTP, 0), L0(FINCSTP, 0)),        \
            RMSEL(L0(FPREM, 0), L0(FYL2XP1, 0), L0(FSQRT, 0), L0(FSINCOS, 0),            \
                  L0(FRNDINT, 0), L0(FSCALE, 0), L0(FSIN, 0), L0(FCOS, 0))))
#define X87_DA                                                                           \
    X87(X87_IARITH_MEM(Md),                                                              \
        GRP(0, L(FCMOVB, 0, ST0, STi), L(FCMOVE, 0, ST0, STi), L(FCMOVBE, 0, ST0, STi), \
            L(FCMOVU, 0, ST0, STi), BAD, RMSEL([1] = L0(FUCOMPP, 0))))
#define X87_DB                                                                           \
    X87(GRP(0, L(FILD, 0, Md), L(FISTTP, 0, Md), L(FIST, 0, Md), L(FISTP, 0, Md), BAD,  \
            L(FLD, 0, Mt), BAD, L(FSTP, 0, Mt)),                                         \
        GRP(0, L(FCMOVNB, 0, ST0, STi), L(FCMOVNE, 0, ST0, STi),                         \
            L(FCMOVNBE, 0, ST0, STi), L(FCMOVNU, 0, ST0, STi),                           \
            /* E0 FENI, E1 FDISI, E4 FSETPM: no-ops since the 80287 */                   \
            RMSEL(L0(FNOP, 0), L0(FNOP, 0), L0(FNCLEX, 0), L0(FNINIT, 0), L0(FNOP, 0)),  \
            L(FUCOMI, 0, ST0, STi), L(FCOMI, 0, ST0, STi), BAD))
#define X87_DC                                                                           \
    X87(X87_ARITH_MEM(Mq),                                                               \
        GRP(0, L(FADD, 0, STi, ST0), L(FMUL, 0, STi, ST0), L(FCOM, 0, STi),             \
            L(FCOMP, 0, STi), L(FSUBR, 0, STi, ST0), L(FSUB, 0, STi, ST0),              \
            L(FDIVR, 0, STi, ST0), L(FDIV, 0, STi, ST0)))
#define X87_DD                                                                           \
    X87(GRP(0, L(FLD, 0, Mq), L(FISTTP, 0, Mq), L(FST, 0, Mq), L(FSTP, 0, Mq),          \
            L(FRSTOR, 0, Mfst), BAD, L(FNSAVE, 0, Mfst), L(FNSTSW, 0, Mw)),              \
        GRP(0, L(FFREE, 0, STi), L(FXCH, 0, STi), L(FST, 0, STi), L(FSTP, 0, STi),      \
            L(FUCOM, 0, STi), L(FUCOMP, 0, STi)))
#define X87_DE                                                                           \
    X87(X87_IARITH_MEM(Mw),                                                              \
        GRP(0, L(FADDP, 0, STi, ST0), L(FMULP, 0, STi, ST0), L(FCOMP, 0, STi),          \
            RMSEL([1] = L0(FCOMPP, 0)), L(FSUBRP, 0, STi, ST0), L(FSUBP, 0, STi, ST0),  \
            L(FDIVRP, 0, STi, ST0), L(FDIVP, 0, STi, ST0)))
#define X87_DF                                                                           \
    X87(GRP(0, L(FILD, 0, Mw), L(FISTTP, 0, Mw), L(FIST, 0, Mw), L(FISTP, 0, Mw),       \
            L(FBLD, 0, Mt), L(FILD, 0, Mq), L(FBSTP, 0, Mt), L(FISTP, 0, Mq)),          \
        GRP(0, L(FFREEP, 0, STi), L(FXCH, 0, STi), L(FSTP, 0, STi), L(FSTP, 0, STi),    \
            RMSEL(L(FNSTSW, 0, AX)), L(FUCOMIP, 0, ST0, STi), L(FCOMIP, 0, ST0, STi),   \
            BAD))

/* ---------------------------------------------------------------------------
 * The maps
 * ------------------------------------------------------------------------- */
const struct x86_opdesc x86_decode_map[4][256] = {
/* One-byte opcode map (SDM Table A-2). Prefix bytes, 0F and the REX range
 * in 64-bit mode are handled by the decoder before the lookup. */
[0] = {
    [0x00] = ALU6(ADD, A_LOCK),                     /* 00-05 ADD */
    [0x06] = L(PUSH, A_I64, sES),                   /* PUSH ES */
    [0x07] = L(POP, A_I64, sES),                    /* POP ES */
    [0x08] = ALU6(OR, A_LOCK),                      /* 08-0D OR */
    [0x0e] = L(PUSH, A_I64, sCS),                   /* PUSH CS */
    [0x10] = ALU6(ADC, A_LOCK),                     /* 10-15 ADC */
    [0x16] = L(PUSH, A_I64, sSS),                   /* PUSH SS */
    [0x17] = L(POP, A_I64, sSS),                    /* POP SS */
    [0x18] = ALU6(SBB, A_LOCK),                     /* 18-1D SBB */
    [0x1e] = L(PUSH, A_I64, sDS),                   /* PUSH DS */
    [0x1f] = L(POP, A_I64, sDS),                    /* POP DS */
    [0x20] = ALU6(AND, A_LOCK),                     /* 20-25 AND */
    [0x27] = L0(DAA, A_I64),                        /* DAA */
    [0x28] = ALU6(SUB, A_LOCK),                     /* 28-2D SUB */
    [0x2f] = L0(DAS, A_I64),                        /* DAS */
    [0x30] = ALU6(XOR, A_LOCK),                     /* 30-35 XOR */
    [0x37] = L0(AAA, A_I64),                        /* AAA */
    [0x38] = ALU6(CMP, 0),                          /* 38-3D CMP */
    [0x3f] = L0(AAS, A_I64),                        /* AAS */
    [0x40] = REP8(L(INC, A_I64, Zv)),            /* INC Zv (REX in 64-bit mode) */
    [0x48] = REP8(L(DEC, A_I64, Zv)),            /* DEC Zv (REX in 64-bit mode) */
    [0x50] = REP8(L(PUSH, A_D64, Zv)),           /* PUSH rZv */
    [0x58] = REP8(L(POP, A_D64, Zv)),            /* POP rZv */
    [0x60] = L0(PUSHA, A_I64),                      /* PUSHA/PUSHAD */
    [0x61] = L0(POPA, A_I64),                       /* POPA/POPAD */
    [0x62] = L(BOUND, MR | A_I64, Gv, Ma),          /* BOUND Gv,Ma (EVEX in 64-bit) */
    [0x63] = MODESEL(MR,
                L(ARPL, A_PROT, Ew, Gw),            /* ARPL Ew,Gw */
                L(MOVSXD, 0, Gv, Ez)),              /* MOVSXD Gv,Ez (64-bit mode) */
    [0x68] = L(PUSH, A_D64, Iz),                    /* PUSH Iz */
    [0x69] = L(IMUL, MR, Gv, Ev, Iz),               /* IMUL Gv,Ev,Iz */
    [0x6a] = L(PUSH, A_D64, Ibs),                   /* PUSH Ib */
    [0x6b] = L(IMUL, MR, Gv, Ev, Ibs),              /* IMUL Gv,Ev,Ib */
    [0x6c] = L0(INS, A_BYTE),                       /* INSB */
    [0x6d] = L0(INS, A_NOW),                        /* INSW/INSD */
    [0x6e] = L0(OUTS, A_BYTE),                      /* OUTSB */
    [0x6f] = L0(OUTS, A_NOW),                       /* OUTSW/OUTSD */
    [0x70] = REP16(L(JCC, A_F64, Jb)),            /* Jcc Jb */
    [0x80] = GRP1(MR | A_BYTE, Eb, Ib),             /* Grp1 Eb,Ib */
    [0x81] = GRP1(MR, Ev, Iz),                      /* Grp1 Ev,Iz */
    [0x82] = GRP1(MR | A_BYTE | A_I64, Eb, Ib),     /* Grp1 Eb,Ib (alias of 80) */
    [0x83] = GRP1(MR, Ev, Ibs),                     /* Grp1 Ev,Ib */
    [0x84] = L(TEST, MR | A_BYTE, Eb, Gb),          /* TEST Eb,Gb */
    [0x85] = L(TEST, MR, Ev, Gv),                   /* TEST Ev,Gv */
    [0x86] = L(XCHG, MR | A_BYTE | A_LOCK, Eb, Gb), /* XCHG Eb,Gb */
    [0x87] = L(XCHG, MR | A_LOCK, Ev, Gv),          /* XCHG Ev,Gv */
    [0x88] = L(MOV, MR | A_BYTE, Eb, Gb),           /* MOV Eb,Gb */
    [0x89] = L(MOV, MR, Ev, Gv),                    /* MOV Ev,Gv */
    [0x8a] = L(MOV, MR | A_BYTE, Gb, Eb),           /* MOV Gb,Eb */
    [0x8b] = L(MOV, MR, Gv, Ev),                    /* MOV Gv,Ev */
    [0x8c] = L(MOV_FROM_SREG, MR, Evw, Sw),         /* MOV Ev,Sw */
    [0x8d] = L(LEA, MR, Gv, M0),                    /* LEA Gv,M */
    [0x8e] = L(MOV_TO_SREG, MR, Sw, Evw),           /* MOV Sw,Ew */
    [0x8f] = GRP(MR | A_D64, L(POP, 0, Ev)),        /* Grp1A: POP Ev (XOP otherwise) */
    [0x90] = REXBSEL(
                PFX(0, L0(NOP, 0), L0(NOP, 0), L0(PAUSE, 0), L0(NOP, 0)), /* NOP, PAUSE */
                L(XCHG, 0, rAX, Zv)),               /* XCHG r8,rAX */
    [0x91] = REP7(L(XCHG, 0, rAX, Zv)),          /* XCHG rAX,Zv */
    [0x98] = L0(CBW, 0),                            /* CBW/CWDE/CDQE */
    [0x99] = L0(CWD, 0),                            /* CWD/CDQ/CQO */
    [0x9a] = L(CALLF, A_I64, Ap),                   /* CALL Ap */
    [0x9b] = L0(FWAIT, 0),                          /* FWAIT */
    [0x9c] = L0(PUSHF, A_D64),                      /* PUSHF/D/Q */
    [0x9d] = L0(POPF, A_D64),                       /* POPF/D/Q */
    [0x9e] = L0(SAHF, 0),                           /* SAHF */
    [0x9f] = L0(LAHF, 0),                           /* LAHF */
    [0xa0] = L(MOV, A_BYTE, AL, Ob),                /* MOV AL,Ob */
    [0xa1] = L(MOV, 0, rAX, Ov),                    /* MOV rAX,Ov */
    [0xa2] = L(MOV, A_BYTE, Ob, AL),                /* MOV Ob,AL */
    [0xa3] = L(MOV, 0, Ov, rAX),                    /* MOV Ov,rAX */
    [0xa4] = L0(MOVS, A_BYTE),                      /* MOVSB */
    [0xa5] = L0(MOVS, 0),                           /* MOVSW/D/Q */
    [0xa6] = L0(CMPS, A_BYTE),                      /* CMPSB */
    [0xa7] = L0(CMPS, 0),                           /* CMPSW/D/Q */
    [0xa8] = L(TEST, A_BYTE, AL, Ib),               /* TEST AL,Ib */
    [0xa9] = L(TEST, 0, rAX, Iz),                   /* TEST rAX,Iz */
    [0xaa] = L0(STOS, A_BYTE),                      /* STOSB */
    [0xab] = L0(STOS, 0),                           /* STOSW/D/Q */
    [0xac] = L0(LODS, A_BYTE),                      /* LODSB */
    [0xad] = L0(LODS, 0),                           /* LODSW/D/Q */
    [0xae] = L0(SCAS, A_BYTE),                      /* SCASB */
    [0xaf] = L0(SCAS, 0),                           /* SCASW/D/Q */
    [0xb0] = REP8(L(MOV, A_BYTE, Zb, Ib)),       /* MOV Zb,Ib */
    [0xb8] = REP8(L(MOV, 0, Zv, Iv)),            /* MOV Zv,Iv */
    [0xc0] = GRP2(MR | A_BYTE, Eb, Ib),             /* Grp2 Eb,Ib */
    [0xc1] = GRP2(MR, Ev, Ib),                      /* Grp2 Ev,Ib */
    [0xc2] = L(RET, A_F64, Iw),                     /* RET Iw (near) */
    [0xc3] = L0(RET, A_F64),                        /* RET (near) */
    [0xc4] = L(LES, MR | A_I64, Gv, Mp),            /* LES Gz,Mp (VEX3 in 64-bit / mod=3) */
    [0xc5] = L(LDS, MR | A_I64, Gv, Mp),            /* LDS Gz,Mp (VEX2 in 64-bit / mod=3) */
    [0xc6] = GRP(MR | A_BYTE, L(MOV, 0, Eb, Ib)),   /* Grp11: MOV Eb,Ib */
    [0xc7] = GRP(MR, L(MOV, 0, Ev, Iz)),            /* Grp11: MOV Ev,Iz */
    [0xc8] = L(ENTER, A_D64, Iw, Ib),               /* ENTER Iw,Ib */
    [0xc9] = L0(LEAVE, A_D64),                      /* LEAVE */
    [0xca] = L(RETF, 0, Iw),                        /* RET Iw (far) */
    [0xcb] = L0(RETF, 0),                           /* RET (far) */
    [0xcc] = L0(INT3, 0),                           /* INT3 */
    [0xcd] = L(INT, 0, Ib),                         /* INT Ib */
    [0xce] = L0(INTO, A_I64),                       /* INTO */
    [0xcf] = L0(IRET, 0),                           /* IRET/D/Q */
    [0xd0] = GRP2(MR | A_BYTE, Eb, One),            /* Grp2 Eb,1 */
    [0xd1] = GRP2(MR, Ev, One),                     /* Grp2 Ev,1 */
    [0xd2] = GRP2(MR | A_BYTE, Eb, CL),             /* Grp2 Eb,CL */
    [0xd3] = GRP2(MR, Ev, CL),                      /* Grp2 Ev,CL */
    [0xd4] = L(AAM, A_I64, Ib),                     /* AAM Ib */
    [0xd5] = L(AAD, A_I64, Ib),                     /* AAD Ib */
    [0xd6] = L0(SALC, A_I64),                       /* SALC (undocumented) */
    [0xd7] = L0(XLAT, 0),                           /* XLAT */
    [0xd8] = X87_D8,                                /* x87 escapes */
    [0xd9] = X87_D9,
    [0xda] = X87_DA,
    [0xdb] = X87_DB,
    [0xdc] = X87_DC,
    [0xdd] = X87_DD,
    [0xde] = X87_DE,
    [0xdf] = X87_DF,
    [0xe0] = L(LOOPNE, A_F64, Jb),                  /* LOOPNE Jb */
    [0xe1] = L(LOOPE, A_F64, Jb),                   /* LOOPE Jb */
    [0xe2] = L(LOOP, A_F64, Jb),                    /* LOOP Jb */
    [0xe3] = L(JCXZ, A_F64, Jb),                    /* JrCXZ Jb */
    [0xe4] = L(IN, A_BYTE, AL, Ib),                 /* IN AL,Ib */
    [0xe5] = L(IN, A_NOW, eAX, Ib),                 /* IN eAX,Ib */
    [0xe6] = L(OUT, A_BYTE, Ib, AL),                /* OUT Ib,AL */
    [0xe7] = L(OUT, A_NOW, Ib, eAX),                /* OUT Ib,eAX */
    [0xe8] = L(CALL, A_F64, Jz),                    /* CALL Jz */
    [0xe9] = L(JMP, A_F64, Jz),                     /* JMP Jz */
    [0xea] = L(JMPF, A_I64, Ap),                    /* JMP Ap */
    [0xeb] = L(JMP, A_F64, Jb),                     /* JMP Jb */
    [0xec] = L(IN, A_BYTE, AL, DX),                 /* IN AL,DX */
    [0xed] = L(IN, A_NOW, eAX, DX),                 /* IN eAX,DX */
    [0xee] = L(OUT, A_BYTE, DX, AL),                /* OUT DX,AL */
    [0xef] = L(OUT, A_NOW, DX, eAX),                /* OUT DX,eAX */
    [0xf1] = L0(INT1, 0),                           /* INT1 (ICEBP) */
    [0xf4] = L0(HLT, 0),                            /* HLT */
    [0xf5] = L0(CMC, 0),                            /* CMC */
    [0xf6] = GRP(MR | A_BYTE,                       /* Grp3 Eb */
                L(TEST, 0, Eb, Ib), L(TEST, 0, Eb, Ib), L(NOT, A_LOCK, Eb),
                L(NEG, A_LOCK, Eb), L(MUL, 0, Eb), L(IMUL, 0, Eb), L(DIV, 0, Eb),
                L(IDIV, 0, Eb)),
    [0xf7] = GRP(MR,                                /* Grp3 Ev */
                L(TEST, 0, Ev, Iz), L(TEST, 0, Ev, Iz), L(NOT, A_LOCK, Ev),
                L(NEG, A_LOCK, Ev), L(MUL, 0, Ev), L(IMUL, 0, Ev), L(DIV, 0, Ev),
                L(IDIV, 0, Ev)),
    [0xf8] = L0(CLC, 0),                            /* CLC */
    [0xf9] = L0(STC, 0),                            /* STC */
    [0xfa] = L0(CLI, 0),                            /* CLI */
    [0xfb] = L0(STI, 0),                            /* STI */
    [0xfc] = L0(CLD, 0),                            /* CLD */
    [0xfd] = L0(STD, 0),                            /* STD */
    [0xfe] = GRP(MR | A_BYTE,                       /* Grp4 */
                L(INC, A_LOCK, Eb), L(DEC, A_LOCK, Eb)),
    [0xff] = GRP(MR,                                /* Grp5 */
                L(INC, A_LOCK, Ev), L(DEC, A_LOCK, Ev), L(CALL, A_F64, Ev),
                L(CALLF, 0, Mp), L(JMP, A_F64, Ev), L(JMPF, 0, Mp), L(PUSH, A_D64, Ev)),
},

/* Two-byte map 0F xx (SDM Table A-3) */
[1] = {
    [0x00] = GRP(MR | A_PROT,                       /* Grp6 */
                L(SLDT, 0, Evw), L(STR, 0, Evw), L(LLDT, 0, Ew), L(LTR, 0, Ew),
                L(VERR, 0, Ew), L(VERW, 0, Ew)),
    [0x01] = GRP7,                                  /* Grp7 */
    [0x02] = L(LAR, MR | A_PROT, Gv, Ezw),          /* LAR Gv,Ew */
    [0x03] = L(LSL, MR | A_PROT, Gv, Ezw),          /* LSL Gv,Ew */
    [0x05] = L0(SYSCALL, 0),                        /* SYSCALL */
    [0x06] = L0(CLTS, 0),                           /* CLTS */
    [0x07] = L0(SYSRET, 0),                         /* SYSRET */
    [0x08] = L0(INVD, 0),                           /* INVD */
    [0x09] = L0(WBINVD, 0),                         /* WBINVD */
    [0x0b] = L0(UD2, 0),                            /* UD2 */
    [0x0d] = MODSEL(MR,                             /* Grp P (AMD prefetch) */
                GRP(0, L(PREFETCH, 0, Mb), L(PREFETCHW, 0, Mb)), BAD),
    [0x10] = PFX(MR, L(MOVUPS, 0, Vx, Wx), L(MOVUPD, 0, Vx, Wx),
                L(MOVSS, 0, Vx, Wd), L(MOVSD, 0, Vx, Wq)),
    [0x11] = PFX(MR, L(MOVUPS, 0, Wx, Vx), L(MOVUPD, 0, Wx, Vx),
                L(MOVSS, 0, Wd, Vx), L(MOVSD, 0, Wq, Vx)),
    [0x12] = PFX(MR,
                MODSEL(0, L(MOVLPS, 0, Vx, Mq), L(MOVHLPS, 0, Vx, Ux)),
                L(MOVLPD, 0, Vx, Mq), L(MOVSLDUP, 0, Vx, Wx), L(MOVDDUP, 0, Vx, Wq)),
    [0x13] = PFX(MR, L(MOVLPS, 0, Mq, Vx), L(MOVLPD, 0, Mq, Vx), BAD, BAD),
    [0x14] = SSE2F(UNPCKLPS, UNPCKLPD),
    [0x15] = SSE2F(UNPCKHPS, UNPCKHPD),
    [0x16] = PFX(MR,
                MODSEL(0, L(MOVHPS, 0, Vx, Mq), L(MOVLHPS, 0, Vx, Ux)),
                L(MOVHPD, 0, Vx, Mq), L(MOVSHDUP, 0, Vx, Wx), BAD),
    [0x17] = PFX(MR, L(MOVHPS, 0, Mq, Vx), L(MOVHPD, 0, Mq, Vx), BAD, BAD),
    [0x18] = MODSEL(MR,                             /* Grp16: prefetch, hint NOPs */
                GRP(0, L(PREFETCHNTA, 0, Mb), L(PREFETCHT0, 0, Mb), L(PREFETCHT1, 0, Mb),
                    L(PREFETCHT2, 0, Mb), L(NOP, 0, Ev), L(NOP, 0, Ev), L(NOP, 0, Ev),
                    L(NOP, 0, Ev)),
                L(NOP, 0, Ev)),
    [0x19] = REP7(L(NOP, MR, Ev)),               /* NOP Ev (hint NOPs, ENDBR) */
    [0x20] = L(MOV_FROM_CR, MR | A_SZMODE | A_MODIGN, Rv, Cy), /* MOV Ry,Cy */
    [0x21] = L(MOV_FROM_DR, MR | A_SZMODE | A_MODIGN, Rv, Dy), /* MOV Ry,Dy */
    [0x22] = L(MOV_TO_CR, MR | A_SZMODE | A_MODIGN, Cy, Rv),   /* MOV Cy,Ry */
    [0x23] = L(MOV_TO_DR, MR | A_SZMODE | A_MODIGN, Dy, Rv),   /* MOV Dy,Ry */
    [0x28] = SSE2F(MOVAPS, MOVAPD),
    [0x29] = PFX(MR, L(MOVAPS, 0, Wx, Vx), L(MOVAPD, 0, Wx, Vx), BAD, BAD),
    [0x2a] = PFX(MR, L(CVTPI2PS, 0, Vx, Qq), L(CVTPI2PD, 0, Vx, Qq),
                L(CVTSI2SS, 0, Vx, Ey), L(CVTSI2SD, 0, Vx, Ey)),
    [0x2b] = PFX(MR, L(MOVNTPS, 0, Mx, Vx), L(MOVNTPD, 0, Mx, Vx), BAD, BAD),
    [0x2c] = PFX(MR, L(CVTTPS2PI, 0, Pq, Wq), L(CVTTPD2PI, 0, Pq, Wx),
                L(CVTTSS2SI, 0, Gy, Wd), L(CVTTSD2SI, 0, Gy, Wq)),
    [0x2d] = PFX(MR, L(CVTPS2PI, 0, Pq, Wq), L(CVTPD2PI, 0, Pq, Wx),
                L(CVTSS2SI, 0, Gy, Wd), L(CVTSD2SI, 0, Gy, Wq)),
    [0x2e] = PFX(MR, L(UCOMISS, 0, Vx, Wd), L(UCOMISD, 0, Vx, Wq), BAD, BAD),
    [0x2f] = PFX(MR, L(COMISS, 0, Vx, Wd), L(COMISD, 0, Vx, Wq), BAD, BAD),
    [0x30] = L0(WRMSR, 0),                          /* WRMSR */
    [0x31] = L0(RDTSC, 0),                          /* RDTSC */
    [0x32] = L0(RDMSR, 0),                          /* RDMSR */
    [0x33] = L0(RDPMC, 0),                          /* RDPMC */
    [0x34] = L0(SYSENTER, 0),                       /* SYSENTER */
    [0x35] = L0(SYSEXIT, 0),                        /* SYSEXIT */
    [0x40] = REP16(L(CMOVCC, MR, Gv, Ev)),        /* CMOVcc Gv,Ev */
    [0x50] = PFX(MR, L(MOVMSKPS, 0, Gd, Ux), L(MOVMSKPD, 0, Gd, Ux), BAD, BAD),
    [0x51] = SSE4(SQRTPS, SQRTPD, SQRTSS, SQRTSD),
    [0x52] = PFX(MR, L(RSQRTPS, 0, Vx, Wx), BAD, L(RSQRTSS, 0, Vx, Wd), BAD),
    [0x53] = PFX(MR, L(RCPPS, 0, Vx, Wx), BAD, L(RCPSS, 0, Vx, Wd), BAD),
    [0x54] = SSE2F(ANDPS, ANDPD),
    [0x55] = SSE2F(ANDNPS, ANDNPD),
    [0x56] = SSE2F(ORPS, ORPD),
    [0x57] = SSE2F(XORPS, XORPD),
    [0x58] = SSE4(ADDPS, ADDPD, ADDSS, ADDSD),
    [0x59] = SSE4(MULPS, MULPD, MULSS, MULSD),
    [0x5a] = PFX(MR, L(CVTPS2PD, 0, Vx, Wq), L(CVTPD2PS, 0, Vx, Wx),
                L(CVTSS2SD, 0, Vx, Wd), L(CVTSD2SS, 0, Vx, Wq)),
    [0x5b] = PFX(MR, L(CVTDQ2PS, 0, Vx, Wx), L(CVTPS2DQ, 0, Vx, Wx),
                L(CVTTPS2DQ, 0, Vx, Wx), BAD),
    [0x5c] = SSE4(SUBPS, SUBPD, SUBSS, SUBSD),
    [0x5d] = SSE4(MINPS, MINPD, MINSS, MINSD),
    [0x5e] = SSE4(DIVPS, DIVPD, DIVSS, DIVSD),
    [0x5f] = SSE4(MAXPS, MAXPD, MAXSS, MAXSD),
    [0x60] = MMX_SSE(PUNPCKLBW, Qd),
    [0x61] = MMX_SSE(PUNPCKLWD, Qd),
    [0x62] = MMX_SSE(PUNPCKLDQ, Qd),
    [0x63] = MMX_SSE(PACKSSWB, Qq),
    [0x64] = MMX_SSE(PCMPGTB, Qq),
    [0x65] = MMX_SSE(PCMPGTW, Qq),
    [0x66] = MMX_SSE(PCMPGTD, Qq),
    [0x67] = MMX_SSE(PACKUSWB, Qq),
    [0x68] = MMX_SSE(PUNPCKHBW, Qq),
    [0x69] = MMX_SSE(PUNPCKHWD, Qq),
    [0x6a] = MMX_SSE(PUNPCKHDQ, Qq),
    [0x6b] = MMX_SSE(PACKSSDW, Qq),
    [0x6c] = PFX(MR, BAD, L(PUNPCKLQDQ, 0, Vx, Wx), BAD, BAD),
    [0x6d] = PFX(MR, BAD, L(PUNPCKHQDQ, 0, Vx, Wx), BAD, BAD),
    [0x6e] = PFX(MR, L(MOVD, 0, Pq, Ey), L(MOVD, 0, Vx, Ey), BAD, BAD),
    [0x6f] = PFX(MR, L(MOVQ, 0, Pq, Qq), L(MOVDQA, 0, Vx, Wx), L(MOVDQU, 0, Vx, Wx), BAD),
    [0x70] = PFX(MR, L(PSHUFW, 0, Pq, Qq, Ib), L(PSHUFD, 0, Vx, Wx, Ib),
                L(PSHUFHW, 0, Vx, Wx, Ib), L(PSHUFLW, 0, Vx, Wx, Ib)),
    [0x71] = SHIFTGRP(PSRLW, PSRAW, PSLLW),  /* Grp12 */
    [0x72] = SHIFTGRP(PSRLD, PSRAD, PSLLD),  /* Grp13 */
    [0x73] = PFX(MR,                                                 /* Grp14 */
                GRP(0, [2] = L(PSRLQ, 0, Nq, Ib), [6] = L(PSLLQ, 0, Nq, Ib)),
                GRP(0, [2] = L(PSRLQ, 0, Ux, Ib), [3] = L(PSRLDQ, 0, Ux, Ib),
                    [6] = L(PSLLQ, 0, Ux, Ib), [7] = L(PSLLDQ, 0, Ux, Ib)),
                BAD, BAD),
    [0x74] = MMX_SSE(PCMPEQB, Qq),
    [0x75] = MMX_SSE(PCMPEQW, Qq),
    [0x76] = MMX_SSE(PCMPEQD, Qq),
    [0x77] = PFX(0, L0(EMMS, 0), BAD, BAD, BAD),    /* EMMS */
    [0x7c] = PFX(MR, BAD, L(HADDPD, 0, Vx, Wx), BAD, L(HADDPS, 0, Vx, Wx)),
    [0x7d] = PFX(MR, BAD, L(HSUBPD, 0, Vx, Wx), BAD, L(HSUBPS, 0, Vx, Wx)),
    [0x7e] = PFX(MR, L(MOVD, 0, Ey, Pq), L(MOVD, 0, Ey, Vx), L(MOVQ, 0, Vx, Wq), BAD),
    [0x7f] = PFX(MR, L(MOVQ, 0, Qq, Pq), L(MOVDQA, 0, Wx, Vx), L(MOVDQU, 0, Wx, Vx), BAD),
    [0x80] = REP16(L(JCC, A_F64, Jz)),            /* Jcc Jz */
    [0x90] = REP16(L(SETCC, MR | A_BYTE, Eb)),    /* SETcc Eb */
    [0xa0] = L(PUSH, A_D64, sFS),                   /* PUSH FS */
    [0xa1] = L(POP, A_D64, sFS),                    /* POP FS */
    [0xa2] = L0(CPUID, 0),                          /* CPUID */
    [0xa3] = L(BT, MR, Ev, Gv),                     /* BT Ev,Gv */
    [0xa4] = L(SHLD, MR, Ev, Gv, Ib),               /* SHLD Ev,Gv,Ib */
    [0xa5] = L(SHLD, MR, Ev, Gv, CL),               /* SHLD Ev,Gv,CL */
    [0xa8] = L(PUSH, A_D64, sGS),                   /* PUSH GS */
    [0xa9] = L(POP, A_D64, sGS),                    /* POP GS */
    [0xaa] = L0(RSM, 0),                            /* RSM */
    [0xab] = L(BTS, MR | A_LOCK, Ev, Gv),           /* BTS Ev,Gv */
    [0xac] = L(SHRD, MR, Ev, Gv, Ib),               /* SHRD Ev,Gv,Ib */
    [0xad] = L(SHRD, MR, Ev, Gv, CL),               /* SHRD Ev,Gv,CL */
    [0xae] = GRP15,                                 /* Grp15 */
    [0xaf] = L(IMUL, MR, Gv, Ev),                   /* IMUL Gv,Ev */
    [0xb0] = L(CMPXCHG, MR | A_BYTE | A_LOCK, Eb, Gb), /* CMPXCHG Eb,Gb */
    [0xb1] = L(CMPXCHG, MR | A_LOCK, Ev, Gv),       /* CMPXCHG Ev,Gv */
    [0xb2] = L(LSS, MR, Gv, Mp),                    /* LSS Gv,Mp */
    [0xb3] = L(BTR, MR | A_LOCK, Ev, Gv),           /* BTR Ev,Gv */
    [0xb4] = L(LFS, MR, Gv, Mp),                    /* LFS Gv,Mp */
    [0xb5] = L(LGS, MR, Gv, Mp),                    /* LGS Gv,Mp */
    [0xb6] = L(MOVZX, MR, Gv, Eb),                  /* MOVZX Gv,Eb */
    [0xb7] = L(MOVZX, MR, Gv, Ew),                  /* MOVZX Gv,Ew */
    [0xb8] = PFX(MR, BAD, BAD, L(POPCNT, 0, Gv, Ev), BAD), /* F3: POPCNT Gv,Ev */
    [0xb9] = L(UD1, MR, Gv, Ev),                    /* Grp10: UD1 Gv,Ev */
    [0xba] = GRP(MR,                                /* Grp8 Ev,Ib */
                [4] = L(BT, 0, Ev, Ib), [5] = L(BTS, A_LOCK, Ev, Ib),
                [6] = L(BTR, A_LOCK, Ev, Ib), [7] = L(BTC, A_LOCK, Ev, Ib)),
    [0xbb] = L(BTC, MR | A_LOCK, Ev, Gv),           /* BTC Ev,Gv */
    [0xbc] = PFX(MR, L(BSF, 0, Gv, Ev), L(BSF, 0, Gv, Ev), L(TZCNT, 0, Gv, Ev),
                L(BSF, 0, Gv, Ev)),                 /* BSF / F3: TZCNT */
    [0xbd] = PFX(MR, L(BSR, 0, Gv, Ev), L(BSR, 0, Gv, Ev), L(LZCNT, 0, Gv, Ev),
                L(BSR, 0, Gv, Ev)),                 /* BSR / F3: LZCNT */
    [0xbe] = L(MOVSX, MR, Gv, Eb),                  /* MOVSX Gv,Eb */
    [0xbf] = L(MOVSX, MR, Gv, Ew),                  /* MOVSX Gv,Ew */
    [0xc0] = L(XADD, MR | A_BYTE | A_LOCK, Eb, Gb), /* XADD Eb,Gb */
    [0xc1] = L(XADD, MR | A_LOCK, Ev, Gv),          /* XADD Ev,Gv */
    [0xc2] = PFX(MR, L(CMPPS, 0, Vx, Wx, Ib), L(CMPPD, 0, Vx, Wx, Ib),
                L(CMPSS, 0, Vx, Wd, Ib), L(CMPSD, 0, Vx, Wq, Ib)),
    [0xc3] = PFX(MR, L(MOVNTI, 0, My, Gy), L(MOVNTI, 0, My, Gy), BAD, BAD),
    [0xc4] = PFX(MR, L(PINSRW, 0, Pq, Edw, Ib), L(PINSRW, 0, Vx, Edw, Ib), BAD, BAD),
    [0xc5] = PFX(MR, L(PEXTRW, 0, Gd, Nq, Ib), L(PEXTRW, 0, Gd, Ux, Ib), BAD, BAD),
    [0xc6] = PFX(MR, L(SHUFPS, 0, Vx, Wx, Ib), L(SHUFPD, 0, Vx, Wx, Ib), BAD, BAD),
    [0xc7] = GRP9,                                  /* Grp9 */
    [0xc8] = REP8(L(BSWAP, 0, Zv)),              /* BSWAP Zv */
    [0xd0] = PFX(MR, BAD, L(ADDSUBPD, 0, Vx, Wx), BAD, L(ADDSUBPS, 0, Vx, Wx)),
    [0xd1] = MMX_SSE(PSRLW, Qq),
    [0xd2] = MMX_SSE(PSRLD, Qq),
    [0xd3] = MMX_SSE(PSRLQ, Qq),
    [0xd4] = MMX_SSE(PADDQ, Qq),
    [0xd5] = MMX_SSE(PMULLW, Qq),
    [0xd6] = PFX(MR, BAD, L(MOVQ, 0, Wq, Vx), L(MOVQ2DQ, 0, Vx, Nq), L(MOVDQ2Q, 0, Pq, Ux)),
    [0xd7] = PFX(MR, L(PMOVMSKB, 0, Gd, Nq), L(PMOVMSKB, 0, Gd, Ux), BAD, BAD),
    [0xd8] = MMX_SSE(PSUBUSB, Qq),
    [0xd9] = MMX_SSE(PSUBUSW, Qq),
    [0xda] = MMX_SSE(PMINUB, Qq),
    [0xdb] = MMX_SSE(PAND, Qq),
    [0xdc] = MMX_SSE(PADDUSB, Qq),
    [0xdd] = MMX_SSE(PADDUSW, Qq),
    [0xde] = MMX_SSE(PMAXUB, Qq),
    [0xdf] = MMX_SSE(PANDN, Qq),
    [0xe0] = MMX_SSE(PAVGB, Qq),
    [0xe1] = MMX_SSE(PSRAW, Qq),
    [0xe2] = MMX_SSE(PSRAD, Qq),
    [0xe3] = MMX_SSE(PAVGW, Qq),
    [0xe4] = MMX_SSE(PMULHUW, Qq),
    [0xe5] = MMX_SSE(PMULHW, Qq),
    [0xe6] = PFX(MR, BAD, L(CVTTPD2DQ, 0, Vx, Wx), L(CVTDQ2PD, 0, Vx, Wq),
                L(CVTPD2DQ, 0, Vx, Wx)),
    [0xe7] = PFX(MR, L(MOVNTQ, 0, Mq, Pq), L(MOVNTDQ, 0, Mx, Vx), BAD, BAD),
    [0xe8] = MMX_SSE(PSUBSB, Qq),
    [0xe9] = MMX_SSE(PSUBSW, Qq),
    [0xea] = MMX_SSE(PMINSW, Qq),
    [0xeb] = MMX_SSE(POR, Qq),
    [0xec] = MMX_SSE(PADDSB, Qq),
    [0xed] = MMX_SSE(PADDSW, Qq),
    [0xee] = MMX_SSE(PMAXSW, Qq),
    [0xef] = MMX_SSE(PXOR, Qq),
    [0xf0] = PFX(MR, BAD, BAD, BAD, L(LDDQU, 0, Vx, Mx)),
    [0xf1] = MMX_SSE(PSLLW, Qq),
    [0xf2] = MMX_SSE(PSLLD, Qq),
    [0xf3] = MMX_SSE(PSLLQ, Qq),
    [0xf4] = MMX_SSE(PMULUDQ, Qq),
    [0xf5] = MMX_SSE(PMADDWD, Qq),
    [0xf6] = MMX_SSE(PSADBW, Qq),
    [0xf7] = PFX(MR, L(MASKMOVQ, 0, Pq, Nq), L(MASKMOVDQU, 0, Vx, Ux), BAD, BAD),
    [0xf8] = MMX_SSE(PSUBB, Qq),
    [0xf9] = MMX_SSE(PSUBW, Qq),
    [0xfa] = MMX_SSE(PSUBD, Qq),
    [0xfb] = MMX_SSE(PSUBQ, Qq),
    [0xfc] = MMX_SSE(PADDB, Qq),
    [0xfd] = MMX_SSE(PADDW, Qq),
    [0xfe] = MMX_SSE(PADDD, Qq),
    [0xff] = L(UD0, MR, Gv, Ev),                    /* UD0 Gv,Ev */
},

/* Three-byte map 0F 38 xx (SDM Table A-4) */
[2] = {
    [0x00] = MMX_SSE(PSHUFB, Qq),
    [0x01] = MMX_SSE(PHADDW, Qq),
    [0x02] = MMX_SSE(PHADDD, Qq),
    [0x03] = MMX_SSE(PHADDSW, Qq),
    [0x04] = MMX_SSE(PMADDUBSW, Qq),
    [0x05] = MMX_SSE(PHSUBW, Qq),
    [0x06] = MMX_SSE(PHSUBD, Qq),
    [0x07] = MMX_SSE(PHSUBSW, Qq),
    [0x08] = MMX_SSE(PSIGNB, Qq),
    [0x09] = MMX_SSE(PSIGNW, Qq),
    [0x0a] = MMX_SSE(PSIGND, Qq),
    [0x0b] = MMX_SSE(PMULHRSW, Qq),
    [0x10] = P66(PBLENDVB, 0, Vx, Wx, XMM0),
    [0x14] = P66(BLENDVPS, 0, Vx, Wx, XMM0),
    [0x15] = P66(BLENDVPD, 0, Vx, Wx, XMM0),
    [0x17] = P66_0(PTEST),
    [0x1c] = MMX_SSE(PABSB, Qq),
    [0x1d] = MMX_SSE(PABSW, Qq),
    [0x1e] = MMX_SSE(PABSD, Qq),
    [0x20] = P66(PMOVSXBW, 0, Vx, Wq),
    [0x21] = P66(PMOVSXBD, 0, Vx, Wd),
    [0x22] = P66(PMOVSXBQ, 0, Vx, Ww),
    [0x23] = P66(PMOVSXWD, 0, Vx, Wq),
    [0x24] = P66(PMOVSXWQ, 0, Vx, Wd),
    [0x25] = P66(PMOVSXDQ, 0, Vx, Wq),
    [0x28] = P66_0(PMULDQ),
    [0x29] = P66_0(PCMPEQQ),
    [0x2a] = P66(MOVNTDQA, 0, Vx, Mx),
    [0x2b] = P66_0(PACKUSDW),
    [0x30] = P66(PMOVZXBW, 0, Vx, Wq),
    [0x31] = P66(PMOVZXBD, 0, Vx, Wd),
    [0x32] = P66(PMOVZXBQ, 0, Vx, Ww),
    [0x33] = P66(PMOVZXWD, 0, Vx, Wq),
    [0x34] = P66(PMOVZXWQ, 0, Vx, Wd),
    [0x35] = P66(PMOVZXDQ, 0, Vx, Wq),
    [0x37] = P66_0(PCMPGTQ),
    [0x38] = P66_0(PMINSB),
    [0x39] = P66_0(PMINSD),
    [0x3a] = P66_0(PMINUW),
    [0x3b] = P66_0(PMINUD),
    [0x3c] = P66_0(PMAXSB),
    [0x3d] = P66_0(PMAXSD),
    [0x3e] = P66_0(PMAXUW),
    [0x3f] = P66_0(PMAXUD),
    [0x40] = P66_0(PMULLD),
    [0x41] = P66_0(PHMINPOSUW),
    [0x82] = P66(INVPCID, A_SZMODE, Gv, Mx),        /* INVPCID Gy,Mdq */
    [0xc8] = PFX(MR, L(SHA1NEXTE, 0, Vx, Wx), BAD, BAD, BAD),
    [0xc9] = PFX(MR, L(SHA1MSG1, 0, Vx, Wx), BAD, BAD, BAD),
    [0xca] = PFX(MR, L(SHA1MSG2, 0, Vx, Wx), BAD, BAD, BAD),
    [0xcb] = PFX(MR, L(SHA256RNDS2, 0, Vx, Wx, XMM0), BAD, BAD, BAD),
    [0xcc] = PFX(MR, L(SHA256MSG1, 0, Vx, Wx), BAD, BAD, BAD),
    [0xcd] = PFX(MR, L(SHA256MSG2, 0, Vx, Wx), BAD, BAD, BAD),
    [0xdb] = P66_0(AESIMC),
    [0xdc] = P66_0(AESENC),
    [0xdd] = P66_0(AESENCLAST),
    [0xde] = P66_0(AESDEC),
    [0xdf] = P66_0(AESDECLAST),
    [0xf0] = PFX(MR, L(MOVBE, 0, Gv, Mv), L(MOVBE, 0, Gv, Mv), BAD,
                L(CRC32, 0, Gy, Eb)),               /* MOVBE Gv,Mv / F2: CRC32 Gy,Eb */
    [0xf1] = PFX(MR, L(MOVBE, 0, Mv, Gv), L(MOVBE, 0, Mv, Gv), BAD,
                L(CRC32, 0, Gy, Ev)),               /* MOVBE Mv,Gv / F2: CRC32 Gy,Ev */
    [0xf6] = PFX(MR, BAD, L(ADCX, 0, Gy, Ey), L(ADOX, 0, Gy, Ey), BAD),
},

/* Three-byte map 0F 3A xx (SDM Table A-5) */
[3] = {
    [0x08] = P66_I(ROUNDPS),
    [0x09] = P66_I(ROUNDPD),
    [0x0a] = P66(ROUNDSS, 0, Vx, Wd, Ib),
    [0x0b] = P66(ROUNDSD, 0, Vx, Wq, Ib),
    [0x0c] = P66_I(BLENDPS),
    [0x0d] = P66_I(BLENDPD),
    [0x0e] = P66_I(PBLENDW),
    [0x0f] = PFX(MR, L(PALIGNR, 0, Pq, Qq, Ib), L(PALIGNR, 0, Vx, Wx, Ib), BAD, BAD),
    [0x14] = P66(PEXTRB, 0, Edb, Vx, Ib),
    [0x15] = P66(PEXTRW, 0, Edw, Vx, Ib),
    [0x16] = P66(PEXTRD, 0, Ey, Vx, Ib),
    [0x17] = P66(EXTRACTPS, 0, Ed, Vx, Ib),
    [0x20] = P66(PINSRB, 0, Vx, Edb, Ib),
    [0x21] = P66(INSERTPS, 0, Vx, Wd, Ib),
    [0x22] = P66(PINSRD, 0, Vx, Ey, Ib),
    [0x40] = P66_I(DPPS),
    [0x41] = P66_I(DPPD),
    [0x42] = P66_I(MPSADBW),
    [0x44] = P66_I(PCLMULQDQ),
    [0x60] = P66_I(PCMPESTRM),
    [0x61] = P66_I(PCMPESTRI),
    [0x62] = P66_I(PCMPISTRM),
    [0x63] = P66_I(PCMPISTRI),
    [0xcc] = PFX(MR, L(SHA1RNDS4, 0, Vx, Wx, Ib), BAD, BAD, BAD),
    [0xdf] = P66_I(AESKEYGENASSIST),
},
};
