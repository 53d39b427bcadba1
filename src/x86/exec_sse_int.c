/* MMX/SSE integer operations (see exec_sse_int.h).
 *
 * Every operation computes r from the destination d, the source s, the
 * width n (8 for MMX, 16 for XMM), the immediate and, for the variable
 * blends, XMM0. Lane counts are derived from n, so the same loop serves
 * both widths. */
#include "x86/exec_sse_int.h"

#include "x86/exec_opnd.h"
#include "x86/exec_sse_host.h"
#include "x86/exec_sse_opnd.h"

/* ---- Saturation ------------------------------------------------------------ */

static inline int8_t sat_s8(int32_t v) { return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v); }
static inline uint8_t sat_u8(int32_t v) { return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v); }
static inline int16_t sat_s16(int32_t v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}
static inline uint16_t sat_u16(int32_t v) { return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v); }

/* ---- Operation groups -------------------------------------------------------- */

/* r->field[i] = expr for the lanes i < count. */
#define LANES(field, count, expr)                                                \
    do {                                                                         \
        for (unsigned i = 0; i < (count); i++)                                   \
            r->field[i] = (expr);                                                \
    } while (0)

/* Element-wise addition and subtraction (wrapping and saturating). */
static bool add_sub(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n)
{
    switch (op) {
    case X86_OP_PADDB: LANES(b, n, (uint8_t)(d->b[i] + s->b[i])); break;
    case X86_OP_PADDW: LANES(w, n / 2, (uint16_t)(d->w[i] + s->w[i])); break;
    case X86_OP_PADDD: LANES(d, n / 4, d->d[i] + s->d[i]); break;
    case X86_OP_PADDQ: LANES(q, n / 8, d->q[i] + s->q[i]); break;
    case X86_OP_PSUBB: LANES(b, n, (uint8_t)(d->b[i] - s->b[i])); break;
    case X86_OP_PSUBW: LANES(w, n / 2, (uint16_t)(d->w[i] - s->w[i])); break;
    case X86_OP_PSUBD: LANES(d, n / 4, d->d[i] - s->d[i]); break;
    case X86_OP_PSUBQ: LANES(q, n / 8, d->q[i] - s->q[i]); break;
    case X86_OP_PADDSB: LANES(sb, n, sat_s8(d->sb[i] + s->sb[i])); break;
    case X86_OP_PADDSW: LANES(sw, n / 2, sat_s16(d->sw[i] + s->sw[i])); break;
    case X86_OP_PADDUSB: LANES(b, n, sat_u8(d->b[i] + s->b[i])); break;
    case X86_OP_PADDUSW: LANES(w, n / 2, sat_u16(d->w[i] + s->w[i])); break;
    case X86_OP_PSUBSB: LANES(sb, n, sat_s8(d->sb[i] - s->sb[i])); break;
    case X86_OP_PSUBSW: LANES(sw, n / 2, sat_s16(d->sw[i] - s->sw[i])); break;
    case X86_OP_PSUBUSB: LANES(b, n, sat_u8(d->b[i] - s->b[i])); break;
    case X86_OP_PSUBUSW: LANES(w, n / 2, sat_u16(d->w[i] - s->w[i])); break;
    default: return false;
    }
    return true;
}

#define MASK_IF(c, T) ((c) ? (T)~(T)0 : (T)0)

