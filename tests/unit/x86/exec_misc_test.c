/* Unit tests of the executor paths the differential tests cannot reach
 * from user mode: host services through callbacks (CPUID, RDTSC, RDTSCP,
 * RDRAND, RDSEED), privilege rules (HLT, CLI/STI with IOPL, VME and PVI,
 * PUSHF/POPF at CPL 0 and in virtual-8086 mode), interrupt shadows, port
 * I/O, the dispatch contract (unsupported operations, decoder errors), and
 * locked operations on memory without a host pointer (MMIO-like). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exec_fixture.h"
#include "x86/flags.h"

#define CODE 0x1000u

static void test_host_services(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    f.cpu.s.gpr[X86_RAX] = 0xffffffff00000007ull;
    f.cpu.s.gpr[X86_RCX] = 0x1234567800000002ull;
    assert_int_equal(fx_run(&f, CODE, "\x0f\xa2", 2), X86_EXEC_OK); /* cpuid */
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 7); /* 32-bit results, zero-extended */
    assert_int_equal(f.cpu.s.gpr[X86_RBX], 2);
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 0xc0ffee);
    assert_int_equal(f.cpu.s.gpr[X86_RDX], 0xdecaf);

    f.tsc = 0x1122334455667788ull;
    f.cpu.s.tsc_aux = 3;
    assert_int_equal(fx_run(&f, CODE, "\x0f\x01\xf9", 3), X86_EXEC_OK); /* rdtscp */
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x55667788);
    assert_int_equal(f.cpu.s.gpr[X86_RDX], 0x11223344);
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 3);
    /* CR4.TSD: RDTSC is privileged */
    f.cpu.s.cr4 |= X86_CR4_TSD;
    fx_set_cpl(&f, 3);
    assert_int_equal(fx_run(&f, CODE, "\x0f\x31", 2), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_GP);
    fx_set_cpl(&f, 0);
    assert_int_equal(fx_run(&f, CODE, "\x0f\x31", 2), X86_EXEC_OK);

    /* RDRAND: CF = 1 with a value, or CF = 0 and 0; other flags cleared */
    f.rand_ok = true;
    x86_set_rflags(&f.cpu, X86_FLAG_ZF | X86_FLAG_OF);
    assert_int_equal(fx_run(&f, CODE, "\x48\x0f\xc7\xf0", 4), X86_EXEC_OK); /* rdrand rax */
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x1234567890abcdefull);
    assert_int_equal(x86_get_rflags(&f.cpu) & 0x8d5, X86_FLAG_CF);
    assert_int_equal(fx_run(&f, CODE, "\x0f\xc7\xf9", 3), X86_EXEC_OK); /* rdseed ecx */
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 0x5eed5eed);
    f.rand_ok = false;
    assert_int_equal(fx_run(&f, CODE, "\x66\x0f\xc7\xf2", 4), X86_EXEC_OK); /* rdrand dx */
    assert_int_equal(f.cpu.s.gpr[X86_RDX] & 0xffff, 0);
    assert_int_equal(x86_get_rflags(&f.cpu) & X86_FLAG_CF, 0);
    fx_fini(&f);
}

static void test_missing_callbacks(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    struct x86_emu_ops ops = *f.cpu.ops;
    ops.cpuid = NULL;
    ops.rdrand = NULL;
    f.cpu.ops = &ops;
    assert_int_equal(fx_run(&f, CODE, "\x0f\xa2", 2), X86_EXEC_UNSUPPORTED);
    assert_int_equal(f.cpu.s.rip, CODE); /* nothing changed */
    assert_int_equal(fx_run(&f, CODE, "\x0f\xc7\xf0", 3), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_UD);
    /* an operation without a handler, and an out-of-range id */
    struct x86_insn in;
    memset(&in, 0, sizeof(in));
    in.op = X86_OP_COUNT;
    in.len = 1;
    assert_int_equal(x86_exec(&f.cpu, &in), X86_EXEC_UNSUPPORTED);
    fx_fini(&f);
}

