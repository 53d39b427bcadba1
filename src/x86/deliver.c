/* Interrupt and exception delivery (see deliver.h). */
#include "x86/deliver.h"

#include "x86/desc.h"
#include "x86/flags.h"
#include "x86/mem.h"

/* Exception classes for double-fault detection (SDM Vol. 3A, Table 6-4). */
enum exc_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT, CLASS_DOUBLE_FAULT };

static enum exc_class exc_class(const struct x86_event *ev)
{
    if (ev->kind != X86_EVENT_EXCEPTION)
        return CLASS_BENIGN;
    switch (ev->vector) {
    case X86_EXC_DE:
    case X86_EXC_TS:
    case X86_EXC_NP:
    case X86_EXC_SS:
    case X86_EXC_GP:
        return CLASS_CONTRIBUTORY;
    case X86_EXC_PF:
        return CLASS_PAGE_FAULT;
    case X86_EXC_DF:
        return CLASS_DOUBLE_FAULT;
    default:
        return CLASS_BENIGN;
    }
}

/* Faults push RFLAGS with RF set, so that returning to the faulting
 * instruction does not trip an instruction breakpoint again (Vol. 3A,
 * 17.3.1.1). #DB is delivered as a trap here. */
static bool is_fault(const struct x86_event *ev)
{
    if (ev->kind != X86_EVENT_EXCEPTION)
        return false;
    switch (ev->vector) {
    case X86_EXC_DE: case X86_EXC_BR: case X86_EXC_UD: case X86_EXC_NM: case X86_EXC_TS:
    case X86_EXC_NP: case X86_EXC_SS: case X86_EXC_GP: case X86_EXC_PF: case X86_EXC_MF:
    case X86_EXC_AC: case X86_EXC_XM:
        return true;
    default:
        return false;
    }
}

/* INT n, INT3 and INTO check the gate's DPL and clear EXT in error codes
 * (Vol. 3A, 6.12.1.1 and 6.13); INT1 and hardware events do neither. */
static bool is_software(const struct x86_event *ev)
{
    return ev->kind == X86_EVENT_SOFTINT || ev->kind == X86_EVENT_SOFTEXC;
}

/* ---- Real mode (Vol. 3A, 20.1.4; Vol. 2, INT n "REAL-ADDRESS-MODE") ------- */

static int deliver_real(struct x86_cpu *cpu, const struct x86_event *ev, uint64_t ret_rip)
{
    uint64_t entry = (uint64_t)ev->vector * 4;
    if (entry + 3 > cpu->s.idt.limit)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    /* GUEST: the vector is within the IVT limit; the callbacks check the
     * physical address. */
    uint8_t ivt[4];
    int rc = x86_mem_read_la(cpu, (cpu->s.idt.base + entry) & 0xffffffffu, ivt, 4,
                             X86_ACC_READ | X86_ACC_IMPLICIT);
    if (rc)
        return rc;
    uint64_t flags = x86_get_rflags(cpu);
    uint16_t cs = cpu->s.seg[X86_CS].sel;
    if ((rc = x86_stack_write(cpu, -2, 2, flags & 0xffff)) ||
        (rc = x86_stack_write(cpu, -4, 2, cs)) ||
        (rc = x86_stack_write(cpu, -6, 2, ret_rip & 0xffff)))
        return rc;
    x86_sp_add(cpu, -6);
    cpu->s.rflags = flags & ~(uint64_t)(X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_AC);
    struct x86_seg *sg = &cpu->s.seg[X86_CS];
    sg->sel = get_le16(ivt + 2);
    sg->base = (uint64_t)sg->sel << 4;
    cpu->s.rip = get_le16(ivt);
    return X86_EXEC_OK;
}

/* ---- Protected and IA-32e mode (Vol. 2, INT n "PROTECTED-MODE") ----------- */

/* Reads the IDT gate for the event and checks its type, DPL and presence. */
static int read_gate(struct x86_cpu *cpu, const struct x86_event *ev, bool lm, uint32_t ext,
                     struct x86_desc *gate)
{
    uint32_t err = (uint32_t)ev->vector * 8 + 2 + ext;
    unsigned size = lm ? 16 : 8;
    uint64_t off = (uint64_t)ev->vector * size;
    if (off + size - 1 > cpu->s.idt.limit)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    uint64_t la = cpu->s.idt.base + off;
    if (!lm)
        la &= 0xffffffffu;
    /* GUEST: the entry lies within the IDT limit. */
    uint8_t buf[16];
    int rc = x86_mem_read_la(cpu, la, buf, size, X86_ACC_READ | X86_ACC_IMPLICIT);
    if (rc)
        return rc;
    gate->la = la;
    gate->lo = get_le64(buf);
    gate->hi = lm ? get_le64(buf + 8) : 0;