/* Compares (all-ones lanes where true), minimum and maximum. */
static bool compare(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n)
{
    switch (op) {
    case X86_OP_PCMPEQB: LANES(b, n, MASK_IF(d->b[i] == s->b[i], uint8_t)); break;
    case X86_OP_PCMPEQW: LANES(w, n / 2, MASK_IF(d->w[i] == s->w[i], uint16_t)); break;
    case X86_OP_PCMPEQD: LANES(d, n / 4, MASK_IF(d->d[i] == s->d[i], uint32_t)); break;
    case X86_OP_PCMPEQQ: LANES(q, n / 8, MASK_IF(d->q[i] == s->q[i], uint64_t)); break;
    case X86_OP_PCMPGTB: LANES(b, n, MASK_IF(d->sb[i] > s->sb[i], uint8_t)); break;
    case X86_OP_PCMPGTW: LANES(w, n / 2, MASK_IF(d->sw[i] > s->sw[i], uint16_t)); break;
    case X86_OP_PCMPGTD: LANES(d, n / 4, MASK_IF(d->sd[i] > s->sd[i], uint32_t)); break;
    case X86_OP_PCMPGTQ: LANES(q, n / 8, MASK_IF(d->sq[i] > s->sq[i], uint64_t)); break;
    case X86_OP_PMINUB: LANES(b, n, MIN(d->b[i], s->b[i])); break;
    case X86_OP_PMINUW: LANES(w, n / 2, MIN(d->w[i], s->w[i])); break;
    case X86_OP_PMINUD: LANES(d, n / 4, MIN(d->d[i], s->d[i])); break;
    case X86_OP_PMINSB: LANES(sb, n, MIN(d->sb[i], s->sb[i])); break;
    case X86_OP_PMINSW: LANES(sw, n / 2, MIN(d->sw[i], s->sw[i])); break;
    case X86_OP_PMINSD: LANES(sd, n / 4, MIN(d->sd[i], s->sd[i])); break;
    case X86_OP_PMAXUB: LANES(b, n, MAX(d->b[i], s->b[i])); break;
    case X86_OP_PMAXUW: LANES(w, n / 2, MAX(d->w[i], s->w[i])); break;
    case X86_OP_PMAXUD: LANES(d, n / 4, MAX(d->d[i], s->d[i])); break;
    case X86_OP_PMAXSB: LANES(sb, n, MAX(d->sb[i], s->sb[i])); break;
    case X86_OP_PMAXSW: LANES(sw, n / 2, MAX(d->sw[i], s->sw[i])); break;
    case X86_OP_PMAXSD: LANES(sd, n / 4, MAX(d->sd[i], s->sd[i])); break;
    default: return false;
    }
    return true;
}

/* Sum of absolute differences of bytes d[doff + j] and s[soff + j]. */
static unsigned sad4(const x86_vec *d, unsigned doff, const x86_vec *s, unsigned soff,
                     unsigned len)
{
    unsigned sum = 0;
    for (unsigned j = 0; j < len; j++) {
        int diff = (int)d->b[doff + j] - (int)s->b[soff + j];
        sum += (unsigned)(diff < 0 ? -diff : diff);
    }
    return sum;
}

/* Averages, multiplies, multiply-adds, sums of absolute differences. */
static bool multiply(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n,
                     unsigned imm)
{
    switch (op) {
    case X86_OP_PAVGB: LANES(b, n, (uint8_t)((d->b[i] + s->b[i] + 1) >> 1)); break;
    case X86_OP_PAVGW: LANES(w, n / 2, (uint16_t)((d->w[i] + s->w[i] + 1u) >> 1)); break;
    case X86_OP_PMULLW: LANES(w, n / 2, (uint16_t)((uint32_t)d->w[i] * s->w[i])); break;
    case X86_OP_PMULHW: LANES(sw, n / 2, (int16_t)(((int32_t)d->sw[i] * s->sw[i]) >> 16)); break;
    case X86_OP_PMULHUW: LANES(w, n / 2, (uint16_t)(((uint32_t)d->w[i] * s->w[i]) >> 16)); break;
    case X86_OP_PMULLD: LANES(d, n / 4, d->d[i] * s->d[i]); break;
    case X86_OP_PMULUDQ: LANES(q, n / 8, (uint64_t)d->d[2 * i] * s->d[2 * i]); break;
    case X86_OP_PMULDQ: LANES(sq, n / 8, (int64_t)d->sd[2 * i] * s->sd[2 * i]); break;
    case X86_OP_PMADDWD:
        for (unsigned i = 0; i < n / 4; i++) {
            /* 0x8000 * 0x8000 twice overflows to 0x80000000, as on hardware */
            uint32_t p0 = (uint32_t)((int32_t)d->sw[2 * i] * s->sw[2 * i]);
            uint32_t p1 = (uint32_t)((int32_t)d->sw[2 * i + 1] * s->sw[2 * i + 1]);
            r->d[i] = p0 + p1;
        }
        break;
    case X86_OP_PMADDUBSW:
        for (unsigned i = 0; i < n / 2; i++)
            r->sw[i] = sat_s16(d->b[2 * i] * s->sb[2 * i] + d->b[2 * i + 1] * s->sb[2 * i + 1]);
        break;
    case X86_OP_PMULHRSW:
        for (unsigned i = 0; i < n / 2; i++)
            r->w[i] = (uint16_t)((((int32_t)d->sw[i] * s->sw[i] >> 14) + 1) >> 1);
        break;
    case X86_OP_PSADBW:
        for (unsigned g = 0; g < n / 8; g++)
            r->q[g] = sad4(d, 8 * g, s, 8 * g, 8);
        break;
    case X86_OP_MPSADBW: {
        unsigned doff = (imm & 4) ? 4 : 0, soff = (imm & 3) * 4;
        for (unsigned i = 0; i < 8; i++)
            r->w[i] = (uint16_t)sad4(d, doff + i, s, soff, 4);
        break;
    }
    default: return false;
    }
    return true;
}

