/* Golden tests of x86_decode() for the tricky encodings: prefix ordering and
 * repetition, REX placement, 16-bit addressing, moffs, ENTER, far pointers,
 * instructions invalid in 64-bit mode, the 15-byte limit and truncated input,
 * immediate extension and sizes, and the operand conventions documented in
 * x86/ops.def. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x86/insn.h"

#define M64 X86_MODE_LONG64
#define M32 X86_MODE_PROT32
#define M16 X86_MODE_PROT16
#define MREAL X86_MODE_REAL

/* Decodes a hex string ("48 8b 05 ...") from a heap buffer of exactly its
 * length, so that ASan catches any read past the end. */
static int dec(enum x86_mode mode, const char *hex, struct x86_insn *in)
{
    uint8_t tmp[64];
    size_t n = 0;
    for (const char *s = hex; *s;) {
        if (*s == ' ') {
            s++;
            continue;
        }
        unsigned v;
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        assert_true(n < sizeof(tmp));
        tmp[n++] = (uint8_t)v;
        s += 2;
    }
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    memcpy(buf, tmp, n);
    memset(in, 0xa5, sizeof(*in));
    int r = x86_decode(buf, n, mode, in);
    free(buf);
    return r;
}

/* Decodes and checks length and operation. */
static struct x86_insn ok(enum x86_mode mode, const char *hex, int len, enum x86_op op)
{
    struct x86_insn in;
    int r = dec(mode, hex, &in);
    if (r != len || in.op != op)
        printf("  %s: got %d %s, want %d %s\n", hex, r, r > 0 ? x86_op_name(in.op) : "-", len,
               x86_op_name(op));
    assert_int_equal(r, len);
    assert_int_equal(in.len, len);
    assert_int_equal(in.op, op);
    return in;
}

static void bad(enum x86_mode mode, const char *hex, int err)
{
    struct x86_insn in;
    int r = dec(mode, hex, &in);
    if (r != err)
        printf("  %s: got %d, want %d\n", hex, r, err);
    assert_int_equal(r, err);
}

static void assert_opnd(const struct x86_insn *in, unsigned i, enum x86_opnd_kind kind,
                        unsigned reg, unsigned size)
{
    assert_true(i < in->nopnd);
    assert_int_equal(in->opnd[i].kind, kind);
    if (kind != X86_OPND_MEM && kind != X86_OPND_IMM && kind != X86_OPND_REL &&
        kind != X86_OPND_MOFFS && kind != X86_OPND_FAR)
        assert_int_equal(in->opnd[i].reg, reg);
    assert_int_equal(in->opnd[i].size, size);
}

static void assert_mem(const struct x86_insn *in, unsigned seg, unsigned base, unsigned index,
                       unsigned scale, int32_t disp)
{
    assert_int_equal(in->seg, seg);
    assert_int_equal(in->base, base);
    assert_int_equal(in->index, index);
    if (index != X86_REG_NONE)
        assert_int_equal(in->scale, scale);
    assert_int_equal(in->disp, disp);
}

static void test_prefix_order(void **state)
{
    (void)state;
    struct x86_insn in;
    /* F2/F3 select the SSE form over 66 whatever the order */
    in = ok(M64, "f3 66 0f 10 c1", 5, X86_OP_MOVSS);
    in = ok(M64, "66 f3 0f 10 c1", 5, X86_OP_MOVSS);
    assert_true(in.flags & X86_PFX_OPSZ);
    /* between F2 and F3 the last one wins, and only it is reported */
    in = ok(M64, "f3 f2 0f 10 c1", 5, X86_OP_MOVSD);
    assert_int_equal(in.flags & (X86_PFX_REP | X86_PFX_REPNE), X86_PFX_REPNE);
    in = ok(M64, "f2 f3 0f 10 c1", 5, X86_OP_MOVSS);
    in = ok(M64, "f2 f3 a4", 3, X86_OP_MOVS);
    assert_int_equal(in.flags & (X86_PFX_REP | X86_PFX_REPNE), X86_PFX_REP);
    /* 66 alone selects the 66 form; no valid form -> #UD */
    ok(M64, "66 0f 10 c1", 4, X86_OP_MOVUPD);
    bad(M64, "f3 0f 54 c1", X86_DECODE_UD);
    bad(M64, "f2 0f 6f c1", X86_DECODE_UD);
    /* prefixes of other groups repeat and mix freely */
    in = ok(M32, "66 67 66 2e 3e 8b 00", 7, X86_OP_MOV);
    assert_int_equal(in.opsize, 2);
    assert_int_equal(in.addrsize, 2);
    assert_int_equal(in.seg, X86_DS); /* the last override wins */
    in = ok(M32, "26 64 8b 00", 4, X86_OP_MOV);
    assert_int_equal(in.seg, X86_FS);
    assert_true(in.flags & X86_PFX_SEG);
    /* 64-bit mode: ES/CS/SS/DS overrides have no effect, FS/GS stay */
    in = ok(M64, "64 26 8b 00", 4, X86_OP_MOV);
    assert_int_equal(in.seg, X86_FS);
    in = ok(M64, "26 8b 00", 3, X86_OP_MOV);
    assert_int_equal(in.seg, X86_DS);
    assert_false(in.flags & X86_PFX_SEG);
    in = ok(M64, "36 8b 00", 3, X86_OP_MOV);
    assert_int_equal(in.seg, X86_DS);
    in = ok(M64, "65 48 8b 04 25 28 00 00 00", 9, X86_OP_MOV);
    assert_int_equal(in.seg, X86_GS);
    assert_mem(&in, X86_GS, X86_REG_NONE, X86_REG_NONE, 0, 0x28);
    /* 66 + F3 on a general-purpose instruction: both count */
    in = ok(M64, "66 f3 50", 3, X86_OP_PUSH);
    assert_int_equal(in.opsize, 2);
    /* POPCNT: F3 selects, 66 still sets the operand size */
    in = ok(M64, "66 f3 0f b8 c1", 5, X86_OP_POPCNT);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 2);
    bad(M64, "0f b8 c1", X86_DECODE_UD);
    ok(M64, "f3 0f bc c1", 4, X86_OP_TZCNT);
    ok(M64, "f2 0f bc c1", 4, X86_OP_BSF);
    ok(M64, "f3 c3", 2, X86_OP_RET);             /* rep ret */
    ok(M64, "f2 e8 00 00 00 00", 6, X86_OP_CALL); /* bnd call */
}