static void test_hlt_and_interrupt_flag(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    assert_int_equal(fx_run(&f, CODE, "\xf4", 1), X86_EXEC_HALT);
    assert_int_equal(f.cpu.s.rip, CODE + 1);
    /* STI sets IF and an interrupt shadow; a second STI does not */
    f.cpu.s.rflags &= ~(uint64_t)X86_FLAG_IF;
    assert_int_equal(fx_run(&f, CODE, "\xfb", 1), X86_EXEC_OK);
    assert_true(f.cpu.s.rflags & X86_FLAG_IF);
    assert_true(f.cpu.intr_shadow);
    assert_int_equal(fx_run(&f, CODE, "\xfb", 1), X86_EXEC_OK);
    assert_false(f.cpu.intr_shadow);
    /* CPL 3: HLT #GP; CLI/STI only with IOPL 3, or on VIF with CR4.PVI */
    fx_set_cpl(&f, 3);
    assert_int_equal(fx_run(&f, CODE, "\xf4", 1), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_GP);
    assert_int_equal(fx_run(&f, CODE, "\xfa", 1), X86_EXEC_EXCEPTION);
    f.cpu.s.cr4 |= X86_CR4_PVI;
    f.cpu.s.rflags |= X86_FLAG_VIF;
    assert_int_equal(fx_run(&f, CODE, "\xfa", 1), X86_EXEC_OK);
    assert_true(f.cpu.s.rflags & X86_FLAG_IF); /* IF untouched */
    assert_false(f.cpu.s.rflags & X86_FLAG_VIF);
    f.cpu.s.cr4 &= ~X86_CR4_PVI;
    f.cpu.s.rflags |= X86_FLAG_IOPL;
    assert_int_equal(fx_run(&f, CODE, "\xfa", 1), X86_EXEC_OK);
    assert_false(f.cpu.s.rflags & X86_FLAG_IF);
    fx_fini(&f);
}

static void test_popf_privilege(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_PROT32);
    uint32_t img = X86_FLAG_IOPL | X86_FLAG_CF | X86_FLAG_AC | (1u << 17) | X86_FLAG_RF;
    /* CPL 0 may change IOPL and IF; VM and RF are never loaded */
    f.cpu.s.rflags = X86_FLAG_FIXED | X86_FLAG_IF;
    memcpy(f.mem + 0x7000, &img, 4);
    f.cpu.s.gpr[X86_RSP] = 0x7000;
    assert_int_equal(fx_run(&f, CODE, "\x9d", 1), X86_EXEC_OK);
    uint64_t fl = x86_get_rflags(&f.cpu);
    assert_int_equal(fl & (X86_FLAG_IOPL | X86_FLAG_IF | X86_FLAG_CF | X86_FLAG_AC),
                     X86_FLAG_IOPL | X86_FLAG_CF | X86_FLAG_AC);
    assert_false(fl & ((1u << 17) | X86_FLAG_RF));
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0x7004);
    /* CPL 3 with IOPL 0: IOPL and IF stay */
    fx_set_cpl(&f, 3);
    f.cpu.s.rflags = X86_FLAG_FIXED | X86_FLAG_IF;
    f.cpu.s.gpr[X86_RSP] = 0x7000;
    assert_int_equal(fx_run(&f, CODE, "\x9d", 1), X86_EXEC_OK);
    fl = x86_get_rflags(&f.cpu);
    assert_int_equal(fl & (X86_FLAG_IOPL | X86_FLAG_IF | X86_FLAG_CF), X86_FLAG_IF | X86_FLAG_CF);
    fx_fini(&f);
}

static void test_vm86_flags(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_REAL);
    /* virtual-8086 mode: protected mode with RFLAGS.VM, IOPL 0, CR4.VME */
    f.cpu.s.cr0 |= X86_CR0_PE;
    f.cpu.s.rflags = X86_FLAG_FIXED | X86_FLAG_VM | X86_FLAG_IF | X86_FLAG_VIF;
    f.cpu.s.cr4 |= X86_CR4_VME;
    x86_cpu_refresh(&f.cpu);
    assert_int_equal(f.cpu.mode, X86_MODE_VM86);
    assert_int_equal(f.cpu.cpl, 3);
    /* pushf (16-bit): IF shows VIF, IOPL shows 3 */
    f.cpu.s.rflags &= ~(uint64_t)X86_FLAG_VIF;
    f.cpu.s.gpr[X86_RSP] = 0x7000;
    assert_int_equal(fx_run(&f, CODE, "\x9c", 1), X86_EXEC_OK);
    uint16_t img = (uint16_t)(f.mem[0x6ffe] | f.mem[0x6fff] << 8);
    assert_int_equal(img & (X86_FLAG_IF | X86_FLAG_IOPL), X86_FLAG_IOPL);
    /* pushfd faults */
    assert_int_equal(fx_run(&f, CODE, "\x66\x9c", 2), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_GP);
    /* popf loads IF into VIF, leaves IF */
    img = X86_FLAG_IF | X86_FLAG_CF;
    memcpy(f.mem + 0x6ffe, &img, 2);
    assert_int_equal(fx_run(&f, CODE, "\x9d", 1), X86_EXEC_OK);
    assert_true(f.cpu.s.rflags & X86_FLAG_VIF);
    assert_true(f.cpu.s.rflags & X86_FLAG_IF);
    /* cli/sti act on VIF; sti with VIP pending faults */
    assert_int_equal(fx_run(&f, CODE, "\xfa", 1), X86_EXEC_OK);
    assert_false(f.cpu.s.rflags & X86_FLAG_VIF);
    assert_true(f.cpu.s.rflags & X86_FLAG_IF);
    f.cpu.s.rflags |= X86_FLAG_VIP;
    assert_int_equal(fx_run(&f, CODE, "\xfb", 1), X86_EXEC_EXCEPTION);
    /* without VME every one of them faults */
    f.cpu.s.cr4 &= ~X86_CR4_VME;
    assert_int_equal(fx_run(&f, CODE, "\x9c", 1), X86_EXEC_EXCEPTION);
    assert_int_equal(fx_run(&f, CODE, "\xfa", 1), X86_EXEC_EXCEPTION);
    /* IOPL 3: they work on IF directly */
    f.cpu.s.rflags |= X86_FLAG_IOPL;
    assert_int_equal(fx_run(&f, CODE, "\xfa", 1), X86_EXEC_OK);
    assert_false(f.cpu.s.rflags & X86_FLAG_IF);
    fx_fini(&f);
}

static void test_port_io(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_REAL);
    f.in_value = 0xaabbccdd;
    f.cpu.s.gpr[X86_RAX] = 0x12345678;
    assert_int_equal(fx_run(&f, CODE, "\xe4\x71", 2), X86_EXEC_OK); /* in al, 0x71 */
    assert_int_equal(f.last_port, 0x71);
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x123456dd);
    f.cpu.s.gpr[X86_RDX] = 0xcf8;
    assert_int_equal(fx_run(&f, CODE, "\x66\xed", 2), X86_EXEC_OK); /* in eax, dx */
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0xaabbccde);
    assert_int_equal(fx_run(&f, CODE, "\xef", 1), X86_EXEC_OK); /* out dx, ax */
    assert_int_equal(f.last_out, 0xccde);
    assert_int_equal(f.last_port, 0xcf8);
    fx_fini(&f);
}

/* Locked operations where no host pointer exists (MMIO): a plain
 * read-modify-write through the callbacks still gives the right result. */
static void test_lock_without_pointer(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    const struct x86_emu_ops *saved = f.cpu.ops;
    struct x86_emu_ops ops = *saved;
    ops.mem_ptr = NULL;
    f.cpu.ops = &ops;
    memcpy(f.mem + 0x3000, "\x05\x00\x00\x00", 4);
    f.cpu.s.gpr[X86_RBX] = 0x3000;
    f.cpu.s.gpr[X86_RAX] = 5;
    f.cpu.s.gpr[X86_RCX] = 9;
    assert_int_equal(fx_run(&f, CODE, "\xf0\x0f\xb1\x0b", 4), X86_EXEC_OK); /* lock cmpxchg */
    assert_int_equal(f.mem[0x3000], 9);
    assert_true(x86_get_rflags(&f.cpu) & X86_FLAG_ZF);
    assert_int_equal(fx_run(&f, CODE, "\xf0\xff\x03", 3), X86_EXEC_OK); /* lock inc dword */
    assert_int_equal(f.mem[0x3000], 10);
    assert_int_equal(fx_run(&f, CODE, "\x87\x0b", 2), X86_EXEC_OK); /* xchg [rbx], ecx */
    assert_int_equal(f.cpu.s.gpr[X86_RCX], 10);
    assert_int_equal(f.mem[0x3000], 9);
    /* a misaligned locked access (split lock) is a plain read-modify-write
     * even when mem_ptr exists */
    f.cpu.ops = saved;
    f.cpu.s.gpr[X86_RBX] = 0x3ffe;
    memcpy(f.mem + 0x3ffe, "\xff\xff\x00\x00", 4);
    assert_int_equal(fx_run(&f, CODE, "\xf0\xff\x03", 3), X86_EXEC_OK);
    assert_memory_equal(f.mem + 0x3ffe, "\x00\x00\x01\x00", 4);
    fx_fini(&f);
}

/* Faults leave no trace: a push that faults keeps RSP, a POP into memory
 * that faults restores RSP, CALL to a bad target pushes nothing. */
