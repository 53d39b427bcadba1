/* Capstone 4.0.2 behind a neutral interface, so that test code can use it
 * next to x86/insn.h (both define x86_insn and X86_OP_* names).
 *
 * Operands are given in a common normalised form (struct nform) that the
 * decoder's output is also converted to (capstone_map.c). */
#ifndef VMON_TESTS_X86_CS_ORACLE_H
#define VMON_TESTS_X86_CS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rclass { RC_NONE, RC_GPR, RC_GPRH, RC_SEG, RC_CR, RC_DR, RC_XMM, RC_MMX, RC_ST, RC_RIP,
              RC_OTHER };

/* A register: class, number (GPRs 0-15; AH-BH are RC_GPRH 4-7), size in
 * bytes for general registers (0 for the others). */
struct creg {
    uint8_t cls, num, size;
};

enum nkind { NK_REG = 1, NK_MEM, NK_IMM };

struct nopnd {
    int kind;           /* enum nkind */
    unsigned size;      /* operand size in bytes */
    struct creg reg;    /* NK_REG */
    int seg;            /* NK_MEM: segment register of an explicit override, -1 if none */
    struct creg base, index;
    int scale;          /* NK_MEM: log2 of the scale, 0 without index */
    uint64_t disp;      /* NK_MEM: truncated to the address size */
    uint64_t imm;       /* NK_IMM */
};

struct nform {
    unsigned n;
    struct nopnd o[8];
};

struct cs_result {
    unsigned len;
    unsigned addr_size;
    bool unsupported;   /* in a group the decoder leaves out (AVX, VMX, 3DNow!, ...) */
    char mnemonic[32];
    char op_str[160];
    struct nform form;
};

struct cs_oracle;

struct cs_oracle *cso_new(void);
void cso_free(struct cs_oracle *o);

/* Decodes one instruction in 16-, 32- or 64-bit mode (bits). Returns false
 * if capstone finds no valid instruction. */
bool cso_decode(struct cs_oracle *o, const uint8_t *bytes, size_t n, unsigned bits, uint64_t addr,
                struct cs_result *out);

#endif
