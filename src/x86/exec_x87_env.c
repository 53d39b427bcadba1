/* The x87 environment and state images (see exec_x87_env.h). */
#include "x86/exec_x87_env.h"

#include "x86/exec_opnd.h"
#include "x86/exec_sse_opnd.h"

/* The hardware writes all ones into the reserved upper halves of the
 * 32-bit image's control, status, tag and FDS fields. */
#define ENV_RESERVED 0xffff0000u

/* The tag of physical register p (SDM Vol. 1, 8.1.7): 11 empty, 01 zero,
 * 10 special (NaN, infinity, denormal, unnormal), 00 valid. */
static unsigned reg_tag(const struct x86_fxstate *fx, unsigned top, unsigned p)
{
    if (!((fx->ftw >> p) & 1))
        return 3;
    const uint8_t *r = fx->st[(p - top) & 7];
    uint64_t mant = get_le64(r);
    unsigned exp = get_le16(r + 8) & 0x7fff;
    if (exp == 0x7fff)
        return 2;
    if (exp == 0)
        return mant ? 2 : 1;
    return (mant >> 63) ? 0 : 2;
}

static uint16_t full_tag_word(const struct x86_fxstate *fx, unsigned top)
{
    unsigned tw = 0;
    for (unsigned p = 0; p < 8; p++)
        tw |= reg_tag(fx, top, p) << (2 * p);
    return (uint16_t)tw;
}

static uint8_t abridged_tag_word(unsigned tw)
{
    unsigned ftw = 0;
    for (unsigned p = 0; p < 8; p++) {
        if (((tw >> (2 * p)) & 3) != 3)
            ftw |= 1u << p;
    }
    return (uint8_t)ftw;
}

/* Where the image goes and how it is laid out. */
struct env_image {
    uint64_t la;
    unsigned len;  /* 14, 28, 94 or 108 */
    bool small;    /* 16-bit operand size layout */
    bool real;     /* real-address-mode layout */
};

/* The image of operand 0: 14/28 bytes, or 94/108 with the registers. */
static int env_locate(struct x86_cpu *cpu, const struct x86_insn *in, unsigned kind,
                      bool with_regs, struct env_image *img)
{
    img->len = in->opnd[0].size;
    unsigned small = with_regs ? 94 : 14, large = with_regs ? 108 : 28;
    if (unlikely(in->opnd[0].kind != X86_OPND_MEM || (img->len != small && img->len != large)))
        return X86_EXEC_UNSUPPORTED;
    img->small = img->len == small;
    img->real = cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_VM86;
    return x86_mem_linear(cpu, in->seg, x86_ea(cpu, in), img->len, kind, &img->la);
}

/* The 20-bit address of a real-mode pointer recorded as offset | selector
 * << 32 (see x87_note in exec_x87.c). */
static uint32_t real_linear(uint64_t ptr)
{
    return (uint32_t)((ptr & 0xffffffffu) + ((ptr >> 32) << 4));
}

static void env_store(const struct x86_cpu *cpu, uint8_t *b, const struct env_image *img)
{
    const struct x86_fxstate *fx = &cpu->s.fx;
    uint16_t tw = full_tag_word(fx, x86_x87_top(cpu));
    uint16_t fop = fx->fop & 0x7ff;
    bool m64 = cpu->mode == X86_MODE_LONG64;
    uint32_t ip = (uint32_t)fx->fip, dp = (uint32_t)fx->fdp;
    uint16_t cs = m64 ? cpu->s.seg[X86_CS].sel : (uint16_t)(fx->fip >> 32);
    uint16_t ds = m64 ? cpu->s.seg[X86_DS].sel : (uint16_t)(fx->fdp >> 32);
    if (img->real) {
        ip = real_linear(fx->fip);
        dp = real_linear(fx->fdp);
    }
    if (img->small) {
        /* Figures 8-11 (protected) and 8-12 (real): 16-bit fields */
        put_le16(b + 0, fx->fcw);
        put_le16(b + 2, fx->fsw);
        put_le16(b + 4, tw);
        put_le16(b + 6, (uint16_t)ip);
        put_le16(b + 8, img->real ? (uint16_t)(((ip >> 16) & 0xf) << 12 | fop) : cs);
        put_le16(b + 10, (uint16_t)dp);
        put_le16(b + 12, img->real ? (uint16_t)(((dp >> 16) & 0xf) << 12) : ds);
        return;
    }
    /* Figures 8-9 (protected) and 8-10 (real): 32-bit fields */
    put_le32(b + 0, ENV_RESERVED | fx->fcw);
    put_le32(b + 4, ENV_RESERVED | fx->fsw);
    put_le32(b + 8, ENV_RESERVED | tw);
    if (img->real) {
        put_le32(b + 12, ENV_RESERVED | (ip & 0xffff));
        put_le32(b + 16, ((ip >> 16) << 12) | fop);
        put_le32(b + 20, ENV_RESERVED | (dp & 0xffff));
        put_le32(b + 24, (dp >> 16) << 12);
    } else {
        put_le32(b + 12, ip);
        put_le32(b + 16, cs | (uint32_t)fop << 16);
        put_le32(b + 20, dp);
        put_le32(b + 24, ENV_RESERVED | ds);
    }
}

