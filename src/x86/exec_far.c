/* Far control transfers (see exec_far.h). */
#include "x86/exec_far.h"

#include "x86/desc.h"
#include "x86/exec_opnd.h"

static bool mode_is_real(const struct x86_cpu *cpu)
{
    return cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_VM86;
}

static bool in_ia32e(const struct x86_cpu *cpu)
{
    return cpu->s.efer & X86_EFER_LMA;
}

/* The far pointer operand: ptr16:16/32 immediate, or m16:16/32/64 (offset
 * first, then the selector). */
static int far_pointer(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t *sel,
                       uint64_t *off)
{
    const struct x86_opnd *o = &in->opnd[0];
    if (o->kind == X86_OPND_FAR) {
        *off = in->imm & x86_size_mask(in->opsize);
        *sel = (uint16_t)in->imm2;
        return X86_EXEC_OK;
    }
    if (o->kind != X86_OPND_MEM || (o->size != 4 && o->size != 6 && o->size != 10))
        return x86_raise(cpu, X86_EXC_UD);
    unsigned osz = o->size - 2u;
    uint64_t ea = x86_ea(cpu, in), v = 0;
    int rc = x86_mem_read(cpu, in->seg, ea, osz, off);
    if (rc)
        return rc;
    rc = x86_mem_read(cpu, in->seg, (ea + osz) & x86_size_mask(in->addrsize), 2, &v);
    *sel = (uint16_t)v;
    return rc;
}

int x86_far_check_rip(struct x86_cpu *cpu, const struct x86_desc *cs, uint64_t rip)
{
    if (in_ia32e(cpu) && x86_desc_l(cs))
        return x86_canonical(cpu, rip) ? X86_EXEC_OK : x86_raise_err(cpu, X86_EXC_GP, 0);
    struct x86_seg sg;
    x86_desc_to_seg(&sg, 0, cs);
    return rip <= sg.limit ? X86_EXEC_OK : x86_raise_err(cpu, X86_EXC_GP, 0);
}

