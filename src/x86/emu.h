/* The x86 instruction emulator: executes decoded instructions on a register
 * state, reaching memory, ports and the host through callbacks.
 *
 * It depends on nothing but common/ and x86/ and is used twice:
 *
 *  - the kvm backend hands it the single instruction KVM could not emulate
 *    (x86_emulate_one): the backend fills cpu->s, supplies callbacks that
 *    translate linear addresses through the guest page tables, and gets back
 *    "done", "inject this exception" or "unsupported";
 *  - the emu backend runs whole guests on it: it decodes blocks once, caches
 *    the struct x86_insn records and calls x86_exec() per instruction, with
 *    a software TLB that turns most memory accesses into a compare and an add.
 *
 * Everything lives in struct x86_cpu, which the caller owns: there is no
 * global mutable state, so any number of CPUs (and VMs) can share a process.
 *
 * ---------------------------------------------------------------------------
 * Execution contract
 * ---------------------------------------------------------------------------
 * x86_exec() runs one instruction and returns an enum x86_exec_status:
 *
 *   X86_EXEC_OK          done; RIP points at the next instruction. A REP
 *                        string instruction runs at most X86_REP_BATCH
 *                        iterations per call: if work is left it returns OK
 *                        with RIP still on the instruction (RCX/RSI/RDI
 *                        updated), so the caller can poll for interrupts and
 *                        call again. A caller that sees RIP unchanged after
 *                        OK must not assume the next cached instruction.
 *   X86_EXEC_EXCEPTION   a fault: cpu->exc names it. The instruction had no
 *                        architectural effect (RIP, registers, flags and
 *                        memory as before), except that a REP string
 *                        instruction keeps its completed iterations, as on
 *                        hardware. The caller delivers the exception; for a
 *                        #PF it loads CR2 from cpu->exc.cr2.
 *   X86_EXEC_UNSUPPORTED no handler for this operation (system, x87, SSE...
 *                        until their families are added): nothing changed.
 *   X86_EXEC_HALT        HLT: RIP advanced; wait for an interrupt.
 *
 * Single-step traps (TF), debug registers and interrupt delivery are the
 * caller's business; cpu->intr_shadow tells it that the instruction just
 * executed (STI, MOV SS, POP SS) blocks interrupts until the next one ends.
 *
 * ---------------------------------------------------------------------------
 * Lazy flags
 * ---------------------------------------------------------------------------
 * Most instructions set the six arithmetic flags (CF PF AF ZF SF OF) and most
 * of those flags are never read: the next instruction overwrites them. So an
 * arithmetic instruction does not compute them; it records what it did in
 * cpu->lf: the kind of operation (enum x86_lazy_op), the operand size, its
 * result and its operands. x86_flags_compute() (x86/flags.h) derives the six
 * flags from that record when someone asks: a Jcc, SETcc, CMOVcc, ADC, PUSHF,
 * LAHF, or the backend through x86_get_rflags().
 *
 * The rule: the arithmetic bits of cpu->s.rflags are only meaningful when
 * cpu->lf.op == X86_LAZY_NONE. All other RFLAGS bits (DF, IF, TF, IOPL, AC,
 * ...) always live in cpu->s.rflags. Outside the emulator, read and write
 * RFLAGS only through x86_get_rflags()/x86_set_rflags() (or call
 * x86_cpu_get_state()/x86_cpu_set_state(), which do it for you).
 *
 * ---------------------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------------------
 * The executor applies segmentation: it adds segment bases, checks limits,
 * segment types and (in 64-bit mode) canonical form, raising #GP(0) or, for
 * SS-relative accesses, #SS(0). The callbacks see *linear* addresses plus an
 * access kind (X86_ACC_READ/WRITE/EXEC, | X86_ACC_USER at CPL 3, from
 * x86/paging.h) and do paging themselves, raising #PF through x86_raise_pf().
 * A read that belongs to a read-modify-write instruction is made with
 * X86_ACC_WRITE, as the hardware checks write permission on it.
 *
 * An access handed to a callback may cross a page boundary; the callback must
 * translate every page it touches before changing anything, so a faulting
 * write has no partial effect.
 *
 * Software TLB (optional): cpu->tlb is a small direct-mapped table of
 * {linear page | permission bits, host addend}. Before calling a callback the
 * executor looks the page up; on a hit the access is a load or store at
 * (la + addend). The backend fills entries (x86_tlb_fill) from its callbacks,
 * and flushes them when translations change (CR3/CR4/CR0 writes, INVLPG, mode
 * switches, pages holding cached code that must trap writes). A zeroed TLB
 * never hits: the kvm fallback simply leaves it empty. An entry's bits must
 * hold whatever RFLAGS.AC is: with CR4.SMAP, grant no supervisor bits on
 * user pages (such accesses then reach the callbacks, which check AC), so
 * STAC/CLAC need no flush.
 *
 * LOCK: a locked read-modify-write (and XCHG with memory) on naturally
 * aligned RAM is performed with a host atomic operation on the pointer the
 * TLB or the mem_ptr callback provides, so it is atomic against other vCPU
 * threads. Without a host pointer (MMIO, no mem_ptr callback) or for a
 * misaligned operand it falls back to a plain read-modify-write.
 */