/* Bitwise logic (also the ...PS/...PD forms). */
static bool logic(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s)
{
    switch (op) {
    case X86_OP_PAND: case X86_OP_ANDPS: case X86_OP_ANDPD:
        r->q[0] = d->q[0] & s->q[0], r->q[1] = d->q[1] & s->q[1];
        break;
    case X86_OP_PANDN: case X86_OP_ANDNPS: case X86_OP_ANDNPD:
        r->q[0] = ~d->q[0] & s->q[0], r->q[1] = ~d->q[1] & s->q[1];
        break;
    case X86_OP_POR: case X86_OP_ORPS: case X86_OP_ORPD:
        r->q[0] = d->q[0] | s->q[0], r->q[1] = d->q[1] | s->q[1];
        break;
    case X86_OP_PXOR: case X86_OP_XORPS: case X86_OP_XORPD:
        r->q[0] = d->q[0] ^ s->q[0], r->q[1] = d->q[1] ^ s->q[1];
        break;
    default:
        return false;
    }
    return true;
}

/* Shifts by the low quadword of the source (register/memory forms) or
 * the immediate: counts above the lane width clear the lane (arithmetic
 * right shifts fill it with the sign). PSRLDQ/PSLLDQ shift whole bytes. */
static bool shift(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n)
{
    uint64_t c = s->q[0];
    switch (op) {
    case X86_OP_PSRLW: LANES(w, n / 2, c > 15 ? 0 : (uint16_t)(d->w[i] >> c)); break;
    case X86_OP_PSRLD: LANES(d, n / 4, c > 31 ? 0 : d->d[i] >> c); break;
    case X86_OP_PSRLQ: LANES(q, n / 8, c > 63 ? 0 : d->q[i] >> c); break;
    case X86_OP_PSLLW: LANES(w, n / 2, c > 15 ? 0 : (uint16_t)(d->w[i] << c)); break;
    case X86_OP_PSLLD: LANES(d, n / 4, c > 31 ? 0 : d->d[i] << c); break;
    case X86_OP_PSLLQ: LANES(q, n / 8, c > 63 ? 0 : d->q[i] << c); break;
    case X86_OP_PSRAW: LANES(sw, n / 2, (int16_t)(d->sw[i] >> (c > 15 ? 15 : c))); break;
    case X86_OP_PSRAD: LANES(sd, n / 4, d->sd[i] >> (c > 31 ? 31 : c)); break;
    case X86_OP_PSRLDQ:
        for (unsigned i = 0; i < 16; i++)
            r->b[i] = i + c < 16 ? d->b[i + c] : 0;
        break;
    case X86_OP_PSLLDQ:
        for (unsigned i = 0; i < 16; i++)
            r->b[i] = i >= c ? d->b[i - c] : 0;
        break;
    default:
        return false;
    }
    return true;
}

/* Interleaves the low (high = false) or high halves of d and s, in
 * elements of esize bytes. */