static void env_load(struct x86_cpu *cpu, const uint8_t *b, const struct env_image *img)
{
    struct x86_fxstate *fx = &cpu->s.fx;
    bool m64 = cpu->mode == X86_MODE_LONG64;
    uint16_t fcw, fsw, tw;
    uint64_t ip, dp;
    if (img->small) {
        fcw = get_le16(b + 0);
        fsw = get_le16(b + 2);
        tw = get_le16(b + 4);
        if (img->real) {
            uint16_t w = get_le16(b + 8);
            ip = get_le16(b + 6) | (uint32_t)(w >> 12) << 16;
            dp = get_le16(b + 10) | (uint32_t)(get_le16(b + 12) >> 12) << 16;
            fx->fop = w & 0x7ff;
        } else {
            ip = get_le16(b + 6) | (uint64_t)get_le16(b + 8) << 32;
            dp = get_le16(b + 10) | (uint64_t)get_le16(b + 12) << 32;
        }
    } else {
        fcw = get_le16(b + 0);
        fsw = get_le16(b + 4);
        tw = get_le16(b + 8);
        uint32_t w = get_le32(b + 16);
        if (img->real) {
            ip = get_le16(b + 12) | ((w >> 12) & 0xffff) << 16;
            dp = get_le16(b + 20) | ((get_le32(b + 24) >> 12) & 0xffff) << 16;
        } else {
            ip = get_le32(b + 12) | (m64 ? 0 : (uint64_t)(w & 0xffff) << 32);
            dp = get_le32(b + 20) | (m64 ? 0 : (uint64_t)get_le16(b + 24) << 32);
        }
        fx->fop = (uint16_t)((w >> 16) & 0x7ff);
    }
    fx->fcw = x86_x87_control(fcw);
    x86_x87_set_top(cpu, (fsw & X86_FSW_TOP) >> X86_FSW_TOP_SHIFT);
    fx->fsw = x86_x87_status(fsw, fx->fcw);
    fx->ftw = abridged_tag_word(tw);
    fx->fip = ip;
    fx->fdp = dp;
}

/* The register area of FNSAVE/FRSTOR: ST(0)..ST(7), 10 bytes each. */
static unsigned env_len(const struct env_image *img)
{
    return img->small ? 14 : 28;
}

static void fninit_state(struct x86_cpu *cpu)
{
    struct x86_fxstate *fx = &cpu->s.fx;
    x86_x87_set_top(cpu, 0);
    fx->fcw = 0x37f;
    fx->fsw = 0;
    fx->ftw = 0;
    fx->fop = 0;
    fx->fip = 0;
    fx->fdp = 0;
}

/* FNSTENV: stores the environment, then masks all exceptions. */
int x86_exec_fnstenv(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, false);
    if (unlikely(rc))
        return rc;
    struct env_image img;
    rc = env_locate(cpu, in, X86_ACC_WRITE, false, &img);
    if (unlikely(rc))
        return rc;
    uint8_t b[28];
    env_store(cpu, b, &img);
    rc = x86_mem_write_la(cpu, img.la, b, img.len, x86_mem_acc(cpu, X86_ACC_WRITE));
    if (unlikely(rc))
        return rc;
    struct x86_fxstate *fx = &cpu->s.fx;
    fx->fcw |= X86_FCW_MASKS;
    fx->fsw = x86_x87_status(fx->fsw, fx->fcw);
    return X86_EXEC_OK;
}

int x86_exec_fldenv(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, true);
    if (unlikely(rc))
        return rc;
    struct env_image img;
    rc = env_locate(cpu, in, X86_ACC_READ, false, &img);
    if (unlikely(rc))
        return rc;
    uint8_t b[28];
    rc = x86_mem_read_la(cpu, img.la, b, img.len, x86_mem_acc(cpu, X86_ACC_READ));
    if (unlikely(rc))
        return rc;
    env_load(cpu, b, &img);
    return X86_EXEC_OK;
}

/* FNSAVE: environment and registers, then the FNINIT state. */
int x86_exec_fnsave(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, false);
    if (unlikely(rc))
        return rc;
    struct env_image img;
    rc = env_locate(cpu, in, X86_ACC_WRITE, true, &img);
    if (unlikely(rc))
        return rc;
    uint8_t b[108];
    env_store(cpu, b, &img);
    for (unsigned i = 0; i < 8; i++)
        memcpy(b + env_len(&img) + 10 * i, cpu->s.fx.st[i], 10);
    rc = x86_mem_write_la(cpu, img.la, b, img.len, x86_mem_acc(cpu, X86_ACC_WRITE));
    if (unlikely(rc))
        return rc;
    fninit_state(cpu);
    return X86_EXEC_OK;
}

int x86_exec_frstor(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, true);
    if (unlikely(rc))
        return rc;
    struct env_image img;
    rc = env_locate(cpu, in, X86_ACC_READ, true, &img);
    if (unlikely(rc))
        return rc;
    uint8_t b[108];
    rc = x86_mem_read_la(cpu, img.la, b, img.len, x86_mem_acc(cpu, X86_ACC_READ));
    if (unlikely(rc))
        return rc;
    env_load(cpu, b, &img);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(cpu->s.fx.st[i], b + env_len(&img) + 10 * i, 10);
        memset(cpu->s.fx.st[i] + 10, 0, 6);
    }
    return X86_EXEC_OK;
}
