/* Software interrupts and interrupt return (see exec_int.h). */
#include "x86/exec_int.h"

#include "x86/deliver.h"
#include "x86/desc.h"
#include "x86/exec_far.h"
#include "x86/exec_opnd.h"

/* ---- INT n, INT3, INTO, INT1 --------------------------------------------------- */

/* Delivers a software event; the handler's RIP becomes the next RIP. */
static int soft_event(struct x86_cpu *cpu, unsigned vector, enum x86_event_kind kind)
{
    struct x86_event ev = { .vector = (uint8_t)vector, .kind = (uint8_t)kind };
    int rc = x86_deliver_once(cpu, &ev, cpu->next_rip);
    if (rc)
        return rc;
    cpu->next_rip = cpu->s.rip;
    return X86_EXEC_OK;
}

int x86_exec_int(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return soft_event(cpu, in->imm & 0xff, X86_EVENT_SOFTINT);
}

int x86_exec_int3(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    return soft_event(cpu, X86_EXC_BP, X86_EVENT_SOFTEXC);
}

int x86_exec_into(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (!(x86_flags_compute(cpu) & X86_FLAG_OF))
        return X86_EXEC_OK;
    return soft_event(cpu, X86_EXC_OF, X86_EVENT_SOFTEXC);
}

int x86_exec_int1(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    return soft_event(cpu, X86_EXC_DB, X86_EVENT_PRIVSOFT);
}

/* BOUND r16/32, m16&16/m32&32: #BR unless lower <= index <= upper (signed). */
int x86_exec_bound(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t lo, hi;
    if (in->opnd[1].kind != X86_OPND_MEM || in->opnd[0].kind != X86_OPND_GPR)
        return x86_raise(cpu, X86_EXC_UD);
    uint64_t ea = x86_ea(cpu, in);
    int rc = x86_mem_read(cpu, in->seg, ea, size, &lo);
    if (!rc)
        rc = x86_mem_read(cpu, in->seg, (ea + size) & x86_size_mask(in->addrsize), size, &hi);
    if (rc)
        return rc;
    int64_t idx = x86_sext(x86_gpr_read(cpu, in->opnd[0].reg, size), size);
    if (idx < x86_sext(lo, size) || idx > x86_sext(hi, size))
        return x86_raise(cpu, X86_EXC_BR);
    return X86_EXEC_OK;
}

/* ---- IRET ------------------------------------------------------------------ */

static unsigned iopl(const struct x86_cpu *cpu)
{
    return (cpu->s.rflags >> 12) & 3;
}

/* Pops the return frame's first three slots: RIP, CS, RFLAGS. */
static int read_frame(struct x86_cpu *cpu, unsigned size, uint64_t *ip, uint16_t *cs,
                      uint64_t *fl)
{
    uint64_t v = 0;
    int rc = x86_stack_read(cpu, 0, size, ip);
    if (!rc)
        rc = x86_stack_read(cpu, size, size, &v);
    if (!rc)
        rc = x86_stack_read(cpu, 2 * size, size, fl);
    *cs = (uint16_t)v;
    return rc;
}

/* Real mode, and virtual-8086 mode with IOPL 3 (IOPL, VM, VIF and VIP are
 * not loaded there). */
static int iret_real(struct x86_cpu *cpu, unsigned size)
{
    uint64_t ip, fl;
    uint16_t sel;
    int rc = read_frame(cpu, size, &ip, &sel, &fl);
    if (rc)
        return rc;
    if (ip > cpu->s.seg[X86_CS].limit)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    uint64_t old = x86_get_rflags(cpu), mask;
    if (cpu->mode == X86_MODE_VM86)
        mask = x86_size_mask(size) &
               ~(uint64_t)(X86_FLAG_VM | X86_FLAG_IOPL | X86_FLAG_VIF | X86_FLAG_VIP);
    else /* real mode: EFLAGS <- (tmp AND 257FD5H) OR (EFLAGS AND 1A0000H) */
        mask = size == 2 ? 0xffff : 0x257fd5;
    cpu->s.rflags = ((old & ~mask) | (fl & mask)) | X86_FLAG_FIXED;
    struct x86_seg *cs = &cpu->s.seg[X86_CS];
    cs->sel = sel;
    cs->base = (uint64_t)sel << 4;
    cpu->next_rip = ip;
    cpu->nmi_blocked = false;
    x86_sp_add(cpu, 3 * (int64_t)size);
    return X86_EXEC_OK;
}

/* Loads a segment register as virtual-8086 mode sees it. */
static void vm86_seg(struct x86_seg *sg, uint16_t sel, unsigned type)
{
    sg->sel = sel;
    sg->base = (uint64_t)sel << 4;
    sg->limit = 0xffff;
    sg->attr = X86_SEG_P | X86_SEG_S | (3u << 5) | type;
}

/* IRETD at CPL 0 with VM = 1 in the popped EFLAGS: ESP, SS, ES, DS, FS and
 * GS follow on the stack (SDM Vol. 2, IRET, "RETURN-TO-VIRTUAL-8086-MODE"). */
