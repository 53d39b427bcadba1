/* Fault sites of the exceptions guest (see rt/site.h). Each clobbers only
 * caller-saved registers. */
#include "rt/desc.h"
#include "rt/site.h"

#define NONCANONICAL 0x8000000000000000
#define BAD_MSR 0xdeadbeef      /* no MSR on any x86 CPU */
#define BEYOND_GDT 0x1000       /* index 512, RPL 0: past DESC_GDT_LIMIT */

    .code64
    .section .text

SITE(div0)
    mov $1, %eax
    xor %edx, %edx
    xor %ecx, %ecx
FAULT(div0)
    div %ecx
RESUME(div0)
    ret

SITE(idiv_overflow)             /* INT64_MIN / -1 does not fit */
    movabs $NONCANONICAL, %rax
    cqo
    mov $-1, %rcx
FAULT(idiv_overflow)
    idiv %rcx
RESUME(idiv_overflow)
    ret

SITE(ud2_site)
FAULT(ud2_site)
    ud2
RESUME(ud2_site)
    ret

SITE(lock_reg)                  /* LOCK is only valid with a memory destination */
FAULT(lock_reg)
    .byte 0xf0, 0x01, 0xc1      /* lock add %eax, %ecx */
RESUME(lock_reg)
    ret

SITE(undefined_0f04)            /* undefined everywhere, unknown to KVM's emulator */
FAULT(undefined_0f04)
    .byte 0x0f, 0x04
RESUME(undefined_0f04)
    ret

SITE(noncanonical_read)
    movabs $NONCANONICAL, %rax
FAULT(noncanonical_read)
    mov (%rax), %rcx
RESUME(noncanonical_read)
    ret

SITE(wrmsr_bad)
    mov $BAD_MSR, %ecx
    xor %eax, %eax
    xor %edx, %edx
FAULT(wrmsr_bad)
    wrmsr
RESUME(wrmsr_bad)
    ret

SITE(ss_beyond_gdt)
    mov $BEYOND_GDT, %eax
FAULT(ss_beyond_gdt)
    mov %eax, %ss
RESUME(ss_beyond_gdt)
    ret

SITE(ss_null)                   /* legal at CPL 0 in 64-bit mode: no fault */
    xor %eax, %eax
FAULT(ss_null)
    mov %eax, %ss
RESUME(ss_null)
    mov $DESC_KERNEL_DS, %eax
    mov %eax, %ss
    ret

SITE(stack_noncanonical)        /* RSP-based, so the stack segment faults */
    movabs $NONCANONICAL, %rax
FAULT(stack_noncanonical)
    mov (%rsp,%rax), %rcx
RESUME(stack_noncanonical)
    ret

SITE(int3_site)
FAULT(int3_site)
    int3
RESUME(int3_site)
    ret

SITE(sse_move)                  /* any SSE instruction: #NM while CR0.TS = 1 */
FAULT(sse_move)
    movaps %xmm0, %xmm1
RESUME(sse_move)
    ret
