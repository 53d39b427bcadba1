/* Control and debug registers, MSRs, fast system calls and the other
 * privileged instructions: the transition into IA-32e mode and its #GP
 * rules, SYSCALL/SYSRET with Linux's MSR values, SWAPGS, SYSENTER/SYSEXIT,
 * FSGSBASE, CPUID/RDTSC/RDPID through the callbacks (SDM Vol. 2 and Vol. 3A
 * 2.5, 10.8.5, 17.2). */
#include <cpuid.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "system_fixture.h"
#include "x86/flags.h"
#include "x86/mem.h"

/* Linux x86-64's SYSCALL set-up (arch/x86/kernel/cpu/common.c). */
#define LINUX_STAR 0x0023001000000000ull
#define LINUX_FMASK 0x47700ull
#define LSTAR_VALUE 0xffffffff81e00080ull

static const uint8_t MOV_CR0_EAX[] = { 0x0f, 0x22, 0xc0 };
static const uint8_t MOV_CR3_EAX[] = { 0x0f, 0x22, 0xd8 };
static const uint8_t MOV_CR4_EAX[] = { 0x0f, 0x22, 0xe0 };
static const uint8_t MOV_EAX_CR0[] = { 0x0f, 0x20, 0xc0 };
static const uint8_t WRMSR[] = { 0x0f, 0x30 };
static const uint8_t RDMSR[] = { 0x0f, 0x32 };

static int wrmsr(struct sysfix *f, uint32_t msr, uint64_t v)
{
    f->cpu.s.gpr[X86_RCX] = msr;
    f->cpu.s.gpr[X86_RAX] = (uint32_t)v;
    f->cpu.s.gpr[X86_RDX] = v >> 32;
    return sysfix_run(f, WRMSR, 2);
}

static int rdmsr(struct sysfix *f, uint32_t msr, uint64_t *v)
{
    f->cpu.s.gpr[X86_RCX] = msr;
    int rc = sysfix_run(f, RDMSR, 2);
    *v = (f->cpu.s.gpr[X86_RDX] << 32) | (uint32_t)f->cpu.s.gpr[X86_RAX];
    return rc;
}

static int mov_cr(struct sysfix *f, const uint8_t insn[3], uint64_t v)
{
    f->cpu.s.gpr[X86_RAX] = v;
    return sysfix_run(f, insn, 3);
}

/* ---- Control registers -------------------------------------------------------- */

