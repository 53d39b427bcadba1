/* x86-64 instructions the test guests need, as inline functions: port I/O,
 * MSRs, control registers, CPUID, TSC, TLB control, interrupt flag. */
#ifndef VMON_GUEST_RT_CPU_H
#define VMON_GUEST_RT_CPU_H

#include <stdint.h>

/* Control register bits (SDM Vol. 3A 2.5 "Control Registers") */
#define CR0_TS (1ull << 3)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

/* RFLAGS bits */
#define RFLAGS_FIXED 0x2ull
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_AC (1ull << 18)

/* MSRs (SDM Vol. 4) */
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_SCE (1ull << 0)
#define EFER_NXE (1ull << 11)

static inline void cpu_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void cpu_outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }

static inline uint8_t cpu_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t cpu_inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t cpu_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

#define CPU_CR_ACCESSORS(n)                                                                   \
    static inline uint64_t cpu_read_cr##n(void)                                               \
    {                                                                                         \
        uint64_t v;                                                                           \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                    \
        return v;                                                                             \
    }                                                                                         \
    static inline void cpu_write_cr##n(uint64_t v)                                           \
    {                                                                                         \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                          \
    }
CPU_CR_ACCESSORS(0)
CPU_CR_ACCESSORS(3)
CPU_CR_ACCESSORS(4)
#undef CPU_CR_ACCESSORS

static inline uint64_t cpu_read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline void cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    __asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
                     : "a"(leaf), "c"(sub));
}

static inline uint64_t cpu_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void cpu_invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
/* Reloading CR3 flushes the non-global TLB entries and paging-structure caches. */
static inline void cpu_flush_tlb(void) { cpu_write_cr3(cpu_read_cr3()); }

static inline uint64_t cpu_read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

static inline uint16_t cpu_read_cs(void)
{
    uint16_t v;
    __asm__ volatile("mov %%cs, %0" : "=r"(v));
    return v;
}

static inline void cpu_cli(void) { __asm__ volatile("cli" : : : "memory"); }
/* STI; HLT: the STI shadow keeps an interrupt from arriving between the two,
 * so the HLT always wakes on it. Returns with interrupts disabled again. */
static inline void cpu_wait_interrupt(void) { __asm__ volatile("sti; hlt; cli" : : : "memory"); }
static inline void cpu_barrier(void) { __asm__ volatile("" : : : "memory"); }

#endif
