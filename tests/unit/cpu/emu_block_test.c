/* The software CPU's block cache (src/cpu/emu): decoded blocks, the links
 * between them, and everything that must make a cached block or link go
 * stale. Each test runs a small 64-bit guest on the emu backend (4 KiB
 * pages over the first 2 MiB, identity-mapped) that reports through port
 * 0xf4 and stops through port 0xf5:
 *
 *  - a block that rewrites an instruction later in itself;
 *  - a linked successor block whose page is rewritten from another page;
 *  - a successor whose virtual page is remapped to other code (INVLPG, and
 *    MOV CR3), while the link from its predecessor stays in place; the same
 *    through a global translation (INVLPG, CR4.PGE off);
 *  - returns to several call sites, and deeper than the calls remembered;
 *  - conditional branches leaving a block in the middle, both ways;
 *  - a REP STOS that needs several batches in the middle of a block;
 *  - a block running into the next page, whose second page is remapped. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/bus.h"
#include "core/guest_mem.h"
#include "core/intc.h"
#include "cpu/cpu.h"
#include "x86/state.h"

#include "long_mode.h"

#define RAM (4u << 20)
#define PML4 0x10000u
#define PDPT 0x11000u
#define PD 0x12000u
#define PT 0x13000u
#define STACK 0x9000u
#define PORT_OUT 0xf4
#define PORT_STOP 0xf5
#define MAX_OUT 64

/* ---- The machine --------------------------------------------------------------- */

struct machine {
    uint8_t *ram;
    struct guest_mem mem;
    struct bus pio, mmio;
    atomic_int stop;
    atomic_uint events;
    struct cpu_vm *vm;
    struct cpu_vcpu *vcpu;
    struct cpu_intc ic;
    uint8_t out[MAX_OUT];
    unsigned nout;
};

static void port_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct machine *m = dev;
    (void)size;
    if (offset == 0 && m->nout < MAX_OUT)
        m->out[m->nout++] = (uint8_t)value;
    if (offset == 1)
        atomic_store(&m->stop, 1);
}

static const struct bus_dev_ops port_ops = { .write = port_write };

/* A local interrupt controller with nothing to deliver. */
static atomic_uint *ic_events(void *ctx, unsigned cpu)
{
    (void)cpu;
    return &((struct machine *)ctx)->events;
}
static int ic_pending(void *ctx, unsigned cpu) { (void)ctx; (void)cpu; return -1; }
static int ic_ack(void *ctx, unsigned cpu) { (void)ctx; (void)cpu; return 0; }
static bool ic_take_nmi(void *ctx, unsigned cpu) { (void)ctx; (void)cpu; return false; }
static enum intc_init_event ic_take_init(void *ctx, unsigned cpu, uint8_t *v)
{
    (void)ctx; (void)cpu; (void)v;
    return INTC_NO_INIT;
}
static bool ic_mmio_base(void *ctx, unsigned cpu, uint64_t *base)
{
    (void)ctx; (void)cpu; (void)base;
    return false;
}
static uint64_t ic_mmio_read(void *ctx, unsigned cpu, uint64_t off, unsigned size)
{
    (void)ctx; (void)cpu; (void)off; (void)size;
    return 0;
}
static void ic_mmio_write(void *ctx, unsigned cpu, uint64_t off, uint64_t v, unsigned size)
{
    (void)ctx; (void)cpu; (void)off; (void)v; (void)size;
}
static int ic_rdmsr(void *ctx, unsigned cpu, uint32_t msr, uint64_t *v)
{
    (void)ctx; (void)cpu; (void)msr; (void)v;
    return -2;
}
static int ic_wrmsr(void *ctx, unsigned cpu, uint32_t msr, uint64_t v)
{
    (void)ctx; (void)cpu; (void)msr; (void)v;
    return 0;
}
static void ic_set_cr8(void *ctx, unsigned cpu, uint64_t cr8) { (void)ctx; (void)cpu; (void)cr8; }
static uint64_t ic_tsc(void *ctx) { (void)ctx; return 0; }
static void ic_set_kick(void *ctx, unsigned cpu, void (*kick)(void *), void *kctx)
{
    (void)ctx; (void)cpu; (void)kick; (void)kctx;
}

