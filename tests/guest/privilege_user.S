/* The privilege guest's CPL-3 code and its SYSCALL entry. Every user site
 * is entered by user_run() and ends with INT3 (rt/user.h). */
#include "rt/desc.h"
#include "rt/site.h"

#define VA_SUPERVISOR 0x8000001000   /* privilege.c: supervisor-only page */
#define PERCPU_USER_RSP 0            /* struct percpu in privilege.c */
#define PERCPU_KERNEL_RSP 8
#define PERCPU_COUNT 16
#define PERCPU_RCX 24
#define PERCPU_R11 32
#define PERCPU_CS 40
#define PERCPU_RIP 48

#define USER_EXIT int3

    .code64
    .section .text

SITE(user_hlt)
FAULT(user_hlt)
    hlt
RESUME(user_hlt)
    USER_EXIT

SITE(user_cli)
FAULT(user_cli)
    cli
RESUME(user_cli)
    USER_EXIT

SITE(user_in)
FAULT(user_in)
    in $0x61, %al
RESUME(user_in)
    USER_EXIT

SITE(user_read_supervisor)
    movabs $VA_SUPERVISOR, %rdx
FAULT(user_read_supervisor)
    mov (%rdx), %rcx
RESUME(user_read_supervisor)
    USER_EXIT

SITE(user_write_supervisor)
    movabs $VA_SUPERVISOR, %rdx
FAULT(user_write_supervisor)
    movq $1, (%rdx)
RESUME(user_write_supervisor)
    USER_EXIT

SITE(user_int80)                 /* DPL-3 gate: allowed, a trap */
FAULT(user_int80)
    int $0x80
RESUME(user_int80)
    USER_EXIT

SITE(user_int81)                 /* DPL-0 gate: #GP(vector * 8 + 2) */
FAULT(user_int81)
    int $0x81
RESUME(user_int81)
    USER_EXIT

SITE(user_int82)                 /* DPL-3 gate with IST1 */
FAULT(user_int82)
    int $0x82
RESUME(user_int82)
    USER_EXIT

SITE(user_misaligned)            /* #AC needs CPL 3, CR0.AM and RFLAGS.AC */
    pushfq
    orq $(1 << 18), (%rsp)
    popfq
    lea user_word(%rip), %rdx
FAULT(user_misaligned)
    mov 1(%rdx), %ecx
RESUME(user_misaligned)
    pushfq
    andq $~(1 << 18), (%rsp)
    popfq
    USER_EXIT

SITE(user_syscall)
FAULT(user_syscall)
    syscall
RESUME(user_syscall)             /* SYSRET returns here (RCX) */
    USER_EXIT

/* SYSCALL entry (LSTAR), low or at its upper-half alias: uses only
 * RIP-relative and GS-relative addresses. SWAPGS makes GS the per-CPU
 * block (IA32_KERNEL_GS_BASE) and gives the user's GS back before SYSRET. */
    .globl syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:PERCPU_USER_RSP
    mov %gs:PERCPU_KERNEL_RSP, %rsp
    mov %rcx, %gs:PERCPU_RCX
    mov %r11, %gs:PERCPU_R11
    mov %cs, %eax
    mov %rax, %gs:PERCPU_CS
    lea syscall_entry(%rip), %rax
    mov %rax, %gs:PERCPU_RIP
    incq %gs:PERCPU_COUNT
    mov %gs:PERCPU_USER_RSP, %rsp
    swapgs
    sysretq

    .section .data
    .p2align 3
user_word:
    .quad 0
