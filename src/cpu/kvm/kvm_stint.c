/* Runs of guest kernel code in vmon's emulator (see kvm_stint.h). */
#include "cpu/kvm/kvm_stint.h"

#include <errno.h>
#include <linux/kvm_para.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/kvm/kvm_fallback.h"
#include "cpu/kvm/kvm_guest_emu.h"
#include "cpu/kvm/kvm_xsave.h"
#include "x86/deliver.h"

int kvm_stint_tick_start(struct cpu_vcpu *v, int signo)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = signo;
    sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id */
    if (timer_create(CLOCK_MONOTONIC, &sev, &v->stint_tick) < 0)
        return -errno;
    struct itimerspec its = {
        .it_interval = { 0, KVM_STINT_TICK_US * 1000 },
        .it_value = { 0, KVM_STINT_TICK_US * 1000 },
    };
    if (timer_settime(v->stint_tick, 0, &its, NULL) < 0) {
        int e = errno;
        timer_delete(v->stint_tick);
        return -e;
    }
    v->has_stint_tick = true;
    return 0;
}

void kvm_stint_tick_stop(struct cpu_vcpu *v)
{
    if (v->has_stint_tick)
        timer_delete(v->stint_tick);
    v->has_stint_tick = false;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Instructions that stay with KVM whatever their operands. */
static bool leaves_to_kvm(const struct x86_insn *ins)
{
    switch (ins->op) {
    case X86_OP_HLT: case X86_OP_MONITOR: case X86_OP_MWAIT:
        return true;
    default:
        return kvm_xsave_handles(ins); /* they work on KVM's XSAVE buffer */
    }
}

static bool is_ud(const struct x86_insn *ins)
{
    return ins->op == X86_OP_UD0 || ins->op == X86_OP_UD1 || ins->op == X86_OP_UD2;
}

/* KVM_HC_SCHED_YIELD: "the vCPU I wait for is not running, run it" (Linux
 * asks it of a vCPU found preempted, which a vCPU in a run here looks like
 * to KVM). Only a hint: answered here (RAX = 0) rather than ending the run. */
static bool sched_yield_hint(struct x86_cpu *x, const struct x86_insn *ins)
{
    if ((ins->op != X86_OP_VMCALL && ins->op != X86_OP_VMMCALL) ||
        (uint32_t)x->s.gpr[X86_RAX] != KVM_HC_SCHED_YIELD)
        return false;
    x->s.gpr[X86_RAX] = 0;
    x->s.rip += ins->len;
    if (x->mode != X86_MODE_LONG64)
        x->s.rip &= 0xffffffffu;
    return true;
}

/* Whether KVM may take the vCPU from here: runnable, in kernel mode, with
 * no event in the middle of delivery. */
static bool stint_may_start(struct cpu_vcpu *v, struct kvm_vcpu_events *ev)
{
    struct kvm_mp_state mp;
    struct kvm_sregs sr;
    if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0 || mp.mp_state != KVM_MP_STATE_RUNNABLE)
        return false;
    if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0 || sr.cs.dpl != 0 || !(sr.cr0 & 1))
        return false;
    if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, ev) < 0)
        return false;
    return !ev->exception.injected && !ev->exception.pending && !ev->interrupt.injected &&
           !ev->nmi.injected && !ev->nmi.pending && !ev->smi.smm;
}

/* Highest vector set in one of the LAPIC's 256-bit registers (ISR at
 * 0x100, IRR at 0x200: eight 32-bit words 16 bytes apart), or 0. */
static unsigned apic_top_vector(const struct kvm_lapic_state *l, unsigned reg)
{
    for (int i = 7; i >= 0; i--) {
        uint32_t w;
        memcpy(&w, l->regs + reg + 16 * i, 4);
        if (w)
            return 32u * (unsigned)i + 31u - (unsigned)__builtin_clz(w);
    }
    return 0;
}

/* Whether KVM's LAPIC holds an interrupt the vCPU would take now (its
 * priority class above the processor priority; SDM Vol. 3A, 11.8.3.1). */
static bool interrupt_waiting(struct kvm_guest_emu *e)
{
    struct kvm_lapic_state l;
    if (!(e->x.s.rflags & X86_FLAG_IF) || ioctl(e->v->fd, KVM_GET_LAPIC, &l) < 0)
        return false;
    unsigned irr = apic_top_vector(&l, 0x200), isr = apic_top_vector(&l, 0x100);
    unsigned tpr = (uint8_t)l.regs[0x80], ppr = (tpr > isr ? tpr : isr) & 0xf0;
    return (irr & 0xf0) > ppr;
}

