/* Test oracle: x86_decode() against capstone 4.0.2. See capstone_map.h.
 *
 * Comparison policy (how, not exceptions): lengths must be equal; operands
 * are compared in order after normalisation (register class, number and
 * size; memory segment override, base, index, scale, displacement modulo
 * the address size, and size; immediates by value). Immediates and branch
 * targets are compared by value at the decoder's operand size, because
 * capstone 4 reports immediate sizes inconsistently (8 for INT imm8 in
 * 64-bit mode); the golden tests check immediate sizes. String
 * instructions and XLAT are compared by length only (capstone lists their
 * implicit memory operands, the decoder none by convention). LEA's memory
 * operand has size 0 by the decoder's convention. The implicit XMM0 of
 * BLENDV and SHA256RNDS2 is listed by the decoder only. */
#include "capstone_map.h"

#include <stdlib.h>
#include <string.h>

#include "cs_oracle.h"

/* ---------------------------------------------------------------------------
 * Documented differences. Each entry says why the decoder is right (with the
 * SDM reference) or what capstone 4.0.2 gets wrong.
 * ------------------------------------------------------------------------- */
enum exc {
    EX_UNSUPPORTED,    /* capstone decodes an extension the decoder leaves out */
    EX_LOCK,           /* LOCK on a non-lockable instruction / register destination */
    EX_CRDR,           /* MOV to/from a control or debug register that does not exist */
    EX_MOVCS,          /* MOV CS, r/m */
    EX_REALMODE,       /* protected-mode-only instructions in real mode */
    EX_PFX_FORM,       /* a mandatory prefix the opcode has no form for */
    EX_PFX_ORDER,      /* capstone depends on the order of the prefixes */
    EX_CS16_PFX,       /* capstone ignores mandatory prefixes in 16-bit mode */
    EX_SEG64,          /* ES/CS/SS/DS override in 64-bit mode */
    EX_SREG_REXR,      /* REX.R on MOV to/from a segment register */
    EX_BRANCH66,       /* 66 on a near branch in 64-bit mode */
    EX_BRANCH67,       /* 67 before a relative branch */
    EX_BRANCH16,       /* 66 before a relative branch in 16-bit mode */
    EX_MOVSXD,         /* MOVSXD without REX.W */
    EX_HINTNOP,        /* register forms of the reserved/hint NOPs */
    EX_FENCE,          /* LFENCE/MFENCE/SFENCE with ModRM.rm != 0 */
    EX_PREFETCH,       /* AMD PREFETCH 0F 0D /0 */
    EX_UDLEN,          /* UD0/UD1 ModRM */
    EX_FARSIZE,        /* size of m16:16/32/64 far pointers */
    EX_X87SIZE,        /* x87 memory operand sizes */
    EX_X87ALIAS,       /* undocumented x87 register aliases */
    EX_MEMSIZE,        /* other operand sizes capstone gets wrong */
    EX_PAUSE,          /* F3 REX.W 90 */
    EX_PFX66_REXW,     /* 66 and REX.W together */
    EX_MOVQ_REXW,      /* F3 REX.W 0F 7E */
    EX_O64,            /* 64-bit-only instructions outside 64-bit mode */
    EX_NEWER,          /* instructions newer than capstone 4.0.2 */
    EX_COUNT
};