static void test_fault_atomicity(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    f.hole_lo = 0x5000;
    f.hole_hi = 0x6000;
    f.cpu.s.gpr[X86_RSP] = 0x6004;
    assert_int_equal(fx_run(&f, CODE, "\x50", 1), X86_EXEC_EXCEPTION); /* push at 0x5ffc */
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0x6004);
    f.cpu.s.gpr[X86_RSP] = 0x7000;
    f.cpu.s.gpr[X86_RBX] = 0x5000;
    assert_int_equal(fx_run(&f, CODE, "\x8f\x03", 2), X86_EXEC_EXCEPTION); /* pop [rbx] */
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0x7000);
    f.cpu.s.gpr[X86_RAX] = 0x8000000000000000ull;
    assert_int_equal(fx_run(&f, CODE, "\xff\xd0", 2), X86_EXEC_EXCEPTION); /* call rax */
    assert_int_equal(f.cpu.s.gpr[X86_RSP], 0x7000);
    assert_int_equal(f.cpu.s.rip, CODE);
    /* a faulting ADD to memory keeps the flags */
    x86_set_rflags(&f.cpu, X86_FLAG_CF | X86_FLAG_ZF);
    assert_int_equal(fx_run(&f, CODE, "\x01\x03", 2), X86_EXEC_EXCEPTION);
    assert_int_equal(x86_get_rflags(&f.cpu) & X86_FLAGS_ARITH, X86_FLAG_CF | X86_FLAG_ZF);
    fx_fini(&f);
}

/* The software TLB: hits bypass the callbacks, permissions are per access
 * kind and privilege, flushes work, page-crossing accesses use callbacks. */
static void test_tlb(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    static uint8_t page[4096] __attribute__((aligned(4096)));
    memset(page, 0, sizeof(page));
    /* linear page 0x40000 maps to `page`, supervisor read only */
    x86_tlb_fill(&f.cpu, 0x40123, page, X86_TLB_R);
    page[0x10] = 0x99;
    f.cpu.s.gpr[X86_RBX] = 0x40010;
    f.mem_calls = 0;
    assert_int_equal(fx_run(&f, CODE, "\x8a\x03", 2), X86_EXEC_OK); /* mov al,[rbx]: a hit */
    assert_int_equal(f.cpu.s.gpr[X86_RAX] & 0xff, 0x99);
    unsigned fetches = f.mem_calls; /* instruction fetches went to the callback */
    /* a write needs X86_TLB_W: it goes to the callback (the fixture memory) */
    assert_int_equal(fx_run(&f, CODE, "\x88\x03", 2), X86_EXEC_OK); /* mov [rbx],al */
    assert_int_equal(f.mem_calls, fetches + 2);
    assert_int_equal(f.mem[0x40010], 0x99);
    assert_int_equal(page[0x10], 0x99);
    /* CPL 3 needs X86_TLB_UR: the read goes to the fixture memory (0) */
    fx_set_cpl(&f, 3);
    f.mem[0x40010] = 0x42;
    assert_int_equal(fx_run(&f, CODE, "\x8a\x03", 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX] & 0xff, 0x42);
    fx_set_cpl(&f, 0);
    /* an access crossing out of the page never uses the entry */
    x86_tlb_fill(&f.cpu, 0x40000, page, X86_TLB_R | X86_TLB_W);
    memset(page + 0xffe, 0x77, 2);
    memcpy(f.mem + 0x40ffe, "\x11\x22\x33\x44", 4);
    f.cpu.s.gpr[X86_RBX] = 0x40ffe;
    assert_int_equal(fx_run(&f, CODE, "\x8b\x03", 2), X86_EXEC_OK); /* mov eax,[rbx] */
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0x44332211); /* the fixture's bytes */
    /* flushing one page, then all */
    f.cpu.s.gpr[X86_RBX] = 0x40010;
    x86_tlb_flush_page(&f.cpu, 0x40fff);
    assert_int_equal(fx_run(&f, CODE, "\x8a\x03", 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX] & 0xff, 0x42);
    x86_tlb_fill(&f.cpu, 0x40000, page, X86_TLB_R);
    x86_tlb_flush(&f.cpu);
    assert_int_equal(fx_run(&f, CODE, "\x8a\x03", 2), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.gpr[X86_RAX] & 0xff, 0x42);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_services),
        cmocka_unit_test(test_missing_callbacks),
        cmocka_unit_test(test_hlt_and_interrupt_flag),
        cmocka_unit_test(test_popf_privilege),
        cmocka_unit_test(test_vm86_flags),
        cmocka_unit_test(test_port_io),
        cmocka_unit_test(test_lock_without_pointer),
        cmocka_unit_test(test_fault_atomicity),
        cmocka_unit_test(test_tlb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
