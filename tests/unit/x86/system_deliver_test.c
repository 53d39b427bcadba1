/* Event delivery and return: real-mode IVT, protected-mode and IA-32e IDT
 * gates with stack switches, IST, frames, error codes, CR2, #DF and triple
 * fault, IRET/IRETQ (SDM Vol. 3A, chapter 6; Vol. 2, INT n and IRET). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "system_fixture.h"
#include "x86/deliver.h"
#include "x86/flags.h"

#define HANDLER 0x11000u

static const uint8_t INT80[] = { 0xcd, 0x80 };
static const uint8_t IRET[] = { 0xcf };
static const uint8_t IRETQ[] = { 0x48, 0xcf };

static uint64_t rd(struct sysfix *f, uint64_t pa, unsigned size) { return sysfix_rd(f, pa, size); }

/* ---- Real mode ------------------------------------------------------------------- */

static void test_real_int_iret_round_trip(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_real(&f);
    struct x86_state *s = &f.cpu.s;
    sysfix_wr(&f, 0x21 * 4, 0x20000100u, 4); /* 2000:0100 */
    x86_set_rflags(&f.cpu, X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_CF | X86_FLAG_AC);
    static const uint8_t int21[] = { 0xcd, 0x21 };
    assert_int_equal(sysfix_run(&f, int21, sizeof(int21)), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_CS].sel, 0x2000);
    assert_int_equal(s->seg[X86_CS].base, 0x20000);
    assert_int_equal(s->rip, 0x100);
    assert_int_equal(s->gpr[X86_RSP], 0x8000 - 6);
    /* IP, CS, FLAGS from low to high at SS:SP */
    assert_int_equal(rd(&f, 0x10000 + 0x7ffa, 2), 2);
    assert_int_equal(rd(&f, 0x10000 + 0x7ffc, 2), SYSFIX_CODE >> 4);
    assert_int_equal(rd(&f, 0x10000 + 0x7ffe, 2),
                     X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_CF | X86_FLAG_FIXED);
    uint64_t fl = x86_get_rflags(&f.cpu);
    assert_false(fl & (X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_AC));
    assert_true(fl & X86_FLAG_CF);

    x86_set_rflags(&f.cpu, X86_FLAG_ZF);
    assert_int_equal(sysfix_run(&f, IRET, sizeof(IRET)), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_CS].sel, SYSFIX_CODE >> 4);
    assert_int_equal(s->seg[X86_CS].base, SYSFIX_CODE);
    assert_int_equal(s->rip, 2);
    assert_int_equal(s->gpr[X86_RSP], 0x8000);
    assert_int_equal(x86_get_rflags(&f.cpu),
                     X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_CF | X86_FLAG_FIXED);
    sysfix_fini(&f);
}

static void test_real_ivt_limit_triple_faults(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_real(&f);
    f.cpu.s.idt.limit = 0; /* no vector fits: #GP, then #DF, then shutdown */
    uint64_t rip = f.cpu.s.rip, rsp = f.cpu.s.gpr[X86_RSP];
    assert_int_equal(x86_deliver(&f.cpu, 0x20, X86_EVENT_EXTINT, false, 0),
                     X86_EXEC_TRIPLE_FAULT);
    assert_int_equal(f.cpu.s.rip, rip);
    assert_int_equal(f.cpu.s.gpr[X86_RSP], rsp);
    sysfix_fini(&f);
}

/* ---- Protected mode (32-bit gates) -------------------------------------------------- */

