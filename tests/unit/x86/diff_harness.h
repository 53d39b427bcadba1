/* Differential testing of the x86 executor against the host CPU.
 *
 * A "form" is one instruction encoding (bytes) plus rules for the random
 * states it runs on. For each state the harness
 *   1. runs the bytes natively, in user mode inside this process: generated
 *      code loads every GPR and RFLAGS from a struct, executes the
 *      instruction, and a landing pad stores them back (with the address
 *      of the pad reached, i.e. the final RIP); faults arrive as signals;
 *   2. runs the same bytes through x86_emulate_one() (fetch, decode,
 *      execute) with callbacks that map the same host buffers at the same
 *      linear addresses, so pointers compare equal;
 *   3. compares registers, RFLAGS (minus the flags the SDM leaves undefined
 *      for that form and state), the final RIP, memory, and faults.
 *
 * 64-bit forms run in 64-bit mode. 32-bit forms run natively in
 * compatibility mode (a far jump to the 32-bit user code segment Linux
 * provides, selector 0x23) and in the emulator with a flat 32-bit CS.
 * All buffers live below 2 GiB (MAP_32BIT) so both modes can reach them.
 *
 * The PRNG seed is fixed (DIFF_SEED in the environment overrides it); every
 * mismatch prints the seed, the form, its bytes and the initial state. */
#ifndef VMON_TESTS_X86_DIFF_HARNESS_H
#define VMON_TESTS_X86_DIFF_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/state.h"

/* DIFF_M64: 64-bit mode. DIFF_M32: compatibility mode with flat 32-bit
 * segments. DIFF_M16A: compatibility mode whose DS and ES are an LDT data
 * segment based at the arena with a 64 KiB limit, for 16-bit address-size
 * forms (67 prefix): their offsets are arena offsets. */
enum diff_mode { DIFF_M64, DIFF_M32, DIFF_M16A };

/* Register/flag image the generated code loads and stores. The offsets are
 * baked into the generated code (see diff_harness.c). */
struct diff_state {
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t rip;      /* out: the landing address reached */
};

/* Memory layout (one arena, compared byte for byte after each run). */
#define DIFF_DATA_LEN  8192u   /* memory operands point into the middle */
#define DIFF_STACK_LEN 4096u   /* rSP starts in the middle */
#define DIFF_ARENA_LEN (DIFF_DATA_LEN + DIFF_STACK_LEN)

/* Landing pads: index DIFF_LAND(k) is the pad at next-RIP + 16 * k. */
#define DIFF_NLAND 9
#define DIFF_LAND(k) ((k) + 4)

struct diff_env;
struct diff_form;

/* Per-state hook: constrain the random state (pointers, counts, targets). */
typedef void (*diff_setup_fn)(struct diff_env *env, const struct diff_form *f,
                              struct diff_state *st);
/* Flags undefined for this state (beyond form->undef). */
typedef uint32_t (*diff_undef_fn)(const struct diff_form *f, const struct diff_state *st);

struct diff_form {
    char name[64];
    uint8_t bytes[15];
    uint8_t len;
    uint8_t mode;          /* enum diff_mode */
    uint32_t undef;        /* RFLAGS bits never compared */
    diff_undef_fn undef_fn;
    diff_setup_fn setup;
    /* The memory operand diff_encode() built: the registers the random
     * state aims at the data area (-1 = none), and its shape. */
    int8_t base, index;
    uint8_t scale;
    uint8_t addrsize;      /* 2, 4 or 8 */
    int32_t disp;
    int32_t riprel_at;     /* offset of a RIP-relative disp32 to patch, or -1 */
    int32_t riprel_target; /* data offset it must reach */
    /* Filled by diff_build() for the hooks: */
    uint8_t size;          /* operand size */
    int8_t greg;           /* the ModRM.reg (or opcode) register, or -1 */
    int8_t rmreg;          /* the ModRM.rm register, or -1 (memory or none) */
    uint64_t imm;          /* the first immediate */
    bool rex;              /* a REX prefix was emitted (byte registers are SPL.., not AH..) */
    uint64_t arg;          /* the template's argument */
};

