/* acpi_build, read back the way an OS does: RSDP -> XSDT -> tables, with
 * every signature, length and checksum verified; then the contents of the
 * FADT, MADT, MCFG and DSDT; then (when installed) iasl's disassembler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "acpi/acpi_table.h"
#include "acpi/fadt.h"
#include "acpi/madt.h"
#include "acpi/mcfg.h"
#include "machine/layout.h"

struct tables {
    const uint8_t *rsdp, *xsdt, *fadt, *madt, *mcfg, *dsdt, *facs;
    uint64_t rsdp_addr;
};

static uint8_t sum8(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + b[i]);
    return s;
}

/* The table at gpa: in RAM, signature sig, consistent length, checksum 0. */
static const uint8_t *table_at(const struct guest_mem *m, uint64_t gpa, const char *sig)
{
    const struct acpi_header *h = gmem_ptr(m, gpa, sizeof(*h));
    assert_non_null(h);
    assert_memory_equal(h->signature, sig, 4);
    assert_true(h->length >= sizeof(*h));
    const uint8_t *t = gmem_ptr(m, gpa, h->length);
    assert_non_null(t);
    assert_int_equal(sum8(t, h->length), 0);
    assert_memory_equal(h->oem_id, "VMON  ", 6);
    return t;
}

static uint32_t hdr_len(const uint8_t *t)
{
    return ((const struct acpi_header *)t)->length;
}

static void walk(const struct guest_mem *m, uint64_t rsdp_addr, struct tables *t)
{
    memset(t, 0, sizeof(*t));
    t->rsdp_addr = rsdp_addr;
    /* Legacy scan range, 16-byte aligned. */
    assert_true(rsdp_addr >= 0xe0000 && rsdp_addr + 36 <= 0x100000);
    assert_int_equal(rsdp_addr % 16, 0);
    t->rsdp = gmem_ptr(m, rsdp_addr, 36);
    assert_memory_equal(t->rsdp, "RSD PTR ", 8);
    assert_int_equal(sum8(t->rsdp, 20), 0);
    assert_int_equal(sum8(t->rsdp, 36), 0);
    assert_int_equal(t->rsdp[15], 2);               /* revision */
    assert_int_equal(get_le32(t->rsdp + 20), 36);   /* length */

    t->xsdt = table_at(m, get_le64(t->rsdp + 24), "XSDT");
    size_t n = (hdr_len(t->xsdt) - 36) / 8;
    assert_int_equal((hdr_len(t->xsdt) - 36) % 8, 0);
    for (size_t i = 0; i < n; i++) {
        uint64_t a = get_le64(t->xsdt + 36 + 8 * i);
        const struct acpi_header *h = gmem_ptr(m, a, sizeof(*h));
        assert_non_null(h);
        if (!memcmp(h->signature, "FACP", 4))
            t->fadt = table_at(m, a, "FACP");
        else if (!memcmp(h->signature, "APIC", 4))
            t->madt = table_at(m, a, "APIC");
        else if (!memcmp(h->signature, "MCFG", 4))
            t->mcfg = table_at(m, a, "MCFG");
        else
            fail_msg("unexpected table %.4s in the XSDT", h->signature);
    }
    assert_non_null(t->fadt);
    assert_non_null(t->madt);
    assert_non_null(t->mcfg);

    struct acpi_fadt f;
    memcpy(&f, t->fadt, sizeof(f));
    assert_int_equal(f.h.length, sizeof(f));
    t->dsdt = table_at(m, f.x_dsdt, "DSDT");
    assert_int_equal(f.dsdt, f.x_dsdt);
    assert_int_equal(f.x_firmware_ctrl % 64, 0);
    t->facs = gmem_ptr(m, f.x_firmware_ctrl, 64);
    assert_memory_equal(t->facs, "FACS", 4);
    assert_int_equal(get_le32(t->facs + 4), 64);
}