static void test_prot32_int_to_ring0_and_iret(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 3);
    struct x86_state *s = &f.cpu.s;
    sysfix_idt32(&f, 0x80, SEL_KCODE32, HANDLER, 0xe, 3); /* interrupt gate, DPL 3 */
    x86_set_rflags(&f.cpu, X86_FLAG_IF | X86_FLAG_CF | X86_FLAG_TF);
    s->gpr[X86_RSP] = SYSFIX_USTACK - 4;

    assert_int_equal(sysfix_run(&f, INT80, sizeof(INT80)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->seg[X86_CS].sel, SEL_KCODE32);
    assert_int_equal(s->seg[X86_SS].sel, SEL_KDATA);
    assert_int_equal(s->rip, HANDLER);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_KSTACK - 20);
    uint64_t sp = SYSFIX_KSTACK - 20;
    assert_int_equal(rd(&f, sp + 0, 4), SYSFIX_CODE + 2);           /* EIP */
    assert_int_equal(rd(&f, sp + 4, 4), SEL_UCODE32);               /* CS */
    assert_int_equal(rd(&f, sp + 8, 4),
                     X86_FLAG_IF | X86_FLAG_CF | X86_FLAG_TF | X86_FLAG_FIXED);
    assert_int_equal(rd(&f, sp + 12, 4), SYSFIX_USTACK - 4);         /* ESP */
    assert_int_equal(rd(&f, sp + 16, 4), SEL_UDATA);                 /* SS */
    assert_false(x86_get_rflags(&f.cpu) & (X86_FLAG_IF | X86_FLAG_TF));
    /* The accessed bit of the handler's CS was set. */
    assert_true(rd(&f, SYSFIX_GDT + SEL_KCODE32, 8) & (1ull << 40));

    /* A kernel data segment in DS is dropped on the way back to CPL 3. */
    s->seg[X86_DS].sel = SEL_KDATA;
    s->seg[X86_DS].attr = X86_SEG_P | X86_SEG_S | 0x3;
    assert_int_equal(sysfix_run(&f, IRET, sizeof(IRET)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->rip, SYSFIX_CODE + 2);
    assert_int_equal(s->seg[X86_CS].sel, SEL_UCODE32);
    assert_int_equal(s->seg[X86_SS].sel, SEL_UDATA);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_USTACK - 4);
    assert_true(s->seg[X86_DS].attr & X86_SEG_UNUSABLE);
    assert_true(x86_get_rflags(&f.cpu) & X86_FLAG_IF);
    sysfix_fini(&f);
}

static void test_prot32_trap_gate_keeps_if_and_pushes_error(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_state *s = &f.cpu.s;
    sysfix_idt32(&f, X86_EXC_GP, SEL_KCODE32, HANDLER, 0xf, 0); /* trap gate */
    x86_set_rflags(&f.cpu, X86_FLAG_IF);
    s->gpr[X86_RSP] = 0x1f000;
    assert_int_equal(x86_deliver(&f.cpu, X86_EXC_GP, X86_EVENT_EXCEPTION, true, 0x28),
                     X86_EXEC_OK);
    /* Same privilege: no stack switch; EIP CS EFLAGS error code. */
    assert_int_equal(s->gpr[X86_RSP], 0x1f000 - 16);
    assert_int_equal(rd(&f, 0x1f000 - 16, 4), 0x28);
    assert_int_equal(rd(&f, 0x1f000 - 12, 4), SYSFIX_CODE);
    assert_int_equal(rd(&f, 0x1f000 - 8, 4), SEL_KCODE32);
    /* A fault pushes RF = 1 in the image. */
    assert_int_equal(rd(&f, 0x1f000 - 4, 4), X86_FLAG_IF | X86_FLAG_RF | X86_FLAG_FIXED);
    assert_true(x86_get_rflags(&f.cpu) & X86_FLAG_IF);
    sysfix_fini(&f);
}

