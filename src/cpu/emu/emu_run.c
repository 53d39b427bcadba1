/* The software vCPU loop: poll interrupts once per block, run the block's
 * instructions, deliver exceptions, sleep in HLT. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "cpu/emu/emu.h"
#include "x86/deliver.h"
#include "x86/state_dump.h"

void emu_vcpu_kick(struct cpu_vcpu *v)
{
    pthread_mutex_lock(&v->lock);
    v->kicked = true;
    pthread_cond_signal(&v->wake);
    pthread_mutex_unlock(&v->lock);
}

static void emu_dump(struct cpu_vcpu *v, const char *why)
{
    struct x86_state s;
    x86_cpu_get_state(&v->x, &s);
    log_error("cpu%u: %s", v->index, why);
    x86_state_dump(&s, stderr);
}

/* INIT: the processor's INIT state, then wait for a SIPI (SDM 10.4.7.3). */
static void emu_do_init(struct cpu_vcpu *v)
{
    struct x86_state s;
    x86_cpu_get_state(&v->x, &s);
    uint64_t apic_base = s.apic_base;
    x86_cpu_init(&v->x, &emu_x86_ops, v);
    x86_cpu_get_state(&v->x, &s);
    s.apic_base = apic_base;
    x86_cpu_set_state(&v->x, &s);
    emu_tlb_flush_all(v);
    v->prev = NULL;
    v->prev_link = NULL;
    v->wait_sipi = true;
}

static void emu_do_sipi(struct cpu_vcpu *v, uint8_t vector)
{
    struct x86_state s;
    x86_cpu_get_state(&v->x, &s);
    s.seg[X86_CS].sel = (uint16_t)(vector << 8);
    s.seg[X86_CS].base = (uint64_t)vector << 12;
    s.rip = 0;
    x86_cpu_set_state(&v->x, &s);
    v->wait_sipi = false;
}

static int emu_deliver_exception(struct cpu_vcpu *v)
{
    const struct x86_exception *e = &v->x.exc;
    v->st.exceptions++;
    log_debug("cpu%u: exception %u error %#x cr2 %#llx at rip %#llx", v->index, e->vector,
              e->error_code, (unsigned long long)e->cr2, (unsigned long long)v->x.s.rip);
    return x86_deliver_exception(&v->x);
}

/* Handles what the LAPIC has for us. Returns a non-OK delivery status. */
static int emu_take_events(struct cpu_vcpu *v, unsigned ev, bool *halted)
{
    const struct cpu_intc *ic = v->vm->intc;
    if (ev & INTC_EV_INIT) {
        uint8_t vec = 0;
        enum intc_init_event ie = ic->ops->take_init(ic->ctx, v->index, &vec);
        if (ie == INTC_INIT) {
            emu_do_init(v);
            *halted = false;
        } else if (ie == INTC_SIPI && v->wait_sipi) {
            emu_do_sipi(v, vec);
            *halted = false;
        }
    }
    if (v->wait_sipi)
        return X86_EXEC_OK;
    if ((ev & INTC_EV_NMI) && x86_nmi_window(&v->x) && ic->ops->take_nmi(ic->ctx, v->index)) {
        *halted = false;
        v->st.interrupts++;
        return x86_deliver(&v->x, X86_EXC_NMI, X86_EVENT_NMI, false, 0);
    }
    if ((ev & INTC_EV_INTR) && x86_intr_window(&v->x) && ic->ops->pending(ic->ctx, v->index) >= 0) {
        int vec = ic->ops->ack(ic->ctx, v->index);
        *halted = false;
        v->st.interrupts++;
        return x86_deliver(&v->x, (unsigned)vec & 0xff, X86_EVENT_EXTINT, false, 0);
    }
    return X86_EXEC_OK;
}

/* Can an event end HLT (or wait-for-SIPI) now? */
static bool emu_wakeup_ready(struct cpu_vcpu *v)
{
    unsigned ev = atomic_load_explicit(v->events, memory_order_acquire);
    if (ev & INTC_EV_INIT)
        return true;
    if (v->wait_sipi)
        return false;
    if (ev & INTC_EV_NMI)
        return true;
    if ((ev & INTC_EV_INTR) && (v->x.s.rflags & X86_FLAG_IF)) {
        const struct cpu_intc *ic = v->vm->intc;
        return ic->ops->pending(ic->ctx, v->index) >= 0;
    }
    return false;
}

static void emu_sleep(struct cpu_vcpu *v)
{
    atomic_int *stop = v->vm->env.stop;
    pthread_mutex_lock(&v->lock);
    while (!v->kicked && !atomic_load(stop) && !emu_wakeup_ready(v))
        pthread_cond_wait(&v->wake, &v->lock);
    v->kicked = false;
    pthread_mutex_unlock(&v->lock);
}

