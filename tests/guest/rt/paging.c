#include "paging.h"

#include "cpu.h"

#define ENTRIES 512
#define IDENTITY_GIB 4
#define TABLE_FLAGS (PTE_P | PTE_W)

typedef uint64_t table[ENTRIES] __attribute__((aligned(4096)));

/* Single-CPU guest: the tables are the paging module's own state. */
static struct {
    table pml4;
    table pdpt_identity;
    table pd_identity[IDENTITY_GIB];
    table pdpt_test, pd_test, pt_test;
    table pdpt_high;
    bool user;
} pg;

static uint64_t index_at(uint64_t va, unsigned level)
{
    return va >> (12 + 9 * (level - 1)) & (ENTRIES - 1);
}

void paging_init(bool user)
{
    uint64_t u = user ? PTE_U : 0;
    pg.user = user;
    for (unsigned g = 0; g < IDENTITY_GIB; g++) {
        for (unsigned i = 0; i < ENTRIES; i++)
            pg.pd_identity[g][i] = ((uint64_t)g * PAGE_1G + i * PAGE_2M) | TABLE_FLAGS | PTE_PS | u;
        pg.pdpt_identity[g] = paging_pa(pg.pd_identity[g]) | TABLE_FLAGS | u;
    }
    pg.pml4[0] = paging_pa(pg.pdpt_identity) | TABLE_FLAGS | u;
    pg.pml4[index_at(PAGING_TEST_VA, 4)] = paging_pa(pg.pdpt_test) | TABLE_FLAGS | u;
    pg.pdpt_test[index_at(PAGING_TEST_VA, 3)] = paging_pa(pg.pd_test) | TABLE_FLAGS | u;
    pg.pd_test[index_at(PAGING_TEST_VA, 2)] = paging_pa(pg.pt_test) | TABLE_FLAGS | u;
    cpu_write_cr3(paging_pa(pg.pml4));
}

void paging_map_high(void)
{
    pg.pdpt_high[index_at(PAGING_HIGH_VA, 3)] = paging_pa(pg.pd_identity[0]) | TABLE_FLAGS;
    pg.pml4[index_at(PAGING_HIGH_VA, 4)] = paging_pa(pg.pdpt_high) | TABLE_FLAGS;
    cpu_flush_tlb();
}

volatile uint64_t *paging_entry(uint64_t va, unsigned level)
{
    if (level < 1 || level > 4)
        return 0;
    uint64_t *t = (uint64_t *)(uintptr_t)(cpu_read_cr3() & PTE_ADDR);
    for (unsigned l = 4; l > level; l--) {
        uint64_t e = t[index_at(va, l)];
        if (!(e & PTE_P) || (l < 4 && (e & PTE_PS)))
            return 0;
        t = (uint64_t *)(uintptr_t)(e & PTE_ADDR);
    }
    return &t[index_at(va, level)];
}

bool paging_map_4k(uint64_t va, uint64_t pa, uint64_t flags)
{
    if (va < PAGING_TEST_VA || va >= PAGING_TEST_VA + PAGE_2M)
        return false;
    pg.pt_test[index_at(va, 1)] = (pa & PTE_ADDR) | flags;
    cpu_invlpg(va);
    return true;
}
