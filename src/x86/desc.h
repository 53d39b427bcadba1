/* Descriptor tables for the system instructions and event delivery: reading
 * segment, gate and system descriptors from the GDT/LDT (16 bytes for system
 * descriptors in IA-32e mode), checking code and stack segments for control
 * transfers, the accessed and busy bits, and the stack pointers in the TSS.
 *
 * Layouts: SDM Vol. 3A, 3.4.5 (segment descriptors, Figure 3-8), 3.5
 * (system descriptor types, Table 3-2), 5.8.3 (call gates, Figure 5-8),
 * 6.11 and 6.14.1 (IDT gates, Figures 6-2 and 6-8), 7.2.1 and 8.7 (32-bit
 * and 64-bit TSS, Figures 7-2 and 8-11).
 *
 * Every descriptor is guest data: callers get raw bits plus helpers, and
 * every check a control transfer makes is spelled out where it is made. */
#ifndef VMON_X86_DESC_H
#define VMON_X86_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/emu.h"

/* System-segment and gate types (S = 0), SDM Vol. 3A, Table 3-2. In IA-32e
 * mode the 32-bit types name the 64-bit forms; the 16-bit ones are invalid. */
enum x86_sys_type {
    X86_SYS_TSS16 = 0x1,
    X86_SYS_LDT = 0x2,
    X86_SYS_TSS16_BUSY = 0x3,
    X86_SYS_CALL16 = 0x4,
    X86_SYS_TASK = 0x5,
    X86_SYS_INT16 = 0x6,
    X86_SYS_TRAP16 = 0x7,
    X86_SYS_TSS = 0x9,
    X86_SYS_TSS_BUSY = 0xb,
    X86_SYS_CALL = 0xc,
    X86_SYS_INT = 0xe,
    X86_SYS_TRAP = 0xf,
};

/* Type-field bits of code/data descriptors. */
#define X86_DESC_ACCESSED 0x1u
#define X86_DESC_TSS_BUSY 0x2u /* in a TSS descriptor's type */

/* A descriptor as read from its table. hi is the second quadword of a
 * 16-byte system descriptor (IA-32e mode), else 0. */
struct x86_desc {
    uint64_t lo, hi;
    uint64_t la; /* where it lives (linear) */
};

static inline unsigned x86_desc_type(const struct x86_desc *d) { return (d->lo >> 40) & 0xf; }
static inline bool x86_desc_s(const struct x86_desc *d) { return d->lo & (1ull << 44); }
static inline unsigned x86_desc_dpl(const struct x86_desc *d) { return (d->lo >> 45) & 3; }
static inline bool x86_desc_present(const struct x86_desc *d) { return d->lo & (1ull << 47); }
static inline bool x86_desc_l(const struct x86_desc *d) { return d->lo & (1ull << 53); }
static inline bool x86_desc_db(const struct x86_desc *d) { return d->lo & (1ull << 54); }

static inline bool x86_desc_is_code(const struct x86_desc *d)
{
    return x86_desc_s(d) && (x86_desc_type(d) & 8);
}

static inline bool x86_desc_conforming(const struct x86_desc *d)
{
    return x86_desc_is_code(d) && (x86_desc_type(d) & 4);
}

/* A writable data segment (what SS must hold). */
static inline bool x86_desc_is_writable_data(const struct x86_desc *d)
{
    return x86_desc_s(d) && !(x86_desc_type(d) & 8) && (x86_desc_type(d) & 2);
}

/* Gate fields (call, interrupt and trap gates). */
static inline uint16_t x86_gate_sel(const struct x86_desc *d) { return (uint16_t)(d->lo >> 16); }
static inline unsigned x86_gate_ist(const struct x86_desc *d) { return (d->lo >> 32) & 7; }
static inline unsigned x86_gate_params(const struct x86_desc *d) { return (d->lo >> 32) & 0x1f; }

/* The target offset: 16 bits for 16-bit gates, 32 for 32-bit gates, 64
 * with the second quadword in IA-32e mode. */
uint64_t x86_gate_offset(const struct x86_desc *d, bool wide);

/* Reads the descriptor for sel from the GDT or LDT; wide reads 16 bytes (a
 * system descriptor in IA-32e mode). When the index lies beyond the table
 * limit, or the LDT is unusable, raises vector with error code
 * (sel & ~3) | ext. Memory faults come from the table read. */
int x86_desc_read(struct x86_cpu *cpu, uint16_t sel, bool wide, unsigned vector, uint32_t ext,
                  struct x86_desc *d);

/* Sets type bits (X86_DESC_ACCESSED, X86_DESC_TSS_BUSY) in the descriptor
 * in memory and in d, if not already set. */
int x86_desc_set_type_bits(struct x86_cpu *cpu, struct x86_desc *d, unsigned bits);

/* Loads a segment cache from a code/data descriptor (selector as given). */
void x86_desc_to_seg(struct x86_seg *sg, uint16_t sel, const struct x86_desc *d);

/* Loads a segment cache from an LDT or TSS descriptor; in IA-32e mode
 * (wide) the base has 64 bits. */
void x86_desc_to_sys_seg(struct x86_seg *sg, uint16_t sel, const struct x86_desc *d, bool wide);

/* Marks a data segment register unusable (null selector loaded). */
void x86_seg_set_null(struct x86_seg *sg, uint16_t sel);

/* Whether [off, off + len) lies within segment sg's limit, expand-down
 * data segments included (SDM Vol. 3A, 5.3). */
bool x86_seg_range_ok(const struct x86_seg *sg, uint64_t off, unsigned len);

/* The stack for privilege level dpl from the current TSS, or IST entry ist
 * (1-7) in IA-32e mode. Legacy TSSs give SS:ESP (32-bit) or SS:SP (16-bit);
 * a 64-bit TSS gives RSP and *ss = 0. An entry beyond the TSS limit raises
 * #TS(TR selector | ext). */
int x86_tss_stack(struct x86_cpu *cpu, unsigned dpl, unsigned ist, uint32_t ext, uint16_t *ss,
                  uint64_t *sp);

/* Checks the stack segment a privilege change to new_cpl loads from the TSS
 * or a call gate (SDM Vol. 2, "INT n", "CALL"): null -> #TS(ext); outside
 * the table, RPL or DPL != new_cpl, not a writable data segment ->
 * #TS(ss | ext); not present -> #SS(ss | ext). */
int x86_desc_check_new_ss(struct x86_cpu *cpu, uint16_t ss, unsigned new_cpl, uint32_t ext,
                          struct x86_desc *d);

/* The linear address of [off, off + len) in the stack segment described by
 * sg, for the stack width mask (0xffff, 0xffffffff or all ones in 64-bit
 * mode): limit check, or canonical check when is64. Raises #SS(err). */
int x86_stack_linear(struct x86_cpu *cpu, const struct x86_seg *sg, uint64_t off, unsigned len,
                     bool is64, uint32_t err, uint64_t *la);

/* After a return to an outer privilege level (RET far, IRET): data segment
 * registers whose DPL is below the new CPL, unless conforming code, become
 * null (SDM Vol. 2, RET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
void x86_seg_drop_inaccessible(struct x86_cpu *cpu, unsigned new_cpl);

#endif
