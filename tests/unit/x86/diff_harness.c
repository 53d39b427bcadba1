/* Differential testing of the x86 executor against the host CPU (see
 * diff_harness.h for the method). */
#include "diff_harness.h"

#include "diff_native.h"

#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/ldt.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "x86/emu.h"
#include "x86/flags.h"
#include "x86/insn.h"

/* ---- The control page the generated code uses ------------------------------ */

struct diff_ctl {
    struct diff_state st;
    uint64_t host_rsp;
    uint64_t scratch;
    uint32_t far_in_off;   /* m16:32 pointer to the 32-bit instruction */
    uint16_t far_in_sel;
    uint16_t pad0;
    uint32_t far_out_off;  /* m16:32 pointer back to the 64-bit tail */
    uint16_t far_out_sel;
    uint16_t pad1;
    uint8_t tmpstack[256]; /* for PUSHFD in the 32-bit epilogue */
};

#define OFF(f) ((uint32_t)offsetof(struct diff_ctl, f))
#define OFF_GPR(r) ((uint32_t)(offsetof(struct diff_ctl, st.gpr) + 8 * (r)))

#define USER_CS32 0x23 /* Linux x86-64 user segments (arch/x86/include/asm/segment.h) */
#define USER_DS 0x2b
#define USER_CS64 0x33
#define LDT_DS 0x07 /* LDT entry 0, RPL 3: the DIFF_M16A data segment */

/* ---- Small helpers ---------------------------------------------------------- */

uint64_t diff_rand(struct diff_env *env)
{
    /* splitmix64 */
    uint64_t z = (env->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t diff_rand_value(struct diff_env *env)
{
    static const uint64_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
        0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull, 0x99, 0x09,
    };
    uint64_t r = diff_rand(env);
    switch (r & 7) {
    case 3:
        return (r >> 8) & 0xff;
    case 4:
        return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
    case 5: {
        uint64_t v = 1ull << ((r >> 8) & 63);
        return (r & 0x4000) ? v - 1 : ((r & 0x8000) ? -v : v);
    }
    case 6:
        return (uint32_t)(r >> 8);
    case 7:
        return (uint64_t)(-(int64_t)((r >> 8) & 0xff));
    default:
        return diff_rand(env);
    }
}

bool diff_host_has(uint32_t leaf, unsigned reg, unsigned bit)
{
    unsigned r[4];
    if (!__get_cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3]))
        return false;
    return (r[reg] >> bit) & 1;
}

/* ---- Code generation -------------------------------------------------------- */

/* 64-bit entry, called as fn(ctl): saves the host state, loads the test
 * state and jumps to the instruction (far, into 32-bit code, for M32). */
static void cg_prologue(struct diff_cg *c, const struct diff_env *env, enum diff_mode mode)
{
    diff_cg_save_host(c, OFF(host_rsp));
    if (mode != DIFF_M64) { /* mov eax, sel; mov ds, eax; mov es, eax */
        diff_cg_b(c, 0xb8);
        diff_cg_u32(c, mode == DIFF_M16A ? LDT_DS : USER_DS);
        diff_cg_bytes(c, "\x8e\xd8\x8e\xc0", 4);
    }
    diff_cg_bytes(c, "\x48\x89\xf8", 3); /* mov rax, rdi */
    diff_cg_bytes(c, "\xff\xb0", 2);     /* push qword [rax + rflags]; popfq */
    diff_cg_u32(c, OFF(st.rflags));
    diff_cg_b(c, 0x9d);
    diff_cg_load_gprs(c, OFF_GPR(0));
    if (mode == DIFF_M64) {
        diff_cg_jmp(c, (uint8_t *)(uintptr_t)env->insn_addr);
    } else {
        diff_cg_bytes(c, "\xff\x2c\x25", 3); /* jmp far m16:32 [far_in] */
        diff_cg_u32(c, (uint32_t)(uintptr_t)(env->ctl + OFF(far_in_off)));
    }
}

/* 64-bit landing code for landing address `land`. */
static void cg_epilogue64(struct diff_cg *c, const struct diff_env *env, uint64_t land)
{
    uint64_t ctl = (uintptr_t)env->ctl;
    diff_cg_bytes(c, "\x48\xa3", 2); /* mov [scratch], rax */
    diff_cg_u64(c, ctl + OFF(scratch));
    diff_cg_bytes(c, "\x48\xb8", 2); /* mov rax, ctl */
    diff_cg_u64(c, ctl);
    diff_cg_store_gprs(c, OFF_GPR(0));
    diff_cg_bytes(c, "\x48\x8b\xa0", 3); /* mov rsp, [rax + host_rsp] */
    diff_cg_u32(c, OFF(host_rsp));
    diff_cg_bytes(c, "\x9c\x8f\x80", 3); /* pushfq; pop qword [rax + rflags] */
    diff_cg_u32(c, OFF(st.rflags));
    diff_cg_bytes(c, "\x48\x89\xc1", 3); /* mov rcx, rax */
    diff_cg_bytes(c, "\x48\xa1", 2);     /* mov rax, [scratch] */
    diff_cg_u64(c, ctl + OFF(scratch));
    diff_cg_bytes(c, "\x48\x89\x81", 3); /* mov [rcx + 0], rax */
    diff_cg_u32(c, OFF_GPR(X86_RAX));
    diff_cg_bytes(c, "\x48\xc7\x81", 3); /* mov qword [rcx + rip], land */
    diff_cg_u32(c, OFF(st.rip));
    diff_cg_u32(c, (uint32_t)land);
    diff_cg_host_return(c);
}

/* 32-bit landing code: store the registers with absolute addresses, then
 * far-jump back to the 64-bit tail. Every access goes through SS (flat):
 * DS may be the DIFF_M16A segment. */
static void cg_epilogue32(struct diff_cg *c, const struct diff_env *env, uint64_t land)
{
    uint32_t ctl = (uint32_t)(uintptr_t)env->ctl;
    diff_cg_bytes(c, "\x36\xa3", 2); /* mov ss:[gpr0], eax */
    diff_cg_u32(c, ctl + OFF_GPR(0));
    for (unsigned r = 1; r < 8; r++) {
        diff_cg_bytes(c, "\x36\x89", 2); /* mov ss:[abs], r32 */
        diff_cg_b(c, (uint8_t)(0x05 | (r << 3)));
        diff_cg_u32(c, ctl + OFF_GPR(r));
    }
    diff_cg_b(c, 0xbc); /* mov esp, tmpstack top */
    diff_cg_u32(c, ctl + OFF(tmpstack) + (uint32_t)sizeof(((struct diff_ctl *)0)->tmpstack));
    diff_cg_bytes(c, "\x9c\x36\x8f\x05", 4); /* pushfd; pop dword ss:[rflags] */
    diff_cg_u32(c, ctl + OFF(st.rflags));
    diff_cg_bytes(c, "\x36\xc7\x05", 3); /* mov dword ss:[rip], land */
    diff_cg_u32(c, ctl + OFF(st.rip));
    diff_cg_u32(c, (uint32_t)land);
    diff_cg_bytes(c, "\x36\xff\x2d", 3); /* jmp far m16:32 ss:[far_out] */
    diff_cg_u32(c, ctl + OFF(far_out_off));
}

/* The 64-bit tail 32-bit forms return through. */
static void cg_tail64(struct diff_cg *c, const struct diff_env *env)
{
    diff_cg_bytes(c, "\x48\x8b\x24\x25", 4); /* mov rsp, [host_rsp] */
    diff_cg_u32(c, (uint32_t)(uintptr_t)(env->ctl + OFF(host_rsp)));
    diff_cg_bytes(c, "\x31\xc0\x8e\xd8\x8e\xc0", 6); /* ds = es = 0 */
    diff_cg_host_return(c);
}

/* Lays out prologue, instruction, landing pads and epilogues for form f. */
static int generate(struct diff_env *env, struct diff_form *f)
{
    int rc = diff_native_code_begin(env, f);
    if (rc)
        return rc;
    uint8_t *code = env->code;
    env->insn_addr = (uintptr_t)(code + DIFF_INSN_OFF);
    struct diff_cg c = { code };
    cg_prologue(&c, env, (enum diff_mode)f->mode);

    struct diff_cg e = { code + DIFF_EPI_OFF };
    uint64_t next = env->insn_addr + f->len;
    for (int k = -4; k <= 4; k++) {
        uint64_t land = next + (uint64_t)(int64_t)(16 * k);
        env->landing[DIFF_LAND(k)] = 0;
        if (k < 0 && land + 5 > env->insn_addr)
            continue; /* would overlap the instruction */
        env->landing[DIFF_LAND(k)] = land;
        struct diff_cg pad = { (uint8_t *)(uintptr_t)land };
        diff_cg_jmp(&pad, e.p);
        if (f->mode == DIFF_M64)
            cg_epilogue64(&e, env, land);
        else
            cg_epilogue32(&e, env, land);
    }
    struct diff_ctl *ctl = (struct diff_ctl *)env->ctl;
    ctl->far_in_off = (uint32_t)env->insn_addr;
    ctl->far_in_sel = USER_CS32;
    ctl->far_out_off = (uint32_t)(uintptr_t)e.p;
    ctl->far_out_sel = USER_CS64;
    cg_tail64(&e, env);
    if (e.p > code + DIFF_CODE_LEN)
        return -ENOSPC;
    return diff_native_code_end(env);
}

/* ---- Native execution ------------------------------------------------------- */

/* Returns 0 or the signal the instruction raised. */
static int run_native(struct diff_env *env, const struct diff_state *in, struct diff_state *out)
{
    struct diff_ctl *ctl = (struct diff_ctl *)env->ctl;
    ctl->st = *in;
    int sig = diff_native_call(env->code, ctl, NULL);
    *out = ctl->st;
    return sig;
}

/* ---- Emulated execution ------------------------------------------------------- */

static int emu_cpuid(struct x86_cpu *cpu, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)cpu;
    __cpuid_count(leaf, sub, out[0], out[1], out[2], out[3]);
    return X86_EXEC_OK;
}

static const struct x86_emu_ops emu_ops = {
    .mem_read = diff_native_mem_read,
    .mem_write = diff_native_mem_write,
    .mem_ptr = diff_native_mem_ptr,
    .cpuid = emu_cpuid,
};

/* A user-mode state like the one Linux gives this process. */
static void emu_setup(struct x86_cpu *cpu, enum diff_mode mode, const struct diff_state *in,
                      uint64_t rip, const uint8_t *arena)
{
    struct x86_state s;
    memset(&s, 0, sizeof(s));
    memcpy(s.gpr, in->gpr, sizeof(s.gpr));
    s.rip = rip;
    s.rflags = in->rflags;
    s.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM;
    s.cr4 = X86_CR4_PAE;
    s.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE | X86_EFER_SCE;
    /* Selectors as Linux leaves them: SS = USER_DS; DS = ES = 0 in 64-bit
     * mode, USER_DS in compatibility mode (the prologue loads them); FS and
     * GS hold 0 (their bases are not used by the tests). */
    uint32_t data = X86_SEG_P | X86_SEG_S | (3u << 5) | 0x3 | X86_SEG_DB | X86_SEG_G;
    for (unsigned i = 0; i < 6; i++) {
        bool user_ds = i == X86_SS || (mode == DIFF_M32 && (i == X86_DS || i == X86_ES));
        s.seg[i] = (struct x86_seg){ .base = 0, .limit = 0xffffffff,
                                     .sel = user_ds ? USER_DS : 0, .attr = data };
    }
    if (mode == DIFF_M16A) { /* the LDT segment diff_env_init installed */
        s.seg[X86_DS] = (struct x86_seg){ .base = (uintptr_t)arena, .limit = 0xffff,
                                          .sel = LDT_DS, .attr = data & ~X86_SEG_G };
        s.seg[X86_ES] = s.seg[X86_DS];
    }
    s.seg[X86_CS].sel = mode == DIFF_M64 ? USER_CS64 : USER_CS32;
    s.seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | (3u << 5) | 0xb | X86_SEG_G |
                         (mode == DIFF_M64 ? X86_SEG_L : X86_SEG_DB);
    x86_cpu_set_state(cpu, &s);
}

/* Runs until the instruction completes (a REP string op may take several
 * calls) or faults. */
static int run_emu(struct diff_env *env, struct x86_cpu *cpu, struct diff_native_map *map,
                   const struct diff_form *f, const struct diff_state *in, struct x86_insn *insn)
{
    x86_cpu_init(cpu, &emu_ops, map);
    emu_setup(cpu, (enum diff_mode)f->mode, in, env->insn_addr, env->arena);
    int rc;
    unsigned calls = 0;
    do {
        rc = x86_emulate_one(cpu, insn);
    } while (rc == X86_EXEC_OK && cpu->s.rip == env->insn_addr && ++calls < 1000);
    return rc;
}

/* ---- Random states ---------------------------------------------------------------- */

void diff_randomize(struct diff_env *env, unsigned off, unsigned len)
{
    off &= ~7u;
    for (unsigned i = 0; i < len && off + i + 8 <= DIFF_ARENA_LEN; i += 8) {
        uint64_t v = diff_rand_value(env);
        memcpy(env->init + off + i, &v, 8);
    }
}

static void random_state(struct diff_env *env, const struct diff_form *f, struct diff_state *st)
{
    for (unsigned r = 0; r < 16; r++)
        st->gpr[r] = diff_rand_value(env);
    st->gpr[X86_RSP] = (uintptr_t)env->arena + DIFF_DATA_LEN + DIFF_STACK_LEN / 2 -
                       8 * diff_rand_below(env, 16);
    uint64_t flags = diff_rand(env) & (X86_FLAGS_ARITH | X86_FLAG_DF);
    st->rflags = flags | X86_FLAG_FIXED | X86_FLAG_IF;
    st->rip = 0;

    /* Fresh random bytes where the stack operands land (memory operands:
     * below; the rest keeps earlier random contents). */
    diff_randomize(env, DIFF_DATA_LEN + DIFF_STACK_LEN / 2 - 192, 384);
    if (f->base >= 0 || f->index >= 0) {
        unsigned off = DIFF_DATA_LEN / 2 + (unsigned)diff_rand_below(env, 1024) - 512;
        /* DIFF_M16A addresses are offsets in the arena segment */
        uint64_t target = (f->mode == DIFF_M16A ? 0 : (uintptr_t)env->arena) + off;
        diff_randomize(env, off - 16, 48);
        uint64_t idx = 0;
        if (f->index >= 0) {
            idx = diff_rand_below(env, 32);
            st->gpr[f->index] = idx;
        }
        if (f->base >= 0) {
            uint64_t b = target - (uint64_t)(int64_t)f->disp - (idx << f->scale);
            /* address bits above the address size must not matter */
            uint64_t amask = f->addrsize == 2 ? 0xffff : 0xffffffff;
            if (f->addrsize < 8)
                b = (b & amask) | (diff_rand(env) & ~amask);
            st->gpr[f->base] = b;
        }
        if (f->index >= 0 && f->addrsize == 2)
            st->gpr[f->index] |= diff_rand(env) << 16;
    }
    if (f->riprel_at >= 0)
        diff_randomize(env, (unsigned)f->riprel_target - 16, 48);
    else if (f->base < 0 && f->index < 0 && f->disp)
        diff_randomize(env, (unsigned)diff_mem_off(env, f, st) - 16, 48);
    if (f->setup)
        f->setup(env, f, st);
}

/* ---- Comparison and reporting --------------------------------------------------------- */

static int signal_matches(int sig, unsigned vector)
{
    switch (sig) {
    case SIGFPE: return vector == X86_EXC_DE;
    case SIGILL: return vector == X86_EXC_UD;
    case SIGSEGV: return vector == X86_EXC_GP || vector == X86_EXC_SS || vector == X86_EXC_PF;
    case SIGBUS: return vector == X86_EXC_AC || vector == X86_EXC_SS || vector == X86_EXC_GP;
    default: return 0;
    }
}

static void print_state(const char *what, const struct diff_state *s)
{
    static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                            "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
    fprintf(stderr, "  %s:\n", what);
    for (unsigned r = 0; r < 16; r++)
        fprintf(stderr, "    %-3s=%016" PRIx64 "%s", names[r], s->gpr[r], (r % 4 == 3) ? "\n" : "");
    fprintf(stderr, "    rflags=%08" PRIx64 " rip=%" PRIx64 "\n", s->rflags, s->rip);
}

static void report(struct diff_env *env, const struct diff_form *f, const struct diff_state *in,
                   const char *fmt, ...)
{
    env->mismatches++;
    if (env->reported++ >= 10)
        return;
    fprintf(stderr, "MISMATCH seed=%#" PRIx64 " form \"%s\" (%s) bytes:", env->seed, f->name,
            f->mode == DIFF_M64 ? "64-bit" : f->mode == DIFF_M32 ? "32-bit" : "16-bit address");
    for (unsigned i = 0; i < f->len; i++)
        fprintf(stderr, " %02x", f->bytes[i]);
    fprintf(stderr, "\n  ");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    print_state("initial", in);
}

static uint32_t undefined_flags(const struct diff_form *f, const struct diff_state *in)
{
    return f->undef | (f->undef_fn ? f->undef_fn(f, in) : 0);
}

/* Compares one state; returns true when native and emulator agree. */
static bool compare(struct diff_env *env, const struct diff_form *f, const struct diff_state *in,
                    int sig, const struct diff_state *nat, int rc, struct x86_cpu *cpu,
                    const struct x86_insn *insn)
{
    const char *opname = x86_op_name((enum x86_op)insn->op);
    if (sig) {
        env->native_faults++;
        if (getenv("DIFF_VERBOSE"))
            fprintf(stderr, "fault: form \"%s\" signal %d, emulator rc %d vector %u\n", f->name,
                    sig, rc, cpu->exc.vector);
        if (rc != X86_EXEC_EXCEPTION || !signal_matches(sig, cpu->exc.vector)) {
            report(env, f, in, "native signal %d, emulator rc %d vector %u (op %s)", sig, rc,
                   cpu->exc.vector, opname);
            return false;
        }
        if (memcmp(cpu->s.gpr, in->gpr, sizeof(in->gpr)) || cpu->s.rip != env->insn_addr ||
            memcmp(env->arena, env->init, DIFF_ARENA_LEN)) {
            report(env, f, in, "fault (signal %d, vector %u) changed the state", sig,
                   cpu->exc.vector);
            return false;
        }
        return true;
    }
    if (rc != X86_EXEC_OK) {
        report(env, f, in, "native ran, emulator rc %d vector %u error %#x (op %s, len %u)", rc,
               cpu->exc.vector, cpu->exc.error_code, opname, insn->len);
        return false;
    }
    uint64_t mask = f->mode == DIFF_M64 ? ~0ull : 0xffffffffull;

    struct diff_state emu;
    memcpy(emu.gpr, cpu->s.gpr, sizeof(emu.gpr));
    emu.rflags = x86_get_rflags(cpu);
    emu.rip = cpu->s.rip;
    bool ok = true;
    for (unsigned r = 0; r < 16; r++) {
        if ((nat->gpr[r] ^ emu.gpr[r]) & mask) {
            ok = false;
            break;
        }
    }
    uint64_t fmask = 0x3fffff & ~(uint64_t)undefined_flags(f, in) & ~(uint64_t)X86_FLAG_RF;
    if ((nat->rflags ^ emu.rflags) & fmask)
        ok = false;
    if ((nat->rip ^ emu.rip) & mask)
        ok = false;
    int memdiff = -1;
    if (memcmp(env->native_out, env->arena, DIFF_ARENA_LEN)) {
        ok = false;
        for (unsigned i = 0; memdiff < 0; i++) {
            if (env->native_out[i] != env->arena[i])
                memdiff = (int)i;
        }
    }
    if (!ok) {
        report(env, f, in, "results differ (op %s, len %u, compared flags %#" PRIx64 ")%s", opname,
               insn->len, fmask, memdiff >= 0 ? " in memory" : "");
        if (env->reported <= 10) {
            print_state("native", nat);
            print_state("emulator", &emu);
            if (memdiff >= 0)
                fprintf(stderr, "    memory +%#x: native %02x emulator %02x (initial %02x)\n",
                        memdiff, env->native_out[memdiff], env->arena[memdiff],
                        env->init[memdiff]);
        }
    }
    return ok;
}