/* Hands the LAPIC a new task priority: MOV to CR8 sets it (SDM 10.8.6.1). */
static void emu_sync_cr8(struct cpu_vcpu *v)
{
    const struct cpu_intc *ic = v->vm->intc;
    v->cr8 = v->x.s.cr8;
    ic->ops->set_cr8(ic->ctx, v->index, v->cr8);
}

/* Code written by any vCPU since the last look: blocks must be checked
 * against their pages' generations again before they run. */
static void emu_check_code_writes(struct cpu_vcpu *v)
{
    unsigned w = atomic_load_explicit(&v->vm->code_writes, memory_order_acquire);
    if (unlikely(w != v->code_writes_seen)) {
        v->code_writes_seen = w;
        emu_blocks_unchecked(v);
    }
}

/* Another vCPU turned a page into code: drop our writable TLB entries so
 * writes to it take the slow path (emu_mark_code_page). */
static void emu_check_code_epoch(struct cpu_vcpu *v)
{
    unsigned epoch = atomic_load_explicit(&v->vm->code_epoch, memory_order_acquire);
    if (unlikely(epoch != v->code_epoch)) {
        v->code_epoch = epoch;
        emu_tlb_flush_all(v);
    }
}

/* The link slot for leaving block b at record e (a branch taken). A CALL
 * is remembered; a RET links from the block after its call when the calls
 * are known, as most returns go back to where they were called from (the
 * link is checked like any other). */
static void **emu_branch_link(struct cpu_vcpu *v, struct emu_block *b, struct x86_prepared *e)
{
    switch (e->in.op) {
    case X86_OP_CALL:
        v->call_top = (v->call_top + 1) % EMU_CALL_DEPTH;
        v->calls[v->call_top] = b;
        if (v->ncalls < EMU_CALL_DEPTH)
            v->ncalls++;
        break;
    case X86_OP_RET:
        if (v->ncalls) {
            struct emu_block *caller = v->calls[v->call_top];
            v->call_top = (v->call_top + EMU_CALL_DEPTH - 1) % EMU_CALL_DEPTH;
            v->ncalls--;
            return &caller->fall;
        }
        break;
    default:
        break;
    }
    return &e->user;
}

/* An instruction ended the run with st: HLT (the vCPU sleeps), an
 * exception (delivered now), or a status the vCPU stops on. */
static int emu_stopped(struct cpu_vcpu *v, int st, bool *halted)
{
    switch (st) {
    case X86_EXEC_HALT:
        v->st.halts++;
        *halted = true;
        return X86_EXEC_OK;
    case X86_EXEC_EXCEPTION:
        return emu_deliver_exception(v);
    default:
        return st;
    }
}

/* Counters of emu_run_blocks, kept in registers and added to the vCPU's
 * statistics when it returns. */
struct emu_counts {
    uint64_t blocks, linked, insns;
};

static void emu_add_counts(struct cpu_vcpu *v, const struct emu_counts *c)
{
    v->st.blocks += c->blocks;
    v->st.linked += c->linked;
    v->st.insns += c->insns;
}

/* Runs blocks back to back, polling for events between them, until the
 * outer loop has work: an event or stop request (returns OK), HLT (OK with
 * *halted set), or a status other than OK when the vCPU must stop (triple
 * fault, unsupported instruction). Exceptions are delivered here. */
static int emu_run_blocks(struct cpu_vcpu *v, bool *halted)
{
    struct x86_cpu *x = &v->x;
    struct cpu_vm *vm = v->vm;
    atomic_int *stop = vm->env.stop;
    atomic_uint *events = v->events;
    bool smp = vm->env.ncpus > 1;
    struct emu_counts n = { 0 };
    for (;;) {
        int st = X86_EXEC_OK;
        struct emu_block *b = emu_block_linked(v);
        if (unlikely(!b)) {
            b = emu_block_next(v, &st);
            if (!b) {
                v->prev = NULL;
                v->prev_link = NULL;
                emu_add_counts(v, &n);
                return st == X86_EXEC_EXCEPTION ? emu_deliver_exception(v) : st;
            }
        } else {
            n.linked++;
        }
        st = b->insn[0].fn(x, &b->insn[0].in);
        n.blocks++;
        /* The way out, to link the next block to. */
        v->prev = b;
        if (st == EMU_EXEC_END) {
            n.insns += b->ninsns;
            v->prev_link = &b->fall;
        } else {
            struct x86_prepared *e = (struct x86_prepared *)x->run_exit;
            unsigned done = (unsigned)(e - b->insn); /* instructions before e's */
            if (likely(st == X86_EXEC_BRANCH)) {
                n.insns += done + 1;
                v->prev_link = emu_branch_link(v, b, e);
            } else if (st == EMU_EXEC_STOP) {
                n.insns += done + 1;
                v->prev_link = NULL;
            } else {
                v->prev = NULL;
                v->prev_link = NULL;
                n.insns += done + (st == X86_EXEC_HALT); /* a fault did not complete */
                emu_add_counts(v, &n);
                return emu_stopped(v, st, halted);
            }
        }
        if (atomic_load_explicit(stop, memory_order_relaxed) |
            atomic_load_explicit(events, memory_order_relaxed)) {
            emu_add_counts(v, &n);
            return X86_EXEC_OK;
        }
        emu_check_code_writes(v);
        if (smp)
            emu_check_code_epoch(v);
    }
}