/* Whether the vCPU has just left HLT: the interrupt that woke it is KVM's to
 * deliver before the next instruction (a tick can stop KVM_RUN in between;
 * running on here would let that instruction, often a CLI, go first). Any
 * other time a waiting interrupt waits for the run's next look at the LAPIC,
 * as waiting for each would starve the runs on a busy SMP guest. */
static bool woke_from_hlt(struct cpu_vcpu *v, const struct x86_state *s)
{
    struct x86_state prev = *s;
    uint8_t byte = 0;
    prev.rip = s->rip - 1;
    return (s->rflags & X86_FLAG_IF) && kvm_read_code_bytes(v, &prev, &byte, 1) == 1 &&
           byte == 0xf4;
}

/* Runs instructions until one is left to KVM, the CPU leaves kernel mode,
 * the VM stops or the time is up. Returns how many ran. */
static uint64_t stint_loop(struct kvm_guest_emu *e)
{
    struct cpu_vcpu *v = e->v;
    atomic_int *stop = v->vm->env.stop;
    uint64_t n = 0, deadline = now_ns() + KVM_STINT_NS;
    for (;;) {
        if ((n & (KVM_STINT_CHECK - 1)) == KVM_STINT_CHECK - 1 &&
            (now_ns() > deadline || atomic_load_explicit(stop, memory_order_relaxed) ||
             interrupt_waiting(e)))
            break;
        struct x86_insn ins;
        ins.op = X86_OP_COUNT;
        int rc = kvm_guest_emu_decode(e, &ins);
        if (rc == X86_EXEC_OK && sched_yield_hint(&e->x, &ins)) {
            n++;
            continue;
        }
        if (rc == X86_EXEC_OK) {
            if (leaves_to_kvm(&ins)) {
                v->fallback->left[ins.op]++;
                break;
            }
            rc = x86_exec(&e->x, &ins);
        }
        /* #UD for what vmon does not know: KVM may know it. */
        bool unknown = rc == X86_EXEC_EXCEPTION && e->x.exc.vector == X86_EXC_UD && !is_ud(&ins);
        if (rc == X86_EXEC_EXCEPTION && !unknown &&
            x86_deliver_exception(&e->x) == X86_EXEC_OK) {
            v->fallback->exceptions++;
            rc = X86_EXEC_OK;
        }
        if (rc != X86_EXEC_OK) {
            v->fallback->left[ins.op < X86_OP_COUNT ? ins.op : X86_OP_COUNT]++;
            break; /* unchanged: KVM runs it (and shuts down on a triple fault) */
        }
        n++;
        if (e->x.cpl != 0)
            break;
    }
    return n;
}

int kvm_stint_run(struct cpu_vcpu *v)
{
    struct kvm_vcpu_events ev;
    struct x86_state s;
    if (!kvm_fallback_stats(v) || !stint_may_start(v, &ev) || kvm_vcpu_fetch_state(v, &s) < 0)
        return 0;
    if (!v->decode_cache)
        v->decode_cache = calloc(1, sizeof(*v->decode_cache)); /* optional: NULL is fine */
    struct kvm_guest_emu e;
    kvm_guest_emu_init(&e, v, &s, true);
    e.dc = v->decode_cache;
    e.x.intr_shadow = ev.interrupt.shadow != 0;
    if (woke_from_hlt(v, &s) && interrupt_waiting(&e))
        return 0;
    uint64_t rip0 = s.rip;
    uint64_t n = stint_loop(&e);
    log_debug("cpu%u: kernel code from %#llx to %#llx: %llu instructions", v->index,
              (unsigned long long)rip0, (unsigned long long)e.x.s.rip, (unsigned long long)n);
    if (!n)
        return 0;
    x86_cpu_get_state(&e.x, &s);
    if (kvm_vcpu_put_state(v, &s) < 0) {
        log_error("cpu%u: KVM refused the state after a run of kernel code: %s", v->index,
                  strerror(errno));
        return -1;
    }
    if (ev.interrupt.shadow || e.x.intr_shadow) {
        ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
        ev.interrupt.shadow = e.x.intr_shadow ? KVM_X86_SHADOW_INT_STI : 0;
        ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev);
    }
    if (kvm_vm_flush_shadow(v->vm) < 0) {
        log_error("cpu%u: cannot make KVM drop its shadow page tables: %s", v->index,
                  strerror(errno));
        return -1;
    }
    v->fallback->stints++;
    v->fallback->stint_insns += n;
    v->fallback->zaps++;
    return 0;
}
