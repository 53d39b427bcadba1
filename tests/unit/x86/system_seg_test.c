/* Segment loads, descriptor-table instructions and far transfers: #GP(sel)
 * error codes, LGDT/SGDT, LTR/LLDT, JMP/CALL/RET far with call gates,
 * LAR/LSL/VERR/VERW (also against the host CPU on its own selectors) and
 * ARPL (SDM Vol. 3A, chapters 3 and 5; Vol. 2, each instruction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "system_fixture.h"
#include "x86/flags.h"

#define TARGET 0x12000u

static const uint8_t MOV_DS_AX[] = { 0x8e, 0xd8 };
static const uint8_t MOV_SS_AX[] = { 0x8e, 0xd0 };
static const uint8_t LTR_AX[] = { 0x0f, 0x00, 0xd8 };
static const uint8_t LLDT_AX[] = { 0x0f, 0x00, 0xd0 };
static const uint8_t RETF[] = { 0xcb };
static const uint8_t RETF64[] = { 0x48, 0xcb };

static bool zf(struct sysfix *f)
{
    return x86_flags_compute(&f->cpu) & X86_FLAG_ZF;
}

static uint64_t rd(struct sysfix *f, uint64_t pa, unsigned size) { return sysfix_rd(f, pa, size); }

/* ---- Segment register loads ---------------------------------------------------- */

