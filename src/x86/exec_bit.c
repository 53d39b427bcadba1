/* Bit operations (see exec_bit.h). */
#include "x86/exec_bit.h"

#include "x86/exec_opnd.h"

/* ---- BT / BTS / BTR / BTC ------------------------------------------------------ */

enum bt_kind { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static inline uint64_t bt_apply(enum bt_kind k, uint64_t v, uint64_t bit)
{
    switch (k) {
    case BT_SET: return v | bit;
    case BT_RESET: return v & ~bit;
    case BT_COMPLEMENT: return v ^ bit;
    default: return v;
    }
}

/* CF = the selected bit; OF SF AF PF are undefined (unchanged here) and ZF
 * is unaffected. */
static int bit_test(struct x86_cpu *cpu, const struct x86_insn *in, enum bt_kind kind)
{
    unsigned size = in->opnd[0].size, bits = 8 * size;
    uint64_t off;
    int rc = x86_opnd_read(cpu, in, 1, &off);
    if (rc)
        return rc;

    uint64_t v, bit;
    struct x86_dst d;
    if (in->opnd[0].kind == X86_OPND_MEM && in->opnd[1].kind == X86_OPND_GPR) {
        /* Bit-string addressing: the register offset is signed and may
         * reach outside the operand, in units of the operand size. */
        int64_t soff = x86_sext(off, size);
        int64_t unit = soff >> __builtin_ctz(bits); /* floor(soff / bits) */
        uint64_t ea = (x86_ea(cpu, in) + (uint64_t)unit * size) & x86_size_mask(in->addrsize);
        bit = (uint64_t)1 << (soff & (bits - 1));
        if (kind == BT_TEST)
            rc = x86_mem_read(cpu, in->seg, ea, size, &v);
        else {
            d.mem = true;
            d.size = (uint8_t)size;
            rc = x86_mem_rmw_begin(cpu, in->seg, ea, size, in->flags & X86_PFX_LOCK, &d.m, &v);
        }
    } else {
        bit = (uint64_t)1 << (off & (bits - 1));
        if (kind == BT_TEST)
            rc = x86_opnd_read(cpu, in, 0, &v);
        else
            rc = x86_dst_begin(cpu, in, 0, &d, &v);
    }
    if (rc)
        return rc;
    if (kind != BT_TEST) {
        if (d.mem && d.m.atomic) {
            while (!x86_mem_rmw_cas(cpu, &d.m, &v, bt_apply(kind, v, bit), &rc))
                ;
        } else {
            rc = x86_dst_commit(cpu, &d, bt_apply(kind, v, bit));
        }
        if (rc)
            return rc;
    }
    x86_flags_update(cpu, X86_FLAG_CF, (v & bit) ? X86_FLAG_CF : 0);
    return X86_EXEC_OK;
}

int x86_exec_bt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_test(cpu, in, BT_TEST);
}

int x86_exec_bts(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_test(cpu, in, BT_SET);
}

int x86_exec_btr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_test(cpu, in, BT_RESET);
}

int x86_exec_btc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_test(cpu, in, BT_COMPLEMENT);
}

/* ---- Bit scans and counts ------------------------------------------------------- */

/* BSF/BSR: ZF = (source == 0); the destination is left unchanged for a zero
 * source (as AMD documents; Intel leaves it undefined). CF OF SF AF PF are
 * undefined (unchanged here). */
static int bit_scan(struct x86_cpu *cpu, const struct x86_insn *in, bool reverse)
{
    unsigned size = in->opnd[0].size;
    uint64_t src;
    int rc = x86_opnd_read(cpu, in, 1, &src);
    if (rc)
        return rc;
    src &= x86_size_mask(size);
    if (src == 0) {
        x86_flags_update(cpu, X86_FLAG_ZF, X86_FLAG_ZF);
        return X86_EXEC_OK;
    }
    uint64_t idx = reverse ? 63u - (unsigned)__builtin_clzll(src) : (unsigned)__builtin_ctzll(src);
    x86_gpr_write(cpu, in->opnd[0].reg, size, idx);
    x86_flags_update(cpu, X86_FLAG_ZF, 0);
    return X86_EXEC_OK;
}

int x86_exec_bsf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_scan(cpu, in, false);
}

int x86_exec_bsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_scan(cpu, in, true);
}

/* TZCNT/LZCNT: CF = (source == 0), ZF = (result == 0); OF SF AF PF are
 * undefined (unchanged here). */
static int bit_count_zeros(struct x86_cpu *cpu, const struct x86_insn *in, bool leading)
{
    unsigned size = in->opnd[0].size, bits = 8 * size;
    uint64_t src;
    int rc = x86_opnd_read(cpu, in, 1, &src);
    if (rc)
        return rc;
    src &= x86_size_mask(size);
    uint64_t n = bits;
    if (src)
        n = leading ? (unsigned)__builtin_clzll(src) - (64 - bits) : (unsigned)__builtin_ctzll(src);
    x86_gpr_write(cpu, in->opnd[0].reg, size, n);
    x86_flags_update(cpu, X86_FLAG_CF | X86_FLAG_ZF,
                     (src == 0 ? X86_FLAG_CF : 0) | (n == 0 ? X86_FLAG_ZF : 0));
    return X86_EXEC_OK;
}

int x86_exec_tzcnt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_count_zeros(cpu, in, false);
}

int x86_exec_lzcnt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return bit_count_zeros(cpu, in, true);
}

/* POPCNT: ZF = (source == 0), OF SF AF CF PF cleared. */
int x86_exec_popcnt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t src;
    int rc = x86_opnd_read(cpu, in, 1, &src);
    if (rc)
        return rc;
    src &= x86_size_mask(size);
    x86_gpr_write(cpu, in->opnd[0].reg, size, (uint64_t)__builtin_popcountll(src));
    x86_flags_update(cpu, X86_FLAGS_ARITH, src == 0 ? X86_FLAG_ZF : 0);
    return X86_EXEC_OK;
}

/* ---- BSWAP ------------------------------------------------------------------------ */

/* BSWAP r16 is undefined; it gives 0 here, as current processors do. */
int x86_exec_bswap(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t v = x86_gpr_read(cpu, in->opnd[0].reg, size);
    if (size == 8)
        v = __builtin_bswap64(v);
    else if (size == 4)
        v = __builtin_bswap32((uint32_t)v);
    else
        v = 0;
    x86_gpr_write(cpu, in->opnd[0].reg, size, v);
    return X86_EXEC_OK;
}

/* ---- CRC32 (SSE4.2): CRC-32C, polynomial 11EDC6F41h, bit-reflected ------------------ */

static uint32_t crc32c_byte(uint32_t crc, uint8_t b)
{
    crc ^= b;
    for (unsigned i = 0; i < 8; i++)
        crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    return crc;
}

int x86_exec_crc32(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned dsize = in->opnd[0].size, ssize = in->opnd[1].size;
    uint64_t src;
    int rc = x86_opnd_read(cpu, in, 1, &src);
    if (rc)
        return rc;
    uint32_t crc = (uint32_t)x86_gpr_read(cpu, in->opnd[0].reg, 4);
    for (unsigned i = 0; i < ssize; i++)
        crc = crc32c_byte(crc, (uint8_t)(src >> (8 * i)));
    x86_gpr_write(cpu, in->opnd[0].reg, dsize, crc);
    return X86_EXEC_OK;
}