struct fx {
    struct guest_mem m;
    struct acpi_config c;
    struct acpi_prt_entry prt[8];
    struct acpi_virtio_mmio virtio[2];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (gmem_init(&f->m, MiB(64), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END))
        return -1;
    acpi_config_defaults(&f->c, 2);
    for (unsigned i = 0; i < 8; i++)  /* slots 1-2, pins A-D, swizzled */
        f->prt[i] = (struct acpi_prt_entry){
            .slot = (uint8_t)(1 + i / 4), .pin = (uint8_t)(i % 4),
            .gsi = 16 + (i / 4 + i % 4) % 4 };
    f->c.prt = f->prt;
    f->c.nprt = 8;
    f->virtio[0] = (struct acpi_virtio_mmio){ .base = LAYOUT_VIRTIO_MMIO, .size = 0x1000, .gsi = 5 };
    f->virtio[1] = (struct acpi_virtio_mmio){
        .base = LAYOUT_VIRTIO_MMIO + 0x1000, .size = 0x1000, .gsi = 6 };
    f->c.virtio = f->virtio;
    f->c.nvirtio = 2;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    gmem_destroy(&f->m);
    free(f);
    return 0;
}

static void build(struct fx *f, struct tables *t)
{
    uint64_t rsdp = 0;
    assert_int_equal(acpi_build(&f->m, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &f->c, &rsdp), 0);
    walk(&f->m, rsdp, t);
}

/* Counts MADT entries of a type; checks every entry's length is sane. */
static unsigned madt_count(const uint8_t *madt, uint8_t type)
{
    unsigned n = 0;
    uint32_t len = hdr_len(madt);
    for (uint32_t o = sizeof(struct acpi_madt); o < len; o += madt[o + 1]) {
        assert_true(madt[o + 1] >= 2 && o + madt[o + 1] <= len);
        if (madt[o] == type)
            n++;
    }
    return n;
}

static void test_madt_cpu_counts(void **state)
{
    struct fx *f = *state;
    static const unsigned counts[] = { 1, 2, 64, ACPI_MAX_CPUS };
    for (unsigned k = 0; k < ARRAY_SIZE(counts); k++) {
        f->c.ncpus = counts[k];
        struct tables t;
        build(f, &t);
        struct acpi_madt hdr;
        memcpy(&hdr, t.madt, sizeof(hdr));
        assert_int_equal(hdr.lapic_addr, 0xfee00000);
        assert_int_equal(hdr.flags & MADT_PCAT_COMPAT, MADT_PCAT_COMPAT);
        assert_int_equal(madt_count(t.madt, MADT_LOCAL_APIC), counts[k]);
        assert_int_equal(madt_count(t.madt, MADT_IO_APIC), 1);
        assert_int_equal(madt_count(t.madt, MADT_INT_SRC_OVERRIDE), 2);
        assert_int_equal(madt_count(t.madt, MADT_LOCAL_APIC_NMI), 1);

        unsigned cpu = 0;
        uint32_t len = hdr_len(t.madt);
        for (uint32_t o = sizeof(hdr); o < len; o += t.madt[o + 1]) {
            const uint8_t *e = t.madt + o;
            if (e[0] == MADT_LOCAL_APIC) {
                struct madt_local_apic l;
                memcpy(&l, e, sizeof(l));
                assert_int_equal(l.uid, cpu);
                assert_int_equal(l.apic_id, cpu);
                assert_int_equal(l.flags & MADT_LAPIC_ENABLED, MADT_LAPIC_ENABLED);
                cpu++;
            } else if (e[0] == MADT_IO_APIC) {
                struct madt_io_apic io;
                memcpy(&io, e, sizeof(io));
                assert_int_equal(io.id, counts[k]);
                assert_int_equal(io.addr, 0xfec00000);
                assert_int_equal(io.gsi_base, 0);
            } else if (e[0] == MADT_INT_SRC_OVERRIDE) {
                struct madt_int_override o2;
                memcpy(&o2, e, sizeof(o2));
                assert_int_equal(o2.bus, 0);
                if (o2.source == 0) {
                    assert_int_equal(o2.gsi, 2);
                    assert_int_equal(o2.flags, MADT_TRIGGER_EDGE | MADT_POLARITY_HIGH);
                } else {
                    assert_int_equal(o2.source, 9);
                    assert_int_equal(o2.gsi, 9);
                    assert_int_equal(o2.flags, MADT_TRIGGER_LEVEL | MADT_POLARITY_HIGH);
                }
            } else if (e[0] == MADT_LOCAL_APIC_NMI) {
                struct madt_lapic_nmi nmi;
                memcpy(&nmi, e, sizeof(nmi));
                assert_int_equal(nmi.uid, 0xff);
                assert_int_equal(nmi.lint, 1);
            }
        }
    }
}

