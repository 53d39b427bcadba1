/* vmon's emulator on a KVM vCPU's state (src/cpu/kvm/kvm_guest_emu.c), the
 * parts that need no /dev/kvm: in a run of kernel code (stint) the cache of
 * decoded instructions must follow code changed behind its back, and
 * accesses to what only KVM has (its in-kernel devices) must be handed back
 * with nothing changed. A 64-bit guest, identity-mapped 4 KiB pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/bus.h"
#include "core/guest_mem.h"
#include "cpu/kvm/kvm.h"
#include "cpu/kvm/kvm_guest_emu.h"
#include "x86/insn.h"

#include "long_mode.h"

#define RAM (2u << 20)
#define PML4 0x10000u
#define PDPT 0x11000u
#define PD 0x12000u
#define PT 0x13000u
#define CODE 0x1000u
#define MMIO_DEV 0xd0000000u
#define PORT_DEV 0x500u

struct fixture {
    uint8_t *ram;
    struct guest_mem mem;
    struct bus pio, mmio;
    atomic_int stop;
    struct cpu_vm vm;
    struct cpu_vcpu v;
    struct kvm_decode_cache *dc;
    struct kvm_guest_emu e;
    uint64_t dev_value;
};

static uint64_t dev_read(void *dev, uint64_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    return ((struct fixture *)dev)->dev_value;
}

static const struct bus_dev_ops dev_ops = { .read = dev_read };

static void put64(struct fixture *f, uint64_t pa, uint64_t v) { memcpy(f->ram + pa, &v, 8); }

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->ram = aligned_alloc(4096, RAM);
    memset(f->ram, 0, RAM);
    gmem_init_flat(&f->mem, f->ram, RAM);
    bus_init(&f->pio, "pio");
    bus_init(&f->mmio, "mmio");
    assert_int_equal(bus_register(&f->mmio, MMIO_DEV, 8, &dev_ops, f, "dev"), BUS_OK);
    assert_int_equal(bus_register(&f->pio, PORT_DEV, 4, &dev_ops, f, "dev"), BUS_OK);
    put64(f, PML4, PDPT | 3);
    put64(f, PDPT, PD | 3);
    put64(f, PDPT + 8 * 3, 0xc0000000ull | 0x83); /* 1 GiB page: 3-4 GiB, devices */
    put64(f, PD, PT | 3);
    for (uint64_t i = 0; i < 512; i++)
        put64(f, PT + 8 * i, i << 12 | 3);
    f->vm.env = (struct cpu_vm_env){ .mem = &f->mem, .pio = &f->pio, .mmio = &f->mmio,
                                     .ncpus = 1, .stop = &f->stop };
    f->v.vm = &f->vm;
    f->v.fd = -1;
    f->dc = calloc(1, sizeof(*f->dc));
    struct x86_state s;
    memset(&s, 0, sizeof(s));
    long_mode_flat(&s, PML4);
    s.rip = CODE;
    kvm_guest_emu_init(&f->e, &f->v, &s, true);
    f->e.dc = f->dc;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bus_destroy(&f->pio);
    bus_destroy(&f->mmio);
    free(f->dc);
    free(f->ram);
    free(f);
    return 0;
}

static void code(struct fixture *f, const uint8_t *bytes, size_t n) { memcpy(f->ram + CODE, bytes, n); }

/* Decodes at CODE, executes, and comes back to CODE. */
static int step(struct fixture *f, struct x86_insn *ins)
{
    f->e.x.s.rip = CODE;
    int rc = kvm_guest_emu_decode(&f->e, ins);
    if (rc == X86_EXEC_OK)
        rc = x86_exec(&f->e.x, ins);
    return rc;
}

static bool cached(struct fixture *f)
{
    for (unsigned i = 0; i < (1u << KVM_DECODE_CACHE_BITS); i++)
        if (f->dc->e[i].host == f->ram + CODE)
            return true;
    return false;
}

static void test_decode_cache_follows_changed_code(void **state)
{
    struct fixture *f = *state;
    struct x86_insn ins;
    static const uint8_t mov1[] = { 0xb8, 0x01, 0x00, 0x00, 0x00 }; /* mov eax, 1 */
    code(f, mov1, sizeof(mov1));
    assert_int_equal(step(f, &ins), X86_EXEC_OK); /* the first fetch walks and fills the TLB */
    assert_int_equal(step(f, &ins), X86_EXEC_OK); /* the second decodes from the TLB: cached */
    assert_true(cached(f));
    assert_int_equal(f->e.x.s.gpr[X86_RAX], 1);
    f->ram[CODE + 1] = 7; /* an immediate patched (by KVM, say) */
    assert_int_equal(step(f, &ins), X86_EXEC_OK);
    assert_int_equal(f->e.x.s.gpr[X86_RAX], 7);
    static const uint8_t inc[] = { 0xff, 0xc0 }; /* inc eax: a different instruction, shorter */
    code(f, inc, sizeof(inc));
    assert_int_equal(step(f, &ins), X86_EXEC_OK);
    assert_int_equal(ins.op, X86_OP_INC);
    assert_int_equal(f->e.x.s.gpr[X86_RAX], 8);
    assert_int_equal(step(f, &ins), X86_EXEC_OK);
    assert_int_equal(f->e.x.s.gpr[X86_RAX], 9);
}

static void test_kvm_devices_are_left_to_kvm(void **state)
{
    struct fixture *f = *state;
    struct x86_insn ins;
    f->dev_value = 0x5a;
    /* mov eax, [0xfee000f0] (moffs64; the LAPIC: no vmon device there) */
    static const uint8_t lapic[] = { 0xa1, 0xf0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0 };
    code(f, lapic, sizeof(lapic));
    f->e.x.s.gpr[X86_RAX] = 3;
    assert_int_equal(step(f, &ins), X86_EXEC_UNSUPPORTED);
    assert_int_equal(f->e.x.s.gpr[X86_RAX], 3);
    assert_int_equal(f->e.x.s.rip, CODE);
    /* mov eax, [0xd0000000]: vmon's own device answers */
    static const uint8_t dev[] = { 0xa1, 0x00, 0x00, 0x00, 0xd0, 0, 0, 0, 0 };
    code(f, dev, sizeof(dev));
    assert_int_equal(step(f, &ins), X86_EXEC_OK);
    assert_int_equal(f->e.x.s.gpr[X86_RAX], 0x5a);
    /* in al, 0x40 (the PIT, KVM's) and in al, dx with dx = PORT_DEV (vmon's) */
    static const uint8_t pit[] = { 0xe4, 0x40 };
    code(f, pit, sizeof(pit));
    assert_int_equal(step(f, &ins), X86_EXEC_UNSUPPORTED);
    assert_int_equal(f->e.x.s.gpr[X86_RAX], 0x5a);
    static const uint8_t port[] = { 0xec };
    code(f, port, sizeof(port));
    f->dev_value = 0x33;
    f->e.x.s.gpr[X86_RDX] = PORT_DEV;
    assert_int_equal(step(f, &ins), X86_EXEC_OK);
    assert_int_equal(f->e.x.s.gpr[X86_RAX] & 0xff, 0x33);
    /* cpuid: this kind of host answers it its own way */
    static const uint8_t cpuid[] = { 0x0f, 0xa2 };
    code(f, cpuid, sizeof(cpuid));
    assert_int_equal(step(f, &ins), X86_EXEC_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decode_cache_follows_changed_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kvm_devices_are_left_to_kvm, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
