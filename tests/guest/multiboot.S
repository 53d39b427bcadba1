/* A Multiboot (0.6.96) test kernel: 32-bit, self-contained. It checks the
 * boot loader magic, prints what the boot information gives on COM1 (boot
 * loader name, memory sizes, command line, modules, memory map) and ends
 * through the debug-exit port:
 *     0x10 -> vmon exits with status 33: everything was as the spec says;
 *     0x11 -> status 35: EAX did not hold 0x2badb002.
 * Without a debug-exit device it powers off through ACPI instead.
 *
 * Built twice (tests/guest/meson.build): as an ELF32 file, loaded from its
 * program headers, and with -DAOUT_KLUDGE as a flat binary whose header
 * carries the load addresses (header flag 16). Both are linked at 1 MiB by
 * guest.ld. */
#define MB_MAGIC 0x1badb002
#define MB_BOOT_MAGIC 0x2badb002
#ifdef AOUT_KLUDGE
#define MB_FLAGS 0x00010003 /* page-aligned modules, memory info, a.out kludge */
#else
#define MB_FLAGS 0x00000003
#endif
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4
#define ACPI_PM1A_CNT 0x604

/* Prints a string literal. Clobbers eax, edx, esi. */
.macro PUTS text
    .pushsection .rodata
9:  .asciz "\text"
    .popsection
    mov $9b, %esi
    call puts
.endm

    .code32
    .section .text.entry, "ax"
    .globl _start
_start:
    jmp entry

    .align 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
    .long mb_header     /* header_addr */
    .long _start        /* load_addr: the file starts here */
    .long 0             /* load_end_addr: load the whole file */
    .long 0             /* bss_end_addr: no bss */
    .long entry         /* entry_addr */
#endif

entry:
    mov $stack_top, %esp
    cmp $MB_BOOT_MAGIC, %eax
    jne bad_magic
    mov %ebx, %ebp                  /* the boot information */

    PUTS "multiboot: magic ok\r\n"
    testl $(1 << 9), (%ebp)         /* boot_loader_name */
    jz 1f
    PUTS "loader: "
    mov 64(%ebp), %esi
    call puts
    PUTS "\r\n"
1:  testl $1, (%ebp)                /* mem_lower, mem_upper */
    jz 1f
    PUTS "mem_lower: "
    mov 4(%ebp), %eax
    call puthex
    PUTS " KiB mem_upper: "
    mov 8(%ebp), %eax
    call puthex
    PUTS " KiB\r\n"
1:  testl $(1 << 2), (%ebp)         /* cmdline */
    jz 1f
    PUTS "cmdline: '"
    mov 16(%ebp), %esi
    call puts
    PUTS "'\r\n"
1:  call print_modules
    call print_mmap
    PUTS "multiboot: done\r\n"
    mov $0x10, %al
    jmp finish

bad_magic:
    PUTS "multiboot: bad magic in eax\r\n"
    mov $0x11, %al
finish:
    out %al, $DEBUG_EXIT
    /* No debug-exit device: ACPI S5 (SLP_TYP 5, SLP_EN). */
    mov $ACPI_PM1A_CNT, %dx
    mov $((5 << 10) | (1 << 13)), %ax
    out %ax, %dx
2:  hlt
    jmp 2b

/* "modules: N", then "module I: start S size Z string 'STR'" per module. */
print_modules:
    testl $(1 << 3), (%ebp)
    jz 3f
    PUTS "modules: "
    mov 20(%ebp), %eax
    call puthex
    PUTS "\r\n"
    mov 24(%ebp), %ebx              /* mods_addr */
    xor %edi, %edi
1:  cmp 20(%ebp), %edi
    jae 3f
    PUTS "module "
    mov %edi, %eax
    call puthex
    PUTS ": start "
    mov (%ebx), %eax
    call puthex
    PUTS " size "
    mov 4(%ebx), %eax
    sub (%ebx), %eax
    call puthex
    PUTS " aligned "
    mov (%ebx), %eax
    and $0xfff, %eax                /* 0 when page-aligned (flag 0) */
    call puthex
    PUTS " string '"
    mov 8(%ebx), %esi
    call puts
    PUTS "'\r\n"
    add $16, %ebx
    inc %edi
    jmp 1b
3:  ret

/* "mmap: base B len L type T" per entry. */
print_mmap:
    testl $(1 << 6), (%ebp)
    jz 3f
    mov 48(%ebp), %ebx              /* mmap_addr */
    mov %ebx, %edi
    add 44(%ebp), %edi              /* + mmap_length */
1:  cmp %edi, %ebx
    jae 3f
    PUTS "mmap: base "
    mov 8(%ebx), %eax
    call puthex
    mov 4(%ebx), %eax
    call puthex_nopfx
    PUTS " len "
    mov 16(%ebx), %eax
    call puthex
    mov 12(%ebx), %eax
    call puthex_nopfx
    PUTS " type "
    mov 20(%ebx), %eax
    call puthex
    PUTS "\r\n"
    add (%ebx), %ebx                /* size excludes the size field */
    add $4, %ebx
    jmp 1b
3:  ret

/* putc: %al to COM1 once the transmitter is empty. Clobbers edx. */
putc:
    push %eax
    mov $(COM1 + 5), %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    pop %eax
    mov $COM1, %dx
    out %al, %dx
    ret

/* puts: the NUL-terminated string at %esi. Clobbers eax, edx, esi. */
puts:
1:  lodsb
    test %al, %al
    jz 2f
    call putc
    jmp 1b
2:  ret

/* puthex: "0x" and the 8 hex digits of %eax; puthex_nopfx without "0x". */
puthex:
    push %eax
    mov $'0', %al
    call putc
    mov $'x', %al
    call putc
    pop %eax
puthex_nopfx:
    push %ecx
    mov $8, %ecx
1:  rol $4, %eax
    push %eax
    and $0xf, %al
    add $'0', %al
    cmp $'9', %al
    jbe 2f
    add $('a' - '9' - 1), %al
2:  call putc
    pop %eax
    loop 1b
    pop %ecx
    ret

    .section .data
    .align 16
stack:
    .fill 1024, 1, 0
stack_top:
