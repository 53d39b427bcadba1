/* Capstone 4.0.2 behind a neutral interface (see cs_oracle.h). */
#include "cs_oracle.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cs_oracle {
    csh cs[3];          /* 16-, 32-, 64-bit */
    cs_insn *ci[3];
    struct creg reg[X86_REG_ENDING];
};

/* Classifies a capstone register by its name. */
static struct creg parse_reg(const char *s)
{
    static const char *const r16[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
    static const char *const r8l[8] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil" };
    static const char *const r8h[4] = { "ah", "ch", "dh", "bh" };
    static const char *const sreg[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
    unsigned n;
    char c;

    for (unsigned i = 0; i < 8; i++) {
        if (!strcmp(s, r16[i]))
            return (struct creg){ RC_GPR, (uint8_t)i, 2 };
        if (s[0] == 'e' && !strcmp(s + 1, r16[i]))
            return (struct creg){ RC_GPR, (uint8_t)i, 4 };
        if (s[0] == 'r' && !strcmp(s + 1, r16[i]))
            return (struct creg){ RC_GPR, (uint8_t)i, 8 };
        if (!strcmp(s, r8l[i]))
            return (struct creg){ RC_GPR, (uint8_t)i, 1 };
        if (i < 4 && !strcmp(s, r8h[i]))
            return (struct creg){ RC_GPRH, (uint8_t)(4 + i), 1 };
        if (i < 6 && !strcmp(s, sreg[i]))
            return (struct creg){ RC_SEG, (uint8_t)i, 0 };
    }
    if (!strcmp(s, "rip"))
        return (struct creg){ RC_RIP, 0, 8 };
    if (!strcmp(s, "eip"))
        return (struct creg){ RC_RIP, 0, 4 };
    if (sscanf(s, "r%u%c", &n, &c) == 2 && n >= 8 && n <= 15)
        return (struct creg){ RC_GPR, (uint8_t)n, (uint8_t)(c == 'd' ? 4 : c == 'w' ? 2 : 1) };
    if (sscanf(s, "r%u", &n) == 1 && n >= 8 && n <= 15)
        return (struct creg){ RC_GPR, (uint8_t)n, 8 };
    if (sscanf(s, "cr%u", &n) == 1)
        return (struct creg){ RC_CR, (uint8_t)n, 0 };
    if (sscanf(s, "dr%u", &n) == 1)
        return (struct creg){ RC_DR, (uint8_t)n, 0 };
    if (sscanf(s, "xmm%u", &n) == 1)
        return (struct creg){ RC_XMM, (uint8_t)n, 0 };
    if (sscanf(s, "mm%u", &n) == 1)
        return (struct creg){ RC_MMX, (uint8_t)n, 0 };
    if (sscanf(s, "st(%u)", &n) == 1)
        return (struct creg){ RC_ST, (uint8_t)n, 0 };
    return (struct creg){ RC_OTHER, 0, 0 };
}

struct cs_oracle *cso_new(void)
{
    static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
    struct cs_oracle *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    for (unsigned i = 0; i < 3; i++) {
        if (cs_open(CS_ARCH_X86, modes[i], &o->cs[i]) != CS_ERR_OK) {
            cso_free(o);
            return NULL;
        }
        cs_option(o->cs[i], CS_OPT_DETAIL, CS_OPT_ON);
        o->ci[i] = cs_malloc(o->cs[i]);
    }
    for (unsigned r = 1; r < X86_REG_ENDING; r++) {
        const char *name = cs_reg_name(o->cs[2], r);
        o->reg[r] = name ? parse_reg(name) : (struct creg){ RC_OTHER, 0, 0 };
    }
    return o;
}

void cso_free(struct cs_oracle *o)
{
    if (!o)
        return;
    for (unsigned i = 0; i < 3; i++) {
        if (o->ci[i])
            cs_free(o->ci[i], 1);
        if (o->cs[i])
            cs_close(&o->cs[i]);
    }
    free(o);
}

static uint64_t mask_bytes(uint64_t v, unsigned bytes)
{
    return bytes >= 8 || bytes == 0 ? v : v & ((1ull << (8 * bytes)) - 1);
}

/* ISA extensions the decoder deliberately does not decode. */
static bool unsupported(const struct cs_oracle *o, unsigned i, const cs_insn *ci)
{
    static const int groups[] = { X86_GRP_VM, X86_GRP_3DNOW, X86_GRP_AVX, X86_GRP_AVX2,
                                  X86_GRP_AVX512, X86_GRP_BMI, X86_GRP_BMI2, X86_GRP_F16C,
                                  X86_GRP_FMA, X86_GRP_FMA4, X86_GRP_HLE, X86_GRP_RTM,
                                  X86_GRP_SSE4A, X86_GRP_XOP, X86_GRP_TBM, X86_GRP_SGX,
                                  X86_GRP_CDI, X86_GRP_ERI, X86_GRP_DQI, X86_GRP_BWI,
                                  X86_GRP_PFI, X86_GRP_VLX };
    /* outside capstone's groups: SMX, SGX, AMD MONITORX/CLZERO, TSX, VIA PadLock */
    static const char *const names[] = { "getsec", "encls", "enclu", "enclv", "monitorx",
                                         "mwaitx", "clzero", "xabort", "xbegin", "xend",
                                         "xtest", "xstorerng", "xcryptecb", "xcryptcbc",
                                         "xcryptctr", "xcryptcfb", "xcryptofb", "montmul",
                                         "xsha1", "xsha256" };
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (cs_insn_group(o->cs[i], ci, (unsigned)groups[g]))
            return true;
    }
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        if (!strcmp(ci->mnemonic, names[k]))
            return true;
    }
    return false;
}

