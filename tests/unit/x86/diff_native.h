/* The machinery both differential harnesses (diff_harness.c for the
 * general-purpose instructions, diff_sse_harness.c for x87/MMX/SSE) share
 * to run an instruction twice over the same host buffers:
 *   - emitting the native trampoline's machine code (each harness lays out
 *     its own control block and calls these with its offsets);
 *   - calling it with the signals a faulting instruction raises turned into
 *     a return value (and, on request, the vector and FXSAVE image at the
 *     fault);
 *   - the emulator's memory callbacks, which map the arena (read/write) and
 *     the code pages (read/execute) at their host addresses, so pointers
 *     compare equal between the two runs. */
#ifndef VMON_TESTS_X86_DIFF_NATIVE_H
#define VMON_TESTS_X86_DIFF_NATIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "diff_harness.h"
#include "x86/emu.h"

/* The generated code: DIFF_CODE_LEN bytes at diff_env.code (MAP_32BIT);
 * the instruction at DIFF_INSN_OFF, the landing code from DIFF_EPI_OFF. */
#define DIFF_CODE_LEN 8192u
#define DIFF_INSN_OFF 0x400u
#define DIFF_EPI_OFF 0x800u

/* ---- Code emission --------------------------------------------------------- */

/* Opens env's code pages for writing, fills them with INT3 and places f's
 * bytes at DIFF_INSN_OFF, a RIP-relative displacement aimed at its arena
 * target. Returns 0 or -errno. */
int diff_native_code_begin(const struct diff_env *env, const struct diff_form *f);
/* Makes the code pages read-only and executable again. */
int diff_native_code_end(const struct diff_env *env);

struct diff_cg {
    uint8_t *p; /* the next byte to write */
};

void diff_cg_b(struct diff_cg *c, uint8_t b);
void diff_cg_u32(struct diff_cg *c, uint32_t v);
void diff_cg_u64(struct diff_cg *c, uint64_t v);
void diff_cg_bytes(struct diff_cg *c, const char *s, unsigned n);
/* jmp rel32 to target. */
void diff_cg_jmp(struct diff_cg *c, const uint8_t *target);

/* Entry of fn(ctl) (ctl in RDI): pushes the callee-saved registers and
 * stores RSP at [rdi + host_rsp]. */
void diff_cg_save_host(struct diff_cg *c, uint32_t host_rsp);
/* With RAX = ctl: loads every GPR from the 16 quadwords at [rax + gpr],
 * RSP and then RAX last. */
void diff_cg_load_gprs(struct diff_cg *c, uint32_t gpr);
/* With RAX = ctl: stores RCX..R15 to the quadwords at [rax + gpr + 8r]
 * (RAX is the caller's to save). */
void diff_cg_store_gprs(struct diff_cg *c, uint32_t gpr);
/* RFLAGS = 0x202 (DF = AC = 0), pops what diff_cg_save_host pushed, RET. */
void diff_cg_host_return(struct diff_cg *c);

/* ---- Native calls -------------------------------------------------------------- */

/* What a faulting native run left (diff_sse_harness.c compares it). */
struct diff_native_fault {
    int trapno;      /* the exception vector */
    uint8_t fx[512]; /* the FXSAVE image at the fault */
};

/* Installs the handlers that turn SIGFPE, SIGSEGV, SIGBUS, SIGILL and
 * SIGTRAP into a return from diff_native_call(), on an alternate stack
 * (the instruction may have moved RSP anywhere). */
int diff_native_init(void);

/* Calls the generated code as fn(ctl). Returns 0, or the signal the code
 * raised; then *fault (when not NULL) holds the vector and FPU state. */
int diff_native_call(const uint8_t *code, void *ctl, struct diff_native_fault *fault);

/* ---- The emulator's view of the same memory ------------------------------------ */

/* The x86_cpu's ctx: the fixture, and whether accesses fill the TLB (both
 * ways are tested). */
struct diff_native_map {
    const struct diff_env *env;
    bool fill_tlb;
};

/* x86_emu_ops callbacks over struct diff_native_map: the arena and code
 * pages, anything else a user-mode #PF. */
int diff_native_mem_read(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc);
int diff_native_mem_write(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len,
                          unsigned acc);
int diff_native_mem_ptr(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc, void **host);

#endif
