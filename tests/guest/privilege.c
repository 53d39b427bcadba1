/* Test guest "privilege": a 64-bit TSS with RSP0 and an IST stack, user
 * segments, CPL 3 entered with IRETQ. At CPL 3: privileged instructions
 * and supervisor pages fault, #AC, the stack switches to RSP0 or IST1;
 * SWAPGS at CPL 0.
 *
 * Three groups run alone, chosen on the command line, because this
 * project's software-backed test host's KVM cannot run them
 * (tests/integration/test_guests.py expects them to fail there):
 *   check=user-int      INT n at CPL 3 through DPL-3 and DPL-0 gates
 *   check=syscall-low   SYSCALL/SYSRET with SWAPGS, LSTAR in the lower half
 *   check=syscall-high  the same with LSTAR in the upper half, where 64-bit
 *                       kernels put it */
#include <stdbool.h>
#include <stdint.h>

#include "rt/boot.h"
#include "rt/cpu.h"
#include "rt/desc.h"
#include "rt/paging.h"
#include "rt/report.h"
#include "rt/site.h"
#include "rt/start.h"
#include "rt/trap.h"
#include "rt/user.h"

SITE_DECLARE(user_hlt);
SITE_DECLARE(user_cli);
SITE_DECLARE(user_in);
SITE_DECLARE(user_read_supervisor);
SITE_DECLARE(user_write_supervisor);
SITE_DECLARE(user_int80);
SITE_DECLARE(user_int81);
SITE_DECLARE(user_int82);
SITE_DECLARE(user_misaligned);
SITE_DECLARE(user_syscall);
void syscall_entry(void);

#define VA_SUPERVISOR (PAGING_TEST_VA + 0x1000) /* privilege_user.S */
#define USER_GS_BASE 0x700000000000ull          /* unmapped: a missing SWAPGS faults */
#define VEC_DPL3 0x80
#define VEC_DPL0 0x81
#define VEC_DPL3_IST 0x82
#define INT_LENGTH 2       /* INT imm8 */
#define IRET_FRAME_SIZE 40 /* SS, RSP, RFLAGS, CS, RIP */
#define USER_CS (DESC_USER_CS | 3)
#define USER_SS (DESC_USER_DS | 3)

/* The SYSCALL entry's per-CPU block, reached through GS after SWAPGS;
 * offsets fixed in privilege_user.S. */
struct percpu {
    uint64_t user_rsp, kernel_rsp, count, rcx, r11, cs, rip;
};

static uint8_t rsp0_stack[8192] __attribute__((aligned(16)));
static uint8_t ist1_stack[4096] __attribute__((aligned(16)));
static uint8_t syscall_stack[4096] __attribute__((aligned(16)));
static uint8_t user_stack[8192] __attribute__((aligned(16)));
static uint8_t supervisor_page[PAGE_SIZE] __attribute__((aligned(4096)));
static struct percpu percpu;
/* Frames of the software-interrupt gates, recorded by int_record(). */
static struct trap_record int_seen;

#define TOP(stack) ((uint64_t)(uintptr_t)(stack) + sizeof(stack))

enum stack_id { STACK_OTHER, STACK_RSP0, STACK_IST1 };
static const char *const stack_names[] = { "another stack", "RSP0", "IST1" };

/* Which stack a handler's frame (the address of its saved RIP) is on, and
 * how far below that stack's top. */
static enum stack_id stack_of(uint64_t frame)
{
    if (frame >= (uint64_t)(uintptr_t)rsp0_stack && frame < TOP(rsp0_stack))
        return STACK_RSP0;
    if (frame >= (uint64_t)(uintptr_t)ist1_stack && frame < TOP(ist1_stack))
        return STACK_IST1;
    return STACK_OTHER;
}

static uint64_t stack_depth(uint64_t frame)
{
    switch (stack_of(frame)) {
    case STACK_RSP0: return TOP(rsp0_stack) - frame;
    case STACK_IST1: return TOP(ist1_stack) - frame;
    default: return 0;
    }
}

static void int_record(struct trap_frame *f)
{
    int_seen = (struct trap_record){
        .count = int_seen.count + 1, .vector = f->vector, .rip = f->rip, .cs = f->cs,
        .rflags = f->rflags, .rsp = f->rsp, .ss = f->ss,
        .frame = (uint64_t)(uintptr_t)&f->rip,
    };
}

/* Runs a user site that should raise one exception (vector, error, cr2 for
 * #PF) at its FAULT label, with the frame on stack (right at its top) and
 * the user's CS, SS and RSP saved in it, and go on at CPL 3 after it. */