static const char *const exc_text[EX_COUNT] = {
    [EX_UNSUPPORTED] =
        "capstone decodes an ISA extension the decoder deliberately returns #UD for "
        "(VEX/EVEX/XOP: AVX*, BMI, FMA, F16C; 3DNow!; VMX/SVM except VMCALL/VMMCALL; "
        "SMX; SSE4a; TSX; SGX; MONITORX/CLZERO)",
    [EX_LOCK] =
        "LOCK on an instruction that is not lockable or has a register destination "
        "is #UD (SDM Vol. 2A, LOCK); capstone accepts it",
    [EX_CRDR] =
        "MOV to/from CR1, CR5-CR7, CR9-CR15 and DR8-DR15 is #UD (SDM Vol. 2B, "
        "MOV-Move to/from Control Registers, Debug Registers); capstone decodes them",
    [EX_MOVCS] =
        "MOV CS, r/m16 is #UD (SDM Vol. 2B, MOV: 'If the DEST operand is CS'); capstone "
        "decodes it",
    [EX_REALMODE] =
        "SLDT/STR/LLDT/LTR/VERR/VERW/ARPL/LAR/LSL are #UD in real and virtual-8086 mode "
        "(SDM Vol. 2, each instruction's 'Real-Address Mode Exceptions'); capstone has "
        "no notion of the mode",
    [EX_PFX_FORM] =
        "F2/F3/66 before an SSE/MMX opcode that has no form with that mandatory prefix "
        "is reserved and #UD (SDM Vol. 2A, 2.1.2; empty cells of Tables A-3 to A-5); "
        "capstone ignores the prefix",
    [EX_PFX_ORDER] =
        "prefixes of different groups may come in any order (SDM Vol. 2A, 2.1.1) and "
        "F2/F3 select the SSE form over 66; capstone 4 loses a 66 that precedes 67, "
        "F2 or F3 (verified: capstone agrees once the same prefixes are put in the "
        "order 67, 66, others)",
    [EX_CS16_PFX] =
        "66/F2/F3 are mandatory prefixes of SSE instructions in every mode (SDM Vol. 2A, "
        "2.1.2); capstone 4 ignores them in 16-bit mode (verified: capstone agrees on "
        "the equivalent 32-bit encoding, 67 toggled)",
    [EX_SEG64] =
        "in 64-bit mode the ES, CS, SS and DS overrides have no effect, an earlier FS/GS "
        "override stays in force (SDM Vol. 1, 3.3.7.1); capstone reports the last prefix",
    [EX_SREG_REXR] =
        "REX.R is ignored when ModRM.reg names a segment register (SDM Vol. 2A, 2.2.1.2); "
        "capstone 4 rejects MOV Sreg forms with REX.R",
    [EX_BRANCH66] =
        "66 before a near JMP/CALL/Jcc in 64-bit mode is ignored, the operand size stays "
        "64 and the displacement 32 bits (Intel behaviour, SDM Vol. 2A, JMP/CALL: 'In "
        "64-bit mode ... operand size fixed at 64 bits'); capstone follows AMD (rel16)",
    [EX_BRANCH67] =
        "67 does not change a relative branch target (only the operand size truncates "
        "EIP, SDM Vol. 2A, Jcc/JMP 'Operation'); capstone truncates it to the address "
        "size",
    [EX_BRANCH16] =
        "66 before a relative branch in 16-bit mode makes it a 32-bit branch whose "
        "target is not truncated to 16 bits (SDM Vol. 2A, JMP 'Operation'); capstone "
        "truncates it",
    [EX_MOVSXD] =
        "63 /r in 64-bit mode without REX.W is MOVSXD r32, r/m32 (r16, r/m16 with 66) "
        "(SDM Vol. 2B, MOVSX/MOVSXD); capstone always reports r64, r/m32",
    [EX_HINTNOP] =
        "0F 18-0F 1F are (hint) NOPs, register forms included (SDM Vol. 2A, Table A-3, "
        "Table A-6 group 16; NOP 0F 1F /0): capstone 4 rejects some register forms, "
        "lists ModRM.reg as a second operand of others and gives 0F 18 a fixed dword size",
    [EX_FENCE] =
        "LFENCE/MFENCE/SFENCE ignore ModRM.rm (0F AE E8-EF, F0-F7, F8-FF; SDM Vol. 2A, "
        "Table A-6 group 15); capstone 4 accepts only rm = 0",
    [EX_PREFETCH] =
        "0F 0D /0 is PREFETCH (AMD APM Vol. 3, PREFETCH/PREFETCHW; 3DNowPrefetch); "
        "capstone 4 decodes only PREFETCHW (/1)",
    [EX_UDLEN] =
        "UD0 (0F FF) and UD1 (0F B9) take a ModRM byte (SDM Vol. 2B, UD); capstone 4 "
        "decodes them without it or rejects prefixed forms (both always raise #UD, so "
        "the length is never observable)",
    [EX_FARSIZE] =
        "far-pointer memory operands (LDS/LES/LFS/LGS/LSS, FF /3, FF /5) are 2 + operand "
        "size bytes (m16:16 = 4, m16:32 = 6, m16:64 = 10; SDM Vol. 2A, CALL, JMP, LDS); "
        "capstone reports other sizes",
    [EX_X87SIZE] =
        "x87 memory sizes: FNSTSW m2byte = 2, FNSAVE/FRSTOR 94/108, FLDENV/FNSTENV 14/28 "
        "by operand size (SDM Vol. 1, 8.1.10, Figures 8-9 to 8-12); capstone reports "
        "other sizes",
    [EX_X87ALIAS] =
        "undocumented x87 register aliases (D9 D8+i FSTP, DC D0+i FCOM, DC D8+i FCOMP, "
        "DD C8+i FXCH, DE D0+i FCOMP, DF C8+i FXCH, DF D0+i/D8+i FSTP): capstone lists "
        "extra ST(0) operands",
    [EX_MEMSIZE] =
        "operand sizes per the SDM where capstone reports others: LAR/LSL m16 and LSL "
        "r64, r32/m16, MMX PUNPCKLBW/WD/DQ m32, COMISS m32, COMISD m64 (SDM Vol. 2A/2B); "
        "FXSAVE/FXRSTOR (512 bytes) and the XSAVE family access areas that do not fit "
        "the size field (size 0 by the decoder's convention), capstone says 8",
    [EX_PFX66_REXW] =
        "66 together with REX.W: REX.W sets the operand size and 66 still selects the "
        "SSE form (SDM Vol. 1, 3.6.1 Table 3-4; Vol. 2A, 2.1.2); capstone 4 mishandles "
        "the pair (verified: capstone agrees once the overridden prefix is left out)",
    [EX_MOVQ_REXW] =
        "F3 0F 7E is MOVQ xmm, xmm/m64 whatever REX.W (SDM Vol. 2B, MOVQ); capstone 4 "
        "decodes the MMX MOVQ r/m64, mm with REX.W",
    [EX_O64] =
        "SWAPGS and RDFSBASE/WRGSBASE & co are #UD outside 64-bit mode (SDM Vol. 2B); "
        "capstone decodes SWAPGS in 16/32-bit mode",
    [EX_NEWER] =
        "instructions capstone 4.0.2 does not know: RDPKRU/WRPKRU (0F 01 EE/EF) and RDPID "
        "(F3 0F C7 /7, which capstone decodes as RDSEED)",
    [EX_PAUSE] =
        "F3 90 with REX.W (no REX.B) is PAUSE: REX.W does not change the opcode and "
        "REX.W 90 is a NOP (SDM Vol. 2B, PAUSE and XCHG); capstone says xchg rax, rax",
};

