#include "machine/boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "acpi/acpi.h"
#include "common/util.h"
#include "devices/pci/pci_bus.h"
#include "loaders/boot.h"
#include "loaders/boot_cpu.h"
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

int boot_files_read(const struct vm_config *cfg, struct boot_files *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    int rc = boot_read_one("--kernel", cfg->kernel, BOOT_KERNEL_MAX, &f->kernel, &f->kernel_len,
                           err, errlen);
    if (rc)
        return rc;
    if (cfg->initrd) {
        rc = boot_read_one("--initrd", cfg->initrd, BOOT_INITRD_MAX, &f->initrd, &f->initrd_len,
                           err, errlen);
        if (rc) {
            boot_files_free(f);
            return rc;
        }
    }
    return 0;
}

void boot_files_free(struct boot_files *f)
{
    free(f->kernel);
    free(f->initrd);
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

int boot_setup(struct vm *vm, const struct boot_files *f, struct x86_state *bsp, char *err,
               size_t errlen)
{
    struct acpi_config ac;
    struct acpi_prt_entry prt[ACPI_MAX_PRT];
    devmgr_acpi_config(&vm->dev, vm->cfg->ncpus, &ac);
    ac.prt = prt;
    ac.nprt = boot_prt(prt, ARRAY_SIZE(prt));
    int rc = acpi_config_check(&ac, err, errlen);
    if (rc)
        return rc;
    uint64_t rsdp = 0;
    rc = acpi_build(&vm->mem, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, &ac, &rsdp);
    if (rc) {
        snprintf(err, errlen, "internal error: cannot build the ACPI tables: %s", strerror(-rc));
        return rc;
    }
    uint8_t seed[32];
    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        snprintf(err, errlen, "cannot read host randomness for the guest's RNG seed");
        return -EIO;
    }
    struct boot_config bc = {
        .kernel = f->kernel, .kernel_len = f->kernel_len,
        .initrd = f->initrd, .initrd_len = f->initrd_len,
        .cmdline = vm->cfg->cmdline,
        .rng_seed = seed, .rng_seed_len = sizeof(seed),
        .acpi_rsdp = rsdp,
        .entry = BOOT_ENTRY_AUTO,
    };
    char lerr[200];
    rc = boot_load_linux(&vm->mem, &bc, bsp, NULL, lerr, sizeof(lerr));
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
