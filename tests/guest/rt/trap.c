#include "trap.h"

#include <stdbool.h>

#include "cpu.h"
#include "desc.h"
#include "report.h"

#define IDT_VECTORS 256
#define STUB_SIZE 16
#define GATE_INTERRUPT64 0xe
#define GATE_PRESENT 0x80

extern const char trap_stubs[];

/* 64-bit IDT gate descriptor (SDM Vol. 3A 7.14.1, figure "64-Bit IDT Gate
 * Descriptors") */
struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;        /* bits 2:0 */
    uint8_t type_attr;  /* type, DPL (bits 6:5), P */
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Single-CPU guest: the IDT, the handler table and the expectation are the
 * trap module's own state. */
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static trap_handler handlers[IDT_VECTORS];
static struct {
    bool armed;
    const void *resume;
    struct trap_record rec;
} expect;

static void gate_write(unsigned v, unsigned dpl, unsigned ist)
{
    uint64_t target = (uint64_t)(uintptr_t)(trap_stubs + STUB_SIZE * v);
    idt[v] = (struct idt_gate){
        .offset_lo = (uint16_t)target,
        .selector = DESC_KERNEL_CS,
        .ist = (uint8_t)(ist & 7),
        .type_attr = (uint8_t)(GATE_PRESENT | (dpl & 3) << 5 | GATE_INTERRUPT64),
        .offset_mid = (uint16_t)(target >> 16),
        .offset_hi = (uint32_t)(target >> 32),
    };
}

void trap_init(void)
{
    for (unsigned v = 0; v < IDT_VECTORS; v++) {
        gate_write(v, 0, 0);
        handlers[v] = 0;
    }
    struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

void trap_set_gate(unsigned vector, unsigned dpl, unsigned ist)
{
    if (vector < IDT_VECTORS)
        gate_write(vector, dpl, ist);
}

void trap_set_handler(unsigned vector, trap_handler fn)
{
    if (vector < IDT_VECTORS)
        handlers[vector] = fn;
}

void trap_expect(const void *resume)
{
    expect.rec = (struct trap_record){ 0 };
    expect.resume = resume;
    cpu_barrier();
    expect.armed = true;
    cpu_barrier();
}

struct trap_record trap_result(void)
{
    cpu_barrier();
    expect.armed = false;
    return expect.rec;
}

void trap_default(struct trap_frame *f)
{
    uint64_t cr2 = cpu_read_cr2();
    if (!expect.armed || expect.rec.count)
        report_abort("unexpected exception %lu, error 0x%lx at rip 0x%lx (cs 0x%lx, cr2 0x%lx)",
                     f->vector, f->error, f->rip, f->cs, cr2);
    expect.rec = (struct trap_record){
        .count = 1, .vector = f->vector, .error = f->error, .rip = f->rip, .cs = f->cs,
        .rflags = f->rflags, .rsp = f->rsp, .ss = f->ss, .cr2 = cr2,
        .frame = (uint64_t)(uintptr_t)&f->rip,
    };
    if (expect.resume)
        f->rip = (uint64_t)(uintptr_t)expect.resume;
}

void trap_dispatch(struct trap_frame *f);

void trap_dispatch(struct trap_frame *f)
{
    trap_handler fn = f->vector < IDT_VECTORS ? handlers[f->vector] : 0;
    if (fn)
        fn(f);
    else
        trap_default(f);
}