static void check_user_fault(const char *what, void (*site)(void), const char *fault,
                             const char *resume, uint64_t vector, uint64_t error, uint64_t cr2,
                             enum stack_id stack)
{
    trap_expect(resume);
    uint64_t cs_after = user_run(site, TOP(user_stack), RFLAGS_FIXED);
    struct trap_record t = trap_result();
    if (t.count != 1) {
        report_check(false, "%s: no exception", what);
        return;
    }
    bool ok = t.vector == vector && t.error == error && t.rip == (uint64_t)(uintptr_t)fault &&
              t.cs == USER_CS && t.ss == USER_SS && t.rsp == TOP(user_stack) &&
              stack_of(t.frame) == stack && stack_depth(t.frame) == IRET_FRAME_SIZE &&
              cs_after == USER_CS && (vector != VEC_PF || t.cr2 == cr2);
    if (vector == VEC_PF)
        report_check(ok, "%s: vector %lu, error 0x%lx, cr2 0x%lx, saved cs 0x%lx ss 0x%lx, "
                     "frame at %s-0x%lx, back at cs 0x%lx", what, t.vector, t.error, t.cr2,
                     t.cs, t.ss, stack_names[stack_of(t.frame)], stack_depth(t.frame), cs_after);
    else
        report_check(ok, "%s: vector %lu, error 0x%lx, saved cs 0x%lx ss 0x%lx, frame at "
                     "%s-0x%lx, back at cs 0x%lx", what, t.vector, t.error, t.cs, t.ss,
                     stack_names[stack_of(t.frame)], stack_depth(t.frame), cs_after);
}

static void check_privileged_instructions(void)
{
    check_user_fault("HLT at CPL 3", user_hlt, user_hlt_fault, user_hlt_resume, VEC_GP, 0, 0,
                     STACK_RSP0);
    check_user_fault("CLI at CPL 3 with IOPL 0", user_cli, user_cli_fault, user_cli_resume,
                     VEC_GP, 0, 0, STACK_RSP0);
    check_user_fault("IN at CPL 3 with IOPL 0 and no I/O bitmap", user_in, user_in_fault,
                     user_in_resume, VEC_GP, 0, 0, STACK_RSP0);
}

static void check_supervisor_page(void)
{
    paging_map_4k(VA_SUPERVISOR, paging_pa(supervisor_page), PTE_P | PTE_W);
    check_user_fault("#PF: CPL-3 read of a supervisor page", user_read_supervisor,
                     user_read_supervisor_fault, user_read_supervisor_resume, VEC_PF,
                     PF_U | PF_P, VA_SUPERVISOR, STACK_RSP0);
    /* The same through a gate with an IST: the switch comes from IST1. */
    trap_set_gate(VEC_PF, 0, 1);
    check_user_fault("#PF: CPL-3 write to a supervisor page, IST1 gate", user_write_supervisor,
                     user_write_supervisor_fault, user_write_supervisor_resume, VEC_PF,
                     PF_U | PF_W | PF_P, VA_SUPERVISOR, STACK_IST1);
    trap_set_gate(VEC_PF, 0, 0);
}

static void check_alignment(void)
{
    cpu_write_cr0(cpu_read_cr0() | CR0_AM);
    check_user_fault("#AC: misaligned read at CPL 3 with CR0.AM and RFLAGS.AC", user_misaligned,
                     user_misaligned_fault, user_misaligned_resume, VEC_AC, 0, 0, STACK_RSP0);
    cpu_write_cr0(cpu_read_cr0() & ~CR0_AM);
}

static void check_kernel_ist(void)
{
    /* An IST gate switches stacks even without a privilege change. */
    int_seen = (struct trap_record){ 0 };
    __asm__ volatile("int $0x82" : : : "memory");
    struct trap_record t = int_seen;
    report_check(t.count == 1 && t.cs == DESC_KERNEL_CS && stack_of(t.frame) == STACK_IST1 &&
                     stack_depth(t.frame) == IRET_FRAME_SIZE,
                 "INT 0x82 at CPL 0, IST1 gate: saved cs 0x%lx, frame at %s-0x%lx", t.cs,
                 stack_names[stack_of(t.frame)], stack_depth(t.frame));
}

static void check_swapgs(void)
{
    cpu_wrmsr(MSR_GS_BASE, 0x1000);
    cpu_wrmsr(MSR_KERNEL_GS_BASE, 0x2000);
    __asm__ volatile("swapgs" : : : "memory");
    uint64_t gs = cpu_rdmsr(MSR_GS_BASE), kgs = cpu_rdmsr(MSR_KERNEL_GS_BASE);
    __asm__ volatile("swapgs" : : : "memory");
    report_check(gs == 0x2000 && kgs == 0x1000,
                 "SWAPGS at CPL 0 exchanges GS.base and KERNEL_GS_BASE: 0x%lx 0x%lx", gs, kgs);
}

/* One SYSCALL/SYSRET round trip from CPL 3 with LSTAR = entry. The entry
 * records what it saw in percpu, through GS after SWAPGS. */
