/* Shared routines of the freestanding test guests (64-bit, flat, no stack
 * beyond the one the loader gives). */
    .code64
    .section .text

#define COM1 0x3f8
#define ACPI_PM1A_CNT 0x604

/* puts: prints the NUL-terminated string at %rsi on COM1. Clobbers rax, rdx, rsi. */
    .globl puts
puts:
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %ah
    mov $(COM1 + 5), %dx
2:  in %dx, %al            /* wait for THR empty (LSR bit 5) */
    test $0x20, %al
    jz 2b
    mov $COM1, %dx
    mov %ah, %al
    out %al, %dx
    jmp 1b
3:  ret

/* poweroff: ACPI S5 through PM1a_CNT (SLP_TYP = 5, SLP_EN). */
    .globl poweroff
poweroff:
    mov $ACPI_PM1A_CNT, %dx
    mov $((5 << 10) | (1 << 13)), %ax
    out %ax, %dx
1:  hlt
    jmp 1b