unsigned diff_run_form(struct diff_env *env, const struct diff_form *f, unsigned nstates)
{
    struct diff_form form = *f;
    unsigned before = env->mismatches;
    if (form.mode == DIFF_M16A && !env->have_ldt)
        return 0;
    if (generate(env, &form)) {
        report(env, f, &(struct diff_state){ 0 }, "code generation failed");
        return 1;
    }
    struct x86_cpu *cpu = malloc(sizeof(*cpu));
    if (!cpu)
        return 1;
    struct diff_native_map map = { .env = env };
    for (unsigned i = 0; i < nstates; i++) {
        struct diff_state in, nat;
        struct x86_insn insn;
        memset(&insn, 0, sizeof(insn));
        random_state(env, &form, &in);

        memcpy(env->arena, env->init, DIFF_ARENA_LEN);
        int sig = run_native(env, &in, &nat);
        memcpy(env->native_out, env->arena, DIFF_ARENA_LEN);

        memcpy(env->arena, env->init, DIFF_ARENA_LEN);
        map.fill_tlb = diff_rand(env) & 1;
        int rc = run_emu(env, cpu, &map, &form, &in, &insn);
        env->states++;
        if (!compare(env, &form, &in, sig, &nat, rc, cpu, &insn) && env->reported > 10)
            break;
    }
    free(cpu);
    env->forms++;
    return env->mismatches - before;
}

void diff_run_all(struct diff_env *env, const char *family, struct diff_form *forms, unsigned n,
                  unsigned nstates)
{
    unsigned states0 = env->states, faults0 = env->native_faults, bad = 0;
    for (unsigned i = 0; i < n; i++)
        bad += diff_run_form(env, &forms[i], nstates);
    fprintf(stderr, "diff %s: %u forms x %u states = %u runs (%u native faults), %u mismatches, "
                    "seed %#" PRIx64 "\n",
            family, n, nstates, env->states - states0, env->native_faults - faults0, bad,
            env->seed);
    assert_int_equal(bad, 0);
}

/* ---- Fixture ----------------------------------------------------------------------------- */

static void *map_low(size_t len, int prot)
{
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int diff_env_init(struct diff_env *env, uint64_t seed)
{
    memset(env, 0, sizeof(*env));
    const char *s = getenv("DIFF_SEED");
    env->seed = s ? strtoull(s, NULL, 0) : seed;
    env->rng = env->seed;
    env->code = map_low(DIFF_CODE_LEN, PROT_READ | PROT_WRITE);
    env->ctl = map_low(4096, PROT_READ | PROT_WRITE);
    /* The arena follows an inaccessible guard page: accesses just below it
     * fault natively as they do in the emulator. */
    uint8_t *guarded = map_low(4096 + DIFF_ARENA_LEN, PROT_READ | PROT_WRITE);
    if (guarded && mprotect(guarded, 4096, PROT_NONE))
        return -errno;
    env->arena = guarded ? guarded + 4096 : NULL;
    env->init = malloc(DIFF_ARENA_LEN);
    env->native_out = malloc(DIFF_ARENA_LEN);
    if (!env->code || !env->ctl || !env->arena || !env->init || !env->native_out)
        return -ENOMEM;
    env->st = &((struct diff_ctl *)env->ctl)->st;
    diff_randomize(env, 0, DIFF_ARENA_LEN);
    /* LDT entry 0: a 32-bit read/write data segment at the arena, 64 KiB */
    struct user_desc ud = {
        .entry_number = 0, .base_addr = (unsigned)(uintptr_t)env->arena, .limit = 0xffff,
        .seg_32bit = 1, .contents = 0, .read_exec_only = 0, .limit_in_pages = 0,
        .seg_not_present = 0, .useable = 1,
    };
    env->have_ldt = syscall(SYS_modify_ldt, 1, &ud, sizeof(ud)) == 0;
    if (!env->have_ldt)
        fprintf(stderr, "diff: modify_ldt failed (%s): 16-bit address forms skipped\n",
                strerror(errno));
    return diff_native_init();
}

void diff_env_fini(struct diff_env *env)
{
    munmap(env->code, DIFF_CODE_LEN);
    munmap(env->ctl, 4096);
    munmap(env->arena - 4096, 4096 + DIFF_ARENA_LEN);
    free(env->init);
    free(env->native_out);
}

/* ---- Encoding ------------------------------------------------------------------------------- */

static void form_init(struct diff_form *f, const char *name, enum diff_mode mode, uint32_t undef)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->mode = (uint8_t)mode;
    f->undef = undef;
    f->base = f->index = -1;
    f->riprel_at = -1;
    f->addrsize = mode == DIFF_M64 ? 8 : 4;
}

static void put(struct diff_form *f, uint8_t b)
{
    if (f->len < sizeof(f->bytes))
        f->bytes[f->len++] = b;
}

static void put_n(struct diff_form *f, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put(f, (uint8_t)(v >> (8 * i)));
}

void diff_form_raw(struct diff_form *f, const char *name, enum diff_mode mode, uint32_t undef,
                   const void *bytes, unsigned len)
{
    form_init(f, name, mode, undef);
    for (unsigned i = 0; i < len; i++)
        put(f, ((const uint8_t *)bytes)[i]);
}

