#include "desc.h"

#include "mem.h"

/* Segment descriptors (SDM Vol. 3A 3.4.5): flat, limit 0xfffff pages. The
 * 64-bit code segments set L and clear D; data segments are writable. */
#define SEG_KERNEL_CODE64 0x00af9a000000ffffull
#define SEG_KERNEL_DATA 0x00cf92000000ffffull
#define SEG_USER_CODE32 0x00cffa000000ffffull
#define SEG_USER_DATA 0x00cff2000000ffffull
#define SEG_USER_CODE64 0x00affa000000ffffull
#define SYS_TSS64_AVAILABLE 0x9ull
#define SEG_PRESENT (1ull << 47)

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static uint64_t gdt[(DESC_GDT_LIMIT + 1) / 8] __attribute__((aligned(16)));
static struct desc_tss tss __attribute__((aligned(16)));

/* A 16-byte system descriptor for the TSS (SDM Vol. 3A 9.2.3, figure
 * "Format of TSS and LDT Descriptors in 64-bit Mode"). */
static void gdt_set_tss(unsigned index, uint64_t base, uint32_t limit)
{
    gdt[index] = (limit & 0xffffull) | (base & 0xffffffull) << 16 | SYS_TSS64_AVAILABLE << 40 |
                 SEG_PRESENT | (uint64_t)(limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
    gdt[index + 1] = base >> 32;
}

void desc_init(void)
{
    gdt[0] = 0;
    gdt[DESC_KERNEL_CS / 8] = SEG_KERNEL_CODE64;
    gdt[DESC_KERNEL_DS / 8] = SEG_KERNEL_DATA;
    gdt[DESC_USER_CS32 / 8] = SEG_USER_CODE32;
    gdt[DESC_USER_DS / 8] = SEG_USER_DATA;
    gdt[DESC_USER_CS / 8] = SEG_USER_CODE64;
    memset(&tss, 0, sizeof(tss));
    tss.iomap_base = sizeof(tss); /* beyond the limit: no I/O bitmap */
    gdt_set_tss(DESC_TSS / 8, (uint64_t)(uintptr_t)&tss, sizeof(tss) - 1);

    struct gdt_ptr p = { DESC_GDT_LIMIT, (uint64_t)(uintptr_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%ss\n\t"
                     "mov %3, %%fs\n\t"
                     "mov %3, %%gs\n\t"
                     "ltr %4"
                     :
                     : "m"(p), "i"(DESC_KERNEL_CS), "r"((uint16_t)DESC_KERNEL_DS),
                       "r"((uint16_t)0), "r"((uint16_t)DESC_TSS)
                     : "rax", "memory");
}

struct desc_tss *desc_tss(void) { return &tss; }
