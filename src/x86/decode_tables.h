/* Opcode tables of the x86 decoder (internal to x86/decode.c).
 *
 * One row per opcode and map, indexed by the opcode byte, following the
 * opcode maps of the Intel SDM Vol. 2, Appendix A. A row is either a leaf
 * (an operation with up to three operand specifications) or a link to a
 * small sub-table selected by one more piece of the encoding: ModRM.reg
 * (the SDM's "groups"), ModRM.mod (memory vs register forms), ModRM.rm,
 * the mandatory prefix (none/66/F3/F2), REX.W, REX.B or the mode. The
 * decoder follows links until it reaches a leaf. */
#ifndef VMON_X86_DECODE_TABLES_H
#define VMON_X86_DECODE_TABLES_H

#include <stdint.h>

/* Operand kinds, in the SDM's addressing-method letters (Vol. 2, A.2.1). */
enum x86_okind {
    OK_NONE,
    OK_E,     /* ModRM.rm: general register or memory */
    OK_M,     /* ModRM.rm: memory only (register form is #UD) */
    OK_R,     /* ModRM.rm: general register only (memory form is #UD) */
    OK_G,     /* ModRM.reg: general register */
    OK_Z,     /* opcode bits 2:0 (+ REX.B): general register */
    OK_I,     /* immediate, zero-extended (size code gives the encoding) */
    OK_IS,    /* immediate byte, sign-extended to the operand size */
    OK_J,     /* relative branch offset */
    OK_O,     /* moffs: absolute address of address size */
    OK_A,     /* far pointer ptr16:16 / ptr16:32 */
    OK_ONE,   /* the constant 1 (shift count of D0/D1) */
    OK_RAX,   /* AL / AX / EAX / RAX */
    OK_RCX,   /* CL (shift count) */
    OK_RDX,   /* DX (port number) */
    OK_S,     /* ModRM.reg: segment register */
    OK_SEG,   /* a fixed segment register: size code holds enum x86_sreg */
    OK_C,     /* ModRM.reg (+ REX.R): control register */
    OK_D,     /* ModRM.reg (+ REX.R): debug register */
    OK_V,     /* ModRM.reg: XMM register */
    OK_W,     /* ModRM.rm: XMM register or memory */
    OK_U,     /* ModRM.rm: XMM register only */
    OK_P,     /* ModRM.reg: MMX register */
    OK_Q,     /* ModRM.rm: MMX register or memory */
    OK_N,     /* ModRM.rm: MMX register only */
    OK_XMM0,  /* implicit XMM0 (BLENDVPS, PBLENDVB, SHA256RNDS2) */
    OK_ST0,   /* x87 ST(0) */
    OK_STI,   /* x87 ST(i), i = ModRM.rm */
};

/* Operand size codes (Vol. 2, A.2.2), resolved against the effective
 * operand size "osz" (2, 4 or 8). */
enum x86_osize {
    SZ_0,     /* none / not a data access / variable */
    SZ_B,     /* 1 */
    SZ_W,     /* 2 */
    SZ_D,     /* 4 */
    SZ_Q,     /* 8 */
    SZ_T,     /* 10 (m80) */
    SZ_X,     /* 16 (m128) */
    SZ_V,     /* osz */
    SZ_Z,     /* 2 if osz is 2, else 4 (Iz immediates are then extended to osz) */
    SZ_Y,     /* 8 if osz is 8, else 4 */
    SZ_P,     /* far pointer: 2 + osz */
    SZ_S,     /* descriptor-table pseudo-descriptor: 6, or 10 in 64-bit mode */
    SZ_A,     /* BOUND: two osz-sized bounds */
    SZ_VW,    /* register: osz, memory: 2 (MOV Ev,Sw, SLDT, STR, SMSW) */
    SZ_ZW,    /* register: 2 if osz is 2, else 4; memory: 2 (LAR, LSL source) */
    SZ_DW,    /* register: 4, memory: 2 (PINSRW, PEXTRW) */
    SZ_DB,    /* register: 4, memory: 1 (PINSRB, PEXTRB) */
    SZ_ENV,   /* x87 environment: 14 if osz is 2, else 28 */
    SZ_FST,   /* x87 state: 94 if osz is 2, else 108 */
};

/* An operand specification: kind in bits 0-7, size code in bits 8-15. */
typedef uint16_t x86_ospec;
#define X86_OSPEC(kind, size) ((x86_ospec)((kind) | ((size) << 8)))
#define X86_OSPEC_KIND(s) ((s) & 0xff)
#define X86_OSPEC_SIZE(s) ((s) >> 8)

/* Row attributes. */
#define A_MODRM   (1u << 0)  /* a ModRM byte follows the opcode */
#define A_BYTE    (1u << 1)  /* operand size 1 */
#define A_LOCK    (1u << 2)  /* LOCK allowed (when operand 0 is memory) */
#define A_D64     (1u << 3)  /* 64-bit mode: operand size 8 unless 66 (then 2) */
#define A_F64     (1u << 4)  /* 64-bit mode: operand size 8, 66 ignored */
#define A_I64     (1u << 5)  /* invalid in 64-bit mode */
#define A_O64     (1u << 6)  /* valid only in 64-bit mode */
#define A_PROT    (1u << 7)  /* invalid in real and virtual-8086 mode */
#define A_SZMODE  (1u << 8)  /* operand size 8 in 64-bit mode, else 4; prefixes ignored */
#define A_MODIGN  (1u << 9)  /* ModRM.mod ignored: rm is always a register (MOV CR/DR) */
#define A_NOW     (1u << 10) /* REX.W ignored: operand size at most 4 (IN, OUT, INS, OUTS) */
#define A_LINK_SHIFT 12      /* bits 12-15: enum x86_link */

/* Link kinds: how a link row picks its entry in the sub-table. */
enum x86_link {
    LINK_NONE,  /* a leaf */
    LINK_REG,   /* [ModRM.reg], 8 entries */
    LINK_RM,    /* [ModRM.rm], 8 entries */
    LINK_MOD,   /* [0] memory form, [1] register form (mod = 3) */
    LINK_PFX,   /* [0] no prefix, [1] 66, [2] F3, [3] F2 (last of F2/F3 wins over 66) */
    LINK_W,     /* [REX.W] */
    LINK_REXB,  /* [REX.B] */
    LINK_MODE,  /* [0] outside 64-bit mode, [1] in 64-bit mode */
};

/* Operand shapes the decoder handles with straight-line code; everything
 * else goes through the generic per-operand path. Set by the table macros
 * from the operand specifications. */
enum x86_shape {
    SH_GENERIC, /* any operands */
    SH_NONE,    /* no operands */
    SH_EG,      /* Eb,Gb or Ev,Gv */
    SH_GE,      /* Gb,Eb or Gv,Ev */
    SH_J,       /* Jb or Jz */
    SH_Z,       /* Zv */
};

struct x86_opdesc {
    uint16_t op;     /* enum x86_op (leaf) */
    uint16_t attr;   /* A_*, link kind in bits 12-15 */
    uint8_t shape;   /* enum x86_shape (leaf) */
    union {
        x86_ospec opnd[3];               /* leaf: operands, destination first */
        const struct x86_opdesc *next;   /* link: the sub-table */
    };
};

/* The four opcode maps: one-byte, 0F, 0F 38, 0F 3A. */
extern const struct x86_opdesc x86_decode_map[4][256];

#endif
