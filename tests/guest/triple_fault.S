/* Loads an empty IDT and executes UD2: the #UD cannot be delivered, nor
 * the #GP or #DF that follow, so the CPU shuts down (triple fault). */
    .code64
    .section .text.entry
    .globl _start
_start:
    lea msg(%rip), %rsi
    call puts
    lidt idtr(%rip)
    ud2
    jmp poweroff            /* not reached */

    .section .rodata
msg: .asciz "vmon test guest: about to triple-fault\r\n"
    .p2align 3
idtr: .word 0
      .quad 0
