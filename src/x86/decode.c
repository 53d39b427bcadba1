/* The x86 instruction decoder: bytes -> struct x86_insn.
 *
 * Follows the instruction format of the Intel SDM Vol. 2, chapter 2:
 * legacy prefixes (2.1.1), REX (2.2.1), opcode (one-byte, 0F, 0F 38,
 * 0F 3A maps), ModRM / SIB / displacement (2.1.5, Tables 2-1 to 2-3),
 * immediates. The opcode tables live in x86/decode_tables.c; this file
 * walks them and fills the operands.
 *
 * The decoder is a pure function of (bytes, mode): no allocation, no
 * global mutable state. It never reads past bytes[avail - 1] nor past
 * the 15th byte (every read goes through fetch() or checks d.pos against
 * d.lim). Guest bytes only index fixed tables whose size matches the field
 * width (see the GUEST: notes) and never become host pointers otherwise. */
#include "x86/insn.h"

#include <string.h>

#include "common/util.h"
#include "x86/decode_tables.h"

#define X86_MAX_INSN_LEN 15

/* One-byte opcodes that are prefixes: class in bits 0-3, for segment
 * overrides the enum x86_sreg in bits 4-7 (SDM Vol. 2, 2.1.1, 2.2.1). */
enum { P_NONE, P_OPSZ, P_ADSZ, P_LOCK, P_REP, P_REPNE, P_SEG, P_REX };
#define P_SEGOF(s) (P_SEG | ((s) << 4))
static const uint8_t prefix_class[256] = {
    [0x26] = P_SEGOF(X86_ES), [0x2e] = P_SEGOF(X86_CS), [0x36] = P_SEGOF(X86_SS),
    [0x3e] = P_SEGOF(X86_DS), [0x64] = P_SEGOF(X86_FS), [0x65] = P_SEGOF(X86_GS),
    [0x66] = P_OPSZ, [0x67] = P_ADSZ, [0xf0] = P_LOCK, [0xf2] = P_REPNE, [0xf3] = P_REP,
    [0x40] = P_REX, P_REX, P_REX, P_REX, P_REX, P_REX, P_REX, P_REX,
    P_REX, P_REX, P_REX, P_REX, P_REX, P_REX, P_REX, P_REX,
};

#define REX_B 0x1
#define REX_X 0x2
#define REX_R 0x4
#define REX_W 0x8

/* Decoding in progress. */
struct dec {
    const uint8_t *bytes;
    unsigned lim;   /* min(avail, 15) */
    unsigned pos;   /* next byte to read */
    unsigned rex;   /* the REX byte, 0 if none */
    unsigned modrm; /* valid when the row has A_MODRM */
    bool regform;   /* ModRM.mod = 3, or mod ignored (MOV CR/DR) */
    unsigned attr;
    unsigned osz;   /* effective operand size 1, 2, 4, 8 */
    unsigned asz;   /* effective address size 2, 4, 8 */
    bool m64;
    bool have_imm;  /* insn.imm is taken: a second immediate goes to imm2 */
};

/* The error for an instruction that needs `total` bytes we do not have. */
static inline int short_error(unsigned total)
{
    return total > X86_MAX_INSN_LEN ? X86_DECODE_TOO_LONG : X86_DECODE_NEED_MORE;
}

/* Reads an n-byte (1, 2, 4, 8) little-endian field, zero-extended. */
static inline int fetch(struct dec *d, unsigned n, uint64_t *v)
{
    if (unlikely(d->pos + n > d->lim))
        return short_error(d->pos + n);
    const uint8_t *p = d->bytes + d->pos;
    switch (n) {
    case 1: *v = p[0]; break;
    case 2: *v = get_le16(p); break;
    case 4: *v = get_le32(p); break;
    default: *v = get_le64(p); break;
    }
    d->pos += n;
    return 0;
}

static inline uint64_t sext(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - 8 * bytes;
    return (uint64_t)((int64_t)(v << shift) >> shift);
}