/* The test fixture: executable code page, arena, PRNG, statistics. */
struct diff_env {
    uint8_t *code;            /* generated code (2 pages, MAP_32BIT) */
    uint8_t *ctl;             /* control page: diff_state and far pointers */
    struct diff_state *st;    /* in ctl */
    uint8_t *arena;           /* data then stack, after a guard page */
    uint8_t *init;            /* initial arena image of the current state */
    uint8_t *native_out;      /* arena after the native run */
    uint64_t insn_addr;
    uint64_t landing[DIFF_NLAND];
    uint64_t seed;
    uint64_t rng;
    unsigned forms, states, mismatches, reported;
    unsigned native_faults;
    bool have_ldt;            /* DIFF_M16A forms can run (modify_ldt worked) */
};

/* Sets up / tears down the fixture (the seed from DIFF_SEED or seed). */
int diff_env_init(struct diff_env *env, uint64_t seed);
void diff_env_fini(struct diff_env *env);

/* Runs nstates random states of form f; returns the number of mismatches
 * (each printed). */
unsigned diff_run_form(struct diff_env *env, const struct diff_form *f, unsigned nstates);

/* ---- Random values ---------------------------------------------------- */

uint64_t diff_rand(struct diff_env *env);
/* A value biased towards edge cases (0, 1, -1, sign boundaries...). */
uint64_t diff_rand_value(struct diff_env *env);
/* Fills the initial arena image [off, off + len) with random values. */
void diff_randomize(struct diff_env *env, unsigned off, unsigned len);
static inline uint64_t diff_rand_below(struct diff_env *env, uint64_t n)
{
    return n ? diff_rand(env) % n : 0;
}

/* ---- Encoding ------------------------------------------------------------ */

/* Memory-operand shapes. */
enum diff_mem_kind {
    DIFF_MEM_BASE_DISP8,  /* [base + disp8] */
    DIFF_MEM_SIB_DISP32,  /* [base + index * scale + disp32] */
    DIFF_MEM_RIPREL,      /* [rip + disp32] (64-bit mode only) */
    DIFF_MEM_ABS32,       /* [disp32] (SIB without base and index) */
    DIFF_MEM_NKINDS,
};

/* One instruction to encode: [prefixes] [REX] opcode [ModRM [SIB] [disp]]
 * [imm] [imm2]. REX is emitted (64-bit forms only) when W, an extended
 * register or rex_force asks for it. */
struct diff_enc {
    const char *name;
    enum diff_mode mode;
    uint32_t undef;            /* flags never compared */
    char prefixes[8];          /* legacy prefix bytes, NUL-terminated, e.g. "\x66\xf3" */
    bool rex_w, rex_force;
    uint8_t opcode[3];
    unsigned nopcode;
    int opreg;                 /* register in the opcode's low 3 bits, or -1 */
    int reg;                   /* ModRM.reg (register 0-15 or /digit), or -1: no ModRM */
    int rm;                    /* ModRM.rm register 0-15, or -1: a memory operand */
    enum diff_mem_kind mem;
    uint8_t addrsize;          /* 0: the mode's default; 4 (64-bit mode) or 2 (DIFF_M16A)
                                * need a "\x67" prefix; 2 uses [bx/si/di + disp8] forms */
    uint64_t imm, imm2;
    unsigned nimm, nimm2;
    uint16_t avoid;            /* registers never used as base or index */
};

/* Builds form f from e, choosing base/index registers at random. */
void diff_encode(struct diff_env *env, struct diff_form *f, const struct diff_enc *e);

/* Appends a legacy prefix byte to e. */
void diff_enc_prefix(struct diff_enc *e, uint8_t b);

/* Sets the operand size (1 and 4: nothing; 2: 66 prefix; 8: REX.W). */
void diff_enc_opsize(struct diff_enc *e, unsigned size);

/* A random general register for an operand: not rSP and not in avoid; 0-7
 * in 32-bit forms. */
int diff_pick_gpr(struct diff_env *env, enum diff_mode mode, uint16_t avoid);

/* A random memory-operand shape valid in mode. */
enum diff_mem_kind diff_pick_mem(struct diff_env *env, enum diff_mode mode);

/* A form from raw bytes (no memory operand). */
void diff_form_raw(struct diff_form *f, const char *name, enum diff_mode mode, uint32_t undef,
                   const void *bytes, unsigned len);

/* Runs every form in forms[0..n) for nstates states; fails the calling
 * cmocka test on any mismatch. Prints a summary line. */
void diff_run_all(struct diff_env *env, const char *family, struct diff_form *forms, unsigned n,
                  unsigned nstates);

/* ---- Templates: one description, many forms ------------------------------ */

#define DIFF_G -1        /* digit: ModRM.reg is a random GPR operand */
#define DIFF_NOMODRM -2  /* digit: no ModRM byte */