static void test_rex(void **state)
{
    (void)state;
    struct x86_insn in;
    in = ok(M64, "48 89 c8", 3, X86_OP_MOV);
    assert_int_equal(in.opsize, 8);
    assert_int_equal(in.flags & (X86_PFX_REX | X86_PFX_REXW), X86_PFX_REX | X86_PFX_REXW);
    /* REX.W wins over 66 */
    in = ok(M64, "66 48 89 c8", 4, X86_OP_MOV);
    assert_int_equal(in.opsize, 8);
    /* a REX followed by a legacy prefix is ignored */
    in = ok(M64, "48 66 89 c8", 4, X86_OP_MOV);
    assert_int_equal(in.opsize, 2);
    assert_false(in.flags & X86_PFX_REX);
    in = ok(M64, "49 66 01 c0", 4, X86_OP_ADD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 2);
    /* of two REX prefixes only the last counts */
    in = ok(M64, "48 41 01 c0", 4, X86_OP_ADD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_R8, 4);
    /* REX.R, REX.X, REX.B */
    in = ok(M64, "4d 8b 44 c9 08", 5, X86_OP_MOV);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_R8, 8);
    assert_mem(&in, X86_DS, X86_R9, X86_RCX, 3, 8);
    in = ok(M64, "4a 8b 04 a5 00 10 00 00", 8, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_REG_NONE, X86_R12, 2, 0x1000); /* R12 is a valid index */
    /* byte registers: AH without REX, SPL with any REX */
    in = ok(M64, "88 e0", 2, X86_OP_MOV);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_REG_AH, 1);
    in = ok(M64, "40 88 e0", 3, X86_OP_MOV);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RSP, 1);
    in = ok(M64, "41 88 c7", 3, X86_OP_MOV);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_R15, 1);
    in = ok(M32, "88 fc", 2, X86_OP_MOV);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_REG_AH, 1);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_REG_BH, 1);
    /* 40-4F are INC/DEC outside 64-bit mode */
    in = ok(M32, "41", 1, X86_OP_INC);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RCX, 4);
    ok(M16, "4f", 1, X86_OP_DEC);
    bad(M64, "48", X86_DECODE_NEED_MORE);
    /* 90: NOP, PAUSE, or XCHG with REX.B */
    in = ok(M64, "90", 1, X86_OP_NOP);
    assert_int_equal(in.nopnd, 0);
    ok(M64, "f3 90", 2, X86_OP_PAUSE);
    in = ok(M64, "41 90", 2, X86_OP_XCHG);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 4);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_R8, 4);
    /* REX.R is ignored for segment and MMX registers */
    in = ok(M64, "44 8c d8", 3, X86_OP_MOV_FROM_SREG);
    assert_opnd(&in, 1, X86_OPND_SREG, X86_DS, 2);
    in = ok(M64, "4d 0f 6f c1", 4, X86_OP_MOVQ);
    assert_opnd(&in, 0, X86_OPND_MMX, 0, 8);
    assert_opnd(&in, 1, X86_OPND_MMX, 1, 8);
    in = ok(M64, "66 45 0f 6f c1", 5, X86_OP_MOVDQA);
    assert_opnd(&in, 0, X86_OPND_XMM, 8, 16);
    assert_opnd(&in, 1, X86_OPND_XMM, 9, 16);
}