#define MAX_REPORTS 40

struct cmap {
    struct cs_oracle *cs;
    uint64_t checked, disagree, exc[EX_COUNT];
    unsigned reported;
    bool triage;          /* CMAP_TRIAGE set: print every disagreement */
    int show;             /* CMAP_SHOW=<n>: print the cases of exception n */
};

static uint64_t mask_bytes(uint64_t v, unsigned bytes)
{
    return bytes >= 8 || bytes == 0 ? v : v & ((1ull << (8 * bytes)) - 1);
}

struct cmap *cmap_new(void)
{
    struct cmap *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cs = cso_new();
    if (!m->cs) {
        free(m);
        return NULL;
    }
    m->triage = getenv("CMAP_TRIAGE") != NULL;
    m->show = getenv("CMAP_SHOW") ? atoi(getenv("CMAP_SHOW")) : -1;
    return m;
}

void cmap_free(struct cmap *m)
{
    if (!m)
        return;
    cso_free(m->cs);
    free(m);
}

uint64_t cmap_checked(const struct cmap *m) { return m->checked; }
uint64_t cmap_disagreements(const struct cmap *m) { return m->disagree; }

void cmap_print_exceptions(const struct cmap *m, FILE *f)
{
    for (unsigned i = 0; i < EX_COUNT; i++) {
        if (m->exc[i])
            fprintf(f, "  %10llu  %s\n", (unsigned long long)m->exc[i], exc_text[i]);
    }
}

static unsigned mode_bits(enum x86_mode mode)
{
    switch (mode) {
    case X86_MODE_LONG64: return 64;
    case X86_MODE_PROT32:
    case X86_MODE_COMPAT32: return 32;
    default: return 16;
    }
}

/* ---------------------------------------------------------------------------
 * The decoder's side in the common form
 * ------------------------------------------------------------------------- */
static struct creg my_gpr(unsigned reg, unsigned size)
{
    if (reg >= X86_REG_AH && reg <= X86_REG_BH)
        return (struct creg){ RC_GPRH, (uint8_t)(reg & 7), 1 };
    return (struct creg){ RC_GPR, (uint8_t)reg, (uint8_t)size };
}

static struct creg my_addr_reg(unsigned reg, unsigned asz)
{
    if (reg == X86_REG_NONE)
        return (struct creg){ RC_NONE, 0, 0 };
    if (reg == X86_REG_RIP)
        return (struct creg){ RC_RIP, 0, (uint8_t)asz };
    return (struct creg){ RC_GPR, (uint8_t)reg, (uint8_t)asz };
}

static void my_form(const struct x86_insn *in, uint64_t addr, struct nform *f)
{
    memset(f, 0, sizeof(*f));
    for (unsigned i = 0; i < in->nopnd; i++) {
        const struct x86_opnd *o = &in->opnd[i];
        struct nopnd *p = &f->o[f->n++];
        p->size = o->size;
        switch (o->kind) {
        case X86_OPND_GPR:
            p->kind = NK_REG;
            p->reg = my_gpr(o->reg, o->size);
            break;
        case X86_OPND_SREG: p->kind = NK_REG; p->reg = (struct creg){ RC_SEG, o->reg, 0 }; break;
        case X86_OPND_CR: p->kind = NK_REG; p->reg = (struct creg){ RC_CR, o->reg, 0 }; break;
        case X86_OPND_DR: p->kind = NK_REG; p->reg = (struct creg){ RC_DR, o->reg, 0 }; break;
        case X86_OPND_XMM: p->kind = NK_REG; p->reg = (struct creg){ RC_XMM, o->reg, 0 }; break;
        case X86_OPND_MMX: p->kind = NK_REG; p->reg = (struct creg){ RC_MMX, o->reg, 0 }; break;
        case X86_OPND_ST: p->kind = NK_REG; p->reg = (struct creg){ RC_ST, o->reg, 0 }; break;
        case X86_OPND_MEM:
            p->kind = NK_MEM;
            p->seg = (in->flags & X86_PFX_SEG) ? in->seg : -1;
            p->base = my_addr_reg(in->base, in->addrsize);
            p->index = my_addr_reg(in->index, in->addrsize);
            p->scale = in->index == X86_REG_NONE ? 0 : in->scale;
            p->disp = mask_bytes((uint64_t)(int64_t)in->disp, in->addrsize);
            break;
        case X86_OPND_MOFFS:
            p->kind = NK_MEM;
            p->seg = (in->flags & X86_PFX_SEG) ? in->seg : -1;
            p->disp = mask_bytes(in->imm, in->addrsize);
            break;
        case X86_OPND_IMM:
            p->kind = NK_IMM;
            p->imm = mask_bytes(i > 0 && in->opnd[0].kind == X86_OPND_IMM ? in->imm2 : in->imm,
                                o->size);
            break;
        case X86_OPND_REL:
            p->kind = NK_IMM;
            p->imm = mask_bytes(addr + in->len + in->imm, o->size);
            break;
        case X86_OPND_FAR:
            /* capstone: selector, then offset */
            p->kind = NK_IMM;
            p->size = 2;
            p->imm = in->imm2;
            p = &f->o[f->n++];
            p->kind = NK_IMM;
            p->size = o->size - 2u;
            p->imm = in->imm;
            break;
        default:
            p->kind = 0;
            break;
        }
    }
}


