/* Test oracle: x86_decode() against capstone 4.0.2. See capstone_map.h. */
#include "capstone_map.h"

#include "cs_oracle.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Documented differences. Each entry says why the decoder is right (with the
 * SDM reference) or why the case cannot be compared.
 * ------------------------------------------------------------------------- */
enum exc {
    EX_UNSUPPORTED,    /* capstone decodes an extension the decoder leaves out */
    EX_LOCK,           /* LOCK on a non-lockable instruction / register destination */
    EX_CRDR,           /* MOV to/from a control or debug register that does not exist */
    EX_PFX_ORDER,      /* 66 together with F2/F3 before an SSE opcode */
    EX_PFX_FORM,       /* a mandatory prefix the opcode has no form for */
    EX_BRANCH66,       /* 66 on a near branch in 64-bit mode */
    EX_SEG64,          /* ES/CS/SS/DS override in 64-bit mode */
    EX_MOVSXD,         /* MOVSXD without REX.W */
    EX_HINTNOP,        /* register forms of the reserved/hint NOPs */
    EX_FENCE,          /* LFENCE/MFENCE/SFENCE with ModRM.rm != 0 */
    EX_UDLEN,          /* UD0/UD1 ModRM */
    EX_FARSIZE,        /* size of m16:16/32/64 far pointers */
    EX_X87SIZE,        /* x87 memory operand sizes */
    EX_X87ALIAS,       /* undocumented x87 register aliases */
    EX_REALMODE,       /* protected-mode-only instructions in real mode */
    EX_PFX66_REP,      /* 66 together with F2/F3 on a general-purpose instruction */
    EX_BRANCH67,       /* 67 before a relative branch */
    EX_MEMSIZE,        /* other memory operand sizes capstone gets wrong */
    EX_COUNT
};

static const char *const exc_text[EX_COUNT] = {
    [EX_UNSUPPORTED] =
        "capstone decodes an ISA extension the decoder deliberately returns #UD for "
        "(VEX/EVEX/XOP: AVX*, BMI, FMA; 3DNow!; VMX/SVM except VMCALL/VMMCALL; SSE4a; "
        "TSX; SGX; MPX)",
    [EX_LOCK] =
        "LOCK on an instruction that is not lockable or has a register destination "
        "is #UD (SDM Vol. 2A, LOCK); capstone accepts it",
    [EX_CRDR] =
        "MOV to/from CR1, CR5-CR7, CR9-CR15 and DR8-DR15 is #UD (SDM Vol. 2B, "
        "MOV-Move to/from Control Registers, Debug Registers); capstone decodes them",
    [EX_PFX_ORDER] =
        "66 together with F2/F3 before an SSE opcode: F2/F3 selects the form whatever "
        "the order (SDM Vol. 2A, 2.1.2 mandatory prefixes; as XED and QEMU); capstone "
        "lets the last of 66/F2/F3 select",
    [EX_PFX_FORM] =
        "F2/F3/66 before an SSE/MMX opcode that has no form with that mandatory prefix "
        "is reserved and #UD (SDM Vol. 2A, 2.1.2; Table A-3 empty cells); capstone "
        "ignores the prefix",
    [EX_BRANCH66] =
        "66 before a near JMP/CALL/RET/Jcc in 64-bit mode is ignored, the operand size "
        "stays 64 (SDM Vol. 2A, JMP/CALL: 'In 64-bit mode ... operand size fixed at 64 "
        "bits'); capstone follows AMD and decodes a 16-bit branch",
    [EX_SEG64] =
        "in 64-bit mode the ES, CS, SS and DS overrides have no effect, an earlier FS/GS "
        "override stays in force (SDM Vol. 1, 3.3.7.1); capstone reports the last prefix",
    [EX_MOVSXD] =
        "63 /r in 64-bit mode without REX.W is MOVSXD r32, r/m32 (or r16 with 66) (SDM "
        "Vol. 2B, MOVSX/MOVSXD); capstone always reports a 64-bit destination",
    [EX_HINTNOP] =
        "0F 18 and 0F 1F with ModRM.mod = 3 are reserved NOPs (SDM Vol. 2A, Table A-6 "
        "group 16; NOP 0F 1F /0); capstone 4 rejects them",
    [EX_FENCE] =
        "LFENCE/MFENCE/SFENCE ignore ModRM.rm (0F AE E8-EF, F0-F7, F8-FF; SDM Vol. 2A, "
        "Table A-6 group 15); capstone 4 accepts only rm = 0",
    [EX_UDLEN] =
        "UD0 (0F FF) and UD1 (0F B9) take a ModRM byte (SDM Vol. 2B, UD); capstone 4 "
        "decodes them without (both raise #UD, so the length is never observable)",
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
    [EX_REALMODE] =
        "SLDT/STR/LLDT/LTR/VERR/VERW/ARPL/LAR/LSL are #UD in real and virtual-8086 mode "
        "(SDM Vol. 2, each instruction's 'Real-Address Mode Exceptions'); capstone has "
        "no notion of the mode",
    [EX_PFX66_REP] =
        "66 together with F2/F3 before a general-purpose instruction still selects the "
        "16-bit operand size (prefix groups 1 and 3 are independent, SDM Vol. 2A, 2.1.1); "
        "capstone 4 sometimes drops the 66",
    [EX_BRANCH67] =
        "67 does not change a relative branch target (only the operand size truncates "
        "EIP, SDM Vol. 2A, Jcc/JMP/CALL 'Operation'); capstone truncates it to the "
        "address size",
    [EX_MEMSIZE] =
        "memory operand sizes per the SDM where capstone reports others: LAR/LSL m16, "
        "MMX PUNPCKLBW/WD/DQ m32 (SDM Vol. 2B)",
};

