/* CPUID for kvm vCPUs: what KVM supports (KVM_GET_SUPPORTED_CPUID), with the
 * per-vCPU APIC ids, the topology leaves and the hypervisor leaves filled in;
 * on a host whose KVM emulates guest kernel code, without the vector
 * extensions vmon's fallback does not emulate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm_para.h>

#include "cpu/kvm/kvm.h"

int kvm_cpuid_init(struct cpu_vm *vm)
{
    for (unsigned n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
        if (!c)
            return -ENOMEM;
        c->nent = n;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            vm->cpuid = c;
            return 0;
        }
        int e = errno;
        free(c);
        if (e != E2BIG)
            return -e;
    }
    return -E2BIG;
}

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n)
        b++;
    return b;
}

static void cpuid_fixup(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned ncpus)
{
    switch (e->function) {
    case 1:
        e->ebx = (e->ebx & 0x0000ffffu) | (apic_id << 24) | ((ncpus & 0xffu) << 16);
        e->ecx |= 1u << 31; /* hypervisor present */
        if (ncpus > 1)
            e->edx |= 1u << 28; /* HTT: the logical-count field is valid */
        break;
    case 4: /* deterministic cache parameters: cores per package in EAX[31:26] */
        e->eax = (e->eax & 0x03ffffffu) | ((ncpus - 1) << 26);
        e->eax &= ~(0xfffu << 14); /* each cache is per core */
        break;
    case 0xb:
    case 0x1f:
        /* x2APIC topology: one thread per core, ncpus cores per package */
        if (e->index == 0) {
            e->eax = 0;
            e->ebx = 1;
            e->ecx = (1u << 8) | 0;
        } else if (e->index == 1) {
            e->eax = bits_for(ncpus);
            e->ebx = ncpus;
            e->ecx = (2u << 8) | 1;
        } else {
            e->eax = e->ebx = 0;
            e->ecx = e->index;
        }
        e->edx = apic_id;
        break;
    case 0x80000008: /* AMD: number of cores - 1 */
        e->ecx = (e->ecx & ~0xffu) | ((ncpus - 1) & 0xffu);
        break;
    default:
        break;
    }
}

/* Leaf 1 ECX: FMA, AVX, F16C. */
#define L1C_VECTOR ((1u << 12) | (1u << 28) | (1u << 29))
/* Leaf 7.0 EBX: AVX2 and the AVX-512 family (F, DQ, IFMA, PF, ER, CD, BW, VL). */
#define L7B_VECTOR ((1u << 5) | (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | \
                    (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31))
/* Leaf 7.0 ECX: AVX512_VBMI, VBMI2, GFNI, VAES, VPCLMULQDQ, VNNI, BITALG, VPOPCNTDQ. */
#define L7C_VECTOR ((1u << 1) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 11) | \
                    (1u << 12) | (1u << 14))
/* Leaf 7.0 EDX: AVX512_4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, AVX512_FP16, AMX-TILE, AMX-INT8. */
#define L7D_VECTOR ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | \
                    (1u << 25))
/* Leaf 7.1 EAX: AVX-VNNI, AVX512_BF16. */
#define L71A_VECTOR ((1u << 4) | (1u << 5))
#define XSTATE_X87_SSE 3u
#define XSAVE_LEGACY_AND_HEADER 576u

/* Drops what the user-space fallback cannot emulate: a guest kernel that
 * picked AVX-512 code (Linux's crypto and RAID routines do) would meet an
 * instruction neither the host's emulator nor vmon can run. XSAVE stays,
 * for the x87 and SSE states only. */
static void cpuid_limit_to_fallback(struct kvm_cpuid_entry2 *e)
{
    switch (e->function) {
    case 1:
        e->ecx &= ~L1C_VECTOR;
        break;
    case 7:
        if (e->index == 0) {
            e->ebx &= ~L7B_VECTOR;
            e->ecx &= ~L7C_VECTOR;
            e->edx &= ~L7D_VECTOR;
        } else if (e->index == 1) {
            e->eax &= ~L71A_VECTOR;
        }
        break;
    case 0xd:
        if (e->index == 0) {
            e->eax &= XSTATE_X87_SSE;
            e->edx = 0;
            e->ebx = e->ecx = XSAVE_LEGACY_AND_HEADER;
        } else if (e->index == 1) {
            e->ebx = XSAVE_LEGACY_AND_HEADER; /* XCR0 | XSS: no supervisor states */
            e->ecx = e->edx = 0;
        } else {
            e->eax = e->ebx = e->ecx = e->edx = 0;
        }
        break;
    case 0x40000001:
        /* Paravirtual spinlocks halt a waiter until another vCPU's
         * KVM_HC_KICK_CPU; that hypercall, left to this host's KVM while
         * vmon runs the kicked vCPU's kernel code, stalled Debian's SMP
         * boot (docs/KVM.md). Waiters spin instead. */
        e->eax &= ~(1u << KVM_FEATURE_PV_UNHALT);
        break;
    default:
        break;
    }
}

int kvm_cpuid_set(struct cpu_vcpu *v)
{
    const struct kvm_cpuid2 *src = v->vm->cpuid;
    size_t size = sizeof(*src) + src->nent * sizeof(src->entries[0]);
    struct kvm_cpuid2 *c = malloc(size);
    if (!c)
        return -ENOMEM;
    memcpy(c, src, size);
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        cpuid_fixup(e, v->index, v->vm->env.ncpus);
        if (v->vm->env.kvm_emulates_kernel)
            cpuid_limit_to_fallback(e);
        if (e->function == 0x40000000) {
            /* KVM's own signature leaf: keep it so guests find kvmclock. */
            e->eax = 0x40000001;
            memcpy(&e->ebx, "KVMK", 4);
            memcpy(&e->ecx, "VMKV", 4);
            memcpy(&e->edx, "M\0\0\0", 4);
        }
    }
    int rc = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
    free(c);
    return rc;
}