/* ---------------------------------------------------------------------------
 * What the encoding contains
 * ------------------------------------------------------------------------- */
struct enc {
    const uint8_t *b;
    size_t n;
    unsigned npfx;      /* legacy + REX prefix bytes */
    bool has66, has67, hasf2, hasf3, haslock;
    unsigned rex;
    unsigned map, opcode;
    unsigned modrm_at;  /* index of the byte after the opcode */
};

static void scan(const uint8_t *b, size_t n, enum x86_mode mode, struct enc *e)
{
    memset(e, 0, sizeof(*e));
    e->b = b;
    e->n = n;
    size_t i = 0;
    for (; i < n && i < 15; i++) {
        uint8_t c = b[i];
        if (c == 0x66) e->has66 = true;
        else if (c == 0x67) e->has67 = true;
        else if (c == 0xf2) e->hasf2 = true;
        else if (c == 0xf3) e->hasf3 = true;
        else if (c == 0xf0) e->haslock = true;
        else if (c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x64 || c == 0x65)
            ;
        else if (mode == X86_MODE_LONG64 && (c & 0xf0) == 0x40) { e->rex = c; continue; }
        else break;
        e->rex = 0;
    }
    e->npfx = (unsigned)i;
    if (i < n && b[i] == 0x0f) {
        e->map = 1;
        i++;
        if (i < n && (b[i] == 0x38 || b[i] == 0x3a)) {
            e->map = b[i] == 0x38 ? 2 : 3;
            i++;
        }
    }
    e->opcode = i < n ? b[i] : 0;
    e->modrm_at = (unsigned)i + 1;
}

static bool is_string_op(unsigned op)
{
    switch (op) {
    case X86_OP_MOVS: case X86_OP_CMPS: case X86_OP_STOS: case X86_OP_LODS:
    case X86_OP_SCAS: case X86_OP_INS: case X86_OP_OUTS: case X86_OP_XLAT:
        return true;
    default:
        return false;
    }
}

static bool is_x87_alias(const struct enc *e, unsigned modrm)
{
    unsigned r = (modrm >> 3) & 7;
    if (modrm < 0xc0)
        return false;
    switch (e->opcode) {
    case 0xd9: return r == 3;
    case 0xdc: return r == 2 || r == 3;
    case 0xdd: return r == 1;
    case 0xde: return r == 2;
    case 0xdf: return r >= 1 && r <= 3;
    default: return false;
    }
}

/* Capstone decoded it, the decoder said #UD: which documented case? */
static int why_we_reject(struct cs_oracle *cs, const struct cs_result *c, const struct enc *e,
                         enum x86_mode mode)
{
    struct x86_insn tmp;
    uint8_t buf[32];
    size_t k = 0;

