/* Per-instruction cost of x86_exec() on pre-decoded records, as the emu
 * backend will drive it: a register-only ALU loop, a load/store loop (TLB
 * hits) and a call/ret loop. Prints ns per instruction; asserts that the
 * loops computed the right results (and, in optimised builds without
 * sanitizers, a generous upper bound on the cost). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "x86/emu.h"

#define MEM_LEN 0x40000u
#define CODE 0x1000u
#define DATA 0x8000u

static void *map(struct x86_cpu *cpu, uint64_t la, unsigned len)
{
    uint8_t *mem = cpu->ctx;
    if (la + len > MEM_LEN || la + len < la)
        return NULL;
    if ((la & 0xfff) + len <= 0x1000)
        x86_tlb_fill(cpu, la, mem + (la & ~0xfffull), 0x3f);
    return mem + la;
}

static int rd(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    void *p = map(cpu, la, len);
    if (!p)
        return x86_raise_pf(cpu, acc & X86_ACC_WRITE ? X86_PF_W : 0, la);
    memcpy(dst, p, len);
    return X86_EXEC_OK;
}

static int wr(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len, unsigned acc)
{
    void *p = map(cpu, la, len);
    if (!p)
        return x86_raise_pf(cpu, acc & X86_ACC_WRITE ? X86_PF_W : 0, la);
    memcpy(p, src, len);
    return X86_EXEC_OK;
}

static const struct x86_emu_ops ops = { .mem_read = rd, .mem_write = wr };

/* rdi counts up to rsi; rax/rdx/rcx mix. */
static const uint8_t alu_loop[] = {
    0x48, 0x01, 0xc8,                         /* add rax, rcx */
    0x48, 0x31, 0xc2,                         /* xor rdx, rax */
    0x48, 0x83, 0xe9, 0x03,                   /* sub rcx, 3 */
    0x48, 0x81, 0xe2, 0xff, 0x00, 0x00, 0x00, /* and rdx, 0xff */
    0x48, 0xff, 0xc7,                         /* inc rdi */
    0x48, 0x39, 0xf7,                         /* cmp rdi, rsi */
    0x75, 0xe7,                               /* jne loop */
    0xf4,                                     /* hlt */
};

/* increments 1024 qwords at rbx round robin, rsi times */
static const uint8_t mem_loop[] = {
    0x48, 0x8b, 0x04, 0xfb,                   /* mov rax, [rbx + rdi*8] */
    0x48, 0x83, 0xc0, 0x01,                   /* add rax, 1 */
    0x48, 0x89, 0x04, 0xfb,                   /* mov [rbx + rdi*8], rax */
    0x48, 0xff, 0xc7,                         /* inc rdi */
    0x48, 0x81, 0xe7, 0xff, 0x03, 0x00, 0x00, /* and rdi, 1023 */
    0x48, 0xff, 0xce,                         /* dec rsi */
    0x75, 0xe5,                               /* jnz loop */
    0xf4,                                     /* hlt */
};

/* call a leaf that adds to rax, rsi times */
static const uint8_t call_loop[] = {
    0xe8, 0x06, 0x00, 0x00, 0x00, /* call leaf */
    0x48, 0xff, 0xce,             /* dec rsi */
    0x75, 0xf6,                   /* jnz loop */
    0xf4,                         /* hlt */
    0x48, 0xff, 0xc0,             /* leaf: inc rax */
    0xc3,                         /* ret */
};

/* copies 64 KiB from 0x10000 to 0x20000 with rep movsb, rsi times (r8
 * counts) */
static const uint8_t movs_loop[] = {
    0x49, 0x89, 0xf0,                         /* mov r8, rsi */
    0xbe, 0x00, 0x00, 0x01, 0x00,             /* mov esi, 0x10000 */
    0xbf, 0x00, 0x00, 0x02, 0x00,             /* mov edi, 0x20000 */
    0xb9, 0x00, 0x00, 0x01, 0x00,             /* mov ecx, 0x10000 */
    0xf3, 0xa4,                               /* rep movsb */
    0x49, 0xff, 0xc8,                         /* dec r8 */
    0x75, 0xea,                               /* jnz loop (the mov esi) */
    0xf4,                                     /* hlt */
};

struct run {
    double ns_per_insn;
    uint64_t insns;
    struct x86_state end;
    uint64_t first_counter; /* the qword at DATA */
};

