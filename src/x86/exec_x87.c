/* x87 floating point (see exec_x87.h). */
#include "x86/exec_x87.h"

#include "x86/exec_opnd.h"
#include "x86/exec_sse_opnd.h"
#include "x86/exec_x87_host.h"

/* Bytes 0-31 of the FXSAVE image (control/status/tag words, FOP, FIP, FDP,
 * MXCSR) and the eight register slots: what the host needs. */
#define FX_X87_BYTES 160

/* FOP = the last non-control instruction's opcode bits 10:0 (the low 3
 * bits of the escape byte and the ModRM byte), FIP its address, FDP the
 * address of its memory operand (SDM Vol. 1, 8.1.8, 8.1.9). Outside
 * 64-bit mode the selector sits above the 32-bit offset, as in the 32-bit
 * FXSAVE image. */
void x86_x87_note(struct x86_cpu *cpu, const struct x86_insn *in)
{
    struct x86_fxstate *fx = &cpu->s.fx;
    bool m64 = cpu->mode == X86_MODE_LONG64;
    fx->fop = (uint16_t)(((in->opcode & 7u) << 8) | in->modrm);
    fx->fip = m64 ? cpu->s.rip
                  : (cpu->s.rip & 0xffffffffu) | (uint64_t)cpu->s.seg[X86_CS].sel << 32;
    if (in->nopnd && in->opnd[0].kind == X86_OPND_MEM) {
        uint64_t ea = x86_ea(cpu, in);
        fx->fdp = m64 ? ea : (ea & 0xffffffffu) | (uint64_t)cpu->s.seg[in->seg].sel << 32;
    }
}

/* Instructions that write their memory operand. */
static bool stores_memory(unsigned op)
{
    switch (op) {
    case X86_OP_FST: case X86_OP_FSTP: case X86_OP_FIST: case X86_OP_FISTP:
    case X86_OP_FISTTP: case X86_OP_FBSTP:
        return true;
    default:
        return false;
    }
}

/* The host stub for a register form. The aliases the decoder accepts run
 * as their documented encodings (FSTP D9 D8+i / DF D0+i / DF D8+i as
 * DD D8+i, FCOM DC D0+i as D8 D0+i, FCOMP DC D8+i / DE D0+i as D8 D8+i,
 * FXCH DD C8+i / DF C8+i as D9 C8+i), which are what the hardware does. */
static unsigned reg_stub(const struct x86_insn *in)
{
    unsigned i = in->modrm & 7;
    switch (in->op) {
    case X86_OP_FSTP: return X86_X87_STUB_REG(0xdd, 0xd8 + i);
    case X86_OP_FCOM: return X86_X87_STUB_REG(0xd8, 0xd0 + i);
    case X86_OP_FCOMP: return X86_X87_STUB_REG(0xd8, 0xd8 + i);
    case X86_OP_FXCH: return X86_X87_STUB_REG(0xd9, 0xc8 + i);
    default: return X86_X87_STUB_REG(in->opcode, in->modrm);
    }
}

/* Reads the memory operand into buf: the source of a load, or, for a
 * store, the current contents with write permission checked, so that a
 * store the hardware suppresses (unmasked exception) writes them back
 * unchanged. *la receives the linear address. */
static int x87_mem_prepare(struct x86_cpu *cpu, const struct x86_insn *in, bool store,
                           uint8_t *buf, uint64_t *la)
{
    unsigned len = in->opnd[0].size;
    if (unlikely(len == 0 || len > 10))
        return X86_EXEC_UNSUPPORTED;
    unsigned kind = store ? X86_ACC_WRITE : X86_ACC_READ;
    int rc = x86_mem_linear(cpu, in->seg, x86_ea(cpu, in), len, kind, la);
    if (unlikely(rc))
        return rc;
    return x86_mem_read_la(cpu, *la, buf, len, x86_mem_acc(cpu, kind));
}

