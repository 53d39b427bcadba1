/* Prepared execution: versions of x86_exec() specialised for the operand
 * shapes that make up most of a 64-bit kernel's instruction stream (API in
 * x86/emu.h, x86_exec_prepare).
 *
 * Each specialised function handles only the common case of its shape: the
 * operands are registers, immediates, or memory whose page is in the
 * software TLB with the permission the access needs. Anything else (a TLB
 * miss, an operand crossing a page, a misaligned operand at CPL 3 where #AC
 * may apply) is handed, before any state has changed, to the general path
 * (x86_exec(), or ops->exec_general), which does the full checks and
 * callbacks. The common case needs no segment or canonical check in 64-bit
 * mode: only FS and GS have a base there, and a TLB entry exists only for a
 * canonical page (the backend fills entries for addresses that passed those
 * checks), so an access that hits one and stays in its page is canonical.
 *
 * Every function ends by going on with the next record (a tail call, which
 * the compiler turns into a jump: the instructions of a block run as one
 * chain of jumps) or by returning to the caller (see x86/emu.h). Otherwise
 * the results are exactly x86_exec()'s: the same helpers compute them and
 * record the same lazy flags (tests/unit/x86/exec_fast_test.c compares the
 * two on random states). */
#include "x86/exec_opnd.h"
#include "x86/shift_calc.h"

/* ---- Common pieces ----------------------------------------------------------- */

/* Goes on with the record after in's (see x86_exec_prepare in x86/emu.h). */
static inline int fast_next(struct x86_cpu *cpu, const struct x86_insn *in)
{
    const struct x86_prepared *next = (const struct x86_prepared *)in + 1;
    return next->fn(cpu, &next->in);
}

/* Ends the run at in's record with status st. */
static inline int fast_exit(struct x86_cpu *cpu, const struct x86_insn *in, int st)
{
    cpu->run_exit = in;
    return st;
}

/* The instruction completed without a branch: on to the next record. */
static inline int fast_done(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->s.rip += in->len;
    cpu->intr_shadow = false;
    return fast_next(cpu, in);
}

/* The host address of a size-byte access of kind (X86_ACC_READ or
 * X86_ACC_WRITE) at la, when the TLB grants it. Misaligned accesses must
 * stay within the page, and at CPL 3 (where they may raise #AC) take the
 * general path. */
static inline bool fast_tlb(const struct x86_cpu *cpu, uint64_t la, unsigned size, unsigned kind,
                            void **host)
{
    uint64_t need = (uint64_t)X86_TLB_R << (kind + (cpu->cpl == 3 ? 3 : 0));
    const struct x86_tlb_entry *e = &cpu->tlb.e[(la >> 12) & (X86_TLB_SIZE - 1)];
    if (unlikely((e->tag & (X86_PAGE_MASK | need)) != ((la & X86_PAGE_MASK) | need)))
        return false;
    if (unlikely(la & (size - 1)) && ((la & 0xfff) > 0x1000 - size || cpu->cpl == 3))
        return false;
    /* GUEST: the entry maps exactly this linear page with this permission,
     * and the access stays inside it. */
    *host = (void *)(uintptr_t)(la + e->addend);
    return true;
}

/* The linear address of the memory operand (64-bit mode: FS/GS bases only). */
static inline uint64_t fast_la(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t off = x86_ea(cpu, in);
    if (in->seg == X86_FS || in->seg == X86_GS)
        off += cpu->s.seg[in->seg].base;
    return off;
}

/* How a memory operand's address is formed. The frequent 64-bit forms get
 * versions of their own; EA_ANY is x86_ea() with everything (no base, a
 * 32-bit address size, an FS or GS base). */
enum fast_ea { EA_B, EA_BI, EA_RIP, EA_ANY, EA_COUNT };

static enum fast_ea ea_kind(const struct x86_insn *in)
{
    if (in->addrsize != 8 || in->seg == X86_FS || in->seg == X86_GS)
        return EA_ANY;
    if (in->base == X86_REG_RIP)
        return in->index == X86_REG_NONE ? EA_RIP : EA_ANY;
    if (in->base == X86_REG_NONE)
        return EA_ANY;
    return in->index == X86_REG_NONE ? EA_B : EA_BI;
}

static inline uint64_t fast_mem_la(const struct x86_cpu *cpu, const struct x86_insn *in,
                                   enum fast_ea ea)
{
    uint64_t disp = (uint64_t)(int64_t)in->disp;
    switch (ea) {
    case EA_B: return cpu->s.gpr[in->base & 15] + disp;
    case EA_BI:
        return cpu->s.gpr[in->base & 15] + (cpu->s.gpr[in->index & 15] << (in->scale & 3)) + disp;
    case EA_RIP: return cpu->s.rip + in->len + disp;
    default: return fast_la(cpu, in);
    }
}

static inline uint64_t fast_load(const void *p, unsigned size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: return get_le16(p);
    case 4: return get_le32(p);
    default: return get_le64(p);
    }
}

static inline void fast_store(void *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: put_le16(p, (uint16_t)v); break;
    case 4: put_le32(p, (uint32_t)v); break;
    default: put_le64(p, v); break;
    }
}

/* Source operand 1 of a register or immediate form, at size. */
static inline uint64_t fast_src_reg(const struct x86_cpu *cpu, const struct x86_insn *in,
                                    unsigned size)
{
    return x86_gpr_read(cpu, in->opnd[1].reg, size);
}