bool cso_decode(struct cs_oracle *o, const uint8_t *bytes, size_t n, unsigned bits, uint64_t addr,
                struct cs_result *out)
{
    unsigned i = bits == 64 ? 2 : bits == 32 ? 1 : 0;
    const uint8_t *code = bytes;
    size_t size = n;
    uint64_t a = addr;
    cs_insn *ci = o->ci[i];

    memset(out, 0, sizeof(*out));
    if (!cs_disasm_iter(o->cs[i], &code, &size, &a, ci))
        return false;
    const cs_x86 *x = &ci->detail->x86;
    out->len = ci->size;
    out->addr_size = x->addr_size;
    out->unsupported = unsupported(o, i, ci);
    snprintf(out->mnemonic, sizeof(out->mnemonic), "%s", ci->mnemonic);
    snprintf(out->op_str, sizeof(out->op_str), "%s", ci->op_str);
    for (unsigned k = 0; k < x->op_count && k < 8; k++) {
        const cs_x86_op *op = &x->operands[k];
        struct nopnd *p = &out->form.o[out->form.n++];
        p->size = op->size;
        switch (op->type) {
        case X86_OP_REG:
            p->kind = NK_REG;
            p->reg = o->reg[op->reg];
            break;
        case X86_OP_MEM:
            p->kind = NK_MEM;
            p->seg = op->mem.segment ? o->reg[op->mem.segment].num : -1;
            p->base = op->mem.base ? o->reg[op->mem.base] : (struct creg){ RC_NONE, 0, 0 };
            p->index = op->mem.index ? o->reg[op->mem.index] : (struct creg){ RC_NONE, 0, 0 };
            if (op->mem.index)
                p->scale = op->mem.scale == 8 ? 3 : op->mem.scale == 4 ? 2 : op->mem.scale == 2;
            p->disp = mask_bytes((uint64_t)op->mem.disp, x->addr_size);
            break;
        case X86_OP_IMM:
            p->kind = NK_IMM;
            p->imm = (uint64_t)op->imm;
            break;
        default:
            break;
        }
    }
    return true;
}