    unsigned type = x86_desc_type(gate);
    bool ok;
    if (x86_desc_s(gate))
        ok = false;
    else if (lm) /* 64-bit gates; the upper type field must be 0 (Figure 6-8) */
        ok = (type == X86_SYS_INT || type == X86_SYS_TRAP) && ((gate->hi >> 40) & 0x1f) == 0;
    else
        ok = type == X86_SYS_TASK || type == X86_SYS_INT16 || type == X86_SYS_TRAP16 ||
             type == X86_SYS_INT || type == X86_SYS_TRAP;
    if (!ok)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (is_software(ev) && x86_desc_dpl(gate) < cpu->cpl)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (!x86_desc_present(gate))
        return x86_raise_err(cpu, X86_EXC_NP, err);
    if (type == X86_SYS_TASK)
        return X86_EXEC_UNSUPPORTED; /* task switch */
    return X86_EXEC_OK;
}

/* The handler's code segment: a present code segment with DPL <= CPL; a
 * 64-bit one in IA-32e mode. */
static int read_handler_cs(struct x86_cpu *cpu, uint16_t sel, bool lm, uint32_t ext,
                           struct x86_desc *cs)
{
    uint32_t err = (sel & 0xfffcu) | ext;
    if ((sel & 0xfffc) == 0)
        return x86_raise_err(cpu, X86_EXC_GP, ext);
    int rc = x86_desc_read(cpu, sel, false, X86_EXC_GP, ext, cs);
    if (rc)
        return rc;
    if (!x86_desc_is_code(cs) || x86_desc_dpl(cs) > cpu->cpl)
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (lm && (!x86_desc_l(cs) || x86_desc_db(cs)))
        return x86_raise_err(cpu, X86_EXC_GP, err);
    if (!x86_desc_present(cs))
        return x86_raise_err(cpu, X86_EXC_NP, err);
    return X86_EXEC_OK;
}

/* A stack frame, in push order (highest address first). */
struct frame {
    uint64_t v[10];
    unsigned n;
};

static void frame_push(struct frame *f, uint64_t v)
{
    f->v[f->n++] = v;
}

/* Where the frame goes: segment, starting stack pointer, width. */
struct stack_target {
    struct x86_seg ss;
    uint64_t sp;      /* before the pushes */
    uint64_t mask;    /* stack-pointer width */
    unsigned slot;    /* 2, 4 or 8 bytes */
    bool is64;
    uint32_t err;     /* #SS error code */
    unsigned acc;     /* privilege of the pushes */
};

/* Checks every slot first, then writes them: a limit fault changes nothing. */
static int frame_write(struct x86_cpu *cpu, const struct frame *f, const struct stack_target *t)
{
    uint64_t la[10];
    for (unsigned i = 0; i < f->n; i++) {
        uint64_t off = (t->sp - (uint64_t)(i + 1) * t->slot) & t->mask;
        int rc = x86_stack_linear(cpu, &t->ss, off, t->slot, t->is64, t->err, &la[i]);
        if (rc)
            return rc;
    }
    for (unsigned i = 0; i < f->n; i++) {
        uint8_t buf[8];
        put_le64(buf, f->v[i]);
        int rc = x86_mem_write_la(cpu, la[i], buf, t->slot, t->acc);
        if (rc)
            return rc;
    }
    return X86_EXEC_OK;
}

/* Everything a protected-mode delivery decided before touching state. */
struct target {
    struct x86_desc gate, cs;
    uint16_t cs_sel;
    unsigned new_cpl;
    bool inner;        /* privilege change: stack from the TSS */
    bool lm;
    uint64_t rip;
    struct x86_desc ss_desc; /* legacy inner: the new stack segment */
    struct stack_target st;
};

/* Picks the handler's stack: the current one, the TSS's for the new
 * privilege level, or an IST stack (Vol. 3A, 6.12.1 and 6.14.4-5). */