static int iret_to_vm86(struct x86_cpu *cpu, uint64_t ip, uint16_t cs, uint64_t fl)
{
    uint64_t v[6]; /* ESP SS ES DS FS GS */
    for (unsigned i = 0; i < 6; i++) {
        int rc = x86_stack_read(cpu, 4 * (3 + (int64_t)i), 4, &v[i]);
        if (rc)
            return rc;
    }
    if (ip > 0xffff)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    struct x86_state *s = &cpu->s;
    x86_flags_materialize(cpu);
    s->rflags = (fl & 0xffffffffu) | X86_FLAG_FIXED;
    vm86_seg(&s->seg[X86_CS], cs, 0xb);
    vm86_seg(&s->seg[X86_SS], (uint16_t)v[1], 0x3);
    vm86_seg(&s->seg[X86_ES], (uint16_t)v[2], 0x3);
    vm86_seg(&s->seg[X86_DS], (uint16_t)v[3], 0x3);
    vm86_seg(&s->seg[X86_FS], (uint16_t)v[4], 0x3);
    vm86_seg(&s->seg[X86_GS], (uint16_t)v[5], 0x3);
    s->gpr[X86_RSP] = (uint32_t)v[0];
    cpu->next_rip = ip;
    cpu->nmi_blocked = false;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

/* The RFLAGS bits a protected-mode IRET loads, by the old CPL and IOPL
 * (SDM Vol. 2, IRET, "RETURN-TO-SAME/OUTER-PRIVILEGE-LEVEL"). */
static uint64_t iret_flag_mask(const struct x86_cpu *cpu, unsigned size)
{
    uint64_t m = X86_FLAGS_ARITH | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_NT;
    if (size > 2)
        m |= X86_FLAG_RF | X86_FLAG_AC | X86_FLAG_ID;
    if (cpu->cpl <= iopl(cpu))
        m |= X86_FLAG_IF;
    if (cpu->cpl == 0) {
        m |= X86_FLAG_IOPL;
        if (size > 2)
            m |= X86_FLAG_VIF | X86_FLAG_VIP;
    }
    return m & x86_size_mask(size);
}

static int iret_prot(struct x86_cpu *cpu, unsigned size)
{
    bool lm = cpu->s.efer & X86_EFER_LMA;
    uint64_t old = x86_get_rflags(cpu);
    if (old & X86_FLAG_NT)
        return lm ? x86_raise_err(cpu, X86_EXC_GP, 0) : X86_EXEC_UNSUPPORTED; /* task return */
    uint64_t ip, fl;
    uint16_t sel;
    int rc = read_frame(cpu, size, &ip, &sel, &fl);
    if (rc)
        return rc;
    if (!lm && cpu->cpl == 0 && size == 4 && (fl & X86_FLAG_VM))
        return iret_to_vm86(cpu, ip, sel, fl);

    unsigned rpl = sel & 3;
    struct x86_desc cs, ss_desc = { 0 };
    if ((rc = x86_far_check_return_cs(cpu, sel, &cs)))
        return rc;
    bool l64 = lm && x86_desc_l(&cs);
    /* 64-bit mode always pops SS:RSP; elsewhere only for an outer level. */
    bool pop_ss = rpl > cpu->cpl || cpu->mode == X86_MODE_LONG64;
    uint64_t new_sp = 0, ss = 0;
    bool null_ss = false;
    if (pop_ss) {
        if ((rc = x86_stack_read(cpu, 3 * (int64_t)size, size, &new_sp)) ||
            (rc = x86_stack_read(cpu, 4 * (int64_t)size, size, &ss)) ||
            (rc = x86_far_check_outer_ss(cpu, (uint16_t)ss, rpl, l64, &ss_desc, &null_ss)))
            return rc;
    }
    if ((rc = x86_far_check_rip(cpu, &cs, ip)))
        return rc;
    if (pop_ss && !null_ss && (rc = x86_desc_set_type_bits(cpu, &ss_desc, X86_DESC_ACCESSED)))
        return rc;
    if ((rc = x86_desc_set_type_bits(cpu, &cs, X86_DESC_ACCESSED)))
        return rc;

    /* Commit. */
    uint64_t mask = iret_flag_mask(cpu, size);
    bool outer = rpl > cpu->cpl;
    cpu->s.rflags = ((old & ~mask) | (fl & mask)) | X86_FLAG_FIXED;
    x86_desc_to_seg(&cpu->s.seg[X86_CS], sel, &cs);
    if (pop_ss)
        x86_far_load_outer_stack(cpu, (uint16_t)ss, &ss_desc, null_ss, new_sp);
    else
        x86_sp_add(cpu, 3 * (int64_t)size);
    if (outer)
        x86_seg_drop_inaccessible(cpu, rpl);
    cpu->next_rip = ip;
    cpu->nmi_blocked = false;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

int x86_exec_iret(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    switch (cpu->mode) {
    case X86_MODE_REAL:
        return iret_real(cpu, size);
    case X86_MODE_VM86:
        if (iopl(cpu) < 3)
            return x86_raise_err(cpu, X86_EXC_GP, 0);
        return iret_real(cpu, size);
    default:
        return iret_prot(cpu, size);
    }
}
