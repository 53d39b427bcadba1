/* Native execution and shared memory callbacks of the differential
 * harnesses (see diff_native.h). */
#include "diff_native.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

/* ---- Code emission --------------------------------------------------------- */

int diff_native_code_begin(const struct diff_env *env, const struct diff_form *f)
{
    uint8_t *insn = env->code + DIFF_INSN_OFF;
    if (mprotect(env->code, DIFF_CODE_LEN, PROT_READ | PROT_WRITE))
        return -errno;
    memset(env->code, 0xcc, DIFF_CODE_LEN);
    memcpy(insn, f->bytes, f->len);
    if (f->riprel_at >= 0) {
        uint64_t target = (uintptr_t)env->arena + (uint64_t)f->riprel_target;
        int32_t disp = (int32_t)(target - ((uintptr_t)insn + f->len));
        memcpy(insn + f->riprel_at, &disp, 4);
    }
    return 0;
}

int diff_native_code_end(const struct diff_env *env)
{
    return mprotect(env->code, DIFF_CODE_LEN, PROT_READ | PROT_EXEC) ? -errno : 0;
}

void diff_cg_b(struct diff_cg *c, uint8_t b)
{
    *c->p++ = b;
}

void diff_cg_u32(struct diff_cg *c, uint32_t v)
{
    memcpy(c->p, &v, 4);
    c->p += 4;
}

void diff_cg_u64(struct diff_cg *c, uint64_t v)
{
    memcpy(c->p, &v, 8);
    c->p += 8;
}

void diff_cg_bytes(struct diff_cg *c, const char *s, unsigned n)
{
    memcpy(c->p, s, n);
    c->p += n;
}

void diff_cg_jmp(struct diff_cg *c, const uint8_t *target)
{
    diff_cg_b(c, 0xe9);
    diff_cg_u32(c, (uint32_t)(target - (c->p + 4)));
}

void diff_cg_save_host(struct diff_cg *c, uint32_t host_rsp)
{
    diff_cg_bytes(c, "\x53\x55\x41\x54\x41\x55\x41\x56\x41\x57", 10); /* push rbx..r15 */
    diff_cg_bytes(c, "\x48\x89\xa7", 3); /* mov [rdi + host_rsp], rsp */
    diff_cg_u32(c, host_rsp);
}

/* mov r64, [rax + disp32] (load) or mov [rax + disp32], r64 (store). */
static void cg_mov_rax_disp(struct diff_cg *c, unsigned r, bool load, uint32_t disp)
{
    diff_cg_b(c, r >= 8 ? 0x4c : 0x48);
    diff_cg_b(c, load ? 0x8b : 0x89);
    diff_cg_b(c, (uint8_t)(0x80 | ((r & 7) << 3)));
    diff_cg_u32(c, disp);
}

void diff_cg_load_gprs(struct diff_cg *c, uint32_t gpr)
{
    for (unsigned r = 1; r < 16; r++) {
        if (r != X86_RSP)
            cg_mov_rax_disp(c, r, true, gpr + 8 * r);
    }
    cg_mov_rax_disp(c, X86_RSP, true, gpr + 8 * X86_RSP);
    cg_mov_rax_disp(c, X86_RAX, true, gpr + 8 * X86_RAX);
}

void diff_cg_store_gprs(struct diff_cg *c, uint32_t gpr)
{
    for (unsigned r = 1; r < 16; r++)
        cg_mov_rax_disp(c, r, false, gpr + 8 * r);
}

void diff_cg_host_return(struct diff_cg *c)
{
    diff_cg_bytes(c, "\x68\x02\x02\x00\x00\x9d", 6); /* push 0x202; popfq */
    diff_cg_bytes(c, "\x41\x5f\x41\x5e\x41\x5d\x41\x5c\x5d\x5b\xc3", 11); /* pop r15..rbx; ret */
}

/* ---- Native calls -------------------------------------------------------------- */

/* The signal handler's way back, and where it puts what it saw: set by
 * diff_native_call() for the length of one call (the tests are
 * single-threaded). */
static sigjmp_buf *native_jmp;
static struct diff_native_fault *native_fault;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    ucontext_t *uc = ucv;
    if (native_fault) {
        native_fault->trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
        if (uc->uc_mcontext.fpregs)
            memcpy(native_fault->fx, uc->uc_mcontext.fpregs, sizeof(native_fault->fx));
    }
    siglongjmp(*native_jmp, sig);
}

int diff_native_init(void)
{
    static uint8_t altstack[1 << 16];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    if (sigaltstack(&ss, NULL))
        return -errno;
    struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK };
    sigemptyset(&sa.sa_mask);
    const int sigs[] = { SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGTRAP };
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (sigaction(sigs[i], &sa, NULL))
            return -errno;
    }
    return 0;
}

int diff_native_call(const uint8_t *code, void *ctl, struct diff_native_fault *fault)
{
    sigjmp_buf jb;
    native_jmp = &jb;
    native_fault = fault;
    int sig = sigsetjmp(jb, 1);
    if (sig == 0) {
        void (*fn)(void *) = (void (*)(void *))(uintptr_t)code;
        fn(ctl);
    }
    native_fault = NULL;
    return sig;
}

/* ---- The emulator's view of the same memory ------------------------------------ */

static void *mem_map(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc)
{
    const struct diff_native_map *map = cpu->ctx;
    uint64_t arena = (uintptr_t)map->env->arena, code = (uintptr_t)map->env->code;
    unsigned perms;
    if (la + len < la)
        return NULL;
    if (la >= arena && la + len <= arena + DIFF_ARENA_LEN) {
        if (acc & X86_ACC_EXEC)
            return NULL;
        perms = X86_TLB_R | X86_TLB_W | X86_TLB_UR | X86_TLB_UW;
    } else if (la >= code && la + len <= code + DIFF_CODE_LEN) {
        if (acc & X86_ACC_WRITE)
            return NULL;
        perms = X86_TLB_R | X86_TLB_X | X86_TLB_UR | X86_TLB_UX;
    } else {
        return NULL;
    }
    if (map->fill_tlb && (la & 0xfff) + len <= 0x1000)
        x86_tlb_fill(cpu, la, (void *)(uintptr_t)(la & ~0xfffull), perms);
    return (void *)(uintptr_t)la;
}

static int mem_fault(struct x86_cpu *cpu, uint64_t la, unsigned acc)
{
    uint32_t err = X86_PF_U | ((acc & X86_ACC_WRITE) ? X86_PF_W : 0) |
                   ((acc & X86_ACC_EXEC) ? X86_PF_I : 0);
    return x86_raise_pf(cpu, err, la);
}

int diff_native_mem_read(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    void *p = mem_map(cpu, la, len, acc);
    if (!p)
        return mem_fault(cpu, la, acc);
    memcpy(dst, p, len);
    return X86_EXEC_OK;
}

int diff_native_mem_write(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len,
                          unsigned acc)
{
    void *p = mem_map(cpu, la, len, acc);
    if (!p)
        return mem_fault(cpu, la, acc);
    memcpy(p, src, len);
    return X86_EXEC_OK;
}

int diff_native_mem_ptr(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc, void **host)
{
    *host = mem_map(cpu, la, len, acc);
    return *host ? X86_EXEC_OK : mem_fault(cpu, la, acc);
}