static void test_addressing(void **state)
{
    (void)state;
    struct x86_insn in;
    /* 64-bit: RIP-relative, SIB without base, rSP/rBP bases take SS */
    in = ok(M64, "48 8b 05 10 00 00 00", 7, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_REG_RIP, X86_REG_NONE, 0, 0x10);
    assert_int_equal(in.addrsize, 8);
    in = ok(M64, "67 8b 05 f0 ff ff ff", 7, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_REG_RIP, X86_REG_NONE, 0, -16);
    assert_int_equal(in.addrsize, 4);
    in = ok(M64, "8b 04 25 78 56 34 12", 7, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_REG_NONE, X86_REG_NONE, 0, 0x12345678);
    in = ok(M64, "8b 04 24", 3, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RSP, X86_REG_NONE, 0, 0);
    in = ok(M64, "8b 45 f8", 3, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RBP, X86_REG_NONE, 0, -8);
    in = ok(M64, "41 8b 04 24", 4, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_R12, X86_REG_NONE, 0, 0); /* R12: DS */
    in = ok(M64, "41 8b 45 00", 4, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_R13, X86_REG_NONE, 0, 0);
    in = ok(M64, "8b 44 8d 80", 4, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RBP, X86_RCX, 2, -128);
    in = ok(M64, "8b 84 1c 00 00 00 80", 7, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RSP, X86_RBX, 0, INT32_MIN);
    in = ok(M64, "41 8b 04 2d 00 01 00 00", 8, X86_OP_MOV); /* SIB base 101, mod 00 */
    assert_mem(&in, X86_DS, X86_REG_NONE, X86_RBP, 0, 0x100);
    /* 32-bit: disp32 is absolute */
    in = ok(M32, "8b 05 10 00 00 00", 6, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_REG_NONE, X86_REG_NONE, 0, 0x10);
    in = ok(M32, "67 8b 46 02", 4, X86_OP_MOV); /* 16-bit addressing via 67 */
    assert_mem(&in, X86_SS, X86_RBP, X86_REG_NONE, 0, 2);
    assert_int_equal(in.addrsize, 2);
    /* 16-bit forms map onto base/index */
    in = ok(M16, "8b 00", 2, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_RBX, X86_RSI, 0, 0);
    assert_int_equal(in.opsize, 2);
    assert_int_equal(in.addrsize, 2);
    in = ok(M16, "8b 43 05", 3, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RBP, X86_RDI, 0, 5);
    in = ok(M16, "8b 42 ff", 3, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RBP, X86_RSI, 0, -1);
    in = ok(M16, "8b 06 34 12", 4, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_REG_NONE, X86_REG_NONE, 0, 0x1234);
    in = ok(M16, "8b 46 00", 3, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RBP, X86_REG_NONE, 0, 0);
    in = ok(M16, "8b 87 00 80", 4, X86_OP_MOV);
    assert_mem(&in, X86_DS, X86_RBX, X86_REG_NONE, 0, -0x8000);
    in = ok(M16, "36 8b 07", 3, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RBX, X86_REG_NONE, 0, 0);
    in = ok(M16, "67 66 8b 04 24", 5, X86_OP_MOV);
    assert_mem(&in, X86_SS, X86_RSP, X86_REG_NONE, 0, 0);
    assert_int_equal(in.opsize, 4);
    ok(MREAL, "8b 00", 2, X86_OP_MOV);
    /* LEA has no memory access: size 0 */
    in = ok(M64, "48 8d 04 40", 4, X86_OP_LEA);
    assert_opnd(&in, 1, X86_OPND_MEM, 0, 0);
    bad(M64, "8d c0", X86_DECODE_UD);
}

static void test_moffs_far_enter(void **state)
{
    (void)state;
    struct x86_insn in;
    in = ok(M64, "48 a1 88 77 66 55 44 33 22 11", 10, X86_OP_MOV);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    assert_opnd(&in, 1, X86_OPND_MOFFS, 0, 8);
    assert_int_equal(in.imm, 0x1122334455667788ull);
    in = ok(M64, "67 a0 44 33 22 11", 6, X86_OP_MOV);
    assert_int_equal(in.imm, 0x11223344);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 1);
    in = ok(M32, "64 a3 10 00 00 00", 6, X86_OP_MOV);
    assert_opnd(&in, 0, X86_OPND_MOFFS, 0, 4);
    assert_int_equal(in.seg, X86_FS);
    in = ok(M16, "a1 34 12", 3, X86_OP_MOV);
    assert_int_equal(in.imm, 0x1234);
    assert_opnd(&in, 1, X86_OPND_MOFFS, 0, 2);
    /* far pointers */
    in = ok(M32, "ea 78 56 34 12 cd ab", 7, X86_OP_JMPF);
    assert_opnd(&in, 0, X86_OPND_FAR, 0, 6);
    assert_int_equal(in.imm, 0x12345678);
    assert_int_equal(in.imm2, 0xabcd);
    in = ok(M16, "9a 34 12 00 f0", 5, X86_OP_CALLF);
    assert_opnd(&in, 0, X86_OPND_FAR, 0, 4);
    assert_int_equal(in.imm, 0x1234);
    assert_int_equal(in.imm2, 0xf000);
    in = ok(M16, "66 ea 78 56 34 12 08 00", 8, X86_OP_JMPF);
    assert_int_equal(in.imm, 0x12345678);
    assert_int_equal(in.imm2, 8);
    in = ok(M64, "ff 2d 00 00 00 00", 6, X86_OP_JMPF);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 6);
    in = ok(M64, "48 ff 1f", 3, X86_OP_CALLF);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 10);
    in = ok(M16, "c4 1e 00 10", 4, X86_OP_LES);
    assert_opnd(&in, 1, X86_OPND_MEM, 0, 4);
    in = ok(M64, "0f b2 26", 3, X86_OP_LSS);
    assert_opnd(&in, 1, X86_OPND_MEM, 0, 6);
    bad(M64, "ff e8", X86_DECODE_UD);   /* JMPF needs memory */
    /* ENTER Iw, Ib */
    in = ok(M64, "c8 10 00 01", 4, X86_OP_ENTER);
    assert_int_equal(in.opsize, 8);
    assert_opnd(&in, 0, X86_OPND_IMM, 0, 2);
    assert_opnd(&in, 1, X86_OPND_IMM, 0, 1);
    assert_int_equal(in.imm, 0x10);
    assert_int_equal(in.imm2, 1);
    in = ok(M32, "66 c8 00 80 ff", 5, X86_OP_ENTER);
    assert_int_equal(in.opsize, 2);
    assert_int_equal(in.imm, 0x8000);
    assert_int_equal(in.imm2, 0xff);
}