static const struct cpu_intc_ops ic_ops = {
    .events = ic_events, .pending = ic_pending, .ack = ic_ack, .take_nmi = ic_take_nmi,
    .take_init = ic_take_init, .mmio_base = ic_mmio_base, .mmio_read = ic_mmio_read,
    .mmio_write = ic_mmio_write, .rdmsr = ic_rdmsr, .wrmsr = ic_wrmsr, .set_cr8 = ic_set_cr8,
    .tsc = ic_tsc, .tsc_hz = 1000000000, .set_kick = ic_set_kick,
};

static void put64(struct machine *m, uint64_t pa, uint64_t v)
{
    memcpy(m->ram + pa, &v, 8);
}

/* Identity paging: 4 KiB pages over 0-2 MiB, a 2 MiB page above. */
static void machine_init(struct machine *m)
{
    memset(m, 0, sizeof(*m));
    m->ram = aligned_alloc(4096, RAM); /* page-aligned, like vmon's guest RAM */
    assert_non_null(m->ram);
    memset(m->ram, 0, RAM);
    gmem_init_flat(&m->mem, m->ram, RAM);
    bus_init(&m->pio, "pio");
    bus_init(&m->mmio, "mmio");
    assert_int_equal(bus_register(&m->pio, PORT_OUT, 2, &port_ops, m, "test"), BUS_OK);
    put64(m, PML4, PDPT | 3);
    put64(m, PDPT, PD | 3);
    put64(m, PD, PT | 3);
    put64(m, PD + 8, 0x200000 | 0x83);
    for (uint64_t i = 0; i < 512; i++)
        put64(m, PT + 8 * i, i << 12 | 3);
}

static void *watchdog(void *arg)
{
    struct machine *m = arg;
    for (int i = 0; i < 100 && !atomic_load(&m->stop); i++)
        usleep(50000);
    int running = 0;
    atomic_compare_exchange_strong(&m->stop, &running, 2); /* a runaway guest */
    return NULL;
}

/* Runs the guest from rip until it writes PORT_STOP. */
static void machine_run(struct machine *m, uint64_t rip)
{
    const struct cpu_backend *be = &cpu_backend_emu;
    m->ic = (struct cpu_intc){ .ops = &ic_ops, .ctx = m };
    struct cpu_vm_env env = { .mem = &m->mem, .pio = &m->pio, .mmio = &m->mmio, .ncpus = 1,
                              .stop = &m->stop, .intc = &m->ic };
    char err[128];
    assert_int_equal(be->vm_create(&env, &m->vm, err, sizeof(err)), 0);
    assert_int_equal(be->vcpu_create(m->vm, 0, &m->vcpu, err, sizeof(err)), 0);
    struct x86_state s;
    assert_int_equal(be->vcpu_get_state(m->vcpu, &s), 0);
    long_mode_flat(&s, PML4);
    s.rip = rip;
    s.gpr[X86_RSP] = STACK;
    assert_int_equal(be->vcpu_set_state(m->vcpu, &s), 0);
    pthread_t dog;
    assert_int_equal(pthread_create(&dog, NULL, watchdog, m), 0);
    enum vcpu_exit why = be->vcpu_run(m->vcpu);
    pthread_join(dog, NULL);
    int stop = atomic_load(&m->stop);
    assert_int_equal(why, VCPU_EXIT_STOPPED);
    assert_int_equal(stop, 1); /* stopped by the guest, not the watchdog */
}

static void machine_fini(struct machine *m)
{
    cpu_backend_emu.vcpu_destroy(m->vcpu);
    cpu_backend_emu.vm_destroy(m->vm);
    bus_destroy(&m->pio);
    bus_destroy(&m->mmio);
    free(m->ram);
}

/* ---- A tiny assembler (64-bit mode) --------------------------------------------- */

struct as {
    struct machine *m;
    uint64_t pc;
};

static void b(struct as *a, unsigned n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (unsigned i = 0; i < n; i++)
        a->m->ram[a->pc++] = (uint8_t)va_arg(ap, int);
    va_end(ap);
}

static void imm32(struct as *a, uint32_t v)
{
    memcpy(a->m->ram + a->pc, &v, 4);
    a->pc += 4;
}

