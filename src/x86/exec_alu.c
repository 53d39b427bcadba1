/* Integer arithmetic and logic (see exec_alu.h). */
#include "x86/exec_alu.h"

#include "x86/exec_opnd.h"

/* ---- Two-operand arithmetic ---------------------------------------------- */

/* The result of a binary operation on size-masked operands; carry is the
 * carry/borrow-in of ADC/SBB. */
static inline uint64_t binop(enum x86_op op, uint64_t a, uint64_t b, bool carry, uint64_t mask)
{
    switch (op) {
    case X86_OP_ADD: return (a + b) & mask;
    case X86_OP_ADC: return (a + b + carry) & mask;
    case X86_OP_SUB:
    case X86_OP_CMP: return (a - b) & mask;
    case X86_OP_SBB: return (a - b - carry) & mask;
    case X86_OP_AND:
    case X86_OP_TEST: return a & b;
    case X86_OP_OR: return a | b;
    default: return a ^ b; /* XOR */
    }
}

static inline void binop_flags(struct x86_cpu *cpu, enum x86_op op, unsigned size, uint64_t r,
                               uint64_t a, uint64_t b, bool carry)
{
    enum x86_lazy_op lop;
    switch (op) {
    case X86_OP_ADD: lop = X86_LAZY_ADD; break;
    case X86_OP_ADC: lop = carry ? X86_LAZY_ADC : X86_LAZY_ADD; break;
    case X86_OP_SUB:
    case X86_OP_CMP: lop = X86_LAZY_SUB; break;
    case X86_OP_SBB: lop = carry ? X86_LAZY_SBB : X86_LAZY_SUB; break;
    default: lop = X86_LAZY_LOGIC; break;
    }
    x86_flags_record(cpu, lop, size, r, a, b);
}

static inline int alu_binary(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_op op)
{
    unsigned size = in->opnd[0].size;
    uint64_t mask = x86_size_mask(size);
    uint64_t a, b;
    int rc = x86_opnd_read(cpu, in, 1, &b);
    if (unlikely(rc))
        return rc;
    b &= mask;
    bool carry = (op == X86_OP_ADC || op == X86_OP_SBB) && x86_flags_cf(cpu);

    if (op == X86_OP_CMP || op == X86_OP_TEST) {
        rc = x86_opnd_read(cpu, in, 0, &a);
        if (unlikely(rc))
            return rc;
        binop_flags(cpu, op, size, binop(op, a, b, carry, mask), a, b, carry);
        return X86_EXEC_OK;
    }

    struct x86_dst d;
    rc = x86_dst_begin(cpu, in, 0, &d, &a);
    if (unlikely(rc))
        return rc;
    uint64_t r = binop(op, a, b, carry, mask);
    if (unlikely(d.mem && d.m.atomic)) {
        while (!x86_mem_rmw_cas(cpu, &d.m, &a, r, &rc))
            r = binop(op, a, b, carry, mask);
    } else {
        rc = x86_dst_commit(cpu, &d, r);
    }
    if (unlikely(rc))
        return rc;
    binop_flags(cpu, op, size, r, a, b, carry);
    return X86_EXEC_OK;
}

#define ALU_BINARY(name, op)                                                    \
    int name(struct x86_cpu *cpu, const struct x86_insn *in)                    \
    {                                                                           \
        return alu_binary(cpu, in, op);                                         \
    }

ALU_BINARY(x86_exec_add, X86_OP_ADD)
ALU_BINARY(x86_exec_or, X86_OP_OR)
ALU_BINARY(x86_exec_adc, X86_OP_ADC)
ALU_BINARY(x86_exec_sbb, X86_OP_SBB)
ALU_BINARY(x86_exec_and, X86_OP_AND)
ALU_BINARY(x86_exec_sub, X86_OP_SUB)
ALU_BINARY(x86_exec_xor, X86_OP_XOR)
ALU_BINARY(x86_exec_cmp, X86_OP_CMP)
ALU_BINARY(x86_exec_test, X86_OP_TEST)

/* ---- One-operand arithmetic ---------------------------------------------- */

static inline uint64_t unop(enum x86_op op, uint64_t a, uint64_t mask)
{
    switch (op) {
    case X86_OP_NOT: return ~a & mask;
    case X86_OP_NEG: return (0 - a) & mask;
    case X86_OP_INC: return (a + 1) & mask;
    default: return (a - 1) & mask; /* DEC */
    }
}

static inline int alu_unary(struct x86_cpu *cpu, const struct x86_insn *in, enum x86_op op)
{
    unsigned size = in->opnd[0].size;
    uint64_t mask = x86_size_mask(size);
    struct x86_dst d;
    uint64_t a;
    int rc = x86_dst_begin(cpu, in, 0, &d, &a);
    if (unlikely(rc))
        return rc;
    uint64_t r = unop(op, a, mask);
    if (unlikely(d.mem && d.m.atomic)) {
        while (!x86_mem_rmw_cas(cpu, &d.m, &a, r, &rc))
            r = unop(op, a, mask);
    } else {
        rc = x86_dst_commit(cpu, &d, r);
    }
    if (unlikely(rc))
        return rc;
    switch (op) {
    case X86_OP_NOT:
        break; /* no flags */
    case X86_OP_NEG:
        x86_flags_record(cpu, X86_LAZY_SUB, size, r, 0, a);
        break;
    default: /* INC/DEC keep CF */
        x86_flags_record(cpu, op == X86_OP_INC ? X86_LAZY_INC : X86_LAZY_DEC, size, r, a,
                         x86_flags_cf(cpu));
        break;
    }
    return X86_EXEC_OK;
}

int x86_exec_not(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return alu_unary(cpu, in, X86_OP_NOT);
}

int x86_exec_neg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return alu_unary(cpu, in, X86_OP_NEG);
}

int x86_exec_inc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return alu_unary(cpu, in, X86_OP_INC);
}

int x86_exec_dec(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return alu_unary(cpu, in, X86_OP_DEC);
}

/* ---- ADCX / ADOX: add with carry through CF or OF only ------------------- */

static int add_through(struct x86_cpu *cpu, const struct x86_insn *in, uint32_t flag)
{
    unsigned size = in->opnd[0].size;
    uint64_t mask = x86_size_mask(size);
    uint64_t a, b;
    int rc = x86_opnd_read(cpu, in, 1, &b);
    if (rc)
        return rc;
    a = x86_gpr_read(cpu, in->opnd[0].reg, size);
    bool cin = x86_flags_compute(cpu) & flag;
    uint64_t r = (a + (b & mask) + cin) & mask;
    bool cout = cin ? r <= a : r < a;
    x86_gpr_write(cpu, in->opnd[0].reg, size, r);
    x86_flags_update(cpu, flag, cout ? flag : 0);
    return X86_EXEC_OK;
}

int x86_exec_adcx(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return add_through(cpu, in, X86_FLAG_CF);
}

int x86_exec_adox(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return add_through(cpu, in, X86_FLAG_OF);
}