/* A random register for a base or index: not rSP, not in avoid, not
 * `other`; only 0-7 without REX (32-bit forms). */
static int pick_reg(struct diff_env *env, enum diff_mode mode, uint16_t avoid, int other,
                    bool index)
{
    for (;;) {
        int r = (int)diff_rand_below(env, mode == DIFF_M64 ? 16 : 8);
        if (r == X86_RSP || r == other || (avoid & (1u << r)))
            continue;
        if (!index && (r & 7) == X86_RSP)
            continue; /* r12 as a base needs a SIB byte; keep it simple */
        return r;
    }
}

void diff_encode(struct diff_env *env, struct diff_form *f, const struct diff_enc *e)
{
    form_init(f, e->name, e->mode, e->undef);
    bool m64 = e->mode == DIFF_M64;
    if (e->addrsize)
        f->addrsize = e->addrsize;
    for (const char *p = e->prefixes; *p; p++)
        put(f, (uint8_t)*p);

    bool mem = e->reg >= 0 && e->rm < 0;
    int base = -1, index = -1;
    /* 16-bit addressing (SDM Vol. 2, Table 2-1): the BP-free shapes, since
     * BP-based ones default to SS, which is flat here. */
    static const struct { uint8_t rm; int8_t base, index; } a16[] = {
        { 0, X86_RBX, X86_RSI }, { 1, X86_RBX, X86_RDI }, { 4, X86_RSI, -1 },
        { 5, X86_RDI, -1 },      { 7, X86_RBX, -1 },      { 6, -1, -1 }, /* [disp16] */
    };
    unsigned a16_pick = 0;
    if (mem && f->addrsize == 2) {
        a16_pick = (unsigned)diff_rand_below(env, sizeof(a16) / sizeof(a16[0]));
        base = a16[a16_pick].base;
        index = a16[a16_pick].index;
        if (base < 0)
            f->disp = (int32_t)(DIFF_DATA_LEN / 2 + diff_rand_below(env, 256) - 128);
        else
            f->disp = (int32_t)diff_rand_below(env, 128) - 64;
    } else if (mem) {
        switch (e->mem) {
        case DIFF_MEM_BASE_DISP8:
            base = pick_reg(env, e->mode, e->avoid, -1, false);
            f->disp = (int32_t)diff_rand_below(env, 128) - 64;
            break;
        case DIFF_MEM_SIB_DISP32:
            base = pick_reg(env, e->mode, e->avoid, -1, false);
            index = pick_reg(env, e->mode, e->avoid, base, true);
            f->scale = (uint8_t)diff_rand_below(env, 4);
            f->disp = (int32_t)diff_rand_below(env, 8192) - 4096;
            break;
        case DIFF_MEM_RIPREL:
            f->riprel_target = DIFF_DATA_LEN / 2 + (int32_t)diff_rand_below(env, 256) - 128;
            break;
        default: /* DIFF_MEM_ABS32 */
            f->disp = (int32_t)((uintptr_t)env->arena + DIFF_DATA_LEN / 2 +
                                diff_rand_below(env, 256) - 128);
            break;
        }
    }
    f->base = (int8_t)base;
    f->index = (int8_t)index;

    unsigned rex = (e->rex_w ? 8 : 0) | (e->reg >= 8 ? 4 : 0) | (index >= 8 ? 2 : 0) |
                   ((base >= 8 || e->rm >= 8 || e->opreg >= 8) ? 1 : 0);
    if (m64 && (rex || e->rex_force)) {
        put(f, (uint8_t)(0x40 | rex));
        f->rex = true;
    }
    for (unsigned i = 0; i < e->nopcode; i++) {
        uint8_t b = e->opcode[i];
        if (i == e->nopcode - 1 && e->opreg >= 0)
            b = (uint8_t)(b + (e->opreg & 7));
        put(f, b);
    }
    if (e->reg >= 0) {
        unsigned reg = (unsigned)(e->reg & 7) << 3;
        if (!mem) {
            put(f, (uint8_t)(0xc0 | reg | (unsigned)(e->rm & 7)));
        } else if (f->addrsize == 2) {
            if (base < 0) {
                put(f, (uint8_t)(0x06 | reg)); /* mod 0, rm 6: [disp16] */
                put_n(f, (uint16_t)f->disp, 2);
            } else {
                put(f, (uint8_t)(0x40 | reg | a16[a16_pick].rm)); /* mod 1: + disp8 */
                put(f, (uint8_t)f->disp);
            }
        } else {
            switch (e->mem) {
            case DIFF_MEM_BASE_DISP8:
                put(f, (uint8_t)(0x40 | reg | (unsigned)(base & 7)));
                put(f, (uint8_t)f->disp);
                break;
            case DIFF_MEM_SIB_DISP32:
                put(f, (uint8_t)(0x84 | reg));
                put(f, (uint8_t)((f->scale << 6) | ((unsigned)(index & 7) << 3) | (unsigned)(base & 7)));
                put_n(f, (uint32_t)f->disp, 4);
                break;
            case DIFF_MEM_RIPREL:
                put(f, (uint8_t)(0x05 | reg));
                f->riprel_at = f->len;
                put_n(f, 0, 4);
                break;
            default: /* ABS32 */
                if (m64) {
                    put(f, (uint8_t)(0x04 | reg));
                    put(f, 0x25);
                } else {
                    put(f, (uint8_t)(0x05 | reg));
                }
                put_n(f, (uint32_t)f->disp, 4);
                break;
            }
        }
    }
    put_n(f, e->imm, e->nimm);
    put_n(f, e->imm2, e->nimm2);
}

