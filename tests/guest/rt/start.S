/* _start of the C test guests: entered in 64-bit mode as a Linux vmlinux
 * (RSI = boot_params, interrupts off, RSP on a small loader stack). */
    .code64
    .section .text.entry, "ax"
    .globl _start
_start:
    cli
    cld
    mov %rsi, %rbx                  /* boot_params */
    lea __bss_start(%rip), %rdi     /* .bss is 8-byte aligned (guest.ld) */
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    shr $3, %rcx
    xor %eax, %eax
    rep stosq
    lea start_stack_top(%rip), %rsp
    mov %rbx, %rdi
    call guest_main
    jmp report_poweroff

    .section .bss
    .p2align 12
start_stack:
    .skip 16384
start_stack_top:
