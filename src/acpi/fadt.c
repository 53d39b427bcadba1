#include "acpi/fadt.h"

#include <errno.h>
#include <string.h>

/* GAS access sizes */
#define ACCESS_BYTE  1
#define ACCESS_WORD  2
#define ACCESS_DWORD 3

#define PM_PROFILE_UNSPECIFIED 0

int fadt_write(uint8_t *out, size_t cap, const struct acpi_config *c, uint64_t facs,
               uint64_t dsdt)
{
    struct acpi_fadt f;
    if (cap < sizeof(f))
        return -ENOSPC;
    memset(&f, 0, sizeof(f));
    acpi_table_header(&f.h, "FACP", sizeof(f), FADT_REVISION);
    f.firmware_ctrl = (uint32_t)facs;
    f.dsdt = (uint32_t)dsdt;
    f.x_firmware_ctrl = facs;
    f.x_dsdt = dsdt;
    f.preferred_pm_profile = PM_PROFILE_UNSPECIFIED;
    f.sci_int = c->sci_irq;
    f.smi_cmd = 0; /* no SMM: ACPI mode is always on */

    f.pm1a_evt_blk = c->pm1a_evt_port;
    f.pm1a_cnt_blk = c->pm1a_cnt_port;
    f.pm_tmr_blk = c->pm_tmr_port;
    f.gpe0_blk = c->gpe0_port;
    f.pm1_evt_len = c->pm1a_evt_len;
    f.pm1_cnt_len = c->pm1a_cnt_len;
    f.pm_tmr_len = 4;
    f.gpe0_blk_len = c->gpe0_len;
    /* PM1 event is two 16-bit registers (status, enable), PM1 control one
     * 16-bit register, the timer one 32-bit register, GPE0 byte registers. */
    f.x_pm1a_evt_blk = acpi_gas_io(c->pm1a_evt_port, c->pm1a_evt_len, ACCESS_WORD);
    f.x_pm1a_cnt_blk = acpi_gas_io(c->pm1a_cnt_port, c->pm1a_cnt_len, ACCESS_WORD);
    f.x_pm_tmr_blk = acpi_gas_io(c->pm_tmr_port, 4, ACCESS_DWORD);
    f.x_gpe0_blk = acpi_gas_io(c->gpe0_port, c->gpe0_len, ACCESS_BYTE);

    /* C2/C3 latencies above 100/1000 us mean "not supported". */
    f.p_lvl2_lat = 101;
    f.p_lvl3_lat = 1001;
    f.century = c->has_rtc ? 0x32 : 0; /* CMOS century register (the RTC keeps it) */

    f.iapc_boot_arch = FADT_IAPC_LEGACY_DEVICES | FADT_IAPC_NO_VGA;
    if (c->has_i8042)
        f.iapc_boot_arch |= FADT_IAPC_8042;
    if (!c->has_rtc)
        f.iapc_boot_arch |= FADT_IAPC_NO_CMOS_RTC;
    f.flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
              FADT_F_FIX_RTC | FADT_F_RESET_REG_SUP;
    f.reset_reg = acpi_gas_io(c->reset_port, 1, ACCESS_BYTE);
    f.reset_value = c->reset_value;
    f.minor_revision = FADT_MINOR_REVISION;
    memcpy(f.hypervisor_vendor, "VMON\0\0\0\0", 8);

    memcpy(out, &f, sizeof(f));
    acpi_table_finish(out);
    return (int)sizeof(f);
}