void diff_enc_prefix(struct diff_enc *e, uint8_t b)
{
    size_t n = strlen(e->prefixes);
    if (n + 1 < sizeof(e->prefixes)) {
        e->prefixes[n] = (char)b;
        e->prefixes[n + 1] = 0;
    }
}

void diff_enc_opsize(struct diff_enc *e, unsigned size)
{
    if (size == 2)
        diff_enc_prefix(e, 0x66);
    e->rex_w = size == 8;
}

int diff_pick_gpr(struct diff_env *env, enum diff_mode mode, uint16_t avoid)
{
    for (;;) {
        int r = (int)diff_rand_below(env, mode == DIFF_M64 ? 16 : 8);
        if (r != X86_RSP && !(avoid & (1u << r)))
            return r;
    }
}

enum diff_mem_kind diff_pick_mem(struct diff_env *env, enum diff_mode mode)
{
    for (;;) {
        enum diff_mem_kind k = (enum diff_mem_kind)diff_rand_below(env, DIFF_MEM_NKINDS);
        if (k != DIFF_MEM_RIPREL || mode == DIFF_M64)
            return k;
    }
}

/* ---- Templates ------------------------------------------------------------------------------ */

int diff_mem_off(const struct diff_env *env, const struct diff_form *f, const struct diff_state *st)
{
    uint64_t ea;
    if (f->riprel_at >= 0)
        return f->riprel_target;
    if (f->base < 0 && f->index < 0) {
        if (!f->disp)
            return -1;
        ea = (uint64_t)(int64_t)f->disp;
    } else {
        ea = (uint64_t)(int64_t)f->disp;
        if (f->base >= 0)
            ea += st->gpr[f->base];
        if (f->index >= 0)
            ea += st->gpr[f->index] << f->scale;
    }
    if (f->addrsize == 2)
        return (int)(ea & 0xffff) < (int)DIFF_ARENA_LEN ? (int)(ea & 0xffff) : -1;
    if (f->addrsize == 4 || f->mode != DIFF_M64)
        ea = (uint32_t)ea;
    uint64_t off = ea - (uintptr_t)env->arena;
    return off < DIFF_ARENA_LEN ? (int)off : -1;
}

static uint64_t tmpl_imm(struct diff_env *env, enum diff_imm kind, unsigned size, unsigned *len)
{
    switch (kind) {
    case DIFF_IMM_B: *len = 1; return diff_rand_value(env) & 0xff;
    case DIFF_IMM_Z: *len = size == 1 ? 1 : size == 2 ? 2 : 4; break;
    case DIFF_IMM_V: *len = size; break;
    case DIFF_IMM_W: *len = 2; break;
    case DIFF_IMM_COUNT: *len = 1; return diff_rand_below(env, 72);
    default: *len = 0; return 0;
    }
    return diff_rand_value(env) & (~0ull >> (64 - 8 * *len));
}

static void build_one(struct diff_env *env, const struct diff_tmpl *t, enum diff_mode mode,
                      unsigned size, int variant, struct diff_form *f)
{
    /* variant: 0 register, 1-2 memory, 3 memory with LOCK, 4 memory 67 */
    char name[64];
    bool m64 = mode == DIFF_M64;
    bool mem = variant > 0;
    bool rex = m64 && !(t->flags & DIFF_NOREX) && (diff_rand(env) & 1);
    struct diff_enc e = { .mode = mode, .undef = t->undef, .nopcode = t->nop, .opreg = -1 };
    memcpy(e.opcode, t->op, sizeof(e.opcode));
    if (variant == 3)
        diff_enc_prefix(&e, 0xf0);
    if (variant == 4) {
        diff_enc_prefix(&e, 0x67);
        e.addrsize = mode == DIFF_M16A ? 2 : 4;
    }
    for (const char *p = t->prefix; *p; p++)
        diff_enc_prefix(&e, (uint8_t)*p);
    if (size == 2 && (t->sizes & ~DIFF_S2))
        diff_enc_prefix(&e, 0x66);
    e.rex_w = size == 8 && !(t->flags & DIFF_D64);
    e.rex_force = rex;

    bool byte_regs = size == 1 && !(rex || e.rex_w);
    int greg = -1;
    if (t->flags & DIFF_OPREG) {
        e.opreg = byte_regs || !m64 ? (int)diff_rand_below(env, 8) : diff_pick_gpr(env, mode, 0);
        greg = e.opreg;
    }
    e.reg = -1;
    if (t->digit != DIFF_NOMODRM) {
        if (t->digit == DIFF_G) {
            e.reg = byte_regs ? (int)diff_rand_below(env, 8) : diff_pick_gpr(env, mode, 0);
            greg = e.reg;
        } else {
            e.reg = t->digit;
        }
        if (mem)
            e.mem = diff_pick_mem(env, mode);
        else
            e.rm = byte_regs ? (int)diff_rand_below(env, 8) : diff_pick_gpr(env, mode, 0);
        if (mem)
            e.rm = -1;
    }
    unsigned ilen;
    e.imm = tmpl_imm(env, (enum diff_imm)t->imm, size, &ilen);
    e.nimm = ilen;
    snprintf(name, sizeof(name), "%s/%u %s%s", t->name, size * 8,
             t->digit == DIFF_NOMODRM ? "" : mem ? "mem" : "reg",
             variant == 3 ? " lock" : variant == 4 ? (mode == DIFF_M16A ? " a16" : " a32") : "");
    e.name = name;
    diff_encode(env, f, &e);
    f->undef_fn = t->undef_fn;
    f->setup = t->setup;
    f->size = (uint8_t)size;
    f->greg = (int8_t)greg;
    f->rmreg = (int8_t)(mem || t->digit == DIFF_NOMODRM ? -1 : e.rm);
    f->imm = e.imm;
    f->arg = t->arg;
}

