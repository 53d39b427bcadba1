/* Misbehaves on purpose: with no IDT (limit 0), jumps to an address the
 * boot page tables do not map. The #PF cannot be delivered, nor the #GP
 * and #DF that follow: the CPU shuts down (triple fault). */
    .code64
    .section .text.entry
    .globl _start
_start:
    lea msg(%rip), %rsi
    call puts
    lidt idtr(%rip)
    movabs $0x100000000000, %rax    /* 16 TiB: beyond the 0-4 GiB identity map */
    jmp *%rax

    .section .rodata
msg: .asciz "vmon test guest wild_jump: jumping to unmapped memory with no IDT\r\n"
    .p2align 3
idtr: .word 0
      .quad 0
