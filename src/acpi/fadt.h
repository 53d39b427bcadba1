/* FADT, the Fixed ACPI Description Table (ACPI 6.4, 5.2.9), revision 6.
 * vmon has legacy PM hardware (not HW_REDUCED_ACPI): PM1a event/control
 * blocks, a 24-bit PM timer, GPE0, SCI on IRQ 9, and a reset register at
 * I/O port 0xcf9. SMI_CMD is 0: the platform is always in ACPI mode. */
#ifndef VMON_ACPI_FADT_H
#define VMON_ACPI_FADT_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"
#include "acpi/acpi_table.h"

#define FADT_REVISION 6
#define FADT_MINOR_REVISION 0

/* Flags (5.2.9 Table 5.10) */
#define FADT_F_WBINVD         (1u << 0)
#define FADT_F_PROC_C1        (1u << 2)
#define FADT_F_PWR_BUTTON     (1u << 4)  /* no fixed power button */
#define FADT_F_SLP_BUTTON     (1u << 5)  /* no fixed sleep button */
#define FADT_F_FIX_RTC        (1u << 6)  /* no RTC wake status in PM1 */
#define FADT_F_TMR_VAL_EXT    (1u << 8)  /* 32-bit timer (vmon's is 24-bit) */
#define FADT_F_RESET_REG_SUP  (1u << 10)
#define FADT_F_HW_REDUCED     (1u << 20)

/* IAPC_BOOT_ARCH (5.2.9.3 Table 5.11) */
#define FADT_IAPC_LEGACY_DEVICES (1u << 0)
#define FADT_IAPC_8042           (1u << 1)
#define FADT_IAPC_NO_VGA         (1u << 2)
#define FADT_IAPC_NO_MSI         (1u << 3)
#define FADT_IAPC_NO_CMOS_RTC    (1u << 5)

/* 5.2.9 Table 5.9 */
struct acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_req;
    uint8_t pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t pm1_evt_len;
    uint8_t pm1_cnt_len;
    uint8_t pm2_cnt_len;
    uint8_t pm_tmr_len;
    uint8_t gpe0_blk_len;
    uint8_t gpe1_blk_len;
    uint8_t gpe1_base;
    uint8_t cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alrm;
    uint8_t mon_alrm;
    uint8_t century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_revision;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk;
    struct acpi_gas x_pm1b_evt_blk;
    struct acpi_gas x_pm1a_cnt_blk;
    struct acpi_gas x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk;
    struct acpi_gas x_pm_tmr_blk;
    struct acpi_gas x_gpe0_blk;
    struct acpi_gas x_gpe1_blk;
    struct acpi_gas sleep_control_reg;
    struct acpi_gas sleep_status_reg;
    char hypervisor_vendor[8];
} __attribute__((packed));

_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "PM1a_EVT_BLK");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "PM_TMR_BLK");
_Static_assert(offsetof(struct acpi_fadt, pm1_evt_len) == 88, "PM1_EVT_LEN");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "Flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, minor_revision) == 131, "FADT Minor Version");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "X_PM1a_EVT_BLK");
_Static_assert(offsetof(struct acpi_fadt, x_gpe0_blk) == 220, "X_GPE0_BLK");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "SLEEP_CONTROL_REG");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes");

/* Writes the FADT pointing at facs and dsdt (both the 32-bit and X_ fields,
 * identical, since everything is below 4 GiB). Returns its length or
 * -ENOSPC. */
int fadt_write(uint8_t *out, size_t cap, const struct acpi_config *c, uint64_t facs,
               uint64_t dsdt);

#endif