static inline uint64_t fast_src_imm(const struct x86_insn *in, unsigned size)
{
    return in->imm & x86_size_mask(size);
}

/* A taken near branch to target (64-bit mode, 64-bit operand size). */
static inline int fast_jump(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t target)
{
    if (unlikely(!x86_canonical(cpu, target)))
        return fast_exit(cpu, in, x86_raise_err(cpu, X86_EXC_GP, 0));
    cpu->s.rip = target;
    cpu->intr_shadow = false;
    return fast_exit(cpu, in, X86_EXEC_BRANCH);
}

/* The general path: x86_exec(), or the caller's wrapper around it
 * (ops->exec_general), for records without a specialised version and when
 * a specialised version's fast path does not apply. */
static int fast_general(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t next = cpu->s.rip + in->len;
    if (cpu->mode != X86_MODE_LONG64)
        next &= 0xffffffffu;
    int st = cpu->ops->exec_general ? cpu->ops->exec_general(cpu, in) : x86_exec(cpu, in);
    if (st == X86_EXEC_OK) {
        if (cpu->s.rip == next)
            return fast_next(cpu, in);
        st = X86_EXEC_BRANCH;
    }
    return fast_exit(cpu, in, st);
}

/* ---- Two-operand arithmetic and logic ------------------------------------------ */

/* Shapes: destination kind x source kind. */
enum fast_shape { SHAPE_RR, SHAPE_RI, SHAPE_RM, SHAPE_MR, SHAPE_MI, SHAPE_COUNT };

static inline uint64_t alu_result(enum x86_op op, uint64_t a, uint64_t b, uint64_t mask)
{
    switch (op) {
    case X86_OP_ADD: return (a + b) & mask;
    case X86_OP_SUB:
    case X86_OP_CMP: return (a - b) & mask;
    case X86_OP_AND:
    case X86_OP_TEST: return a & b;
    case X86_OP_OR: return a | b;
    default: return a ^ b; /* XOR */
    }
}

static inline enum x86_lazy_op alu_lazy(enum x86_op op)
{
    switch (op) {
    case X86_OP_ADD: return X86_LAZY_ADD;
    case X86_OP_SUB:
    case X86_OP_CMP: return X86_LAZY_SUB;
    default: return X86_LAZY_LOGIC;
    }
}

static inline bool alu_writes(enum x86_op op)
{
    return op != X86_OP_CMP && op != X86_OP_TEST;
}

/* op dst, src for every shape; size is a constant (8, 4) or the operand's,
 * ea the memory operand's form. */
static inline __attribute__((always_inline)) int
fast_alu(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_op op, enum fast_shape shape,
         enum fast_ea ea, unsigned size)
{
    uint64_t mask = x86_size_mask(size), a, b;
    void *h = NULL;
    switch (shape) {
    case SHAPE_RR: b = fast_src_reg(cpu, in, size); break;
    case SHAPE_RI:
    case SHAPE_MI: b = fast_src_imm(in, size); break;
    case SHAPE_MR: b = fast_src_reg(cpu, in, size); break;
    default: { /* SHAPE_RM */
        void *src;
        if (unlikely(!fast_tlb(cpu, fast_mem_la(cpu, in, ea), size, X86_ACC_READ, &src)))
            return fast_general(cpu, in);
        b = fast_load(src, size);
        break;
    }
    }
    if (shape == SHAPE_MR || shape == SHAPE_MI) {
        if (unlikely(!fast_tlb(cpu, fast_mem_la(cpu, in, ea), size,
                               alu_writes(op) ? X86_ACC_WRITE : X86_ACC_READ, &h)))
            return fast_general(cpu, in);
        a = fast_load(h, size);
    } else {
        a = x86_gpr_read(cpu, in->opnd[0].reg, size);
    }
    uint64_t r = alu_result(op, a, b, mask);
    if (alu_writes(op)) {
        if (shape == SHAPE_MR || shape == SHAPE_MI)
            fast_store(h, size, r);
        else
            x86_gpr_write(cpu, in->opnd[0].reg, size, r);
    }
    x86_flags_record(cpu, alu_lazy(op), size, r, a, b);
    return fast_done(cpu, in);
}

/* ---- MOV --------------------------------------------------------------------------- */

static inline __attribute__((always_inline)) int
fast_mov(struct x86_cpu *cpu, const struct x86_insn *in, enum fast_shape shape, enum fast_ea ea,
         unsigned size)
{
    uint64_t v;
    switch (shape) {
    case SHAPE_RR: v = fast_src_reg(cpu, in, size); break;
    case SHAPE_RI:
    case SHAPE_MI: v = fast_src_imm(in, size); break;
    case SHAPE_MR: v = fast_src_reg(cpu, in, size); break;
    default: { /* SHAPE_RM */
        void *src;
        if (unlikely(!fast_tlb(cpu, fast_mem_la(cpu, in, ea), size, X86_ACC_READ, &src)))
            return fast_general(cpu, in);
        v = fast_load(src, size);
        break;
    }
    }
    if (shape == SHAPE_MR || shape == SHAPE_MI) {
        void *dst;
        if (unlikely(!fast_tlb(cpu, fast_mem_la(cpu, in, ea), size, X86_ACC_WRITE, &dst)))
            return fast_general(cpu, in);
        fast_store(dst, size, v);
    } else {
        x86_gpr_write(cpu, in->opnd[0].reg, size, v);
    }
    return fast_done(cpu, in);
}