static int pick_stack(struct x86_cpu *cpu, struct target *t, uint32_t ext)
{
    struct stack_target *st = &t->st;
    st->ss = cpu->s.seg[X86_SS];
    st->sp = cpu->s.gpr[X86_RSP];
    st->err = ext;
    st->acc = X86_ACC_WRITE | (t->new_cpl == 3 ? X86_ACC_USER : 0);
    int rc;
    if (t->lm) {
        unsigned ist = x86_gate_ist(&t->gate);
        uint16_t unused_ss;
        if ((t->inner || ist) &&
            (rc = x86_tss_stack(cpu, t->new_cpl, ist, ext, &unused_ss, &st->sp)))
            return rc;
        st->sp &= ~(uint64_t)0xf; /* 16-byte aligned frame (6.14.2) */
        st->mask = ~(uint64_t)0;
        st->slot = 8;
        st->is64 = true;
        return X86_EXEC_OK;
    }
    st->slot = x86_desc_type(&t->gate) & 8 ? 4 : 2;
    st->is64 = false;
    if (t->inner) {
        uint16_t ss_sel;
        if ((rc = x86_tss_stack(cpu, t->new_cpl, 0, ext, &ss_sel, &st->sp)) ||
            (rc = x86_desc_check_new_ss(cpu, ss_sel, t->new_cpl, ext, &t->ss_desc)))
            return rc;
        x86_desc_to_seg(&st->ss, ss_sel, &t->ss_desc);
        st->err = (ss_sel & 0xfffcu) | ext;
    }
    st->mask = (st->ss.attr & X86_SEG_DB) ? 0xffffffffu : 0xffffu;
    return X86_EXEC_OK;
}

/* Gate, code segment, privilege, target RIP and stack (no state change). */
static int resolve(struct x86_cpu *cpu, const struct x86_event *ev, uint32_t ext,
                   struct target *t)
{
    t->lm = cpu->s.efer & X86_EFER_LMA;
    int rc = read_gate(cpu, ev, t->lm, ext, &t->gate);
    if (rc)
        return rc;
    t->cs_sel = x86_gate_sel(&t->gate);
    if ((rc = read_handler_cs(cpu, t->cs_sel, t->lm, ext, &t->cs)))
        return rc;
    unsigned dpl = x86_desc_dpl(&t->cs);
    t->inner = !x86_desc_conforming(&t->cs) && dpl < cpu->cpl;
    /* From virtual-8086 mode only a ring-0 non-conforming handler will do. */
    if (cpu->mode == X86_MODE_VM86 && (!t->inner || dpl != 0))
        return x86_raise_err(cpu, X86_EXC_GP, (t->cs_sel & 0xfffcu) | ext);
    t->new_cpl = t->inner ? dpl : cpu->cpl;

    t->rip = x86_gate_offset(&t->gate, t->lm);
    if (t->lm) {
        if (!x86_canonical(cpu, t->rip))
            return x86_raise_err(cpu, X86_EXC_GP, ext);
    } else {
        struct x86_seg cs;
        x86_desc_to_seg(&cs, t->cs_sel, &t->cs);
        if (!(x86_desc_type(&t->gate) & 8))
            t->rip &= 0xffff; /* 16-bit gate */
        if (t->rip > cs.limit)
            return x86_raise_err(cpu, X86_EXC_GP, ext);
    }
    return pick_stack(cpu, t, ext);
}

/* The frame of Vol. 3A, Figures 6-4 and 6-9, in push order. */
static void build_frame(struct x86_cpu *cpu, const struct x86_event *ev, const struct target *t,
                        uint64_t rflags, uint64_t ret_rip, struct frame *f)
{
    const struct x86_seg *s = cpu->s.seg;
    f->n = 0;
    if (cpu->mode == X86_MODE_VM86) {
        frame_push(f, s[X86_GS].sel);
        frame_push(f, s[X86_FS].sel);
        frame_push(f, s[X86_DS].sel);
        frame_push(f, s[X86_ES].sel);
    }
    if (t->inner || t->lm) {
        frame_push(f, s[X86_SS].sel);
        frame_push(f, cpu->s.gpr[X86_RSP]);
    }
    frame_push(f, rflags | (is_fault(ev) ? X86_FLAG_RF : 0));
    frame_push(f, s[X86_CS].sel);
    frame_push(f, ret_rip);
    if (ev->kind == X86_EVENT_EXCEPTION && ev->has_error)
        frame_push(f, ev->error_code);
}

