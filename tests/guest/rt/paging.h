/* The guest's own 4-level page tables (SDM Vol. 3A 5.5 "4-Level Paging and
 * 5-Level Paging"):
 *   - 0-4 GiB identity-mapped with 2 MiB pages (RAM, then the APICs);
 *   - a test area at PAGING_TEST_VA: its first 2 MiB through a 4 KiB page
 *     table whose entries start out not present, the next 2 MiB slot and the
 *     next 1 GiB slot free for large-page checks;
 *   - optionally the first GiB again at PAGING_HIGH_VA (the top 2 GiB of the
 *     address space, where 64-bit kernels live), supervisor-only. */
#ifndef VMON_GUEST_RT_PAGING_H
#define VMON_GUEST_RT_PAGING_H

#include <stdbool.h>
#include <stdint.h>

/* Page-table entry bits */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define PAGE_SIZE 4096ull
#define PAGE_2M (1ull << 21)
#define PAGE_1G (1ull << 30)

#define PAGING_TEST_VA 0x8000000000ull       /* PML4 slot 1 (512 GiB) */
#define PAGING_TEST_2M (PAGING_TEST_VA + PAGE_2M)
#define PAGING_TEST_1G (PAGING_TEST_VA + PAGE_1G)
#define PAGING_HIGH_VA 0xffffffff80000000ull /* PML4 511, PDPT 510 */

/* Builds the tables (once; they start zeroed in .bss) and loads CR3. user: whether the identity map and the
 * test area's upper levels allow user-mode access (leaf entries of the test
 * area decide per page). */
void paging_init(bool user);

/* Maps the first GiB of physical memory at PAGING_HIGH_VA as well. */
void paging_map_high(void);

/* The entry that maps va at level (4 PML4E, 3 PDPTE, 2 PDE, 1 PTE), walking
 * the live tables from CR3; NULL when a level above is not present or is a
 * large page. */
volatile uint64_t *paging_entry(uint64_t va, unsigned level);

/* Sets the 4 KiB PTE for va in the test area's first 2 MiB (pa | flags)
 * and invalidates its TLB entry. Returns false when va is outside it. */
bool paging_map_4k(uint64_t va, uint64_t pa, uint64_t flags);

/* Guest-physical address of a kernel-image object (the image is identity
 * mapped, so this is a cast). */
static inline uint64_t paging_pa(const void *p) { return (uint64_t)(uintptr_t)p; }

#endif