enum diff_imm { DIFF_IMM_NONE, DIFF_IMM_B, DIFF_IMM_Z, DIFF_IMM_V, DIFF_IMM_W, DIFF_IMM_COUNT };
enum diff_rm { DIFF_RM_BOTH, DIFF_RM_REG, DIFF_RM_MEM };

#define DIFF_LOCK      (1u << 0) /* also emit LOCK-prefixed memory forms */
#define DIFF_OPREG     (1u << 1) /* a random register in the opcode's low 3 bits */
#define DIFF_ONLY64    (1u << 2)
#define DIFF_ONLY32    (1u << 3)
#define DIFF_NOREX     (1u << 4) /* never add a REX prefix of our own (byte regs AH..BH) */
#define DIFF_ADDRSZ    (1u << 5) /* also 67-prefixed forms: 32-bit addresses in 64-bit
                                    * mode, 16-bit ones in DIFF_M16A */
#define DIFF_D64       (1u << 6) /* operand size 8 is the default: no REX.W */

#define DIFF_S1 1u
#define DIFF_S2 2u
#define DIFF_S4 4u
#define DIFF_S8 8u
#define DIFF_SV (DIFF_S2 | DIFF_S4 | DIFF_S8)

struct diff_tmpl {
    const char *name;
    const char *prefix;    /* mandatory/legacy prefixes ("" for none) */
    uint8_t op[3];
    uint8_t nop;
    int8_t digit;          /* ModRM.reg /digit, DIFF_G or DIFF_NOMODRM */
    uint8_t sizes;         /* DIFF_S* bits: 66 selects 2, REX.W 8 */
    uint8_t imm;           /* enum diff_imm */
    uint8_t rm;            /* enum diff_rm */
    uint8_t flags;         /* DIFF_LOCK ... */
    uint32_t undef;
    diff_undef_fn undef_fn;
    diff_setup_fn setup;
    uint64_t arg;
};

/* Template rows: name, prefixes, digit, sizes, imm, rm, flags, undef, then
 * the opcode bytes; DIFF_TX adds the undef/setup hooks and argument. */
#define DIFF_TX(nm, pfx, dig, sz, im, rmk, fl, und, ufn, sfn, a, ...)                          \
    { .name = (nm), .prefix = (pfx), .op = { __VA_ARGS__ },                                   \
      .nop = sizeof((uint8_t[]){ __VA_ARGS__ }), .digit = (dig), .sizes = (sz), .imm = (im),  \
      .rm = (rmk), .flags = (fl), .undef = (und), .undef_fn = (ufn), .setup = (sfn),          \
      .arg = (a) }
#define DIFF_T(nm, pfx, dig, sz, im, rmk, fl, und, ...)                                         \
    DIFF_TX(nm, pfx, dig, sz, im, rmk, fl, und, NULL, NULL, 0, __VA_ARGS__)

/* Appends to forms[*n] (capacity max) the forms of template t in mode:
 * each size, register and memory variants (with random registers,
 * addressing shapes and immediates), LOCK variants. */
void diff_build(struct diff_env *env, const struct diff_tmpl *t, enum diff_mode mode,
                struct diff_form *forms, unsigned *n, unsigned max);

/* Builds every template of tmpl[0..ntmpl) in every mode (as allowed) and
 * runs them (nstates each); fails the cmocka test on any mismatch. */
void diff_run_templates(const char *family, const struct diff_tmpl *tmpl, unsigned ntmpl,
                        unsigned nstates, uint64_t seed);

/* The offset within the arena of the memory operand for state st (valid in
 * setup hooks once the registers are set), or -1 if none. */
int diff_mem_off(const struct diff_env *env, const struct diff_form *f, const struct diff_state *st);

/* The value of the r/m operand (register or memory, f->size bytes) in the
 * initial state, and a way to set it (for setup hooks). */
uint64_t diff_rm_get(const struct diff_env *env, const struct diff_form *f,
                     const struct diff_state *st);
void diff_rm_set(struct diff_env *env, const struct diff_form *f, struct diff_state *st,
                 uint64_t v);
/* The same for the ModRM.reg / opcode register operand. */
uint64_t diff_greg_get(const struct diff_form *f, const struct diff_state *st);

/* True if the host CPU has the CPUID feature (leaf, sub-leaf 0, register
 * index 0-3 = EAX-EDX, bit). */
bool diff_host_has(uint32_t leaf, unsigned reg, unsigned bit);

#endif
