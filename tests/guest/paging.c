/* Test guest "paging": 4-level paging with 4 KiB, 2 MiB and 1 GiB pages,
 * accessed and dirty bits, CR0.WP, reserved bits, INVLPG and CR3 reloads
 * making a changed mapping visible, aliases, self-modifying code and code
 * reached through two virtual addresses. Only architecturally defined
 * behaviour: nothing relies on a stale TLB entry. */
#include <stdbool.h>
#include <stdint.h>

#include "rt/cpu.h"
#include "rt/desc.h"
#include "rt/mem.h"
#include "rt/paging.h"
#include "rt/probe.h"
#include "rt/report.h"
#include "rt/start.h"
#include "rt/trap.h"

uint32_t smc_next(uint32_t v);

/* 2 MiB-aligned free RAM for the large page (the guest image is at 1 MiB
 * and vmon's RAM is at least 16 MiB here). */
#define LARGE_PHYS 0x800000ull
#define CPUID_EXT_1GB_PAGES (1u << 26) /* CPUID.80000001H:EDX[26] */
#define PTE_RSVD51 (1ull << 51)         /* reserved below any MAXPHYADDR < 52 */

/* Virtual pages of the test area's 4 KiB part */
#define VA(n) (PAGING_TEST_VA + (n) * PAGE_SIZE)

static uint8_t frames[4][PAGE_SIZE] __attribute__((aligned(4096)));

static uint64_t read64(uint64_t va) { return *(volatile uint64_t *)(uintptr_t)va; }
static void write64(uint64_t va, uint64_t v) { *(volatile uint64_t *)(uintptr_t)va = v; }
/* Frames are read and written through volatile pointers: the compiler
 * cannot know that a test-area address aliases them. */
static volatile uint64_t *frame64(unsigned n, unsigned off)
{
    return (volatile uint64_t *)(void *)&frames[n][off];
}

static void check_page_sizes(void)
{
    paging_map_4k(VA(1), paging_pa(frames[0]), PTE_P | PTE_W);
    write64(VA(1) + 0x18, 0x4444);
    report_check(*frame64(0, 0x18) == 0x4444, "4 KiB page: write through it lands in its frame");

    volatile uint64_t *pde = paging_entry(PAGING_TEST_2M, 2);
    *pde = LARGE_PHYS | PTE_P | PTE_W | PTE_PS;
    cpu_invlpg(PAGING_TEST_2M);
    cpu_invlpg(PAGING_TEST_2M + 0x1ff000);
    *(volatile uint64_t *)(uintptr_t)(LARGE_PHYS + 0x1ff008) = 0x2222;
    write64(PAGING_TEST_2M + 0x1234, 0x2323);
    report_check(read64(PAGING_TEST_2M + 0x1ff008) == 0x2222 &&
                     *(volatile uint64_t *)(uintptr_t)(LARGE_PHYS + 0x1234) == 0x2323,
                 "2 MiB page: both ends map onto the 2 MiB frame");

    /* 1 GiB pages are optional (vmon's software CPU has them, KVM may not):
     * the check runs when CPUID advertises them, the line reads the same. */
    uint32_t r[4];
    cpu_cpuid(0x80000001, 0, r);
    bool ok = true;
    if (r[3] & CPUID_EXT_1GB_PAGES) {
        volatile uint64_t *pdpte = paging_entry(PAGING_TEST_1G, 3);
        *pdpte = 0 | PTE_P | PTE_W | PTE_PS;
        cpu_flush_tlb();
        *frame64(1, 0x20) = 0x1111;
        ok = read64(PAGING_TEST_1G + paging_pa(frames[1]) + 0x20) == 0x1111 &&
             read64(PAGING_TEST_1G + LARGE_PHYS + 0x1ff008) == 0x2222;
    }
    report_check(ok, "1 GiB page, where CPUID advertises it: maps its first GiB");
}

/* Clears A and D at every level that maps va and flushes the TLB and the
 * paging-structure caches, so the next access walks the tables again. */