int x86_exec_x87(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, true);
    if (unlikely(rc))
        return rc;
    struct x86_x87_host h;
    memcpy(h.fx, &cpu->s.fx, FX_X87_BYTES);
    memset(h.mem, 0, sizeof(h.mem));

    bool mem = in->nopnd && in->opnd[0].kind == X86_OPND_MEM;
    bool store = mem && stores_memory(in->op);
    uint64_t la = 0;
    unsigned stub;
    if (mem) {
        rc = x87_mem_prepare(cpu, in, store, h.mem, &la);
        if (unlikely(rc))
            return rc;
        stub = X86_X87_STUB_MEM(in->opcode, in->modrm >> 3);
    } else {
        stub = reg_stub(in);
    }
    h.rflags = x86_get_rflags(cpu);
    x86_x87_host_run(&h, stub);

    if (store) {
        /* GUEST: la was checked for writing len bytes by x87_mem_prepare. */
        rc = x86_mem_write_la(cpu, la, h.mem, in->opnd[0].size,
                              x86_mem_acc(cpu, X86_ACC_WRITE));
        if (unlikely(rc))
            return rc;
    }
    struct x86_fxstate *fx = &cpu->s.fx;
    fx->fcw = get_le16(h.fx + 0);
    fx->fsw = get_le16(h.fx + 2);
    fx->ftw = h.fx[4];
    memcpy(fx->st, h.fx + 32, sizeof(fx->st));
    switch (in->op) {
    case X86_OP_FCOMI: case X86_OP_FCOMIP: case X86_OP_FUCOMI: case X86_OP_FUCOMIP:
        x86_flags_update(cpu, X86_FLAGS_ARITH, (uint32_t)h.rflags & X86_FLAGS_ARITH);
        break;
    default:
        break;
    }
    if (in->op != X86_OP_FLDCW)
        x86_x87_note(cpu, in);
    return X86_EXEC_OK;
}

int x86_exec_fnop(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, true);
    if (unlikely(rc))
        return rc;
    x86_x87_note(cpu, in);
    return X86_EXEC_OK;
}

/* FWAIT: #NM only when both CR0.MP and CR0.TS are set; then any pending
 * unmasked exception is reported. */
int x86_exec_fwait(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (unlikely((cpu->s.cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS)))
        return x86_raise(cpu, X86_EXC_NM);
    if (unlikely(x86_x87_pending(cpu)))
        return x86_raise(cpu, X86_EXC_MF);
    return X86_EXEC_OK;
}

/* FNSTSW AX / m16 and FNSTCW m16: no wait for pending exceptions. */
int x86_exec_fnstsw(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, false);
    if (unlikely(rc))
        return rc;
    return x86_opnd_write(cpu, in, 0, cpu->s.fx.fsw);
}

int x86_exec_fnstcw(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_x87_check(cpu, false);
    if (unlikely(rc))
        return rc;
    return x86_opnd_write(cpu, in, 0, cpu->s.fx.fcw);
}

/* FNCLEX: clears the exception flags, SF, ES and B. */
int x86_exec_fnclex(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    int rc = x86_x87_check(cpu, false);
    if (unlikely(rc))
        return rc;
    cpu->s.fx.fsw &= 0x7f00;
    return X86_EXEC_OK;
}

/* FNINIT (SDM Vol. 2, FINIT/FNINIT): FCW 037FH,
 * FSW 0, all tags empty, FOP/FIP/FDP cleared; registers keep their bits. */
int x86_exec_fninit(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    int rc = x86_x87_check(cpu, false);
    if (unlikely(rc))
        return rc;
    struct x86_fxstate *fx = &cpu->s.fx;
    fx->fcw = 0x37f;
    fx->fsw = 0;
    fx->ftw = 0;
    fx->fop = 0;
    fx->fip = 0;
    fx->fdp = 0;
    return X86_EXEC_OK;
}