static void test_invalid_in_64(void **state)
{
    (void)state;
    static const char *const i64[] = {
        "06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f", "60", "61",
        "62 00", "82 c0 01", "9a 00 00 00 00 00 00", "c4 00", "c5 00", "ce", "d4 0a", "d5 0a",
        "d6", "ea 00 00 00 00 00 00", "c4 e2 79 18 00", "c5 f8 77", "62 f1 7c 48 10 00",
    };
    for (size_t i = 0; i < sizeof(i64) / sizeof(i64[0]); i++)
        bad(M64, i64[i], X86_DECODE_UD);
    /* ... but fine elsewhere */
    struct x86_insn in = ok(M32, "06", 1, X86_OP_PUSH);
    assert_opnd(&in, 0, X86_OPND_SREG, X86_ES, 2);
    ok(M32, "27", 1, X86_OP_DAA);
    ok(M32, "62 00", 2, X86_OP_BOUND);
    ok(M32, "c4 00", 2, X86_OP_LES);
    bad(M32, "c4 c0", X86_DECODE_UD);  /* VEX */
    bad(M32, "62 c0", X86_DECODE_UD);  /* EVEX */
    ok(M32, "82 c0 01", 3, X86_OP_ADD);
    ok(X86_MODE_COMPAT32, "d4 0a", 2, X86_OP_AAM);
    /* 63: MOVSXD in 64-bit mode, ARPL elsewhere (not in real mode) */
    in = ok(M64, "48 63 c1", 3, X86_OP_MOVSXD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RCX, 4);
    in = ok(M64, "63 c1", 2, X86_OP_MOVSXD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 4);
    in = ok(M32, "63 c1", 2, X86_OP_ARPL);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RCX, 2);
    bad(MREAL, "63 c1", X86_DECODE_UD);
    bad(X86_MODE_VM86, "0f 00 d8", X86_DECODE_UD);
    ok(M16, "0f 00 d8", 3, X86_OP_LTR);
    /* 64-bit-only instructions */
    ok(M64, "0f 01 f8", 3, X86_OP_SWAPGS);
    bad(M32, "0f 01 f8", X86_DECODE_UD);
    ok(M64, "f3 48 0f ae c0", 5, X86_OP_RDFSBASE);
    bad(M32, "f3 0f ae c0", X86_DECODE_UD);
    /* XOP (8F with reg != 0) */
    ok(M64, "8f 00", 2, X86_OP_POP);
    bad(M64, "8f e8 78 c2 c1 01", X86_DECODE_UD);
}

