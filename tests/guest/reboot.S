/* Prints a line, then pulses the CPU reset line through the i8042 (command
 * 0xFE on port 0x64), as a PC's "reboot" does. */
    .code64
    .section .text.entry
    .globl _start
_start:
    lea msg(%rip), %rsi
    call puts
    mov $0xfe, %al
    out %al, $0x64
1:  hlt
    jmp 1b

    .section .rodata
msg: .asciz "vmon test guest: rebooting\r\n"
