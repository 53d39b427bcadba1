/* Test guest "exceptions": installs a 64-bit IDT and raises one exception
 * at a time at CPL 0, checking the vector, the error code, the saved RIP
 * (relative to the faulting instruction's label), CR2 for page faults, and
 * that execution resumes after the faulting instruction. */
#include <stdbool.h>
#include <stdint.h>

#include "rt/cpu.h"
#include "rt/desc.h"
#include "rt/mem.h"
#include "rt/paging.h"
#include "rt/probe.h"
#include "rt/report.h"
#include "rt/site.h"
#include "rt/start.h"
#include "rt/trap.h"

SITE_DECLARE(div0);
SITE_DECLARE(idiv_overflow);
SITE_DECLARE(ud2_site);
SITE_DECLARE(lock_reg);
SITE_DECLARE(undefined_0f04);
SITE_DECLARE(noncanonical_read);
SITE_DECLARE(wrmsr_bad);
SITE_DECLARE(ss_beyond_gdt);
SITE_DECLARE(ss_null);
SITE_DECLARE(stack_noncanonical);
SITE_DECLARE(int3_site);
SITE_DECLARE(sse_move);

#define NO_ERROR UINT64_MAX /* the exception pushes no error code */
#define BEYOND_GDT 0x1000   /* exceptions_sites.S */

/* 4 KiB pages of the test area (rt/paging.h) */
#define VA_ABSENT (PAGING_TEST_VA + 0x1000)
#define VA_READONLY (PAGING_TEST_VA + 0x2000)
#define VA_NOEXEC (PAGING_TEST_VA + 0x3000)

/* mov $0x5a, %eax; ret */
static const uint8_t code_ret_5a[] = { 0xb8, 0x5a, 0x00, 0x00, 0x00, 0xc3 };

static uint8_t area[3][PAGE_SIZE] __attribute__((aligned(4096)));

struct fault_check {
    const char *what;
    uint64_t vector, error; /* error: NO_ERROR when none is pushed */
    const char *fault;      /* label of the faulting instruction */
    uint64_t rip_offset;    /* saved RIP - fault: 0 for faults, the length for traps */
};

/* Runs a site and checks what it raised: exactly one exception, with the
 * expected vector, error code and RIP (printed relative to the label). */
static void check_site(void (*site)(void), const char *resume, const struct fault_check *c)
{
    struct trap_record t = site_run(site, resume);
    if (t.count != 1) {
        report_check(false, "%s: no exception", c->what);
        return;
    }
    long rip = (long)(t.rip - (uint64_t)(uintptr_t)c->fault);
    bool ok = t.vector == c->vector && (c->error == NO_ERROR || t.error == c->error) &&
              rip == (long)c->rip_offset;
    if (c->error == NO_ERROR)
        report_check(ok, "%s: vector %lu, rip fault+%ld", c->what, t.vector, rip);
    else
        report_check(ok, "%s: vector %lu, error 0x%lx, rip fault+%ld", c->what, t.vector,
                     t.error, rip);
}

static void check_divide_errors(void)
{
    check_site(div0, div0_resume,
               &(struct fault_check){ "#DE: DIV by zero", VEC_DE, NO_ERROR, div0_fault, 0 });
    check_site(idiv_overflow, idiv_overflow_resume,
               &(struct fault_check){ "#DE: IDIV INT64_MIN / -1", VEC_DE, NO_ERROR,
                                      idiv_overflow_fault, 0 });
}

static void check_invalid_opcodes(void)
{
    check_site(ud2_site, ud2_site_resume,
               &(struct fault_check){ "#UD: UD2", VEC_UD, NO_ERROR, ud2_site_fault, 0 });
    check_site(lock_reg, lock_reg_resume,
               &(struct fault_check){ "#UD: LOCK ADD to a register", VEC_UD, NO_ERROR,
                                      lock_reg_fault, 0 });
    check_site(undefined_0f04, undefined_0f04_resume,
               &(struct fault_check){ "#UD: undefined opcode 0F 04", VEC_UD, NO_ERROR,
                                      undefined_0f04_fault, 0 });
}

static void check_protection_faults(void)
{
    check_site(noncanonical_read, noncanonical_read_resume,
               &(struct fault_check){ "#GP: read at a non-canonical address", VEC_GP, 0,
                                      noncanonical_read_fault, 0 });
    check_site(wrmsr_bad, wrmsr_bad_resume,
               &(struct fault_check){ "#GP: WRMSR to MSR 0xdeadbeef", VEC_GP, 0,
                                      wrmsr_bad_fault, 0 });
    check_site(ss_beyond_gdt, ss_beyond_gdt_resume,
               &(struct fault_check){ "#GP: MOV SS with selector 0x1000 beyond the GDT limit",
                                      VEC_GP, BEYOND_GDT, ss_beyond_gdt_fault, 0 });
    struct trap_record t = site_run(ss_null, ss_null_resume);
    report_check(t.count == 0, "MOV SS with the null selector at CPL 0: %u exceptions", t.count);
    check_site(stack_noncanonical, stack_noncanonical_resume,
               &(struct fault_check){ "#SS: RSP-based access at a non-canonical address",
                                      VEC_SS, 0, stack_noncanonical_fault, 0 });
}

