/* The x86 page-table walk (SDM Vol. 3A, 4.3-4.5): 32-bit, PAE and 4-level
 * paging, with permission checks and #PF error codes. Physical memory is
 * reached through callbacks, so the kvm fallback and the emu backend share it. */
#ifndef VMON_X86_PAGING_H
#define VMON_X86_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/state.h"

/* Access kinds; combine one of READ/WRITE/EXEC with USER for CPL 3 accesses.
 * IMPLICIT marks supervisor-mode system accesses (GDT, IDT, TSS) that SMAP
 * and U/S rules treat as supervisor whatever the CPL. */
enum {
    X86_ACC_READ = 0,
    X86_ACC_WRITE = 1u << 0,
    X86_ACC_EXEC = 1u << 1,
    X86_ACC_USER = 1u << 2,
    X86_ACC_IMPLICIT = 1u << 3,
};

/* #PF error code bits */
#define X86_PF_P    (1u << 0)
#define X86_PF_W    (1u << 1)
#define X86_PF_U    (1u << 2)
#define X86_PF_RSVD (1u << 3)
#define X86_PF_I    (1u << 4)

struct x86_phys_ops {
    /* Reads/writes a naturally aligned 4- or 8-byte page-table entry.
     * Return false when pa is not RAM (the walk then fails like a reserved bit). */
    bool (*read)(void *ctx, uint64_t pa, uint64_t *val, unsigned size);
    /* Atomically sets bits in an entry that still holds old (A/D bits). May be
     * NULL: then A/D bits are not updated (read-only walks for diagnostics). */
    bool (*set_bits)(void *ctx, uint64_t pa, uint64_t old, uint64_t bits, unsigned size);
    void *ctx;
    /* The CPU's physical-address width: entry bits from here to 51 are
     * reserved. 0 means 52 (no reserved address bits). */
    unsigned maxphyaddr;
};

struct x86_walk_result {
    uint64_t pa;         /* physical address of la */
    uint64_t page_size;  /* 4 KiB, 2/4 MiB or 1 GiB */
    bool writable;       /* the mapping permits writes for this access's privilege */
    bool user;           /* U/S set at every level */
    bool nx;             /* no-execute */
    bool global;
};

/* Translates linear address la. Returns 0, or X86_EXC_PF with *errcode set
 * (the caller sets CR2 = la), or X86_EXC_GP for a non-canonical address. */
int x86_walk(const struct x86_state *s, const struct x86_phys_ops *ops, uint64_t la,
             unsigned access, struct x86_walk_result *out, uint32_t *errcode);

#endif
