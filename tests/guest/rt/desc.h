/* The guest's GDT and 64-bit TSS: kernel and user segments laid out for
 * SYSCALL/SYSRET, a TSS with RSP0 and IST stacks. */
#ifndef VMON_GUEST_RT_DESC_H
#define VMON_GUEST_RT_DESC_H

/* Selectors, shared with the assembly sources. SYSCALL loads CS =
 * STAR[47:32] and SS = CS + 8; 64-bit SYSRET loads CS = STAR[63:48] + 16 and
 * SS = STAR[63:48] + 8, both with RPL 3 (SDM Vol. 2B, SYSCALL and SYSRET). */
#define DESC_KERNEL_CS 0x08
#define DESC_KERNEL_DS 0x10
#define DESC_USER_CS32 0x18 /* SYSRET's base; never loaded */
#define DESC_USER_DS 0x20
#define DESC_USER_CS 0x28
#define DESC_TSS 0x30       /* 16 bytes */
#define DESC_GDT_LIMIT 0x3f

#ifndef __ASSEMBLER__
#include <stdint.h>

#define DESC_STAR ((uint64_t)DESC_USER_CS32 << 48 | (uint64_t)DESC_KERNEL_CS << 32)

/* 64-bit TSS (SDM Vol. 3A 9.7, figure "64-Bit TSS Format") */
struct desc_tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];  /* ist[0] is IST1 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

/* Loads the GDT (reloading CS, DS, ES, SS; FS and GS null) and the TSS
 * (no I/O permission bitmap). */
void desc_init(void);

/* The live TSS, to set RSP0 and the IST stacks. */
struct desc_tss *desc_tss(void);

#endif /* __ASSEMBLER__ */
#endif