/* ---- The versions ------------------------------------------------------------------- */

/* One function per operation, shape, address form and size (8, 4, or 0 for
 * "the operand's size", which also covers AH..BH). Register shapes have no
 * address form (ANY); memory shapes get every form. */
#define DEF_FN(body, P, SH, EA, SZ)                                                         \
    static int P##SH##_##EA##_##SZ(struct x86_cpu *cpu, const struct x86_insn *in)         \
    {                                                                                       \
        return body(cpu, in, SHAPE_##SH, EA_##EA, SZ ? SZ : in->opnd[0].size);              \
    }
#define DEF_REG_SHAPE(body, P, SH)                                                          \
    DEF_FN(body, P, SH, ANY, 8) DEF_FN(body, P, SH, ANY, 4) DEF_FN(body, P, SH, ANY, 0)
#define DEF_MEM_SHAPE(body, P, SH)                                                          \
    DEF_REG_SHAPE(body, P, SH)                                                              \
    DEF_FN(body, P, SH, B, 8) DEF_FN(body, P, SH, B, 4) DEF_FN(body, P, SH, B, 0)           \
    DEF_FN(body, P, SH, BI, 8) DEF_FN(body, P, SH, BI, 4) DEF_FN(body, P, SH, BI, 0)        \
    DEF_FN(body, P, SH, RIP, 8) DEF_FN(body, P, SH, RIP, 4) DEF_FN(body, P, SH, RIP, 0)
#define DEF_SHAPES(body, P)                                                                 \
    DEF_REG_SHAPE(body, P, RR) DEF_REG_SHAPE(body, P, RI) DEF_MEM_SHAPE(body, P, RM)        \
    DEF_MEM_SHAPE(body, P, MR) DEF_MEM_SHAPE(body, P, MI)

/* [shape][address form][size class: 8, 4, other] */
typedef x86_insn_fn fast_table[SHAPE_COUNT][EA_COUNT][3];

#define ROW_REG(P, SH)                                                                      \
    { [0 ... EA_COUNT - 1] = { P##SH##_ANY_8, P##SH##_ANY_4, P##SH##_ANY_0 } }
#define ROW_MEM(P, SH)                                                                      \
    {                                                                                       \
        [EA_B] = { P##SH##_B_8, P##SH##_B_4, P##SH##_B_0 },                                 \
        [EA_BI] = { P##SH##_BI_8, P##SH##_BI_4, P##SH##_BI_0 },                             \
        [EA_RIP] = { P##SH##_RIP_8, P##SH##_RIP_4, P##SH##_RIP_0 },                         \
        [EA_ANY] = { P##SH##_ANY_8, P##SH##_ANY_4, P##SH##_ANY_0 },                         \
    }
#define TABLE(name, P)                                                                      \
    static const fast_table name = {                                                        \
        [SHAPE_RR] = ROW_REG(P, RR), [SHAPE_RI] = ROW_REG(P, RI),                           \
        [SHAPE_RM] = ROW_MEM(P, RM), [SHAPE_MR] = ROW_MEM(P, MR),                           \
        [SHAPE_MI] = ROW_MEM(P, MI),                                                        \
    };

#define DEF_ALU_OP(OP)                                                                      \
    static inline __attribute__((always_inline)) int                                        \
    alu_body_##OP(struct x86_cpu *cpu, const struct x86_insn *in, enum fast_shape shape,    \
                  enum fast_ea ea, unsigned size)                                           \
    {                                                                                       \
        return fast_alu(cpu, in, X86_OP_##OP, shape, ea, size);                             \
    }                                                                                       \
    DEF_SHAPES(alu_body_##OP, alu_##OP##_)                                                  \
    TABLE(alu_##OP, alu_##OP##_)

DEF_ALU_OP(ADD)
DEF_ALU_OP(SUB)
DEF_ALU_OP(CMP)
DEF_ALU_OP(AND)
DEF_ALU_OP(OR)
DEF_ALU_OP(XOR)
DEF_ALU_OP(TEST)

DEF_SHAPES(fast_mov, mov_)
TABLE(mov_table, mov_)

/* ---- MOVZX / MOVSX / MOVSXD / LEA ------------------------------------------------- */

/* dsize and ssize: the destination and source sizes (0: the operands'). */
static inline __attribute__((always_inline)) int
fast_widen(struct x86_cpu *cpu, const struct x86_insn *in, bool mem, enum fast_ea ea, bool sign,
           unsigned dsize, unsigned ssize)
{
    unsigned size = ssize ? ssize : in->opnd[1].size;
    uint64_t v;
    if (mem) {
        void *src;
        if (unlikely(!fast_tlb(cpu, fast_mem_la(cpu, in, ea), size, X86_ACC_READ, &src)))
            return fast_general(cpu, in);
        v = fast_load(src, size);
    } else {
        v = x86_gpr_read(cpu, in->opnd[1].reg, size);
    }
    if (sign)
        v = (uint64_t)x86_sext(v, size);
    x86_gpr_write(cpu, in->opnd[0].reg, dsize ? dsize : in->opnd[0].size, v);
    return fast_done(cpu, in);
}

/* MOVZX/MOVSX: versions for a 1- or 2-byte source and a 4- or 8-byte
 * destination (register or each address form), and one for any sizes. */
#define DEF_WIDEN(name, mem, EA, sign, dsize, ssize)                                        \
    static int name(struct x86_cpu *cpu, const struct x86_insn *in)                        \
    {                                                                                       \
        return fast_widen(cpu, in, mem, EA, sign, dsize, ssize);                            \
    }
#define DEF_WIDEN_FORMS(P, sign, d, s)                                                      \
    DEF_WIDEN(P##_r_##d##_##s, false, EA_ANY, sign, d, s)                                   \
    DEF_WIDEN(P##_b_##d##_##s, true, EA_B, sign, d, s)                                      \
    DEF_WIDEN(P##_bi_##d##_##s, true, EA_BI, sign, d, s)                                    \
    DEF_WIDEN(P##_rip_##d##_##s, true, EA_RIP, sign, d, s)                                  \
    DEF_WIDEN(P##_any_##d##_##s, true, EA_ANY, sign, d, s)
#define DEF_WIDEN_OP(P, sign)                                                               \
    DEF_WIDEN_FORMS(P, sign, 8, 1) DEF_WIDEN_FORMS(P, sign, 8, 2)                           \
    DEF_WIDEN_FORMS(P, sign, 4, 1) DEF_WIDEN_FORMS(P, sign, 4, 2)                           \
    DEF_WIDEN_FORMS(P, sign, 0, 0)
DEF_WIDEN_OP(movzx, false)
DEF_WIDEN_OP(movsx, true)

/* [size class: 8 <- 1, 8 <- 2, 4 <- 1, 4 <- 2, other][register, then enum fast_ea] */
typedef x86_insn_fn widen_table[5][1 + EA_COUNT];
#define WIDEN_ROW(P, d, s)                                                                  \
    { P##_r_##d##_##s, P##_b_##d##_##s, P##_bi_##d##_##s, P##_rip_##d##_##s, P##_any_##d##_##s }
#define WIDEN_TABLE(P)                                                                      \
    static const widen_table P##_table = { WIDEN_ROW(P, 8, 1), WIDEN_ROW(P, 8, 2),           \
                                           WIDEN_ROW(P, 4, 1), WIDEN_ROW(P, 4, 2),           \
                                           WIDEN_ROW(P, 0, 0) };
WIDEN_TABLE(movzx)
WIDEN_TABLE(movsx)

/* LEA: the offset alone (no segment base), at the address size. */
static int lea_8(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->s.gpr[in->opnd[0].reg & 15] = x86_ea(cpu, in);
    return fast_done(cpu, in);
}

static int lea_8_b(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->s.gpr[in->opnd[0].reg & 15] = cpu->s.gpr[in->base & 15] + (uint64_t)(int64_t)in->disp;
    return fast_done(cpu, in);
}

static int lea_8_bi(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->s.gpr[in->opnd[0].reg & 15] = cpu->s.gpr[in->base & 15] +
                                       (cpu->s.gpr[in->index & 15] << (in->scale & 3)) +
                                       (uint64_t)(int64_t)in->disp;
    return fast_done(cpu, in);
}

static int lea_v(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_gpr_write(cpu, in->opnd[0].reg, in->opsize, x86_ea(cpu, in));
    return fast_done(cpu, in);
}

/* ---- One-operand arithmetic on registers ------------------------------------------ */

static inline __attribute__((always_inline)) int
fast_incdec(struct x86_cpu *cpu, const struct x86_insn *in, bool inc, unsigned size)
{
    unsigned reg = in->opnd[0].reg;
    uint64_t a = x86_gpr_read(cpu, reg, size);
    uint64_t r = (inc ? a + 1 : a - 1) & x86_size_mask(size);
    x86_gpr_write(cpu, reg, size, r);
    x86_flags_record(cpu, inc ? X86_LAZY_INC : X86_LAZY_DEC, size, r, a, x86_flags_cf(cpu));
    return fast_done(cpu, in);
}

static int inc_8(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_incdec(cpu, in, true, 8);
}

static int inc_v(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_incdec(cpu, in, true, in->opnd[0].size);
}

static int dec_8(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_incdec(cpu, in, false, 8);
}

static int dec_v(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_incdec(cpu, in, false, in->opnd[0].size);
}

static int not_r(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size, reg = in->opnd[0].reg;
    x86_gpr_write(cpu, reg, size, ~x86_gpr_read(cpu, reg, size) & x86_size_mask(size));
    return fast_done(cpu, in);
}

static int neg_r(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size, reg = in->opnd[0].reg;
    uint64_t a = x86_gpr_read(cpu, reg, size);
    uint64_t r = (0 - a) & x86_size_mask(size);
    x86_gpr_write(cpu, reg, size, r);
    x86_flags_record(cpu, X86_LAZY_SUB, size, r, 0, a);
    return fast_done(cpu, in);
}

/* ---- Shifts and rotates of a register by an immediate or CL --------------------- */

/* The count operand: an immediate, or CL (masked as the SDM says: 5 bits,
 * 6 for 64-bit operands). */
static inline unsigned fast_count(const struct x86_cpu *cpu, const struct x86_insn *in, bool cl,
                                  unsigned size)
{
    uint64_t c = cl ? cpu->s.gpr[X86_RCX] & 0xff : in->imm;
    return (unsigned)(c & (size == 8 ? 63 : 31));
}

static inline __attribute__((always_inline)) int
fast_shift(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_op op, bool cl,
           unsigned size)
{
    unsigned reg = in->opnd[0].reg, n = fast_count(cpu, in, cl, size);
    uint64_t a = x86_gpr_read(cpu, reg, size);
    if (n == 0) {
        x86_gpr_write(cpu, reg, size, a); /* no flag changes */
        return fast_done(cpu, in);
    }
    uint32_t cf_of;
    uint64_t r = x86_shift_calc(op, size, a, n, &cf_of);
    x86_gpr_write(cpu, reg, size, r);
    x86_flags_set_szp(cpu, size, r, cf_of);
    return fast_done(cpu, in);
}

/* ROL/ROR: only CF and OF change, and only for a non-zero count. */
static inline __attribute__((always_inline)) int
fast_rotate(struct x86_cpu *cpu, const struct x86_insn *in, bool left, bool cl, unsigned size)
{
    unsigned reg = in->opnd[0].reg, n = fast_count(cpu, in, cl, size);
    uint64_t r = x86_rotate_calc(left, size, x86_gpr_read(cpu, reg, size), n);
    x86_gpr_write(cpu, reg, size, r);
    if (n)
        x86_flags_update(cpu, X86_FLAG_CF | X86_FLAG_OF, x86_rotate_cf_of(left, size, r));
    return fast_done(cpu, in);
}

/* Versions per count source (imm, CL) and size (8, 4, 0 = the operand's). */
#define DEF_SHIFT(name, body, cl, SZ)                                                       \
    static int name(struct x86_cpu *cpu, const struct x86_insn *in)                        \
    {                                                                                       \
        return body(cpu, in, cl, SZ ? SZ : in->opnd[0].size);                               \
    }
#define DEF_SHIFT_OP(P, body)                                                               \
    DEF_SHIFT(P##_ri_8, body, false, 8) DEF_SHIFT(P##_ri_4, body, false, 4)                 \
    DEF_SHIFT(P##_ri_0, body, false, 0) DEF_SHIFT(P##_rc_8, body, true, 8)                  \
    DEF_SHIFT(P##_rc_4, body, true, 4) DEF_SHIFT(P##_rc_0, body, true, 0)
#define SHL_BODY(c, i, cl, sz) fast_shift(c, i, X86_OP_SHL, cl, sz)
#define SHR_BODY(c, i, cl, sz) fast_shift(c, i, X86_OP_SHR, cl, sz)
#define SAR_BODY(c, i, cl, sz) fast_shift(c, i, X86_OP_SAR, cl, sz)
#define ROL_BODY(c, i, cl, sz) fast_rotate(c, i, true, cl, sz)
#define ROR_BODY(c, i, cl, sz) fast_rotate(c, i, false, cl, sz)
DEF_SHIFT_OP(shl, SHL_BODY)
DEF_SHIFT_OP(shr, SHR_BODY)
DEF_SHIFT_OP(sar, SAR_BODY)
DEF_SHIFT_OP(rol, ROL_BODY)
DEF_SHIFT_OP(ror, ROR_BODY)

/* [operation: SHL SHR SAR ROL ROR][count: imm, CL][size class: 8, 4, other] */
#define SHIFT_ROW(P) { { P##_ri_8, P##_ri_4, P##_ri_0 }, { P##_rc_8, P##_rc_4, P##_rc_0 } }
static const x86_insn_fn shift_table[5][2][3] = {
    SHIFT_ROW(shl), SHIFT_ROW(shr), SHIFT_ROW(sar), SHIFT_ROW(rol), SHIFT_ROW(ror),
};

/* ---- IMUL r, r and BT r, imm ------------------------------------------------------- */

static inline __attribute__((always_inline)) int fast_imul(struct x86_cpu *cpu,
                                                           const struct x86_insn *in,
                                                           unsigned size)
{
    uint64_t mask = x86_size_mask(size);
    int64_t a = x86_sext(x86_gpr_read(cpu, in->opnd[0].reg, size), size);
    int64_t b = x86_sext(x86_gpr_read(cpu, in->opnd[1].reg, size), size);
    __int128 p = (__int128)a * b;
    uint64_t lo = (uint64_t)p & mask;
    bool ovf = (__int128)x86_sext(lo, size) != p;
    x86_gpr_write(cpu, in->opnd[0].reg, size, lo);
    x86_flags_set_szp(cpu, size, lo, ovf ? X86_FLAG_CF | X86_FLAG_OF : 0);
    return fast_done(cpu, in);
}

static int imul_rr_8(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_imul(cpu, in, 8);
}

static int imul_rr_4(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_imul(cpu, in, 4);
}

static int imul_rr_v(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_imul(cpu, in, in->opnd[0].size);
}

/* CF = the selected bit; the other flags are kept. */
static int bt_ri(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t bit = (uint64_t)1 << (in->imm & (8 * size - 1));
    uint64_t v = x86_gpr_read(cpu, in->opnd[0].reg, size);
    x86_flags_update(cpu, X86_FLAG_CF, (v & bit) ? X86_FLAG_CF : 0);
    return fast_done(cpu, in);
}

/* ---- Conditions ------------------------------------------------------------------- */

/* x86_cond() with the frequent cases worked out from the lazy record: ZF and
 * SF come straight from the result for every recorded operation, and after
 * SUB/CMP or a logic operation the ordered conditions are comparisons. */
static inline __attribute__((always_inline)) bool fast_cond(const struct x86_cpu *cpu,
                                                            unsigned cc)
{
    const struct x86_lazy_flags *lf = &cpu->lf;
    bool neg = cc & 1;
    switch (cc >> 1) {
    case 2: /* E */
        if (likely(lf->op != X86_LAZY_NONE))
            return (lf->dst == 0) ^ neg;
        break;
    case 4: /* S */
        if (likely(lf->op != X86_LAZY_NONE))
            return ((lf->dst & x86_size_sign(lf->size)) != 0) ^ neg;
        break;
    case 1: /* B */
        if (lf->op == X86_LAZY_SUB)
            return (lf->src1 < lf->src2) ^ neg;
        if (lf->op == X86_LAZY_LOGIC)
            return neg;
        break;
    case 3: /* BE */
        if (lf->op == X86_LAZY_SUB)
            return (lf->src1 <= lf->src2) ^ neg;
        if (lf->op == X86_LAZY_LOGIC)
            return (lf->dst == 0) ^ neg;
        break;
    case 6: /* L */
        if (lf->op == X86_LAZY_SUB)
            return (x86_sext(lf->src1, lf->size) < x86_sext(lf->src2, lf->size)) ^ neg;
        if (lf->op == X86_LAZY_LOGIC)
            return ((lf->dst & x86_size_sign(lf->size)) != 0) ^ neg;
        break;
    case 7: /* LE */
        if (lf->op == X86_LAZY_SUB)
            return (x86_sext(lf->src1, lf->size) <= x86_sext(lf->src2, lf->size)) ^ neg;
        if (lf->op == X86_LAZY_LOGIC)
            return (lf->dst == 0 || (lf->dst & x86_size_sign(lf->size))) ^ neg;
        break;
    default:
        break;
    }
    return x86_cond(cpu, cc);
}

#define FAST_CC(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

/* Jcc rel (64-bit operand size). */
#define FAST_JCC(cc)                                                                        \
    static int jcc_##cc(struct x86_cpu *cpu, const struct x86_insn *in)                    \
    {                                                                                       \
        if (!fast_cond(cpu, cc))                                                            \
            return fast_done(cpu, in);                                                      \
        return fast_jump(cpu, in, cpu->s.rip + in->len + in->imm);                          \
    }
FAST_CC(FAST_JCC)

/* SETcc r8 */
#define FAST_SETCC(cc)                                                                      \
    static int setcc_##cc(struct x86_cpu *cpu, const struct x86_insn *in)                  \
    {                                                                                       \
        x86_gpr_write(cpu, in->opnd[0].reg, 1, fast_cond(cpu, cc));                         \
        return fast_done(cpu, in);                                                          \
    }
FAST_CC(FAST_SETCC)

/* CMOVcc r, r: a false condition still writes (zero-extends) the destination. */
#define FAST_CMOVCC(cc)                                                                     \
    static int cmovcc_##cc(struct x86_cpu *cpu, const struct x86_insn *in)                 \
    {                                                                                       \
        unsigned size = in->opnd[0].size, reg = in->opnd[0].reg;                            \
        uint64_t v = fast_cond(cpu, cc) ? x86_gpr_read(cpu, in->opnd[1].reg, size)          \
                                        : x86_gpr_read(cpu, reg, size);                     \
        x86_gpr_write(cpu, reg, size, v);                                                   \
        return fast_done(cpu, in);                                                          \
    }
FAST_CC(FAST_CMOVCC)

#define FAST_CC_ENTRY(name) name##_0, name##_1, name##_2, name##_3, name##_4, name##_5,       \
    name##_6, name##_7, name##_8, name##_9, name##_10, name##_11, name##_12, name##_13,     \
    name##_14, name##_15

static const x86_insn_fn jcc_table[16] = { FAST_CC_ENTRY(jcc) };
static const x86_insn_fn setcc_table[16] = { FAST_CC_ENTRY(setcc) };
static const x86_insn_fn cmovcc_table[16] = { FAST_CC_ENTRY(cmovcc) };

/* ---- Near branches and the stack (64-bit operand and stack size) ------------------- */

static int jmp_rel(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_jump(cpu, in, cpu->s.rip + in->len + in->imm);
}

/* The host address of the 8-byte stack slot at RSP + delta, or NULL. */
static inline void *fast_stack(const struct x86_cpu *cpu, int64_t delta, unsigned kind)
{
    void *slot;
    return fast_tlb(cpu, cpu->s.gpr[X86_RSP] + (uint64_t)delta, 8, kind, &slot) ? slot : NULL;
}

static int call_rel(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t next = cpu->s.rip + in->len, target = next + in->imm;
    void *slot = fast_stack(cpu, -8, X86_ACC_WRITE);
    if (unlikely(!slot || !x86_canonical(cpu, target)))
        return fast_general(cpu, in);
    put_le64(slot, next);
    cpu->s.gpr[X86_RSP] -= 8;
    cpu->s.rip = target;
    cpu->intr_shadow = false;
    return fast_exit(cpu, in, X86_EXEC_BRANCH);
}

static int ret_near(struct x86_cpu *cpu, const struct x86_insn *in)
{
    void *slot = fast_stack(cpu, 0, X86_ACC_READ);
    if (unlikely(!slot))
        return fast_general(cpu, in);
    uint64_t target = get_le64(slot);
    if (unlikely(!x86_canonical(cpu, target)))
        return fast_general(cpu, in);
    cpu->s.gpr[X86_RSP] += 8;
    cpu->s.rip = target;
    cpu->intr_shadow = false;
    return fast_exit(cpu, in, X86_EXEC_BRANCH);
}

static int push_r(struct x86_cpu *cpu, const struct x86_insn *in)
{
    void *slot = fast_stack(cpu, -8, X86_ACC_WRITE);
    if (unlikely(!slot))
        return fast_general(cpu, in);
    put_le64(slot, cpu->s.gpr[in->opnd[0].reg & 15]);
    cpu->s.gpr[X86_RSP] -= 8;
    return fast_done(cpu, in);
}

static int pop_r(struct x86_cpu *cpu, const struct x86_insn *in)
{
    void *slot = fast_stack(cpu, 0, X86_ACC_READ);
    if (unlikely(!slot))
        return fast_general(cpu, in);
    /* POP RSP: the increment happens first, the popped value wins. */
    cpu->s.gpr[X86_RSP] += 8;
    cpu->s.gpr[in->opnd[0].reg & 15] = get_le64(slot);
    return fast_done(cpu, in);
}

/* INC/DEC of memory (without LOCK). */
static inline __attribute__((always_inline)) int fast_incdec_mem(struct x86_cpu *cpu,
                                                                 const struct x86_insn *in,
                                                                 bool inc)
{
    unsigned size = in->opnd[0].size;
    void *h;
    if (unlikely(!fast_tlb(cpu, fast_la(cpu, in), size, X86_ACC_WRITE, &h)))
        return fast_general(cpu, in);
    uint64_t a = fast_load(h, size);
    uint64_t r = (inc ? a + 1 : a - 1) & x86_size_mask(size);
    fast_store(h, size, r);
    x86_flags_record(cpu, inc ? X86_LAZY_INC : X86_LAZY_DEC, size, r, a, x86_flags_cf(cpu));
    return fast_done(cpu, in);
}

static int inc_m(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_incdec_mem(cpu, in, true);
}

static int dec_m(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_incdec_mem(cpu, in, false);
}

/* CALL/JMP through a register or memory (64-bit operand size). */
static inline __attribute__((always_inline)) bool fast_target(const struct x86_cpu *cpu,
                                                             const struct x86_insn *in,
                                                             uint64_t *target)
{
    if (in->opnd[0].kind == X86_OPND_GPR) {
        *target = cpu->s.gpr[in->opnd[0].reg & 15];
        return true;
    }
    void *src;
    if (unlikely(!fast_tlb(cpu, fast_la(cpu, in), 8, X86_ACC_READ, &src)))
        return false;
    *target = get_le64(src);
    return true;
}

static int jmp_rm(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t target;
    if (unlikely(!fast_target(cpu, in, &target)))
        return fast_general(cpu, in);
    return fast_jump(cpu, in, target);
}

static int call_rm(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t target, next = cpu->s.rip + in->len;
    void *slot = fast_stack(cpu, -8, X86_ACC_WRITE);
    if (unlikely(!slot || !fast_target(cpu, in, &target) || !x86_canonical(cpu, target)))
        return fast_general(cpu, in);
    put_le64(slot, next);
    cpu->s.gpr[X86_RSP] -= 8;
    cpu->s.rip = target;
    cpu->intr_shadow = false;
    return fast_exit(cpu, in, X86_EXEC_BRANCH);
}

static int nop(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return fast_done(cpu, in);
}

/* ---- Selection ---------------------------------------------------------------------- */

static bool is_gpr(const struct x86_opnd *o)
{
    return o->kind == X86_OPND_GPR;
}

static bool is_mem(const struct x86_opnd *o)
{
    return o->kind == X86_OPND_MEM;
}

static bool is_int_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/* The shape of a two-operand form whose operands have the same size, or
 * SHAPE_COUNT when it has no specialised version. */
static enum fast_shape two_operand_shape(const struct x86_insn *in)
{
    const struct x86_opnd *d = &in->opnd[0], *s = &in->opnd[1];
    if (in->nopnd != 2 || !is_int_size(d->size) || s->size != d->size)
        return SHAPE_COUNT;
    if (is_gpr(d)) {
        if (is_gpr(s))
            return SHAPE_RR;
        if (s->kind == X86_OPND_IMM)
            return SHAPE_RI;
        if (is_mem(s))
            return SHAPE_RM;
    } else if (is_mem(d)) {
        if (is_gpr(s))
            return SHAPE_MR;
        if (s->kind == X86_OPND_IMM)
            return SHAPE_MI;
    }
    return SHAPE_COUNT;
}

static x86_insn_fn from_table(const fast_table *t, const struct x86_insn *in)
{
    enum fast_shape shape = two_operand_shape(in);
    if (shape == SHAPE_COUNT)
        return NULL;
    unsigned size = in->opnd[0].size;
    /* Constant-size versions do not handle AH..BH (size 1 only anyway). */
    return (*t)[shape][ea_kind(in)][size == 8 ? 0 : size == 4 ? 1 : 2];
}

static const fast_table *alu_table(uint16_t op)
{
    switch (op) {
    case X86_OP_ADD: return &alu_ADD;
    case X86_OP_SUB: return &alu_SUB;
    case X86_OP_CMP: return &alu_CMP;
    case X86_OP_AND: return &alu_AND;
    case X86_OP_OR: return &alu_OR;
    case X86_OP_XOR: return &alu_XOR;
    case X86_OP_TEST: return &alu_TEST;
    default: return NULL;
    }
}

/* A specialised version for a 64-bit-mode record, or NULL. */
static x86_insn_fn prepare64(const struct x86_insn *in)
{
    const struct x86_opnd *o0 = &in->opnd[0], *o1 = &in->opnd[1];
    unsigned cc = in->opcode & 0xf;
    /* LOCK needs the atomic path; REP/REPNE only matter to string ops and
     * are ignored (or mean something else) on the forms below. */
    if (in->flags & X86_PFX_LOCK)
        return NULL;
    switch (in->op) {
    case X86_OP_ADD: case X86_OP_SUB: case X86_OP_CMP: case X86_OP_AND: case X86_OP_OR:
    case X86_OP_XOR: case X86_OP_TEST:
        return from_table(alu_table(in->op), in);
    case X86_OP_MOV:
        return from_table(&mov_table, in);
    case X86_OP_MOVZX:
    case X86_OP_MOVSX:
    case X86_OP_MOVSXD:
        if (in->nopnd != 2 || !is_gpr(o0) || !is_int_size(o1->size))
            return NULL;
        if (!is_gpr(o1) && !is_mem(o1))
            return NULL;
        {
            const widen_table *t = in->op == X86_OP_MOVZX ? &movzx_table : &movsx_table;
            unsigned d = o0->size, sz = o1->size, row = 4;
            if ((d == 8 || d == 4) && (sz == 1 || sz == 2) && in->op != X86_OP_MOVSXD)
                row = (d == 8 ? 0 : 2) + (sz == 2);
            return (*t)[row][is_gpr(o1) ? 0 : 1 + ea_kind(in)];
        }
    case X86_OP_LEA:
        if (in->nopnd != 2 || !is_gpr(o0) || !is_mem(o1))
            return NULL;
        if (in->opsize != 8 || o0->reg >= 16)
            return lea_v;
        /* LEA ignores segments: only the address size matters here */
        if (in->addrsize != 8 || in->base >= 16)
            return lea_8;
        return in->index == X86_REG_NONE ? lea_8_b : lea_8_bi;
    case X86_OP_INC:
    case X86_OP_DEC:
        if (in->nopnd == 1 && is_mem(o0) && is_int_size(o0->size))
            return in->op == X86_OP_INC ? inc_m : dec_m;
        if (in->nopnd != 1 || !is_gpr(o0))
            return NULL;
        if (o0->size == 8)
            return in->op == X86_OP_INC ? inc_8 : dec_8;
        return in->op == X86_OP_INC ? inc_v : dec_v;
    case X86_OP_NOT:
        return in->nopnd == 1 && is_gpr(o0) ? not_r : NULL;
    case X86_OP_NEG:
        return in->nopnd == 1 && is_gpr(o0) ? neg_r : NULL;
    case X86_OP_SHL: case X86_OP_SHR: case X86_OP_SAR: case X86_OP_ROL: case X86_OP_ROR: {
        unsigned k = in->op == X86_OP_SHL ? 0 : in->op == X86_OP_SHR ? 1 : in->op == X86_OP_SAR ? 2
                   : in->op == X86_OP_ROL ? 3 : 4;
        unsigned sc = o0->size == 8 ? 0 : o0->size == 4 ? 1 : 2;
        if (in->nopnd != 2 || !is_gpr(o0) || !is_int_size(o0->size))
            return NULL;
        if (o1->kind == X86_OPND_IMM)
            return shift_table[k][0][sc];
        if (is_gpr(o1) && o1->reg == X86_RCX && o1->size == 1)
            return shift_table[k][1][sc];
        return NULL;
    }
    case X86_OP_IMUL:
        if (in->nopnd != 2 || !is_gpr(o0) || !is_gpr(o1) || o1->size != o0->size)
            return NULL;
        return o0->size == 8 ? imul_rr_8 : o0->size == 4 ? imul_rr_4 : imul_rr_v;
    case X86_OP_BT:
        return in->nopnd == 2 && is_gpr(o0) && o1->kind == X86_OPND_IMM ? bt_ri : NULL;
    case X86_OP_JCC:
        return o0->kind == X86_OPND_REL && in->opsize == 8 ? jcc_table[cc] : NULL;
    case X86_OP_SETCC:
        return in->nopnd == 1 && is_gpr(o0) ? setcc_table[cc] : NULL;
    case X86_OP_CMOVCC:
        if (in->nopnd != 2 || !is_gpr(o0) || !is_gpr(o1) || o1->size != o0->size)
            return NULL;
        return cmovcc_table[cc];
    case X86_OP_JMP:
    case X86_OP_CALL: {
        bool call = in->op == X86_OP_CALL;
        if (in->opsize != 8)
            return NULL;
        if (o0->kind == X86_OPND_REL)
            return call ? call_rel : jmp_rel;
        if ((is_gpr(o0) || is_mem(o0)) && o0->size == 8)
            return call ? call_rm : jmp_rm;
        return NULL;
    }
    case X86_OP_RET:
        return in->nopnd == 0 && in->opsize == 8 ? ret_near : NULL;
    case X86_OP_PUSH:
        return in->nopnd == 1 && is_gpr(o0) && o0->size == 8 && in->opsize == 8 ? push_r : NULL;
    case X86_OP_POP:
        return in->nopnd == 1 && is_gpr(o0) && in->opsize == 8 ? pop_r : NULL;
    case X86_OP_NOP:
        return nop;
    default:
        return NULL;
    }
}

x86_insn_fn x86_exec_prepare(const struct x86_insn *insn, enum x86_mode mode)
{
    x86_insn_fn fn = NULL;
    if (mode == X86_MODE_LONG64)
        fn = prepare64(insn);
    return fn ? fn : fast_general;
}