static int deliver_prot(struct x86_cpu *cpu, const struct x86_event *ev, uint64_t ret_rip)
{
    uint32_t ext = is_software(ev) ? 0 : 1;
    struct target t;
    int rc = resolve(cpu, ev, ext, &t);
    if (rc)
        return rc;
    if ((rc = x86_desc_set_type_bits(cpu, &t.cs, X86_DESC_ACCESSED)))
        return rc;
    if (t.inner && !t.lm && (rc = x86_desc_set_type_bits(cpu, &t.ss_desc, X86_DESC_ACCESSED)))
        return rc;

    uint64_t rflags = x86_get_rflags(cpu);
    struct frame f;
    build_frame(cpu, ev, &t, rflags, ret_rip, &f);
    if ((rc = frame_write(cpu, &f, &t.st)))
        return rc;

    /* Commit: nothing below can fail. */
    struct x86_state *s = &cpu->s;
    bool from_vm86 = cpu->mode == X86_MODE_VM86;
    uint64_t sp = (t.st.sp - (uint64_t)f.n * t.st.slot) & t.st.mask;
    if (t.st.mask == 0xffff)
        sp |= t.st.sp & ~(uint64_t)0xffff;
    s->gpr[X86_RSP] = sp;
    if (t.inner) {
        if (t.lm) {
            /* IA-32e: SS becomes a null selector with RPL = new CPL (6.14.4). */
            x86_seg_set_null(&s->seg[X86_SS], (uint16_t)t.new_cpl);
            s->seg[X86_SS].attr |= t.new_cpl << 5;
        } else {
            x86_desc_to_seg(&s->seg[X86_SS], t.st.ss.sel, &t.ss_desc);
        }
    }
    x86_desc_to_seg(&s->seg[X86_CS], (uint16_t)((t.cs_sel & 0xfffc) | t.new_cpl), &t.cs);
    if (from_vm86) {
        x86_seg_set_null(&s->seg[X86_ES], 0);
        x86_seg_set_null(&s->seg[X86_DS], 0);
        x86_seg_set_null(&s->seg[X86_FS], 0);
        x86_seg_set_null(&s->seg[X86_GS], 0);
    }
    rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_VM);
    if (!(x86_desc_type(&t.gate) & 1)) /* interrupt gate, not trap gate */
        rflags &= ~(uint64_t)X86_FLAG_IF;
    s->rflags = rflags | X86_FLAG_FIXED;
    s->rip = t.rip;
    x86_cpu_refresh(cpu);
    return X86_EXEC_OK;
}

/* ---- Entry points --------------------------------------------------------- */

int x86_deliver_once(struct x86_cpu *cpu, const struct x86_event *ev, uint64_t return_rip)
{
    int rc;
    /* INT n / INT3 / INTO in virtual-8086 mode need IOPL 3 (no VME). */
    if (is_software(ev) && cpu->mode == X86_MODE_VM86 &&
        ((cpu->s.rflags >> 12) & 3) < 3)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    if (cpu->mode == X86_MODE_REAL)
        rc = deliver_real(cpu, ev, return_rip);
    else
        rc = deliver_prot(cpu, ev, return_rip);
    if (rc == X86_EXEC_OK) {
        cpu->intr_shadow = false;
        if (ev->kind == X86_EVENT_NMI)
            cpu->nmi_blocked = true;
    }
    return rc;
}

/* Attempts per event chain: the longest legal chain is benign -> #PF ->
 * contributory (#DF) -> triple fault, so this bound is never reached by a
 * correct escalation; it only guards the loop. */
#define MAX_ATTEMPTS 8

int x86_deliver(struct x86_cpu *cpu, unsigned vector, enum x86_event_kind kind, bool has_error,
                uint32_t error)
{
    struct x86_event ev = {
        .vector = (uint8_t)vector,
        .kind = (uint8_t)kind,
        .has_error = kind == X86_EVENT_EXCEPTION && has_error,
        .error_code = error,
        .cr2 = cpu->exc.cr2,
    };
    for (unsigned i = 0; i < MAX_ATTEMPTS; i++) {
        if (ev.kind == X86_EVENT_EXCEPTION && ev.vector == X86_EXC_PF)
            cpu->s.cr2 = ev.cr2;
        int rc = x86_deliver_once(cpu, &ev, cpu->s.rip);
        if (rc != X86_EXEC_EXCEPTION)
            return rc;
        struct x86_event next = {
            .vector = cpu->exc.vector,
            .kind = X86_EVENT_EXCEPTION,
            .has_error = cpu->exc.has_error,
            .error_code = cpu->exc.error_code,
            .cr2 = cpu->exc.cr2,
        };
        enum exc_class first = exc_class(&ev), second = exc_class(&next);
        if (first == CLASS_DOUBLE_FAULT)
            return X86_EXEC_TRIPLE_FAULT;
        if ((first == CLASS_CONTRIBUTORY && second == CLASS_CONTRIBUTORY) ||
            (first == CLASS_PAGE_FAULT && second != CLASS_BENIGN)) {
            if (second == CLASS_PAGE_FAULT)
                cpu->s.cr2 = next.cr2;
            next = (struct x86_event){ .vector = X86_EXC_DF, .kind = X86_EVENT_EXCEPTION,
                                       .has_error = true };
        }
        ev = next;
    }
    return X86_EXEC_TRIPLE_FAULT;
}

int x86_deliver_exception(struct x86_cpu *cpu)
{
    return x86_deliver(cpu, cpu->exc.vector, X86_EVENT_EXCEPTION, cpu->exc.has_error,
                       cpu->exc.error_code);
}
