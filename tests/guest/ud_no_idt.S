/* Executes the undefined opcode 0F 04 with no IDT (limit 0): the #UD
 * cannot be delivered, nor the #GP and #DF that follow, so the CPU shuts
 * down (triple fault). 0F 04 is unknown to KVM's instruction emulator too,
 * so on KVM hosts that emulate guest kernel code in software the #UD comes
 * from vmon's user-space fallback. */
    .code64
    .section .text.entry
    .globl _start
_start:
    lea msg(%rip), %rsi
    call puts
    lidt idtr(%rip)
    .byte 0x0f, 0x04
    jmp poweroff            /* not reached */

    .section .rodata
msg: .asciz "vmon test guest ud_no_idt: undefined opcode with no IDT\r\n"
    .p2align 3
idtr: .word 0
      .quad 0
