#include "cpu/kvm/kvm_probe.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpu/kvm/kvm.h"

/* Probe guest layout: one 2 MiB page mapped twice, identity (user-accessible)
 * and at the top of the address space (supervisor only) where 64-bit kernels
 * live. The kernel drops to user mode with IRETQ; user code spins a little
 * (so it runs natively) and makes a SYSCALL whose LSTAR handler is in the
 * high half, as on every 64-bit OS. Some software-backed KVMs run the first
 * parts but never deliver that SYSCALL. */
#define P_MEM       0x200000ull
#define P_GDT       0x0500ull
#define P_PML4      0x1000ull
#define P_PDPT      0x2000ull
#define P_PD        0x3000ull
#define P_PDPT_HI   0x7000ull
#define P_PD_HI     0x9000ull
#define P_KERNEL    0x4000ull
#define P_HANDLER   0x5000ull
#define P_HIGH      0xffffffff80000000ull
#define P_USER      0x6000ull
#define P_STACK     0x8000ull
#define P_KSTACK    0xc000ull
#define P_PORT      0xf0
#define P_MAGIC     0x42

struct probe {
    int vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
};

static void probe_write_guest(uint8_t *mem)
{
    uint64_t *pml4 = (uint64_t *)(mem + P_PML4), *pdpt = (uint64_t *)(mem + P_PDPT);
    uint64_t *pd = (uint64_t *)(mem + P_PD);
    pml4[0] = P_PDPT | 7;   /* present, writable, user */
    pdpt[0] = P_PD | 7;
    pd[0] = 0 | 0x87;       /* 2 MiB page, user */
    pml4[511] = P_PDPT_HI | 3;
    ((uint64_t *)(mem + P_PDPT_HI))[510] = P_PD_HI | 3;
    ((uint64_t *)(mem + P_PD_HI))[0] = 0 | 0x83; /* 2 MiB page, supervisor */
    uint64_t *gdt = (uint64_t *)(mem + P_GDT);
    gdt[1] = 0x00209a0000000000ull; /* 0x08: kernel code, 64-bit */
    gdt[2] = 0x0000920000000000ull; /* 0x10: kernel data */
    gdt[3] = 0x0000f20000000000ull; /* 0x18: user data (SYSRET base + 8) */
    gdt[4] = 0x0020fa0000000000ull; /* 0x20: user code, 64-bit */
    /* LSTAR handler: mov al, MAGIC; out P_PORT, al; hlt */
    const uint8_t handler[] = { 0xb0, P_MAGIC, 0xe6, P_PORT, 0xf4 };
    memcpy(mem + P_HANDLER, handler, sizeof(handler));
    /* kernel: push ss, rsp, rflags, cs, rip of user mode; iretq */
    const uint8_t kernel[] = { 0x6a, 0x1b, 0x68, P_STACK & 0xff, (P_STACK >> 8) & 0xff, 0, 0,
                               0x6a, 0x02, 0x6a, 0x23, 0x68, P_USER & 0xff, (P_USER >> 8) & 0xff,
                               0, 0, 0x48, 0xcf };
    memcpy(mem + P_KERNEL, kernel, sizeof(kernel));
    /* user: mov ecx, 100000; 1: dec ecx; jnz 1b; syscall; jmp $ */
    const uint8_t user[] = { 0xb9, 0xa0, 0x86, 0x01, 0x00, 0xff, 0xc9, 0x75, 0xfc,
                             0x0f, 0x05, 0xeb, 0xfe };
    memcpy(mem + P_USER, user, sizeof(user));
}

static void probe_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code, uint8_t dpl)
{
    memset(s, 0, sizeof(*s));
    s->selector = sel;
    s->limit = 0xffffffff;
    s->type = type;
    s->present = 1;
    s->dpl = dpl;
    s->s = 1;
    s->l = code;
    s->db = !code;
    s->g = 1;
}

static int probe_setup_vcpu(struct probe *p)
{
    struct kvm_sregs sr;
    if (ioctl(p->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    probe_seg(&sr.cs, 0x08, 0xb, true, 0);
    probe_seg(&sr.ss, 0x10, 0x3, false, 0);
    sr.ds = sr.es = sr.fs = sr.gs = sr.ss;
    sr.tr.type = 0xb; /* busy 64-bit TSS; unused by this probe */
    sr.tr.present = 1;
    sr.tr.limit = 0x67;
    sr.gdt.base = P_GDT;
    sr.gdt.limit = 5 * 8 - 1;
    sr.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP;
    sr.cr3 = P_PML4;
    sr.cr4 = X86_CR4_PAE;
    sr.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE;
    if (ioctl(p->vcpu_fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;
    struct kvm_regs regs = { .rip = P_KERNEL, .rsp = P_KSTACK, .rflags = 2 };
    if (ioctl(p->vcpu_fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    struct kvm_msr_entry msrs[3] = {
        { .index = MSR_LSTAR, .data = P_HIGH + P_HANDLER },
        { .index = MSR_STAR, .data = (0x10ull << 48) | (0x08ull << 32) },
        { .index = MSR_SYSCALL_MASK, .data = X86_FLAG_IF | X86_FLAG_TF },
    };
    if (kvm_msrs_access(p->vcpu_fd, true, msrs, 3) != 3)
        return -EIO;
    return 0;
}

static void probe_alarm(int sig) { (void)sig; }

/* Runs the probe vCPU for at most ~1 s. true if the handler reported in. */
static bool probe_run(struct probe *p)
{
    struct sigaction sa = { .sa_handler = probe_alarm }, old;
    sigaction(SIGALRM, &sa, &old);
    timer_t t;
    struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM };
    sev._sigev_un._tid = (pid_t)gettid();
    bool have_timer = timer_create(CLOCK_MONOTONIC, &sev, &t) == 0;
    if (have_timer) {
        struct itimerspec its = { .it_value = { .tv_sec = 1 }, .it_interval = { 0, 100000000 } };
        timer_settime(t, 0, &its, NULL);
    }
    bool ok = false;
    for (int exits = 0; exits < 1000; exits++) {
        if (ioctl(p->vcpu_fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                break; /* timed out */
            break;
        }
        if (p->run->exit_reason == KVM_EXIT_IO && p->run->io.port == P_PORT &&
            p->run->io.direction == KVM_EXIT_IO_OUT) {
            ok = *((uint8_t *)p->run + p->run->io.data_offset) == P_MAGIC;
            break;
        }
        if (p->run->exit_reason != KVM_EXIT_INTR)
            break;
    }
    if (have_timer)
        timer_delete(t);
    sigaction(SIGALRM, &old, NULL);
    return ok;
}

enum kvm_probe_result kvm_probe(char *why, size_t whylen)
{
    int kvm_fd = kvm_open_checked(why, whylen);
    if (kvm_fd < 0)
        return KVM_PROBE_UNAVAILABLE;
    enum kvm_probe_result res = KVM_PROBE_UNAVAILABLE;
    struct probe p = { .vm_fd = -1, .vcpu_fd = -1, .run = MAP_FAILED, .mem = MAP_FAILED };
    p.mem = mmap(NULL, P_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p.vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    int sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (p.mem == MAP_FAILED || p.vm_fd < 0 || sz <= 0) {
        snprintf(why, whylen, "/dev/kvm: cannot create a VM: %s", strerror(errno));
        goto out;
    }
    probe_write_guest(p.mem);
    struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = P_MEM,
                                             .userspace_addr = (uint64_t)(uintptr_t)p.mem };
    p.run_size = (size_t)sz;
    if (ioctl(p.vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ||
        (p.vcpu_fd = ioctl(p.vm_fd, KVM_CREATE_VCPU, 0)) < 0 ||
        (p.run = mmap(NULL, p.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, p.vcpu_fd, 0)) == MAP_FAILED ||
        probe_setup_vcpu(&p) < 0) {
        snprintf(why, whylen, "/dev/kvm: cannot set up a vCPU: %s", strerror(errno));
        goto out;
    }
    if (probe_run(&p)) {
        res = KVM_PROBE_OK;
        snprintf(why, whylen, "KVM runs guest user space and system calls");
    } else {
        res = KVM_PROBE_INCOMPLETE;
        snprintf(why, whylen, "this host's KVM cannot deliver a guest's user-mode SYSCALL to its kernel (nested or software-backed KVM)");
    }
out:
    if (p.run != MAP_FAILED)
        munmap(p.run, p.run_size);
    if (p.vcpu_fd >= 0)
        close(p.vcpu_fd);
    if (p.vm_fd >= 0)
        close(p.vm_fd);
    if (p.mem != MAP_FAILED)
        munmap(p.mem, P_MEM);
    close(kvm_fd);
    return res;
}