static void mov_al(struct as *a, uint8_t v) { b(a, 2, 0xb0, v); }
static void out_al(struct as *a) { b(a, 2, 0xe6, PORT_OUT); }
/* out PORT_STOP, al; then spin (jmp $) until the vCPU sees the stop */
static void stop(struct as *a) { b(a, 4, 0xe6, PORT_STOP, 0xeb, 0xfe); }
static void inc_ebx(struct as *a) { b(a, 2, 0xff, 0xc3); }
static void cmp_ebx(struct as *a, uint8_t v) { b(a, 3, 0x83, 0xfb, v); }

static void jmp(struct as *a, uint64_t target)
{
    b(a, 1, 0xe9);
    imm32(a, (uint32_t)(target - (a->pc + 4)));
}

static void call(struct as *a, uint64_t target)
{
    b(a, 1, 0xe8);
    imm32(a, (uint32_t)(target - (a->pc + 4)));
}

/* Jcc rel32; returns the address of the displacement for patching. */
static uint64_t jcc(struct as *a, unsigned cc, uint64_t target)
{
    b(a, 2, 0x0f, 0x80 + cc);
    uint64_t at = a->pc;
    imm32(a, (uint32_t)(target - (a->pc + 4)));
    return at;
}

static void patch_rel32(struct machine *m, uint64_t at, uint64_t target)
{
    uint32_t rel = (uint32_t)(target - (at + 4));
    memcpy(m->ram + at, &rel, 4);
}

/* mov byte [abs32], imm8 */
static void store8(struct as *a, uint32_t addr, uint8_t v)
{
    b(a, 3, 0xc6, 0x04, 0x25);
    imm32(a, addr);
    b(a, 1, v);
}

/* mov qword [abs32], rax ; mov rax, imm32 (sign-extended) */
static void store_rax(struct as *a, uint32_t addr) { b(a, 4, 0x48, 0x89, 0x04, 0x25); imm32(a, addr); }
static void mov_rax(struct as *a, uint32_t v) { b(a, 3, 0x48, 0xc7, 0xc0); imm32(a, v); }
static void invlpg(struct as *a, uint32_t addr) { b(a, 3, 0x0f, 0x01, 0x3c); b(a, 1, 0x25); imm32(a, addr); }
static void mov_cr3_rax(struct as *a) { b(a, 3, 0x0f, 0x22, 0xd8); }
static void mov_rax_cr4(struct as *a) { b(a, 3, 0x0f, 0x20, 0xe0); }
static void mov_cr4_rax(struct as *a) { b(a, 3, 0x0f, 0x22, 0xe0); }
/* or rax, CR4.PGE (set) / xor rax, CR4.PGE */
static void pge_rax(struct as *a, bool set)
{
    b(a, 4, 0x48, set ? 0x0d : 0x35, 0x80, 0x00);
    b(a, 2, 0x00, 0x00);
}

#define CC_E 4
#define CC_NE 5

static void expect_out(const struct machine *m, const uint8_t *want, unsigned n)
{
    assert_int_equal(m->nout, n);
    assert_memory_equal(m->out, want, n);
}

/* Runs the guest from 0x1000 and checks what it reported. */
static void run_expect(struct machine *m, const uint8_t *want, unsigned n)
{
    machine_run(m, 0x1000);
    expect_out(m, want, n);
}

/* The fixture of the tests below: a fresh machine each. */
static int machine_setup(void **state)
{
    struct machine *m = malloc(sizeof(*m));
    if (!m)
        return -1;
    machine_init(m);
    *state = m;
    return 0;
}

static int machine_teardown(void **state)
{
    machine_fini(*state);
    free(*state);
    return 0;
}

/* The start of a loop that counts its trips in EBX: zeroes it, starts a
 * block of its own (the loop), whose first instruction jumps to target.
 * Returns the loop's address. */
static uint64_t loop_to(struct as *a, uint64_t target)
{
    b(a, 2, 0x31, 0xdb); /* xor ebx, ebx */
    jmp(a, a->pc + 5);
    uint64_t loop = a->pc;
    jmp(a, target);
    return loop;
}

/* ---- A linked successor whose page is remapped ---------------------------------- */