static void test_limits(void **state)
{
    (void)state;
    /* 15 bytes are fine, 16 are #GP(0) whatever is available */
    ok(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 15, X86_OP_NOP);
    bad(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", X86_DECODE_TOO_LONG);
    bad(M64, "66 66 66 66 66 66 66 66 66 66 66 48 c7 84 24 00 00 00 00 00 00 00 00",
        X86_DECODE_TOO_LONG);
    bad(M64, "f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0", X86_DECODE_TOO_LONG);
    /* truncated input */
    bad(M64, "", X86_DECODE_NEED_MORE);
    bad(M64, "66", X86_DECODE_NEED_MORE);
    bad(M64, "0f", X86_DECODE_NEED_MORE);
    bad(M64, "0f 38", X86_DECODE_NEED_MORE);
    bad(M64, "8b", X86_DECODE_NEED_MORE);
    bad(M64, "8b 04", X86_DECODE_NEED_MORE);
    bad(M64, "8b 80 00 00 00", X86_DECODE_NEED_MORE);
    bad(M64, "e9 00 00 00", X86_DECODE_NEED_MORE);
    bad(M64, "48 b8 00 00 00 00 00 00 00", X86_DECODE_NEED_MORE);
    bad(M32, "ea 00 00 00 00 00", X86_DECODE_NEED_MORE);
    bad(M16, "c8 00 00", X86_DECODE_NEED_MORE);
    /* ... unless the instruction would be too long anyway */
    bad(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 b8", X86_DECODE_TOO_LONG);
    bad(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66", X86_DECODE_NEED_MORE);
    /* a 15-byte instruction decoded from a longer buffer */
    ok(M64, "2e 2e 2e 48 c7 84 24 00 01 00 00 78 56 34 12 cc", 15, X86_OP_MOV);
    bad(M64, "2e 2e 2e 2e 48 c7 84 24 00 01 00 00 78 56 34 12 cc", X86_DECODE_TOO_LONG);
    /* LOCK rules */
    ok(M64, "f0 01 00", 3, X86_OP_ADD);
    bad(M64, "f0 01 c0", X86_DECODE_UD);
    bad(M64, "f0 39 00", X86_DECODE_UD);
    bad(M64, "f0 90", X86_DECODE_UD);
    bad(M64, "f0 8b 00", X86_DECODE_UD);
    ok(M64, "f0 48 0f c7 0f", 5, X86_OP_CMPXCHG16B);
    ok(M64, "f0 0f ba 28 03", 5, X86_OP_BTS);
    bad(M64, "f0 0f ba 20 03", X86_DECODE_UD); /* BT is not lockable */
    ok(M64, "f0 87 07", 3, X86_OP_XCHG);
    /* opcodes that do not exist */
    bad(M64, "0f 04", X86_DECODE_UD);
    bad(M64, "0f 0a", X86_DECODE_UD);
    bad(M64, "0f 38 ff c0", X86_DECODE_UD);
    bad(M64, "0f 3a ff c0 00", X86_DECODE_UD);
    bad(M64, "fe d0", X86_DECODE_UD);
    bad(M64, "ff ff", X86_DECODE_UD);
    bad(M64, "c6 c8 00", X86_DECODE_UD);
    bad(M64, "0f c7 c8", X86_DECODE_UD);
}

static void test_immediates(void **state)
{
    (void)state;
    struct x86_insn in;
    in = ok(M64, "66 83 c0 ff", 4, X86_OP_ADD);
    assert_opnd(&in, 1, X86_OPND_IMM, 0, 2);
    assert_int_equal(in.imm, 0xffff);
    in = ok(M64, "83 c0 ff", 3, X86_OP_ADD);
    assert_int_equal(in.imm, 0xffffffffu);
    in = ok(M64, "48 83 c0 ff", 4, X86_OP_ADD);
    assert_int_equal(in.imm, UINT64_MAX);
    in = ok(M64, "48 05 00 00 00 80", 6, X86_OP_ADD);
    assert_int_equal(in.imm, 0xffffffff80000000ull);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    in = ok(M64, "04 80", 2, X86_OP_ADD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 1);
    assert_int_equal(in.imm, 0x80);
    in = ok(M64, "68 00 00 00 80", 5, X86_OP_PUSH);
    assert_int_equal(in.opsize, 8);
    assert_int_equal(in.imm, 0xffffffff80000000ull);
    in = ok(M64, "66 68 34 12", 4, X86_OP_PUSH);
    assert_int_equal(in.opsize, 2);
    assert_int_equal(in.imm, 0x1234);
    in = ok(M32, "6a fe", 2, X86_OP_PUSH);
    assert_int_equal(in.imm, 0xfffffffe);
    in = ok(M64, "6b c1 fe", 3, X86_OP_IMUL);
    assert_int_equal(in.nopnd, 3);
    assert_int_equal(in.imm, 0xfffffffe);
    in = ok(M64, "41 b8 01 00 00 00", 6, X86_OP_MOV);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_R8, 4);
    assert_int_equal(in.imm, 1);
    in = ok(M64, "66 b8 ff ff", 4, X86_OP_MOV);
    assert_int_equal(in.imm, 0xffff);
    in = ok(M64, "b4 12", 2, X86_OP_MOV);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_REG_AH, 1);
    in = ok(M64, "c7 00 ff ff ff ff", 6, X86_OP_MOV);
    assert_int_equal(in.imm, 0xffffffffu);
    in = ok(M64, "48 c7 00 ff ff ff ff", 7, X86_OP_MOV);
    assert_int_equal(in.imm, UINT64_MAX);
    /* shift counts: 1, CL, Ib */
    in = ok(M64, "d1 e0", 2, X86_OP_SHL);
    assert_opnd(&in, 1, X86_OPND_IMM, 0, 1);
    assert_int_equal(in.imm, 1);
    in = ok(M64, "48 d3 f8", 3, X86_OP_SAR);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RCX, 1);
    in = ok(M64, "c0 f0 05", 3, X86_OP_SHL); /* /6 is SAL = SHL */
    assert_int_equal(in.imm, 5);
    in = ok(M64, "0f ba e0 3f", 4, X86_OP_BT);
    assert_opnd(&in, 1, X86_OPND_IMM, 0, 1);
    in = ok(M64, "cd 80", 2, X86_OP_INT);
    assert_int_equal(in.imm, 0x80);
    in = ok(M64, "c2 08 00", 3, X86_OP_RET);
    assert_int_equal(in.imm, 8);
    assert_int_equal(in.opsize, 8);
    in = ok(M64, "f6 c4 80", 3, X86_OP_TEST);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_REG_AH, 1);
    in = ok(M64, "66 f7 c1 01 80", 5, X86_OP_TEST);
    assert_int_equal(in.imm, 0x8001);
    bad(M64, "d5 0a", X86_DECODE_UD);
}

