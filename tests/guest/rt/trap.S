/* IDT entry points: one 16-byte stub per vector at trap_stubs + 16 * vector.
 * Each stub makes the frame uniform (a zero error code where the CPU pushes
 * none), pushes its vector and jumps to trap_common, which saves the
 * general registers as a struct trap_frame (trap.h), calls
 * trap_dispatch(frame) and returns with IRETQ (the handler may have changed
 * the frame). SDM Vol. 3A 7.14 "Exception and Interrupt Handling in 64-bit
 * Mode": the CPU aligns RSP to 16 and pushes SS, RSP, RFLAGS, CS, RIP and,
 * for vectors 8, 10-14, 17, 21, 29 and 30, an error code. */
    .code64
    .section .text

    .p2align 4
    .globl trap_stubs
trap_stubs:
    vec = 0
    .rept 256
    .p2align 4
    .if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
    push $0
    .endif
    push $vec
    jmp trap_common
    vec = vec + 1
    .endr

trap_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi      /* 22 quadwords from a 16-aligned RSP: still aligned */
    cld
    call trap_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp       /* vector, error code */
    iretq