static void check_syscall(const char *what, uint64_t entry)
{
    percpu = (struct percpu){ .kernel_rsp = TOP(syscall_stack) };
    cpu_wrmsr(MSR_EFER, cpu_rdmsr(MSR_EFER) | EFER_SCE);
    cpu_wrmsr(MSR_STAR, DESC_STAR);
    cpu_wrmsr(MSR_LSTAR, entry);
    cpu_wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC);
    cpu_wrmsr(MSR_GS_BASE, USER_GS_BASE);
    cpu_wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)(uintptr_t)&percpu);
    uint64_t cs_after = user_run(user_syscall, TOP(user_stack), RFLAGS_FIXED);
    uint64_t gs = cpu_rdmsr(MSR_GS_BASE), kgs = cpu_rdmsr(MSR_KERNEL_GS_BASE);
    bool rcx_ok = percpu.rcx == (uint64_t)(uintptr_t)user_syscall_resume;
    bool gs_ok = gs == USER_GS_BASE && kgs == (uint64_t)(uintptr_t)&percpu;
    bool ok = percpu.count == 1 && percpu.cs == DESC_KERNEL_CS && percpu.rip == entry && rcx_ok &&
              percpu.r11 == RFLAGS_FIXED && percpu.user_rsp == TOP(user_stack) &&
              cs_after == USER_CS && gs_ok;
    report_check(ok, "%s: %lu calls, handler cs 0x%lx at %s, rcx %s, r11 0x%lx, user rsp %s, "
                 "back at cs 0x%lx, GS bases %s", what, percpu.count, percpu.cs,
                 percpu.rip == entry ? "LSTAR" : "another address",
                 rcx_ok ? "= return address" : "wrong", percpu.r11,
                 percpu.user_rsp == TOP(user_stack) ? "saved" : "lost", cs_after,
                 gs_ok ? "restored" : "wrong");
}

/* INT n from CPL 3 through a DPL-3 gate: a trap (RIP after the INT) with
 * the user's CS, SS and RSP saved on the stack the gate names. */
static void check_user_int(const char *what, void (*site)(void), const char *fault,
                           unsigned vector, enum stack_id stack)
{
    int_seen = (struct trap_record){ 0 };
    uint64_t cs_after = user_run(site, TOP(user_stack), RFLAGS_FIXED);
    struct trap_record t = int_seen;
    bool ok = t.count == 1 && t.vector == vector && t.cs == USER_CS && t.ss == USER_SS &&
              t.rsp == TOP(user_stack) && t.rip == (uint64_t)(uintptr_t)fault + INT_LENGTH &&
              stack_of(t.frame) == stack && stack_depth(t.frame) == IRET_FRAME_SIZE &&
              cs_after == USER_CS;
    report_check(ok, "%s: %u calls, saved cs 0x%lx ss 0x%lx, rip fault+%ld, user rsp %s, frame "
                 "at %s-0x%lx, back at cs 0x%lx", what, t.count, t.cs, t.ss,
                 (long)(t.rip - (uint64_t)(uintptr_t)fault),
                 t.rsp == TOP(user_stack) ? "kept" : "changed", stack_names[stack_of(t.frame)],
                 stack_depth(t.frame), cs_after);
}

static void check_user_int_gates(void)
{
    check_user_int("INT 0x80 at CPL 3, DPL-3 gate", user_int80, user_int80_fault, VEC_DPL3,
                   STACK_RSP0);
    check_user_fault("INT 0x81 at CPL 3, DPL-0 gate", user_int81, user_int81_fault,
                     user_int81_resume, VEC_GP, VEC_DPL0 * 8 + 2, 0, STACK_RSP0);
    check_user_int("INT 0x82 at CPL 3, DPL-3 gate with IST1", user_int82, user_int82_fault,
                   VEC_DPL3_IST, STACK_IST1);
}

static void setup(void)
{
    desc_init();
    trap_init();
    paging_init(true);
    user_init();
    struct desc_tss *tss = desc_tss();
    tss->rsp[0] = TOP(rsp0_stack);
    tss->ist[0] = TOP(ist1_stack);
    trap_set_gate(VEC_DPL3, 3, 0);
    trap_set_handler(VEC_DPL3, int_record);
    trap_set_gate(VEC_DPL3_IST, 3, 1);
    trap_set_handler(VEC_DPL3_IST, int_record);
}

void guest_main(uint64_t zero_page)
{
    report_begin("privilege");
    setup();
    if (boot_cmdline_has(zero_page, "check=user-int")) {
        check_user_int_gates();
    } else if (boot_cmdline_has(zero_page, "check=syscall-low")) {
        check_syscall("SYSCALL/SYSRET, LSTAR in the lower half",
                      (uint64_t)(uintptr_t)syscall_entry);
    } else if (boot_cmdline_has(zero_page, "check=syscall-high")) {
        paging_map_high();
        check_syscall("SYSCALL/SYSRET, LSTAR in the upper half",
                      PAGING_HIGH_VA + (uint64_t)(uintptr_t)syscall_entry);
    } else {
        check_privileged_instructions();
        check_supervisor_page();
        check_alignment();
        check_kernel_ist();
        check_swapgs();
    }
    report_finish();
}