static void test_branches(void **state)
{
    (void)state;
    struct x86_insn in;
    in = ok(M64, "e8 fb ff ff ff", 5, X86_OP_CALL);
    assert_opnd(&in, 0, X86_OPND_REL, 0, 8);
    assert_int_equal((int64_t)in.imm, -5);
    /* Intel: 66 does not shrink near branches in 64-bit mode */
    in = ok(M64, "66 e9 00 01 00 00", 6, X86_OP_JMP);
    assert_int_equal(in.opsize, 8);
    assert_int_equal(in.imm, 0x100);
    in = ok(M64, "eb fe", 2, X86_OP_JMP);
    assert_int_equal((int64_t)in.imm, -2);
    in = ok(M64, "0f 84 00 00 00 80", 6, X86_OP_JCC);
    assert_int_equal(in.opcode & 0xf, 4);
    assert_int_equal(in.map, 1);
    assert_int_equal((int64_t)in.imm, INT32_MIN);
    in = ok(M64, "7f 10", 2, X86_OP_JCC);
    assert_int_equal(in.opcode & 0xf, 0xf);
    in = ok(M16, "e9 fd ff", 3, X86_OP_JMP);
    assert_opnd(&in, 0, X86_OPND_REL, 0, 2);
    assert_int_equal((int64_t)in.imm, -3);
    in = ok(M16, "66 e8 00 00 01 00", 6, X86_OP_CALL);
    assert_opnd(&in, 0, X86_OPND_REL, 0, 4);
    in = ok(M32, "66 0f 85 10 00", 5, X86_OP_JCC);
    assert_opnd(&in, 0, X86_OPND_REL, 0, 2);
    in = ok(M64, "e3 fe", 2, X86_OP_JCXZ);
    assert_int_equal(in.addrsize, 8);
    in = ok(M64, "67 e2 fe", 3, X86_OP_LOOP);
    assert_int_equal(in.addrsize, 4);
    in = ok(M64, "ff d0", 2, X86_OP_CALL);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    in = ok(M64, "66 ff 20", 3, X86_OP_JMP);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 8);
    in = ok(M64, "48 cf", 2, X86_OP_IRET);
    assert_int_equal(in.opsize, 8);
    in = ok(M64, "cf", 1, X86_OP_IRET);
    assert_int_equal(in.opsize, 4);
    in = ok(M64, "cb", 1, X86_OP_RETF);
    assert_int_equal(in.opsize, 4);
    in = ok(M64, "48 0f 07", 3, X86_OP_SYSRET);
    assert_int_equal(in.opsize, 8);
}

static void test_system(void **state)
{
    (void)state;
    struct x86_insn in;
    in = ok(M64, "0f 20 d8", 3, X86_OP_MOV_FROM_CR);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    assert_opnd(&in, 1, X86_OPND_CR, 3, 8);
    in = ok(M64, "66 0f 22 e0", 4, X86_OP_MOV_TO_CR); /* prefixes ignored */
    assert_opnd(&in, 0, X86_OPND_CR, 4, 8);
    in = ok(M32, "0f 22 00", 3, X86_OP_MOV_TO_CR);     /* mod ignored */
    assert_opnd(&in, 0, X86_OPND_CR, 0, 4);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RAX, 4);
    in = ok(M64, "44 0f 20 c1", 4, X86_OP_MOV_FROM_CR);
    assert_opnd(&in, 1, X86_OPND_CR, 8, 8);
    bad(M64, "0f 22 c8", X86_DECODE_UD);   /* CR1 */
    bad(M64, "0f 20 e8", X86_DECODE_UD);   /* CR5 */
    bad(M64, "44 0f 22 c8", X86_DECODE_UD); /* CR9 */
    in = ok(M64, "0f 23 f8", 3, X86_OP_MOV_TO_DR);
    assert_opnd(&in, 0, X86_OPND_DR, 7, 8);
    bad(M64, "44 0f 21 c0", X86_DECODE_UD); /* DR8 */
    in = ok(M64, "0f 01 15 00 00 00 00", 7, X86_OP_LGDT);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 10);
    in = ok(M32, "0f 01 18", 3, X86_OP_LIDT);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 6);
    bad(M64, "0f 01 d8", X86_DECODE_UD); /* VMRUN */
    ok(M64, "0f 01 c1", 3, X86_OP_VMCALL);
    ok(M64, "0f 01 d9", 3, X86_OP_VMMCALL);
    ok(M64, "0f 01 d0", 3, X86_OP_XGETBV);
    ok(M64, "0f 01 ca", 3, X86_OP_CLAC);
    ok(M64, "0f 01 f9", 3, X86_OP_RDTSCP);
    in = ok(M64, "0f 01 38", 3, X86_OP_INVLPG);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 1);
    in = ok(M64, "48 0f 01 e0", 4, X86_OP_SMSW);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    in = ok(M64, "0f 01 20", 3, X86_OP_SMSW);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 2);
    in = ok(M64, "0f 00 d8", 3, X86_OP_LTR);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 2);
    in = ok(M64, "8e d8", 2, X86_OP_MOV_TO_SREG);
    assert_opnd(&in, 0, X86_OPND_SREG, X86_DS, 2);
    bad(M64, "8e c8", X86_DECODE_UD); /* MOV CS */
    bad(M64, "8c f0", X86_DECODE_UD); /* Sreg 6 */
    in = ok(M64, "8c 00", 2, X86_OP_MOV_FROM_SREG);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 2);
    in = ok(M64, "0f a1", 2, X86_OP_POP);
    assert_opnd(&in, 0, X86_OPND_SREG, X86_FS, 2);
    assert_int_equal(in.opsize, 8);
    in = ok(M64, "e4 60", 2, X86_OP_IN);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 1);
    assert_opnd(&in, 1, X86_OPND_IMM, 0, 1);
    in = ok(M64, "48 ed", 2, X86_OP_IN);   /* REX.W ignored */
    assert_int_equal(in.opsize, 4);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RDX, 2);
    in = ok(M64, "66 ef", 2, X86_OP_OUT);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RDX, 2);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RAX, 2);
    in = ok(M64, "48 6d", 2, X86_OP_INS);
    assert_int_equal(in.opsize, 4);
    in = ok(M64, "0f 0b", 2, X86_OP_UD2);
    ok(M64, "0f b9 c0", 3, X86_OP_UD1);
    in = ok(M64, "48 0f c7 0e", 4, X86_OP_CMPXCHG16B);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 16);
    in = ok(M64, "0f c7 0e", 3, X86_OP_CMPXCHG8B);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 8);
    in = ok(M64, "48 0f c7 f0", 4, X86_OP_RDRAND);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    in = ok(M64, "f3 0f c7 f8", 4, X86_OP_RDPID);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    in = ok(M64, "66 0f 38 82 10", 5, X86_OP_INVPCID);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RDX, 8);
    assert_opnd(&in, 1, X86_OPND_MEM, 0, 16);
    in = ok(M64, "48 0f ae 07", 4, X86_OP_FXSAVE);
    assert_int_equal(in.opsize, 8);
    in = ok(M64, "0f ae 17", 3, X86_OP_LDMXCSR);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 4);
    ok(M64, "0f ae f8", 3, X86_OP_SFENCE);
    ok(M64, "0f ae ef", 3, X86_OP_LFENCE);
    ok(M64, "66 0f ae 38", 4, X86_OP_CLFLUSHOPT);
    ok(M64, "0f 18 08", 3, X86_OP_PREFETCHT0);
    ok(M64, "0f 0d 08", 3, X86_OP_PREFETCHW);
    in = ok(M64, "f3 0f 1e fa", 4, X86_OP_NOP);   /* ENDBR64 */
    in = ok(M64, "66 0f 1f 44 00 00", 6, X86_OP_NOP);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 2);
}