static void test_long_mode_activation(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_state *s = &f.cpu.s;
    const uint64_t base = X86_CR0_ET | X86_CR0_PE;

    /* Invalid CR0 combinations. */
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR0_EAX, X86_CR0_ET | X86_CR0_PG), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR0_EAX, base | X86_CR0_NW), X86_EXC_GP, 0);
    /* LME without PAE: enabling paging faults. */
    assert_int_equal(wrmsr(&f, MSR_EFER, X86_EFER_LME | X86_EFER_SCE), X86_EXEC_OK);
    assert_int_equal(s->efer, X86_EFER_LME | X86_EFER_SCE);
    assert_int_equal(mov_cr(&f, MOV_CR3_EAX, SYSFIX_PML4), X86_EXEC_OK);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR0_EAX, base | X86_CR0_PG), X86_EXC_GP, 0);
    assert_false(s->cr0 & X86_CR0_PG);
    /* Reserved CR4 bits: LA57 (not modelled) and bit 31. */
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR4_EAX, X86_CR4_LA57), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR4_EAX, 1ull << 31), X86_EXC_GP, 0);
    /* PCIDE outside IA-32e mode. */
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR4_EAX, X86_CR4_PAE | X86_CR4_PCIDE), X86_EXC_GP, 0);

    unsigned global_before = f.flush_global;
    assert_int_equal(mov_cr(&f, MOV_CR4_EAX, X86_CR4_PAE | X86_CR4_PGE), X86_EXEC_OK);
    assert_int_equal(f.flush_global, global_before + 1);
    assert_int_equal(mov_cr(&f, MOV_CR0_EAX, base | X86_CR0_PG | X86_CR0_WP), X86_EXEC_OK);
    assert_true(s->efer & X86_EFER_LMA);
    assert_int_equal(f.cpu.mode, X86_MODE_COMPAT32);
    assert_int_equal(f.flush_global, global_before + 2);
    assert_int_equal(mov_cr(&f, MOV_EAX_CR0, 0), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], base | X86_CR0_PG | X86_CR0_WP);

    /* Into 64-bit code. */
    static const uint8_t jmpf64[] = { 0xea, 0x00, 0x20, 0x01, 0x00, SEL_KCODE64, 0x00 };
    assert_int_equal(sysfix_run(&f, jmpf64, sizeof(jmpf64)), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_LONG64);

    /* 64-bit mode rules. */
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR0_EAX, base), X86_EXC_GP, 0);   /* clear PG */
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR0_EAX, (1ull << 32) | s->cr0), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR4_EAX, X86_CR4_PGE), X86_EXC_GP, 0); /* clear PAE */
    sysfix_expect_exc(&f, wrmsr(&f, MSR_EFER, X86_EFER_SCE), X86_EXC_GP, 0);    /* clear LME */
    sysfix_expect_exc(&f, wrmsr(&f, MSR_EFER, s->efer | (1ull << 9)), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR3_EAX, SYSFIX_PML4 | (1ull << 62)), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR3_EAX, SYSFIX_PML4 | (1ull << 63)), X86_EXC_GP, 0);
    unsigned all_before = f.flush_all, glob_before = f.flush_global;
    assert_int_equal(mov_cr(&f, MOV_CR3_EAX, SYSFIX_PML4 | 0x18), X86_EXEC_OK);
    assert_int_equal(f.flush_all, all_before + 1);
    assert_int_equal(f.flush_global, glob_before); /* MOV CR3 keeps global pages */
    uint64_t cr4 = s->cr4;
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR4_EAX, cr4 | X86_CR4_PCIDE), X86_EXC_GP, 0);
    assert_int_equal(mov_cr(&f, MOV_CR3_EAX, SYSFIX_PML4), X86_EXEC_OK);
    assert_int_equal(mov_cr(&f, MOV_CR4_EAX, cr4 | X86_CR4_PCIDE), X86_EXEC_OK);
    /* With PCIDE, bit 63 is the no-flush hint and is not stored. */
    assert_int_equal(mov_cr(&f, MOV_CR3_EAX, SYSFIX_PML4 | 5 | (1ull << 63)), X86_EXEC_OK);
    assert_int_equal(s->cr3, SYSFIX_PML4 | 5);
    /* CR8: 4 bits. */
    static const uint8_t mov_cr8_rax[] = { 0x44, 0x0f, 0x22, 0xc0 };
    static const uint8_t mov_rax_cr8[] = { 0x44, 0x0f, 0x20, 0xc0 };
    s->gpr[X86_RAX] = 9;
    assert_int_equal(sysfix_run(&f, mov_cr8_rax, 4), X86_EXEC_OK);
    assert_int_equal(s->cr8, 9);
    s->gpr[X86_RAX] = 16;
    sysfix_expect_exc(&f, sysfix_run(&f, mov_cr8_rax, 4), X86_EXC_GP, 0);
    assert_int_equal(sysfix_run(&f, mov_rax_cr8, 4), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], 9);

    /* Leaving IA-32e mode from compatibility mode. */
    assert_int_equal(mov_cr(&f, MOV_CR4_EAX, cr4), X86_EXEC_OK); /* PCIDE off (CR3 low 0) */
    static const uint8_t jmpf32[] = { 0xff, 0x2c, 0x25, 0x00, 0x00, 0x05, 0x00 };
    sysfix_wr(&f, SYSFIX_DATA, SYSFIX_CODE, 4);
    sysfix_wr(&f, SYSFIX_DATA + 4, SEL_KCODE32, 2);
    assert_int_equal(sysfix_run(&f, jmpf32, sizeof(jmpf32)), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_COMPAT32);
    assert_int_equal(mov_cr(&f, MOV_CR0_EAX, base), X86_EXEC_OK);
    assert_false(s->efer & X86_EFER_LMA);
    assert_int_equal(f.cpu.mode, X86_MODE_PROT32);

    /* CPL 3 may not touch control registers. */
    sysfix_long64(&f, 3);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_EAX_CR0, 0), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, mov_cr(&f, MOV_CR3_EAX, SYSFIX_PML4), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