/* Sets the accessed bit and loads CS with RPL = cpl; RIP goes to rip. */
static int commit_cs(struct x86_cpu *cpu, struct x86_desc *cs, uint16_t sel, unsigned cpl,
                     uint64_t rip)
{
    int rc = x86_desc_set_type_bits(cpu, cs, X86_DESC_ACCESSED);
    if (rc)
        return rc;
    x86_desc_to_seg(&cpu->s.seg[X86_CS], (uint16_t)((sel & 0xfffc) | cpl), cs);
    cpu->next_rip = rip;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

/* Reads the descriptor of a far target: 8 bytes, or 16 for a system
 * descriptor in IA-32e mode (call gates). */
static int read_target(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d)
{
    int rc = x86_desc_read(cpu, sel, false, X86_EXC_GP, 0, d);
    if (rc || x86_desc_s(d) || !in_ia32e(cpu))
        return rc;
    return x86_desc_read(cpu, sel, true, X86_EXC_GP, 0, d);
}

/* ---- Real and virtual-8086 mode -------------------------------------------- */

static int far_real(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t sel, uint64_t off,
                    bool call)
{
    unsigned size = in->opsize;
    if (off > cpu->s.seg[X86_CS].limit)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    if (call) {
        int rc = x86_stack_write(cpu, -(int64_t)size, size, cpu->s.seg[X86_CS].sel);
        if (!rc)
            rc = x86_stack_write(cpu, -2 * (int64_t)size, size,
                                 cpu->next_rip & x86_size_mask(size));
        if (rc)
            return rc;
        x86_sp_add(cpu, -2 * (int64_t)size);
    }
    struct x86_seg *cs = &cpu->s.seg[X86_CS];
    cs->sel = sel;
    cs->base = (uint64_t)sel << 4;
    cpu->next_rip = off;
    return X86_EXEC_OK;
}

/* ---- Direct transfer to a code segment (SDM Vol. 3A, 5.8.1) --------------- */

static int check_code_target(struct x86_cpu *cpu, uint16_t sel, const struct x86_desc *d)
{
    uint32_t err = sel & 0xfffcu;
    unsigned dpl = x86_desc_dpl(d), rpl = sel & 3;
    if (x86_desc_conforming(d)) {
        if (dpl > cpu->cpl)
            return x86_raise_err(cpu, X86_EXC_GP, err);
    } else if (rpl > cpu->cpl || dpl != cpu->cpl) {
        return x86_raise_err(cpu, X86_EXC_GP, err);
    }
    if (!x86_desc_present(d))
        return x86_raise_err(cpu, X86_EXC_NP, err);
    if (in_ia32e(cpu) && x86_desc_l(d) && x86_desc_db(d))
        return x86_raise_err(cpu, X86_EXC_GP, err);
    return X86_EXEC_OK;
}

static int far_direct(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t sel,
                      uint64_t off, struct x86_desc *d, bool call)
{
    unsigned size = in->opsize;
    int rc = check_code_target(cpu, sel, d);
    if (rc || (rc = x86_far_check_rip(cpu, d, off)))
        return rc;
    if (call) {
        if ((rc = x86_stack_write(cpu, -(int64_t)size, size, cpu->s.seg[X86_CS].sel)) ||
            (rc = x86_stack_write(cpu, -2 * (int64_t)size, size,
                                  cpu->next_rip & x86_size_mask(size))))
            return rc;
    }
    if ((rc = commit_cs(cpu, d, sel, cpu->cpl, off)))
        return rc;
    if (call)
        x86_sp_add(cpu, -2 * (int64_t)size);
    return X86_EXEC_OK;
}

/* ---- Call gates (SDM Vol. 3A, 5.8.3-5.8.6) --------------------------------- */

/* Pushes onto a stack other than the current one (the inner stack of a
 * privilege-raising CALL): checks every slot before writing any. */
struct new_stack {
    struct x86_seg ss;
    uint64_t sp, mask;
    bool is64;
    uint32_t err;
    unsigned slot;
    uint64_t v[36]; /* SS, ESP, up to 31 parameters, CS, EIP */
    unsigned n;
};

static int new_stack_write(struct x86_cpu *cpu, struct new_stack *ns)
{
    uint64_t la[36];
    for (unsigned i = 0; i < ns->n; i++) {
        uint64_t off = (ns->sp - (uint64_t)(i + 1) * ns->slot) & ns->mask;
        int rc = x86_stack_linear(cpu, &ns->ss, off, ns->slot, ns->is64, ns->err, &la[i]);
        if (rc)
            return rc;
    }
    for (unsigned i = 0; i < ns->n; i++) {
        uint8_t buf[8];
        put_le64(buf, ns->v[i]);
        int rc = x86_mem_write_la(cpu, la[i], buf, ns->slot, X86_ACC_WRITE);
        if (rc)
            return rc;
    }
    return X86_EXEC_OK;
}

/* CALL through a gate to a more privileged non-conforming segment: new
 * stack from the TSS, old SS:ESP, the gate's parameters (legacy gates),
 * then CS:EIP (SDM Vol. 3A, 5.8.5, Figure 5-13). */
static int call_gate_inner(struct x86_cpu *cpu, const struct x86_desc *gate, struct x86_desc *cs,
                           uint64_t rip)
{
    bool lm = in_ia32e(cpu);
    unsigned new_cpl = x86_desc_dpl(cs);
    struct new_stack ns = { .slot = lm ? 8 : (x86_desc_type(gate) & 8 ? 4 : 2), .is64 = lm };
    struct x86_desc ss_desc = { 0 };
    uint16_t ss_sel;
    int rc = x86_tss_stack(cpu, new_cpl, 0, 0, &ss_sel, &ns.sp);
    if (rc)
        return rc;
    if (lm) {
        ns.mask = ~(uint64_t)0;
    } else {
        if ((rc = x86_desc_check_new_ss(cpu, ss_sel, new_cpl, 0, &ss_desc)))
            return rc;
        x86_desc_to_seg(&ns.ss, ss_sel, &ss_desc);
        ns.mask = (ns.ss.attr & X86_SEG_DB) ? 0xffffffffu : 0xffffu;
        ns.err = ss_sel & 0xfffcu;
    }
    ns.v[ns.n++] = cpu->s.seg[X86_SS].sel;
    ns.v[ns.n++] = cpu->s.gpr[X86_RSP];
    unsigned params = lm ? 0 : x86_gate_params(gate);
    for (unsigned i = params; i-- > 0;) { /* copied from the caller's stack, highest first */
        uint64_t v;
        if ((rc = x86_stack_read(cpu, (int64_t)i * ns.slot, ns.slot, &v)))
            return rc;
        ns.v[ns.n++] = v;
    }
    ns.v[ns.n++] = cpu->s.seg[X86_CS].sel;
    ns.v[ns.n++] = cpu->next_rip;
    if ((rc = new_stack_write(cpu, &ns)))
        return rc;
    if (!lm && (rc = x86_desc_set_type_bits(cpu, &ss_desc, X86_DESC_ACCESSED)))
        return rc;
    if ((rc = x86_desc_set_type_bits(cpu, cs, X86_DESC_ACCESSED)))
        return rc;

    struct x86_state *s = &cpu->s;
    uint64_t sp = (ns.sp - (uint64_t)ns.n * ns.slot) & ns.mask;
    s->gpr[X86_RSP] = ns.mask == 0xffff ? (ns.sp & ~(uint64_t)0xffff) | sp : sp;
    if (lm) {
        x86_seg_set_null(&s->seg[X86_SS], (uint16_t)new_cpl);
        s->seg[X86_SS].attr |= new_cpl << 5;
    } else {
        x86_desc_to_seg(&s->seg[X86_SS], ss_sel, &ss_desc);
    }
    x86_desc_to_seg(&s->seg[X86_CS], (uint16_t)((x86_gate_sel(gate) & 0xfffc) | new_cpl), cs);
    cpu->next_rip = rip;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

static int far_gate(struct x86_cpu *cpu, uint16_t sel, const struct x86_desc *gate, bool call)
{
    uint32_t err = sel & 0xfffcu;
    bool lm = in_ia32e(cpu);
    unsigned gdpl = x86_desc_dpl(gate);
    if (gdpl < cpu->cpl || gdpl < (sel & 3u))
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (!x86_desc_present(gate))
        return x86_raise_err(cpu, X86_EXC_NP, err);
    if (lm && ((gate->hi >> 40) & 0x1f) != 0) /* upper type field must be 0 */
        return x86_raise_err(cpu, X86_EXC_GP, err);

    uint16_t cs_sel = x86_gate_sel(gate);
    uint32_t cs_err = cs_sel & 0xfffcu;
    struct x86_desc cs;
    if ((cs_sel & 0xfffc) == 0)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    int rc = x86_desc_read(cpu, cs_sel, false, X86_EXC_GP, 0, &cs);
    if (rc)
        return rc;
    unsigned dpl = x86_desc_dpl(&cs);
    if (!x86_desc_is_code(&cs) || dpl > cpu->cpl)
        return x86_raise_err(cpu, X86_EXC_GP, cs_err);
    if (lm && (!x86_desc_l(&cs) || x86_desc_db(&cs)))
        return x86_raise_err(cpu, X86_EXC_GP, cs_err);
    bool inner = !x86_desc_conforming(&cs) && dpl < cpu->cpl;
    if (!call && inner) /* JMP never changes privilege */
        return x86_raise_err(cpu, X86_EXC_GP, cs_err);
    if (!x86_desc_present(&cs))
        return x86_raise_err(cpu, X86_EXC_NP, cs_err);

    uint64_t rip = x86_gate_offset(gate, lm);
    if (!lm && x86_desc_type(gate) == X86_SYS_CALL16)
        rip &= 0xffff;
    if ((rc = x86_far_check_rip(cpu, &cs, rip)))
        return rc;
    if (inner)
        return call_gate_inner(cpu, gate, &cs, rip);

    unsigned slot = lm ? 8 : (x86_desc_type(gate) & 8 ? 4 : 2);
    if (call) {
        if ((rc = x86_stack_write(cpu, -(int64_t)slot, slot, cpu->s.seg[X86_CS].sel)) ||
            (rc = x86_stack_write(cpu, -2 * (int64_t)slot, slot,
                                  cpu->next_rip & x86_size_mask(slot))))
            return rc;
    }
    if ((rc = commit_cs(cpu, &cs, cs_sel, cpu->cpl, rip)))
        return rc;
    if (call)
        x86_sp_add(cpu, -2 * (int64_t)slot);
    return X86_EXEC_OK;
}

/* ---- JMP far / CALL far ------------------------------------------------------ */

static int far_transfer(struct x86_cpu *cpu, const struct x86_insn *in, bool call)
{
    uint16_t sel = 0;
    uint64_t off = 0;
    int rc = far_pointer(cpu, in, &sel, &off);
    if (rc)
        return rc;
    if (mode_is_real(cpu))
        return far_real(cpu, in, sel, off, call);
    if ((sel & 0xfffc) == 0)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    struct x86_desc d;
    if ((rc = read_target(cpu, sel, &d)))
        return rc;
    if (x86_desc_is_code(&d))
        return far_direct(cpu, in, sel, off, &d, call);
    if (x86_desc_s(&d)) /* a data segment */
        return x86_raise_err(cpu, X86_EXC_GP, sel & 0xfffcu);
    switch (x86_desc_type(&d)) {
    case X86_SYS_CALL:
        return far_gate(cpu, sel, &d, call);
    case X86_SYS_CALL16:
        if (!in_ia32e(cpu))
            return far_gate(cpu, sel, &d, call);
        break;
    case X86_SYS_TASK:
    case X86_SYS_TSS16:
    case X86_SYS_TSS:
        if (!in_ia32e(cpu))
            return X86_EXEC_UNSUPPORTED; /* task switch */
        break;
    default:
        break;
    }
    return x86_raise_err(cpu, X86_EXC_GP, sel & 0xfffcu);
}

int x86_exec_jmpf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return far_transfer(cpu, in, false);
}

int x86_exec_callf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return far_transfer(cpu, in, true);
}

