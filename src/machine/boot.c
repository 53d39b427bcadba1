#include "machine/boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "acpi/acpi.h"
#include "acpi/acpi_loader.h"
#include "common/log.h"
#include "common/util.h"
#include "devices/pci/pci_bus.h"
#include "devices/virtio/virtio_dev.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_pci.h"
#include "loaders/boot.h"
#include "loaders/boot_cpu.h"
#include "loaders/bzimage.h"
#include "loaders/e820.h"
#include "loaders/firmware.h"
#include "loaders/multiboot.h"
#include "machine/layout.h"
#include "machine/vm.h"

#define BOOT_KERNEL_MAX (512ull << 20)
#define BOOT_INITRD_MAX (2ull << 30)

static int boot_read_one(const char *what, const char *path, size_t max, uint8_t **data,
                         size_t *len, char *err, size_t errlen)
{
    int rc = read_file(path, max, data, len);
    if (rc == -EFBIG)
        snprintf(err, errlen, "%s: '%s' is larger than %llu MiB", what, path,
                 (unsigned long long)(max >> 20));
    else if (rc == -EISDIR)
        snprintf(err, errlen, "%s: '%s' is a directory", what, path);
    else if (rc)
        snprintf(err, errlen, "%s: cannot read '%s': %s", what, path, strerror(-rc));
    else if (*len == 0) {
        snprintf(err, errlen, "%s: '%s' is empty", what, path);
        free(*data);
        *data = NULL;
        rc = -ENOEXEC;
    }
    return rc;
}

/* The BIOS image: at most FIRMWARE_ROM_SIZE bytes, with a reset vector. */
static int boot_read_firmware(const struct vm_config *cfg, struct boot_files *f, char *err,
                              size_t errlen)
{
    const char *path = cfg->firmware ? cfg->firmware : VM_DEFAULT_FIRMWARE;
    int rc = read_file(path, FIRMWARE_ROM_SIZE, &f->firmware, &f->firmware_len);
    if (rc == -EFBIG) {
        snprintf(err, errlen, "--firmware: '%s' is larger than the %llu KiB BIOS region", path,
                 (unsigned long long)(FIRMWARE_ROM_SIZE >> 10));
        return rc;
    }
    if (rc == -ENOENT && !cfg->firmware) {
        snprintf(err, errlen, "no --kernel, and the default firmware '%s' is missing "
                 "(apt-get install seabios, or give --kernel or --firmware)", path);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "--firmware: cannot read '%s': %s", path, strerror(-rc));
        return rc;
    }
    /* An empty file fails firmware_check. */
    char why[160];
    rc = firmware_check(f->firmware, f->firmware_len, why, sizeof(why));
    if (rc)
        snprintf(err, errlen, "--firmware: '%s': %s", path,
                 why + (strncmp(why, "firmware: ", 10) ? 0 : 10));
    return rc;
}

static int boot_files_read_all(const struct vm_config *cfg, struct boot_files *f, char *err,
                               size_t errlen)
{
    int rc = 0;
    if (cfg->kernel)
        rc = boot_read_one("--kernel", cfg->kernel, BOOT_KERNEL_MAX, &f->kernel,
                           &f->kernel_len, err, errlen);
    if (!rc && cfg->initrd && !cfg->kernel) {
        snprintf(err, errlen, "--initrd: needs --kernel (a firmware boot reads its initrd "
                 "from the disk)");
        rc = -EINVAL;
    }
    if (!rc && cfg->initrd)
        rc = boot_read_one("--initrd", cfg->initrd, BOOT_INITRD_MAX, &f->initrd,
                           &f->initrd_len, err, errlen);
    for (unsigned i = 0; i < cfg->nmodules && !rc; i++)
        rc = boot_read_one("--module", cfg->modules[i].path, BOOT_INITRD_MAX,
                           &f->modules[i].data, &f->modules[i].len, err, errlen);
    if (!rc && vm_config_boots_firmware(cfg))
        rc = boot_read_firmware(cfg, f, err, errlen);
    return rc;
}

int boot_files_read(const struct vm_config *cfg, struct boot_files *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    int rc = boot_files_read_all(cfg, f, err, errlen);
    if (rc)
        boot_files_free(f);
    return rc;
}

void boot_files_free(struct boot_files *f)
{
    free(f->kernel);
    free(f->initrd);
    free(f->firmware);
    for (unsigned i = 0; i < VM_MAX_MODULES; i++)
        free(f->modules[i].data);
    memset(f, 0, sizeof(*f));
}

static size_t boot_prt(struct acpi_prt_entry *prt, size_t max)
{
    size_t n = 0;
    for (unsigned slot = 0; slot < 32; slot++)
        for (unsigned pin = 0; pin < 4 && n < max; pin++)
            prt[n++] = (struct acpi_prt_entry){ (uint8_t)slot, (uint8_t)pin,
                                                pci_bus_intx_gsi(slot, pin) };
    return n;
}

/* The machine's ACPI description (the same for both kinds of boot). */
static int boot_acpi_config(struct vm *vm, struct acpi_config *ac, struct acpi_prt_entry *prt,
                            char *err, size_t errlen)
{
    devmgr_acpi_config(&vm->dev, vm->cfg->ncpus, ac);
    ac->prt = prt;
    ac->nprt = boot_prt(prt, ACPI_MAX_PRT);
    return acpi_config_check(ac, err, errlen);
}

static int boot_fw_err(char *err, size_t errlen, int rc, const char *what)
{
    snprintf(err, errlen, "internal error: cannot give the firmware its %s: %s", what,
             strerror(-rc));
    return rc;
}

/* ACPI tables as fw_cfg files plus the loader script that links them. */
static int boot_fw_acpi(struct vm *vm, struct fw_cfg *fc, char *err, size_t errlen)
{
    struct acpi_config ac;
    struct acpi_prt_entry prt[ACPI_MAX_PRT];
    int rc = boot_acpi_config(vm, &ac, prt, err, errlen);
    if (rc)
        return rc;
    struct acpi_blob blob;
    rc = acpi_build_blob(&ac, &blob);
    if (rc)
        return boot_fw_err(err, errlen, rc, "ACPI tables");
    struct acpi_loader_entry script[ACPI_LOADER_MAX_ENTRIES];
    int n = acpi_loader_script(&blob, script, ARRAY_SIZE(script));
    rc = n < 0 ? n : fw_cfg_add_file(fc, ACPI_LOADER_RSDP_FILE, blob.rsdp, sizeof(blob.rsdp), NULL);
    if (!rc)
        rc = fw_cfg_add_file(fc, ACPI_LOADER_TABLES_FILE, blob.tables, blob.tables_len, NULL);
    if (!rc)
        rc = fw_cfg_add_file(fc, ACPI_LOADER_FILE, script, (size_t)n * sizeof(script[0]), NULL);
    acpi_blob_free(&blob);
    return rc ? boot_fw_err(err, errlen, rc, "ACPI tables") : 0;
}

/* etc/e820: the RAM above 1 MiB and the reservations there (SeaBIOS keeps
 * its own map of the first MiB, which it owns). */
static int boot_fw_e820(struct vm *vm, struct fw_cfg *fc)
{
    struct e820_entry e[E820_MAX_BUILT];
    int n = e820_build(e, ARRAY_SIZE(e), &vm->mem);
    if (n < 0)
        return n;
    struct e820_entry out[E820_MAX_BUILT];
    size_t k = 0;
    for (int i = 0; i < n; i++)
        if (e[i].type == E820_RAM || e[i].addr >= LAYOUT_HIMEM)
            out[k++] = e[i];
    return fw_cfg_add_file(fc, "etc/e820", out, k * sizeof(out[0]), NULL);
}