#ifndef VMON_X86_EMU_H
#define VMON_X86_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/insn.h"
#include "x86/paging.h"
#include "x86/state.h"

struct x86_cpu;

/* Results of x86_exec(), x86_emulate_one() and of every callback. */
enum x86_exec_status {
    X86_EXEC_OK = 0,
    X86_EXEC_EXCEPTION = 1,
    X86_EXEC_UNSUPPORTED = 2,
    X86_EXEC_HALT = 3,
    /* x86_deliver(): an exception while delivering a double fault. The CPU
     * is in shutdown; the machine resets or stops it (SDM Vol. 3A, 6.15,
     * "Interrupt 8"). State as before the failed delivery. */
    X86_EXEC_TRIPLE_FAULT = 4,
    /* Only from prepared execution (x86_exec_prepare): the instruction
     * completed, and RIP is not the next instruction. */
    X86_EXEC_BRANCH = 5,
};

/* Iterations a REP string instruction runs per x86_exec() call at most. */
#define X86_REP_BATCH 4096u

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                 */
/* ------------------------------------------------------------------------ */

/* Every callback returns X86_EXEC_OK or, after calling x86_raise*() on cpu,
 * X86_EXEC_EXCEPTION, or X86_EXEC_UNSUPPORTED: the caller will have the
 * instruction run elsewhere (its first access; nothing is changed). A callback finds its own context in cpu->ctx. Optional
 * callbacks may be NULL; the instructions needing them then return
 * X86_EXEC_UNSUPPORTED (or behave as noted). */
struct x86_emu_ops {
    /* Linear-address memory. len is 1..4096; acc is X86_ACC_*. */
    int (*mem_read)(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc);
    int (*mem_write)(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len,
                     unsigned acc);
    /* Optional: a host pointer to [la, la + len) when it is ordinary RAM in
     * one page, else *host = NULL (MMIO, page crossing). Used for LOCKed
     * operations and to speed up REP string instructions. */
    int (*mem_ptr)(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc, void **host);

    /* Port I/O (size 1, 2 or 4). Permission checks are done before. */
    int (*pio_in)(struct x86_cpu *cpu, uint16_t port, unsigned size, uint32_t *val);
    int (*pio_out)(struct x86_cpu *cpu, uint16_t port, unsigned size, uint32_t val);
    /* Optional: the TSS I/O-permission bitmap check, asked when CPL > IOPL
     * or in virtual-8086 mode. Sets *allowed. NULL denies (#GP(0)). */
    int (*io_bitmap)(struct x86_cpu *cpu, uint16_t port, unsigned size, bool *allowed);