/* ---- RET far (SDM Vol. 2, RET, far return) ------------------------------------ */

int x86_far_check_outer_ss(struct x86_cpu *cpu, uint16_t ss, unsigned rpl, bool l64,
                           struct x86_desc *d, bool *null_ss)
{
    uint32_t err = ss & 0xfffcu;
    *null_ss = (ss & 0xfffc) == 0;
    if (*null_ss) {
        /* IA-32e mode allows a null SS returning to 64-bit code at CPL < 3. */
        if (in_ia32e(cpu) && l64 && rpl != 3 && (ss & 3) == rpl)
            return X86_EXEC_OK;
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    }
    int rc = x86_desc_read(cpu, ss, false, X86_EXC_GP, 0, d);
    if (rc)
        return rc;
    if ((ss & 3u) != rpl || !x86_desc_is_writable_data(d) || x86_desc_dpl(d) != rpl)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (!x86_desc_present(d))
        return x86_raise_err(cpu, X86_EXC_SS, err);
    return X86_EXEC_OK;
}

int x86_far_check_return_cs(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d)
{
    uint32_t err = sel & 0xfffcu;
    unsigned rpl = sel & 3;
    if ((sel & 0xfffc) == 0)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    int rc = x86_desc_read(cpu, sel, false, X86_EXC_GP, 0, d);
    if (rc)
        return rc;
    if (!x86_desc_is_code(d) || rpl < cpu->cpl)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (x86_desc_conforming(d) ? x86_desc_dpl(d) > rpl : x86_desc_dpl(d) != rpl)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (!x86_desc_present(d))
        return x86_raise_err(cpu, X86_EXC_NP, err);
    if (in_ia32e(cpu) && x86_desc_l(d) && x86_desc_db(d))
        return x86_raise_err(cpu, X86_EXC_GP, err);
    return X86_EXEC_OK;
}