/* v truncated to `bytes` (1..8). */
static inline uint64_t trunc_to(uint64_t v, unsigned bytes)
{
    return bytes >= 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

/* Sizes of the fixed size codes (enum x86_osize up to SZ_X). */
static const uint8_t fixed_size[SZ_X + 1] = {
    [SZ_0] = 0, [SZ_B] = 1, [SZ_W] = 2, [SZ_D] = 4, [SZ_Q] = 8, [SZ_T] = 10, [SZ_X] = 16,
};

/* Resolves a size code (enum x86_osize) for a register (reg) or memory
 * operand. */
static inline unsigned opnd_size(unsigned code, const struct dec *d, bool reg)
{
    unsigned osz = d->osz;
    if (likely(code == SZ_V))
        return osz;
    if (code <= SZ_X)
        return fixed_size[code];
    switch (code) {
    case SZ_Z: return osz == 2 ? 2 : 4;
    case SZ_Y: return osz == 8 ? 8 : 4;
    case SZ_P: return 2 + osz;
    case SZ_S: return d->m64 ? 10 : 6;
    case SZ_A: return 2 * osz;
    case SZ_VW: return reg ? osz : 2;
    case SZ_ZW: return reg ? (osz == 2 ? 2 : 4) : 2;
    case SZ_DW: return reg ? 4 : 2;
    case SZ_DB: return reg ? 4 : 1;
    case SZ_ENV: return osz == 2 ? 14 : 28;
    case SZ_FST: return osz == 2 ? 94 : 108;
    default: return 0;
    }
}

/* 16-bit addressing forms, SDM Vol. 2, Table 2-1: [BX+SI] ... [BX] */
static const uint8_t rm16_base[8] = { X86_RBX, X86_RBX, X86_RBP, X86_RBP,
                                      X86_RSI, X86_RDI, X86_RBP, X86_RBX };
static const uint8_t rm16_index[8] = { X86_RSI, X86_RDI, X86_RSI, X86_RDI,
                                       X86_REG_NONE, X86_REG_NONE, X86_REG_NONE, X86_REG_NONE };

/* Decodes the memory form of ModRM (mod != 3): SIB, displacement, and the
 * default segment (SS for rBP/rSP bases, SDM Vol. 1, 3.7.4). */
static int decode_mem(struct dec *d, struct x86_insn *out)
{
    unsigned mod = d->modrm >> 6, rm = d->modrm & 7;
    uint64_t v;
    int r;

    if (d->asz == 2) {
        if (mod == 0 && rm == 6) {
            out->base = X86_REG_NONE;
            mod = 2; /* disp16 */
        } else {
            out->base = rm16_base[rm]; /* GUEST: rm is 3 bits */
        }
        out->index = rm16_index[rm];
        if (mod) {
            unsigned n = mod == 1 ? 1 : 2;
            if ((r = fetch(d, n, &v)) < 0)
                return r;
            out->disp = (int32_t)sext(v, n);
        }
        out->seg = out->base == X86_RBP ? X86_SS : X86_DS;
        return 0;
    }

    /* 32/64-bit addressing, SDM Vol. 2, Tables 2-2 and 2-3 */
    static const uint8_t disp_size[4] = { 0, 1, 4, 0 }; /* by mod */
    unsigned rex = d->rex;
    unsigned dispn = disp_size[mod];
    if (rm == 4) {
        if ((r = fetch(d, 1, &v)) < 0)
            return r;
        unsigned sib = (unsigned)v;
        unsigned base = sib & 7, index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
        out->index = index == X86_RSP ? X86_REG_NONE : (uint8_t)index;
        out->scale = (uint8_t)(sib >> 6);
        if (base == 5 && mod == 0) {
            out->base = X86_REG_NONE;
            dispn = 4;
        } else {
            out->base = (uint8_t)(base | (rex & REX_B ? 8 : 0));
        }
    } else if (rm == 5 && mod == 0) {
        /* disp32: absolute outside 64-bit mode, RIP-relative in it */
        out->base = d->m64 ? X86_REG_RIP : X86_REG_NONE;
        out->index = X86_REG_NONE;
        dispn = 4;
    } else {
        out->base = (uint8_t)(rm | (rex & REX_B ? 8 : 0));
        out->index = X86_REG_NONE;
    }
    if (dispn) {
        if ((r = fetch(d, dispn, &v)) < 0)
            return r;
        out->disp = (int32_t)sext(v, dispn);
    }
    out->seg = (out->base == X86_RSP || out->base == X86_RBP) ? X86_SS : X86_DS;
    return 0;
}

/* Reads an immediate operand of `n` bytes into imm (or imm2 for the second
 * one), extended as `sign` says and truncated to `size` bytes. */
static inline int decode_imm(struct dec *d, struct x86_insn *out, struct x86_opnd *o,
                             unsigned n, bool sign, unsigned size)
{
    uint64_t v;
    int r = fetch(d, n, &v);
    if (r < 0)
        return r;
    if (sign)
        v = sext(v, n);
    v = trunc_to(v, size);
    if (!d->have_imm) {
        out->imm = v;
        d->have_imm = true;
    } else {
        out->imm2 = (uint32_t)v;
    }
    o->kind = X86_OPND_IMM;
    o->size = (uint8_t)size;
    return 0;
}

/* How each register-like operand kind is formed (table-driven so that the
 * common operands cost no indirect branch). */
enum { KC_REG, KC_RM, KC_IMM };            /* class */
/* Where the register number comes from: a shift into the word
 * modrm | (opcode & 7) << 8, whose bits 16+ are zero. */
enum { SRC_RM = 0, SRC_REG = 3, SRC_OPC = 8, SRC_NONE = 16 };
#define KF_MEM   0x1   /* KC_RM: memory form allowed */
#define KF_REG   0x2   /* KC_RM: register form allowed */
#define KF_CHECK 0x4   /* the register number needs validation (Sreg, CR, DR) */
#define KF_CODE  0x8   /* the register number is the size code (OK_SEG) */

struct kind_info {
    uint8_t cls;    /* KC_* */
    uint8_t out;    /* enum x86_opnd_kind of the register form */
    uint8_t src;    /* SRC_* */
    uint8_t ext;    /* REX bit that adds 8 to the number (REX_R, REX_B or 0) */
    uint8_t fixed;  /* added to the number: the fixed register of OK_RAX... */
    uint8_t size;   /* register size; 0: from the size code */
    uint8_t flags;  /* KF_* */
};

static const struct kind_info kind_info[] = {
    [OK_E] = { KC_RM, X86_OPND_GPR, SRC_RM, REX_B, 0, 0, KF_MEM | KF_REG },
    [OK_M] = { KC_RM, X86_OPND_GPR, SRC_RM, REX_B, 0, 0, KF_MEM },
    [OK_R] = { KC_RM, X86_OPND_GPR, SRC_RM, REX_B, 0, 0, KF_REG },
    [OK_G] = { KC_REG, X86_OPND_GPR, SRC_REG, REX_R, 0, 0, 0 },
    [OK_Z] = { KC_REG, X86_OPND_GPR, SRC_OPC, REX_B, 0, 0, 0 },
    [OK_I] = { KC_IMM, 0, 0, 0, 0, 0, 0 },
    [OK_IS] = { KC_IMM, 0, 0, 0, 0, 0, 0 },
    [OK_J] = { KC_IMM, 0, 0, 0, 0, 0, 0 },
    [OK_O] = { KC_IMM, 0, 0, 0, 0, 0, 0 },
    [OK_A] = { KC_IMM, 0, 0, 0, 0, 0, 0 },
    [OK_ONE] = { KC_IMM, 0, 0, 0, 0, 0, 0 },
    [OK_RAX] = { KC_REG, X86_OPND_GPR, SRC_NONE, 0, X86_RAX, 0, 0 },
    [OK_RCX] = { KC_REG, X86_OPND_GPR, SRC_NONE, 0, X86_RCX, 0, 0 },
    [OK_RDX] = { KC_REG, X86_OPND_GPR, SRC_NONE, 0, X86_RDX, 0, 0 },
    [OK_S] = { KC_REG, X86_OPND_SREG, SRC_REG, 0, 0, 2, KF_CHECK },
    [OK_SEG] = { KC_REG, X86_OPND_SREG, SRC_NONE, 0, 0, 2, KF_CODE },
    [OK_C] = { KC_REG, X86_OPND_CR, SRC_REG, REX_R, 0, 0, KF_CHECK },
    [OK_D] = { KC_REG, X86_OPND_DR, SRC_REG, REX_R, 0, 0, KF_CHECK },
    [OK_V] = { KC_REG, X86_OPND_XMM, SRC_REG, REX_R, 0, 16, 0 },
    [OK_W] = { KC_RM, X86_OPND_XMM, SRC_RM, REX_B, 0, 16, KF_MEM | KF_REG },
    [OK_U] = { KC_RM, X86_OPND_XMM, SRC_RM, REX_B, 0, 16, KF_REG },
    [OK_P] = { KC_REG, X86_OPND_MMX, SRC_REG, 0, 0, 8, 0 },
    [OK_Q] = { KC_RM, X86_OPND_MMX, SRC_RM, 0, 0, 8, KF_MEM | KF_REG },
    [OK_N] = { KC_RM, X86_OPND_MMX, SRC_RM, 0, 0, 8, KF_REG },
    [OK_XMM0] = { KC_REG, X86_OPND_XMM, SRC_NONE, 0, 0, 16, 0 },
    [OK_ST0] = { KC_REG, X86_OPND_ST, SRC_NONE, 0, 0, 10, 0 },
    [OK_STI] = { KC_REG, X86_OPND_ST, SRC_RM, 0, 0, 10, 0 },
};

/* A relative branch target, Jb or Jz: rel8, or rel16/rel32 by operand
 * size, sign-extended. */
static inline int decode_rel(struct dec *d, struct x86_insn *out, struct x86_opnd *o,
                             unsigned code)
{
    unsigned n = code == SZ_B ? 1 : (d->osz == 2 ? 2 : 4);
    uint64_t v;
    int r = fetch(d, n, &v);
    if (r < 0)
        return r;
    out->imm = sext(v, n);
    d->have_imm = true;
    o->kind = X86_OPND_REL;
    o->size = (uint8_t)d->osz;
    return 0;
}

/* A general register operand; without REX, byte registers 4-7 are AH-BH. */
static inline void set_gpr(struct x86_opnd *o, unsigned r, unsigned size, unsigned rex)
{
    o->kind = X86_OPND_GPR;
    o->size = (uint8_t)size;
    bool high = (size == 1) & !rex & ((r & ~3u) == 4);
    o->reg = (uint8_t)(r | (high ? 0x10 : 0));
}

/* Immediate-like operands: Ib/Iw/Iz/Iv, sign-extended Ib, Jb/Jz, moffs,
 * far pointers and the constant 1. */
static int decode_imm_opnd(struct dec *d, struct x86_insn *out, struct x86_opnd *o,
                           unsigned kind, unsigned code)
{
    uint64_t v;
    int r;

    switch (kind) {
    case OK_I:
        switch (code) {
        case SZ_B: return decode_imm(d, out, o, 1, false, 1);
        case SZ_W: return decode_imm(d, out, o, 2, false, 2);
        case SZ_Z: return decode_imm(d, out, o, d->osz == 2 ? 2 : 4, true, d->osz);
        default: return decode_imm(d, out, o, d->osz, false, d->osz); /* Iv */
        }
    case OK_IS:
        return decode_imm(d, out, o, 1, true, d->osz);
    case OK_J:
        return decode_rel(d, out, o, code);
    case OK_O:
        if ((r = fetch(d, d->asz, &v)) < 0)
            return r;
        out->imm = v;
        o->kind = X86_OPND_MOFFS;
        o->size = (uint8_t)opnd_size(code, d, false);
        break;
    case OK_A: {
        unsigned n = d->osz == 2 ? 2 : 4;
        if ((r = fetch(d, n, &v)) < 0)
            return r;
        out->imm = v;
        if ((r = fetch(d, 2, &v)) < 0)
            return r;
        out->imm2 = (uint32_t)v;
        o->kind = X86_OPND_FAR;
        o->size = (uint8_t)(n + 2);
        break;
    }
    default: /* OK_ONE */
        out->imm = 1;
        o->kind = X86_OPND_IMM;
        o->size = 1;
        break;
    }
    d->have_imm = true;
    return 0;
}

/* Validates Sreg, CR and DR numbers: Sreg 6/7, CR1, CR5-CR7, CR9-CR15 and
 * DR8-DR15 do not exist (SDM Vol. 2B, MOV). */
static inline bool reg_exists(unsigned kind, unsigned r)
{
    switch (kind) {
    case X86_OPND_SREG: return r <= X86_GS;
    case X86_OPND_CR: return r <= 8 && ((1u << r) & 0x11d);
    default: return r < 8; /* DR */
    }
}

/* Fills one operand from its specification. */
static int decode_opnd(struct dec *d, struct x86_insn *out, struct x86_opnd *o, x86_ospec spec,
                       unsigned opcode)
{
    const unsigned kind = X86_OSPEC_KIND(spec), code = X86_OSPEC_SIZE(spec);
    const bool regform = d->regform;

    if (unlikely(kind >= ARRAY_SIZE(kind_info)))
        return X86_DECODE_UD;
    const struct kind_info *k = &kind_info[kind];
    if (k->cls == KC_IMM)
        return decode_imm_opnd(d, out, o, kind, code);

    if (k->cls == KC_RM && !regform) {
        if (unlikely(!(k->flags & KF_MEM)))
            return X86_DECODE_UD; /* a register-only form given memory */
        o->kind = X86_OPND_MEM;
        o->size = (uint8_t)opnd_size(code, d, false);
        return 0;
    }
    if (unlikely(k->cls == KC_RM && !(k->flags & KF_REG)))
        return X86_DECODE_UD;     /* a memory-only form given a register */

    /* a register: number from ModRM.reg, ModRM.rm or the opcode, + REX */
    unsigned fields = d->modrm | (opcode & 7) << 8;
    unsigned r = ((fields >> k->src) & 7) + k->fixed + ((d->rex & k->ext) ? 8 : 0);
    if (unlikely(k->flags & (KF_CHECK | KF_CODE))) {
        if (k->flags & KF_CODE)
            r = code;
        else if (!reg_exists(k->out, r))
            return X86_DECODE_UD;
    }
    if (k->out == X86_OPND_GPR) {
        set_gpr(o, r, opnd_size(code, d, true), d->rex);
        return 0;
    }
    o->kind = k->out;
    o->reg = (uint8_t)r;
    o->size = (uint8_t)(k->size ? k->size : d->osz);
    return 0;
}

/* The operands of every shape but SH_GENERIC, with straight-line code:
 * these are most instructions. Returns the operand count. */
static inline int decode_shape(struct dec *d, struct x86_insn *out,
                               const struct x86_opdesc *desc, unsigned opcode)
{
    const unsigned rex = d->rex;
    switch ((enum x86_shape)desc->shape) {
    case SH_NONE:
        return 0;
    case SH_EG:
    case SH_GE: {
        /* Eb,Gb / Ev,Gv and the reverse */
        unsigned size = X86_OSPEC_SIZE(desc->opnd[0]) == SZ_B ? 1 : d->osz;
        struct x86_opnd *e = &out->opnd[desc->shape == SH_GE];
        struct x86_opnd *g = &out->opnd[desc->shape == SH_EG];
        if (d->regform) {
            set_gpr(e, (d->modrm & 7) | (rex & REX_B ? 8 : 0), size, rex);
        } else {
            e->kind = X86_OPND_MEM;
            e->size = (uint8_t)size;
        }
        set_gpr(g, ((d->modrm >> 3) & 7) | (rex & REX_R ? 8 : 0), size, rex);
        return 2;
    }
    case SH_J: {
        int r = decode_rel(d, out, &out->opnd[0], X86_OSPEC_SIZE(desc->opnd[0]));
        return r < 0 ? r : 1;
    }
    case SH_Z:
        set_gpr(&out->opnd[0], (opcode & 7) | (rex & REX_B ? 8 : 0), d->osz, rex);
        return 1;
    default: /* SH_GENERIC */
        break;
    }
    unsigned n = 0;
    while (n < ARRAY_SIZE(desc->opnd) && desc->opnd[n]) {
        int r = decode_opnd(d, out, &out->opnd[n], desc->opnd[n], opcode);
        if (unlikely(r < 0))
            return r;
        n++;
    }
    return (int)n;
}

/* Follows link rows down to the leaf for this encoding. */
static inline const struct x86_opdesc *resolve(const struct x86_opdesc *desc, struct dec *d,
                                               unsigned flags, unsigned rep)
{
    unsigned attr = desc->attr;
    if (likely(!(attr >> A_LINK_SHIFT))) {
        d->attr = attr;
        return desc;
    }
    /* The selectors of all link kinds packed in one word, each at the
     * position link_shift[] gives, 3 bits wide (enum x86_link order). The
     * mandatory prefix: F2/F3 take precedence over 66. */
    static const uint8_t link_shift[8] = { 24, 0, 3, 6, 9, 12, 15, 18 };
    unsigned pfxsel = rep == X86_PFX_REP     ? 2
                      : rep == X86_PFX_REPNE ? 3
                      : (flags & X86_PFX_OPSZ) ? 1
                                               : 0;
    unsigned selw = ((d->modrm >> 3) & 7) | (d->modrm & 7) << 3 | (d->modrm >= 0xc0) << 6 |
                    pfxsel << 9 | ((d->rex & REX_W) != 0) << 12 | (d->rex & REX_B) << 15 |
                    (unsigned)d->m64 << 18;
    do {
        /* GUEST: every selector is below the size of the sub-table of its
         * link kind (8 for REG/RM, 4 for PFX, 2 for the others: LINK_ in
         * decode_tables.c), so the index stays inside desc->next[]. */
        desc = &desc->next[(selw >> link_shift[attr >> A_LINK_SHIFT]) & 7];
        attr = (attr & ((1u << A_LINK_SHIFT) - 1)) | desc->attr;
    } while (attr >> A_LINK_SHIFT);
    d->attr = attr;
    return desc;
}

/* Effective operand size (SDM Vol. 1, 3.6 and 3.6.1, Table 3-4), written
 * without branches: it depends on the prefixes of each instruction. */
static inline unsigned operand_size(unsigned attr, unsigned rex, bool opsz, bool m64, bool def32)
{
    if (attr & A_BYTE)
        return 1;
    if (m64) {
        bool w = (rex & REX_W) && !(attr & A_NOW);
        bool is8 = w | ((attr & (A_F64 | A_SZMODE)) != 0) | (((attr & A_D64) != 0) & !opsz);
        return is8 ? 8 : opsz ? 2 : 4;
    }
    if (attr & A_SZMODE)
        return 4;
    return (def32 != opsz) ? 4 : 2;
}

int x86_decode(const uint8_t *bytes, size_t avail, enum x86_mode mode, struct x86_insn *out)
{
    struct dec d = {
        .bytes = bytes,
        .lim = avail < X86_MAX_INSN_LEN ? (unsigned)avail : X86_MAX_INSN_LEN,
        .m64 = mode == X86_MODE_LONG64,
    };
    const bool def32 = mode == X86_MODE_PROT32 || mode == X86_MODE_COMPAT32;
    unsigned flags = 0, rep = 0, seg = X86_REG_NONE, b;

    memset(out, 0, sizeof(*out));
    out->base = X86_REG_NONE;
    out->index = X86_REG_NONE;

    /* Prefixes (SDM Vol. 2, 2.1.1, 2.2.1). A REX prefix counts only
     * directly before the opcode; the last F2/F3 wins; in 64-bit mode the
     * ES, CS, SS and DS overrides have no effect (SDM Vol. 1, 3.3.7.1). */
    if (unlikely(d.lim == 0))
        return X86_DECODE_NEED_MORE;
    b = bytes[0];
    if (unlikely(prefix_class[b] != P_NONE)) {
        for (;;) {
            unsigned pc = prefix_class[b];
            if (pc == P_NONE || (pc == P_REX && !d.m64))
                break; /* the opcode (40-4F are INC/DEC outside 64-bit mode) */
            d.rex = pc == P_REX ? b : 0;
            switch (pc & 15) {
            case P_OPSZ: flags |= X86_PFX_OPSZ; break;
            case P_ADSZ: flags |= X86_PFX_ADSZ; break;
            case P_LOCK: flags |= X86_PFX_LOCK; break;
            case P_REP: rep = X86_PFX_REP; break;
            case P_REPNE: rep = X86_PFX_REPNE; break;
            case P_SEG:
                if (!d.m64 || (pc >> 4) >= X86_FS)
                    seg = pc >> 4;
                break;
            default: /* P_REX */
                break;
            }
            if (unlikely(++d.pos >= d.lim))
                return short_error(d.pos + 1);
            b = bytes[d.pos];
        }
    }
    d.pos++;

    /* Opcode and map */
    unsigned map = 0;
    if (b == 0x0f) {
        if (unlikely(d.pos >= d.lim))
            return short_error(d.pos + 1);
        b = bytes[d.pos++];
        map = 1;
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? 2 : 3;
            if (unlikely(d.pos >= d.lim))
                return short_error(d.pos + 1);
            b = bytes[d.pos++];
        }
    }
    /* GUEST: map is 0-3 and b a byte: inside x86_decode_map[4][256] */
    const struct x86_opdesc *desc = &x86_decode_map[map][b];
    {
        /* the ModRM byte, if there is one (read without a branch) */
        unsigned has_modrm = desc->attr & A_MODRM;
        if (unlikely(has_modrm && d.pos >= d.lim))
            return short_error(d.pos + 1);
        d.modrm = d.pos < d.lim ? bytes[d.pos] : 0;
        d.modrm &= -has_modrm;
        d.pos += has_modrm;
    }
    desc = resolve(desc, &d, flags, rep);
    const unsigned attr = d.attr;
    if (desc->op == X86_OP_INVALID)
        return X86_DECODE_UD;
    if (attr & (A_I64 | A_O64 | A_PROT)) {
        if ((attr & (d.m64 ? A_I64 : A_O64)) ||
            ((attr & A_PROT) && (mode == X86_MODE_REAL || mode == X86_MODE_VM86)))
            return X86_DECODE_UD;
    }

    d.osz = operand_size(attr, d.rex, flags & X86_PFX_OPSZ, d.m64, def32);
    if (d.m64)
        d.asz = (flags & X86_PFX_ADSZ) ? 4 : 8;
    else
        d.asz = (def32 != !!(flags & X86_PFX_ADSZ)) ? 4 : 2;

    /* ModRM memory operand (MOV CR/DR ignore mod: always registers) */
    out->seg = X86_DS;
    d.regform = (d.modrm >= 0xc0) | ((attr & A_MODIGN) != 0);
    if ((attr & A_MODRM) && !d.regform) {
        int r = decode_mem(&d, out);
        if (r < 0)
            return r;
    }
    if (seg != X86_REG_NONE) {
        out->seg = (uint8_t)seg;
        flags |= X86_PFX_SEG;
    }

    /* Operands, immediates in encoding order */
    int n = decode_shape(&d, out, desc, b);
    if (unlikely(n < 0))
        return n;

    /* LOCK needs a lockable instruction with a memory destination; the
     * MOV to CS form does not exist (SDM LOCK, MOV). */
    if ((flags & X86_PFX_LOCK) && (!(attr & A_LOCK) || d.modrm >= 0xc0))
        return X86_DECODE_UD;
    if (desc->op == X86_OP_MOV_TO_SREG && out->opnd[0].reg == X86_CS)
        return X86_DECODE_UD;

    flags |= (d.rex ? X86_PFX_REX : 0) | ((d.rex & REX_W) ? X86_PFX_REXW : 0);
    out->op = desc->op;
    out->len = (uint8_t)d.pos;
    out->flags = (uint8_t)(flags | rep);
    out->opsize = (uint8_t)d.osz;
    out->addrsize = (uint8_t)d.asz;
    out->map = (uint8_t)map;
    out->opcode = (uint8_t)b;
    out->modrm = (uint8_t)((attr & A_MODRM) ? d.modrm : 0);
    out->nopnd = (uint8_t)n;
    return (int)d.pos;
}