static void test_sse_x87_strings(void **state)
{
    (void)state;
    struct x86_insn in;
    in = ok(M64, "66 0f 6f 04 24", 5, X86_OP_MOVDQA);
    assert_opnd(&in, 0, X86_OPND_XMM, 0, 16);
    assert_opnd(&in, 1, X86_OPND_MEM, 0, 16);
    ok(M64, "f3 0f 6f 00", 4, X86_OP_MOVDQU);
    in = ok(M64, "0f 6f c8", 3, X86_OP_MOVQ);
    assert_opnd(&in, 0, X86_OPND_MMX, 1, 8);
    in = ok(M64, "f2 0f 58 00", 4, X86_OP_ADDSD);
    assert_opnd(&in, 1, X86_OPND_MEM, 0, 8);
    in = ok(M64, "66 48 0f 6e c0", 5, X86_OP_MOVD);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RAX, 8);
    in = ok(M64, "66 0f 7e c0", 4, X86_OP_MOVD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 4);
    in = ok(M64, "66 0f 3a 16 c0 01", 6, X86_OP_PEXTRD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 4);
    in = ok(M64, "66 48 0f 3a 16 c0 01", 7, X86_OP_PEXTRD);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    assert_int_equal(in.map, 3);
    assert_int_equal(in.opcode, 0x16);
    in = ok(M64, "66 0f 38 10 c1", 5, X86_OP_PBLENDVB);
    assert_int_equal(in.nopnd, 3);
    assert_opnd(&in, 2, X86_OPND_XMM, 0, 16);
    in = ok(M64, "0f c2 c1 03", 4, X86_OP_CMPPS);
    assert_int_equal(in.imm, 3);
    in = ok(M64, "66 0f 73 d8 04", 5, X86_OP_PSRLDQ);
    assert_opnd(&in, 0, X86_OPND_XMM, 0, 16);
    bad(M64, "0f 73 d8 04", X86_DECODE_UD);
    bad(M64, "66 0f 71 10 04", X86_DECODE_UD); /* register form only */
    in = ok(M64, "f2 0f 38 f1 c1", 5, X86_OP_CRC32);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 4);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RCX, 4);
    in = ok(M64, "f2 48 0f 38 f0 c1", 6, X86_OP_CRC32);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 8);
    assert_opnd(&in, 1, X86_OPND_GPR, X86_RCX, 1);
    ok(M64, "0f 38 f0 00", 4, X86_OP_MOVBE);
    bad(M64, "0f 38 f0 c0", X86_DECODE_UD);
    in = ok(M64, "0f 12 c1", 3, X86_OP_MOVHLPS);
    in = ok(M64, "0f 12 01", 3, X86_OP_MOVLPS);
    assert_opnd(&in, 1, X86_OPND_MEM, 0, 8);
    /* x87 */
    ok(M64, "d9 ee", 2, X86_OP_FLDZ);
    in = ok(M64, "dc c1", 2, X86_OP_FADD);
    assert_opnd(&in, 0, X86_OPND_ST, 1, 10);
    assert_opnd(&in, 1, X86_OPND_ST, 0, 10);
    in = ok(M64, "d8 c9", 2, X86_OP_FMUL);
    assert_opnd(&in, 0, X86_OPND_ST, 0, 10);
    assert_opnd(&in, 1, X86_OPND_ST, 1, 10);
    ok(M64, "dc e9", 2, X86_OP_FSUB);       /* DC E8+i: FSUB ST(i),ST(0) */
    ok(M64, "de f9", 2, X86_OP_FDIVP);
    in = ok(M64, "dd 38", 2, X86_OP_FNSTSW);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 2);
    in = ok(M64, "df e0", 2, X86_OP_FNSTSW);
    assert_opnd(&in, 0, X86_OPND_GPR, X86_RAX, 2);
    in = ok(M64, "d9 30", 2, X86_OP_FNSTENV);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 28);
    in = ok(M32, "66 d9 30", 3, X86_OP_FNSTENV);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 14);
    in = ok(M64, "dd 30", 2, X86_OP_FNSAVE);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 108);
    in = ok(M64, "db 28", 2, X86_OP_FLD);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 10);
    in = ok(M64, "df 28", 2, X86_OP_FILD);
    assert_opnd(&in, 0, X86_OPND_MEM, 0, 8);
    ok(M64, "db e3", 2, X86_OP_FNINIT);
    ok(M64, "9b", 1, X86_OP_FWAIT);
    ok(M64, "da c9", 2, X86_OP_FCMOVE);
    ok(M64, "de d9", 2, X86_OP_FCOMPP);
    bad(M64, "d9 d1", X86_DECODE_UD);
    bad(M64, "d9 08", X86_DECODE_UD);
    /* strings: no operands, segment of the rSI side */
    in = ok(M64, "f3 a4", 2, X86_OP_MOVS);
    assert_int_equal(in.nopnd, 0);
    assert_int_equal(in.opsize, 1);
    assert_true(in.flags & X86_PFX_REP);
    in = ok(M64, "f3 48 a5", 3, X86_OP_MOVS);
    assert_int_equal(in.opsize, 8);
    in = ok(M32, "26 ac", 2, X86_OP_LODS);
    assert_int_equal(in.seg, X86_ES);
    assert_true(in.flags & X86_PFX_SEG);
    in = ok(M64, "66 67 ab", 3, X86_OP_STOS);
    assert_int_equal(in.opsize, 2);
    assert_int_equal(in.addrsize, 4);
    in = ok(M16, "d7", 1, X86_OP_XLAT);
    assert_int_equal(in.seg, X86_DS);
    assert_int_equal(in.addrsize, 2);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(x86_op_name(X86_OP_ADD), "ADD");
    assert_string_equal(x86_op_name(X86_OP_XRSTOR), "XRSTOR");
    assert_string_equal(x86_op_name(X86_OP_INVALID), "INVALID");
    assert_string_equal(x86_op_name(X86_OP_COUNT), "?");
    assert_string_equal(x86_op_name((enum x86_op)-1), "?");
    for (unsigned op = 0; op < X86_OP_COUNT; op++)
        assert_true(strlen(x86_op_name((enum x86_op)op)) > 1);
}

