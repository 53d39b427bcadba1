/* Misbehaves on purpose: with no IDT (limit 0) and all registers zero,
 * executes a page of pseudo-random bytes (a fixed linear congruential
 * sequence, so every build and backend runs the same bytes). They raise an
 * exception within a few instructions, which cannot be delivered: triple
 * fault. The seed was picked so the bytes do no port I/O on the way: they
 * end in the undefined opcode C7 /6 at garbage + 0x23 (#UD). */
#define GARBAGE_SEED 10
    .code64
    .section .text.entry
    .globl _start
_start:
    lea msg(%rip), %rsi
    call puts
    lidt idtr(%rip)
    lea garbage(%rip), %rax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    jmp *%rax

    .p2align 12
garbage:
    seed = GARBAGE_SEED
    .rept 4096
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    .byte (seed >> 16) & 0xff
    .endr

    .section .rodata
msg: .asciz "vmon test guest garbage: executing random bytes with no IDT\r\n"
    .p2align 3
idtr: .word 0
      .quad 0