static void test_prot32_gate_checks(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 3);
    struct x86_state *s = &f.cpu.s;
    uint64_t rip = s->rip;

    /* INT n through a DPL 0 gate from CPL 3: #GP(vector * 8 + 2). */
    sysfix_idt32(&f, 0x80, SEL_KCODE32, HANDLER, 0xe, 0);
    sysfix_expect_exc(&f, sysfix_run(&f, INT80, sizeof(INT80)), X86_EXC_GP, 0x80 * 8 + 2);
    assert_int_equal(s->rip, rip);
    assert_int_equal(f.cpu.cpl, 3);
    /* A hardware interrupt ignores the gate DPL. */
    assert_int_equal(x86_deliver(&f.cpu, 0x80, X86_EVENT_EXTINT, false, 0), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    sysfix_prot32(&f, 3);

    /* Not present: #NP(vector * 8 + 2), with EXT for external events. */
    sysfix_wr(&f, SYSFIX_IDT + 8 * 0x80, sysfix_gate(SEL_KCODE32, HANDLER, 0xe, 3, 0) &
                                              ~(1ull << 47), 8);
    sysfix_expect_exc(&f, sysfix_run(&f, INT80, sizeof(INT80)), X86_EXC_NP, 0x80 * 8 + 2);
    struct x86_event ev = { .vector = 0x80, .kind = X86_EVENT_EXTINT };
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_NP, 0x80 * 8 + 3);

    /* Beyond the IDT limit. */
    s->idt.limit = 0x80 * 8 - 1;
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_GP, 0x80 * 8 + 3);
    s->idt.limit = 0xfff;

    /* Task gates are not supported: nothing changes. */
    sysfix_wr(&f, SYSFIX_IDT + 8 * 0x80, sysfix_gate(SEL_TSS, 0, 0x5, 3, 0), 8);
    assert_int_equal(sysfix_run(&f, INT80, sizeof(INT80)), X86_EXEC_UNSUPPORTED);
    assert_int_equal(s->rip, rip);

    /* A gate whose code segment is a data segment: #GP(sel | EXT). */
    sysfix_idt32(&f, 0x81, SEL_KDATA, HANDLER, 0xe, 3);
    ev.vector = 0x81;
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_GP, SEL_KDATA | 1);

    /* A TSS whose ESP0 slot lies beyond its limit: #TS(TR | EXT). */
    sysfix_idt32(&f, 0x82, SEL_KCODE32, HANDLER, 0xe, 3);
    s->seg[X86_TR].limit = 8;
    ev.vector = 0x82;
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_TS, SEL_TSS | 1);
    s->seg[X86_TR].limit = 0x67;
    /* SS0 with the wrong DPL: #TS(SS0 | EXT). */
    sysfix_wr(&f, SYSFIX_TSS + 8, SEL_UDATA & ~3u, 2);
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_TS, (SEL_UDATA & ~3u) | 1);
    assert_int_equal(f.cpu.cpl, 3);
    sysfix_fini(&f);
}

static void test_vm86_interrupt_and_iret_back(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_state *s = &f.cpu.s;
    sysfix_idt32(&f, 0x30, SEL_KCODE32, HANDLER, 0xe, 3);
    /* Enter virtual-8086 mode through IRETD at CPL 0: EIP CS EFLAGS ESP SS
     * ES DS FS GS. */
    uint64_t sp = 0x1f000;
    uint32_t frame[9] = { 0x0010, 0x1000, X86_FLAG_VM | X86_FLAG_IF | X86_FLAG_IOPL | 2,
                          0x0800, 0x1800, 0x2000, 0x2100, 0x2200, 0x2300 };
    for (unsigned i = 0; i < 9; i++)
        sysfix_wr(&f, sp + 4 * i, frame[i], 4);
    s->gpr[X86_RSP] = sp;
    assert_int_equal(sysfix_run(&f, IRET, sizeof(IRET)), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_VM86);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->seg[X86_CS].base, 0x10000);
    assert_int_equal(s->rip, 0x10);
    assert_int_equal(s->seg[X86_SS].base, 0x18000);
    assert_int_equal(s->seg[X86_GS].sel, 0x2300);
    assert_int_equal(s->gpr[X86_RSP], 0x800);

    /* An interrupt leaves virtual-8086 mode for the ring-0 handler and
     * saves the data segments. */
    assert_int_equal(x86_deliver(&f.cpu, 0x30, X86_EVENT_EXTINT, false, 0), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_PROT32);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_KSTACK - 36);
    uint64_t k = SYSFIX_KSTACK - 36;
    assert_int_equal(rd(&f, k + 0, 4), 0x10);
    assert_int_equal(rd(&f, k + 4, 4), 0x1000);
    assert_true(rd(&f, k + 8, 4) & X86_FLAG_VM);
    assert_int_equal(rd(&f, k + 12, 4), 0x800);
    assert_int_equal(rd(&f, k + 16, 4), 0x1800);
    assert_int_equal(rd(&f, k + 20, 4), 0x2000); /* ES */
    assert_int_equal(rd(&f, k + 32, 4), 0x2300); /* GS */
    assert_true(s->seg[X86_DS].attr & X86_SEG_UNUSABLE);
    assert_false(x86_get_rflags(&f.cpu) & X86_FLAG_VM);

    /* And IRETD returns to it. */
    s->rip = SYSFIX_CODE;
    assert_int_equal(sysfix_run(&f, IRET, sizeof(IRET)), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_VM86);
    assert_int_equal(s->seg[X86_DS].base, 0x21000);
    assert_int_equal(s->rip, 0x10);
    sysfix_fini(&f);
}

/* ---- IA-32e mode (64-bit gates) ----------------------------------------------------- */

static void test_long_int_from_user_and_iretq(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_state *s = &f.cpu.s;
    sysfix_idt64(&f, 0x80, SEL_KCODE64, HANDLER, 0xe, 3, 0);
    s->gpr[X86_RSP] = SYSFIX_USTACK - 8;
    x86_set_rflags(&f.cpu, X86_FLAG_IF | X86_FLAG_SF);

    assert_int_equal(sysfix_run(&f, INT80, sizeof(INT80)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(f.cpu.mode, X86_MODE_LONG64);
    assert_int_equal(s->rip, HANDLER);
    /* SS becomes null with RPL 0; the frame is SS RSP RFLAGS CS RIP. */
    assert_int_equal(s->seg[X86_SS].sel, 0);
    uint64_t k = SYSFIX_KSTACK - 40;
    assert_int_equal(s->gpr[X86_RSP], k);
    assert_int_equal(rd(&f, k + 0, 8), SYSFIX_CODE + 2);
    assert_int_equal(rd(&f, k + 8, 8), SEL_UCODE64);
    assert_int_equal(rd(&f, k + 16, 8), X86_FLAG_IF | X86_FLAG_SF | X86_FLAG_FIXED);
    assert_int_equal(rd(&f, k + 24, 8), SYSFIX_USTACK - 8);
    assert_int_equal(rd(&f, k + 32, 8), SEL_UDATA);
    assert_false(x86_get_rflags(&f.cpu) & X86_FLAG_IF);

    /* A nested interrupt in the kernel saves the null SS, and IRETQ at
     * CPL 0 accepts it back. */
    sysfix_idt64(&f, 0x41, SEL_KCODE64, HANDLER + 0x100, 0xe, 0, 0);
    assert_int_equal(x86_deliver(&f.cpu, 0x41, X86_EVENT_EXTINT, false, 0), X86_EXEC_OK);
    assert_int_equal(rd(&f, k - 48 + 32, 8), 0);
    assert_int_equal(sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXEC_OK);
    assert_int_equal(s->rip, HANDLER);
    assert_int_equal(s->gpr[X86_RSP], k);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->seg[X86_SS].sel, 0);

    assert_int_equal(sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->rip, SYSFIX_CODE + 2);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_USTACK - 8);
    assert_int_equal(s->seg[X86_SS].sel, SEL_UDATA);
    assert_int_equal(s->seg[X86_CS].sel, SEL_UCODE64);
    assert_int_equal(x86_get_rflags(&f.cpu), X86_FLAG_IF | X86_FLAG_SF | X86_FLAG_FIXED);
    sysfix_fini(&f);
}

static void test_long_ist_alignment_and_iretq_to_cpl0(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    /* #PF through IST1, whose pointer is not 16-byte aligned. */
    sysfix_idt64(&f, X86_EXC_PF, SEL_KCODE64, HANDLER, 0xe, 0, 1);
    sysfix_wr(&f, SYSFIX_TSS + 0x24, SYSFIX_IST1 + 8, 8);
    s->gpr[X86_RSP] = 0x1fff3;
    f.cpu.exc.cr2 = 0xdead000;
    assert_int_equal(x86_deliver(&f.cpu, X86_EXC_PF, X86_EVENT_EXCEPTION, true, 0x2),
                     X86_EXEC_OK);
    assert_int_equal(s->cr2, 0xdead000);
    uint64_t k = SYSFIX_IST1 - 48;
    assert_int_equal(s->gpr[X86_RSP], k);
    assert_int_equal(rd(&f, k + 0, 8), 0x2);           /* error code */
    assert_int_equal(rd(&f, k + 8, 8), SYSFIX_CODE);   /* RIP of the faulting insn */
    assert_int_equal(rd(&f, k + 16, 8), SEL_KCODE64);
    assert_true(rd(&f, k + 24, 8) & X86_FLAG_RF);
    assert_int_equal(rd(&f, k + 32, 8), 0x1fff3);
    assert_int_equal(rd(&f, k + 40, 8), SEL_KDATA);

    /* The handler pops the error code and returns to CPL 0. */
    s->gpr[X86_RSP] += 8;
    assert_int_equal(sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->rip, SYSFIX_CODE);
    assert_int_equal(s->gpr[X86_RSP], 0x1fff3);
    assert_int_equal(s->seg[X86_SS].sel, SEL_KDATA);

    /* Without IST at the same level the current stack is aligned. */
    sysfix_idt64(&f, 0x40, SEL_KCODE64, HANDLER, 0xe, 0, 0);
    s->gpr[X86_RSP] = 0x1fff3;
    assert_int_equal(x86_deliver(&f.cpu, 0x40, X86_EVENT_EXTINT, false, 0), X86_EXEC_OK);
    assert_int_equal(s->gpr[X86_RSP], 0x1fff0 - 40);
    assert_int_equal(rd(&f, 0x1fff0 - 40 + 24, 8), 0x1fff3);
    sysfix_fini(&f);
}

static void test_long_real_page_fault(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_state *s = &f.cpu.s;
    sysfix_idt64(&f, X86_EXC_PF, SEL_KCODE64, HANDLER, 0xe, 0, 0);
    sysfix_wr(&f, SYSFIX_PML4 + 0x2000 + 8 * 1, 0, 8); /* 2-4 MiB not present */
    static const uint8_t load[] = { 0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x30, 0x00 };
    int rc = sysfix_run(&f, load, sizeof(load));
    sysfix_expect_exc(&f, rc, X86_EXC_PF, X86_PF_U);
    assert_int_equal(f.cpu.exc.cr2, 0x300010);
    assert_int_equal(x86_deliver_exception(&f.cpu), X86_EXEC_OK);
    assert_int_equal(s->cr2, 0x300010);
    assert_int_equal(s->rip, HANDLER);
    assert_int_equal(rd(&f, SYSFIX_KSTACK - 48, 8), X86_PF_U);
    assert_int_equal(rd(&f, SYSFIX_KSTACK - 40, 8), SYSFIX_CODE);
    sysfix_fini(&f);
}

static void test_double_fault_and_triple_fault(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    /* The #NP handler's gate names a null code segment: delivering #NP
     * raises #GP, contributory after contributory -> #DF. */
    sysfix_idt64(&f, X86_EXC_NP, 0, HANDLER, 0xe, 0, 0);
    sysfix_idt64(&f, X86_EXC_GP, SEL_KCODE64, HANDLER + 0x100, 0xe, 0, 0);
    sysfix_idt64(&f, X86_EXC_DF, SEL_KCODE64, HANDLER + 0x200, 0xe, 0, 1);
    assert_int_equal(x86_deliver(&f.cpu, X86_EXC_NP, X86_EVENT_EXCEPTION, true, 0x18),
                     X86_EXEC_OK);
    assert_int_equal(s->rip, HANDLER + 0x200);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_IST1 - 48);
    assert_int_equal(rd(&f, SYSFIX_IST1 - 48, 8), 0); /* #DF error code */
    assert_int_equal(rd(&f, SYSFIX_IST1 - 40, 8), SYSFIX_CODE);

    /* A benign exception does not escalate: #UD's broken gate gives #GP. */
    sysfix_long64(&f, 0);
    sysfix_idt64(&f, X86_EXC_UD, 0, HANDLER, 0xe, 0, 0);
    assert_int_equal(x86_deliver(&f.cpu, X86_EXC_UD, X86_EVENT_EXCEPTION, false, 0),
                     X86_EXEC_OK);
    assert_int_equal(s->rip, HANDLER + 0x100);

    /* #PF then #PF (the handler's stack is not mapped) -> #DF. */
    sysfix_long64(&f, 3);
    sysfix_idt64(&f, X86_EXC_PF, SEL_KCODE64, HANDLER, 0xe, 0, 0);
    sysfix_wr(&f, SYSFIX_TSS + 4, 0x400000, 8); /* RSP0 in 4-6 MiB */
    sysfix_wr(&f, SYSFIX_PML4 + 0x2000 + 8 * 1, 0, 8);
    f.cpu.exc.cr2 = 0x1234;
    assert_int_equal(x86_deliver(&f.cpu, X86_EXC_PF, X86_EVENT_EXCEPTION, true, 4), X86_EXEC_OK);
    assert_int_equal(s->rip, HANDLER + 0x200);
    assert_int_equal(s->cr2, 0x400000 - 8); /* the second fault's address */

    /* A fault while delivering #DF: shutdown, nothing changed. */
    sysfix_long64(&f, 0);
    sysfix_idt64(&f, X86_EXC_DF, 0, HANDLER, 0xe, 0, 0);
    s->gpr[X86_RSP] = 0x1f000;
    assert_int_equal(x86_deliver(&f.cpu, X86_EXC_NP, X86_EVENT_EXCEPTION, true, 0),
                     X86_EXEC_TRIPLE_FAULT);
    assert_int_equal(s->rip, SYSFIX_CODE);
    assert_int_equal(s->gpr[X86_RSP], 0x1f000);
    assert_int_equal(f.cpu.cpl, 0);
    sysfix_fini(&f);
}

static void test_long_gate_checks(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_state *s = &f.cpu.s;
    struct x86_event ev = { .vector = 0x80, .kind = X86_EVENT_SOFTINT };
    /* A 32-bit code segment in a 64-bit gate: #GP(sel). */
    sysfix_idt64(&f, 0x80, SEL_KCODE32, HANDLER, 0xe, 3, 0);
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_GP, SEL_KCODE32);
    /* A non-canonical handler address: #GP(0) for INT n. */
    sysfix_idt64(&f, 0x80, SEL_KCODE64, 0x0000800000000000ull, 0xe, 3, 0);
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_GP, 0);
    /* A legacy 32-bit gate type is invalid in IA-32e mode. */
    sysfix_idt64(&f, 0x80, SEL_KCODE64, HANDLER, 0x6, 3, 0);
    sysfix_expect_exc(&f, x86_deliver_once(&f.cpu, &ev, s->rip), X86_EXC_GP, 0x80 * 8 + 2);
    /* INT3 is a software exception: the gate DPL counts. */
    sysfix_idt64(&f, X86_EXC_BP, SEL_KCODE64, HANDLER, 0xe, 0, 0);
    static const uint8_t int3[] = { 0xcc };
    sysfix_expect_exc(&f, sysfix_run(&f, int3, 1), X86_EXC_GP, X86_EXC_BP * 8 + 2);
    /* INT1 (ICEBP) is not: it reaches a DPL 0 gate from CPL 3. */
    sysfix_idt64(&f, X86_EXC_DB, SEL_KCODE64, HANDLER, 0xe, 0, 0);
    static const uint8_t int1[] = { 0xf1 };
    assert_int_equal(sysfix_run(&f, int1, 1), X86_EXEC_OK);
    assert_int_equal(s->rip, HANDLER);
    assert_int_equal(rd(&f, SYSFIX_KSTACK - 40, 8), SYSFIX_CODE + 1);
    assert_int_equal(f.cpu.cpl, 0);
    sysfix_fini(&f);
}

static void test_compat_mode_round_trip(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct x86_state *s = &f.cpu.s;
    /* Switch to 32-bit user code (compatibility mode). */
    s->seg[X86_CS].sel = SEL_UCODE32;
    s->seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | (3u << 5) | 0xb | X86_SEG_DB | X86_SEG_G;
    x86_cpu_refresh(&f.cpu);
    assert_int_equal(f.cpu.mode, X86_MODE_COMPAT32);
    sysfix_idt64(&f, 0x80, SEL_KCODE64, HANDLER, 0xe, 3, 0);
    s->gpr[X86_RSP] = SYSFIX_USTACK - 4;
    assert_int_equal(sysfix_run(&f, INT80, sizeof(INT80)), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_LONG64);
    assert_int_equal(rd(&f, SYSFIX_KSTACK - 32, 8), SEL_UCODE32);
    assert_int_equal(sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_COMPAT32);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->rip, SYSFIX_CODE + 2);
    assert_int_equal(s->gpr[X86_RSP], SYSFIX_USTACK - 4);
    sysfix_fini(&f);
}

static void test_iretq_checks(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    uint64_t k = 0x1f000;
    uint64_t frame[5] = { 0x0000800000000000ull, SEL_UCODE64, X86_FLAG_FIXED,
                          SYSFIX_USTACK, SEL_UDATA };
    for (unsigned i = 0; i < 5; i++)
        sysfix_wr(&f, k + 8 * i, frame[i], 8);
    s->gpr[X86_RSP] = k;
    /* Non-canonical return RIP: #GP(0), nothing changed. */
    sysfix_expect_exc(&f, sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXC_GP, 0);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->gpr[X86_RSP], k);
    /* Null SS back to CPL 3: #GP(0). */
    sysfix_wr(&f, k, SYSFIX_CODE, 8);
    sysfix_wr(&f, k + 32, 0, 8);
    sysfix_expect_exc(&f, sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXC_GP, 0);
    /* SS with DPL 0 for an RPL 3 return: #GP(ss). */
    sysfix_wr(&f, k + 32, SEL_KDATA | 3, 8);
    sysfix_expect_exc(&f, sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXC_GP, SEL_KDATA);
    /* Return CS with RPL < CPL: #GP(cs). */
    sysfix_long64(&f, 3);
    s->gpr[X86_RSP] = k;
    sysfix_wr(&f, k + 8, SEL_KCODE64, 8);
    sysfix_wr(&f, k + 32, SEL_UDATA, 8);
    sysfix_expect_exc(&f, sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXC_GP, SEL_KCODE64);
    /* NT set in IA-32e mode: #GP(0). */
    x86_set_rflags(&f.cpu, X86_FLAG_NT);
    sysfix_expect_exc(&f, sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

static void test_nmi_blocking_and_windows(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    sysfix_idt64(&f, X86_EXC_NMI, SEL_KCODE64, HANDLER, 0xe, 0, 0);
    x86_set_rflags(&f.cpu, X86_FLAG_IF);
    assert_true(x86_nmi_window(&f.cpu));
    assert_true(x86_intr_window(&f.cpu));
    assert_int_equal(x86_deliver(&f.cpu, X86_EXC_NMI, X86_EVENT_NMI, false, 0), X86_EXEC_OK);
    assert_true(f.cpu.nmi_blocked);
    assert_false(x86_nmi_window(&f.cpu));
    assert_false(x86_intr_window(&f.cpu)); /* interrupt gate cleared IF */
    assert_int_equal(sysfix_run(&f, IRETQ, sizeof(IRETQ)), X86_EXEC_OK);
    assert_false(f.cpu.nmi_blocked);
    assert_true(x86_intr_window(&f.cpu));
    f.cpu.intr_shadow = true;
    assert_false(x86_intr_window(&f.cpu));
    sysfix_fini(&f);
}

static void test_into_and_bound(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 3);
    struct x86_state *s = &f.cpu.s;
    sysfix_idt32(&f, X86_EXC_OF, SEL_KCODE32, HANDLER, 0xe, 3);
    static const uint8_t into[] = { 0xce };
    assert_int_equal(sysfix_run(&f, into, 1), X86_EXEC_OK); /* OF = 0: nothing */
    assert_int_equal(s->rip, SYSFIX_CODE + 1);
    x86_set_rflags(&f.cpu, X86_FLAG_OF);
    assert_int_equal(sysfix_run(&f, into, 1), X86_EXEC_OK);
    assert_int_equal(s->rip, HANDLER);
    assert_int_equal(rd(&f, SYSFIX_KSTACK - 20, 4), SYSFIX_CODE + 2); /* a trap */

    /* BOUND EAX, [bounds]: signed, #BR outside [lower, upper]. */
    sysfix_prot32(&f, 3);
    sysfix_wr(&f, SYSFIX_DATA, (uint32_t)-5, 4);
    sysfix_wr(&f, SYSFIX_DATA + 4, 10, 4);
    static const uint8_t bound[] = { 0x62, 0x05, 0x00, 0x00, 0x05, 0x00 };
    s->gpr[X86_RAX] = (uint32_t)-5;
    assert_int_equal(sysfix_run(&f, bound, sizeof(bound)), X86_EXEC_OK);
    s->gpr[X86_RAX] = 10;
    assert_int_equal(sysfix_run(&f, bound, sizeof(bound)), X86_EXEC_OK);
    s->gpr[X86_RAX] = 11;
    sysfix_expect_exc(&f, sysfix_run(&f, bound, sizeof(bound)), X86_EXC_BR, 0);
    s->gpr[X86_RAX] = (uint32_t)-6;
    sysfix_expect_exc(&f, sysfix_run(&f, bound, sizeof(bound)), X86_EXC_BR, 0);
    sysfix_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_int_iret_round_trip),
        cmocka_unit_test(test_real_ivt_limit_triple_faults),
        cmocka_unit_test(test_prot32_int_to_ring0_and_iret),
        cmocka_unit_test(test_prot32_trap_gate_keeps_if_and_pushes_error),
        cmocka_unit_test(test_prot32_gate_checks),
        cmocka_unit_test(test_vm86_interrupt_and_iret_back),
        cmocka_unit_test(test_long_int_from_user_and_iretq),
        cmocka_unit_test(test_long_ist_alignment_and_iretq_to_cpl0),
        cmocka_unit_test(test_long_real_page_fault),
        cmocka_unit_test(test_double_fault_and_triple_fault),
        cmocka_unit_test(test_long_gate_checks),
        cmocka_unit_test(test_compat_mode_round_trip),
        cmocka_unit_test(test_iretq_checks),
        cmocka_unit_test(test_nmi_blocking_and_windows),
        cmocka_unit_test(test_into_and_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
