/* Test doubles for the device tests: an interrupt chip that records line
 * levels, edges and MSIs, a vm_control that records events, a chardev that
 * collects output and a clock the test moves by hand. Header-only; each
 * test program includes it once. */
#ifndef VMON_TESTS_DEVICES_FAKES_H
#define VMON_TESTS_DEVICES_FAKES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "core/irq.h"
#include "core/vmctl.h"
#include "devices/chardev.h"

#define FAKE_GSIS 32
#define FAKE_MAX_MSI 64

struct fake_irq {
    bool level[FAKE_GSIS];
    unsigned rises[FAKE_GSIS]; /* low-to-high transitions */
    unsigned calls[FAKE_GSIS];
    unsigned nmsi;
    uint64_t msi_addr[FAKE_MAX_MSI];
    uint32_t msi_data[FAKE_MAX_MSI];
    struct irq_chip chip;
};

static inline void fake_irq_set_level(void *ctx, unsigned gsi, bool level)
{
    struct fake_irq *f = ctx;
    if (gsi >= FAKE_GSIS)
        return;
    if (level && !f->level[gsi])
        f->rises[gsi]++;
    f->level[gsi] = level;
    f->calls[gsi]++;
}

static inline void fake_irq_send_msi(void *ctx, uint64_t addr, uint32_t data)
{
    struct fake_irq *f = ctx;
    if (f->nmsi < FAKE_MAX_MSI) {
        f->msi_addr[f->nmsi] = addr;
        f->msi_data[f->nmsi] = data;
    }
    f->nmsi++;
}

static inline void fake_irq_init(struct fake_irq *f)
{
    memset(f, 0, sizeof(*f));
    f->chip.set_level = fake_irq_set_level;
    f->chip.send_msi = fake_irq_send_msi;
    f->chip.ctx = f;
}

static inline struct irq_line fake_irq_line(struct fake_irq *f, unsigned gsi)
{
    return (struct irq_line){ &f->chip, gsi };
}

struct fake_ctl {
    unsigned count;
    enum vm_event last;
    int last_code;
    struct vm_control ctl;
};

static inline void fake_ctl_request(void *ctx, enum vm_event ev, int code)
{
    struct fake_ctl *f = ctx;
    f->count++;
    f->last = ev;
    f->last_code = code;
}

static inline void fake_ctl_init(struct fake_ctl *f)
{
    memset(f, 0, sizeof(*f));
    f->ctl.request = fake_ctl_request;
    f->ctl.ctx = f;
}

struct fake_out {
    uint8_t buf[4096];
    size_t len;
    struct chardev dev;
};

static inline ssize_t fake_out_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fake_out *f = ctx;
    for (size_t i = 0; i < len && f->len < sizeof(f->buf); i++)
        f->buf[f->len++] = buf[i];
    return (ssize_t)len;
}

static inline void fake_out_init(struct fake_out *f)
{
    memset(f, 0, sizeof(*f));
    f->dev.write = fake_out_write;
    f->dev.ctx = f;
}

struct fake_clock {
    uint64_t ns;
};

static inline uint64_t fake_clock_now(void *ctx)
{
    return ((struct fake_clock *)ctx)->ns;
}

#endif
