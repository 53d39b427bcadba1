/* libFuzzer harness for the decoder and the executor together: the input
 * gives a CPU state, a mode and instruction bytes; the instruction runs
 * against a small guest memory (everything else faults), and any exception
 * is delivered through the IDT found there. Nothing may crash or read
 * outside the input or the memory; statuses must be in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x86/deliver.h"
#include "x86/emu.h"

#define MEM_SIZE 0x10000

struct fz {
    struct x86_cpu x; /* first */
    uint8_t mem[MEM_SIZE];
};

static int fz_access(struct x86_cpu *x, uint64_t la, void *buf, unsigned len, bool write)
{
    struct fz *f = (struct fz *)x;
    if (la >= MEM_SIZE || len > MEM_SIZE - la)
        return x86_raise_pf(x, write ? 2 : 0, la);
    if (write)
        memcpy(f->mem + la, buf, len);
    else
        memcpy(buf, f->mem + la, len);
    return X86_EXEC_OK;
}

static int fz_read(struct x86_cpu *x, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    (void)acc;
    return fz_access(x, la, dst, len, false);
}

static int fz_write(struct x86_cpu *x, uint64_t la, const void *src, unsigned len, unsigned acc)
{
    (void)acc;
    return fz_access(x, la, (void *)src, len, true);
}

static int fz_in(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t *val)
{
    (void)x;
    (void)size;
    *val = port * 0x01010101u;
    return X86_EXEC_OK;
}

static int fz_out(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t val)
{
    (void)x;
    (void)port;
    (void)size;
    (void)val;
    return X86_EXEC_OK;
}

static const struct x86_emu_ops fz_ops = {
    .mem_read = fz_read,
    .mem_write = fz_write,
    .pio_in = fz_in,
    .pio_out = fz_out,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct x86_state s;
    if (size < sizeof(s) + 1)
        return 0;
    static struct fz f;
    memcpy(&s, data, sizeof(s));
    data += sizeof(s);
    size -= sizeof(s);
    /* The rest is guest memory (code at the start). */
    memset(f.mem, 0xcc, sizeof(f.mem));
    memcpy(f.mem, data, size < MEM_SIZE ? size : MEM_SIZE);
    x86_cpu_init(&f.x, &fz_ops, &f);
    /* Keep the state architecturally plausible enough to reach deep code. */
    s.rip &= MEM_SIZE - 1;
    s.seg[X86_CS].base = 0;
    s.gdt.base &= MEM_SIZE - 1;
    s.idt.base &= MEM_SIZE - 1;
    s.cr0 &= ~X86_CR0_PG; /* the ops above model flat, unpaged memory */
    x86_cpu_set_state(&f.x, &s);
    for (int i = 0; i < 8; i++) {
        int st = x86_emulate_one(&f.x, NULL);
        if (st == X86_EXEC_EXCEPTION)
            st = x86_deliver_exception(&f.x);
        if (st < X86_EXEC_OK || st > X86_EXEC_TRIPLE_FAULT)
            abort();
        if (st != X86_EXEC_OK)
            break;
    }
    return 0;
}