static void test_segment_load_faults(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 3);
    struct x86_state *s = &f.cpu.s;
    uint64_t *ax = &s->gpr[X86_RAX];

    *ax = SEL_KDATA | 3; /* DPL 0 data from CPL 3 */
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_DS_AX, 2), X86_EXC_GP, SEL_KDATA);
    *ax = SEL_UCODE32; /* code segment into SS */
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_SS_AX, 2), X86_EXC_GP, SEL_UCODE32 & ~3u);
    *ax = 0; /* null SS outside 64-bit mode */
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_SS_AX, 2), X86_EXC_GP, 0);

    sysfix_gdt(&f, SEL_FREE, sysfix_desc(0x12345000, 0xfff, 0x2, 3, DF_NP));
    *ax = SEL_FREE | 3;
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_DS_AX, 2), X86_EXC_NP, SEL_FREE);
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_SS_AX, 2), X86_EXC_SS, SEL_FREE);

    s->gdt.limit = SEL_FREE - 1; /* the selector's descriptor lies beyond it */
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_DS_AX, 2), X86_EXC_GP, SEL_FREE);
    s->gdt.limit = 0xfff;
    *ax = 0x0f; /* an LDT selector while LDTR is unusable */
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_DS_AX, 2), X86_EXC_GP, 0x0c);
    assert_int_equal(s->seg[X86_DS].sel, SEL_UDATA);

    /* A good load: base and limit from the descriptor, accessed bit set. */
    sysfix_gdt(&f, SEL_FREE, sysfix_desc(0x12345000, 0xfff, 0x2, 3, 0));
    *ax = SEL_FREE | 3;
    assert_int_equal(sysfix_run(&f, MOV_DS_AX, 2), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_DS].base, 0x12345000);
    assert_int_equal(s->seg[X86_DS].limit, 0xfff);
    assert_true(rd(&f, SYSFIX_GDT + SEL_FREE, 8) & (1ull << 40));

    /* 64-bit mode: a null SS is fine at CPL 0, not at CPL 3. */
    sysfix_long64(&f, 0);
    *ax = 0;
    assert_int_equal(sysfix_run(&f, MOV_SS_AX, 2), X86_EXEC_OK);
    assert_true(s->seg[X86_SS].attr & X86_SEG_UNUSABLE);
    assert_int_equal(f.cpu.cpl, 0);
    sysfix_long64(&f, 3);
    *ax = 3;
    sysfix_expect_exc(&f, sysfix_run(&f, MOV_SS_AX, 2), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

/* ---- GDTR / IDTR ----------------------------------------------------------------- */

static void test_lgdt_sgdt_sizes(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_state *s = &f.cpu.s;
    sysfix_wr(&f, SYSFIX_DATA, 0x1234, 2);
    sysfix_wr(&f, SYSFIX_DATA + 2, 0xfedcba98u, 4);
    static const uint8_t lgdt32[] = { 0x0f, 0x01, 0x15, 0x00, 0x00, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, lgdt32, sizeof(lgdt32)), X86_EXEC_OK);
    assert_int_equal(s->gdt.limit, 0x1234);
    assert_int_equal(s->gdt.base, 0xfedcba98u);
    /* 16-bit operand size: a 24-bit base. */
    static const uint8_t lidt16[] = { 0x66, 0x0f, 0x01, 0x1d, 0x00, 0x00, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, lidt16, sizeof(lidt16)), X86_EXEC_OK);
    assert_int_equal(s->idt.base, 0xdcba98u);
    /* SIDT stores 6 bytes. */
    sysfix_wr(&f, SYSFIX_DATA + 0x10, ~0ull, 8);
    static const uint8_t sidt32[] = { 0x0f, 0x01, 0x0d, 0x10, 0x00, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, sidt32, sizeof(sidt32)), X86_EXEC_OK);
    assert_int_equal(rd(&f, SYSFIX_DATA + 0x10, 8), 0xffff00dcba981234ull);

    /* 64-bit mode: 10 bytes, canonical base. */
    sysfix_long64(&f, 0);
    sysfix_wr(&f, SYSFIX_DATA + 2, 0xffff800012345678ull, 8);
    static const uint8_t lgdt64[] = { 0x0f, 0x01, 0x14, 0x25, 0x00, 0x00, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, lgdt64, sizeof(lgdt64)), X86_EXEC_OK);
    assert_int_equal(s->gdt.base, 0xffff800012345678ull);
    static const uint8_t sgdt64[] = { 0x0f, 0x01, 0x04, 0x25, 0x20, 0x00, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, sgdt64, sizeof(sgdt64)), X86_EXEC_OK);
    assert_int_equal(rd(&f, SYSFIX_DATA + 0x22, 8), 0xffff800012345678ull);
    assert_int_equal(rd(&f, SYSFIX_DATA + 0x20, 2), 0x1234);
    sysfix_wr(&f, SYSFIX_DATA + 2, 0x0000800000000000ull, 8);
    sysfix_expect_exc(&f, sysfix_run(&f, lgdt64, sizeof(lgdt64)), X86_EXC_GP, 0);
    assert_int_equal(s->gdt.base, 0xffff800012345678ull);

    /* CPL 3: LGDT faults; SGDT works unless CR4.UMIP. */
    sysfix_long64(&f, 3);
    sysfix_expect_exc(&f, sysfix_run(&f, lgdt64, sizeof(lgdt64)), X86_EXC_GP, 0);
    assert_int_equal(sysfix_run(&f, sgdt64, sizeof(sgdt64)), X86_EXEC_OK);
    s->cr4 |= X86_CR4_UMIP;
    sysfix_expect_exc(&f, sysfix_run(&f, sgdt64, sizeof(sgdt64)), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

/* ---- LTR / LLDT ------------------------------------------------------------------- */

static void test_ltr_lldt_long_mode(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    uint64_t *ax = &s->gpr[X86_RAX];

    sysfix_gdt16(&f, SEL_FREE, 0xffff800000003000ull, 0x67, 0x9, 0); /* available TSS */
    *ax = SEL_FREE;
    assert_int_equal(sysfix_run(&f, LTR_AX, 3), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_TR].sel, SEL_FREE);
    assert_int_equal(s->seg[X86_TR].base, 0xffff800000003000ull);
    assert_int_equal(X86_SEG_TYPE(s->seg[X86_TR].attr), 0xb);
    assert_int_equal((rd(&f, SYSFIX_GDT + SEL_FREE, 8) >> 40) & 0xf, 0xb); /* busy */
    /* A busy TSS cannot be loaded again. */
    sysfix_expect_exc(&f, sysfix_run(&f, LTR_AX, 3), X86_EXC_GP, SEL_FREE);
    *ax = 0;
    sysfix_expect_exc(&f, sysfix_run(&f, LTR_AX, 3), X86_EXC_GP, 0);
    *ax = SEL_KDATA;
    sysfix_expect_exc(&f, sysfix_run(&f, LTR_AX, 3), X86_EXC_GP, SEL_KDATA);
    sysfix_gdt16(&f, SEL_FREE + 16, 0x3000, 0x67, 0x9, 0);
    sysfix_wr(&f, SYSFIX_GDT + SEL_FREE + 16, rd(&f, SYSFIX_GDT + SEL_FREE + 16, 8) &
                                                   ~(1ull << 47), 8);
    *ax = SEL_FREE + 16;
    sysfix_expect_exc(&f, sysfix_run(&f, LTR_AX, 3), X86_EXC_NP, SEL_FREE + 16);

    /* LLDT: a 64-bit base; then an LDT selector works. */
    sysfix_gdt16(&f, SEL_LDT, SYSFIX_LDT, 0xff, 0x2, 0);
    sysfix_wr(&f, SYSFIX_LDT + 8, sysfix_desc(0x7000, 0xffff, 0x3, 0, 0), 8);
    *ax = SEL_LDT;
    assert_int_equal(sysfix_run(&f, LLDT_AX, 3), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_LDTR].base, SYSFIX_LDT);
    assert_int_equal(s->seg[X86_LDTR].limit, 0xff);
    *ax = 0x0c; /* LDT index 1, RPL 0 */
    assert_int_equal(sysfix_run(&f, MOV_DS_AX, 2), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_DS].base, 0x7000);
    /* SLDT / STR store the selectors; LLDT with a null selector. */
    static const uint8_t str_ax[] = { 0x0f, 0x00, 0xc8 }, sldt_ax[] = { 0x0f, 0x00, 0xc0 };
    *ax = ~0ull;
    assert_int_equal(sysfix_run(&f, str_ax, 3), X86_EXEC_OK);
    assert_int_equal(*ax, SEL_FREE); /* a 32-bit register write zero-extends */
    assert_int_equal(sysfix_run(&f, sldt_ax, 3), X86_EXEC_OK);
    assert_int_equal(*ax & 0xffff, SEL_LDT);
    *ax = 0;
    assert_int_equal(sysfix_run(&f, LLDT_AX, 3), X86_EXEC_OK);
    assert_true(s->seg[X86_LDTR].attr & X86_SEG_UNUSABLE);
    /* CPL 3: #GP(0). */
    sysfix_long64(&f, 3);
    sysfix_expect_exc(&f, sysfix_run(&f, LLDT_AX, 3), X86_EXC_GP, 0);
    sysfix_fini(&f);
}