/* The small items every firmware boot gets (QEMU's names and formats). */
static int boot_fw_items(struct vm *vm, struct fw_cfg *fc)
{
    const struct vm_config *cfg = vm->cfg;
    uint16_t cpus = (uint16_t)cfg->ncpus;
    uint16_t sercon = PORT_COM1;
    /* Never retry: vmon stops the VM --boot-timeout seconds after the
     * firmware reports that nothing boots (machine/devmgr.c). */
    uint32_t fail_wait_ms = UINT32_MAX;
    int rc = fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, cpus);
    if (!rc)
        rc = fw_cfg_add_u16(fc, FW_CFG_MAX_CPUS, cpus);
    if (!rc)
        rc = fw_cfg_add_u64(fc, FW_CFG_RAM_SIZE, cfg->mem_size);
    if (!rc)
        rc = fw_cfg_add_u16(fc, FW_CFG_NOGRAPHIC, 1);
    if (!rc) /* no "Press ESC for boot menu" pause */
        rc = fw_cfg_add_u16(fc, FW_CFG_BOOT_MENU, 0);
    if (!rc) /* the MADT's IRQ0 -> GSI 2 override, for SeaBIOS's MP table */
        rc = fw_cfg_add_u32(fc, FW_CFG_IRQ0_OVERRIDE, 1);
    if (!rc)
        rc = fw_cfg_add_file(fc, "etc/boot-cpus", &cpus, sizeof(cpus), NULL);
    if (!rc)
        rc = fw_cfg_add_file(fc, "etc/sercon-port", &sercon, sizeof(sercon), NULL);
    if (!rc)
        rc = fw_cfg_add_file(fc, "etc/boot-fail-wait", &fail_wait_ms, sizeof(fail_wait_ms), NULL);
    if (!rc)
        rc = boot_fw_e820(vm, fc);
    return rc;
}

/* One device path per line, as SeaBIOS's "bootorder" file has them. */
struct boot_order {
    char text[1024];
    size_t len;
    bool overflow;
};

static void boot_order_add(struct boot_order *o, const char *fmt, unsigned long long v)
{
    size_t room = sizeof(o->text) - o->len;
    int n = snprintf(o->text + o->len, room, fmt, v);
    if (n < 0 || (size_t)n >= room)
        o->overflow = true;
    else
        o->len += (size_t)n;
}

/* "bootorder": the virtio disks in the order the user gave them (PCI slot
 * order, or the virtio-mmio windows in order), in SeaBIOS's device-path
 * syntax. No disk: no file, and the firmware tries what it finds. */
static int boot_fw_order(struct vm *vm, struct fw_cfg *fc)
{
    struct boot_order o = { .len = 0 };
    for (unsigned slot = 0; vm->dev.have_pci && slot < PCI_MAX_SLOTS; slot++) {
        uint32_t id = pci_bus_config_read(&vm->dev.pci, 0, PCI_DEVFN(slot, 0), 0, 4);
        if ((id & 0xffff) == VIRTIO_PCI_VENDOR &&
            (id >> 16) == VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_BLOCK)
            boot_order_add(&o, "/pci@i0cf8/*@%llx\n", slot);
    }
    struct acpi_config ac;
    devmgr_acpi_config(&vm->dev, vm->cfg->ncpus, &ac);
    for (size_t i = 0; i < ac.nvirtio; i++) {
        uint32_t magic = 0, id = 0;
        bus_read(&vm->mmio, ac.virtio[i].base, &magic, 4);
        bus_read(&vm->mmio, ac.virtio[i].base + VIRTIO_MMIO_DEVICE_ID, &id, 4);
        if (magic == VIRTIO_MMIO_MAGIC && id == VIRTIO_ID_BLOCK)
            boot_order_add(&o, "/virtio-mmio@%016llx/*\n", ac.virtio[i].base);
    }
    if (o.overflow)
        return -E2BIG;
    if (o.len == 0)
        return 0;
    o.text[o.len - 1] = 0; /* newline-separated, NUL-terminated, as QEMU gives it */
    return fw_cfg_add_file(fc, "bootorder", o.text, o.len, NULL);
}

/* Linux boot protocol addresses QEMU gives firmware-mediated boots (the
 * firmware or its option ROM copies the items there). */
#define BOOT_FW_REAL_ADDR 0x10000u  /* setup code and the zero page */
#define BOOT_FW_CMDLINE_ADDR 0x20000u
#define BOOT_FW_PROT_ADDR 0x100000u

/* --firmware with --kernel: the FW_CFG_KERNEL/SETUP/INITRD/CMDLINE items
 * for a firmware that boots Linux itself (boot.rst, "Loading The Rest of
 * The Kernel"): the real-mode setup with its header filled in as a boot
 * loader fills it, the protected-mode kernel, the initrd and the command
 * line, with the addresses they go to. */