static void unpack(x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n, unsigned esize,
                   bool high)
{
    unsigned half = n / 2, base = high ? half : 0;
    for (unsigned i = 0; i < half / esize; i++) {
        memcpy(&r->b[2 * i * esize], &d->b[base + i * esize], esize);
        memcpy(&r->b[(2 * i + 1) * esize], &s->b[base + i * esize], esize);
    }
}

/* Unpacks and packs (d's lanes first, then s's). */
static bool unpack_pack(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n)
{
    switch (op) {
    case X86_OP_PUNPCKLBW: unpack(r, d, s, n, 1, false); break;
    case X86_OP_PUNPCKLWD: unpack(r, d, s, n, 2, false); break;
    case X86_OP_PUNPCKLDQ: case X86_OP_UNPCKLPS: unpack(r, d, s, n, 4, false); break;
    case X86_OP_PUNPCKLQDQ: case X86_OP_UNPCKLPD: unpack(r, d, s, n, 8, false); break;
    case X86_OP_PUNPCKHBW: unpack(r, d, s, n, 1, true); break;
    case X86_OP_PUNPCKHWD: unpack(r, d, s, n, 2, true); break;
    case X86_OP_PUNPCKHDQ: case X86_OP_UNPCKHPS: unpack(r, d, s, n, 4, true); break;
    case X86_OP_PUNPCKHQDQ: case X86_OP_UNPCKHPD: unpack(r, d, s, n, 8, true); break;
    case X86_OP_PACKSSWB:
        for (unsigned i = 0; i < n / 2; i++) {
            r->sb[i] = sat_s8(d->sw[i]);
            r->sb[n / 2 + i] = sat_s8(s->sw[i]);
        }
        break;
    case X86_OP_PACKUSWB:
        for (unsigned i = 0; i < n / 2; i++) {
            r->b[i] = sat_u8(d->sw[i]);
            r->b[n / 2 + i] = sat_u8(s->sw[i]);
        }
        break;
    case X86_OP_PACKSSDW:
        for (unsigned i = 0; i < n / 4; i++) {
            r->sw[i] = sat_s16(d->sd[i]);
            r->sw[n / 4 + i] = sat_s16(s->sd[i]);
        }
        break;
    case X86_OP_PACKUSDW:
        for (unsigned i = 0; i < n / 4; i++) {
            r->w[i] = sat_u16(d->sd[i]);
            r->w[n / 4 + i] = sat_u16(s->sd[i]);
        }
        break;
    default:
        return false;
    }
    return true;
}

/* Shuffles and immediate blends. */
static bool shuffle(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n,
                    unsigned imm)
{
    switch (op) {
    case X86_OP_PSHUFW:
        for (unsigned i = 0; i < 4; i++)
            r->w[i] = s->w[(imm >> (2 * i)) & 3];
        break;
    case X86_OP_PSHUFD:
        for (unsigned i = 0; i < 4; i++)
            r->d[i] = s->d[(imm >> (2 * i)) & 3];
        break;
    case X86_OP_PSHUFLW:
        for (unsigned i = 0; i < 4; i++)
            r->w[i] = s->w[(imm >> (2 * i)) & 3];
        r->q[1] = s->q[1];
        break;
    case X86_OP_PSHUFHW:
        r->q[0] = s->q[0];
        for (unsigned i = 0; i < 4; i++)
            r->w[4 + i] = s->w[4 + ((imm >> (2 * i)) & 3)];
        break;
    case X86_OP_SHUFPS:
        r->d[0] = d->d[imm & 3];
        r->d[1] = d->d[(imm >> 2) & 3];
        r->d[2] = s->d[(imm >> 4) & 3];
        r->d[3] = s->d[(imm >> 6) & 3];
        break;
    case X86_OP_SHUFPD:
        r->q[0] = d->q[imm & 1];
        r->q[1] = s->q[(imm >> 1) & 1];
        break;
    case X86_OP_PSHUFB:
        for (unsigned i = 0; i < n; i++)
            r->b[i] = (s->b[i] & 0x80) ? 0 : d->b[s->b[i] & (n - 1)];
        break;
    case X86_OP_PALIGNR: {
        /* (d:s) >> 8 * imm: s is the low half of the 2n-byte value */
        uint8_t cat[32];
        memcpy(cat, s->b, n);
        memcpy(cat + n, d->b, n);
        for (unsigned i = 0; i < n; i++)
            r->b[i] = i + imm < 2 * n ? cat[i + imm] : 0;
        break;
    }
    case X86_OP_PBLENDW:
        for (unsigned i = 0; i < 8; i++)
            r->w[i] = (imm >> i) & 1 ? s->w[i] : d->w[i];
        break;
    case X86_OP_BLENDPS:
        for (unsigned i = 0; i < 4; i++)
            r->d[i] = (imm >> i) & 1 ? s->d[i] : d->d[i];
        break;
    case X86_OP_BLENDPD:
        for (unsigned i = 0; i < 2; i++)
            r->q[i] = (imm >> i) & 1 ? s->q[i] : d->q[i];
        break;
    default:
        return false;
    }
    return true;
}

