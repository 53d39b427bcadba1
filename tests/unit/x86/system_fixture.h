/* A little machine for the system-instruction tests: flat guest RAM with
 * descriptor tables, a TSS and page tables built by the test, callbacks
 * that translate through x86_walk(), fake MSR/CPUID services, and helpers
 * to put the CPU into real, protected or 64-bit mode and run instruction
 * bytes through x86_emulate_one().
 *
 * Physical layout (identity-mapped when paging is on, 2 MiB user pages):
 *   0x00000 IVT           0x01000 GDT          0x02000 IDT
 *   0x03000 TSS           0x04000 PML4/PDPT/PD 0x08000 LDT
 *   0x10000 code          0x20000 kernel stack top
 *   0x30000 user stack top 0x40000 IST1 stack top  0x50000 data
 * RAM ends at SYSFIX_RAM; accesses beyond it read 0xff and drop writes. */
#ifndef VMON_TESTS_X86_SYSTEM_FIXTURE_H
#define VMON_TESTS_X86_SYSTEM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/emu.h"

#define SYSFIX_RAM 0x200000u
#define SYSFIX_GDT 0x1000u
#define SYSFIX_IDT 0x2000u
#define SYSFIX_TSS 0x3000u
#define SYSFIX_PML4 0x4000u
#define SYSFIX_LDT 0x8000u
#define SYSFIX_CODE 0x10000u
#define SYSFIX_KSTACK 0x20000u
#define SYSFIX_USTACK 0x30000u
#define SYSFIX_IST1 0x40000u
#define SYSFIX_DATA 0x50000u

/* GDT selectors (the 64-bit ones match Linux, so STAR = 0x0023001000000000
 * works as it does there). */
#define SEL_KCODE32 0x08
#define SEL_KCODE64 0x10
#define SEL_KDATA 0x18
#define SEL_UCODE32 0x23
#define SEL_UDATA 0x2b
#define SEL_UCODE64 0x33
#define SEL_TSS 0x40     /* 16 bytes in long mode */
#define SEL_LDT 0x50     /* 16 bytes in long mode */
#define SEL_FREE 0x60    /* first slot a test may fill */

/* Descriptor flag bits for sysfix_desc(). */
#define DF_L (1u << 0)
#define DF_DB (1u << 1)
#define DF_G (1u << 2)
#define DF_NP (1u << 3)   /* not present */
#define DF_SYS (1u << 4)  /* system descriptor (S = 0) */

struct sysfix {
    struct x86_cpu cpu;
    uint8_t *mem;
    /* callback observations */
    unsigned flush_all, flush_global, flush_page;
    uint64_t last_flush_la;
    unsigned cpuid_calls;
    uint32_t last_cpuid_leaf, last_cpuid_sub;
    uint32_t msr_reject;      /* the wrmsr/rdmsr callbacks refuse this MSR */
    uint32_t msr_defer;       /* ... and leave this one to someone else (UNSUPPORTED) */
    uint64_t msr_store[4];    /* MSRs 0x1000-0x1003 live here */
};

void sysfix_init(struct sysfix *f);
void sysfix_fini(struct sysfix *f);

/* An 8-byte code/data/system descriptor (type is the 4-bit type field). */
uint64_t sysfix_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags);

void sysfix_gdt(struct sysfix *f, uint16_t sel, uint64_t desc);
/* A 16-byte system descriptor (IA-32e TSS/LDT/call gate) at sel. */
void sysfix_gdt16(struct sysfix *f, uint16_t sel, uint64_t base, uint32_t limit, unsigned type,
                  unsigned dpl);
/* Gates: legacy 8-byte (IDT or GDT) and IA-32e 16-byte. */
uint64_t sysfix_gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl, unsigned params);
void sysfix_idt32(struct sysfix *f, unsigned vector, uint16_t sel, uint32_t off, unsigned type,
                  unsigned dpl);
void sysfix_idt64(struct sysfix *f, unsigned vector, uint16_t sel, uint64_t off, unsigned type,
                  unsigned dpl, unsigned ist);

/* Mode set-up (state written directly, as a loader would). cpl is 0 or 3. */
void sysfix_real(struct sysfix *f);
void sysfix_prot32(struct sysfix *f, unsigned cpl);
void sysfix_long64(struct sysfix *f, unsigned cpl);

/* Copies bytes to CS:RIP and runs one instruction through the decoder. */
int sysfix_run(struct sysfix *f, const void *bytes, unsigned len);

uint64_t sysfix_rd(const struct sysfix *f, uint64_t pa, unsigned size);
void sysfix_wr(struct sysfix *f, uint64_t pa, uint64_t val, unsigned size);

/* Asserts the last call raised vector with this error code. */
void sysfix_expect_exc(const struct sysfix *f, int rc, unsigned vector, uint32_t error);

#endif