static int retf_real(struct x86_cpu *cpu, unsigned size, uint64_t release)
{
    uint64_t ip, sel;
    int rc = x86_stack_read(cpu, 0, size, &ip);
    if (!rc)
        rc = x86_stack_read(cpu, size, size, &sel);
    if (rc)
        return rc;
    if (ip > cpu->s.seg[X86_CS].limit)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    struct x86_seg *cs = &cpu->s.seg[X86_CS];
    cs->sel = (uint16_t)sel;
    cs->base = (uint64_t)(uint16_t)sel << 4;
    cpu->next_rip = ip;
    x86_sp_add(cpu, (int64_t)(2 * size + release));
    return X86_EXEC_OK;
}

void x86_far_load_outer_stack(struct x86_cpu *cpu, uint16_t ss, const struct x86_desc *d,
                              bool null_ss, uint64_t sp)
{
    struct x86_seg *sg = &cpu->s.seg[X86_SS];
    if (null_ss) {
        x86_seg_set_null(sg, ss);
        sg->attr |= (uint32_t)(ss & 3) << 5;
    } else {
        x86_desc_to_seg(sg, ss, d);
    }
    bool wide = in_ia32e(cpu) && (cpu->s.seg[X86_CS].attr & X86_SEG_L);
    if (wide || (sg->attr & X86_SEG_DB))
        cpu->s.gpr[X86_RSP] = wide ? sp : (uint32_t)sp;
    else
        cpu->s.gpr[X86_RSP] = (cpu->s.gpr[X86_RSP] & ~(uint64_t)0xffff) | (sp & 0xffff);
}