/* The record stays within its documented bounds for arbitrary input. */
static void test_record_invariants(void **state)
{
    (void)state;
    uint64_t s = 88172645463325252ull;
    static const enum x86_mode modes[] = { M64, M32, M16, MREAL };
    for (unsigned i = 0; i < 200000; i++) {
        uint8_t buf[15];
        for (unsigned k = 0; k < sizeof(buf); k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[k] = (uint8_t)s;
        }
        struct x86_insn in;
        int r = x86_decode(buf, sizeof(buf), modes[i % 4], &in);
        if (r < 0) {
            assert_true(r == X86_DECODE_UD || r == X86_DECODE_TOO_LONG);
            continue;
        }
        assert_true(r >= 1 && r <= 15);
        assert_int_equal(in.len, r);
        assert_true(in.op > X86_OP_INVALID && in.op < X86_OP_COUNT);
        assert_true(in.nopnd <= 4);
        assert_true(in.opsize == 1 || in.opsize == 2 || in.opsize == 4 || in.opsize == 8);
        assert_true(in.addrsize == 2 || in.addrsize == 4 || in.addrsize == 8);
        assert_true(in.seg <= X86_GS);
        assert_true(in.base < 16 || in.base == X86_REG_RIP || in.base == X86_REG_NONE);
        assert_true(in.index < 16 || in.index == X86_REG_NONE);
        assert_true(in.scale <= 3);
        assert_true(in.map <= 3);
        for (unsigned k = 0; k < in.nopnd; k++) {
            const struct x86_opnd *o = &in.opnd[k];
            assert_true(o->kind != X86_OPND_NONE && o->kind <= X86_OPND_FAR);
            if (o->kind == X86_OPND_GPR)
                assert_true(o->reg < 16 || (o->reg >= X86_REG_AH && o->reg <= X86_REG_BH));
            if (o->kind == X86_OPND_XMM)
                assert_true(o->reg < 16);
            if (o->kind == X86_OPND_MMX || o->kind == X86_OPND_ST)
                assert_true(o->reg < 8);
            if (o->kind == X86_OPND_SREG)
                assert_true(o->reg <= X86_GS);
            if (o->kind == X86_OPND_CR)
                assert_true(o->reg == 0 || (o->reg >= 2 && o->reg <= 4) || o->reg == 8);
            if (o->kind == X86_OPND_DR)
                assert_true(o->reg < 8);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_order),
        cmocka_unit_test(test_rex),
        cmocka_unit_test(test_addressing),
        cmocka_unit_test(test_moffs_far_enter),
        cmocka_unit_test(test_invalid_in_64),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_immediates),
        cmocka_unit_test(test_branches),
        cmocka_unit_test(test_system),
        cmocka_unit_test(test_sse_x87_strings),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_record_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