void diff_build(struct diff_env *env, const struct diff_tmpl *t, enum diff_mode mode,
                struct diff_form *forms, unsigned *n, unsigned max)
{
    if ((t->flags & DIFF_ONLY64) && mode != DIFF_M64)
        return;
    if ((t->flags & DIFF_ONLY32) && mode == DIFF_M64)
        return;
    for (unsigned size = 1; size <= 8; size *= 2) {
        if (!(t->sizes & size) || (size == 8 && mode != DIFF_M64))
            continue;
        for (int v = 0; v <= 4; v++) {
            bool has_modrm = t->digit != DIFF_NOMODRM;
            if (v == 0 && has_modrm && t->rm == DIFF_RM_MEM)
                continue;
            if (v > 0 && (!has_modrm || t->rm == DIFF_RM_REG))
                continue;
            if (v == 3 && !(t->flags & DIFF_LOCK))
                continue;
            if (v == 4 && !(mode != DIFF_M32 && (t->flags & DIFF_ADDRSZ)))
                continue;
            if (v != 4 && mode == DIFF_M16A)
                continue; /* that mode exists for the 16-bit address forms */
            if (*n >= max)
                return;
            build_one(env, t, mode, size, v, &forms[(*n)++]);
        }
    }
}

void diff_run_templates(const char *family, const struct diff_tmpl *tmpl, unsigned ntmpl,
                        unsigned nstates, uint64_t seed)
{
    enum { MAX = 4096 };
    struct diff_env env;
    assert_int_equal(diff_env_init(&env, seed), 0);
    struct diff_form *forms = calloc(MAX, sizeof(*forms));
    assert_non_null(forms);
    char label[96];
    static const char *const mode_names[] = { "64-bit", "32-bit", "16-bit address" };
    for (int m = DIFF_M64; m <= DIFF_M16A; m++) {
        unsigned n = 0;
        for (unsigned i = 0; i < ntmpl; i++)
            diff_build(&env, &tmpl[i], (enum diff_mode)m, forms, &n, MAX);
        if (n == 0)
            continue;
        snprintf(label, sizeof(label), "%s %s", family, mode_names[m]);
        diff_run_all(&env, label, forms, n, nstates);
    }
    free(forms);
    diff_env_fini(&env);
}

static uint64_t size_mask(unsigned size)
{
    return ~0ull >> (64 - 8 * size);
}

/* Register r at size bytes, honouring AH..BH for byte registers 4-7
 * without REX. */
static uint64_t reg_get(const struct diff_form *f, const struct diff_state *st, int r)
{
    if (f->size == 1 && !f->rex && r >= 4 && r < 8)
        return (st->gpr[r - 4] >> 8) & 0xff;
    return st->gpr[r] & size_mask(f->size);
}

uint64_t diff_rm_get(const struct diff_env *env, const struct diff_form *f,
                     const struct diff_state *st)
{
    if (f->rmreg >= 0)
        return reg_get(f, st, f->rmreg);
    uint64_t v = 0;
    int off = diff_mem_off(env, f, st);
    if (off >= 0 && off + f->size <= (int)DIFF_ARENA_LEN)
        memcpy(&v, env->init + off, f->size);
    return v;
}

void diff_rm_set(struct diff_env *env, const struct diff_form *f, struct diff_state *st,
                 uint64_t v)
{
    if (f->rmreg >= 0) {
        int r = f->rmreg;
        if (f->size == 1 && !f->rex && r >= 4 && r < 8)
            st->gpr[r - 4] = (st->gpr[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
        else
            st->gpr[r] = (st->gpr[r] & ~size_mask(f->size)) | (v & size_mask(f->size));
        return;
    }
    int off = diff_mem_off(env, f, st);
    if (off >= 0 && off + f->size <= (int)DIFF_ARENA_LEN)
        memcpy(env->init + off, &v, f->size);
}

uint64_t diff_greg_get(const struct diff_form *f, const struct diff_state *st)
{
    return f->greg >= 0 ? reg_get(f, st, f->greg) : 0;
}