#define MAX_REPORTS 40

struct cmap {
    struct cs_oracle *cs;
    uint64_t checked, disagree, exc[EX_COUNT];
    unsigned reported;
    bool triage;          /* CMAP_TRIAGE set: print every disagreement */
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

/* ---------------------------------------------------------------------------
 * Normalising both sides
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

static bool creg_eq(struct creg a, struct creg b)
{
    return a.cls == b.cls && a.num == b.num && a.size == b.size;
}

/* ---------------------------------------------------------------------------
 * Classification helpers
 * ------------------------------------------------------------------------- */
struct enc {
    const uint8_t *b;
    unsigned npfx;      /* legacy + REX prefix bytes */
    bool has66, has67, hasf2, hasf3, haslock, segpfx;
    int lastrep;        /* 0, 0xf2 or 0xf3 */
    unsigned rex;
    unsigned map, opcode, oppos;
};

static void scan(const uint8_t *b, size_t n, enum x86_mode mode, struct enc *e)
{
    memset(e, 0, sizeof(*e));
    e->b = b;
    size_t i = 0;
    for (; i < n && i < 15; i++) {
        uint8_t c = b[i];
        if (c == 0x66) e->has66 = true;
        else if (c == 0x67) e->has67 = true;
        else if (c == 0xf2) { e->hasf2 = true; e->lastrep = c; }
        else if (c == 0xf3) { e->hasf3 = true; e->lastrep = c; }
        else if (c == 0xf0) e->haslock = true;
        else if (c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x64 || c == 0x65)
            e->segpfx = true;
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
    e->oppos = (unsigned)i;
    e->opcode = i < n ? b[i] : 0;
}

/* Capstone decoded it, the decoder said #UD: which documented case? */
static int why_we_reject(const struct cs_result *c, const struct enc *e, enum x86_mode mode)
{
    struct x86_insn tmp;

    if (c->unsupported)
        return EX_UNSUPPORTED;
    if (e->haslock) {
        /* without the LOCK bytes, does the decoder accept it? */
        uint8_t buf[16];
        size_t k = 0;
        for (size_t i = 0; i < c->len && k < sizeof(buf); i++)
            if (i >= e->npfx || e->b[i] != 0xf0)
                buf[k++] = e->b[i];
        if (x86_decode(buf, k, mode, &tmp) > 0)
            return EX_LOCK;
    }
    if (e->map == 1 && e->opcode >= 0x20 && e->opcode <= 0x23)
        return EX_CRDR;
    if ((mode == X86_MODE_REAL || mode == X86_MODE_VM86) &&
        ((e->map == 1 && e->opcode <= 3) || (e->map == 0 && e->opcode == 0x63)))
        return EX_REALMODE;
    if (e->map && (e->hasf2 || e->hasf3 || e->has66))
        return EX_PFX_FORM;
    return -1;
}

/* The decoder decoded it, capstone did not: which documented case? */
static int why_they_reject(const struct x86_insn *in, const struct enc *e)
{
    if (in->op == X86_OP_NOP && e->map == 1 && (e->opcode == 0x18 || e->opcode == 0x1f) &&
        in->modrm >= 0xc0)
        return EX_HINTNOP;
    if ((in->op == X86_OP_LFENCE || in->op == X86_OP_MFENCE || in->op == X86_OP_SFENCE) &&
        (in->modrm & 7))
        return EX_FENCE;
    return -1;
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

static void report(struct cmap *m, const uint8_t *b, size_t n, enum x86_mode mode, uint64_t addr, const char *what,
                   const struct x86_insn *in, int r, const struct cs_result *c)
{
    m->disagree++;
    if (m->reported++ >= MAX_REPORTS && !m->triage)
        return;
    printf("DISAGREE (%s) mode %d bytes", what, (int)mode);
    for (size_t i = 0; i < n && i < 15; i++)
        printf(" %02x", b[i]);
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

static unsigned mode_bits(enum x86_mode mode)
{
    switch (mode) {
    case X86_MODE_LONG64: return 64;
    case X86_MODE_PROT32:
    case X86_MODE_COMPAT32: return 32;
    default: return 16;
    }
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
    case X86_OP_LAR: case X86_OP_LSL:
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

/* Compares operand lists. Returns an exception number, or -1 with *why set
 * on a disagreement (left NULL when they agree).
 *
 * Comparison policy (not exceptions): immediates and branch targets are
 * compared by value at the decoder's operand size, because capstone 4
 * reports immediate sizes inconsistently (e.g. 8 for INT imm8 in 64-bit
 * mode; the golden tests check immediate sizes); LEA's memory operand has
 * size 0 by the decoder's convention (no access) and its size is not
 * compared; the implicit XMM0 of BLENDV and SHA256RNDS2 is listed by the
 * decoder only. */
static int compare_forms(struct nform *mine, const struct cs_result *c, const struct x86_insn *in,
                         const struct enc *e, enum x86_mode mode, const char **why)
{
    static char buf[64];
    int pending = -1;

    if (implicit_last(in->op) && mine->n == c->form.n + 1)
        mine->n--;
    if (mine->n != c->form.n) {
        *why = "operand count";
        return -1;
    }
    for (unsigned i = 0; i < mine->n; i++) {
        struct nopnd *a = &mine->o[i];
        const struct nopnd *b = &c->form.o[i];
        const char *d = NULL;
        if (a->kind != b->kind) {
            d = "kind";
        } else if (a->kind == NK_IMM) {
            if (a->imm != mask_bytes(b->imm, a->size))
                d = e->has67 && (in->opnd[0].kind == X86_OPND_REL) ? (pending = EX_BRANCH67, NULL)
                                                                    : "immediate";
        } else if (a->kind == NK_REG) {
            if (!creg_eq(a->reg, b->reg))
                d = "register";
            else if (a->size != b->size)
                d = "size";
        } else {
            if (a->seg != b->seg) {
                if (mode == X86_MODE_LONG64 && b->seg >= 0 && b->seg < X86_FS)
                    pending = EX_SEG64;
                else
                    d = "segment";
            }
            if (!d && !creg_eq(a->base, b->base))
                d = "base";
            if (!d && !creg_eq(a->index, b->index))
                d = "index";
            if (!d && a->scale != b->scale)
                d = "scale";
            if (!d && a->disp != b->disp)
                d = "displacement";
            if (!d && a->size != b->size && in->op != X86_OP_LEA) {
                int ex = memsize_exception(in->op);
                if (ex >= 0)
                    pending = ex;
                else
                    d = "size";
            }
        }
        if (d && !strcmp(d, "size") && e->has66 && (e->hasf2 || e->hasf3) && e->map == 0) {
            pending = EX_PFX66_REP;
            d = NULL;
        }
        if (d) {
            snprintf(buf, sizeof(buf), "operand %u %s", i, d);
            *why = buf;
            return -1;
        }
    }
    return pending;
}

enum cmap_verdict cmap_check(struct cmap *m, const uint8_t *bytes, size_t n, enum x86_mode mode,
                             uint64_t addr, unsigned *len)
{
    struct x86_insn in;
    struct cs_result c;
    struct enc e;
    int r = x86_decode(bytes, n, mode, &in);
    bool theirs = cso_decode(m->cs, bytes, n, mode_bits(mode), addr, &c);
    int ex;

    scan(bytes, n, mode, &e);
    *len = r > 0 ? (unsigned)r : theirs ? c.len : 1;
    if (r <= 0 && !theirs)
        return CMAP_BOTH_INVALID;
    if (r <= 0) {
        ex = why_we_reject(&c, &e, mode);
        if (ex >= 0) {
            m->exc[ex]++;
            return CMAP_EXCEPTION;
        }
        report(m, bytes, n, mode, addr, "we reject", &in, r, &c);
        return CMAP_DISAGREE;
    }
    if (!theirs) {
        ex = why_they_reject(&in, &e);
        if (ex >= 0) {
            m->exc[ex]++;
            return CMAP_EXCEPTION;
        }
        report(m, bytes, n, mode, addr, "capstone rejects", &in, r, NULL);
        return CMAP_DISAGREE;
    }

    m->checked++;
    if ((unsigned)r != c.len) {
        report(m, bytes, n, mode, addr, "length", &in, r, &c);
        return CMAP_DISAGREE;
    }
    if (is_string_op(in.op))
        return CMAP_AGREE;

    struct nform mine;
    const char *why = NULL;
    my_form(&in, addr, &mine);
    ex = compare_forms(&mine, &c, &in, &e, mode, &why);
    if (ex >= 0) {
        m->exc[ex]++;
        return CMAP_EXCEPTION;
    }
    if (why) {
        report(m, bytes, n, mode, addr, why, &in, r, &c);
        return CMAP_DISAGREE;
    }
    return CMAP_AGREE;
}
