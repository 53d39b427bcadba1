/* ACPI PM1 event/control blocks, PM timer and GPE0 block; see acpi_pm.h. */
#include "devices/legacy/acpi_pm.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

#define NS_PER_SEC 1000000000ull
#define ACPI_PM_TMR_MASK 0xffffffu

/* PM1_CNT bits the guest can set; SCI_EN is fixed to 1, SLP_EN is a
 * write-only trigger and GBL_RLS (bit 2) only signals firmware. */
#define ACPI_PM1_CNT_WRITABLE (0x0002 | ACPI_PM1_SLP_TYP_MASK)

/* Ticks since the timer started: floor(ns * f / 1e9), split so the product
 * cannot overflow. */
static uint64_t acpi_pm_ticks(const struct acpi_pm *pm)
{
    uint64_t ns = pm->now_ns(pm->clock_ctx) - pm->regs.tmr_start_ns;
    return (ns / NS_PER_SEC) * ACPI_PM_TIMER_HZ + (ns % NS_PER_SEC) * ACPI_PM_TIMER_HZ / NS_PER_SEC;
}

static uint16_t acpi_pm_pm1_sts(const struct acpi_pm *pm, uint64_t ticks)
{
    uint16_t sts = pm->regs.pm1_sts;
    if ((ticks >> 23) != pm->regs.tmr_carries)
        sts |= ACPI_PM1_TMR_STS;
    return sts;
}

static void acpi_pm_update_sci(struct acpi_pm *pm)
{
    const struct acpi_pm_regs *r = &pm->regs;
    bool level = (r->pm1_cnt & ACPI_PM1_SCI_EN) &&
                 ((r->pm1_sts & r->pm1_en) || (r->gpe0_sts & r->gpe0_en));
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_set(&pm->sci, level);
    }
}

/* The 16-byte register block as the guest reads it now. */
static void acpi_pm_image(const struct acpi_pm *pm, uint8_t img[ACPI_PM_IO_LEN])
{
    const struct acpi_pm_regs *r = &pm->regs;
    uint64_t ticks = acpi_pm_ticks(pm);
    put_le16(img + 0, acpi_pm_pm1_sts(pm, ticks));
    put_le16(img + 2, r->pm1_en);
    put_le16(img + 4, r->pm1_cnt);
    put_le16(img + 6, 0xffff);
    put_le32(img + 8, (uint32_t)ticks & ACPI_PM_TMR_MASK);
    put_le16(img + 12, r->gpe0_sts);
    put_le16(img + 14, r->gpe0_en);
}

static void set_byte16(uint16_t *reg, unsigned byte, uint8_t v)
{
    unsigned shift = 8 * byte;
    *reg = (uint16_t)((*reg & ~(0xffu << shift)) | ((unsigned)v << shift));
}

/* Applies one written byte. Returns true when it sets SLP_EN. */
static bool acpi_pm_write_byte(struct acpi_pm *pm, unsigned off, uint8_t v)
{
    struct acpi_pm_regs *r = &pm->regs;
    unsigned byte = off & 1;
    uint16_t bits = (uint16_t)((unsigned)v << (8 * byte));
    switch (off & ~1u) {
    case ACPI_PM_PM1_EVT_OFF: /* PM1_STS: write 1 to clear */
        r->pm1_sts &= (uint16_t)~bits;
        if (bits & ACPI_PM1_TMR_STS)
            r->tmr_carries = acpi_pm_ticks(pm) >> 23;
        return false;
    case ACPI_PM_PM1_EVT_OFF + 2:
        set_byte16(&r->pm1_en, byte, v);
        return false;
    case ACPI_PM_PM1_CNT_OFF:
        set_byte16(&r->pm1_cnt, byte, v);
        r->pm1_cnt = (uint16_t)((r->pm1_cnt & ACPI_PM1_CNT_WRITABLE) | ACPI_PM1_SCI_EN);
        return bits & ACPI_PM1_SLP_EN;
    case ACPI_PM_GPE0_OFF: /* GPE0_STS: write 1 to clear */
        r->gpe0_sts &= (uint16_t)~bits;
        return false;
    case ACPI_PM_GPE0_OFF + 2:
        set_byte16(&r->gpe0_en, byte, v);
        return false;
    default: /* reserved bytes and the read-only timer */
        return false;
    }
}

static uint64_t acpi_pm_io_read(void *dev, uint64_t offset, unsigned size)
{
    struct acpi_pm *pm = dev;
    uint8_t img[ACPI_PM_IO_LEN];
    pthread_mutex_lock(&pm->lock);
    acpi_pm_image(pm, img);
    pthread_mutex_unlock(&pm->lock);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        /* GUEST: offset + i is checked against the block size. */
        uint8_t b = offset + i < ACPI_PM_IO_LEN ? img[offset + i] : 0xff;
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void acpi_pm_io_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct acpi_pm *pm = dev;
    bool sleep = false;
    pthread_mutex_lock(&pm->lock);
    for (unsigned i = 0; i < size && offset + i < ACPI_PM_IO_LEN; i++)
        sleep |= acpi_pm_write_byte(pm, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
    unsigned slp_typ = (pm->regs.pm1_cnt & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT;
    bool warn = sleep && slp_typ != ACPI_PM_SLP_TYP_S5 && !pm->warned;
    if (warn)
        pm->warned = true;
    acpi_pm_update_sci(pm);
    pthread_mutex_unlock(&pm->lock);
    if (sleep && slp_typ == ACPI_PM_SLP_TYP_S5)
        vmctl_request(pm->ctl, VM_EVENT_POWEROFF, 0);
    else if (warn)
        log_warn("acpi: guest asked for sleep type %u, which vmon does not support", slp_typ);
}

const struct bus_dev_ops acpi_pm_ops = { acpi_pm_io_read, acpi_pm_io_write };

void acpi_pm_gpe_set(struct acpi_pm *pm, unsigned bit)
{
    if (bit >= 16)
        return;
    pthread_mutex_lock(&pm->lock);
    pm->regs.gpe0_sts |= (uint16_t)(1u << bit);
    acpi_pm_update_sci(pm);
    pthread_mutex_unlock(&pm->lock);
}

uint32_t acpi_pm_timer(struct acpi_pm *pm)
{
    pthread_mutex_lock(&pm->lock);
    uint32_t v = (uint32_t)acpi_pm_ticks(pm) & ACPI_PM_TMR_MASK;
    pthread_mutex_unlock(&pm->lock);
    return v;
}

int acpi_pm_init(struct acpi_pm *pm, const struct irq_line *sci, const struct vm_control *ctl,
                 uint64_t (*now_ns)(void *ctx), void *clock_ctx)
{
    if (!now_ns)
        return -EINVAL;
    memset(pm, 0, sizeof(*pm));
    int e = pthread_mutex_init(&pm->lock, NULL);
    if (e)
        return -e;
    if (sci)
        pm->sci = *sci;
    pm->ctl = ctl;
    pm->now_ns = now_ns;
    pm->clock_ctx = clock_ctx;
    pm->regs.pm1_cnt = ACPI_PM1_SCI_EN;
    pm->regs.tmr_start_ns = now_ns(clock_ctx);
    return 0;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
    pthread_mutex_destroy(&pm->lock);
}