/* ---- Far transfers -------------------------------------------------------------------- */

static void test_far_direct_prot32(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 0);
    struct x86_state *s = &f.cpu.s;
    /* CALL far 0x08:TARGET pushes CS and EIP; RETF returns. */
    static const uint8_t callf[] = { 0x9a, 0x00, 0x20, 0x01, 0x00, SEL_KCODE32, 0x00 };
    uint64_t sp = s->gpr[X86_RSP];
    assert_int_equal(sysfix_run(&f, callf, sizeof(callf)), X86_EXEC_OK);
    assert_int_equal(s->rip, TARGET);
    assert_int_equal(s->gpr[X86_RSP], sp - 8);
    assert_int_equal(rd(&f, sp - 8, 4), SYSFIX_CODE + 7);
    assert_int_equal(rd(&f, sp - 4, 4), SEL_KCODE32);
    assert_int_equal(sysfix_run(&f, RETF, 1), X86_EXEC_OK);
    assert_int_equal(s->rip, SYSFIX_CODE + 7);
    assert_int_equal(s->gpr[X86_RSP], sp);

    /* Errors on the target. */
    static uint8_t jmpf[] = { 0xea, 0x00, 0x20, 0x01, 0x00, 0x00, 0x00 };
    jmpf[5] = SEL_KDATA;
    sysfix_expect_exc(&f, sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXC_GP, SEL_KDATA);
    sysfix_gdt(&f, SEL_FREE, sysfix_desc(0, 0xfffff, 0xb, 0, DF_G | DF_DB | DF_NP));
    jmpf[5] = SEL_FREE;
    sysfix_expect_exc(&f, sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXC_NP, SEL_FREE);
    sysfix_gdt(&f, SEL_FREE, sysfix_desc(0, 0xffff, 0xb, 0, DF_DB)); /* 64 KiB limit */
    jmpf[3] = 0x01; /* offset 0x12000 > limit */
    sysfix_expect_exc(&f, sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXC_GP, 0);
    jmpf[3] = 0x00;
    jmpf[5] = SEL_TSS; /* the current TSS is busy: #GP(sel) */
    sysfix_expect_exc(&f, sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXC_GP, SEL_TSS);
    sysfix_gdt(&f, SEL_FREE + 8, sysfix_desc(SYSFIX_TSS, 0x67, 0x9, 0, DF_SYS));
    jmpf[5] = SEL_FREE + 8; /* an available TSS: a task switch */
    assert_int_equal(sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXEC_UNSUPPORTED);
    assert_int_equal(s->rip, SYSFIX_CODE + 7);
    assert_int_equal(s->seg[X86_CS].sel, SEL_KCODE32);

    /* CPL 3: a DPL 0 non-conforming segment is out of reach, a conforming
     * one is entered at CPL 3. */
    sysfix_prot32(&f, 3);
    jmpf[5] = SEL_KCODE32;
    sysfix_expect_exc(&f, sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXC_GP, SEL_KCODE32);
    sysfix_gdt(&f, SEL_FREE, sysfix_desc(0, 0xfffff, 0xf, 0, DF_G | DF_DB)); /* conforming */
    jmpf[5] = SEL_FREE;
    jmpf[3] = 0x01;
    assert_int_equal(sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXEC_OK);
    assert_int_equal(s->seg[X86_CS].sel, SEL_FREE | 3);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->rip, TARGET);
    sysfix_fini(&f);
}