    if (c->unsupported)
        return EX_UNSUPPORTED;
    if (e->map == 0 && (e->opcode == 0xc4 || e->opcode == 0xc5 || e->opcode == 0x62 ||
                        e->opcode == 0x8f) && c->mnemonic[0] == 'v')
        return EX_UNSUPPORTED; /* VEX, EVEX */
    if (mode != X86_MODE_LONG64 && !strcmp(c->mnemonic, "swapgs"))
        return EX_O64;
    if (e->haslock) {
        /* without the LOCK bytes, does the decoder accept it? */
        for (size_t i = 0; i < c->len && k < sizeof(buf); i++)
            if (i >= e->npfx || e->b[i] != 0xf0)
                buf[k++] = e->b[i];
        if (x86_decode(buf, k, mode, &tmp) > 0)
            return EX_LOCK;
    }
    if (e->map == 1 && e->opcode >= 0x20 && e->opcode <= 0x23 && e->modrm_at < e->n) {
        unsigned reg = ((e->b[e->modrm_at] >> 3) & 7) | ((e->rex & 4) ? 8 : 0);
        bool cr = e->opcode == 0x20 || e->opcode == 0x22;
        if (cr ? (reg == 1 || (reg >= 5 && reg != 8)) : reg >= 8)
            return EX_CRDR;
    }
    if (e->map == 0 && e->opcode == 0x8e && e->modrm_at < e->n &&
        ((e->b[e->modrm_at] >> 3) & 7) == 1)
        return EX_MOVCS;
    if ((mode == X86_MODE_REAL || mode == X86_MODE_VM86) &&
        ((e->map == 1 && e->opcode <= 3) || (e->map == 0 && e->opcode == 0x63)))
        return EX_REALMODE;
    if (e->map && (e->hasf2 || e->hasf3 || e->has66)) {
        /* a prefix with no form: capstone must decode the same instruction
         * without the 66/F2/F3 bytes, i.e. it ignored them */
        struct cs_result c2;
        k = 0;
        for (size_t i = 0; i < e->n; i++) {
            bool dead_rex = mode == X86_MODE_LONG64 && (e->b[i] & 0xf0) == 0x40 &&
                            !(e->rex && i == e->npfx - 1); /* REX not before the opcode */
            if (i >= e->npfx ||
                (e->b[i] != 0x66 && e->b[i] != 0xf2 && e->b[i] != 0xf3 && !dead_rex))
                buf[k++] = e->b[i];
        }
        if (cso_decode(cs, buf, k, mode_bits(mode), 0, &c2) &&
            !strcmp(c2.mnemonic, c->mnemonic) && (size_t)c2.len + e->n == (size_t)c->len + k)
            return EX_PFX_FORM;
    }
    return -1;
}

/* The decoder decoded it, capstone did not: which documented case? */
static int why_they_reject(const struct x86_insn *in, const struct enc *e)
{
    if (in->op == X86_OP_NOP && e->map == 1 && e->opcode >= 0x18 && e->opcode <= 0x1f)
        return EX_HINTNOP;
    if ((in->op == X86_OP_LFENCE || in->op == X86_OP_MFENCE || in->op == X86_OP_SFENCE) &&
        (in->modrm & 7))
        return EX_FENCE;
    if (in->op == X86_OP_PREFETCH)
        return EX_PREFETCH;
    if (in->op == X86_OP_UD0 || in->op == X86_OP_UD1)
        return EX_UDLEN;
    if (in->op == X86_OP_RDPKRU || in->op == X86_OP_WRPKRU)
        return EX_NEWER;
    if ((in->op == X86_OP_MOV_TO_SREG || in->op == X86_OP_MOV_FROM_SREG) && (e->rex & 4))
        return EX_SREG_REXR;
    return -1;
}

/* Operands the SDM lists implicitly that capstone leaves out. */
static bool implicit_last(unsigned op)
{
    return op == X86_OP_PBLENDVB || op == X86_OP_BLENDVPS || op == X86_OP_BLENDVPD ||
           op == X86_OP_SHA256RNDS2;
}

/* Memory sizes capstone reports differently (see EX_MEMSIZE, EX_FARSIZE, EX_X87SIZE). */
static int memsize_exception(unsigned op)
{
    switch (op) {
    case X86_OP_LAR: case X86_OP_LSL: case X86_OP_COMISS: case X86_OP_COMISD:
    case X86_OP_XSAVEC: case X86_OP_XSAVES: case X86_OP_XRSTORS: case X86_OP_XSAVE:
    case X86_OP_XSAVEOPT: case X86_OP_XRSTOR: case X86_OP_FXSAVE: case X86_OP_FXRSTOR:
    case X86_OP_PUNPCKLBW: case X86_OP_PUNPCKLWD: case X86_OP_PUNPCKLDQ:
        return EX_MEMSIZE;
    case X86_OP_LDS: case X86_OP_LES: case X86_OP_LFS: case X86_OP_LGS: case X86_OP_LSS:
    case X86_OP_CALLF: case X86_OP_JMPF:
        return EX_FARSIZE;
    case X86_OP_FNSTSW: case X86_OP_FNSAVE: case X86_OP_FRSTOR: case X86_OP_FNSTENV:
    case X86_OP_FLDENV:
        return EX_X87SIZE;
    default:
        return -1;
    }
}

/* SSE compare predicates as capstone spells them (cmp<pred>ps ...). */
static int cmp_predicate(const char *mnemonic)
{
    static const char *const pred[8] = { "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord" };
    size_t n = strlen(mnemonic);
    if (strncmp(mnemonic, "cmp", 3) || n < 6)
        return -1;
    for (int i = 0; i < 8; i++) {
        size_t l = strlen(pred[i]);
        if (n == 3 + l + 2 && !strncmp(mnemonic + 3, pred[i], l))
            return i;
    }
    return -1;
}

/* Brings the decoder's operand list to capstone's way of listing the same
 * instruction where the two conventions differ; returns false if the
 * operand that capstone folds into its mnemonic does not match it. */