#define REMAP_VA 0x5000u  /* the successor's virtual page */
#define REMAP_RET 0x5800u /* a RET on it: calling it refills the TLB */
#define REMAP_PTE (PT + 5 * 8)

/* Two versions of the successor for virtual REMAP_VA: physical 0x5000
 * reports 0x51, physical 0x6000 0x62; both go on at 0x2000. */
static void remap_versions(struct machine *m)
{
    struct as v1 = { m, 0x5000 };
    mov_al(&v1, 0x51);
    out_al(&v1);
    jmp(&v1, 0x2000);
    memcpy(m->ram + 0x6000, m->ram + 0x5000, 16);
    m->ram[0x6001] = 0x62;
    m->ram[0x5800] = m->ram[0x6800] = 0xc3; /* ret */
}

/* The loop from a->pc into REMAP_VA, and the trip count at 0x2000 where
 * it comes back; a->pc is then there. Returns the loop's address. */
static uint64_t remap_loop(struct as *a)
{
    uint64_t loop = loop_to(a, REMAP_VA);
    a->pc = 0x2000;
    inc_ebx(a);
    return loop;
}

/* The code for "after trip n" begins: returns the jump over it (taken on
 * the other trips) for remap_again() to patch. */
static uint64_t remap_after_trip(struct as *a, uint8_t n)
{
    cmp_ebx(a, n);
    return jcc(a, CC_NE, 0);
}

/* mov rax, pte; mov [REMAP_PTE], rax */
static void remap_set_pte(struct as *a, uint32_t pte)
{
    mov_rax(a, pte);
    store_rax(a, REMAP_PTE);
}

/* Ends the code of one trip: calls the RET on the page (the TLB gets the
 * new translation), goes round the loop again; skip lands after it. */
static void remap_again(struct as *a, uint64_t loop, uint64_t skip)
{
    call(a, REMAP_RET);
    jmp(a, loop);
    patch_rel32(a->m, skip, a->pc);
}

/* ---- Tests ----------------------------------------------------------------------- */

/* A block stores into its own next instruction: the store must be seen. */
static void test_block_writes_into_itself(void **state)
{
    struct machine *m = *state;
    struct as a = { m, 0x1000 };
    /* twice through the same block: the second time it is rebuilt */
    b(&a, 2, 0x31, 0xdb); /* xor ebx, ebx */
    uint64_t loop = a.pc;
    uint64_t imm_at = a.pc + 8 + 1; /* the immediate of the mov al below */
    store8(&a, (uint32_t)imm_at, 0x42);
    mov_al(&a, 0x17);
    out_al(&a);
    inc_ebx(&a);
    cmp_ebx(&a, 2);
    jcc(&a, CC_NE, loop);
    stop(&a);
    run_expect(m, (const uint8_t[]){ 0x42, 0x42 }, 2);
}

/* Block A (page 1) jumps to block B (page 3) twice: the first trip links A
 * to B; between the trips code on page 2 rewrites B. The second trip must
 * run the new B, not follow the old link. */
static void test_link_to_rewritten_block(void **state)
{
    struct machine *m = *state;
    struct as a = { m, 0x1000 };
    uint64_t loop_a = loop_to(&a, 0x3000); /* A -> B */
    a.pc = 0x3000;        /* B */
    mov_al(&a, 0x11);
    out_al(&a);
    jmp(&a, 0x2000);
    a.pc = 0x2000;        /* page 2: count, patch B, go round once more */
    inc_ebx(&a);
    cmp_ebx(&a, 2);
    uint64_t done = jcc(&a, CC_E, 0);
    store8(&a, 0x3001, 0x22);
    jmp(&a, loop_a);
    patch_rel32(m, done, a.pc);
    stop(&a);
    run_expect(m, (const uint8_t[]){ 0x11, 0x22 }, 2);
}

/* The virtual page of a linked successor is remapped to other code, with
 * INVLPG (first) and by loading CR3 again (second): the link must not
 * bypass the new translation, even once the TLB holds the new one (a call
 * to a RET elsewhere on the page refills it). */