static int boot_fw_linux(struct vm *vm, const struct boot_files *f, struct fw_cfg *fc, char *err,
                         size_t errlen)
{
    struct bzimage bz;
    char lerr[200];
    if (!bzimage_detect(f->kernel, f->kernel_len) ||
        bzimage_parse(f->kernel, f->kernel_len, &vm->mem, &bz, lerr, sizeof(lerr))) {
        snprintf(err, errlen, "--kernel with --firmware: '%s' is not a bzImage the firmware "
                 "can boot", vm->cfg->kernel);
        return -ENOEXEC;
    }
    const char *cmdline = vm->cfg->cmdline ? vm->cfg->cmdline : "";
    size_t cmdline_len = strlen(cmdline) + 1;
    if (cmdline_len > MIN((uint64_t)bz.hdr.cmdline_size + 1, LAYOUT_CMDLINE_MAX)) {
        snprintf(err, errlen, "--cmdline: longer than the kernel's limit of %u bytes",
                 bz.hdr.cmdline_size);
        return -E2BIG;
    }
    size_t setup_len = (size_t)bz.pm_offset;
    uint8_t *setup = malloc(setup_len);
    if (!setup)
        return -ENOMEM;
    memcpy(setup, f->kernel, setup_len);
    struct setup_header h = bz.hdr;
    h.type_of_loader = BP_LOADER_UNKNOWN;
    h.loadflags |= BP_CAN_USE_HEAP;
    h.heap_end_ptr = (uint16_t)(BOOT_FW_CMDLINE_ADDR - BOOT_FW_REAL_ADDR - 0x200);
    h.cmd_line_ptr = BOOT_FW_CMDLINE_ADDR;
    uint32_t initrd_addr = 0;
    if (f->initrd) {
        uint64_t top = MIN((uint64_t)h.initrd_addr_max + 1, vm->mem.region[0].size);
        uint64_t kernel_end = BOOT_FW_PROT_ADDR + bz.load_size;
        if (top <= kernel_end || f->initrd_len > top - kernel_end) {
            free(setup);
            snprintf(err, errlen, "--initrd: '%s' does not fit below %#llx", vm->cfg->initrd,
                     (unsigned long long)top);
            return -ENOSPC;
        }
        initrd_addr = (uint32_t)ALIGN_DOWN(top - f->initrd_len, 4096);
        h.ramdisk_image = initrd_addr;
        h.ramdisk_size = (uint32_t)f->initrd_len;
    }
    memcpy(setup + BP_HDR_OFFSET, &h, MIN(sizeof(h), setup_len - BP_HDR_OFFSET));
    int rc = fw_cfg_add_u32(fc, FW_CFG_SETUP_ADDR, BOOT_FW_REAL_ADDR);
    if (!rc)
        rc = fw_cfg_add_u32(fc, FW_CFG_SETUP_SIZE, (uint32_t)setup_len);
    if (!rc)
        rc = fw_cfg_add_item(fc, FW_CFG_SETUP_DATA, setup, setup_len);
    free(setup);
    if (!rc)
        rc = fw_cfg_add_u32(fc, FW_CFG_KERNEL_ADDR, BOOT_FW_PROT_ADDR);
    if (!rc)
        rc = fw_cfg_add_u32(fc, FW_CFG_KERNEL_SIZE, (uint32_t)bz.pm_size);
    if (!rc)
        rc = fw_cfg_add_item(fc, FW_CFG_KERNEL_DATA, f->kernel + bz.pm_offset, bz.pm_size);
    if (!rc)
        rc = fw_cfg_add_u32(fc, FW_CFG_CMDLINE_ADDR, BOOT_FW_CMDLINE_ADDR);
    if (!rc)
        rc = fw_cfg_add_u32(fc, FW_CFG_CMDLINE_SIZE, (uint32_t)cmdline_len);
    if (!rc)
        rc = fw_cfg_add_item(fc, FW_CFG_CMDLINE_DATA, cmdline, cmdline_len);
    if (!rc && f->initrd) {
        rc = fw_cfg_add_u32(fc, FW_CFG_INITRD_ADDR, initrd_addr);
        if (!rc)
            rc = fw_cfg_add_u32(fc, FW_CFG_INITRD_SIZE, (uint32_t)f->initrd_len);
        if (!rc)
            rc = fw_cfg_add_item(fc, FW_CFG_INITRD_DATA, f->initrd, f->initrd_len);
    }
    return rc ? boot_fw_err(err, errlen, rc, "kernel") : 0;
}