static bool to_capstone_style(struct nform *mine, const struct cs_result *c,
                              const struct x86_insn *in, const struct enc *e)
{
    if (implicit_last(in->op) && mine->n == c->form.n + 1) {
        mine->n--; /* implicit XMM0 */
        return true;
    }
    if ((in->op == X86_OP_CMPPS || in->op == X86_OP_CMPPD || in->op == X86_OP_CMPSS ||
         in->op == X86_OP_CMPSD) && mine->n == 3 && c->form.n == 2) {
        /* capstone folds predicates 0-7 into the mnemonic (cmpltps) */
        mine->n = 2;
        return cmp_predicate(c->mnemonic) == (int)in->imm;
    }
    if ((in->op == X86_OP_AAM || in->op == X86_OP_AAD) && c->form.n == 0) {
        mine->n = 0; /* capstone omits the usual base 10 */
        return in->imm == 10;
    }
    if (e->map == 0 && e->opcode >= 0xd8 && e->opcode <= 0xdf && in->modrm >= 0xc0 &&
        mine->n == 2 && c->form.n == 1) {
        /* capstone leaves out the implied ST(0) of two-operand x87 forms */
        bool st0_first = !(e->opcode == 0xdc || e->opcode == 0xdd || e->opcode == 0xde);
        if (st0_first)
            mine->o[0] = mine->o[1];
        mine->n = 1;
    }
    return true;
}

#define CMP_AGREE (-1)
#define CMP_DISAGREE (-2)

/* Compares the operand lists: CMP_AGREE, an exception, or CMP_DISAGREE
 * with *why set. */
static int compare_forms(struct nform *mine, const struct cs_result *c, const struct x86_insn *in,
                         const struct enc *e, enum x86_mode mode, char *why, size_t whylen)
{
    int pending = CMP_AGREE;

    if (in->op == X86_OP_NOP && e->map == 1 && e->opcode >= 0x18 && e->opcode <= 0x1f &&
        (mine->n != c->form.n || (mine->n && mine->o[0].size != c->form.o[0].size)))
        return EX_HINTNOP;
    if (in->op == X86_OP_MOVSXD && !(in->flags & X86_PFX_REXW))
        pending = EX_MOVSXD; /* counted if anything differs */
    if (!to_capstone_style(mine, c, in, e)) {
        snprintf(why, whylen, "operand folded into the mnemonic");
        return CMP_DISAGREE;
    }
    if (mine->n != c->form.n) {
        if (in->op == X86_OP_PAUSE && (e->rex & 8))
            return EX_PAUSE;
        if (e->map == 0 && e->opcode >= 0xd8 && e->opcode <= 0xdf && is_x87_alias(e, in->modrm))
            return EX_X87ALIAS;
        snprintf(why, whylen, "operand count");
        return CMP_DISAGREE;
    }
    int result = CMP_AGREE;
    for (unsigned i = 0; i < mine->n; i++) {
        const struct nopnd *a = &mine->o[i], *b = &c->form.o[i];
        const char *d = NULL;
        int ex = -1;
        if (a->kind != b->kind) {
            d = "kind";
        } else if (a->kind == NK_IMM) {
            bool rel = in->opnd[0].kind == X86_OPND_REL;
            if (a->imm == mask_bytes(b->imm, a->size))
                ;
            else if (rel && e->has67)
                ex = EX_BRANCH67;
            else if (rel && e->has66 && mode == X86_MODE_LONG64)
                ex = EX_BRANCH66;
            else if (rel && e->has66 && mode_bits(mode) == 16 &&
                     (a->imm & 0xffff) == (b->imm & 0xffff))
                ex = EX_BRANCH16;
            else
                d = "immediate";
        } else if (a->kind == NK_REG) {
            if (a->reg.cls != b->reg.cls || a->reg.num != b->reg.num)
                d = "register";
            else if (a->reg.size != b->reg.size || a->size != b->size) {
                if (in->op == X86_OP_LSL)
                    ex = EX_MEMSIZE;
                else
                    d = "size";
            }
        } else {
            if (a->seg != b->seg) {
                if (mode == X86_MODE_LONG64 && b->seg >= 0 && b->seg < X86_FS)
                    ex = EX_SEG64;
                else
                    d = "segment";
            }
            if (!d && !(a->base.cls == b->base.cls && a->base.num == b->base.num &&
                        a->base.size == b->base.size))
                d = "base";
            if (!d && !(a->index.cls == b->index.cls && a->index.num == b->index.num &&
                        a->index.size == b->index.size))
                d = "index";
            if (!d && a->scale != b->scale)
                d = "scale";
            if (!d && a->disp != b->disp)
                d = "displacement";
            if (!d && a->size != b->size && in->op != X86_OP_LEA) {
                ex = memsize_exception(in->op);
                if (ex < 0)
                    d = "size";
            }
        }
        if (d && pending == EX_MOVSXD && !strcmp(d, "size"))
            return EX_MOVSXD;
        if (d) {
            snprintf(why, whylen, "operand %u %s", i, d);
            return CMP_DISAGREE;
        }
        if (ex >= 0)
            result = ex;
    }
    return result;
}

