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
static void x87_note(struct x86_cpu *cpu, const struct x86_insn *in)
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

/* FCMOVcc: the condition is in RFLAGS. */
static bool reads_rflags(unsigned op)
{
    switch (op) {
    case X86_OP_FCMOVB: case X86_OP_FCMOVE: case X86_OP_FCMOVBE: case X86_OP_FCMOVU:
    case X86_OP_FCMOVNB: case X86_OP_FCMOVNE: case X86_OP_FCMOVNBE: case X86_OP_FCMOVNU:
        return true;
    default:
        return false;
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
        /* The register forms run as they are, the undocumented aliases
         * (D9 D8+i, DC D0+i, DF C8+i, ...) included: the host does what
         * the hardware does with them. */
        stub = X86_X87_STUB_REG(in->opcode, in->modrm);
    }
    h.rflags = 0;
    if (reads_rflags(in->op))
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
        x87_note(cpu, in);
    return X86_EXEC_OK;
}

/* FNOP (D9 D0), and the 8087/80287 control instructions the decoder maps
 * to it (DB E0 FENI, E1 FDISI, E4 FSETPM): those are no-wait forms that
 * leave FOP/FIP alone. */
int x86_exec_fnop(struct x86_cpu *cpu, const struct x86_insn *in)
{
    bool legacy = in->opcode == 0xdb;
    int rc = x86_x87_check(cpu, !legacy);
    if (unlikely(rc))
        return rc;
    if (!legacy)
        x87_note(cpu, in);
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
    x86_x87_set_top(cpu, 0);
    fx->fcw = 0x37f;
    fx->fsw = 0;
    fx->ftw = 0;
    fx->fop = 0;
    fx->fip = 0;
    fx->fdp = 0;
    return X86_EXEC_OK;
}