static void test_lmsw_smsw_clts(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_state *s = &f.cpu.s;
    static const uint8_t lmsw_ax[] = { 0x0f, 0x01, 0xf0 }, smsw_eax[] = { 0x0f, 0x01, 0xe0 };
    static const uint8_t clts[] = { 0x0f, 0x06 };
    s->gpr[X86_RAX] = X86_CR0_TS | X86_CR0_MP; /* PE = 0 in the operand: PE stays */
    assert_int_equal(sysfix_run(&f, lmsw_ax, 3), X86_EXEC_OK);
    assert_int_equal(s->cr0, X86_CR0_ET | X86_CR0_PE | X86_CR0_TS | X86_CR0_MP);
    assert_int_equal(sysfix_run(&f, clts, 2), X86_EXEC_OK);
    assert_false(s->cr0 & X86_CR0_TS);
    s->gpr[X86_RAX] = 0;
    assert_int_equal(sysfix_run(&f, smsw_eax, 3), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], s->cr0);
    sysfix_prot32(&f, 3);
    sysfix_expect_exc(&f, sysfix_run(&f, lmsw_ax, 3), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, clts, 2), X86_EXC_GP, 0);
    assert_int_equal(sysfix_run(&f, smsw_eax, 3), X86_EXEC_OK);
    s->cr4 |= X86_CR4_UMIP;
    sysfix_expect_exc(&f, sysfix_run(&f, smsw_eax, 3), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

static void test_debug_registers(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_state *s = &f.cpu.s;
    static const uint8_t mov_dr7_eax[] = { 0x0f, 0x23, 0xf8 }, mov_dr4_eax[] = { 0x0f, 0x23, 0xe0 };
    static const uint8_t mov_eax_dr6[] = { 0x0f, 0x21, 0xf0 }, mov_eax_dr5[] = { 0x0f, 0x21, 0xe8 };
    /* DR4 aliases DR6 without CR4.DE; fixed bits are forced. */
    s->gpr[X86_RAX] = 0x1;
    assert_int_equal(sysfix_run(&f, mov_dr4_eax, 3), X86_EXEC_OK);
    assert_int_equal(s->dr[6], 0xffff0ff1);
    s->gpr[X86_RAX] = 0;
    assert_int_equal(sysfix_run(&f, mov_eax_dr6, 3), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], 0xffff0ff1);
    s->cr4 |= X86_CR4_DE;
    sysfix_expect_exc(&f, sysfix_run(&f, mov_eax_dr5, 3), X86_EXC_UD, 0);
    /* DR7.GD: the next DR access is a #DB with DR6.BD. */
    s->gpr[X86_RAX] = (1u << 13) | 0x1;
    assert_int_equal(sysfix_run(&f, mov_dr7_eax, 3), X86_EXEC_OK);
    assert_int_equal(s->dr[7], 0x2401);
    int rc = sysfix_run(&f, mov_eax_dr6, 3);
    assert_int_equal(rc, X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_DB);
    assert_true(s->dr[6] & (1u << 13));
    assert_false(s->dr[7] & (1u << 13));
    sysfix_prot32(&f, 3);
    sysfix_expect_exc(&f, sysfix_run(&f, mov_eax_dr6, 3), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

/* ---- MSRs ------------------------------------------------------------------------ */

static void test_msrs(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    uint64_t v;
    /* The emulator's own MSRs never reach the callback. */
    f.msr_reject = MSR_LSTAR;
    assert_int_equal(wrmsr(&f, MSR_LSTAR, LSTAR_VALUE), X86_EXEC_OK);
    assert_int_equal(s->lstar, LSTAR_VALUE);
    assert_int_equal(rdmsr(&f, MSR_LSTAR, &v), X86_EXEC_OK);
    assert_int_equal(v, LSTAR_VALUE);
    sysfix_expect_exc(&f, wrmsr(&f, MSR_LSTAR, 0x0000800000000000ull), X86_EXC_GP, 0);
    assert_int_equal(s->lstar, LSTAR_VALUE);
    assert_int_equal(wrmsr(&f, MSR_FS_BASE, 0x7f0000001000ull), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_FS].base, 0x7f0000001000ull);
    assert_int_equal(wrmsr(&f, MSR_IA32_PAT, 0x0007010600070106ull), X86_EXEC_OK);
    sysfix_expect_exc(&f, wrmsr(&f, MSR_IA32_PAT, 0x0007010600070102ull), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, wrmsr(&f, MSR_TSC_AUX, 1ull << 32), X86_EXC_GP, 0);
    assert_int_equal(wrmsr(&f, MSR_TSC_AUX, 7), X86_EXEC_OK);
    assert_int_equal(s->tsc_aux, 7);
    /* Others go to the callbacks; a refusal is #GP(0). */
    assert_int_equal(wrmsr(&f, 0x1001, 0x1122334455667788ull), X86_EXEC_OK);
    assert_int_equal(f.msr_store[1], 0x1122334455667788ull);
    s->gpr[X86_RAX] = s->gpr[X86_RDX] = ~0ull;
    assert_int_equal(rdmsr(&f, 0x1001, &v), X86_EXEC_OK);
    assert_int_equal(v, 0x1122334455667788ull);
    assert_int_equal(s->gpr[X86_RAX], 0x55667788); /* upper halves cleared */
    sysfix_expect_exc(&f, rdmsr(&f, MSR_IA32_APIC_BASE, &v), X86_EXC_GP, 0);
    f.msr_reject = 0x1002;
    sysfix_expect_exc(&f, wrmsr(&f, 0x1002, 1), X86_EXC_GP, 0);
    /* A callback leaving the MSR to someone else: UNSUPPORTED, nothing changed. */
    f.msr_defer = 0x1003;
    f.msr_store[3] = 5;
    uint64_t rip = s->rip;
    assert_int_equal(wrmsr(&f, 0x1003, 1), X86_EXEC_UNSUPPORTED);
    assert_int_equal(f.msr_store[3], 5);
    s->gpr[X86_RAX] = s->gpr[X86_RDX] = 0x99;
    assert_int_equal(rdmsr(&f, 0x1003, &v), X86_EXEC_UNSUPPORTED);
    assert_int_equal(s->gpr[X86_RAX], 0x99);
    assert_int_equal(s->rip, rip);
    /* CPL 3: #GP(0). */
    sysfix_long64(&f, 3);
    sysfix_expect_exc(&f, rdmsr(&f, MSR_LSTAR, &v), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

/* ---- SYSCALL / SYSRET / SWAPGS ----------------------------------------------------- */

static const uint8_t SYSCALL[] = { 0x0f, 0x05 };
static const uint8_t SYSRET64[] = { 0x48, 0x0f, 0x07 };
static const uint8_t SYSRET32[] = { 0x0f, 0x07 };
static const uint8_t SWAPGS[] = { 0x0f, 0x01, 0xf8 };

static void linux_syscall_msrs(struct sysfix *f)
{
    f->cpu.s.star = LINUX_STAR;
    f->cpu.s.lstar = SYSFIX_CODE + 0x100;
    f->cpu.s.fmask = LINUX_FMASK;
}

static void test_syscall_sysret_round_trip(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_state *s = &f.cpu.s;
    linux_syscall_msrs(&f);
    s->seg[X86_GS].base = 0x7fff0000;      /* user GS */
    s->kernel_gs_base = 0xffff888000001000ull;
    uint64_t user_flags = X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_AC | X86_FLAG_CF;
    x86_set_rflags(&f.cpu, user_flags);
    uint64_t usp = s->gpr[X86_RSP];

    assert_int_equal(sysfix_run(&f, SYSCALL, 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(f.cpu.mode, X86_MODE_LONG64);
    assert_int_equal(s->rip, SYSFIX_CODE + 0x100);
    assert_int_equal(s->gpr[X86_RCX], SYSFIX_CODE + 2);
    assert_int_equal(s->gpr[X86_R11], user_flags | X86_FLAG_FIXED);
    assert_int_equal(s->seg[X86_CS].sel, 0x10);
    assert_int_equal(s->seg[X86_SS].sel, 0x18);
    assert_int_equal(x86_get_rflags(&f.cpu), X86_FLAG_CF | X86_FLAG_FIXED); /* FMASK */
    assert_int_equal(s->gpr[X86_RSP], usp); /* SYSCALL leaves RSP alone */

    /* The kernel's entry: SWAPGS, then SWAPGS and SYSRETQ on the way out. */
    assert_int_equal(sysfix_run(&f, SWAPGS, 3), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_GS].base, 0xffff888000001000ull);
    assert_int_equal(s->kernel_gs_base, 0x7fff0000);
    assert_int_equal(sysfix_run(&f, SWAPGS, 3), X86_EXEC_OK);
    s->gpr[X86_R11] |= X86_FLAG_RF | X86_FLAG_VM; /* never restored by SYSRET */
    assert_int_equal(sysfix_run(&f, SYSRET64, 3), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(f.cpu.mode, X86_MODE_LONG64);
    assert_int_equal(s->rip, SYSFIX_CODE + 2);
    assert_int_equal(s->seg[X86_CS].sel, 0x33);
    assert_int_equal(s->seg[X86_SS].sel, 0x2b);
    assert_int_equal(x86_get_rflags(&f.cpu), user_flags | X86_FLAG_FIXED);
    assert_int_equal(s->seg[X86_GS].base, 0x7fff0000);

    /* SYSRET to 32-bit user code (compatibility mode). */
    assert_int_equal(sysfix_run(&f, SYSCALL, 2), X86_EXEC_OK);
    s->gpr[X86_RCX] = 0xffffffff00001234ull;
    assert_int_equal(sysfix_run(&f, SYSRET32, 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_COMPAT32);
    assert_int_equal(s->seg[X86_CS].sel, 0x23);
    assert_int_equal(s->rip, 0x1234);
    /* From compatibility mode SYSCALL enters through CSTAR. */
    s->cstar = SYSFIX_CODE + 0x200;
    s->rip = SYSFIX_CODE;
    assert_int_equal(sysfix_run(&f, SYSCALL, 2), X86_EXEC_OK);
    assert_int_equal(s->rip, SYSFIX_CODE + 0x200);
    assert_int_equal(f.cpu.mode, X86_MODE_LONG64);
    sysfix_fini(&f);
}

static void test_syscall_faults(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    linux_syscall_msrs(&f);
    /* SYSRET with a non-canonical RCX: #GP(0) at CPL 0, nothing changed. */
    s->gpr[X86_RCX] = 0x0000800000000000ull;
    sysfix_expect_exc(&f, sysfix_run(&f, SYSRET64, 3), X86_EXC_GP, 0);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->seg[X86_CS].sel, SEL_KCODE64);
    assert_int_equal(s->rip, SYSFIX_CODE);
    /* SCE clear: #UD. */
    s->efer &= ~X86_EFER_SCE;
    sysfix_expect_exc(&f, sysfix_run(&f, SYSCALL, 2), X86_EXC_UD, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, SYSRET64, 3), X86_EXC_UD, 0);
    /* CPL 3: SYSRET and SWAPGS are #GP(0). */
    sysfix_long64(&f, 3);
    sysfix_expect_exc(&f, sysfix_run(&f, SYSRET64, 3), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, SWAPGS, 3), X86_EXC_GP, 0);
    /* SWAPGS outside 64-bit mode: #UD (the decoder or the executor). */
    sysfix_prot32(&f, 0);
    assert_int_equal(sysfix_run(&f, SWAPGS, 3), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_UD);
    sysfix_fini(&f);
}

static void test_sysenter_sysexit(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 3);
    struct x86_state *s = &f.cpu.s;
    static const uint8_t sysenter[] = { 0x0f, 0x34 }, sysexit[] = { 0x0f, 0x35 };
    sysfix_expect_exc(&f, sysfix_run(&f, sysenter, 2), X86_EXC_GP, 0); /* SYSENTER_CS = 0 */
    s->sysenter_cs = SEL_KCODE32;
    s->sysenter_esp = SYSFIX_KSTACK;
    s->sysenter_eip = SYSFIX_CODE + 0x300;
    x86_set_rflags(&f.cpu, X86_FLAG_IF);
    assert_int_equal(sysfix_run(&f, sysenter, 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->rip, SYSFIX_CODE + 0x300);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_KSTACK);
    assert_int_equal(s->seg[X86_SS].sel, SEL_KCODE32 + 8); /* SS = SYSENTER_CS + 8 */
    assert_false(x86_get_rflags(&f.cpu) & X86_FLAG_IF);
    /* SYSEXIT: CS = SYSENTER_CS + 16, SS = + 24, EIP = EDX, ESP = ECX. */
    s->gpr[X86_RDX] = SYSFIX_CODE + 0x40;
    s->gpr[X86_RCX] = SYSFIX_USTACK - 0x10;
    assert_int_equal(sysfix_run(&f, sysexit, 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->seg[X86_CS].sel, (SEL_KCODE32 + 16) | 3);
    assert_int_equal(s->seg[X86_SS].sel, (SEL_KCODE32 + 24) | 3);
    assert_int_equal(s->rip, SYSFIX_CODE + 0x40);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_USTACK - 0x10);
    sysfix_expect_exc(&f, sysfix_run(&f, sysexit, 2), X86_EXC_GP, 0); /* CPL 3 */
    sysfix_fini(&f);
}

static void test_fsgsbase(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_state *s = &f.cpu.s;
    static const uint8_t rdfsbase[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc0 };
    static const uint8_t wrgsbase[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd8 };
    static const uint8_t rdgsbase32[] = { 0xf3, 0x0f, 0xae, 0xc8 };
    sysfix_expect_exc(&f, sysfix_run(&f, rdfsbase, 5), X86_EXC_UD, 0);
    s->cr4 |= X86_CR4_FSGSBASE;
    s->seg[X86_FS].base = 0x7f1234567000ull;
    assert_int_equal(sysfix_run(&f, rdfsbase, 5), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], 0x7f1234567000ull);
    s->gpr[X86_RAX] = 0xffff800000000000ull;
    assert_int_equal(sysfix_run(&f, wrgsbase, 5), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_GS].base, 0xffff800000000000ull);
    assert_int_equal(sysfix_run(&f, rdgsbase32, 4), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], 0);
    s->gpr[X86_RAX] = 0x0000800000000000ull;
    sysfix_expect_exc(&f, sysfix_run(&f, wrgsbase, 5), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

/* ---- Host services and small privileged instructions -------------------------------- */

static void test_cpuid_and_rdtsc_through_callbacks(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_state *s = &f.cpu.s;
    static const uint8_t cpuid[] = { 0x0f, 0xa2 }, rdtsc[] = { 0x0f, 0x31 };
    s->gpr[X86_RAX] = 0xffffffff00000007ull;
    s->gpr[X86_RCX] = 1;
    assert_int_equal(sysfix_run(&f, cpuid, 2), X86_EXEC_OK);
    assert_int_equal(f.cpuid_calls, 1);
    assert_int_equal(f.last_cpuid_leaf, 7);
    assert_int_equal(f.last_cpuid_sub, 1);
    assert_int_equal(s->gpr[X86_RAX], 7 ^ 0x11111111u);
    assert_int_equal(s->gpr[X86_RBX], 1 ^ 0x22222222u);
    assert_int_equal(s->gpr[X86_RDX], 0x44444444u);
    assert_int_equal(sysfix_run(&f, rdtsc, 2), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RAX], 0x56789abc);
    s->cr4 |= X86_CR4_TSD;
    sysfix_expect_exc(&f, sysfix_run(&f, rdtsc, 2), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

static void test_small_privileged_instructions(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    /* INVLPG flushes the one page, also in the backend. */
    static const uint8_t invlpg[] = { 0x0f, 0x01, 0x3c, 0x25, 0x34, 0x12, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, invlpg, sizeof(invlpg)), X86_EXEC_OK);
    assert_int_equal(f.flush_page, 1);
    assert_int_equal(f.last_flush_la, 0x51234);
    /* INVPCID type 0 with a non-canonical address; type 4: #GP(0). */
    static const uint8_t invpcid[] = { 0x66, 0x0f, 0x38, 0x82, 0x04, 0x25, 0x00, 0x00, 0x05, 0x00 };
    sysfix_wr(&f, SYSFIX_DATA, 0, 8);
    sysfix_wr(&f, SYSFIX_DATA + 8, 0x0000800000000000ull, 8);
    s->gpr[X86_RAX] = 0;
    sysfix_expect_exc(&f, sysfix_run(&f, invpcid, sizeof(invpcid)), X86_EXC_GP, 0);
    s->gpr[X86_RAX] = 4;
    sysfix_expect_exc(&f, sysfix_run(&f, invpcid, sizeof(invpcid)), X86_EXC_GP, 0);
    s->gpr[X86_RAX] = 2;
    unsigned glob = f.flush_global;
    assert_int_equal(sysfix_run(&f, invpcid, sizeof(invpcid)), X86_EXEC_OK);
    assert_int_equal(f.flush_global, glob + 1);
    /* CLAC / STAC. */
    static const uint8_t clac[] = { 0x0f, 0x01, 0xca }, stac[] = { 0x0f, 0x01, 0xcb };
    assert_int_equal(sysfix_run(&f, stac, 3), X86_EXEC_OK);
    assert_true(s->rflags & X86_FLAG_AC);
    assert_int_equal(sysfix_run(&f, clac, 3), X86_EXEC_OK);
    assert_false(s->rflags & X86_FLAG_AC);
    /* MONITOR / MWAIT: ECX extensions; MWAIT returns at once. */
    static const uint8_t monitor[] = { 0x0f, 0x01, 0xc8 }, mwait[] = { 0x0f, 0x01, 0xc9 };
    s->gpr[X86_RAX] = SYSFIX_DATA;
    s->gpr[X86_RCX] = 1;
    sysfix_expect_exc(&f, sysfix_run(&f, monitor, 3), X86_EXC_GP, 0);
    s->gpr[X86_RCX] = 0;
    assert_int_equal(sysfix_run(&f, monitor, 3), X86_EXEC_OK);
    s->gpr[X86_RCX] = 1;
    assert_int_equal(sysfix_run(&f, mwait, 3), X86_EXEC_OK);
    s->gpr[X86_RCX] = 2;
    sysfix_expect_exc(&f, sysfix_run(&f, mwait, 3), X86_EXC_GP, 0);
    /* WBINVD is fine at CPL 0. */
    static const uint8_t wbinvd[] = { 0x0f, 0x09 };
    assert_int_equal(sysfix_run(&f, wbinvd, 2), X86_EXEC_OK);
    /* CLFLUSH of an unmapped page faults like a read. */
    static const uint8_t clflush[] = { 0x0f, 0xae, 0x3c, 0x25, 0x00, 0x00, 0x30, 0x00 };
    sysfix_wr(&f, SYSFIX_PML4 + 0x2000 + 8, 0, 8);
    int rc = sysfix_run(&f, clflush, sizeof(clflush));
    sysfix_expect_exc(&f, rc, X86_EXC_PF, 0);
    assert_int_equal(f.cpu.exc.cr2, 0x300000);

    /* At CPL 3. */
    sysfix_long64(&f, 3);
    sysfix_expect_exc(&f, sysfix_run(&f, invlpg, sizeof(invlpg)), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, wbinvd, 2), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, stac, 3), X86_EXC_UD, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, monitor, 3), X86_EXC_UD, 0);
    static const uint8_t hlt[] = { 0xf4 }, rdpkru[] = { 0x0f, 0x01, 0xee };
    sysfix_expect_exc(&f, sysfix_run(&f, hlt, 1), X86_EXC_GP, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, rdpkru, 3), X86_EXC_UD, 0);
    sysfix_fini(&f);
}