/* Full comparison of one decoding pair (capstone result c may be NULL). */
static int compare_all(struct cs_oracle *cs, const struct x86_insn *in, int r,
                       const struct cs_result *c, const struct enc *e, enum x86_mode mode,
                       uint64_t addr, char *why, size_t whylen)
{
    int ex;
    if (r <= 0) {
        ex = why_we_reject(cs, c, e, mode);
        if (ex < 0)
            snprintf(why, whylen, "we reject");
        return ex >= 0 ? ex : CMP_DISAGREE;
    }
    if (!c) {
        ex = why_they_reject(in, e);
        if (ex < 0)
            snprintf(why, whylen, "capstone rejects");
        return ex >= 0 ? ex : CMP_DISAGREE;
    }
    if (in->op == X86_OP_RDPID && strcmp(c->mnemonic, "rdpid"))
        return EX_NEWER;
    if (in->op == X86_OP_MOVQ && e->map == 1 && e->opcode == 0x7e && (e->rex & 8) &&
        strcmp(c->mnemonic, "movq"))
        return EX_MOVQ_REXW;
    if ((unsigned)r != c->len) {
        if (mode == X86_MODE_LONG64 && e->has66 &&
            (in->opnd[0].kind == X86_OPND_REL || in->op == X86_OP_RET))
            return EX_BRANCH66;
        if (in->op == X86_OP_UD0 || in->op == X86_OP_UD1)
            return EX_UDLEN;
        snprintf(why, whylen, "length");
        return CMP_DISAGREE;
    }
    if (is_string_op(in->op))
        return CMP_AGREE;
    struct nform mine;
    my_form(in, addr, &mine);
    return compare_forms(&mine, c, in, e, mode, why, whylen);
}

/* The same prefixes in the order 67, 66, the others (relative order kept),
 * then REX; or with 66 after the others when sixty_six_last. */
static size_t reorder_prefixes(const struct enc *e, bool sixty_six_last, uint8_t *out)
{
    size_t k = 0;
    for (unsigned i = 0; i < e->npfx; i++)
        if (e->b[i] == 0x67)
            out[k++] = 0x67;
    for (unsigned i = 0; i < e->npfx && !sixty_six_last; i++)
        if (e->b[i] == 0x66)
            out[k++] = 0x66;
    for (unsigned i = 0; i < e->npfx; i++)
        if (e->b[i] != 0x66 && e->b[i] != 0x67 && !(e->rex && (e->b[i] & 0xf0) == 0x40))
            out[k++] = e->b[i];
    for (unsigned i = 0; i < e->npfx && sixty_six_last; i++)
        if (e->b[i] == 0x66)
            out[k++] = 0x66;
    if (e->rex)
        out[k++] = (uint8_t)e->rex;
    for (size_t i = e->npfx; i < e->n; i++)
        out[k++] = e->b[i];
    return k;
}

/* The equivalent 32-bit encoding of a 16-bit one: 67 toggled, and 66
 * toggled too when it is an operand-size prefix (F2/F3 are the mandatory
 * prefix); prefixes in the order capstone handles. */
static size_t to_32bit(const struct enc *e, uint8_t *out)
{
    bool toggle66 = e->hasf2 || e->hasf3;
    bool has66 = toggle66 ? !e->has66 : e->has66;
    size_t k = 0;
    if (!e->has67)
        out[k++] = 0x67;
    if (has66 && toggle66)
        out[k++] = 0x66;   /* operand size: before F2/F3, which then select */
    for (size_t i = 0; i < e->npfx; i++)
        if (e->b[i] != 0x67 && e->b[i] != 0x66)
            out[k++] = e->b[i];
    if (has66 && !toggle66)
        out[k++] = 0x66;   /* mandatory prefix: last, as capstone wants it */
    for (size_t i = e->npfx; i < e->n; i++)
        out[k++] = e->b[i];
    return k;
}

static void print_form(const char *who, const struct nform *f)
{
    printf("    %s:", who);
    for (unsigned i = 0; i < f->n; i++) {
        const struct nopnd *o = &f->o[i];
        switch (o->kind) {
        case NK_REG:
            printf(" [reg c%u n%u s%u | %u]", o->reg.cls, o->reg.num, o->reg.size, o->size);
            break;
        case NK_MEM:
            printf(" [mem seg%d b%u/%u/%u i%u/%u/%u sc%d d%llx | %u]", o->seg, o->base.cls,
                   o->base.num, o->base.size, o->index.cls, o->index.num, o->index.size, o->scale,
                   (unsigned long long)o->disp, o->size);
            break;
        case NK_IMM:
            printf(" [imm %llx | %u]", (unsigned long long)o->imm, o->size);
            break;
        default:
            printf(" [?]");
        }
    }
    printf("\n");
}