int emu_exec_general(struct x86_cpu *x, const struct x86_insn *in)
{
    struct cpu_vcpu *v = emu_vcpu_of(x);
    v->exit_block = false;
    int st = x86_exec(x, in);
    if (unlikely(x->s.cr8 != v->cr8))
        emu_sync_cr8(v); /* MOV to CR8, which only this path runs */
    return st == X86_EXEC_OK && v->exit_block ? EMU_EXEC_STOP : st;
}

int emu_block_end(struct x86_cpu *x, const struct x86_insn *in)
{
    (void)x;
    (void)in;
    return EMU_EXEC_END;
}

static enum vcpu_exit emu_fail(struct cpu_vcpu *v, int st)
{
    if (st == X86_EXEC_TRIPLE_FAULT) {
        emu_dump(v, "triple fault (the guest reset its CPU with no way to recover)");
        return VCPU_EXIT_SHUTDOWN;
    }
    struct x86_insn ins;
    uint8_t bytes[15];
    unsigned n = 0;
    char hex[64] = "";
    uint64_t la = v->x.s.seg[X86_CS].base + v->x.s.rip;
    for (; n < sizeof(bytes); n++)
        if (v->x.ops->mem_read(&v->x, la + n, &bytes[n], 1, X86_ACC_EXEC) != X86_EXEC_OK)
            break;
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", bytes[i]);
    const char *name = "?";
    if (n && x86_decode(bytes, n, v->x.mode, &ins) > 0)
        name = x86_op_name(ins.op);
    char why[160];
    snprintf(why, sizeof(why), "instruction %s not supported by the software CPU (bytes %s)",
             name, hex);
    emu_dump(v, why);
    return VCPU_EXIT_ERROR;
}

/* Runs the one instruction at RIP through the general executor: after STI
 * or MOV SS, with an event waiting, the next instruction completes and then
 * the event is taken (SDM Vol. 3A, 6.8.3), not a whole block later. */
static int emu_step(struct cpu_vcpu *v, bool *halted)
{
    int st = X86_EXEC_OK;
    struct emu_block *b = emu_block_next(v, &st);
    v->prev = NULL;
    v->prev_link = NULL;
    if (!b)
        return st == X86_EXEC_EXCEPTION ? emu_deliver_exception(v) : st;
    st = emu_exec_general(&v->x, &b->insn[0].in);
    v->st.insns += st != X86_EXEC_EXCEPTION;
    if (st == X86_EXEC_BRANCH || st == EMU_EXEC_STOP)
        return X86_EXEC_OK;
    return emu_stopped(v, st, halted);
}

enum vcpu_exit emu_vcpu_run(struct cpu_vcpu *v)
{
    atomic_int *stop = v->vm->env.stop;
    bool halted = false;
    for (;;) {
        if (atomic_load_explicit(stop, memory_order_acquire))
            return VCPU_EXIT_STOPPED;
        unsigned ev = atomic_load_explicit(v->events, memory_order_acquire);
        if (ev) {
            v->prev = NULL;
            v->prev_link = NULL;
            int st = emu_take_events(v, ev, &halted);
            if (st != X86_EXEC_OK)
                return emu_fail(v, st);
            if (v->x.intr_shadow && !halted && !v->wait_sipi &&
                (ev & (INTC_EV_INTR | INTC_EV_NMI))) {
                st = emu_step(v, &halted); /* then take the event */
                if (st != X86_EXEC_OK)
                    return emu_fail(v, st);
                continue;
            }
        }
        if (halted || v->wait_sipi) {
            emu_sleep(v);
            if (!emu_wakeup_ready(v) && !v->wait_sipi)
                continue; /* kicked for a stop request, or a spurious wakeup */
            continue;
        }
        if (unlikely(v->x.s.cr8 != v->cr8))
            emu_sync_cr8(v);
        if (v->vm->env.ncpus > 1)
            emu_check_code_epoch(v);
        emu_check_code_writes(v);
        int st = emu_run_blocks(v, &halted);
        if (st != X86_EXEC_OK)
            return emu_fail(v, st);
    }
}