/* Variable blends: the sign bit of each XMM0 lane picks s. */
static bool blendv(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, const x86_vec *m)
{
    switch (op) {
    case X86_OP_PBLENDVB:
        for (unsigned i = 0; i < 16; i++)
            r->b[i] = (m->b[i] & 0x80) ? s->b[i] : d->b[i];
        break;
    case X86_OP_BLENDVPS:
        for (unsigned i = 0; i < 4; i++)
            r->d[i] = (m->d[i] >> 31) ? s->d[i] : d->d[i];
        break;
    case X86_OP_BLENDVPD:
        for (unsigned i = 0; i < 2; i++)
            r->q[i] = (m->q[i] >> 63) ? s->q[i] : d->q[i];
        break;
    default:
        return false;
    }
    return true;
}

/* SSSE3 sign, absolute value and horizontal operations. */
static bool ssse3(unsigned op, x86_vec *r, const x86_vec *d, const x86_vec *s, unsigned n)
{
    switch (op) {
    case X86_OP_PABSB: LANES(b, n, (uint8_t)(s->sb[i] < 0 ? -s->sb[i] : s->sb[i])); break;
    case X86_OP_PABSW: LANES(w, n / 2, (uint16_t)(s->sw[i] < 0 ? -s->sw[i] : s->sw[i])); break;
    case X86_OP_PABSD: LANES(d, n / 4, s->sd[i] < 0 ? 0u - s->d[i] : s->d[i]); break;
    case X86_OP_PSIGNB:
        for (unsigned i = 0; i < n; i++)
            r->b[i] = s->sb[i] < 0 ? (uint8_t)-d->b[i] : s->sb[i] ? d->b[i] : 0;
        break;
    case X86_OP_PSIGNW:
        for (unsigned i = 0; i < n / 2; i++)
            r->w[i] = s->sw[i] < 0 ? (uint16_t)-d->w[i] : s->sw[i] ? d->w[i] : 0;
        break;
    case X86_OP_PSIGND:
        for (unsigned i = 0; i < n / 4; i++)
            r->d[i] = s->sd[i] < 0 ? 0u - d->d[i] : s->sd[i] ? d->d[i] : 0;
        break;
    case X86_OP_PHADDW: case X86_OP_PHSUBW: case X86_OP_PHADDSW: case X86_OP_PHSUBSW: {
        unsigned half = n / 4; /* result words from each operand */
        for (unsigned i = 0; i < 2 * half; i++) {
            const x86_vec *v = i < half ? d : s;
            unsigned j = 2 * (i % half);
            int32_t a = v->sw[j], b = v->sw[j + 1];
            switch (op) {
            case X86_OP_PHADDW: r->w[i] = (uint16_t)(a + b); break;
            case X86_OP_PHSUBW: r->w[i] = (uint16_t)(a - b); break;
            case X86_OP_PHADDSW: r->sw[i] = sat_s16(a + b); break;
            default: r->sw[i] = sat_s16(a - b); break;
            }
        }
        break;
    }
    case X86_OP_PHADDD: case X86_OP_PHSUBD: {
        unsigned half = n / 8;
        for (unsigned i = 0; i < 2 * half; i++) {
            const x86_vec *v = i < half ? d : s;
            unsigned j = 2 * (i % half);
            r->d[i] = op == X86_OP_PHADDD ? v->d[j] + v->d[j + 1] : v->d[j] - v->d[j + 1];
        }
        break;
    }
    default:
        return false;
    }
    return true;
}

