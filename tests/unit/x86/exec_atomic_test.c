/* LOCK atomicity: host threads, each running its own emulated CPU on
 * shared guest memory, hammer counters with LOCK CMPXCHG retry loops, LOCK
 * XADD, LOCK INC and an XCHG spinlock; the final counts must be exact.
 * Run with the software TLB (the emu backend's path) and with only the
 * mem_ptr callback (the kvm fallback's path). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "x86/emu.h"

#define MEM_LEN 0x10000u
#define CODE 0x1000u
#define DATA 0x8000u

#ifdef __SANITIZE_ADDRESS__
#define ITERS 20000
#else
#define ITERS 1000000
#endif

struct shared {
    uint8_t *mem;
    bool tlb;
};

static void *map(struct x86_cpu *cpu, uint64_t la, unsigned len)
{
    struct shared *sh = cpu->ctx;
    if (la + len > MEM_LEN || la + len < la)
        return NULL;
    if (sh->tlb && (la & 0xfff) + len <= 0x1000)
        x86_tlb_fill(cpu, la, sh->mem + (la & ~0xfffull), 0x3f);
    return sh->mem + la;
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

static int ptr(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc, void **host)
{
    *host = map(cpu, la, len);
    return *host ? X86_EXEC_OK : x86_raise_pf(cpu, acc & X86_ACC_WRITE ? X86_PF_W : 0, la);
}

static const struct x86_emu_ops ops = { .mem_read = rd, .mem_write = wr, .mem_ptr = ptr };

/* The guest program: four counter loops, RSI iterations each.
 *   1: mov eax,[rbx]; lea ecx,[rax+1]; lock cmpxchg [rbx],ecx; jne 1b
 *      (counter at rbx)
 *   2: mov ecx,1; lock xadd [rbx+8],ecx            (counter at rbx+8)
 *   3: lock inc qword [rbx+16]                      (counter at rbx+16)
 *   4: spin: mov eax,1; xchg [rbx+24],eax; test eax,eax; jnz spin;
 *      inc qword [rbx+32] (not locked, guarded); mov dword [rbx+24],0
 *   dec rsi; jnz 1b; hlt
 */
static const uint8_t program[] = {
    0x8b, 0x03,                   /* 00 mov eax,[rbx] */
    0x8d, 0x48, 0x01,             /* 02 lea ecx,[rax+1] */
    0xf0, 0x0f, 0xb1, 0x0b,       /* 05 lock cmpxchg [rbx],ecx */
    0x75, 0xf5,                   /* 09 jne 00 */
    0xb9, 0x01, 0x00, 0x00, 0x00, /* 0b mov ecx,1 */
    0xf0, 0x0f, 0xc1, 0x4b, 0x08, /* 10 lock xadd [rbx+8],ecx */
    0xf0, 0x48, 0xff, 0x43, 0x10, /* 15 lock inc qword [rbx+16] */
    0xb8, 0x01, 0x00, 0x00, 0x00, /* 1a mov eax,1 */
    0x87, 0x43, 0x18,             /* 1f xchg [rbx+24],eax */
    0x85, 0xc0,                   /* 22 test eax,eax */
    0x75, 0xf4,                   /* 24 jnz 1a */
    0x48, 0xff, 0x43, 0x20,       /* 26 inc qword [rbx+32] */
    0xc7, 0x43, 0x18, 0x00, 0x00, 0x00, 0x00, /* 2a mov dword [rbx+24],0 */
    0x48, 0xff, 0xce,             /* 31 dec rsi */
    0x75, 0xca,                   /* 34 jnz 00 */
    0xf4,                         /* 36 hlt */
};

struct decoded {
    struct x86_insn at[sizeof(program)]; /* indexed by offset */
};

struct worker {
    struct shared *sh;
    const struct decoded *code;
    pthread_barrier_t *start;
    int status;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    struct x86_cpu *cpu = calloc(1, sizeof(*cpu));
    x86_cpu_init(cpu, &ops, w->sh);
    struct x86_state s = cpu->s;
    s.cr0 = X86_CR0_PE | X86_CR0_PG;
    s.cr4 = X86_CR4_PAE;
    s.efer = X86_EFER_LME | X86_EFER_LMA;
    for (unsigned i = 0; i < 6; i++)
        s.seg[i] = (struct x86_seg){ .limit = 0xffffffff, .attr = X86_SEG_P | X86_SEG_S | 0x3 };
    s.seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | 0xb | X86_SEG_L;
    s.rip = CODE;
    s.gpr[X86_RBX] = DATA;
    s.gpr[X86_RSI] = ITERS;
    s.gpr[X86_RSP] = 0x7000;
    x86_cpu_set_state(cpu, &s);
    pthread_barrier_wait(w->start); /* run the loops at the same time */
    int rc;
    do {
        uint64_t off = cpu->s.rip - CODE;
        if (off >= sizeof(program)) {
            rc = -1;
            break;
        }
        rc = x86_exec(cpu, &w->code->at[off]);
    } while (rc == X86_EXEC_OK);
    w->status = rc;
    free(cpu);
    return NULL;
}

static void hammer(bool tlb)
{
    enum { NTHREADS = 2 };
    struct shared sh = { .mem = calloc(1, MEM_LEN), .tlb = tlb };
    assert_non_null(sh.mem);
    memcpy(sh.mem + CODE, program, sizeof(program));
    struct decoded *code = calloc(1, sizeof(*code));
    for (unsigned off = 0; off < sizeof(program);) {
        int len = x86_decode(program + off, sizeof(program) - off, X86_MODE_LONG64, &code->at[off]);
        assert_true(len > 0);
        off += (unsigned)len;
    }
    pthread_t t[NTHREADS];
    struct worker w[NTHREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (unsigned i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){ .sh = &sh, .code = code, .start = &start };
        assert_int_equal(pthread_create(&t[i], NULL, run_worker, &w[i]), 0);
    }
    for (unsigned i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].status, X86_EXEC_HALT); /* CPL 0 HLT ends each program */
    }
    pthread_barrier_destroy(&start);
    uint64_t c[5];
    memcpy(c, sh.mem + DATA, sizeof(c));
    assert_int_equal(c[0], (uint64_t)NTHREADS * ITERS); /* lock cmpxchg loop */
    assert_int_equal(c[1], (uint64_t)NTHREADS * ITERS); /* lock xadd */
    assert_int_equal(c[2], (uint64_t)NTHREADS * ITERS); /* lock inc */
    assert_int_equal(c[4], (uint64_t)NTHREADS * ITERS); /* xchg spinlock */
    free(code);
    free(sh.mem);
}

static void test_atomic_with_tlb(void **state)
{
    (void)state;
    hammer(true);
}

static void test_atomic_with_mem_ptr(void **state)
{
    (void)state;
    hammer(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_with_tlb),
        cmocka_unit_test(test_atomic_with_mem_ptr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