static bool host_has_rdpid_rdtscp(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 22)))
        return false;
    return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 27));
}

/* RDPID and RDTSCP report IA32_TSC_AUX; on the host both give the same value
 * (Linux stores the CPU number there). Pinned so the value cannot change. */
static void test_rdpid_rdtscp_match_host(void **state)
{
    (void)state;
    if (!host_has_rdpid_rdtscp())
        skip();
    cpu_set_t old, one;
    assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    uint32_t lo, hi, aux;
    uint64_t pid;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
    __asm__ volatile("rdpid %0" : "=r"(pid));
    sched_setaffinity(0, sizeof(old), &old);
    assert_int_equal(pid, aux);

    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    f.cpu.s.tsc_aux = aux;
    static const uint8_t rdpid[] = { 0xf3, 0x0f, 0xc7, 0xf8 }, rdtscp[] = { 0x0f, 0x01, 0xf9 };
    f.cpu.s.gpr[X86_RAX] = ~0ull;
    assert_int_equal(sysfix_run(&f, rdpid, 4), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], pid);
    assert_int_equal(sysfix_run(&f, rdtscp, 3), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RCX], aux);
    sysfix_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_mode_activation),
        cmocka_unit_test(test_lmsw_smsw_clts),
        cmocka_unit_test(test_debug_registers),
        cmocka_unit_test(test_msrs),
        cmocka_unit_test(test_syscall_sysret_round_trip),
        cmocka_unit_test(test_syscall_faults),
        cmocka_unit_test(test_sysenter_sysexit),
        cmocka_unit_test(test_fsgsbase),
        cmocka_unit_test(test_cpuid_and_rdtsc_through_callbacks),
        cmocka_unit_test(test_small_privileged_instructions),
        cmocka_unit_test(test_rdpid_rdtscp_match_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