/* SSE4.1 sign/zero extensions of the low source lanes, and PHMINPOSUW. */
static bool extend(unsigned op, x86_vec *r, const x86_vec *s)
{
    switch (op) {
    case X86_OP_PMOVSXBW: LANES(sw, 8, s->sb[i]); break;
    case X86_OP_PMOVSXBD: LANES(sd, 4, s->sb[i]); break;
    case X86_OP_PMOVSXBQ: LANES(sq, 2, s->sb[i]); break;
    case X86_OP_PMOVSXWD: LANES(sd, 4, s->sw[i]); break;
    case X86_OP_PMOVSXWQ: LANES(sq, 2, s->sw[i]); break;
    case X86_OP_PMOVSXDQ: LANES(sq, 2, s->sd[i]); break;
    case X86_OP_PMOVZXBW: LANES(w, 8, s->b[i]); break;
    case X86_OP_PMOVZXBD: LANES(d, 4, s->b[i]); break;
    case X86_OP_PMOVZXBQ: LANES(q, 2, s->b[i]); break;
    case X86_OP_PMOVZXWD: LANES(d, 4, s->w[i]); break;
    case X86_OP_PMOVZXWQ: LANES(q, 2, s->w[i]); break;
    case X86_OP_PMOVZXDQ: LANES(q, 2, s->d[i]); break;
    case X86_OP_PHMINPOSUW: {
        unsigned best = 0;
        for (unsigned i = 1; i < 8; i++) {
            if (s->w[i] < s->w[best])
                best = i;
        }
        r->w[0] = s->w[best];
        r->w[1] = (uint16_t)best;
        break;
    }
    default:
        return false;
    }
    return true;
}

/* ---- Handlers ----------------------------------------------------------------- */

int x86_exec_simd_int(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int rc = x86_simd_check(cpu, in);
    if (unlikely(rc))
        return rc;
    x86_vec d, s, r = { 0 };
    rc = x86_simd_read(cpu, in, 0, &d);
    if (likely(!rc))
        rc = x86_simd_read(cpu, in, 1, &s);
    if (unlikely(rc))
        return rc;
    unsigned n = in->opnd[0].kind == X86_OPND_MMX ? 8 : 16;
    unsigned op = in->op, imm = (unsigned)(in->imm & 0xff);
    /* The groups most string and memory functions use come first. */
    bool done = logic(op, &r, &d, &s) || compare(op, &r, &d, &s, n) ||
                add_sub(op, &r, &d, &s, n) || shuffle(op, &r, &d, &s, n, imm) ||
                unpack_pack(op, &r, &d, &s, n) || shift(op, &r, &d, &s, n) ||
                multiply(op, &r, &d, &s, n, imm) || ssse3(op, &r, &d, &s, n) ||
                extend(op, &r, &s);
    if (!done) {
        x86_vec m;
        x86_xmm_get(cpu, 0, &m);
        if (!blendv(op, &r, &d, &s, &m))
            return X86_EXEC_UNSUPPORTED;
    }
    return x86_simd_write(cpu, in, 0, &r);
}

/* PTEST: ZF = (d AND s) == 0, CF = (NOT d AND s) == 0, the others 0. */
int x86_exec_ptest(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_vec d, s;
    int rc = x86_sse_operands(cpu, in, &d, &s);
    if (unlikely(rc))
        return rc;
    uint32_t fl = 0;
    if (!((d.q[0] & s.q[0]) | (d.q[1] & s.q[1])))
        fl |= X86_FLAG_ZF;
    if (!((~d.q[0] & s.q[0]) | (~d.q[1] & s.q[1])))
        fl |= X86_FLAG_CF;
    x86_flags_update(cpu, X86_FLAGS_ARITH, fl);
    return X86_EXEC_OK;
}