static void test_fadt(void **state)
{
    struct fx *f = *state;
    struct tables t;
    build(f, &t);
    struct acpi_fadt a;
    memcpy(&a, t.fadt, sizeof(a));
    assert_int_equal(a.h.revision, 6);
    assert_int_equal(a.sci_int, 9);
    assert_int_equal(a.smi_cmd, 0);
    assert_int_equal(a.pm1a_evt_blk, PORT_ACPI_PM);
    assert_int_equal(a.pm1a_cnt_blk, PORT_ACPI_PM + 4);
    assert_int_equal(a.pm_tmr_blk, PORT_ACPI_PM + 8);
    assert_int_equal(a.gpe0_blk, PORT_ACPI_PM + 0xc);
    assert_int_equal(a.pm1_evt_len, 4);
    assert_int_equal(a.pm1_cnt_len, 2);
    assert_int_equal(a.pm_tmr_len, 4);
    assert_int_equal(a.gpe0_blk_len, 4);
    assert_int_equal(a.x_pm1a_cnt_blk.space_id, ACPI_GAS_IO);
    assert_int_equal(a.x_pm1a_cnt_blk.address, PORT_ACPI_PM + 4);
    assert_int_equal(a.x_pm1a_cnt_blk.bit_width, 16);
    assert_int_equal(a.x_pm_tmr_blk.address, PORT_ACPI_PM + 8);
    assert_int_equal(a.x_pm_tmr_blk.bit_width, 32);
    assert_int_equal(a.x_pm1a_evt_blk.bit_width, 32);
    assert_int_equal(a.x_gpe0_blk.address, PORT_ACPI_PM + 0xc);
    assert_int_equal(a.flags & FADT_F_HW_REDUCED, 0);
    assert_int_equal(a.flags & FADT_F_TMR_VAL_EXT, 0); /* 24-bit timer */
    assert_int_equal(a.flags & FADT_F_RESET_REG_SUP, FADT_F_RESET_REG_SUP);
    assert_int_equal(a.reset_reg.space_id, ACPI_GAS_IO);
    assert_int_equal(a.reset_reg.address, 0xcf9);
    assert_int_equal(a.reset_reg.bit_width, 8);
    assert_int_equal(a.reset_value, 0x06);
    assert_true(a.iapc_boot_arch & FADT_IAPC_8042);
    assert_true(a.iapc_boot_arch & FADT_IAPC_NO_VGA);
    assert_false(a.iapc_boot_arch & FADT_IAPC_NO_CMOS_RTC);

    f->c.has_i8042 = false;
    f->c.has_rtc = false;
    build(f, &t);
    memcpy(&a, t.fadt, sizeof(a));
    assert_false(a.iapc_boot_arch & FADT_IAPC_8042);
    assert_true(a.iapc_boot_arch & FADT_IAPC_NO_CMOS_RTC);
}