    /* Optional host services. */
    int (*cpuid)(struct x86_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
    int (*rdtsc)(struct x86_cpu *cpu, uint64_t *tsc);
    /* RDRAND (seed = false) / RDSEED (seed = true): *ok = false when no
     * entropy is available now (the guest sees CF = 0 and retries). */
    int (*rdrand)(struct x86_cpu *cpu, bool seed, uint64_t *val, bool *ok);
    int (*rdmsr)(struct x86_cpu *cpu, uint32_t msr, uint64_t *val);
    int (*wrmsr)(struct x86_cpu *cpu, uint32_t msr, uint64_t val);

    /* Optional: translations changed (the emulator already flushed cpu->tlb).
     * all = false: the page holding la (INVLPG; global entries included);
     * all = true: every translation, global ones too when global is set
     * (MOV CR3 keeps global pages; CR0/CR4/EFER paging changes do not).
     * The backend drops its own caches (page walks, code-page mappings). */
    void (*tlb_flush)(struct x86_cpu *cpu, uint64_t la, bool all, bool global);

    /* Optional, for users of x86_exec_prepare(): the general path of
     * prepared execution, run for records without a specialised version
     * and when a specialised version's fast path does not apply (a TLB
     * miss, a page-crossing operand, ...). A wrapper around x86_exec() that
     * sees every instruction taking the general path; NULL means
     * x86_exec(). Besides x86_exec()'s statuses it may return its own
     * (greater than X86_EXEC_BRANCH), which end the run like
     * X86_EXEC_BRANCH does. */
    int (*exec_general)(struct x86_cpu *cpu, const struct x86_insn *insn);
};

/* ------------------------------------------------------------------------ */
/* Software TLB                                                              */
/* ------------------------------------------------------------------------ */

#define X86_TLB_BITS 10
#define X86_TLB_SIZE (1u << X86_TLB_BITS)
#define X86_PAGE_MASK (~(uint64_t)0xfff)

/* Permission bits in the low bits of a tag: one per (privilege, kind). The
 * bit an access needs is X86_TLB_R << (kind + 3 * user), kind being
 * 0 read, 1 write, 2 execute (the X86_ACC_* numbering). */
#define X86_TLB_R  (1u << 0) /* supervisor read */
#define X86_TLB_W  (1u << 1) /* supervisor write */
#define X86_TLB_X  (1u << 2) /* supervisor execute */
#define X86_TLB_UR (1u << 3) /* user read */
#define X86_TLB_UW (1u << 4) /* user write */
#define X86_TLB_UX (1u << 5) /* user execute */

struct x86_tlb_entry {
    uint64_t tag;     /* linear page address | X86_TLB_* bits; 0 = empty */
    uintptr_t addend; /* host pointer = la + addend */
};

struct x86_tlb {
    struct x86_tlb_entry e[X86_TLB_SIZE];
};

/* ------------------------------------------------------------------------ */
/* Lazy flags (see the comment at the top; computed by x86/flags.c)          */
/* ------------------------------------------------------------------------ */

enum x86_lazy_op {
    X86_LAZY_NONE,  /* arithmetic flags are in s.rflags */
    X86_LAZY_ADD,   /* dst = src1 + src2 */
    X86_LAZY_ADC,   /* dst = src1 + src2 + 1 (an ADC with CF = 0 records ADD) */
    X86_LAZY_SUB,   /* dst = src1 - src2 (SUB, CMP, NEG as 0 - x, CMPS, SCAS) */
    X86_LAZY_SBB,   /* dst = src1 - src2 - 1 (an SBB with CF = 0 records SUB) */
    X86_LAZY_LOGIC, /* dst = result; CF = OF = AF = 0 */
    X86_LAZY_INC,   /* dst = src1 + 1; src2 = the CF to keep (0/1) */
    X86_LAZY_DEC,   /* dst = src1 - 1; src2 = the CF to keep (0/1) */
    X86_LAZY_SZP,   /* SF ZF PF from dst; CF AF OF are the bits in src1 */
};

struct x86_lazy_flags {
    uint64_t dst;  /* result, truncated to size */
    uint64_t src1; /* operands, truncated to size */
    uint64_t src2;
    uint8_t op;    /* enum x86_lazy_op */
    uint8_t size;  /* operand size in bytes: 1, 2, 4, 8 */
};

/* ------------------------------------------------------------------------ */
/* The CPU                                                                   */
/* ------------------------------------------------------------------------ */

/* The exception the last X86_EXEC_EXCEPTION reported. */
struct x86_exception {
    uint8_t vector;     /* enum x86_vector */
    bool has_error;     /* push error_code (ignored by real-mode delivery) */
    uint32_t error_code;
    uint64_t cr2;       /* #PF: the faulting linear address */
};

struct x86_cpu {
    struct x86_state s;         /* the architectural state (RFLAGS: see above) */
    struct x86_lazy_flags lf;
    /* Derived from s by x86_cpu_refresh(); call it after changing CR0, EFER,
     * RFLAGS.VM, CS or SS outside x86_exec(). */
    uint8_t mode;               /* enum x86_mode */
    uint8_t cpl;                /* 0-3 */
    uint8_t stack_size;         /* 2, 4 or 8: the width of stack pointer updates */
    bool intr_shadow;           /* the last instruction was STI/MOV SS/POP SS */
    uint64_t next_rip;          /* during x86_exec: where RIP goes on success */
    struct x86_exception exc;
    const struct x86_emu_ops *ops;
    void *ctx;                  /* the callbacks' own context */
    struct x86_tlb tlb;
    /* NMIs are blocked from NMI delivery until the next IRET (SDM Vol. 3A,
     * 6.7.1); set by x86_deliver, cleared by IRET. */
    bool nmi_blocked;
    /* Prepared execution: the record whose function ended the last run
     * (see x86_exec_prepare). */
    const struct x86_insn *run_exit;
};

/* Zeroes cpu, sets the power-on state of a processor (real mode, CS:IP =
 * F000:FFF0 with base FFFF0000) and installs the callbacks. */
void x86_cpu_init(struct x86_cpu *cpu, const struct x86_emu_ops *ops, void *ctx);

/* Loads/stores the whole architectural state, materialising lazy flags.
 * set_state also refreshes the derived fields; it leaves the TLB alone. */
void x86_cpu_set_state(struct x86_cpu *cpu, const struct x86_state *s);
void x86_cpu_get_state(struct x86_cpu *cpu, struct x86_state *out);

/* Recomputes mode, CPL and stack size from cpu->s. */
void x86_cpu_refresh(struct x86_cpu *cpu);

/* RFLAGS with the lazy arithmetic flags folded in / replaced. */
uint64_t x86_get_rflags(struct x86_cpu *cpu);
void x86_set_rflags(struct x86_cpu *cpu, uint64_t rflags);

/* Executes one decoded instruction at cpu->s.rip (see the contract above).
 * The record must come from x86_decode() in the cpu's current mode. */
int x86_exec(struct x86_cpu *cpu, const struct x86_insn *insn);

/* ------------------------------------------------------------------------ */
/* Prepared execution (x86/exec_fast.c)                                      */
/* ------------------------------------------------------------------------ */

/* For callers that keep decoded code (the emu backend's blocks): each record
 * gets, once, the function that runs it, and a straight line of records runs
 * with a single call.
 *
 * The records of a straight line sit in an array of struct x86_prepared. A
 * record's function executes its instruction exactly as x86_exec() would
 * (same effects, same faults) and then:
 *  - when the instruction completed and RIP is the next instruction, it goes
 *    on with the next record (returning what that record's function
 *    returns): the array must end with a record of the caller's whose
 *    function returns (a terminator, with a status of the caller's choice);
 *  - otherwise it returns, with cpu->run_exit pointing at its record:
 *    X86_EXEC_BRANCH when the instruction completed and RIP is elsewhere (a
 *    branch taken, a call, a return, a REP string instruction with
 *    iterations left), or the status of the fault, HLT, unsupported
 *    operation, or ops->exec_general's own statuses.
 * A run therefore executes at most as many instructions as the array holds,
 * calling itself that deep where the compiler does not turn the calls into
 * jumps. The functions are chosen per operation and operand shape, with
 * versions specialised for the shapes frequent in 64-bit code; a record's
 * function is valid only while the CPU is in the mode it was decoded for. */
typedef int (*x86_insn_fn)(struct x86_cpu *cpu, const struct x86_insn *insn);

struct x86_prepared {
    struct x86_insn in;  /* first: a function finds its record from &in */
    x86_insn_fn fn;
    void *user;          /* the caller's (the emu backend links blocks here) */
};

/* The function for a record decoded in mode. */
x86_insn_fn x86_exec_prepare(const struct x86_insn *insn, enum x86_mode mode);

/* Fetches the instruction at CS:RIP through the callbacks, decodes it in
 * the current mode and executes it. Decoder errors become #UD or #GP(0);
 * insn (may be NULL) receives the decoded record, for diagnostics. */
int x86_emulate_one(struct x86_cpu *cpu, struct x86_insn *insn);

/* Raising exceptions (for handlers and callbacks). Each returns
 * X86_EXEC_EXCEPTION so it can be returned directly. */
int x86_raise(struct x86_cpu *cpu, unsigned vector);
int x86_raise_err(struct x86_cpu *cpu, unsigned vector, uint32_t error_code);
int x86_raise_pf(struct x86_cpu *cpu, uint32_t error_code, uint64_t la);

/* Software TLB maintenance for the backend. perms is X86_TLB_* bits; host is
 * the host address of the page holding la (page-aligned). */
/* The TLB permission bits a successful walk r for access acc allows caching:
 * writes only after a write walk (which set the D bit) and unless no_writes
 * (pages whose writes must reach the backend, e.g. decoded code); nothing
 * for a supervisor access to a user page under SMAP (RFLAGS.AC decides). */
unsigned x86_tlb_perms(const struct x86_cpu *x, unsigned acc, const struct x86_walk_result *r,
                       bool no_writes);
void x86_tlb_fill(struct x86_cpu *cpu, uint64_t la, void *host_page, unsigned perms);
void x86_tlb_flush(struct x86_cpu *cpu);
void x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t la);

#endif