static void run(const uint8_t *code, size_t len, uint64_t iters, struct run *out)
{
    uint8_t *mem = calloc(1, MEM_LEN);
    struct x86_cpu *cpu = calloc(1, sizeof(*cpu));
    struct x86_insn *rec = calloc(len, sizeof(*rec));
    assert_non_null(mem);
    assert_non_null(cpu);
    assert_non_null(rec);
    memcpy(mem + CODE, code, len);
    for (size_t off = 0; off < len;) {
        int n = x86_decode(code + off, len - off, X86_MODE_LONG64, &rec[off]);
        assert_true(n > 0);
        off += (size_t)n;
    }
    x86_cpu_init(cpu, &ops, mem);
    struct x86_state s = cpu->s;
    s.cr0 = X86_CR0_PE | X86_CR0_PG;
    s.cr4 = X86_CR4_PAE;
    s.efer = X86_EFER_LME | X86_EFER_LMA;
    for (unsigned i = 0; i < 6; i++)
        s.seg[i] = (struct x86_seg){ .limit = 0xffffffff, .attr = X86_SEG_P | X86_SEG_S | 0x3 };
    s.seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | 0xb | X86_SEG_L;
    s.rip = CODE;
    s.gpr[X86_RSI] = iters;
    s.gpr[X86_RBX] = DATA;
    s.gpr[X86_RCX] = 12345;
    s.gpr[X86_RSP] = 0x7ff8;
    x86_cpu_set_state(cpu, &s);

    struct timespec t0, t1;
    uint64_t n = 0;
    int rc = -1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do {
        uint64_t off = cpu->s.rip - CODE;
        if (off >= len)
            break;
        rc = x86_exec(cpu, &rec[off]);
        n++;
    } while (rc == X86_EXEC_OK);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    assert_int_equal(rc, X86_EXEC_HALT);
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    out->ns_per_insn = ns / (double)n;
    out->insns = n;
    x86_cpu_get_state(cpu, &out->end);
    memcpy(&out->first_counter, mem + DATA, 8);
    free(rec);
    free(cpu);
    free(mem);
}

#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
#define ITERS 200000
#define MAX_NS 0 /* no bound in debug or sanitizer builds */
#else
#define ITERS 5000000
#define MAX_NS 200 /* catastrophic-regression guard; the target is tens of ns */
#endif

static void report(const char *what, const struct run *r)
{
    fprintf(stderr, "exec speed: %-18s %8.1f ns/insn  %7.1f M insn/s  (%llu insns)\n", what,
            r->ns_per_insn, 1e3 / r->ns_per_insn, (unsigned long long)r->insns);
    if (MAX_NS)
        assert_true(r->ns_per_insn < MAX_NS);
}

static void test_alu_loop(void **state)
{
    (void)state;
    struct run r;
    run(alu_loop, sizeof(alu_loop), ITERS, &r);
    /* the same loop in C */
    uint64_t rax = 0, rcx = 12345, rdx = 0;
    for (uint64_t i = 0; i < ITERS; i++) {
        rax += rcx;
        rdx ^= rax;
        rcx -= 3;
        rdx &= 0xff;
    }
    assert_int_equal(r.end.gpr[X86_RAX], rax);
    assert_int_equal(r.end.gpr[X86_RDX], rdx);
    assert_int_equal(r.end.gpr[X86_RDI], ITERS);
    assert_int_equal(r.insns, 7ull * ITERS + 1);
    report("register ALU loop", &r);
}

static void test_mem_loop(void **state)
{
    (void)state;
    struct run r;
    run(mem_loop, sizeof(mem_loop), ITERS, &r);
    assert_int_equal(r.first_counter, (ITERS + 1023) / 1024);
    assert_int_equal(r.end.gpr[X86_RDI], ITERS % 1024);
    report("load/store loop", &r);
}

static void test_call_loop(void **state)
{
    (void)state;
    struct run r;
    run(call_loop, sizeof(call_loop), ITERS, &r);
    assert_int_equal(r.end.gpr[X86_RAX], ITERS);
    assert_int_equal(r.end.gpr[X86_RSP], 0x7ff8);
    report("call/ret loop", &r);
}

static void test_rep_movs(void **state)
{
    (void)state;
    struct run r;
    const uint64_t iters = ITERS / 2000;
    run(movs_loop, sizeof(movs_loop), iters, &r);
    assert_int_equal(r.end.gpr[X86_RCX], 0);
    assert_int_equal(r.end.gpr[X86_RDI], 0x30000);
    double ns_per_byte = r.ns_per_insn * (double)r.insns / (double)(iters * 0x10000);
    fprintf(stderr, "exec speed: rep movsb (64 KiB)     %8.3f ns/byte  %7.2f GB/s\n", ns_per_byte,
            1.0 / ns_per_byte);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu_loop),
        cmocka_unit_test(test_mem_loop),
        cmocka_unit_test(test_call_loop),
        cmocka_unit_test(test_rep_movs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