static void test_mcfg(void **state)
{
    struct fx *f = *state;
    struct tables t;
    build(f, &t);
    struct acpi_mcfg mc;
    assert_int_equal(hdr_len(t.mcfg), sizeof(mc));
    memcpy(&mc, t.mcfg, sizeof(mc));
    assert_int_equal(mc.alloc[0].base, LAYOUT_PCI_ECAM);
    assert_int_equal(mc.alloc[0].segment, 0);
    assert_int_equal(mc.alloc[0].bus_start, 0);
    assert_int_equal(mc.alloc[0].bus_end, 255);
}

static const uint8_t *find(const uint8_t *hay, size_t n, const void *needle, size_t k,
                           unsigned *count)
{
    const uint8_t *first = NULL;
    *count = 0;
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k)) {
            if (!first)
                first = hay + i;
            (*count)++;
        }
    return first;
}

static void test_dsdt_contents(void **state)
{
    struct fx *f = *state;
    struct tables t;
    build(f, &t);
    size_t n = hdr_len(t.dsdt);
    assert_int_equal(t.dsdt[8], 2); /* revision 2: 64-bit integers */
    unsigned c;

    /* Name(_S5_, Package(4) { 5, 5, 0, 0 }) */
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                  0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
    assert_non_null(find(t.dsdt, n, s5, sizeof(s5), &c));
    assert_int_equal(c, 1);

    /* Scope(\_SB) and Device(PCI0) with _HID PNP0A08 and _CID PNP0A03. */
    assert_non_null(find(t.dsdt, n, "\x5c_SB_", 5, &c));
    static const uint8_t hid[] = { '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
    static const uint8_t cid[] = { '_', 'C', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
    assert_non_null(find(t.dsdt, n, hid, sizeof(hid), &c));
    assert_non_null(find(t.dsdt, n, cid, sizeof(cid), &c));

    /* _PRT has nprt rows; the first is { 0x1ffff, 0, 0, 16 }. */
    const uint8_t *prt = find(t.dsdt, n, "_PRT", 4, &c);
    assert_non_null(prt);
    assert_int_equal(prt[4], 0x12);
    size_t pl = (prt[5] >> 6) + 1; /* PkgLength bytes */
    assert_int_equal(prt[5 + pl], 8);
    static const uint8_t row0[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x01, 0x00,
                                    0x00, 0x00, 0x0a, 0x10 };
    assert_ptr_equal(find(t.dsdt, n, row0, sizeof(row0), &c), prt + 5 + pl + 1);

    /* COM1 (PNP0501 with IO 0x3f8/8 and IRQ 4), keyboard, RTC. */
    static const uint8_t com1[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
    static const uint8_t com1_io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
                                       0x22, 0x10, 0x00 };
    assert_non_null(find(t.dsdt, n, com1, sizeof(com1), &c));
    assert_non_null(find(t.dsdt, n, com1_io, sizeof(com1_io), &c));
    assert_non_null(find(t.dsdt, n, "PS2K", 4, &c));
    assert_non_null(find(t.dsdt, n, "RTC_", 4, &c));

    /* One LNRO0005 device per virtio-mmio window, each with its window. */
    assert_non_null(find(t.dsdt, n, "LNRO0005", 8, &c));
    assert_int_equal(c, 2);
    static const uint8_t win1[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xd0,
                                    0x00, 0x10, 0x00, 0x00, 0x89, 0x06, 0x00, 0x03,
                                    0x01, 0x06, 0x00, 0x00, 0x00 };
    assert_non_null(find(t.dsdt, n, win1, sizeof(win1), &c));

    /* Without the optional devices they are gone. */
    f->c.has_com1 = f->c.has_i8042 = f->c.has_rtc = false;
    f->c.nvirtio = 0;
    build(f, &t);
    n = hdr_len(t.dsdt);
    assert_null(find(t.dsdt, n, com1, sizeof(com1), &c));
    assert_null(find(t.dsdt, n, "PS2K", 4, &c));
    assert_null(find(t.dsdt, n, "LNRO0005", 8, &c));
}

static void test_errors(void **state)
{
    struct fx *f = *state;
    uint64_t rsdp = 0;
    char err[128];
    f->c.ncpus = 0;
    assert_int_equal(acpi_config_check(&f->c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "vCPU count"));
    assert_int_equal(acpi_build(&f->m, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &f->c, &rsdp), -EINVAL);
    f->c.ncpus = ACPI_MAX_CPUS + 1;
    assert_int_equal(acpi_build(&f->m, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &f->c, &rsdp), -EINVAL);
    f->c.ncpus = 1;
    f->prt[3].slot = 32;
    assert_int_equal(acpi_config_check(&f->c, err, sizeof(err)), -EINVAL);
    f->prt[3].slot = 1;
    f->virtio[1].base = 0xfffff800;
    assert_int_equal(acpi_config_check(&f->c, err, sizeof(err)), -EINVAL);
    f->virtio[1].base = LAYOUT_VIRTIO_MMIO + 0x1000;
    f->c.sci_irq = 16;
    assert_int_equal(acpi_config_check(&f->c, err, sizeof(err)), -EINVAL);
    f->c.sci_irq = 9;
    assert_int_equal(acpi_config_check(&f->c, err, sizeof(err)), 0);

    /* Area: misaligned, not RAM, too small. */
    assert_int_equal(acpi_build(&f->m, LAYOUT_ACPI + 8, 0x1000, &f->c, &rsdp), -EINVAL);
    assert_int_equal(acpi_build(&f->m, MiB(64) - 0x1000, 0x2000, &f->c, &rsdp), -EFAULT);
    assert_int_equal(acpi_build(&f->m, LAYOUT_ACPI, 0x200, &f->c, &rsdp), -ENOSPC);
    assert_int_equal(rsdp, 0);
}

/* Runs cmd through the shell, returns its exit status. */
static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void dump(const char *dir, const char *name, const uint8_t *t)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(t, 1, hdr_len(t), fp), hdr_len(t));
    fclose(fp);
}

