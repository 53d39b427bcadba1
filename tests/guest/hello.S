/* Prints a line on COM1 and powers off through ACPI: the smallest guest. */
    .code64
    .section .text.entry
    .globl _start
_start:
    lea msg(%rip), %rsi
    call puts
    jmp poweroff

    .section .rodata
msg: .asciz "vmon test guest: hello from 64-bit mode\r\n"