/* Firmware boot: the BIOS image, fw_cfg, and the BSP at the reset vector.
 * APs wait for SIPI as on any boot (boot_ap_state). */
static int boot_setup_firmware(struct vm *vm, const struct boot_files *f, struct x86_state *bsp,
                               char *err, size_t errlen)
{
    struct fw_cfg *fc = &vm->dev.fw_cfg;
    char lerr[200];
    int rc = firmware_load(&vm->mem, f->firmware, f->firmware_len, lerr, sizeof(lerr));
    if (rc) {
        snprintf(err, errlen, "--firmware: %s", lerr);
        return rc;
    }
    rc = boot_fw_items(vm, fc);
    if (rc)
        return boot_fw_err(err, errlen, rc, "configuration items");
    rc = boot_fw_order(vm, fc);
    if (rc)
        return boot_fw_err(err, errlen, rc, "boot order");
    rc = boot_fw_acpi(vm, fc, err, errlen);
    if (!rc && f->kernel)
        rc = boot_fw_linux(vm, f, fc, err, errlen);
    if (rc)
        return rc;
    boot_cpu_reset_state(bsp, true);
    return 0;
}

/* A Multiboot kernel: --initrd is module 0 (its string is its path), then
 * each --module with its string "PATH ARGS". */
static int boot_multiboot(struct vm *vm, const struct boot_files *f, struct x86_state *bsp,
                          char *err, size_t errlen)
{
    const struct vm_config *cfg = vm->cfg;
    struct multiboot_module mods[MULTIBOOT_MAX_MODULES];
    char *strings[MULTIBOOT_MAX_MODULES] = { NULL };
    size_t n = 0;
    if (cfg->nmodules + (f->initrd ? 1 : 0) > MULTIBOOT_MAX_MODULES) {
        snprintf(err, errlen, "--module: at most %d Multiboot modules, --initrd included",
                 MULTIBOOT_MAX_MODULES);
        return -EINVAL;
    }
    if (f->initrd)
        mods[n++] = (struct multiboot_module){ f->initrd, f->initrd_len, cfg->initrd };
    int rc = 0;
    for (unsigned i = 0; i < cfg->nmodules && !rc; i++) {
        const struct vm_module *vm_mod = &cfg->modules[i];
        if (asprintf(&strings[n], "%s%s%s", vm_mod->path, vm_mod->args ? " " : "",
                     vm_mod->args ? vm_mod->args : "") < 0) {
            strings[n] = NULL;
            rc = -ENOMEM;
            break;
        }
        mods[n] = (struct multiboot_module){ f->modules[i].data, f->modules[i].len, strings[n] };
        n++;
    }
    struct multiboot_config mc = {
        .kernel = f->kernel, .kernel_len = f->kernel_len,
        .cmdline = cfg->cmdline, .modules = mods, .nmodules = n,
    };
    char lerr[200];
    if (!rc) {
        rc = multiboot_load(&vm->mem, &mc, bsp, NULL, lerr, sizeof(lerr));
        if (rc)
            snprintf(err, errlen, "%s (--kernel %s)", lerr, cfg->kernel);
    }
    for (size_t i = 0; i < n; i++)
        free(strings[i]);
    return rc;
}

/* Detection order: bzImage, then a Multiboot header in the first 8 KiB (a
 * Multiboot ELF boots as Multiboot), then ELF/PVH. Returns 1 for a
 * Multiboot kernel, 0 for the others, or a negative errno for a kernel
 * whose Multiboot header is broken. */