static void test_link_after_remap(void **state)
{
    struct machine *m = *state;
    remap_versions(m);
    struct as a = { m, 0x1000 };
    uint64_t loop = remap_loop(&a);
    /* after trip 1: map REMAP_VA -> 0x6000, INVLPG */
    uint64_t skip = remap_after_trip(&a, 1);
    remap_set_pte(&a, 0x6003);
    invlpg(&a, REMAP_VA);
    remap_again(&a, loop, skip);
    /* after trip 2: map it back -> 0x5000, reload CR3 */
    skip = remap_after_trip(&a, 2);
    remap_set_pte(&a, 0x5003);
    mov_rax(&a, PML4);
    mov_cr3_rax(&a);
    remap_again(&a, loop, skip);
    stop(&a);
    run_expect(m, (const uint8_t[]){ 0x51, 0x62, 0x51 }, 3);
}

/* With CR4.PGE, a global translation of a linked successor's page may
 * outlive a MOV CR3 (the software CPU keeps it), but not an INVLPG of the
 * page, nor CR4.PGE going off. */
static void test_global_translations(void **state)
{
    struct machine *m = *state;
    remap_versions(m);
    put64(m, REMAP_PTE, 0x5000 | 0x103); /* global */
    struct as a = { m, 0x1000 };
    mov_rax_cr4(&a);
    pge_rax(&a, true);
    mov_cr4_rax(&a);
    uint64_t loop = remap_loop(&a);
    /* after trip 1: reload CR3 (the global translation stays) */
    uint64_t skip = remap_after_trip(&a, 1);
    mov_rax(&a, PML4);
    mov_cr3_rax(&a);
    remap_again(&a, loop, skip);
    /* after trip 2: REMAP_VA -> 0x6000 (global), INVLPG */
    skip = remap_after_trip(&a, 2);
    remap_set_pte(&a, 0x6103);
    invlpg(&a, REMAP_VA);
    remap_again(&a, loop, skip);
    /* after trip 3: back to 0x5000, then CR4.PGE off and on again */
    skip = remap_after_trip(&a, 3);
    remap_set_pte(&a, 0x5103);
    mov_rax_cr4(&a);
    pge_rax(&a, false);
    mov_cr4_rax(&a);
    pge_rax(&a, false);
    mov_cr4_rax(&a);
    remap_again(&a, loop, skip);
    stop(&a);
    run_expect(m, (const uint8_t[]){ 0x51, 0x51, 0x62, 0x51 }, 4);
}

/* Returns link from the block after their call: one function called from
 * two places, and a recursion deeper than the calls the CPU remembers
 * (EMU_CALL_DEPTH), each return must land after its own call. */
static void test_returns(void **state)
{
    struct machine *m = *state;
    struct as f = { m, 0x3000 }; /* f: out al; inc al; ret */
    out_al(&f);
    b(&f, 2, 0xfe, 0xc0);
    b(&f, 1, 0xc3);
    struct as r = { m, 0x3800 }; /* r: recurse ecx times, then out al, and inc al on the way back */
    b(&r, 2, 0xff, 0xc9);          /* dec ecx */
    uint64_t base = jcc(&r, CC_E, 0);
    call(&r, 0x3800);
    b(&r, 2, 0xfe, 0xc0);          /* inc al */
    b(&r, 1, 0xc3);
    patch_rel32(m, base, r.pc);
    out_al(&r);
    b(&r, 1, 0xc3);

    struct as a = { m, 0x1000 };
    b(&a, 2, 0x31, 0xdb); /* xor ebx, ebx */
    uint64_t loop = a.pc;
    mov_al(&a, 0x10);
    call(&a, 0x3000);     /* out 0x10 */
    b(&a, 2, 0x04, 0x10); /* add al, 0x10 */
    call(&a, 0x3000);     /* out 0x21 */
    inc_ebx(&a);
    cmp_ebx(&a, 2);
    jcc(&a, CC_NE, loop);
    b(&a, 1, 0xb9); imm32(&a, 40); /* mov ecx, 40 */
    mov_al(&a, 0x40);
    call(&a, 0x3800);     /* out 0x40 at the bottom, then 39 incs on the way back */
    out_al(&a);           /* 0x40 + 39 */
    stop(&a);
    run_expect(m, (const uint8_t[]){ 0x10, 0x21, 0x10, 0x21, 0x40, 0x40 + 39 }, 6);
}