static void report(struct cmap *m, const struct enc *e, enum x86_mode mode, uint64_t addr,
                   const char *what, const struct x86_insn *in, int r, const struct cs_result *c)
{
    m->disagree++;
    if (m->reported++ >= MAX_REPORTS && !m->triage)
        return;
    printf("DISAGREE (%s) mode %u-bit at 0x%llx bytes", what, mode_bits(mode),
           (unsigned long long)addr);
    for (size_t i = 0; i < e->n && i < 15; i++)
        printf(" %02x", e->b[i]);
    if (r > 0)
        printf(" | ours: %s len %d", x86_op_name(in->op), r);
    else
        printf(" | ours: error %d", r);
    if (c)
        printf(" | capstone: %s %s len %u", c->mnemonic, c->op_str, c->len);
    else
        printf(" | capstone: invalid");
    printf("\n");
    if (m->triage && r > 0 && c) {
        struct nform mine;
        my_form(in, addr, &mine);
        print_form("ours", &mine);
        print_form("capstone", &c->form);
    }
}

enum cmap_verdict cmap_check(struct cmap *m, const uint8_t *bytes, size_t n, enum x86_mode mode,
                             uint64_t addr, unsigned *len)
{
    struct x86_insn in;
    struct cs_result c, c2;
    struct enc e;
    char why[64] = "";
    int r = x86_decode(bytes, n, mode, &in);
    bool theirs = cso_decode(m->cs, bytes, n, mode_bits(mode), addr, &c);

    scan(bytes, n, mode, &e);
    *len = r > 0 ? (unsigned)r : theirs ? c.len : 1;
    if (r <= 0 && !theirs)
        return CMAP_BOTH_INVALID;
    if (r > 0 && theirs)
        m->checked++;

    int v = compare_all(m->cs, &in, r, theirs ? &c : NULL, &e, mode, addr, why, sizeof(why));
    for (int last = 0; last < 2 && v == CMP_DISAGREE && e.npfx > 1 && e.has66; last++) {
        /* capstone's prefix-order defects: the same prefixes in a canonical order */
        uint8_t buf[32];
        size_t k = reorder_prefixes(&e, last, buf);
        bool t2 = cso_decode(m->cs, buf, k, mode_bits(mode), addr, &c2);
        char why2[64];
        if ((r > 0) == t2 && compare_all(m->cs, &in, r, t2 ? &c2 : NULL, &e, mode, addr, why2,
                                         sizeof(why2)) != CMP_DISAGREE)
            v = EX_PFX_ORDER;
    }
    if (v == CMP_DISAGREE && e.has66 && (e.rex & 8)) {
        /* capstone's 66 + REX.W defects: leave out the prefix that does not count */
        for (int drop = 0; drop < 2 && v == CMP_DISAGREE; drop++) {
            uint8_t buf[32];
            size_t k = 0;
            for (size_t i = 0; i < e.n; i++) {
                bool pfx = i < e.npfx;
                if (pfx && drop == 0 && e.b[i] == 0x66)
                    continue;                       /* 66 overridden by REX.W */
                if (pfx && drop == 1 && e.b[i] == e.rex && i == e.npfx - 1)
                    buf[k++] = 0x40 | (e.rex & 7);  /* REX.W irrelevant to the form */
                else
                    buf[k++] = e.b[i];
            }
            bool t2 = cso_decode(m->cs, buf, k, mode_bits(mode), addr, &c2);
            char why2[64];
            if (t2 && r > 0 && c2.len == (unsigned)r - (drop == 0 ? 1u : 0u)) {
                c2.len = (unsigned)r;
                if (compare_all(m->cs, &in, r, &c2, &e, mode, addr, why2, sizeof(why2)) != CMP_DISAGREE)
                    v = EX_PFX66_REXW;
            }
        }
    }
    if (v == CMP_DISAGREE && mode_bits(mode) == 16 && e.map &&
        (e.has66 || e.hasf2 || e.hasf3)) {
        /* capstone ignores mandatory prefixes in 16-bit mode: compare with
         * its decoding of the equivalent 32-bit encoding */
        uint8_t buf[32];
        size_t k = to_32bit(&e, buf);
        bool t2 = cso_decode(m->cs, buf, k, 32, addr, &c2);
        char why2[64];
        if (t2 && r > 0 && (size_t)c2.len + e.n == (size_t)r + k) {
            c2.len = (unsigned)r;
            if (compare_all(m->cs, &in, r, &c2, &e, mode, addr, why2, sizeof(why2)) != CMP_DISAGREE)
                v = EX_CS16_PFX;
        } else if (!t2 && r <= 0) {
            v = EX_CS16_PFX;
        } else if (t2 && r <= 0 && why_we_reject(m->cs, &c2, &e, mode) >= 0) {
            v = EX_CS16_PFX;
        }
    }
    if (v == CMP_DISAGREE) {
        report(m, &e, mode, addr, why, &in, r, theirs ? &c : NULL);
        return CMAP_DISAGREE;
    }
    if (v >= 0) {
        m->exc[v]++;
        if (v == m->show) {
            printf("EXCEPTION %d at 0x%llx:", v, (unsigned long long)addr);
            for (size_t i = 0; i < n && i < 15; i++)
                printf(" %02x", bytes[i]);
            printf(" | ours: %s len %d | capstone: %s %s\n", r > 0 ? x86_op_name(in.op) : "#UD", r,
                   theirs ? c.mnemonic : "invalid", theirs ? c.op_str : "");
        }
        return CMAP_EXCEPTION;
    }
    return CMAP_AGREE;
}