static int boot_is_multiboot(const struct vm_config *cfg, const struct boot_files *f, char *err,
                             size_t errlen)
{
    if (bzimage_detect(f->kernel, f->kernel_len))
        return 0;
    struct multiboot_found mb;
    char lerr[200];
    int r = multiboot_detect(f->kernel, f->kernel_len, &mb, lerr, sizeof(lerr));
    if (r < 0)
        snprintf(err, errlen, "%s (--kernel %s)", lerr, cfg->kernel);
    return r;
}

#define BOOT_NOXSAVE "noxsave "

/* The command line a Linux kernel gets. On a host whose KVM emulates guest
 * kernel code (kvm_probe), CPUID cannot hide AVX and AVX-512 from the guest
 * (that KVM answers CPUID from the host's features, whatever vmon sets), and
 * a kernel that picks AVX-512 routines meets instructions neither the host's
 * emulator nor vmon's fallback runs: "noxsave" makes Linux use FXSAVE and
 * leave the vector extensions alone. It goes first, before any " -- " that
 * starts init's arguments. */
static const char *boot_linux_cmdline(struct vm *vm, const struct boot_files *f, char *buf,
                                      size_t len)
{
    const char *cmdline = vm->cfg->cmdline ? vm->cfg->cmdline : "";
    if (!vm->kvm_emulates_kernel || !bzimage_detect(f->kernel, f->kernel_len) ||
        strstr(cmdline, "noxsave"))
        return cmdline;
    snprintf(buf, len, "%s%s", BOOT_NOXSAVE, cmdline);
    return buf;
}

int boot_setup(struct vm *vm, const struct boot_files *f, struct x86_state *bsp, char *err,
               size_t errlen)
{
    if (vm_config_boots_firmware(vm->cfg))
        return boot_setup_firmware(vm, f, bsp, err, errlen);
    int mb = boot_is_multiboot(vm->cfg, f, err, errlen);
    if (mb < 0)
        return mb;
    if (!mb && vm->cfg->nmodules) {
        snprintf(err, errlen, "--module: needs a Multiboot kernel, and --kernel %s is not one",
                 vm->cfg->kernel);
        return -EINVAL;
    }
    struct acpi_config ac;
    struct acpi_prt_entry prt[ACPI_MAX_PRT];
    int rc = boot_acpi_config(vm, &ac, prt, err, errlen);
    if (rc)
        return rc;
    uint64_t rsdp = 0;
    rc = acpi_build(&vm->mem, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &ac, &rsdp);
    if (rc) {
        snprintf(err, errlen, "internal error: cannot build the ACPI tables: %s", strerror(-rc));
        return rc;
    }
    if (mb)
        return boot_multiboot(vm, f, bsp, err, errlen);
    uint8_t seed[32];
    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        snprintf(err, errlen, "cannot read host randomness for the guest's RNG seed");
        return -EIO;
    }
    char cmdline[LAYOUT_CMDLINE_MAX + sizeof(BOOT_NOXSAVE)];
    struct boot_config bc = {
        .kernel = f->kernel, .kernel_len = f->kernel_len,
        .initrd = f->initrd, .initrd_len = f->initrd_len,
        .cmdline = boot_linux_cmdline(vm, f, cmdline, sizeof(cmdline)),
        .rng_seed = seed, .rng_seed_len = sizeof(seed),
        .acpi_rsdp = rsdp,
        .entry = BOOT_ENTRY_AUTO,
        .unpack = vm->cfg->decompress_in_guest ? BOOT_UNPACK_GUEST : BOOT_UNPACK_HOST,
    };
    char lerr[200];
    rc = boot_load_linux(&vm->mem, &bc, bsp, NULL, lerr, sizeof(lerr));
    if (!rc && bc.cmdline == cmdline)
        log_warn("kvm: this host's KVM shows the guest its own AVX/AVX-512 whatever vmon's CPUID "
                 "says; adding \"noxsave\" to the kernel command line");
    if (rc)
        snprintf(err, errlen, "%s (--kernel %s%s%s)", lerr, vm->cfg->kernel,
                 vm->cfg->initrd ? ", --initrd " : "", vm->cfg->initrd ? vm->cfg->initrd : "");
    explicit_bzero(seed, sizeof(seed));
    return rc;
}

void boot_ap_state(struct x86_state *s, unsigned index)
{
    (void)index;
    boot_cpu_reset_state(s, false);
}
