/* A decoded x86 instruction.
 *
 * The decoder (x86/decode.c) turns bytes into this self-contained record; the
 * executor (x86/exec*.c) runs it. The emu backend caches decoded records in
 * blocks keyed by physical address, so the record holds everything needed to
 * execute except register/memory contents: keep it compact (<= 48 bytes). */
#ifndef VMON_X86_INSN_H
#define VMON_X86_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/state.h"

/* Operation identifiers, one per mnemonic/semantic operation (not per
 * encoding): ADD Eb,Gb and ADD Ev,Iz are both X86_OP_ADD with different
 * operands. The list lives in x86/ops.def (X-macro: X(NAME)), whose header
 * comment fixes the operand conventions (implicit operands, immediates,
 * string ops, condition codes). */
enum x86_op {
#define X(name) X86_OP_##name,
#include "x86/ops.def"
#undef X
    X86_OP_COUNT
};

/* Operand kinds */
enum x86_opnd_kind {
    X86_OPND_NONE,
    X86_OPND_GPR,  /* reg: 0-15, or X86_REG_AH..X86_REG_BH for legacy high bytes */
    X86_OPND_MEM,  /* the instruction's memory operand (see mem fields) */
    X86_OPND_IMM,  /* insn.imm (a second IMM operand: insn.imm2), extended to the operand size */
    X86_OPND_REL,  /* branch displacement in insn.imm (sign-extended); target = rip + len + imm */
    X86_OPND_SREG, /* reg: enum x86_sreg */
    X86_OPND_CR,   /* reg: 0-15 */
    X86_OPND_DR,   /* reg: 0-15 */
    X86_OPND_XMM,  /* reg: 0-15 */
    X86_OPND_MMX,  /* reg: 0-7 */
    X86_OPND_ST,   /* reg: x87 stack index 0-7 */
    X86_OPND_MOFFS,/* A0-A3: memory at seg:imm (no base/index; imm zero-extended from addrsize) */
    X86_OPND_FAR,  /* 9A/EA ptr16:16/32: offset in imm, selector in imm2 */
};

#define X86_REG_AH 0x14 /* 0x10 | (4..7 - 4) marks AH, CH, DH, BH */
#define X86_REG_CH 0x15
#define X86_REG_DH 0x16
#define X86_REG_BH 0x17
#define X86_REG_NONE 0xff
#define X86_REG_RIP 0x10 /* as a memory base: RIP-relative (disp from next insn) */

struct x86_opnd {
    uint8_t kind; /* enum x86_opnd_kind */
    uint8_t size; /* operand size in bytes: 1, 2, 4, 8, 10, 16, ... (0 if not applicable) */
    uint8_t reg;
};

/* Prefix / attribute flags */
#define X86_PFX_LOCK   (1u << 0)
#define X86_PFX_REP    (1u << 1)  /* F3 */
#define X86_PFX_REPNE  (1u << 2)  /* F2 */
#define X86_PFX_OPSZ   (1u << 3)  /* 66 */
#define X86_PFX_ADSZ   (1u << 4)  /* 67 */
#define X86_PFX_SEG    (1u << 5)  /* an explicit segment override */
#define X86_PFX_REX    (1u << 6)  /* any REX prefix */
#define X86_PFX_REXW   (1u << 7)

struct x86_insn {
    uint16_t op;        /* enum x86_op */
    uint8_t len;        /* total length in bytes, 1..15 */
    uint8_t flags;      /* X86_PFX_* */
    uint8_t opsize;     /* effective operand size: 1, 2, 4 or 8 */
    uint8_t addrsize;   /* effective address size: 2, 4 or 8 */
    uint8_t map;        /* 0 = one-byte, 1 = 0F, 2 = 0F38, 3 = 0F3A */
    uint8_t opcode;     /* the opcode byte within its map */
    uint8_t modrm;      /* raw ModRM byte (0 if none) */
    uint8_t nopnd;      /* operands used in opnd[] */
    /* Memory operand: seg:[base + index*scale + disp] (address-size wrapped) */
    uint8_t seg;        /* enum x86_sreg: override or the default (DS, or SS for rBP/rSP bases) */
    uint8_t base;       /* 0-15, X86_REG_RIP or X86_REG_NONE */
    uint8_t index;      /* 0-15 or X86_REG_NONE */
    uint8_t scale;      /* shift: 0-3 */
    int32_t disp;
    struct x86_opnd opnd[4]; /* destination first, in Intel order */
    uint64_t imm;       /* first immediate / moffs address / branch displacement */
    uint32_t imm2;      /* second immediate (ENTER level, far pointer selector) */
};

/* Decoder results (negative) */
enum x86_decode_error {
    X86_DECODE_UD = -1,        /* invalid or unsupported encoding: raise #UD */
    X86_DECODE_TOO_LONG = -2,  /* more than 15 bytes: raise #GP(0) */
    X86_DECODE_NEED_MORE = -3, /* bytes ended before the instruction did */
};

/* Decodes one instruction from bytes[0..avail) in the given mode.
 * Returns the length (1..15) or a negative enum x86_decode_error.
 * Never reads beyond bytes[avail - 1] nor beyond bytes[14]. */
int x86_decode(const uint8_t *bytes, size_t avail, enum x86_mode mode, struct x86_insn *out);

/* The mnemonic of an operation, for diagnostics ("ADD", "XRSTOR", ... as
 * spelled in x86/ops.def); "?" for an out-of-range value. */
const char *x86_op_name(enum x86_op op);

#endif
