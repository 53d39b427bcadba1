/* The guest's IDT: gates, handlers, and "expect one exception here, then go
 * on at this address" for the fault checks. */
#ifndef VMON_GUEST_RT_TRAP_H
#define VMON_GUEST_RT_TRAP_H

#include <stdint.h>

/* Exception vectors (SDM Vol. 3A 7.3, table "Protected-Mode Exceptions and
 * Interrupts") */
enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_UD = 6, VEC_NM = 7, VEC_DF = 8,
    VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_AC = 17,
};

/* #PF error code bits (SDM Vol. 3A 5.7 "Page-Fault Exceptions") */
#define PF_P 0x1u
#define PF_W 0x2u
#define PF_U 0x4u
#define PF_RSVD 0x8u
#define PF_I 0x10u

/* What trap.S saves, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*trap_handler)(struct trap_frame *f);

/* Builds the IDT (every vector: a present 64-bit interrupt gate, DPL 0, no
 * IST, to the expect-or-abort handler) and loads it. Needs the GDT from
 * desc_init() (gates name its kernel code segment). */
void trap_init(void);

/* Changes vector's gate: descriptor privilege level and IST slot (0 none). */
void trap_set_gate(unsigned vector, unsigned dpl, unsigned ist);

/* Routes vector to fn instead of the default handler (NULL: default). */
void trap_set_handler(unsigned vector, trap_handler fn);

/* One expected exception, as the default handler recorded it. */
struct trap_record {
    unsigned count;       /* exceptions taken since trap_expect() */
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
    uint64_t cr2;         /* read in the handler */
    uint64_t frame;       /* address of the CPU-pushed frame (its RIP slot) */
};

/* Arms the default handler for one exception: it records it and resumes at
 * resume (NULL: at the saved RIP, as a trap does). A second exception
 * before the next trap_expect(), or one while disarmed, aborts the guest. */
void trap_expect(const void *resume);

/* The record of the last trap_expect(); count is 0 when nothing arrived.
 * Disarms the handler. */
struct trap_record trap_result(void);

/* The default handler, for handlers that pass some vectors on to it. */
void trap_default(struct trap_frame *f);

#endif