int x86_exec_retf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t release = in->nopnd ? in->imm & 0xffff : 0, ip, v;
    if (mode_is_real(cpu))
        return retf_real(cpu, size, release);
    int rc = x86_stack_read(cpu, 0, size, &ip);
    if (!rc)
        rc = x86_stack_read(cpu, size, size, &v);
    if (rc)
        return rc;
    uint16_t sel = (uint16_t)v;
    unsigned rpl = sel & 3;
    struct x86_desc cs;
    if ((rc = x86_far_check_return_cs(cpu, sel, &cs)))
        return rc;
    if (rpl == cpu->cpl) {
        if ((rc = x86_far_check_rip(cpu, &cs, ip)) || (rc = commit_cs(cpu, &cs, sel, rpl, ip)))
            return rc;
        x86_sp_add(cpu, (int64_t)(2 * size + release));
        return X86_EXEC_OK;
    }
    /* Outer privilege level: SS:ESP follow the released parameters. */
    uint64_t new_sp, ss;
    int64_t at = (int64_t)(2 * size + release);
    if ((rc = x86_stack_read(cpu, at, size, &new_sp)) ||
        (rc = x86_stack_read(cpu, at + size, size, &ss)))
        return rc;
    struct x86_desc ss_desc = { 0 };
    bool null_ss;
    bool l64 = in_ia32e(cpu) && x86_desc_l(&cs);
    if ((rc = x86_far_check_outer_ss(cpu, (uint16_t)ss, rpl, l64, &ss_desc, &null_ss)) ||
        (rc = x86_far_check_rip(cpu, &cs, ip)))
        return rc;
    if (!null_ss && (rc = x86_desc_set_type_bits(cpu, &ss_desc, X86_DESC_ACCESSED)))
        return rc;
    if ((rc = x86_desc_set_type_bits(cpu, &cs, X86_DESC_ACCESSED)))
        return rc;
    x86_desc_to_seg(&cpu->s.seg[X86_CS], sel, &cs);
    x86_far_load_outer_stack(cpu, (uint16_t)ss, &ss_desc, null_ss, new_sp + release);
    x86_seg_drop_inaccessible(cpu, rpl);
    cpu->next_rip = ip;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}