static void clear_accessed(uint64_t va, unsigned leaf_level)
{
    for (unsigned l = 4; l >= leaf_level; l--)
        *paging_entry(va, l) &= ~(PTE_A | PTE_D);
    cpu_flush_tlb();
}

static unsigned bit(volatile uint64_t *e, uint64_t b) { return (*e & b) != 0; }

static void check_accessed_dirty(void)
{
    uint64_t va = VA(2);
    paging_map_4k(va, paging_pa(frames[1]), PTE_P | PTE_W);
    clear_accessed(va, 1);
    (void)read64(va);
    volatile uint64_t *e4 = paging_entry(va, 4), *e3 = paging_entry(va, 3);
    volatile uint64_t *e2 = paging_entry(va, 2), *e1 = paging_entry(va, 1);
    unsigned a4 = bit(e4, PTE_A), a3 = bit(e3, PTE_A), a2 = bit(e2, PTE_A), a1 = bit(e1, PTE_A);
    unsigned d1 = bit(e1, PTE_D);
    write64(va, 1);
    unsigned d1w = bit(e1, PTE_D);
    report_check(a4 && a3 && a2 && a1 && !d1 && d1w,
                 "4 KiB page: after a read PML4E.A=%u PDPTE.A=%u PDE.A=%u PTE.A=%u PTE.D=%u, "
                 "after a write PTE.D=%u", a4, a3, a2, a1, d1, d1w);

    va = PAGING_TEST_2M;
    clear_accessed(va, 2);
    (void)read64(va + 0x3000);
    e2 = paging_entry(va, 2);
    unsigned la = bit(e2, PTE_A), ld = bit(e2, PTE_D);
    write64(va + 0x3000, 1);
    unsigned ldw = bit(e2, PTE_D);
    report_check(la && !ld && ldw, "2 MiB page: after a read PDE.A=%u PDE.D=%u, after a write "
                 "PDE.D=%u", la, ld, ldw);
}

static void check_write_protect(void)
{
    uint64_t va = VA(3);
    paging_map_4k(va, paging_pa(frames[2]), PTE_P);
    cpu_write_cr0(cpu_read_cr0() & ~CR0_WP);
    struct trap_record t = probe_write_trap(va, 0x5a5a);
    report_check(t.count == 0 && *frame64(2, 0) == 0x5a5a,
                 "CR0.WP=0: supervisor write to a read-only page: %u exceptions", t.count);
    cpu_write_cr0(cpu_read_cr0() | CR0_WP);
    t = probe_write_trap(va, 0x6b6b);
    report_check(t.count == 1 && t.vector == VEC_PF && t.error == (PF_P | PF_W) &&
                     *frame64(2, 0) == 0x5a5a,
                 "CR0.WP=1: the same write: vector %lu, error 0x%lx", t.vector, t.error);
}

static void check_reserved_bit(void)
{
    uint64_t va = VA(4);
    paging_map_4k(va, paging_pa(frames[2]) | PTE_RSVD51, PTE_P | PTE_W);
    struct trap_record t = probe_read_trap(va + 8);
    report_check(t.count == 1 && t.vector == VEC_PF && t.error == (PF_P | PF_RSVD) &&
                     t.cr2 == va + 8,
                 "reserved bit 51 set in a PTE: vector %lu, error 0x%lx", t.vector, t.error);
    paging_map_4k(va, 0, 0);
}

/* Remapping a page: INVLPG, or a CR3 reload, makes the new frame visible. */
static void check_remap(void)
{
    uint64_t va = VA(5);
    *frame64(0, 0x40) = 0xa0;
    *frame64(1, 0x40) = 0xb1;
    *frame64(2, 0x40) = 0xc2;
    paging_map_4k(va, paging_pa(frames[0]), PTE_P | PTE_W);
    uint64_t before = read64(va + 0x40);
    *paging_entry(va, 1) = paging_pa(frames[1]) | PTE_P | PTE_W;
    cpu_invlpg(va);
    uint64_t after = read64(va + 0x40);
    report_check(before == 0xa0 && after == 0xb1,
                 "PTE changed, then INVLPG: read 0x%lx before, 0x%lx after", before, after);
    *paging_entry(va, 1) = paging_pa(frames[2]) | PTE_P | PTE_W;
    cpu_flush_tlb();
    after = read64(va + 0x40);
    report_check(after == 0xc2, "PTE changed, then CR3 reload: read 0x%lx", after);
}