/* Conditional branches leave a block in the middle when taken and fall
 * through when not; each way out gets its own link. */
static void test_branches_out_of_the_middle(void **state)
{
    struct machine *m = *state;
    struct as a = { m, 0x1000 };
    b(&a, 2, 0x31, 0xdb); /* xor ebx, ebx */
    uint64_t loop = a.pc;
    inc_ebx(&a);
    cmp_ebx(&a, 1);
    uint64_t j1 = jcc(&a, CC_E, 0); /* taken on trip 1 */
    cmp_ebx(&a, 2);
    uint64_t j2 = jcc(&a, CC_E, 0); /* taken on trip 2 */
    mov_al(&a, 0x33);               /* trip 3 falls through everything */
    out_al(&a);
    stop(&a);
    patch_rel32(m, j1, a.pc);
    mov_al(&a, 0x31);
    out_al(&a);
    jmp(&a, loop);
    patch_rel32(m, j2, a.pc);
    mov_al(&a, 0x32);
    out_al(&a);
    jmp(&a, loop);
    run_expect(m, (const uint8_t[]){ 0x31, 0x32, 0x33 }, 3);
}

/* REP STOSB over more than one batch (X86_REP_BATCH) in the middle of a
 * block: the instructions after it run once, after all the iterations. */
static void test_rep_in_the_middle(void **state)
{
    struct machine *m = *state;
    struct as a = { m, 0x1000 };
    b(&a, 3, 0x48, 0xc7, 0xc7); imm32(&a, 0x100000);  /* mov rdi, 0x100000 */
    b(&a, 3, 0x48, 0xc7, 0xc1); imm32(&a, 10000);     /* mov rcx, 10000 */
    mov_al(&a, 0x5a);
    b(&a, 2, 0xf3, 0xaa);                              /* rep stosb */
    b(&a, 2, 0x88, 0xc8);                              /* mov al, cl */
    out_al(&a);
    b(&a, 6, 0x8a, 0x04, 0x25, 0x0f, 0x27, 0x10);      /* mov al, [0x10270f] */
    b(&a, 1, 0x00);
    out_al(&a);
    stop(&a);
    run_expect(m, (const uint8_t[]){ 0, 0x5a }, 2);
    assert_int_equal(m->ram[0x100000 + 9999], 0x5a);
    assert_int_equal(m->ram[0x100000 + 10000], 0);
}

/* A block that runs into the next page (an instruction crossing the page
 * boundary) is used again only while that page maps the same code. */
static void test_block_across_pages(void **state)
{
    struct machine *m = *state;
    /* mov eax, imm32 at 0x7fff: the immediate is on the next page */
    struct as c = { m, 0x7fff };
    b(&c, 1, 0xb8); imm32(&c, 0x71);
    out_al(&c);
    jmp(&c, 0x2000);
    /* physical 0xa000: the same bytes from 0x8000 on, but imm32 0x72 */
    memcpy(m->ram + 0xa000, m->ram + 0x8000, 16);
    m->ram[0xa000] = 0x72;

    struct as a = { m, 0x1000 };
    b(&a, 2, 0x31, 0xdb);
    uint64_t loop = a.pc;
    jmp(&a, 0x7fff);
    a.pc = 0x2000;
    inc_ebx(&a);
    cmp_ebx(&a, 2);
    uint64_t done = jcc(&a, CC_E, 0);
    mov_rax(&a, 0xa003);       /* virtual 0x8000 -> physical 0xa000 */
    store_rax(&a, PT + 8 * 8);
    invlpg(&a, 0x8000);
    jmp(&a, loop);
    patch_rel32(m, done, a.pc);
    stop(&a);
    run_expect(m, (const uint8_t[]){ 0x71, 0x72 }, 2);
}

/* ---- Speed ------------------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
#define LOOP_ITERS 100000u
#else
#define LOOP_ITERS 10000000u
#endif

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Runs a loop of per_iter instructions LOOP_ITERS times on the software CPU
 * (rsi counts down, rbx points at data) and prints the cost per guest
 * instruction, everything included (blocks, links, event polls). */