static void test_call_gate_inner_and_retf_outer_prot32(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 3);
    struct x86_state *s = &f.cpu.s;
    sysfix_gdt(&f, SEL_FREE, sysfix_gate(SEL_KCODE32, TARGET, 0xc, 3, 2)); /* 2 params */
    uint64_t usp = SYSFIX_USTACK - 16;
    s->gpr[X86_RSP] = usp;
    sysfix_wr(&f, usp, 0x11111111, 4);
    sysfix_wr(&f, usp + 4, 0x22222222, 4);
    static const uint8_t callf[] = { 0x9a, 0, 0, 0, 0, SEL_FREE | 3, 0x00 };
    assert_int_equal(sysfix_run(&f, callf, sizeof(callf)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->rip, TARGET); /* the gate's offset, not the pointer's */
    assert_int_equal(s->seg[X86_SS].sel, SEL_KDATA);
    uint64_t k = SYSFIX_KSTACK - 24;
    assert_int_equal(s->gpr[X86_RSP], k);
    assert_int_equal(rd(&f, k + 0, 4), SYSFIX_CODE + 7);
    assert_int_equal(rd(&f, k + 4, 4), SEL_UCODE32);
    assert_int_equal(rd(&f, k + 8, 4), 0x11111111);
    assert_int_equal(rd(&f, k + 12, 4), 0x22222222);
    assert_int_equal(rd(&f, k + 16, 4), usp);
    assert_int_equal(rd(&f, k + 20, 4), SEL_UDATA);

    /* RETF 8 releases the parameters on both stacks. */
    static const uint8_t retf8[] = { 0xca, 0x08, 0x00 };
    assert_int_equal(sysfix_run(&f, retf8, sizeof(retf8)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->rip, SYSFIX_CODE + 7);
    assert_int_equal(s->gpr[X86_RSP], usp + 8);
    assert_int_equal(s->seg[X86_SS].sel, SEL_UDATA);

    /* A gate with DPL 0 is out of reach from CPL 3; JMP cannot raise CPL. */
    sysfix_gdt(&f, SEL_FREE, sysfix_gate(SEL_KCODE32, TARGET, 0xc, 0, 0));
    sysfix_expect_exc(&f, sysfix_run(&f, callf, sizeof(callf)), X86_EXC_GP, SEL_FREE);
    sysfix_gdt(&f, SEL_FREE, sysfix_gate(SEL_KCODE32, TARGET, 0xc, 3, 0));
    static const uint8_t jmpf[] = { 0xea, 0, 0, 0, 0, SEL_FREE | 3, 0x00 };
    sysfix_expect_exc(&f, sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXC_GP, SEL_KCODE32);
    sysfix_fini(&f);
}

static void test_far_long_mode(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 0);
    struct x86_state *s = &f.cpu.s;
    /* CALL far m16:64 and RETF64. */
    sysfix_wr(&f, SYSFIX_DATA, TARGET, 8);
    sysfix_wr(&f, SYSFIX_DATA + 8, SEL_KCODE64, 2);
    static const uint8_t callf64[] = { 0x48, 0xff, 0x1c, 0x25, 0x00, 0x00, 0x05, 0x00 };
    uint64_t sp = s->gpr[X86_RSP];
    assert_int_equal(sysfix_run(&f, callf64, sizeof(callf64)), X86_EXEC_OK);
    assert_int_equal(s->rip, TARGET);
    assert_int_equal(rd(&f, sp - 16, 8), SYSFIX_CODE + 8);
    assert_int_equal(rd(&f, sp - 8, 8), SEL_KCODE64);
    assert_int_equal(sysfix_run(&f, RETF64, 2), X86_EXEC_OK);
    assert_int_equal(s->rip, SYSFIX_CODE + 8);
    assert_int_equal(s->gpr[X86_RSP], sp);

    /* JMP far m16:32 to a 32-bit segment: compatibility mode. */
    sysfix_wr(&f, SYSFIX_DATA, TARGET, 4);
    sysfix_wr(&f, SYSFIX_DATA + 4, SEL_KCODE32, 2);
    static const uint8_t jmpf32[] = { 0xff, 0x2c, 0x25, 0x00, 0x00, 0x05, 0x00 };
    assert_int_equal(sysfix_run(&f, jmpf32, sizeof(jmpf32)), X86_EXEC_OK);
    assert_int_equal(f.cpu.mode, X86_MODE_COMPAT32);

    /* A 64-bit call gate from CPL 3: RSP0, null SS, 8-byte slots. */
    sysfix_long64(&f, 3);
    sysfix_gdt16(&f, SEL_FREE, 0, 0, 0xc, 3);
    sysfix_gdt(&f, SEL_FREE, sysfix_gate(SEL_KCODE64, TARGET, 0xc, 3, 0));
    sysfix_wr(&f, SYSFIX_GDT + SEL_FREE + 8, 0, 8);
    sysfix_wr(&f, SYSFIX_DATA, 0xdeadbeef, 4); /* the offset is ignored */
    sysfix_wr(&f, SYSFIX_DATA + 4, SEL_FREE | 3, 2);
    static const uint8_t callf32[] = { 0xff, 0x1c, 0x25, 0x00, 0x00, 0x05, 0x00 };
    uint64_t usp = s->gpr[X86_RSP];
    assert_int_equal(sysfix_run(&f, callf32, sizeof(callf32)), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 0);
    assert_int_equal(s->rip, TARGET);
    assert_int_equal(s->seg[X86_SS].sel, 0);
    uint64_t k = SYSFIX_KSTACK - 32;
    assert_int_equal(s->gpr[X86_RSP], k);
    assert_int_equal(rd(&f, k + 0, 8), SYSFIX_CODE + 7);
    assert_int_equal(rd(&f, k + 8, 8), SEL_UCODE64);
    assert_int_equal(rd(&f, k + 16, 8), usp);
    assert_int_equal(rd(&f, k + 24, 8), SEL_UDATA);
    assert_int_equal(sysfix_run(&f, RETF64, 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.cpl, 3);
    assert_int_equal(s->gpr[X86_RSP], usp);
    assert_int_equal(s->rip, SYSFIX_CODE + 7);
    assert_int_equal(s->seg[X86_SS].sel, SEL_UDATA);
    sysfix_fini(&f);
}

static void test_far_jmp_real_mode(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_real(&f);
    static const uint8_t jmpf[] = { 0xea, 0x10, 0x00, 0x00, 0x20 };
    assert_int_equal(sysfix_run(&f, jmpf, sizeof(jmpf)), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.seg[X86_CS].sel, 0x2000);
    assert_int_equal(f.cpu.s.seg[X86_CS].base, 0x20000);
    assert_int_equal(f.cpu.s.rip, 0x10);
    sysfix_fini(&f);
}

/* ---- LAR / LSL / VERR / VERW / ARPL ------------------------------------------------- */

static const uint8_t LAR_EAX_ECX[] = { 0x0f, 0x02, 0xc1 };
static const uint8_t LSL_EAX_ECX[] = { 0x0f, 0x03, 0xc1 };
static const uint8_t VERR_CX[] = { 0x0f, 0x00, 0xe1 };
static const uint8_t VERW_CX[] = { 0x0f, 0x00, 0xe9 };

struct inspect {
    bool lar_zf, lsl_zf, verr, verw;
    uint32_t lar, lsl;
};

static struct inspect emu_inspect(struct sysfix *f, uint16_t sel)
{
    struct inspect r;
    struct x86_state *s = &f->cpu.s;
    s->gpr[X86_RCX] = sel;
    s->gpr[X86_RAX] = 0xdeadbeef;
    assert_int_equal(sysfix_run(f, LAR_EAX_ECX, 3), X86_EXEC_OK);
    r.lar_zf = zf(f);
    r.lar = (uint32_t)s->gpr[X86_RAX];
    s->gpr[X86_RAX] = 0xdeadbeef;
    assert_int_equal(sysfix_run(f, LSL_EAX_ECX, 3), X86_EXEC_OK);
    r.lsl_zf = zf(f);
    r.lsl = (uint32_t)s->gpr[X86_RAX];
    assert_int_equal(sysfix_run(f, VERR_CX, 3), X86_EXEC_OK);
    r.verr = zf(f);
    assert_int_equal(sysfix_run(f, VERW_CX, 3), X86_EXEC_OK);
    r.verw = zf(f);
    return r;
}

static void test_lar_lsl_verr_verw(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    struct inspect r = emu_inspect(&f, SEL_UCODE64);
    assert_true(r.lar_zf && r.lsl_zf && r.verr && !r.verw);
    assert_int_equal(r.lar, (rd(&f, SYSFIX_GDT + (SEL_UCODE64 & ~7u), 8) >> 32) & 0x00f0ff00);
    assert_int_equal(r.lsl, 0xffffffffu);
    r = emu_inspect(&f, SEL_UDATA);
    assert_true(r.verr && r.verw);
    r = emu_inspect(&f, SEL_KDATA); /* DPL 0 from CPL 3 */
    assert_false(r.lar_zf || r.lsl_zf || r.verr || r.verw);
    assert_int_equal(r.lar, 0xdeadbeef); /* unchanged when ZF = 0 */
    r = emu_inspect(&f, 0);
    assert_false(r.lar_zf || r.verr);
    r = emu_inspect(&f, 0xff8); /* within the 4 KiB GDT but empty: S = 0, type 0 */
    assert_false(r.lar_zf || r.lsl_zf);
    f.cpu.s.gdt.limit = 0x7f;
    r = emu_inspect(&f, 0x80 | 3); /* beyond the limit */
    assert_false(r.lar_zf || r.lsl_zf || r.verr || r.verw);
    f.cpu.s.gdt.limit = 0xfff;
    /* Conforming readable code: reachable whatever the DPL. */
    sysfix_gdt(&f, SEL_FREE, sysfix_desc(0, 0xfff, 0xe, 0, DF_L));
    r = emu_inspect(&f, SEL_FREE | 3);
    assert_true(r.lar_zf && r.verr && !r.verw);
    assert_int_equal(r.lsl, 0xfff);
    /* System descriptors at CPL 0: a 64-bit TSS is visible to LAR and LSL,
     * a 16-bit call gate is not in IA-32e mode. */
    sysfix_long64(&f, 0);
    r = emu_inspect(&f, SEL_TSS);
    assert_true(r.lar_zf && r.lsl_zf && !r.verr);
    assert_int_equal(r.lsl, 0x67);
    sysfix_gdt(&f, SEL_FREE, sysfix_gate(SEL_KCODE64, 0, 0x4, 0, 0));
    r = emu_inspect(&f, SEL_FREE);
    assert_false(r.lar_zf || r.lsl_zf);
    /* 16-bit operand size: LAR keeps only bits 15:8. */
    static const uint8_t lar16[] = { 0x66, 0x0f, 0x02, 0xc1 };
    f.cpu.s.gpr[X86_RCX] = SEL_KDATA;
    f.cpu.s.gpr[X86_RAX] = 0xffffffff;
    assert_int_equal(sysfix_run(&f, lar16, sizeof(lar16)), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0xffff9300);
    sysfix_fini(&f);
}

/* The host CPU on its own GDT (64-bit user mode). */
static bool host_lar(uint16_t sel, uint32_t *v)
{
    uint8_t z;
    __asm__ volatile("lar %w2, %0\n\tsetz %1" : "+r"(*v), "=q"(z) : "r"((uint32_t)sel) : "cc");
    return z;
}

static bool host_lsl(uint16_t sel, uint32_t *v)
{
    uint8_t z;
    __asm__ volatile("lsl %w2, %0\n\tsetz %1" : "+r"(*v), "=q"(z) : "r"((uint32_t)sel) : "cc");
    return z;
}

static bool host_verr(uint16_t sel)
{
    uint8_t z;
    __asm__ volatile("verr %w1\n\tsetz %0" : "=q"(z) : "r"((uint32_t)sel) : "cc");
    return z;
}

static bool host_verw(uint16_t sel)
{
    uint8_t z;
    __asm__ volatile("verw %w1\n\tsetz %0" : "=q"(z) : "r"((uint32_t)sel) : "cc");
    return z;
}

/* Rebuilds a descriptor from what LAR and LSL report (base 0), or a DPL 0
 * data segment for selectors the host hides from CPL 3. */
static uint64_t rebuild_desc(bool visible, uint32_t lar, uint32_t lsl)
{
    if (!visible)
        return sysfix_desc(0, 0xfffff, 0x3, 0, DF_G | DF_DB);
    uint32_t raw = (lar & (1u << 23)) ? lsl >> 12 : lsl;
    uint64_t d = (raw & 0xffff) | ((uint64_t)(raw >> 16) & 0xf) << 48;
    d |= (uint64_t)((lar >> 8) & 0xff) << 40;
    d |= (uint64_t)((lar >> 20) & 0xf) << 52;
    return d;
}

static void test_inspection_matches_host(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_long64(&f, 3);
    unsigned compared = 0, visible = 0;
    /* The host's GDT slots 0-15 (Linux has 16 entries); LDT selectors too. */
    for (uint16_t sel = 0; sel < 0x80; sel++) {
        uint32_t lar = 0xdeadbeef, lsl = 0xdeadbeef;
        bool lar_zf = host_lar(sel, &lar), lsl_zf = host_lsl(sel, &lsl);
        bool verr = host_verr(sel), verw = host_verw(sel);
        if (sel & 4) {
            if (lar_zf || lsl_zf)
                continue; /* this process has an LDT: not modelled here */
        } else if (sel >= 8 && (sel & 3) == 0) {
            /* Build slot sel/8 once, from the RPL 0 view. */
            sysfix_gdt(&f, sel, rebuild_desc(lar_zf, lar, lsl));
        }
        f.cpu.s.gdt.limit = 0x7f;
        struct inspect r = emu_inspect(&f, sel);
        if (r.lar_zf != lar_zf || r.lsl_zf != lsl_zf || r.verr != verr || r.verw != verw ||
            (lar_zf && r.lar != (lar & 0x00f0ff00)) || (lsl_zf && r.lsl != lsl)) {
            fprintf(stderr, "sel %#x: host lar %d/%#x lsl %d/%#x verr %d verw %d; "
                    "emu lar %d/%#x lsl %d/%#x verr %d verw %d\n", sel, lar_zf, lar, lsl_zf,
                    lsl, verr, verw, r.lar_zf, r.lar, r.lsl_zf, r.lsl, r.verr, r.verw);
            fail();
        }
        compared++;
        visible += lar_zf;
    }
    assert_true(compared >= 64);
    assert_true(visible >= 3); /* at least the user code/data segments */
    sysfix_fini(&f);
}

static void test_arpl(void **state)
{
    (void)state;
    struct sysfix f;
    sysfix_init(&f);
    sysfix_prot32(&f, 3);
    static const uint8_t arpl[] = { 0x63, 0xc8 }; /* ARPL AX, CX */
    f.cpu.s.gpr[X86_RAX] = 0xabcd0010;
    f.cpu.s.gpr[X86_RCX] = 0x3;
    assert_int_equal(sysfix_run(&f, arpl, 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0xabcd0013);
    assert_true(zf(&f));
    f.cpu.s.gpr[X86_RCX] = 0x1;
    assert_int_equal(sysfix_run(&f, arpl, 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0xabcd0013);
    assert_false(zf(&f));
    sysfix_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segment_load_faults),
        cmocka_unit_test(test_lgdt_sgdt_sizes),
        cmocka_unit_test(test_ltr_lldt_long_mode),
        cmocka_unit_test(test_far_direct_prot32),
        cmocka_unit_test(test_call_gate_inner_and_retf_outer_prot32),
        cmocka_unit_test(test_far_long_mode),
        cmocka_unit_test(test_far_jmp_real_mode),
        cmocka_unit_test(test_lar_lsl_verr_verw),
        cmocka_unit_test(test_inspection_matches_host),
        cmocka_unit_test(test_arpl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
