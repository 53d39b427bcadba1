/* user_run: saves the callee-saved registers and RSP, builds an IRETQ frame
 * to CPL 3 (SDM Vol. 2A, IRET: SS, RSP, RFLAGS, CS, RIP from the stack).
 * user_exit_to_kernel, called by the USER_EXIT_VECTOR handler, unwinds to
 * that RSP and makes user_run return its argument. */
#include "desc.h"

    .code64
    .section .text

    .globl user_run
user_run:                       /* rdi = entry, rsi = stack top, rdx = rflags */
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, user_kernel_rsp(%rip)
    pushq $(DESC_USER_DS | 3)
    pushq %rsi
    pushq %rdx
    pushq $(DESC_USER_CS | 3)
    pushq %rdi
    xor %eax, %eax              /* user code starts with clean registers */
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    iretq

    .globl user_exit_to_kernel
user_exit_to_kernel:            /* rdi = value for user_run to return */
    mov user_kernel_rsp(%rip), %rsp
    mov $DESC_KERNEL_DS, %eax   /* the interrupt from CPL 3 left SS null */
    mov %eax, %ss
    mov %eax, %ds
    mov %eax, %es
    mov %rdi, %rax
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

    .section .bss
    .p2align 3
user_kernel_rsp:
    .skip 8