static void loop_speed(const char *name, void (*body)(struct as *), unsigned per_iter,
                       uint64_t *rax)
{
    struct machine m;
    machine_init(&m);
    struct as a = { &m, 0x1000 };
    b(&a, 3, 0x48, 0xc7, 0xc6); imm32(&a, LOOP_ITERS); /* mov rsi, LOOP_ITERS */
    b(&a, 3, 0x48, 0xc7, 0xc3); imm32(&a, 0x100000);   /* mov rbx, 0x100000 */
    b(&a, 2, 0x31, 0xff);                               /* xor edi, edi */
    b(&a, 2, 0x31, 0xc0);                               /* xor eax, eax */
    body(&a);
    stop(&a);
    double t0 = cpu_seconds();
    machine_run(&m, 0x1000);
    double t = cpu_seconds() - t0;
    struct x86_state s;
    assert_int_equal(cpu_backend_emu.vcpu_get_state(m.vcpu, &s), 0);
    *rax = s.gpr[X86_RAX];
    fprintf(stderr, "emu speed: %-10s %6.2f ns/insn %7.1f M insn/s\n", name,
            t * 1e9 / ((double)LOOP_ITERS * per_iter), (double)LOOP_ITERS * per_iter / t / 1e6);
    machine_fini(&m);
}

/* add rax, rcx; xor rdx, rax; sub rcx, 3; and rdx, 0xff; inc rdi; dec rsi; jnz */
static void alu_loop(struct as *a)
{
    b(a, 2, 0xb1, 0x05); /* mov cl, 5 */
    uint64_t loop = a->pc;
    b(a, 3, 0x48, 0x01, 0xc8); b(a, 3, 0x48, 0x31, 0xc2); b(a, 4, 0x48, 0x83, 0xe9, 0x03);
    b(a, 7, 0x48, 0x81, 0xe2, 0xff, 0x00, 0x00, 0x00); b(a, 3, 0x48, 0xff, 0xc7);
    b(a, 3, 0x48, 0xff, 0xce);
    jcc(a, CC_NE, loop);
}

/* mov rax, [rbx + rdi*8]; add rax, 1; mov [rbx + rdi*8], rax; inc rdi;
 * and rdi, 1023; dec rsi; jnz */
static void mem_loop(struct as *a)
{
    uint64_t loop = a->pc;
    b(a, 4, 0x48, 0x8b, 0x04, 0xfb); b(a, 4, 0x48, 0x83, 0xc0, 0x01);
    b(a, 4, 0x48, 0x89, 0x04, 0xfb); b(a, 3, 0x48, 0xff, 0xc7);
    b(a, 7, 0x48, 0x81, 0xe7, 0xff, 0x03, 0x00, 0x00); b(a, 3, 0x48, 0xff, 0xce);
    jcc(a, CC_NE, loop);
}

/* call f; dec rsi; jnz; f: inc rax; ret */
static void call_loop(struct as *a)
{
    uint64_t loop = a->pc;
    call(a, 0x3000);
    b(a, 3, 0x48, 0xff, 0xce);
    jcc(a, CC_NE, loop);
    struct as f = { a->m, 0x3000 };
    b(&f, 3, 0x48, 0xff, 0xc0);
    b(&f, 1, 0xc3);
}

static void test_loop_speed(void **state)
{
    (void)state;
    uint64_t rax;
    loop_speed("ALU loop", alu_loop, 7, &rax);
    loop_speed("load/store", mem_loop, 7, &rax);
    assert_int_equal(rax, (LOOP_ITERS + 1023) / 1024); /* the last counter read, plus 1 */
    loop_speed("call/ret", call_loop, 5, &rax);
    assert_int_equal(rax, LOOP_ITERS);
}

#define BLOCK_TEST(t) cmocka_unit_test_setup_teardown(t, machine_setup, machine_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BLOCK_TEST(test_block_writes_into_itself),
        BLOCK_TEST(test_link_to_rewritten_block),
        BLOCK_TEST(test_link_after_remap),
        BLOCK_TEST(test_global_translations),
        BLOCK_TEST(test_returns),
        BLOCK_TEST(test_branches_out_of_the_middle),
        BLOCK_TEST(test_rep_in_the_middle),
        BLOCK_TEST(test_block_across_pages),
        cmocka_unit_test(test_loop_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