/* iasl -d must disassemble each table without complaint, and the
 * disassembled DSDT must compile back without errors. */
static void test_iasl(void **state)
{
    struct fx *f = *state;
    if (run("command -v iasl >/dev/null 2>&1") != 0) {
        printf("iasl not installed (package acpica-tools): skipping\n");
        skip();
    }
    f->c.ncpus = 4;
    struct tables t;
    build(f, &t);
    char dir[] = "/tmp/vmon-acpi-XXXXXX";
    assert_non_null(mkdtemp(dir));
    dump(dir, "dsdt", t.dsdt);
    dump(dir, "facp", t.fadt);
    dump(dir, "apic", t.madt);
    dump(dir, "mcfg", t.mcfg);
    char cmd[1024];
    static const char *names[] = { "dsdt", "facp", "apic", "mcfg" };
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat >%s.log 2>&1 && "
                 "! grep -Eiq 'error|warning|invalid|incorrect' %s.dsl %s.log",
                 dir, names[i], names[i], names[i], names[i]);
        if (run(cmd) != 0) {
            snprintf(cmd, sizeof(cmd), "cat %s/%s.log; grep -Ei 'error|warning|invalid|incorrect' %s/%s.dsl",
                     dir, names[i], dir, names[i]);
            (void)run(cmd);
            fail_msg("iasl -d %s.dat reported a problem (files in %s)", names[i], dir);
        }
    }
    snprintf(cmd, sizeof(cmd), "cd %s && iasl -p recompiled dsdt.dsl >recompile.log 2>&1", dir);
    if (run(cmd) != 0) {
        snprintf(cmd, sizeof(cmd), "cat %s/recompile.log", dir);
        (void)run(cmd);
        fail_msg("the disassembled DSDT does not compile (files in %s)", dir);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(run(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_madt_cpu_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mcfg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dsdt_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iasl, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