static void check_alias(void)
{
    uint64_t a = VA(6), b = VA(7);
    paging_map_4k(a, paging_pa(frames[3]), PTE_P | PTE_W);
    paging_map_4k(b, paging_pa(frames[3]), PTE_P | PTE_W);
    write64(a + 0x100, 0x1234);
    uint64_t via_b = read64(b + 0x100);
    write64(b + 0x108, 0x5678);
    uint64_t via_a = read64(a + 0x108);
    report_check(via_b == 0x1234 && via_a == 0x5678,
                 "two pages on one frame see each other's writes: 0x%lx 0x%lx", via_b, via_a);
}

/* mov $imm32, %eax; ret */
static void put_mov_eax_ret(uint8_t *p, uint32_t imm)
{
    const uint8_t code[] = { 0xb8, (uint8_t)imm, (uint8_t)(imm >> 8), (uint8_t)(imm >> 16),
                             (uint8_t)(imm >> 24), 0xc3 };
    memcpy(p, code, sizeof(code));
}

typedef uint64_t (*code_fn)(void);

static void check_self_modifying_code(void)
{
    uint64_t x = VA(8), data = VA(9);
    paging_map_4k(x, paging_pa(frames[0]), PTE_P | PTE_W);
    paging_map_4k(data, paging_pa(frames[0]), PTE_P | PTE_W);
    put_mov_eax_ret((uint8_t *)(uintptr_t)x, 1);
    uint64_t first = ((code_fn)x)();
    put_mov_eax_ret((uint8_t *)(uintptr_t)x, 2);
    uint64_t second = ((code_fn)x)();
    report_check(first == 1 && second == 2,
                 "code rewritten after it ran, same address: returns %lu then %lu", first, second);
    put_mov_eax_ret((uint8_t *)(uintptr_t)data, 3);
    uint64_t third = ((code_fn)x)();
    report_check(third == 3, "code rewritten through a data alias: returns %lu", third);
    uint32_t n1 = smc_next(5), n2 = smc_next(7);
    report_check(n1 == 5 && n2 == 7, "store into the next instruction: executes %u then %u", n1,
                 n2);
}

/* lea 0(%rip), %rax; ret: returns the address after the LEA. */
static const uint8_t code_where[] = { 0x48, 0x8d, 0x05, 0x00, 0x00, 0x00, 0x00, 0xc3 };
#define CODE_WHERE_LEA_LENGTH 7

static void check_code_alias(void)
{
    uint64_t a = VA(10), b = VA(11);
    memcpy(frames[1], code_where, sizeof(code_where));
    paging_map_4k(a, paging_pa(frames[1]), PTE_P);
    paging_map_4k(b, paging_pa(frames[1]), PTE_P);
    uint64_t ra = ((code_fn)a)(), rb = ((code_fn)b)();
    report_check(ra == a + CODE_WHERE_LEA_LENGTH && rb == b + CODE_WHERE_LEA_LENGTH,
                 "one code frame at two addresses: runs at page+0x%lx and page+0x%lx",
                 ra - a, rb - b);
}

void guest_main(uint64_t zero_page)
{
    (void)zero_page;
    report_begin("paging");
    desc_init();
    trap_init();
    paging_init(false);
    check_page_sizes();
    check_accessed_dirty();
    check_write_protect();
    check_reserved_bit();
    check_remap();
    check_alias();
    check_self_modifying_code();
    check_code_alias();
    report_finish();
}
