/* The fixed ACPI hardware registers of a vmon PC (ACPI 6.5 section 4.8,
 * "ACPI Hardware Specification"), as one I/O block at PORT_ACPI_PM:
 *
 *   base+0x0  PM1a_EVT_BLK: PM1_STS (2 bytes, write 1 to clear), PM1_EN (2)
 *   base+0x4  PM1a_CNT_BLK: PM1_CNT (2): SCI_EN, SLP_TYP (bits 10-12),
 *             SLP_EN (bit 13, write-only)
 *   base+0x6  reserved (reads 0xff)
 *   base+0x8  PM_TMR_BLK: 24-bit power-management timer, 3.579545 MHz
 *   base+0xC  GPE0_BLK: GPE0_STS (2 bytes, write 1 to clear), GPE0_EN (2)
 *
 * The FADT is written from the ACPI_PM_* constants below: PM1_EVT_LEN 4,
 * PM1_CNT_LEN 2, PM_TMR_LEN 4 (TMR_VAL_EXT clear: 24 bits), GPE0_BLK_LEN 4,
 * SMI_CMD 0 (the block is always in ACPI mode: SCI_EN reads 1), SCI on
 * GSI_ACPI_SCI. The DSDT's \_S5 package must carry ACPI_PM_SLP_TYP_S5:
 * writing SLP_EN with that SLP_TYP powers the VM off through vmctl; other
 * sleep types are ignored (vmon has no S1-S4).
 *
 * The PM timer counts ticks of the injected time source since
 * acpi_pm_init: floor(ns * 3579545 / 1e9), exact and monotonic. TMR_STS is
 * computed when read (set when timer bit 23 has toggled since the guest last
 * cleared it). The SCI line follows PM1_STS & PM1_EN and GPE0_STS & GPE0_EN;
 * nothing raises the SCI on a timer carry, since that needs a host timer
 * (Linux does not enable TMR_EN). GPEs are set with acpi_pm_gpe_set() (for
 * PCI hotplug later); no power button yet.
 *
 * Locking: one mutex; irq_set() runs under it, vmctl_request() after it. */
#ifndef VMON_DEVICES_LEGACY_ACPI_PM_H
#define VMON_DEVICES_LEGACY_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "core/vmctl.h"

#define ACPI_PM_IO_LEN 0x10
#define ACPI_PM_PM1_EVT_OFF 0x0
#define ACPI_PM_PM1_EVT_LEN 4
#define ACPI_PM_PM1_CNT_OFF 0x4
#define ACPI_PM_PM1_CNT_LEN 2
#define ACPI_PM_TMR_OFF 0x8
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_GPE0_OFF 0xc
#define ACPI_PM_GPE0_LEN 4 /* status half then enable half */

#define ACPI_PM_TIMER_HZ 3579545u
#define ACPI_PM_SLP_TYP_S5 5

/* PM1_STS / PM1_EN bits (ACPI 6.5 tables 4.16 and 4.17). */
#define ACPI_PM1_TMR_STS 0x0001
#define ACPI_PM1_BM_STS 0x0010
#define ACPI_PM1_GBL_STS 0x0020
#define ACPI_PM1_PWRBTN_STS 0x0100
#define ACPI_PM1_SLPBTN_STS 0x0200
#define ACPI_PM1_RTC_STS 0x0400
#define ACPI_PM1_WAK_STS 0x8000

/* PM1_CNT bits (ACPI 6.5 table 4.18). */
#define ACPI_PM1_SCI_EN 0x0001
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK 0x1c00
#define ACPI_PM1_SLP_EN 0x2000

struct acpi_pm_regs {
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe0_sts, gpe0_en;
    uint64_t tmr_start_ns; /* time-source reading at which the timer was 0 */
    uint64_t tmr_carries;  /* timer value >> 23 when TMR_STS was last cleared */
};

struct acpi_pm {
    pthread_mutex_t lock;
    struct acpi_pm_regs regs;
    bool sci_level; /* derived: level last driven */
    bool warned;    /* unsupported sleep state reported once */
    struct irq_line sci;
    const struct vm_control *ctl;
    uint64_t (*now_ns)(void *ctx);
    void *clock_ctx;
};

/* sci and ctl may be NULL; now_ns is required (-EINVAL). Returns 0 or
 * -errno. */
int acpi_pm_init(struct acpi_pm *pm, const struct irq_line *sci, const struct vm_control *ctl,
                 uint64_t (*now_ns)(void *ctx), void *clock_ctx);
void acpi_pm_destroy(struct acpi_pm *pm);

/* Sets general-purpose event status bit (0-15), e.g. for PCI hotplug, and
 * raises the SCI if the guest enabled it. */
void acpi_pm_gpe_set(struct acpi_pm *pm, unsigned bit);

/* The timer value the guest would read now (24 bits). */
uint32_t acpi_pm_timer(struct acpi_pm *pm);

extern const struct bus_dev_ops acpi_pm_ops;

#endif