enum access { ACCESS_READ, ACCESS_WRITE, ACCESS_FETCH };

/* One page-fault check: vector 14, the error code, CR2 = the address and
 * the saved RIP at the accessing instruction (at the target for a fetch). */
static void check_page_fault(const char *what, enum access acc, uint64_t va, uint64_t error)
{
    struct trap_record t;
    const char *fault;
    switch (acc) {
    case ACCESS_READ:
        t = probe_read_trap(va);
        fault = probe_read_fault;
        break;
    case ACCESS_WRITE:
        t = probe_write_trap(va, 0x5a);
        fault = probe_write_fault;
        break;
    default:
        t = probe_jump_trap(va);
        fault = (const char *)(uintptr_t)va;
        break;
    }
    if (t.count != 1) {
        report_check(false, "%s: no exception", what);
        return;
    }
    bool ok = t.vector == VEC_PF && t.error == error && t.cr2 == va &&
              t.rip == (uint64_t)(uintptr_t)fault;
    if (acc == ACCESS_FETCH)
        report_check(ok, "%s: vector %lu, error 0x%lx, cr2 0x%lx, rip %s", what, t.vector,
                     t.error, t.cr2, t.rip == t.cr2 ? "= cr2" : "!= cr2");
    else
        report_check(ok, "%s: vector %lu, error 0x%lx, cr2 0x%lx, rip fault+%ld", what,
                     t.vector, t.error, t.cr2, (long)(t.rip - (uint64_t)(uintptr_t)fault));
}

static void check_page_faults(void)
{
    cpu_write_cr0(cpu_read_cr0() | CR0_WP);
    cpu_wrmsr(MSR_EFER, cpu_rdmsr(MSR_EFER) | EFER_NXE);
    memcpy(area[2], code_ret_5a, sizeof(code_ret_5a));
    paging_map_4k(VA_ABSENT, paging_pa(area[0]), 0);
    paging_map_4k(VA_READONLY, paging_pa(area[1]), PTE_P);
    paging_map_4k(VA_NOEXEC, paging_pa(area[2]), PTE_P | PTE_NX);

    check_page_fault("#PF: read of a not-present page", ACCESS_READ, VA_ABSENT + 0x10, 0);
    check_page_fault("#PF: write to a not-present page", ACCESS_WRITE, VA_ABSENT + 0x18, PF_W);
    check_page_fault("#PF: write to a read-only page with CR0.WP=1", ACCESS_WRITE,
                     VA_READONLY + 0x20, PF_P | PF_W);
    check_page_fault("#PF: fetch from an NX page with EFER.NXE=1", ACCESS_FETCH, VA_NOEXEC,
                     PF_P | PF_I);

    /* The same pages once their PTEs allow the access. */
    paging_map_4k(VA_READONLY, paging_pa(area[1]), PTE_P | PTE_W);
    paging_map_4k(VA_NOEXEC, paging_pa(area[2]), PTE_P);
    struct trap_record t = probe_write_trap(VA_READONLY + 0x20, 0x5a);
    report_check(t.count == 0 && area[1][0x20] == 0x5a,
                 "write after the PTE became writable: %u exceptions", t.count);
    trap_expect(0);
    uint64_t r = ((uint64_t(*)(void))VA_NOEXEC)();
    t = trap_result();
    report_check(t.count == 0 && r == 0x5a, "fetch after NX was cleared: %u exceptions, 0x%lx",
                 t.count, r);
}

static void check_breakpoint(void)
{
    check_site(int3_site, int3_site_resume,
               &(struct fault_check){ "#BP: INT3 (a trap: RIP after it)", VEC_BP, NO_ERROR,
                                      int3_site_fault, 1 });
}

static void check_device_not_available(void)
{
    cpu_write_cr4(cpu_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    cpu_write_cr0(cpu_read_cr0() | CR0_TS);
    check_site(sse_move, sse_move_resume,
               &(struct fault_check){ "#NM: SSE instruction with CR0.TS=1", VEC_NM, NO_ERROR,
                                      sse_move_fault, 0 });
    __asm__ volatile("clts");
    struct trap_record t = site_run(sse_move, sse_move_resume);
    report_check(t.count == 0, "SSE instruction after CLTS: %u exceptions", t.count);
}

void guest_main(uint64_t zero_page)
{
    (void)zero_page;
    report_begin("exceptions");
    desc_init();
    trap_init();
    paging_init(false);
    check_divide_errors();
    check_invalid_opcodes();
    check_protection_faults();
    check_page_faults();
    check_breakpoint();
    check_device_not_available();
    report_finish();
}
