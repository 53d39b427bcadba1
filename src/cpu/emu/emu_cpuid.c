/* The CPU model of the software CPU. It advertises exactly what vmon
 * emulates: x87, MMX, SSE to SSE4.2; no AVX, no XSAVE, no AES/SHA, no VMX; an invariant TSC at a fixed frequency
 * that CPUID leaf 0x15 states, so the guest need not calibrate it. */
#include <string.h>

#include "cpu/emu/emu.h"

#define EMU_MAX_BASIC 0x16u
#define EMU_MAX_EXT 0x80000008u

/* Leaf 1 ECX / EDX */
#define F1C_SSE3      (1u << 0)
#define F1C_SSSE3     (1u << 9)
#define F1C_CX16      (1u << 13)
#define F1C_SSE41     (1u << 19)
#define F1C_SSE42     (1u << 20)
#define F1C_MOVBE     (1u << 22)
#define F1C_POPCNT    (1u << 23)
#define F1C_TSC_DL    (1u << 24)
#define F1C_RDRAND    (1u << 30)
#define F1C_HYPERV    (1u << 31)
#define F1D_FPU   (1u << 0)
#define F1D_DE    (1u << 2)
#define F1D_PSE   (1u << 3)
#define F1D_TSC   (1u << 4)
#define F1D_MSR   (1u << 5)
#define F1D_PAE   (1u << 6)
#define F1D_CX8   (1u << 8)
#define F1D_APIC  (1u << 9)
#define F1D_SEP   (1u << 11)
#define F1D_PGE   (1u << 13)
#define F1D_CMOV  (1u << 15)
#define F1D_PAT   (1u << 16)
#define F1D_CLFSH (1u << 19)
#define F1D_MMX   (1u << 23)
#define F1D_FXSR  (1u << 24)
#define F1D_SSE   (1u << 25)
#define F1D_SSE2  (1u << 26)
#define F1D_HTT   (1u << 28)

static const uint32_t emu_f1_ecx = F1C_SSE3 | F1C_SSSE3 | F1C_CX16 | F1C_SSE41 | F1C_SSE42 |
                                   F1C_MOVBE | F1C_POPCNT | F1C_TSC_DL | F1C_RDRAND | F1C_HYPERV;
static const uint32_t emu_f1_edx = F1D_FPU | F1D_DE | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE |
                                   F1D_CX8 | F1D_APIC | F1D_SEP | F1D_PGE | F1D_CMOV | F1D_PAT |
                                   F1D_CLFSH | F1D_MMX | F1D_FXSR | F1D_SSE | F1D_SSE2;

static void put_str(uint32_t out[4], const char *s12)
{
    memcpy(&out[1], s12, 4);
    memcpy(&out[3], s12 + 4, 4);
    memcpy(&out[2], s12 + 8, 4);
}

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n)
        b++;
    return b;
}

static void emu_cpuid_brand(uint32_t leaf, uint32_t out[4])
{
    static const char brand[48] = "vmon software x86-64 CPU";
    memcpy(out, brand + 16 * (leaf - 0x80000002u), 16);
}

void emu_cpuid(struct cpu_vcpu *v, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    unsigned ncpus = v->vm->env.ncpus;
    uint64_t tsc_hz = v->vm->intc->ops->tsc_hz;
    memset(out, 0, 16);
    if (leaf >= 0x80000000u ? leaf > EMU_MAX_EXT : (leaf > EMU_MAX_BASIC && leaf < 0x40000000u))
        leaf = EMU_MAX_BASIC; /* Intel: out-of-range leaves return the highest basic leaf */
    switch (leaf) {
    case 0:
        out[0] = EMU_MAX_BASIC;
        put_str(out, "GenuineIntel");
        break;
    case 1:
        out[0] = (6u << 8) | (0x3au << 4 & 0xf0) | (0x3u << 16) | 9; /* family 6 model 0x3a */
        out[1] = (v->index << 24) | ((ncpus & 0xff) << 16) | (8u << 8); /* CLFLUSH 64 bytes */
        out[2] = emu_f1_ecx;
        out[3] = emu_f1_edx | (ncpus > 1 ? F1D_HTT : 0);
        break;
    case 7:
        /* TSC_ADJUST (with the invariant TSC it tells Linux the TSC needs no
         * watchdog: a slow software CPU loses timer ticks, not TSC time);
         * ERMS: REP MOVSB/STOSB are fast here. */
        if (sub == 0)
            out[1] = (1u << 1) | (1u << 9);
        break;
    case 0xb:
        /* x2APIC topology: one thread per core, all cores in one package */
        if (sub == 0) {
            out[0] = 0;
            out[1] = 1;
            out[2] = (1u << 8) | sub;
        } else if (sub == 1) {
            out[0] = bits_for(ncpus);
            out[1] = ncpus;
            out[2] = (2u << 8) | sub;
        } else {
            out[2] = sub;
        }
        out[3] = v->index;
        break;
    case 0x15:
        /* TSC = crystal * EBX / EAX with a crystal at the TSC frequency */
        out[0] = 1;
        out[1] = 1;
        out[2] = (uint32_t)tsc_hz;
        break;
    case 0x16:
        out[0] = (uint32_t)(tsc_hz / 1000000);
        out[1] = out[0];
        out[2] = 100;
        break;
    case 0x40000000:
        out[0] = 0x40000000;
        put_str(out, "VmonVmonVmon");
        break;
    case 0x80000000:
        out[0] = EMU_MAX_EXT;
        break;
    case 0x80000001:
        out[2] = (1u << 0) | (1u << 5) | (1u << 8); /* LAHF in 64-bit, LZCNT, PREFETCHW */
        out[3] = (1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29);
        /* SYSCALL, NX, 1 GiB pages, RDTSCP, long mode */
        break;
    case 0x80000002: case 0x80000003: case 0x80000004:
        emu_cpuid_brand(leaf, out);
        break;
    case 0x80000007:
        out[3] = 1u << 8; /* invariant TSC */
        break;
    case 0x80000008:
        out[0] = (48u << 8) | EMU_MAXPHYADDR; /* linear and physical address widths */
        break;
    default:
        break;
    }
}
